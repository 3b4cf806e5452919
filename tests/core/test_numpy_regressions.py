"""Regressions from NumPy code as users write it (issue 11): wrong gradients,
changed values and internal errors that once shipped silently.

Each function is checked on the ``python`` and ``cpu`` targets: the value
against NumPy itself, the gradient against central finite differences (and,
where the issue gave one, against the exact expected gradient), and the
forward-mode tangent against directional finite differences.
"""
import math
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forward"))
from fdcheck import cached_value_and_grad, check_grad
from jvpcheck import check_jvp

TARGETS = ["python", "cpu"]
RNG = np.random.default_rng(11)


def linspace_dot(x, y, w):
    return np.sum(np.linspace(x, y, 5) * w)


def mean_keep(x, w):
    return np.sum(np.mean(x, axis=1, keepdims=True) * w)


def max_keep(x, w):
    return np.sum(np.max(x, axis=1, keepdims=True) * w)


def min_keep_last(y):
    return np.sum(np.min(y, axis=-1, keepdims=True) * np.arange(3.0).reshape(3, 1))


def prod_keep(x, w):
    return np.sum(np.prod(x, axis=1, keepdims=True) * w)


def sum_keep0(x, w):
    return np.sum(np.sum(x, axis=0, keepdims=True) * w)


def prod3(x):
    return np.sum(np.prod(x, axis=0) ** 2) + np.sum(np.prod(x, axis=1)) + np.sum(np.prod(x, -1))


def maxmin3(x):
    return np.sum(np.max(x, axis=1) * np.min(x, axis=2).sum())


def axis_tuple(x):
    return np.sum(np.sum(x ** 2, axis=(1, 2)) * np.mean(x, axis=(0, 2)).sum())


def axis_tuple_neg_keep(x, w):
    return np.sum(np.max(x, axis=(-1, -3), keepdims=True) * w)


def axis_none_keep(x):
    return np.sum(np.mean(x, axis=None) * x) + np.sum(np.sum(x, keepdims=True) * x)


def broadcast3(x, y, z):
    return np.sum(x * y) + np.sum(np.sin(x) * z)


def power_base0(y):
    return np.power(0.0, y)


def power_exp0(x):
    return np.power(x, 0.0) + x ** 0.0


def power_arrays(x, y):
    return np.sum(np.power(x, y))


def dot_scalar(x):
    return np.sum(np.dot(x, 0.7)) + np.dot(0.5, x[0])


def matmul_mixed(a, v, m):
    return np.sum(np.matmul(a, v)) + np.sum(v @ a) + np.sum(np.matmul(a, m) * a) + np.matmul(v, v)


def reduce_float(x):
    return np.mean(3.5 * x) + np.prod(x) + np.max(x * 2.0) + np.sum(x) + np.min(x - 1.0)


def where_numbers(x, y):
    t = np.sum(x)
    return np.where(t > y, t * y, 2.0 * t) + np.where(y > 10.0, y, -y)


def array_of_numbers(a, b, c):
    v = np.array([a, b * a, c])
    return np.sum(v * np.arange(1.0, 4.0)) + np.sum(np.asarray((a, c)) ** 2)


def array_of_rows(x, y):
    m = np.array([x, 2.0 * y])
    nested = np.array([[x[0], y[1]], [1.0, x[2]]])
    return np.sum(np.sin(m) * np.arange(6.0).reshape(2, 3)) + np.sum(nested ** 2)


def joined(x, y):
    z = np.concatenate([x, y * y, x[1:]])
    return np.sum(z ** 3) + np.sum(np.stack((x, y), axis=0) * np.array([[1.0], [2.0]]))


def gathers(x, idx):
    rows = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    return np.sum(x[idx] ** 2) + np.sum(x[[0, 2, 2]] * np.arange(1.0, 4.0)) \
        + np.sum(np.sin(x[x > 0.5])) + np.sum(rows[[2, 0]] * x[1])


