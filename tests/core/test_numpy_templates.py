"""NumPy functions written with others (``passes/numpy_templates.py``): ``np.full_like``,
``np.average``, ``np.take``, ``np.meshgrid``, ``np.logaddexp.reduce`` (and base 2),
``np.gradient``, ``np.percentile``/``np.quantile``, ``np.linalg.matrix_power``,
``np.convolve``, ``np.bincount`` and the one-argument ``np.where(c)``; refused before ("no derivative rule"), and ``np.where(c)``
crashed inside the library.  Each is checked against finite differences, forward mode,
NumPy's own values (check_grad) and, where JAX is installed, ``jax.grad`` of the same
source with ``jax.numpy``; the forms a template does not cover are refused at the line."""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.errors import TransformError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forward"))
from fdcheck import check_grad
from jaxcheck import jax_grad
from jvpcheck import check_jvp


def full_like(x, v):
    return np.sum(np.full_like(x, v) * x) + np.sum(np.full_like(x, 2.0) * v)


def average_weighted(x, w):
    return np.average(x ** 2, weights=w) + np.average(x)


def average_along_axis(m):
    return np.sum(np.average(m, axis=1) ** 2) + np.sum(np.average(m, 0, keepdims=True) * m)


def take(x, w):
    idx = np.array([2, 0, 1, 1])
    return np.sum(np.take(x, idx) * w[0]) + np.sum(np.take(x, np.array([0, 1]), axis=0) ** 2)


def take_of_a_matrix(m):
    return np.sum(np.take(m, np.array([5, 0, 5])) ** 2) + np.sum(np.take(m, np.array([1]), 0)) \
        + np.sum(m.take(np.array([3, 1])) ** 2) * np.sum(m.take(np.array([0]), axis=0))


def meshgrid_xy(x, y):
    X, Y = np.meshgrid(x, y)
    return np.sum(np.sin(X) * Y ** 2 + X * Y * np.arange(X.shape[1]))


def meshgrid_ij(x, y):
    X, Y = np.meshgrid(x, y, indexing="ij")
    return np.sum(np.sin(X) * Y ** 2 + X * Y * np.arange(X.shape[1]))


def log_add_exp_reduce(x, w):
    return np.logaddexp.reduce(x * w) + np.sum(np.logaddexp2.reduce(np.outer(x, w), axis=1))


def log_add_exp_reduce_axes(m):
    return np.sum(np.logaddexp.reduce(m) ** 2) + np.logaddexp.reduce(m, axis=None) \
        + np.sum(np.logaddexp.reduce(m, axis=1, keepdims=True) * m)


def gradient_1d(x, w):
    return np.sum(np.gradient(x * w) ** 2) + np.sum(np.gradient(x, 0.5) * w)


def percentiles(x, w):
    return np.percentile(x * w, 90) + np.quantile(x, 0.25) + np.percentile(x, 0) \
        + np.quantile(x * w, 1.0) + np.percentile(x, 50.0)


def matrix_powers(a, w):
    return (np.sum(np.linalg.matrix_power(a, 5) * w[0]) + np.trace(np.linalg.matrix_power(a, -2))
            + np.sum(np.linalg.matrix_power(a, 1)) + np.sum(np.linalg.matrix_power(a, 2) ** 2)
            + np.sum(np.linalg.matrix_power(a, 0) * a))


def where_positions(x, w):
    return np.sum(x[np.where(x > 0)] ** 2) + np.sum(w[np.where(w < 0)[0]]) \
        + np.sum(x[np.where(w > 0)])


def where_positions_of_a_matrix(m):
    y = m.copy()
    y[np.where(m < 0)] *= 0.5
    return np.sum(m[np.where(m > 0)] ** 3) + np.sum(y * y)


def stack_with_the_axis_by_position(x, w):
    return np.sum(np.stack([x, w], -1) ** 2 * np.arange(2.0)) + \
        np.sum(np.concatenate([x, w], 0) ** 3)


def convolutions(x, w):
    return (np.sum(np.convolve(x, w[:3]) ** 2) + np.sum(np.convolve(w[:2], x, mode="same") * x)
            + np.sum(np.convolve(x, w[:3], "valid") ** 3)
            + np.sum(np.convolve(w[:3], x, "same") ** 2) + np.sum(np.convolve(w[:4], x[:4])))


def bin_sums(x, w):
    idx = np.array([0, 2, 2, 4, 1])
    counts = np.bincount(idx)
    return np.sum(np.bincount(idx, weights=x * w) ** 2 * counts) \
        + np.sum(np.bincount(idx, x, 7) * np.arange(7.0))


def compiled_ones(x, w, m):
    """The forms whose templates make code no other test compiles (int positions, loops,
    np.add.at into counts, a tuple of index arrays, grids, the 1-d guard), in one function:
    one cpu compile for all of them.  The others are calls the NumPy rule tests compile
    already (np.mean along an axis, ravel and index, stack, inv and @): python target."""
    return (meshgrid_xy(x, w[:3]) + meshgrid_ij(x, w[:3]) + log_add_exp_reduce(x, w)
            + gradient_1d(x, w) + percentiles(x, w) + where_positions(x, w)
            + where_positions_of_a_matrix(m) + convolutions(x, w) + bin_sums(x, w))


