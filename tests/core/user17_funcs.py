"""Programs from the seventeenth session's reports (source read by sourcediff)."""
import numpy as np


def int_state_becomes_float(a, n):
    """An integer array (np.arange) re-bound to floats in a loop."""
    x = np.arange(a.shape[0])
    for it in range(n):
        x = x * a + 1.0
    return np.sum(x)


def int_zeros_accumulated(a, n):
    """np.zeros(..., dtype=np.int64) re-bound to floats each step."""
    x = np.zeros(a.shape[0], dtype=np.int64)
    for it in range(n):
        x = x + a * (it + 1)
    return np.sum(x * x)


def int_counts_scaled(a, b):
    """Integer counts made by arithmetic on an integer array, then scaled."""
    k = np.arange(a.shape[0]) * 2 + 1
    if b > 0.0:
        k = k * a
    else:
        k = k * b
    return np.sum(np.sin(k))


def mode_and_value(x, mode):
    """A string flag tested together with a value in one ``if``."""
    if mode == "square" and x[0] > 0.0:
        return np.sum(x * x)
    if not (mode == "square" or x[1] < 0.0):
        return np.sum(np.cos(x))
    return np.sum(np.sin(x))


def mode_in_while(x, mode, n):
    """A string flag in a ``while`` test beside a counter."""
    s = 0.0
    k = 0
    while mode == "repeat" and k < n:
        s += np.sum(x * x) * (k + 1)
        k += 1
    return s + np.sum(x)


def transposed_each_step(X, n):
    """A state transposed each step (C and Fortran order in turn)."""
    for it in range(n):
        X = np.sin(X.T) * 1.1 + 0.1
    return np.sum(X * X)


def transposed_twice(X, W, n):
    """A transpose beside a second rebound name."""
    Y = X * 1.0
    for it in range(n):
        Y = Y.T - 0.5 * W
        W = W.T * 0.9
    return np.sum(Y * W)


def symmetrized_each_step(A, n):
    """``A + A.T`` is C-ordered in Numba (one operand is): no copy is needed."""
    for it in range(n):
        A = 0.5 * (A + A.T) * 1.1
    return np.sum(A * A)