def variances(x, y):
    return np.var(x) + np.std(x, axis=0, ddof=1).sum() + np.std(x[0]) \
        + np.sum(np.var(x, axis=(0, 1), keepdims=True)) \
        + np.sum(np.std(x, axis=-1, keepdims=True, ddof=1) * y)


def permuted(x, w):
    return np.sum(np.transpose(x, (1, 2, 0)) * w) + np.sum(np.transpose(x[0]) ** 2) \
        + np.sum(x.transpose(0, 2, 1)[1] ** 3) + np.sum(np.moveaxis(x, 0, -1) ** 2) \
        + np.sum(np.swapaxes(x, 0, 2) * np.arange(24.0).reshape(4, 3, 2))


def linear_algebra(a, b):
    return np.linalg.det(a) + np.sum(np.linalg.inv(a) ** 2) + np.sum(np.linalg.solve(a, b) ** 2) \
        + np.linalg.norm(b) + np.sum(np.linalg.solve(a, a.T) * a)


def integrals(y, x, h, Y):
    # np.trapezoid with samples, with a spacing, with neither, and per row
    return np.trapezoid(y * y, x) + np.trapezoid(np.sin(y), dx=h) + np.trapezoid(y) \
        + np.sum(np.trapezoid(Y, x, axis=-1) ** 2)


def in_place_updates(x, lam):
    # forward mode crashed inside the library (an alias check's keyword)
    P = np.ones(3)
    P -= x * x
    P /= lam
    return np.sum(P * P)


def copysigns(x, y, a):
    # math.copysign of numbers and np.copysign of arrays: |x| with y's sign
    s = 0.0
    for i in range(x.shape[0]):
        s += math.copysign(x[i] * a, y[i]) ** 2 + math.copysign(x[i], y[i]) * a
    return s + np.sum(np.copysign(x * x + a, y) * x)


def differences_along_axes(A, B):
    # np.diff along an axis other than the last (moved last, differenced, moved back)
    return np.sum(np.diff(A, axis=0) ** 2) + np.sum(np.diff(A, axis=1) ** 3) \
        + np.sum(np.diff(B, 2, axis=1) * np.diff(B, n=1, axis=-1)[:, 1:])


def divmods(x, p):
    # Python's divmod of numbers: (x // p, x % p)
    q, r = divmod(x, p)
    return r * r + 0.5 * q * x


def sorted_weights(x):
    return np.sum(np.sort(x) * np.arange(5.0))


def einsums(a, b, v):
    c = np.einsum("ij,jk->ik", a, b)
    return np.sum(c * c) + np.einsum("i,i", v, v) + np.sum(np.einsum("ij->j", a) * v) \
        + np.einsum("ii", b) + np.sum(np.einsum("ij,j->i", a, v) ** 2)


def stacked(x, m):
    rows = np.vstack([x, 2.0 * x, m])            # 1-d, 1-d, then 2-d rows
    cols = np.column_stack((x, m.T, x * x))
    flat = np.hstack((x, np.sin(x))) + np.append(x, 3.0 * x[0]).sum()
    return np.sum(rows ** 2) + np.sum(np.cos(cols)) + np.sum(np.hstack((m, m)) * 0.5) \
        + np.sum(flat ** 3) + np.sum(np.append(m, x) ** 2)


def rebound(x, w):
    y = x * w
    y = np.sum(y)             # an array name rebound to a number
    y = y + np.sum(x)
    x = np.mean(x)
    return y * x


def splits(x):
    a, b = np.split(x, 2)
    c = np.array_split(x[1:], 3)           # 5 elements: parts of 2, 2, 1
    p, q, r = np.split(x, [1, 4])
    return np.sum(a * b) + np.sum(c[0] ** 2) + np.sum(c[2] * 3.0) + np.sum(q) * np.sum(r ** 2) \
        + np.sum(p)


def padded(x, m):
    a = np.pad(x, 2)
    b = np.pad(m, (1, 2))
    return np.sum(a * np.arange(a.shape[0])) + np.sum(np.sin(b)) \
        + np.sum(np.atleast_2d(x) ** 2) + np.sum(np.pad(x ** 2, (0, 1)))


