"""1-D finite-volume advection, MUSCL with van Leer limiter, periodic."""
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


@numba.njit
def vanleer(a, b):
    if a * b <= 0.0:
        return 0.0
    return 2.0 * a * b / (a + b)


def f(u0, c, target, dt, dx, nsteps):
    n = u0.shape[0]
    u = u0.copy()
    flux = np.empty(n)
    nu = c * dt / dx
    for t in range(nsteps):
        for i in range(n):
            im = (i - 1) % n
            ip = (i + 1) % n
            slope = vanleer(u[i] - u[im], u[ip] - u[i])
            flux[i] = c * (u[i] + 0.5 * (1.0 - nu) * slope)
        for i in range(n):
            u[i] = u[i] - dt / dx * (flux[i] - flux[(i - 1) % n])
    s = 0.0
    for i in range(n):
        d = u[i] - target[i]
        s += d * d
    return s * dx


def make_args(small=False):
    rng = np.random.default_rng(0)
    n, nsteps = (12, 6) if small else (1000, 200)
    x = np.arange(n) / n
    u0 = np.exp(-((x - 0.3) ** 2) / 0.005) + (x > 0.6) * (x < 0.8) + 0.01 * rng.standard_normal(n)
    target = np.roll(u0, n // 10)
    dx = 1.0 / n
    c = 1.0
    dt = 0.4 * dx
    return (u0, c, target, dt, dx, nsteps)


WRT = (0, 1)


def jax_f(u0, c, target, dt, dx, nsteps):
    nu = c * dt / dx

    def vl(a, b):
        ab = a * b
        pos = ab > 0.0
        den = jnp.where(pos, a + b, 1.0)
        return jnp.where(pos, 2.0 * ab / den, 0.0)

    def step(t, u):
        um = jnp.roll(u, 1)
        up = jnp.roll(u, -1)
        slope = vl(u - um, up - u)
        flux = c * (u + 0.5 * (1.0 - nu) * slope)
        return u - dt / dx * (flux - jnp.roll(flux, 1))

    u = jax.lax.fori_loop(0, nsteps, step, u0)
    return jnp.sum((u - target) ** 2) * dx
