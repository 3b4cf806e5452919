"""Programs whose adjoints add into neighbouring elements of a buffer from one
iteration to the next (passes/rolling_sums.py; tests/core/test_rolling_sums.py).
The Rosenbrock loop and the heat equation come from tests/core/golden_funcs.py
and the bench."""
from __future__ import annotations

import math

import numpy as np


def wraps_around(x):
    """``x[i - 1]`` at ``i = 0`` is the last element: the first iteration adds
    into it, and so does the last."""
    s = 0.0
    for i in range(x.shape[0]):
        s += math.sin(x[i] - 0.7 * x[i - 1]) * x[i]
    return s


def named_index_and_rows(A, m):
    """``ip = j + 2`` names the index; a fixed row ``r`` of a matrix; the loop
    over ``j`` may run zero times (``m`` below 3); a subtraction and an add
    under a condition."""
    s = 0.0
    for r in range(A.shape[0]):
        for j in range(m - 2):
            ip = j + 2
            d = A[r, ip] - A[r, j]
            if d > 0.0:
                s += d * d * A[r, j + 1]
            else:
                s -= math.cos(A[r, j + 1]) * d
    return s


def descending_window(x, w):
    """A loop written counting down, with offsets 0, 1 and 3."""
    s = 0.0
    for i in range(x.shape[0] - 4, -1, -1):
        s += w * x[i] * x[i + 1] + math.exp(0.1 * x[i + 3]) * x[i]
    return s


def guarded_neighbours(y, k):
    """Neighbours read under conditions at the ends (zero outside), as a right-hand
    side is often written: the adds into dy[i - 1] and dy[i + 1] happen in branches,
    so there is no element to carry them into at the first and last i."""
    n = y.shape[0]
    out = np.empty(n)
    for i in range(n):
        left = y[i - 1] if i > 0 else 0.0
        right = y[i + 1] if i < n - 1 else 0.0
        out[i] = k * (left - 2.0 * y[i] + right) - 0.1 * y[i] ** 3
    s = 0.0
    for i in range(n):
        s += out[i] * out[i]
    return s