def gaussian_terms(b, y):      # a symmetric positive definite matrix from b
    a = np.dot(b, b.T) + 2.0 * np.eye(3)
    sign, logdet = np.linalg.slogdet(a)
    l = np.linalg.cholesky(a)
    z = np.linalg.solve(l, y)
    return 0.5 * np.dot(z, z) + 0.5 * logdet + np.sum(l * l * np.arange(9.0).reshape(3, 3)) * sign


def overlapping_adds(u0, w):
    """``u[1:] += u[:-1]`` reads the old ``u`` (NumPy buffers the overlap); an
    element-by-element add reads what it just wrote (a running sum on cpu)."""
    u = u0 * w
    u[1:] += u[:-1]
    u[:-1] -= u[1:]
    return np.sum(u * u * u)


def overlapping_blocks(a):
    b = a.copy()
    b[1:, 1:] += b[:-1, :-1]
    return np.sum(b * b * b)


def rolled(u, w):
    """A periodic 5-point Laplacian, the way stencils are written with np.roll."""
    lap = np.roll(u, 1, axis=0) + np.roll(u, -1, axis=0) + np.roll(u, 2, axis=1) + \
        np.roll(u, -1, -1) - 4.0 * u
    return np.sum(lap * lap * w)


def rolled3(x):
    return np.sum(np.roll(x, 3, axis=2) * x * np.roll(x, -1, axis=-2))


def clipped(x, lo):
    """One-sided bounds (None) and bounds by keyword."""
    a = np.clip(x, lo, None) + np.clip(x, None, 0.5) + np.clip(x, a_min=-0.3, a_max=0.8) + \
        np.clip(x, None, a_max=0.2) + np.clip(x, None, None)
    return np.sum(a * a * x)


def exp_then_sliced_add(w):
    """The adjoint of exp reads its result: it must see G before the '-='."""
    G = np.exp(w)
    G[1:] -= 1.0
    return np.sum(G * G)


def exp_then_element_adds(w):
    G = np.exp(w)
    for i in range(1, w.shape[0]):
        G[i] -= 1.0
    return np.sum(G * G)


def exp_then_gathered_add(w, idx, c):
    G = np.exp(w)
    G[idx] -= c
    return np.sum(G * G)


def reciprocal_then_row_add(w):
    G = 1.0 / w
    G[1] += 1.0
    return np.sum(G * G)


def exp_gathered_add_in_loop(w, idx, steps):
    for s in range(steps):
        G = np.exp(w)
        G[idx] -= 1.0
        w = w - 0.1 * G
    return np.sum(w * w)


def positional_dtypes(x):
    """``np.zeros(n, np.int64)``: the dtype as the second argument."""
    idx = np.zeros(x.shape[0], np.int64)
    flags = np.zeros_like(x, np.bool_)
    for i in range(x.shape[0]):
        idx[i] = x.shape[0] - 1 - i
        flags[i] = i % 2 == 0
    y = x[idx]
    return np.sum(y * y * np.arange(1.0, x.shape[0] + 1)) + np.sum(x[flags])


def picked(Z, y):
    """One element per row (Z[rows, y], the class-pick of ML losses), per
    column of one row (Z[1, y]), whole rows (Z[y]) and a picked update."""
    rows = np.arange(Z.shape[0])
    p = Z[rows, y]
    G = Z * 1.0
    G[rows, y] -= p * p
    return np.sum(p * p) + np.sum(Z[1, y]) + np.sum(G * G * Z) + np.sum(Z[y]) + np.sum(Z[y, y])


def singular(x):
    return np.sqrt(x) + np.arcsin(x + 1.0) - np.arccos(x - 1.0)   # each slope +inf at 0


def elements_unpacked(r0, k):        # a rotation written as one tuple assignment
    r = r0.copy()
    for step in range(3):
        r[0], r[1] = r[0] + k * r[1], r[1] - k * r[0]
    a, r[2] = r[2] * k, r[0]
    return np.sum(r * r) + a


