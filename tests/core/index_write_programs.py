"""Index arrays in reads and writes as users write them: repeated indices in
``y[idx] += v`` and ``y[idx] = v`` (NumPy keeps the last value written),
``np.add.at`` (which adds them all),
index arrays computed inside an index (``x[idx + 1]``, ``x[idx2d[0]]``).
tests/core/test_index_writes.py checks them."""
from __future__ import annotations

import numpy as np


def add_at_repeats(x, idx):
    """y[1] += ... twice in one statement adds once (NumPy buffers the write)."""
    y = np.zeros(x.shape[0])
    y[idx] += x[:idx.shape[0]] ** 2
    return np.sum(y * y)


def assign_at_repeats(x, idx):
    y = x * 1.0
    y[idx] = x[:idx.shape[0]] ** 2
    return np.sum(y * y)


def assign_one_value_at_repeats(x, idx):
    y = x * 1.0
    y[idx] = x[0] * x[1]
    return np.sum(y * y * x)


def rows_at_repeats(X, idx):
    """Negative and positive indices of the same row count as repeats."""
    Y = X * 2.0
    Y[idx] += X[:idx.shape[0]] ** 2
    return np.sum(Y * Y)


def columns_at_repeats(X, idx):
    Y = X * 2.0
    Y[:, idx] = np.sin(X[:, :idx.shape[0]])
    return np.sum(Y * Y * X)


def rows_of_an_index_table(x, idx2d):
    y = np.zeros(x.shape[0])
    for k in range(idx2d.shape[0]):
        y[idx2d[k]] += x[idx2d[k]] * x[k]
    return np.sum(y * y)


def named_rows_of_an_index_table(x, idx2d):
    y = np.zeros(x.shape[0])
    for k in range(idx2d.shape[0]):
        ix = idx2d[k]
        y[ix] += x[ix] * x[k]
    return np.sum(y * y)


def masked_add(x):
    y = x.copy()
    y[x > 2.5] += 1.0
    return np.sum(y * y)


def row_as_index(x, idx2d):
    return np.sum(x[idx2d[0]] ** 2)


def shifted_index(x, idx):
    return np.sum(x[idx + 1] ** 2 + x[2 * idx - 1])


def negatives_in_a_loop(W, v, negs):
    """word2vec's negative samples: a row of the sample table picks rows of W."""
    s = 0.0
    for b in range(negs.shape[0]):
        t = W[negs[b]] @ v
        s += np.sum(np.log(1.0 + np.exp(-t)))
    return s


def added_at(x, idx):
    """np.add.at adds every item, repeats included."""
    y = np.zeros(4)
    np.add.at(y, idx, x * x)
    return np.sum(y * y)


def added_at_rows(X, idx, w):
    Y = np.zeros((3, X.shape[1]))
    np.add.at(Y, idx, X * w)
    np.subtract.at(Y, (idx, idx), 0.5)
    return np.sum(Y * Y)


def added_at_a_number(x, idx):
    y = x * 1.0
    np.add.at(y, idx, 2.0)
    return np.sum(y ** 3)


def local_index_array(x):
    """Integers written out make an index array, as in NumPy (not floats)."""
    ii = np.array([0, 2])
    y = x * 1.0
    y[ii] = 0.0
    return np.sum(y) + x[ii[1]] + np.sum(x[ii] ** 2)


def local_mask_and_bound(x):
    m = np.array([True, False, True, False, True])
    k = np.array([2, 3])
    s = np.sum(x[m] ** 2)
    for i in range(k[0]):
        s += x[i] * x[i + 1]
    return s


def constants_with_a_dtype(x):
    ii = np.array([1, 0], dtype=np.int64)
    w = np.array([1, 2], dtype=float)
    return np.sum(x[ii] * w)


def written_constant(x):
    """Each call gets its own copy of the constant."""
    c = np.array([0, 1])
    c[0] = 2
    return x[c[0]] * x[c[1]]


def wrapped_around(x, idx):
    """An index array computed with len() inside the index, in a loop."""
    s = np.sum(x[(idx + 1) % len(x)] ** 2)
    for k in range(3):
        s += np.sum(x[(idx + k) % len(x)] * x[k])
    return s


def assembled(x):
    """Finite-element assembly: a tuple of indices per element ('cannot tape a
    tuple(int, int)' before)."""
    K = np.zeros(x.shape[0])
    for e in range(x.shape[0] - 1):
        dofs = (e, e + 1)
        K[dofs[1]] += x[e]
        K[dofs[0]] += 0.5 * x[e] * x[e + 1]
    return np.sum(K * K)


def pairs_at_repeats(Z, rows, cols):
    """Z[rows, cols] = v with a pair repeated: the last write stays."""
    G = Z * 1.0
    G[rows, cols] = Z[0] * Z[1, 0] * 3.0
    G[rows, cols] -= Z[2, :] ** 2
    return np.sum(G * G * Z)


def binned(x, bins, w):
    """np.digitize: integer bins, no derivative of their own."""
    k = np.digitize(x, bins)
    return np.sum(w[k] * x * x)


