"""tvden variant: the gradient of E written as a gather (each cell reads its
own and its neighbours' fluxes) into a fresh array, u swapped with the new
iterate instead of updated in place."""
import math
import numpy as np
import numba
from tvden import make_args, WRT, jax_f


@numba.njit
def flux(u, i, j, eps):
    n, m = u.shape
    dx = u[i + 1, j] - u[i, j] if i < n - 1 else 0.0
    dy = u[i, j + 1] - u[i, j] if j < m - 1 else 0.0
    w = 1.0 / math.sqrt(eps + dx * dx + dy * dy)
    return w * dx, w * dy


def f(lam, img, clean, eps, tau, niter):
    n, m = img.shape
    u = img.copy()
    un = np.empty_like(u)
    for it in range(niter):
        for i in range(n):
            for j in range(m):
                px, py = flux(u, i, j, eps)
                div = -(px + py)
                if i > 0:
                    div += flux(u, i - 1, j, eps)[0]
                if j > 0:
                    div += flux(u, i, j - 1, eps)[1]
                un[i, j] = u[i, j] - tau * (lam * (u[i, j] - img[i, j]) + div)
        u, un = un, u
    return np.mean((u - clean) ** 2)