def new_axes(x, X, C):                # pairwise differences written with None
    d = x[:, None] - x[None, :]
    D = X[:, None, :] - C[None, :, :]
    w = x[1:, np.newaxis] * x[None, :-1] + x[None][0, 0]
    return np.sum(np.sin(d) * d) + np.sum(D * D * D[0, 0, 0]) + np.sum(w * w)


def softmax_rows(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def axis_parameters(Z, ax=1):          # an axis that is a parameter, with keepdims
    return (np.sum(np.sum(Z, axis=ax, keepdims=True) ** 2) + np.sum(softmax_rows(Z) * Z)
            + np.sum(softmax_rows(Z, axis=0) * Z) + np.sum(softmax_rows(Z, 0) ** 3))


def reshaped_views(M, T):             # reshapes of arrays that are not C-contiguous
    w = np.arange(1.0, 13.0)
    heads = np.transpose(T, (1, 0, 2)).reshape(T.shape[1], -1)
    return (np.sum(M.T.reshape(-1) * w) + np.sum(np.exp(M.T).reshape(2, 6) ** 2)
            + np.sum(M[:, ::2].reshape(-1) * w[:6]) + np.sum(np.swapaxes(M, 0, 1).reshape(-1) * M.reshape(-1))
            + np.sum(heads * heads * heads))


def list_columns(X, w):              # lists of ints beside slices in an index
    Y = X[:, [1, 2]] * w
    s = np.sum(Y ** 2) + np.sum(X[[0, 2], :][:, [0, 2]])
    for i in range(X.shape[0]):
        s += np.sum(X[i, [0, 2]] * X[i, [2, 1]])
    X2 = X.copy()
    X2[:, [0, 1]] = X2[:, [0, 1]] * 2.0
    return s + np.sum(X2 ** 3)


def zero_d(x, w):                    # a 0-d array argument (its reverse had no loop to emit)
    y = np.sin(x) * x + w * x * x
    return np.sum(y * y)


X23 = np.array([[0.3, 1.7, -0.4], [2.2, -1.1, 0.9]])
X234 = RNG.uniform(0.5, 1.5, size=(2, 3, 4))
CASES = [
    (linspace_dot, (1.2, 3.4, np.arange(1.0, 6.0)), (0, 1)),
    (mean_keep, (X23, np.array([[1.0], [-2.0]])), 0),
    (max_keep, (X23, np.array([[1.0], [-2.0]])), 0),
    (min_keep_last, (np.array([[0.5, -0.2], [0.3, 0.9], [-1.0, 0.1]]),), 0),
    (prod_keep, (X23, np.array([[1.0], [-2.0]])), 0),
    (sum_keep0, (X23, np.array([[1.0, 2.0, -3.0]])), 0),
    (prod3, (X234,), 0),
    (maxmin3, (X234,), 0),
    (axis_tuple, (X234,), 0),
    (axis_tuple_neg_keep, (X234, RNG.normal(size=(1, 3, 1))), 0),
    (axis_none_keep, (X23,), 0),
    (broadcast3, (X234, RNG.normal(size=4), RNG.normal(size=(3, 1))), (0, 1, 2)),
    (power_arrays, (np.array([0.5, 1.5, 2.0]), np.array([1.5, 0.0, -1.0])), (0, 1)),
    (dot_scalar, (np.array([0.5, -1.0, 2.0]),), 0),
    (matmul_mixed, (RNG.normal(size=(3, 3)), RNG.normal(size=3), RNG.normal(size=(3, 3))),
     (0, 1, 2)),
    (reduce_float, (1.3,), 0),
    (where_numbers, (np.array([0.5, 1.5]), 0.7), (0, 1)),
    (array_of_numbers, (0.5, 1.5, -0.7), (0, 1, 2)),
    (array_of_rows, (np.array([0.3, -0.5, 0.8]), np.array([1.1, 0.4, -0.9])), (0, 1)),
    (joined, (np.array([0.3, -0.5, 0.8]), np.array([1.1, 0.4, -0.9])), (0, 1)),
    (gathers, (np.array([0.3, 0.7, 0.9, -0.2]), np.array([0, 2, 2, 3])), 0),
    (variances, (RNG.uniform(size=(3, 2)), RNG.uniform(size=(3, 1))), (0, 1)),
    (permuted, (X234, RNG.normal(size=(3, 4, 2))), (0, 1)),
    (linear_algebra, (RNG.uniform(size=(3, 3)) + 2.0 * np.eye(3), RNG.normal(size=3)), (0, 1)),
    (sorted_weights, (np.array([0.3, -1.0, 2.0, 0.1, 0.7]),), 0),
    (divmods, (7.3, 2.1), (0, 1)),
    (differences_along_axes, (np.sin(np.arange(12.0)).reshape(4, 3),
                              np.cos(np.arange(15.0)).reshape(3, 5)), (0, 1)),
    (copysigns, (np.array([0.3, -0.7, 1.2, -0.2]), np.array([-1.0, 2.0, 0.5, -0.3]), 0.8),
     (0, 2)),
    (in_place_updates, (np.array([0.3, -0.5, 1.2]), 0.9), (0, 1)),
    (integrals, (RNG.normal(size=5), np.sort(RNG.uniform(size=5)), 0.3, RNG.normal(size=(2, 5))),
     (0, 1, 2, 3)),
    (einsums, (RNG.normal(size=(3, 3)), RNG.normal(size=(3, 3)), RNG.normal(size=3)), (0, 1, 2)),
    (stacked, (RNG.normal(size=3), RNG.normal(size=(2, 3))), (0, 1)),
    (rebound, (RNG.normal(size=3), RNG.normal(size=3)), (0, 1)),
    (splits, (RNG.normal(size=6),), 0),
    (padded, (RNG.normal(size=3), RNG.normal(size=(2, 3))), (0, 1)),
    (gaussian_terms, (RNG.normal(size=(3, 3)), RNG.normal(size=3)), (0, 1)),
    (overlapping_adds, (RNG.normal(size=5), RNG.normal(size=5)), (0, 1)),
    (overlapping_blocks, (RNG.normal(size=(3, 4)),), 0),
    (rolled, (RNG.normal(size=(3, 5)), RNG.normal(size=(3, 5))), (0, 1)),
    (rolled3, (X234,), 0),
    (clipped, (np.array([-0.9, -0.1, 0.35, 0.65, 1.3]), 0.1), (0, 1)),
    (exp_then_sliced_add, (np.array([0.3, 0.5, 1.0]),), 0),
    (exp_then_element_adds, (np.array([0.3, 0.5, 1.0]),), 0),
    (exp_then_gathered_add, (np.array([0.3, 0.5, 1.0, -0.4]), np.array([1, 3]), 0.7), (0, 2)),
    (reciprocal_then_row_add, (np.array([[0.3, 0.5], [1.5, -0.8], [2.0, 0.9]]),), 0),
    (picked, (RNG.normal(size=(3, 2)), np.array([0, 1, 1])), 0),
    (positional_dtypes, (np.array([1.0, 2.0, -3.0]),), 0),
    (exp_gathered_add_in_loop, (np.linspace(0.0, 1.0, 4), np.array([0, 2]), 3), 0),
    (elements_unpacked, (np.array([0.3, -1.2, 0.5]), 0.4), (0, 1)),
    (new_axes, (RNG.normal(size=4), RNG.normal(size=(3, 2)), RNG.normal(size=(2, 2))), (0, 1, 2)),
    (axis_parameters, (np.array([[0.3, -1.2, 0.5, 2.0], [1.1, 0.4, -0.7, 0.2]]),), 0),
    (reshaped_views, (np.sin(np.arange(12.0)).reshape(3, 4), np.cos(np.arange(24.0)).reshape(2, 3, 4)),
     (0, 1)),
    (list_columns, (np.arange(12.0).reshape(4, 3) / 7.0, 0.7), (0, 1)),
    (zero_d, (np.array(0.7), 0.3), (0, 1)),
]


# Every case's adjoint runs on the python target; on cpu these few are left out because
# the same construct is compiled for cpu elsewhere (a Numba compile per case is most of
# this file's time): linspace_dot and mean_keep by test_exact_gradients_from_the_issue[cpu]
# (exact gradients), min_keep_last by test_keepdims_keeps_the_value[cpu] (value and
# gradient), max_keep by axis_tuple_neg_keep (np.max with keepdims), sum_keep0 by
# axis_none_keep (np.sum with keepdims) and rolled by rolled3 (np.roll along positive and
# negative axes) here.
GRAD_NOT_CPU = {"linspace_dot", "mean_keep", "min_keep_last", "max_keep", "sum_keep0", "rolled"}
GRAD_CASES = [(*c, "python") for c in CASES] + \
    [(*c, "cpu") for c in CASES if c[0].__name__ not in GRAD_NOT_CPU]


@pytest.mark.parametrize("f,args,wrt,target", GRAD_CASES,
                         ids=[f"{c[0].__name__}-{c[3]}" for c in GRAD_CASES])
def test_grad_and_value(f, args, wrt, target):
    check_grad(f, args, wrt, target)


# The tangent code is the same on both targets: every case runs it on the python
# target, and these (keepdims and axis tuples, broadcasting, the linear algebra,
# einsum, permutations, rolls and gathers, whose tangents call runtime helpers or
# reshape) compile it for cpu too: a Numba compile per case was a tenth of the
# suite's time.
JVP_CPU = {"prod_keep", "axis_tuple_neg_keep", "broadcast3", "linear_algebra", "einsums",
           "permuted", "gaussian_terms", "rolled3", "picked", "new_axes", "gathers",
           "variances", "sorted_weights", "stacked", "padded"}
JVP_CASES = [(*c, "python") for c in CASES] + \
    [(*c, "cpu") for c in CASES if c[0].__name__ in JVP_CPU]


@pytest.mark.parametrize("f,args,wrt,target", JVP_CASES,
                         ids=[f"{c[0].__name__}-{c[3]}" for c in JVP_CASES])
def test_jvp(f, args, wrt, target):
    check_jvp(f, args, wrt, target)


@pytest.mark.parametrize("target", TARGETS)
def test_exact_gradients_from_the_issue(target):
    _, g = cached_value_and_grad(linspace_dot, (0, 1), target)(1.2, 3.4, np.arange(1.0, 6.0))
    np.testing.assert_allclose(g, (5.0, 10.0), rtol=1e-14)
    _, g = cached_value_and_grad(mean_keep, 0, target)(X23, np.array([[1.0], [-2.0]]))
    np.testing.assert_allclose(g, [[1 / 3] * 3, [-2 / 3] * 3], rtol=1e-14)


@pytest.mark.parametrize("target", TARGETS)
def test_keepdims_keeps_the_value(target):
    y = np.array([[0.5, -0.2], [0.3, 0.9], [-1.0, 0.1]])
    v, g = cached_value_and_grad(min_keep_last, 0, target)(y)
    assert v == pytest.approx(-1.7, abs=1e-14) and v == pytest.approx(min_keep_last(y))
    # the gradient too: np.min along the last axis with keepdims, row by row (the minima
    # -0.2, 0.3 and -1.0 weighted 0, 1, 2)
    np.testing.assert_array_equal(g, [[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])


@pytest.mark.parametrize("target", TARGETS)
def test_power_at_base_zero_as_jax(target):
    v, g = cached_value_and_grad(power_base0, 0, target)(2.0)
    assert (v, g) == (0.0, 0.0)
    v, g = cached_value_and_grad(power_exp0, 0, target)(0.0)
    assert (v, g) == (2.0, 0.0)


def abs_at_zero(x, y):
    """Every spelling of abs, at 0.0 and -0.0 (a new user found slope 0 here;
    JAX's is 1: x >= 0 ? 1 : -1)."""
    return abs(x) + math.fabs(x) + np.sum(np.abs(y)) + np.sum(np.fabs(y) * 2.0)


@pytest.mark.parametrize("target", TARGETS)
def test_abs_at_zero_as_jax(target):
    y = np.array([0.0, -0.0, -2.0, 3.0])
    _, (gx, gy) = cached_value_and_grad(abs_at_zero, (0, 1), target)(0.0, y)
    assert gx == 2.0
    np.testing.assert_array_equal(gy, [3.0, 3.0, -3.0, 3.0])
    _, tangent = sd.jvp(abs_at_zero, wrt=(0, 1), target=target)(-0.0, y, (1.0, np.ones(4)))
    assert tangent == 2.0 + 3.0 * 3.0 - 3.0
    jax = pytest.importorskip("jax", reason="JAX is an optional peer; the slopes above are "
                                            "the ones it gives")
    jax.config.update("jax_enable_x64", True)
    jf = types.FunctionType(abs_at_zero.__code__, {**abs_at_zero.__globals__,
                                                   "np": jax.numpy, "math": jax.numpy},
                            "abs_at_zero")
    ref = jax.grad(jf, argnums=(0, 1))(0.0, y)
    assert gx == float(ref[0])
    np.testing.assert_array_equal(gy, np.asarray(ref[1]))


def truncated_roots(v, w):
    """Square roots of what np.maximum, np.minimum, np.fmax, np.fmin and np.clip leave
    of a vector: where an operand lost, the root's adjoint is infinite (a new user's
    full-truncation Heston scheme, np.sqrt(np.maximum(v, 0.0)), had NaN there)."""
    return np.sum(np.sqrt(np.maximum(v, 0.0)) + np.sqrt(-np.minimum(v, 0.0))
                  + np.sqrt(np.fmax(v, 0.0)) + np.sqrt(-np.fmin(v, 0.0))
                  + np.sqrt(np.clip(v, 0.0, None)) + np.sqrt(np.maximum(w, v)))


@pytest.mark.parametrize("target", TARGETS)
def test_an_infinite_adjoint_does_not_reach_the_operand_that_lost(target):
    v = np.array([0.04, -0.01, 0.09, -0.25])
    w = np.array([0.01, 0.04, 1.0, 1.0])
    _, (gv, gw) = cached_value_and_grad(truncated_roots, (0, 1), target)(v, w)
    # d sqrt(t)/dt = 1 / (2 sqrt(t)) where the element is kept, 0 where it lost (as the
    # numbers' max and min and PyTorch's maximum give): v[0] is kept by all four of
    # maximum, fmax, clip and maximum(w, v); v[2] by the first three; v[1] and v[3] by
    # minimum and fmin, as -v; w by maximum(w, v) where it is larger
    root = 0.5 / np.sqrt(np.abs(v))
    np.testing.assert_allclose(gv, root * [4.0, -2.0, 3.0, -2.0], rtol=1e-14)
    np.testing.assert_allclose(gw, [0.0, 2.5, 0.5, 0.5], rtol=1e-14)


def hypot_at_zero(x, y):
    """hypot where both arguments are zero (a random program found NaN here;
    JAX gives 0): scalars and arrays."""
    return math.hypot(x[0] - x[0], y[0] - y[0]) + np.sum(np.hypot(x - x, y - y)) + \
        np.sum(np.hypot(x, y))


@pytest.mark.parametrize("target", TARGETS)
def test_hypot_at_zero_as_jax(target):
    x, y = np.array([0.3, 0.0]), np.array([0.4, 0.0])
    _, (gx, gy) = cached_value_and_grad(hypot_at_zero, (0, 1), target)(x, y)
    np.testing.assert_allclose(gx, [0.6, 0.0], rtol=1e-14)
    np.testing.assert_allclose(gy, [0.8, 0.0], rtol=1e-14)
    tangent = sd.jvp(hypot_at_zero, wrt=(0, 1), target=target)(x, y, (np.ones(2), np.ones(2)))
    assert np.isfinite(tangent[1])


@pytest.mark.parametrize("target", TARGETS)
def test_singular_points_give_inf_not_an_exception(target):
    with np.errstate(divide="ignore", invalid="ignore"):
        v, g = cached_value_and_grad(singular, 0, target)(0.0)
    assert v == pytest.approx(singular(0.0))
    assert g == np.inf


def test_bad_reduction_arguments_are_located_errors():
    def f(x):
        return np.sum(x, axis=(0, -1))

    def g(x):
        return np.mean(x, axis=1, keepdims=x[0] > 0)

    def h(x):
        parts = [x, x]
        return np.sum(np.stack(parts))

    def t(x):
        return np.sum(np.trapezoid(x, axis=0))

    for fn, words in ((f, "mixing negative"), (g, "keepdims must be"), (h, "list literals"),
                      (t, "last axis only")):
        with pytest.raises(sd.TransformError, match=words) as err:
            sd.grad(fn, target="python")(np.ones((2, 3)))
        assert "test_numpy_regressions.py" in str(err.value)


def test_a_name_rebound_in_a_loop_is_still_a_located_error():
    def f(x, n):
        for _ in range(n):
            x = np.sum(x)
        return x

    with pytest.raises(sd.TransformError, match="'x' holds an array .* and a number"):
        sd.grad(f, target="python")(np.ones(3), 3)

    def written_out(x):         # (three trips: written out, each a value of its own)
        for _ in range(3):
            x = np.sum(x) * 0.5
        return x

    assert np.allclose(sd.grad(written_out, target="python")(np.ones(3)), 0.125)


def test_unsupported_forms_of_new_functions_are_located_errors():
    def edge_pad(x):
        return np.sum(np.pad(x, 1, mode="edge"))

    def split_runtime(x, k):
        return np.sum(np.split(x, k)[0])

    def einsum_ellipsis(x):
        return np.einsum("...i->...", x).sum()

    def transpose_runtime(x, p):
        return np.sum(np.transpose(x, p))

    cases = ((edge_pad, (np.ones(3),), "np.pad"), (split_runtime, (np.ones(4), 2), "np.split"),
             (einsum_ellipsis, (np.ones((2, 3)),), "subscripts"),
             (transpose_runtime, (np.ones((2, 3)), (1, 0)), "constant permutation"))
    for fn, args, words in cases:
        with pytest.raises(sd.TransformError, match=words) as err:
            sd.grad(fn, target="python")(*args)
        assert "test_numpy_regressions.py" in str(err.value), fn.__name__


def test_a_number_that_becomes_an_array_is_told_how_to_start():
    """``h = 0`` then ``h = h + W[k] * x[k]``: NumPy makes ``h`` an array on the
    first iteration; the message says to start it as one."""
    def layer(x, W):
        h = 0
        for k in range(W.shape[0]):
            h = h + W[k] * x[k]
        return np.sum(np.tanh(h))

    with pytest.raises(sd.TransformError, match=r"'h': .*start it as the array it becomes, "
                                                r"e\.g\. h = np\.zeros\(n\)"):
        sd.grad(layer, target="python")(np.ones(2), np.ones((2, 3)))


def test_linear_algebra_adjoints_use_the_quickly_compiled_helpers():
    """The adjoints of np.linalg.solve and inv transpose into a C-contiguous copy
    (Numba compiles solve and @ once per memory layout) and build the outer
    product with loops (Numba's np.outer compiles in 1.5 s): a weighted
    least-squares fit's first call 8.6 -> 6.6 s."""
    a, b = RNG.uniform(size=(3, 3)) + 2.0 * np.eye(3), RNG.normal(size=3)
    source = sd.grad(linear_algebra, wrt=(0, 1), target="python").source_for(a, b)
    adjoint = source[source.index("def linear_algebra_grad"):]
    assert "np.outer(" not in adjoint and "outer_product(" in adjoint, adjoint
    assert "solve_linear(transposed(" in adjoint and ".T, " not in adjoint, adjoint
