"""kde variant: per-point log-sum-exp in an njit helper, one-liners, running
max recomputed (no temporary array v)."""
import math
import numpy as np
import numba
from kde import make_args, WRT, jax_f


@numba.njit
def lse_point(xi, yi, cx, cy, inv):
    m = -np.inf
    for j in range(cx.shape[0]):
        m = max(m, -((xi - cx[j]) ** 2 + (yi - cy[j]) ** 2) * inv)
    s = 0.0
    for j in range(cx.shape[0]):
        s += math.exp(-((xi - cx[j]) ** 2 + (yi - cy[j]) ** 2) * inv - m)
    return m + math.log(s)


def f(cx, cy, h, data):
    N = data.shape[0]
    nll = 0.0
    for i in range(N):
        nll -= lse_point(data[i, 0], data[i, 1], cx, cy, 1.0 / (2.0 * h * h))
    return nll / N + math.log(cx.shape[0]) + math.log(2.0 * math.pi * h * h)
