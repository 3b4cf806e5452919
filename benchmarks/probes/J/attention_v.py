"""Variant of attention: two-pass softmax over a scores row, dot product in an
@njit helper, row max via a loop."""
import math
import numpy as np
import numba
from attention import make_args, WRT, jax_f


@numba.njit
def dot_rows(A, i, B, j):
    s = 0.0
    for k in range(A.shape[1]):
        s += A[i, k] * B[j, k]
    return s


def f(Q, K, V, Wout):
    L, d = Q.shape
    scale = 1.0 / math.sqrt(d)
    srow = np.empty(L)
    total = 0.0
    for i in range(L):
        mx = -1e300
        for j in range(L):
            srow[j] = dot_rows(Q, i, K, j) * scale
            if srow[j] > mx:
                mx = srow[j]
        z = 0.0
        for j in range(L):
            srow[j] = math.exp(srow[j] - mx)
            z += srow[j]
        for k in range(d):
            o = 0.0
            for j in range(L):
                o += srow[j] * V[j, k]
            total += Wout[i, k] * o / z
    return total
