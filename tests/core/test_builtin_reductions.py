"""NumPy code as users write it, refused or crashing before: Python's own
``max(x)``, ``min(x)`` and ``sum(x)`` of an array (or of a tuple written out),
``x.clip(...)``, ``np.linalg.norm(x, axis=k)``, ``np.stack(..., axis=1)``
or ``axis=-1``, the integer index pairs of ``np.triu_indices`` and
``np.tril_indices`` (refused as having no adjoint), reads through a 2-d
boolean mask (``m[m > 0.5]``: the flattened array read through the flattened
mask; a number written through one a ``np.where``, passes/masks.py), ``...``
in indices (written out as slices once the types are known,
passes/ellipsis.py), and reads picking along one axis with an
index array (``m[:, idx]``: a gather of rows of the swapped array,
passes/axis_gathers.py).  Each is written with the primitives that have rules, so each
is checked against central finite differences (gradient) and directional ones
(tangent) on the python target; one function using all of them is compiled for
cpu (those whose compiled code differs from what other tests compile).
"""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forward"))
from fdcheck import check_grad
from jvpcheck import check_jvp

RNG = np.random.default_rng(7)


def builtin_max_min(x, y):
    return max(x) * min(y) + max((x[0], y[1], 0.3)) - min([x[2], 0.1])


def builtin_sums(x, m):
    # sum of a matrix iterates over its rows: the row of column sums
    return sum(x) + np.sum(sum(m, 1.0) ** 2) + sum((x[0], x[1])) * sum(x, 2.0)


def tuple_held(x):
    # a name bound only to tuples written out, of one length: its elements
    t = (np.sum(x ** 2), np.max(x), x[0])
    return sum(t) + max(t) * min(t)


def clip_method(x):
    return np.sum(x.clip(0.2, 0.7) ** 2 + x.clip(max=0.5) * x.clip(min=0.3))


def norms_along(m, w):
    return np.sum(np.linalg.norm(m, axis=0) * w) + np.sum(np.linalg.norm(m.T, 1, 1) ** 2) \
        + np.sum(np.linalg.norm(m, np.inf, axis=1, keepdims=True) * m) \
        + np.linalg.norm(m, "fro") * np.linalg.norm(m.T, ord="fro")


def axes_by_name(m, t3):
    # an axis tuple bound to a name once: the tuple (it was typed as one axis)
    ax = (0, 1)
    both = np.sum(t3 * t3, axis=ax)
    for k in range(2):
        last = (1, 2)
        both = both + np.mean(t3, axis=last)[k]
    return np.sum(both ** 2) + np.linalg.norm(m, axis=ax) + np.sum(np.linalg.norm(t3, axis=ax))


def stacked_along(x, y, a, b):
    pairs = np.stack([x, y * y], axis=1) @ np.array([1.0, 2.0])
    last = np.stack((x, np.sin(y)), axis=-1) * np.arange(1.0, 3.0)
    planes = np.stack([a, a * b], axis=-1) ** 2 * np.arange(1.0, 3.0)
    rows = np.stack([a, a * b], axis=1)[:, 1, :]
    return np.sum(pairs) + np.sum(last ** 2) + np.sum(planes) + np.sum(rows ** 3)


def triangles(m, k):
    i, j = np.triu_indices(3, 1)
    a, b = np.tril_indices(m.shape[0])
    return np.sum(m[i, j] ** 2) + np.sum(m[a, b] * k)


def triangles_whole(m, k):
    # the pair as one index: m[iu] is m[rows, cols] (its gradient was all zeros)
    iu = np.triu_indices(3, 1)
    pair = (np.array([0, 2]), np.array([1, 0]))
    return np.sum(m[iu] ** 2) + np.sum(m[np.tril_indices(3)] * k) + np.sum(m[pair] ** 3)


def masked_2d(m, w):
    big = m > 0.5
    return np.sum(m[big] ** 2) + np.sum(w[m < 0.3]) * np.sum(m[w > 0.0])


