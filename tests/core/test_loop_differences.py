"""``np.diff(x)`` of a vector inside a loop is written ``x[1:] - x[:-1]``
(passes/differences.py), which the element loops of passes/lower.py read: a
mass chain's step with ``np.diff`` runs as the same step written with slices."""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad


def chain_with_diff(x0, k, steps, dt):
    x = x0.copy()
    v = np.zeros_like(x0)
    for t in range(steps):
        d = np.diff(x)
        f = k * (d - 1.0)
        a = np.zeros_like(x)
        a[:-1] += f
        a[1:] -= f
        v = v + dt * a
        x = x + dt * v
    return np.sum(x * x)


def chain_with_slices(x0, k, steps, dt):
    x = x0.copy()
    v = np.zeros_like(x0)
    for t in range(steps):
        d = x[1:] - x[:-1]
        f = k * (d - 1.0)
        a = np.zeros_like(x)
        a[:-1] += f
        a[1:] -= f
        v = v + dt * a
        x = x + dt * v
    return np.sum(x * x)


def differences_once(x):
    # outside a loop the call stays
    return np.sum(np.diff(x) ** 2)


_r = np.random.default_rng(2)
ARGS = (np.arange(8.0) + 0.1 * _r.standard_normal(8), _r.uniform(0.5, 1.5, 7), 4, 0.05)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_chain_with_np_diff_has_the_gradient(target):
    value, _ = sd.value_and_grad(chain_with_diff, wrt=(0, 1), target=target)(*ARGS)
    assert value == pytest.approx(chain_with_diff(*ARGS), rel=1e-12)
    check_grad(chain_with_diff, ARGS, (0, 1), target)


def test_np_diff_in_a_loop_is_the_step_written_with_slices():
    def adjoint_of(f):
        source = sd.value_and_grad(f, wrt=(0, 1), target="python").source_for(*ARGS)
        return source.split("\n", 1)[1].split("_grad(", 1)[1]
    source = adjoint_of(chain_with_diff)
    assert ".append(" not in source, source
    # the same reverse sweep as the sliced step's, names aside
    assert source.count("for j in range(") == adjoint_of(chain_with_slices).count(
        "for j in range(")


def test_np_diff_outside_loops_stays_a_call():
    x = _r.standard_normal(6)
    assert "np.diff(" in sd.value_and_grad(differences_once, target="python").source_for(x)
    check_grad(differences_once, (x,), 0, "python")
