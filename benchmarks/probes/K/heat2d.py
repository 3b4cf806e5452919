"""2-D heat equation, Neumann boundary by ghost cells copied each step with
slice assignments, explicit update into un, copy-back u[:, :] = un.
loss = misfit to a target at the end. d/d kappa, source field."""
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(kappa, src, u0, target, dt, nsteps):
    n = u0.shape[0]
    u = np.zeros((n + 2, n + 2))
    u[1:n + 1, 1:n + 1] = u0
    un = u.copy()
    r = kappa * dt
    for s in range(nsteps):
        u[0, :] = u[1, :]
        u[n + 1, :] = u[n, :]
        u[:, 0] = u[:, 1]
        u[:, n + 1] = u[:, n]
        for i in range(1, n + 1):
            for j in range(1, n + 1):
                lap = u[i + 1, j] + u[i - 1, j] + u[i, j + 1] + u[i, j - 1] - 4.0 * u[i, j]
                un[i, j] = u[i, j] + r * lap + dt * src[i - 1, j - 1]
        u[:, :] = un
    loss = 0.0
    for i in range(n):
        for j in range(n):
            e = u[i + 1, j + 1] - target[i, j]
            loss += e * e
    return loss / (n * n)


def make_args(small=False):
    rng = np.random.default_rng(0)
    n, nsteps = (5, 4) if small else (64, 120)
    u0 = rng.random((n, n))
    src = 0.1 * rng.standard_normal((n, n))
    target = 0.5 + 0.1 * rng.standard_normal((n, n))
    return (0.9, src, u0, target, 0.2, nsteps)


WRT = (0, 1)


def jax_f(kappa, src, u0, target, dt, nsteps):
    r = kappa * dt

    def body(s, u):
        p = jnp.pad(u, 1, mode="edge")
        lap = p[2:, 1:-1] + p[:-2, 1:-1] + p[1:-1, 2:] + p[1:-1, :-2] - 4.0 * u
        return u + r * lap + dt * src

    u = jax.lax.fori_loop(0, nsteps, body, u0)
    return jnp.mean((u - target) ** 2)