def interpolated(xs, ys, q):
    """np.searchsorted of a number, then of an array: piecewise-linear interpolation."""
    j = np.searchsorted(xs, q[0])
    t = (q[0] - xs[j - 1]) / (xs[j] - xs[j - 1])
    jj = np.searchsorted(xs, q)
    tt = (q - xs[jj - 1]) / (xs[jj] - xs[jj - 1])
    return ys[j - 1] * (1.0 - t) + ys[j] * t + np.sum(ys[jj - 1] * (1.0 - tt) + ys[jj] * tt)


def tuple_as_index(K, u):
    """K[ij] with ij = (0, 1) is K[0, 1], as NumPy reads it (the gradient into
    K[0, 1] was lost: the tuple was taken for an index array)."""
    K = K * 1.0
    ij = (0, 1)
    K[ij] = u[0] * K[ij] + u[1]
    K[ij] += u[0] * K[ij]
    return np.sum(K * K) + K[ij] ** 2


def tuple_as_index_in_a_loop(K, u):
    K = K * 1.0
    s = 0.0
    for e in range(2):
        dofs = (e, e + 1)
        K[dofs] += u[e]
        s += K[dofs] ** 2
    return np.sum(K * K) + s


def dofs_built(u):
    """np.array([e, e + 1]) of integers is an index array (it was floats)."""
    F = np.zeros(u.shape[0])
    for e in range(u.shape[0] - 1):
        d = np.array([e, e + 1])
        F[d] += u[d[0]] * u[d[1]]
    return np.sum(F * F)


def mask_built(x, c):
    m = np.array([x[0] > c, x[1] > c, x[2] > c])
    return np.sum(x[:3][m] ** 2)


def mixed_items(x, k):
    """An integer and a float: floats, as in NumPy."""
    v = np.array([k, 0.5 * x[0]])
    return np.sum(v * v) * x[1]


def added_at_a_value_computed(y0, idx, c):
    """np.add.at with a number computed in the function ('cannot index a float64' before)."""
    y = y0 * 1.0
    np.add.at(y, idx, c * c)
    np.subtract.at(y, (idx,), c)
    for j in range(3):
        np.add.at(y, np.array([j, (j + 1) % 5]), 0.1 * y[j])
    return np.sum(y * y)


X5 = np.arange(1.0, 6.0)
D = np.array([1, -4, 3, 1])
T = np.array([[0, 2], [1, 1], [4, 0]])
M = np.arange(1.0, 16.0).reshape(3, 5) / 7.0
# (function, args, wrt)
CASES = [
    (add_at_repeats, (X5, D), 0),
    (assign_at_repeats, (X5, D), 0),
    (assign_one_value_at_repeats, (X5, D), 0),
    (rows_at_repeats, (M, np.array([0, 2, -1])), 0),
    (columns_at_repeats, (M, np.array([0, 2, -5, 1])), 0),
    (rows_of_an_index_table, (X5, T), 0),
    (named_rows_of_an_index_table, (X5, T), 0),
    (masked_add, (X5,), 0),
    (row_as_index, (X5, T), 0),
    (shifted_index, (X5, np.array([1, 2, 2, 0])), 0),
    (negatives_in_a_loop, (np.linspace(-1.0, 1.0, 15).reshape(5, 3), np.array([0.3, -0.2, 0.5]),
                           np.array([[0, 2], [4, 4], [1, 3]])), (0, 1)),
    (added_at, (X5[:4], np.array([0, 1, 1, 3])), 0),
    (added_at_rows, (M[:, :3], np.array([2, 0, 2]), np.array([0.5, -1.0, 2.0])), (0, 2)),
    (added_at_a_number, (X5, np.array([1, 1, 4])), 0),
    (local_index_array, (X5,), 0),
    (local_mask_and_bound, (X5,), 0),
    (constants_with_a_dtype, (X5,), 0),
    (written_constant, (X5,), 0),
    (wrapped_around, (X5, np.array([0, 3, 3, 4])), 0),
    (assembled, (X5,), 0),
    (pairs_at_repeats, (M, np.array([0, 2, 0, 1, 0]), np.array([1, 3, 1, 4, -4])), 0),
    (binned, (np.array([0.15, 0.55, 0.95, 0.35]), np.array([0.25, 0.5, 0.75]),
              np.array([1.0, 2.0, 3.0, 4.0])), (0, 2)),
    (interpolated, (np.linspace(0.0, 1.0, 6), np.linspace(0.0, 1.0, 6) ** 2,
                    np.array([0.33, 0.15, 0.55, 0.95])), (1, 2)),
    (tuple_as_index, (np.eye(3) + 0.5, np.array([0.3, 0.7, 1.2])), (0, 1)),
    (tuple_as_index_in_a_loop, (np.eye(3) + 0.5, np.array([0.3, 0.7, 1.2])), (0, 1)),
    (dofs_built, (X5,), 0),
    (mask_built, (X5, 2.5), 0),
    (mixed_items, (X5, 3), 0),
    (added_at_a_value_computed, (X5, np.array([1, 1, 3]), 0.7), (0, 2)),
]
