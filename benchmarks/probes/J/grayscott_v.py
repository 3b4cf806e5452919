"""Variant of grayscott: Laplacian in an @njit helper with modulo inside,
one-liner updates, copy-back instead of swap."""
import numpy as np
import numba
from grayscott import make_args, WRT, jax_f


@numba.njit
def lap(a, i, j):
    n = a.shape[0]
    return a[(i + 1) % n, j] + a[(i - 1) % n, j] + a[i, (j + 1) % n] + a[i, (j - 1) % n] - 4.0 * a[i, j]


def f(u0, v0, F, k, Du, Dv, dt, nsteps):
    n = u0.shape[0]
    u = u0.copy()
    v = v0.copy()
    un = np.empty_like(u)
    vn = np.empty_like(v)
    for t in range(nsteps):
        for i in range(n):
            for j in range(n):
                un[i, j] = u[i, j] + dt * (Du * lap(u, i, j) - u[i, j] * v[i, j] ** 2 + F * (1.0 - u[i, j]))
                vn[i, j] = v[i, j] + dt * (Dv * lap(v, i, j) + u[i, j] * v[i, j] ** 2 - (F + k) * v[i, j])
        u[:, :] = un
        v[:, :] = vn
    return np.sum(v * v) / (n * n)
