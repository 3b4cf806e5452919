"""wave1d variant: one-liner update, copy-back of buffers instead of the
three-way rotation, load spread by a helper."""
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
from wave1d import make_args, WRT, jax_f, JAX_STATIC


@numba.njit
def add_load(u, x, dx, load):
    q = x / dx
    jl = int(q)
    w = q - jl
    if jl >= 1 and jl < u.shape[0] - 2:
        u[jl] += (1.0 - w) * load
        u[jl + 1] += w * load


def f(c, gamma, vload, amp, obs, n, nsteps, dt, dx, ksens):
    u_prev = np.zeros(n)
    u = np.zeros(n)
    u_next = np.zeros(n)
    r2 = (c * dt / dx) ** 2
    g = 0.5 * gamma * dt
    loss = 0.0
    for s in range(nsteps):
        for i in range(1, n - 1):
            u_next[i] = (2.0 * u[i] - (1.0 - g) * u_prev[i] + r2 * (u[i + 1] - 2.0 * u[i] + u[i - 1])) / (1.0 + g)
        add_load(u_next, 0.1 * (n - 1) * dx + vload * s * dt, dx, amp * dt * dt / dx / (1.0 + g))
        u_prev[:] = u
        u[:] = u_next
        loss += (u[ksens] - obs[s]) ** 2
    return loss / nsteps