def masked_2d_writes(w, x, c):
    # a number written through a 2-d mask: np.where into the whole array, in place
    h = x @ w
    h[h < 0] = 0.0
    h[h > 0.4] += c * c
    return np.sum(h ** 2)


def axis_reads(m, t3):
    # one axis picked by an index array, the others whole (repeats add up)
    idx = np.array([0, 2, 2, 1])
    a = m[idx, :]
    b = m[:, idx]
    c = t3[:, idx]
    d = t3[:, :, np.array([1, 0, 1])]
    return np.sum(a ** 2) + np.sum(b * b * b) + np.sum(np.sin(c)) + np.sum(d[:, 0, :] ** 2)


def pair_rows(x, t3):
    # index arrays on the leading axes, the last left whole: one row per pair
    diff = x[:, None, :] - x[None, :, :]
    iu, ju = np.triu_indices(x.shape[0], 1)
    i, j = np.array([0, 1, 0]), np.array([2, 2, 2])
    return np.sum(np.linalg.norm(diff[iu, ju], axis=-1)) + np.sum(t3[i, j] ** 2)


def sorted_rows(m, w):
    # np.sort of a matrix sorts each row (its last axis, also when written axis=-1)
    s = np.sort(m)
    return np.sum(s[:, -1] * w) + np.sum(np.sort(m * m, axis=-1) ** 2 * np.arange(1.0, 4.0))


def medians(x, m):
    # the middle of the sorted array (the mean of two for an even count); the
    # diagonal's index pair from np.diag_indices
    d = np.diag_indices(m.shape[0])
    return np.median(x) * 2.0 + np.median(m ** 2) + np.sum(m[d] ** 3) + np.median(x[:4])


def logical_masks(x, m):
    inside = np.logical_and(x > 0.0, x < 1.0)
    small = np.logical_not(np.logical_or(m > 0.5, m < -0.5))
    return np.sum(x[inside] ** 2) + np.sum(np.where(small, m, 0.0) ** 2) \
        + np.sum(m[np.logical_xor(m > 0, m > 1)])


def nonzeros(x, m):
    i = np.nonzero(x > 0.2)
    r, c = np.nonzero(m > 0.0)
    k = np.flatnonzero(x < 0.0)
    return np.sum(x[i] ** 2) + np.sum(m[r, c] ** 3) + np.sum(x[k]) + np.sum(m[np.nonzero(m < 0.0)])


def ellipses(m, v):
    a = m[..., 0]
    b = m[0, ...]
    out = np.zeros_like(v)
    out[...] = v * 2.0
    out[..., 1] += a[0, :]
    # new axes beside '...': placed from the front before it, from the back after it
    c = m[None, ...] * m[:, None, ...] + m[..., None][..., 0]
    d = v[..., None, None] * np.arange(1.0, 3.0)[:, None, None] + np.sum(v[None, ..., 1:2, None])
    return np.sum(a ** 2) + np.sum(b * b[..., ::-1]) + np.sum(out ** 2) + np.sum(m[...] * 0.5) \
        + np.sum(c ** 2) + np.sum(d ** 3)


def all_of_them(x, y, m):
    # (compiled for cpu: the forms whose code differs from what other tests compile,
    # the helpers first_axis_last and unsort_rows, np.triu_indices and np.nonzero,
    # the flattened mask, the swapped-axis gather; the other rewrites make
    # primitives compiled elsewhere)
    pairs = np.stack([x, y], axis=-1)
    iu = np.triu_indices(3)
    return max(x) * np.sum(pairs ** 2) + np.sum(m[iu] ** 2) + np.sum(m[m > 0.1] ** 3) \
        + np.sum(m[:, np.array([2, 0, 2])] ** 2) + np.sum(np.sort(m)[:, -1]) \
        + np.median(m) + np.sum(m[np.nonzero(m > 0.0)])


