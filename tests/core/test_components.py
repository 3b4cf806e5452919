"""Coordinate axes of a known length written one array per coordinate
(passes/components.py): array-style cloth and particle code whose sums along
the coordinates (``np.sum(d * d, axis=2)``) and broadcasts (``s[:, :, None]``)
kept every statement a whole-array operation now runs as element loops.
Gradients against finite differences on both targets; the compiled code's
shape; what stays arrays."""
from __future__ import annotations

import re

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def cloth(k, L0, x0, steps, dt):
    """Springs between neighbours of an (N, N, 3) grid, symplectic Euler."""
    N = x0.shape[0]
    x = x0.copy()
    v = np.zeros_like(x0)
    for step in range(steps):
        F = np.zeros((N, N, 3))
        F[:, :, 2] = -9.81
        d = x[:, 1:, :] - x[:, :-1, :]
        r = np.sqrt(np.sum(d * d, axis=2))
        s = k * (r - L0) / r
        fs = s[:, :, None] * d
        F[:, :-1, :] += fs
        F[:, 1:, :] -= fs
        d = x[1:, :, :] - x[:-1, :, :]
        r = np.sqrt(np.sum(d * d, axis=2))
        s = k * (r - L0) / r
        fs = s[:, :, None] * d
        F[:-1, :, :] += fs
        F[1:, :, :] -= fs
        v = v + dt * (F - 0.5 * v)
        x = x + dt * v
    return np.sum(x * x)


def chain_argument(x, k, steps, dt):
    """A chain of points in the plane (n, 2) re-binding its argument (``x = x +
    dt * v``): every value of ``x`` keeps the argument's shape.  Written with a
    unit vector and a mean along the coordinates."""
    v = np.zeros_like(x)
    for step in range(steps):
        d = x[1:] - x[:-1]
        r = np.sqrt(2.0 * np.mean(d ** 2, axis=-1))
        unit = d / r[:, None]
        F = np.zeros_like(x)
        F[:-1] += (k * (r - 1.0))[:, None] * unit
        F[1:] -= (k * (r - 1.0))[:, None] * unit
        v = v + dt * F
        x = x + dt * v
    return np.sum(x * x)


def chain(k, x0, steps, dt):
    """A chain of points in the plane (n, 2) on a copy of the starting points:
    one sum and one broadcast a step."""
    x = x0.copy()
    v = np.zeros_like(x0)
    for step in range(steps):
        d = x[1:] - x[:-1]
        r = np.sqrt(np.sum(d * d, axis=1))
        s = k * (r - 1.0) / r
        f = s[:, None] * d
        F = np.zeros_like(x)
        F[:-1] += f
        F[1:] -= f
        v = v + dt * F
        x = x + dt * v
    return np.sum(x * x)


def soft_pairs(x, eps):
    """Each point against all (a row less the whole array): a mean along the
    coordinates."""
    e = 0.0
    for i in range(x.shape[0]):
        d = x[i] - x
        r2 = np.mean(d * d, axis=-1) + eps
        e += np.sum(1.0 / r2)
    return e


def kept(x0, c, steps):
    """The temporary is also returned from the loop's last step: no split."""
    x = x0.copy()
    d = np.zeros_like(x0)
    for step in range(steps):
        d = x[1:] - x[:-1]
        r = np.sum(d * d, axis=1)
        x[1:] -= c * r[:, None] * d
    return np.sum(x * x) + np.sum(d)


rng = np.random.default_rng(4)
GRID = np.stack(np.meshgrid(np.arange(4.0), np.arange(4.0), indexing="ij"), -1)
GRID = np.concatenate([GRID, np.zeros((4, 4, 1))], -1) + 0.1 * rng.standard_normal((4, 4, 3))
CASES = [(cloth, (30.0, 0.9, GRID, 6, 0.01), (0, 1, 2)),
         (chain, (20.0, np.cumsum(rng.random((7, 2)), 0), 5, 0.02), (0, 1)),
         (soft_pairs, (rng.standard_normal((6, 3)), 0.3), (0, 1)),
         (chain_argument, (np.cumsum(rng.random((7, 2)), 0), 20.0, 5, 0.02), (0, 1)),
         (kept, (np.cumsum(rng.random((6, 2)), 0), 0.01, 3), (0, 1))]
IDS = [c[0].__name__ for c in CASES]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=IDS)
def test_gradients(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def _primal(f, args, wrt, target="cpu"):
    text = sd.value_and_grad(f, wrt=wrt, target=target).source_for(*args)
    return "\n".join(line for line in text[:text.index("_grad(")].splitlines()
                     if not line.strip().startswith("#"))


LOWERED = [0, 1, 2, 3]


@pytest.mark.parametrize("f, args, wrt", [CASES[k] for k in LOWERED],
                         ids=[IDS[k] for k in LOWERED])
def test_the_coordinates_are_written_out_and_lowered(f, args, wrt):
    primal = _primal(f, args, wrt)
    assert "sum_axis" not in primal and "expand_dims" not in primal and \
        "np.mean" not in primal, primal
    assert "d_0 = " in primal and "d_1 = " in primal, primal
    # element loops: no array temporaries left in the loop (the argument ``x`` stepped
    # under its own name is stepped in a copy, ``x_now``: passes/rebound_params.py)
    assert re.search(r"_0 = x(_now)?\[", primal) and \
        "[:, 0]" not in primal.replace("[:, :, 0]", ""), primal


def test_the_cloth_reads_each_point_once_per_spring():
    primal = _primal(*CASES[0])
    assert primal.count("np.sqrt(") == 2
    for k in range(3):
        assert f"F[_j2, _k3, {k}] += fs_{k}" in primal, primal


def test_a_temporary_read_after_its_loop_keeps_its_array():
    primal = _primal(*CASES[4])
    assert "d_0" not in primal and "sum_axis" in primal


def test_the_python_target_splits_only_lengths_it_knows():
    # the grid's last axis is specialized on by the compiled targets only; the
    # forces' np.zeros((N, N, 3)) alone does not make the springs' arrays known
    primal = _primal(*CASES[0], target="python")
    assert "sum_axis" in primal or "np.sum(" in primal
    assert "d_0" not in primal


def test_longer_rows_stay_arrays():
    x = rng.standard_normal((6, 5))
    primal = _primal(soft_pairs, (x, 0.3), (0, 1))
    assert "d_0" not in primal
    check_grad(soft_pairs, (x, 0.3), wrt=(0, 1), target="cpu")
