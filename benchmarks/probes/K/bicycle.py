"""Kinematic bicycle model (rear-axle slip angle via atan(tan)), per-step
steering and acceleration, substepped Euler, tracking cost to a reference path."""
import math
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(delta, acc, lr, lf, xref, yref, dt, nsub, wu):
    N = delta.shape[0]
    x = 0.0
    y = 0.0
    psi = 0.0
    v = 5.0
    h = dt / nsub
    cost = 0.0
    for k in range(N):
        beta = math.atan(lr / (lf + lr) * math.tan(delta[k]))
        for m in range(nsub):
            x += h * v * math.cos(psi + beta)
            y += h * v * math.sin(psi + beta)
            psi += h * v / lr * math.sin(beta)
            v += h * acc[k]
        ex = x - xref[k]
        ey = y - yref[k]
        cost += ex * ex + ey * ey + wu * (delta[k] * delta[k] + 0.1 * acc[k] * acc[k])
    return cost / N


def make_args(small=False):
    rng = np.random.default_rng(0)
    N, nsub = (8, 3) if small else (1500, 16)
    dt = 0.05
    t = np.arange(1, N + 1) * dt
    xref = 5.0 * t
    yref = 2.0 * np.sin(0.5 * t)
    delta = 0.05 * rng.standard_normal(N)
    acc = 0.2 * rng.standard_normal(N)
    return (delta, acc, 1.5, 1.2, xref, yref, dt, nsub, 0.1)


WRT = (0, 1, 2)


def jax_f(delta, acc, lr, lf, xref, yref, dt, nsub, wu):
    h = dt / nsub

    def ctrl(c, inp):
        x, y, psi, v = c
        d, a, xr, yr = inp
        beta = jnp.arctan(lr / (lf + lr) * jnp.tan(d))

        def sub(c2, _):
            x, y, psi, v = c2
            x = x + h * v * jnp.cos(psi + beta)
            y = y + h * v * jnp.sin(psi + beta)
            psi = psi + h * v / lr * jnp.sin(beta)
            v = v + h * a
            return (x, y, psi, v), None

        (x, y, psi, v), _ = jax.lax.scan(sub, (x, y, psi, v), None, length=nsub)
        c = (x - xr) ** 2 + (y - yr) ** 2 + wu * (d * d + 0.1 * a * a)
        return (x, y, psi, v), c

    z = 0.0 * lr
    _, cs = jax.lax.scan(ctrl, (z, z, z, z + 5.0), (delta, acc, xref, yref))
    return jnp.sum(cs) / delta.shape[0]
