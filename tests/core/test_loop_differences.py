"""``np.diff(x)`` of a vector inside a loop is written ``x[1:] - x[:-1]``
(passes/differences.py), which the element loops of passes/lower.py read: a
mass chain's step with ``np.diff`` runs as the same step written with slices.
Differences along an axis (``axis=``) and repeated ones (``n=``) are slices too,
inside loops and outside (passes/normalize.py)."""
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


def grid_differences(X, steps):
    s = 0.0
    for t in range(steps):
        d = np.diff(X, axis=1)
        e = np.diff(X, 2, 0)
        s += np.sum(d * d) + np.sum(np.sin(e))
        X = X * 0.9 + 0.01 * np.cos(X)
    return s


def third_differences(x, steps):
    s = 0.0
    for t in range(steps):
        s += np.sum(np.diff(x, n=3) ** 2)
        x = x - 0.1 * np.sin(x)
    return s


def axis_differences_once(X):
    return np.sum(np.diff(X, axis=0) ** 2) + np.sum(np.diff(X, n=2, axis=-1) ** 3) + \
        np.sum(np.diff(X, axis=-2))


def differences_past_the_axes(X):
    return np.sum(np.diff(X, axis=2))


_X = _r.standard_normal((5, 6))
AXIS_CASES = [(grid_differences, (_X, 3)), (third_differences, (_r.standard_normal(7), 3)),
              (axis_differences_once, (_X,))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f,args", AXIS_CASES, ids=[f.__name__ for f, _ in AXIS_CASES])
def test_differences_along_an_axis_and_repeated_have_the_gradient(f, args, target):
    value, _ = sd.value_and_grad(f, wrt=0, target=target)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    check_grad(f, args, 0, target)


def test_differences_along_an_axis_in_a_loop_are_element_loops():
    source = sd.value_and_grad(grid_differences, wrt=0, target="python").source_for(_X, 3)
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
    for call in ("np.diff(", "np.moveaxis(", ".append("):
        assert call not in code, (call, source)


def test_an_axis_past_the_arrays_axes_is_refused_at_the_users_line():
    with pytest.raises(sd.TransformError, match=r"too many indices for a 2-d array") as e:
        sd.grad(differences_past_the_axes, target="python")(_X)
    assert "np.diff(X, axis=2)" in str(e.value)
