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
