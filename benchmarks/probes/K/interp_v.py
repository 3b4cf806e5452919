"""interp variant: hand-written bisection in an njit helper instead of
np.searchsorted, interpolation in a second helper."""
import numpy as np
import numba
from interp import make_args, WRT, jax_f


@numba.njit
def locate(xk, x):
    lo = 0
    hi = xk.shape[0] - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if xk[mid] <= x:
            lo = mid
        else:
            hi = mid
    return lo


@numba.njit
def lerp(xk, yk, j, x):
    t = (x - xk[j]) / (xk[j + 1] - xk[j])
    return yk[j] + t * (yk[j + 1] - yk[j])


def f(yk, xq, xk, yq, lam):
    loss = 0.0
    for n in range(xq.shape[0]):
        loss += (lerp(xk, yk, locate(xk, xq[n]), xq[n]) - yq[n]) ** 2
    rough = 0.0
    for j in range(1, xk.shape[0] - 1):
        rough += (yk[j + 1] - 2.0 * yk[j] + yk[j - 1]) ** 2
    return loss / xq.shape[0] + lam * rough
