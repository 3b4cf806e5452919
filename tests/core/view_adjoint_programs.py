"""Programs whose reverse sweep adds into the adjoint of a view
(tests/core/test_view_adjoints.py)."""
from __future__ import annotations

import math

import numpy as np

from tests.core.user18_funcs import sqdist


def nearest_weights(Xq, X, h):
    """Rows of both arrays given to a helper, in a nest."""
    s = 0.0
    for q in range(Xq.shape[0]):
        for i in range(X.shape[0]):
            s += math.exp(-sqdist(Xq[q], X[i]) / h)
    return s


def columns(X, w):
    """Columns given to a helper: views that are not contiguous."""
    s = 0.0
    for j in range(X.shape[1]):
        s += math.sqrt(sqdist(X[:, j], w) + 1.0)
    return s


def gathered(X, idx):
    """Rows picked by an array of indices: a copy, not a view."""
    b = X[idx]
    return np.sum(b * b * b)


def row_used_twice(X, w):
    """The row given to a helper in two loops, one fused with its reverse."""
    s = 0.0
    for i in range(X.shape[0]):
        s += sqdist(X[i], w) * w[0]
    for i in range(X.shape[0]):
        s += math.sqrt(sqdist(X[i], -w) + 1.0)
    return s


def written_after_read(X, w):
    """A copy written after its row is read: its adjoint is read back where the
    write is undone."""
    Y = X.copy()
    s = 0.0
    for i in range(Y.shape[0]):
        r = Y[i]
        s += np.sum(r * w) * r[1]
        Y[i, 0] = Y[i, 0] * 2.0
    return s + np.sum(Y * Y)


def rows_and_columns(Xq, X, h, C, w):
    """Both of the above in one function (one compiled module for the two)."""
    return nearest_weights(Xq, X, h) + columns(C, w)


def alignment_table(X, Y):
    # a table recurrence over rows i - 1, j - 1 (soft-DTW's shape): each
    # cell's reverse adds into the rows of dX and dY, allocating nothing
    R = np.zeros((X.shape[0] + 1, Y.shape[0] + 1))
    for i in range(1, X.shape[0] + 1):
        for j in range(1, Y.shape[0] + 1):
            R[i, j] = sqdist(X[i - 1], Y[j - 1]) + 0.5 * R[i - 1, j] + 0.3 * R[i, j - 1]
    return R[X.shape[0], Y.shape[0]]
