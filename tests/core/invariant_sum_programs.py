"""Programs whose adjoints add to one element in every iteration of an inner
loop (passes/invariant_sums.py; tests/core/test_invariant_sums.py)."""
from __future__ import annotations

import math

import numpy as np


def triangular(L, x):
    """``y = L x`` with ``L`` strictly lower triangular, by columns."""
    n = x.shape[0]
    y = np.zeros(n)
    for j in range(n):
        for r in range(j + 1, n):
            y[r] += L[r, j] * x[j]
    return np.sum(y * y)


def row_against_last(A, m):
    """Each row's products with its column ``m - 1``: the loop over ``k`` adds
    to ``dA[i, m - 1]`` (and runs zero times when ``m`` is 0)."""
    s = 0.0
    for i in range(A.shape[0]):
        for k in range(m):
            s += A[i, m - 1] * np.sin(A[i, k])
    return s


def phase_pairs(theta, A):
    """A pair loop over every ``j`` (``j == i`` included) whose reverse adds to
    the adjoints of ``sn[i]`` and ``sn[j]`` in one loop (Kuramoto-style rows)."""
    n = theta.shape[0]
    sn = np.zeros(n)
    cs = np.zeros(n)
    for i in range(n):
        sn[i] = math.sin(theta[i])
        cs[i] = math.cos(theta[i])
    out = 0.0
    for i in range(n):
        s = 0.0
        for j in range(n):
            s += A[i, j] * (sn[j] * cs[i] - cs[j] * sn[i])
        out += s * s
    return out
