"""Dynamic time warping with a hard min of three (as round I had it)."""
import math
import numpy as np


def f(x, y, w):
    n = x.shape[0]
    m = y.shape[0]
    D = np.empty((n + 1, m + 1))
    for i in range(n + 1):
        for j in range(m + 1):
            D[i, j] = 1e30
    D[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            c = (x[i - 1] - w * y[j - 1]) ** 2
            D[i, j] = c + min(D[i - 1, j], D[i, j - 1], D[i - 1, j - 1])
    return D[n, m]


def make_args(small=False):
    rng = np.random.default_rng(0)
    n, m = (5, 6) if small else (400, 380)
    x = np.cumsum(rng.standard_normal(n))
    y = np.cumsum(rng.standard_normal(m))
    return (x, y, 0.9)


WRT = (0, 1, 2)
