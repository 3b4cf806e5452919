"""Helpers the callers in test_inline.py call (this module's globals differ
from the callers': ``xp`` is NumPy here and unknown there)."""
import math

import numpy as xp
from numba import njit


@njit
def squash(v):
    return 1.0 / (1.0 + xp.exp(-v))


def gates(z, c, h):
    """Writes into ``c`` and ``h`` (a cell update, as in the lstm benchmark)."""
    n = h.shape[0]
    for j in range(n):
        a = squash(z[j])
        c[j] = a * c[j] + (1.0 - a) * math.tanh(z[n + j])
        h[j] = squash(z[2 * n + j]) * math.tanh(c[j])


def scaled(x):
    s = 2.0 * x          # 's' and 'x' are names of the callers too
    return s * math.sin(s)


def halve_then_sin(v):
    v = 0.5 * v          # a parameter rebound
    return v + math.sin(v)


def rec(x, n):
    r = x
    if n > 0:
        r = x * rec(x, n - 1)
    return r


def ping(x, n):
    r = x
    if n > 0:
        r = pong(x, n - 1)
    return r


def pong(x, n):
    return 2.0 * ping(x, n)


def matmul_of(v, n):
    m = v.T @ n          # wrong for a float n: reported at the caller's call
    return m[0]