X = np.array([0.3, -0.7, 1.1, 0.45, -0.2])
W = np.array([0.8, -0.35, 0.6, -1.2, 0.9])
M = np.array([[0.2, -0.4, 0.9, 1.4], [1.3, 0.5, -0.8, 0.1], [-0.6, 0.75, 0.35, -1.1]])
A = np.array([[2.1, 0.3, -0.4], [0.2, 1.8, 0.5], [-0.3, 0.1, 2.4]])
CASES = {
    "full_like": (full_like, (X, 0.7)),
    "average_weighted": (average_weighted, (X, np.abs(W) + 0.1)),
    "average_along_axis": (average_along_axis, (M,)),
    "take": (take, (X, W)),
    "take_of_a_matrix": (take_of_a_matrix, (M,)),
    "meshgrid_xy": (meshgrid_xy, (X, W[:3])),
    "meshgrid_ij": (meshgrid_ij, (X, W[:3])),
    "log_add_exp_reduce": (log_add_exp_reduce, (X, W)),
    "log_add_exp_reduce_axes": (log_add_exp_reduce_axes, (M,)),
    "gradient_1d": (gradient_1d, (X, W)),
    "percentiles": (percentiles, (X, W)),
    "matrix_powers": (matrix_powers, (A, W)),
    "where_positions": (where_positions, (X, W)),
    "where_positions_of_a_matrix": (where_positions_of_a_matrix, (M,)),
    "stack_with_the_axis_by_position": (stack_with_the_axis_by_position, (X, W)),
    "convolutions": (convolutions, (X, W)),
    "bin_sums": (bin_sums, (X, W)),
}


def _wrt(args):
    return tuple(range(len(args))) if len(args) > 1 else 0


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_and_tangent_python(name):
    f, args = CASES[name]
    check_grad(f, args, wrt=_wrt(args), target="python")
    check_jvp(f, args, wrt=_wrt(args), target="python")


def test_gradient_compiled():
    check_grad(compiled_ones, (X, W, M), wrt=(0, 1, 2), target="cpu")


def test_second_derivatives_through_a_template():
    f, args = CASES["log_add_exp_reduce"]
    h = sd.hessian(f, wrt=0, target="python")(*args)
    eps = 1e-6
    g = sd.grad(f, wrt=0, target="python")
    for k in range(len(X)):
        step = np.zeros_like(X)
        step[k] = eps
        column = (g(X + step, W) - g(X - step, W)) / (2 * eps)
        np.testing.assert_allclose(h[:, k], column, rtol=1e-6, atol=1e-8)


# np.where(c) and np.bincount have value-dependent shapes, which jax.grad cannot trace
JAX_LEFT_OUT = {"where_positions", "where_positions_of_a_matrix", "bin_sums"}


@pytest.mark.parametrize("name", sorted(set(CASES) - JAX_LEFT_OUT))
def test_agrees_with_jax(name):
    f, args = CASES[name]
    wrt = _wrt(args)
    ours = sd.grad(f, wrt=wrt, target="python")(*args)
    ours = ours if isinstance(wrt, tuple) else (ours,)
    for a, b in zip(ours, jax_grad(f, args, wrt)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# -- the forms no template covers: refused at the call, saying what is ------------------
def gradient_of_a_matrix(m):
    return np.sum(np.gradient(m) ** 2)


def gradient_with_coordinates(x, t):
    return np.sum(np.gradient(x, t))


def meshgrid_of_three(x):
    a, b, c = np.meshgrid(x, x, x)
    return np.sum(a * b * c)


def take_along_another_axis(m):
    return np.sum(np.take(m, np.array([0]), axis=1))


def average_weighted_along_an_axis(m, w):
    return np.sum(np.average(m, axis=0, weights=w))


def percentile_of_a_variable(x, q):
    return np.percentile(x, q)


def percentile_out_of_range(x):
    return np.percentile(x, 120)


def matrix_power_of_a_variable(a, k):
    return np.sum(np.linalg.matrix_power(a, k))


def convolve_of_a_matrix(m):
    return np.sum(np.convolve(m, m[0]))


def convolve_by_a_mode_variable(x, mode):
    return np.sum(np.convolve(x, x, mode=mode))


REFUSED = [
    (convolve_of_a_matrix, (M,), "np.convolve are supported for 1-d arrays"),
    (convolve_by_a_mode_variable, (X, "wide"), "mode must be 'full', 'same' or 'valid'"),
    (gradient_of_a_matrix, (M,), "np.convolve are supported for 1-d arrays"),
    (gradient_with_coordinates, (X, X), "constant spacing"),
    (meshgrid_of_three, (X,), "2 arguments given by position"),
    (take_along_another_axis, (M,), "axis=None or axis=0"),
    (average_weighted_along_an_axis, (M, X[:3]), "weights are supported without an axis"),
    (percentile_of_a_variable, (X, 50.0), "one constant q in [0, 100]"),
    (percentile_out_of_range, (X,), "one constant q in [0, 100]"),
    (matrix_power_of_a_variable, (A, 2), "a constant int power"),
]


@pytest.mark.parametrize("f, args, message", REFUSED, ids=[r[0].__name__ for r in REFUSED])
def test_refused_at_the_line(f, args, message):
    with pytest.raises(TransformError) as info:
        sd.grad(f, target="python")(*args)
    text = str(info.value)
    assert message in text
    assert f"test_numpy_templates.py:{f.__code__.co_firstlineno + 1}:" in text
