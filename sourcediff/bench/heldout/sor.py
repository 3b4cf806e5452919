"""Poisson equation on a square by successive over-relaxation (Gauss-Seidel order),
fitted to a target field.

    u_ij <- (1 - omega) u_ij + omega/4 (u_{i-1,j} + u_{i+1,j} + u_{i,j-1} + u_{i,j+1} + h^2 f_ij)
    loss(f, omega) = sum_ij (u_ij - target_ij)^2 after a fixed number of sweeps

The update is in place and reads the values already updated in the same sweep.
Differentiated with respect to the source term and the relaxation factor.
"""

from __future__ import annotations

import numpy as np

TITLE = "SOR / Gauss-Seidel sweeps in place (2-D Poisson)"
SIZES = {
    "small": {"n": 6, "sweeps": 4},
    "default": {"n": 48, "sweeps": 150},
    "large": {"n": 128, "sweeps": 200},
}
WRT = (0, 1)
WRT_NAMES = ("f", "omega")
RTOL = 1e-9


def sor_poisson(f, omega, target, h2, sweeps):
    """Interior points updated row by row, in place."""
    n = f.shape[0]
    m = f.shape[1]
    u = np.zeros((n, m))
    for s in range(sweeps):
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                gs = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1]
                             + h2 * f[i, j])
                u[i, j] = (1.0 - omega) * u[i, j] + omega * gs
    loss = 0.0
    for i in range(n):
        for j in range(m):
            loss += (u[i, j] - target[i, j]) ** 2
    return loss


STYLES = {"in-place sweeps": sor_poisson}


def sor_by_hand(f, omega, target, h2, sweeps):
    """The overwritten values in one preallocated array; the reverse sweep restores
    each point and recomputes its Gauss-Seidel average from the neighbours."""
    n = f.shape[0]
    m = f.shape[1]
    u = np.zeros((n, m))
    old = np.empty((sweeps, n, m))
    for s in range(sweeps):
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                gs = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1]
                             + h2 * f[i, j])
                old[s, i, j] = u[i, j]
                u[i, j] = (1.0 - omega) * u[i, j] + omega * gs
    loss = 0.0
    du = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            r = u[i, j] - target[i, j]
            loss += r * r
            du[i, j] = 2.0 * r
    d_f = np.zeros_like(f)
    d_omega = 0.0
    for s in range(sweeps - 1, -1, -1):
        for i in range(n - 2, 0, -1):
            for j in range(m - 2, 0, -1):
                g = du[i, j]
                u[i, j] = old[s, i, j]
                gs = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1]
                             + h2 * f[i, j])
                d_omega += g * (gs - u[i, j])
                du[i, j] = g * (1.0 - omega)
                t = 0.25 * omega * g
                du[i - 1, j] += t
                du[i + 1, j] += t
                du[i, j - 1] += t
                du[i, j + 1] += t
                d_f[i, j] += t * h2
    return loss, (d_f, d_omega)


HAND = sor_by_hand


def make_args(params: dict) -> tuple:
    """A smooth source, omega = 1.5, a target of the same shape."""
    n, sweeps = params["n"], params["sweeps"]
    grid = np.linspace(0.0, 1.0, n)
    f = 10.0 * np.outer(np.sin(np.pi * grid), np.sin(2.0 * np.pi * grid))
    target = 0.05 * np.outer(np.sin(np.pi * grid), np.sin(np.pi * grid))
    h2 = (1.0 / (n - 1)) ** 2
    return f, 1.5, target, h2, sweeps


def jax_objective():
    """The same order of updates: ``fori_loop`` over sweeps and rows, ``scan`` along a row."""
    import jax
    import jax.numpy as jnp

    def sor_poisson(f, omega, target, h2, sweeps):
        n, m = f.shape

        def row(i, u):
            above = u[i - 1]
            below = u[i + 1]
            current = u[i]

            def point(left, j):
                gs = 0.25 * (above[j] + below[j] + left + current[j + 1] + h2 * f[i, j])
                new = (1.0 - omega) * current[j] + omega * gs
                return new, new

            _, new = jax.lax.scan(point, current[0], jnp.arange(1, m - 1))
            return u.at[i, 1:m - 1].set(new)

        def sweep(_, u):
            return jax.lax.fori_loop(1, n - 1, row, u)

        u = jax.lax.fori_loop(0, sweeps, sweep, jnp.zeros((n, m)))
        return jnp.sum((u - target) ** 2)

    return sor_poisson
