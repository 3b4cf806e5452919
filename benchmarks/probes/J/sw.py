"""1-D shallow water, Lax-Friedrichs, reflecting walls."""
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(h0, hu0, g, dt, dx, nsteps):
    n = h0.shape[0]
    h = h0.copy()
    hu = hu0.copy()
    hn = np.empty(n)
    hun = np.empty(n)
    c = 0.5 * dt / dx
    for t in range(nsteps):
        for i in range(1, n - 1):
            fl_h = hu[i - 1]
            fr_h = hu[i + 1]
            fl_hu = hu[i - 1] * hu[i - 1] / h[i - 1] + 0.5 * g * h[i - 1] * h[i - 1]
            fr_hu = hu[i + 1] * hu[i + 1] / h[i + 1] + 0.5 * g * h[i + 1] * h[i + 1]
            hn[i] = 0.5 * (h[i - 1] + h[i + 1]) - c * (fr_h - fl_h)
            hun[i] = 0.5 * (hu[i - 1] + hu[i + 1]) - c * (fr_hu - fl_hu)
        # reflecting walls
        hn[0] = hn[1]
        hun[0] = -hun[1]
        hn[n - 1] = hn[n - 2]
        hun[n - 1] = -hun[n - 2]
        for i in range(n):
            h[i] = hn[i]
            hu[i] = hun[i]
    s = 0.0
    for i in range(n):
        x = i * dx
        s += h[i] * h[i] * x + 0.1 * hu[i] * hu[i]
    return s * dx


def make_args(small=False):
    rng = np.random.default_rng(0)
    n, nsteps = (12, 5) if small else (500, 400)
    x = np.linspace(0.0, 1.0, n)
    dx = 1.0 / (n - 1)
    h0 = 1.0 + 0.3 * np.exp(-((x - 0.4) ** 2) / 0.01) + 0.01 * rng.standard_normal(n)
    hu0 = 0.05 * rng.standard_normal(n)
    g = 9.81
    dt = 0.3 * dx / 4.0
    return (h0, hu0, g, dt, dx, nsteps)


WRT = (0, 1, 2)


def jax_f(h0, hu0, g, dt, dx, nsteps):
    n = h0.shape[0]
    c = 0.5 * dt / dx

    def step(t, st):
        h, hu = st
        flux = hu * hu / h + 0.5 * g * h * h
        hn_in = 0.5 * (h[:-2] + h[2:]) - c * (hu[2:] - hu[:-2])
        hun_in = 0.5 * (hu[:-2] + hu[2:]) - c * (flux[2:] - flux[:-2])
        hn = jnp.concatenate([hn_in[:1], hn_in, hn_in[-1:]])
        hun = jnp.concatenate([-hun_in[:1], hun_in, -hun_in[-1:]])
        return (hn, hun)

    h, hu = jax.lax.fori_loop(0, nsteps, step, (h0, hu0))
    x = jnp.arange(n) * dx
    return jnp.sum(h * h * x + 0.1 * hu * hu) * dx