X = np.array([0.11, 0.63, 0.42, 0.87, 0.25])
Y = np.array([-0.9, 0.35, 1.4, 0.05, 0.6])
M = RNG.normal(size=(3, 5))
A, B = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
CASES = [
    (builtin_max_min, (X, Y), (0, 1)),
    (builtin_sums, (X, M), (0, 1)),
    (tuple_held, (np.array([0.5, -1.0, 2.0]),), 0),
    (clip_method, (np.array([0.11, 0.35, 0.46, 0.63, 0.84]),), 0),
    (norms_along, (M, RNG.normal(size=5)), (0, 1)),
    (stacked_along, (X, Y, A, B), (0, 1, 2, 3)),
    (axes_by_name, (RNG.normal(size=(3, 4)), RNG.normal(size=(2, 3, 4))), (0, 1)),
    (triangles, (RNG.normal(size=(3, 3)), 0.7), (0, 1)),
    (triangles_whole, (RNG.normal(size=(3, 3)), 0.7), (0, 1)),
    (masked_2d, (np.linspace(0.12, 0.91, 12).reshape(3, 4),
                 np.linspace(-1.0, 1.0, 12).reshape(3, 4) + 0.03), (0, 1)),
    (ellipses, (RNG.normal(size=(2, 3, 4)), RNG.normal(size=(3, 2))), (0, 1)),
    (masked_2d_writes, (np.array([[0.37, -0.74], [0.185, 0.481]]),
                        np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.2]]), 0.7), (0, 1, 2)),
    (axis_reads, (RNG.normal(size=(3, 3)), RNG.normal(size=(2, 3, 4))), (0, 1)),
    (pair_rows, (RNG.normal(size=(4, 2)), RNG.normal(size=(2, 3, 4))), (0, 1)),
    (logical_masks, (np.array([0.3, -1.2, 0.8, 2.0, 0.1]), RNG.normal(size=(2, 3))), (0, 1)),
    (nonzeros, (np.array([0.3, -1.2, 0.8, 2.0, 0.1]), RNG.normal(size=(2, 3))), (0, 1)),
    (medians, (np.array([0.3, -1.2, 0.8, 2.0, 0.1]), RNG.normal(size=(3, 3))), (0, 1)),
    (sorted_rows, (np.array([[0.3, -1.2, 0.8], [2.0, 0.1, -0.4]]), np.array([1.5, -0.5])),
     (0, 1)),
]


@pytest.mark.parametrize("f,args,wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_and_tangent(f, args, wrt):
    check_grad(f, args, wrt, "python")
    check_jvp(f, args, wrt, "python")


def test_all_of_them_compiled():
    check_grad(all_of_them, (X, Y, M[:, :5]), (0, 1, 2), "cpu")


def test_the_values_are_numpys():
    """The rewrites compute what Python and NumPy compute (the primal)."""
    for f, args, _ in CASES:
        value, _ = sd.value_and_grad(f, target="python")(*args)
        assert value == pytest.approx(f(*args), rel=1e-14), f.__name__


def test_what_stays_refused_is_a_located_error():
    def stack_middle(a):
        return np.sum(np.stack([a, a], axis=2))

    def norm_ord3(m):
        return np.sum(np.linalg.norm(m, 3, axis=0))

    def masked_write(m):
        m = m.copy()
        m[m > 0.5] = m[m < 0.5]
        return np.sum(m)

    def matrix_norm_ord(m):
        # two axes make a matrix norm: ord 1 is the largest column sum there
        return np.linalg.norm(m, ord=1, axis=(0, 1))

    def sort_columns(m):
        return np.sum(np.sort(m, axis=0)[0] ** 2)

    def pair_rows_write(m):
        t = np.zeros((2, 2, 3))
        t[np.array([0, 1]), np.array([1, 1])] = m
        return np.sum(t)

    for fn, words in ((stack_middle, "axis=0, 1 or -1"), (norm_ord3, "ord None, 1, 2"),
                      (masked_write, "boolean mask of 2"),
                      (pair_rows_write, "leave axes unindexed"),
                      (sort_columns, "'axis=' of 'np.sort' is not supported"),
                      (matrix_norm_ord, "over two axes as the Frobenius norm only")):
        with pytest.raises(sd.TransformError, match=words) as err:
            sd.grad(fn, target="python")(np.ones((2, 2)))
        assert "test_builtin_reductions.py" in str(err.value), fn.__name__
