"""Discrete elastic rod (planar curve): stretching + bending energy with
turning angles from math.atan2."""
import math
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(x, phi0, ks, kb, L0):
    n = x.shape[0]
    E = 0.0
    for i in range(n - 1):
        ex = x[i + 1, 0] - x[i, 0]
        ey = x[i + 1, 1] - x[i, 1]
        l = math.sqrt(ex * ex + ey * ey)
        E += 0.5 * ks * (l - L0) ** 2 / L0
    for i in range(1, n - 1):
        ax = x[i, 0] - x[i - 1, 0]
        ay = x[i, 1] - x[i - 1, 1]
        bx = x[i + 1, 0] - x[i, 0]
        by = x[i + 1, 1] - x[i, 1]
        phi = math.atan2(ax * by - ay * bx, ax * bx + ay * by)
        dphi = phi - phi0[i]
        E += kb * dphi * dphi / L0
    return E


def make_args(small=False):
    rng = np.random.default_rng(0)
    n = 8 if small else 20000
    L0 = 0.01
    s = np.arange(n) * L0
    x = np.stack([s, 0.1 * np.sin(3 * s)], axis=1) + 0.001 * rng.standard_normal((n, 2))
    phi0 = 0.02 * np.sin(s)
    return (x, phi0, 100.0, 0.5, L0)


WRT = (0, 3)


def jax_f(x, phi0, ks, kb, L0):
    e = x[1:] - x[:-1]
    l = jnp.sqrt(jnp.sum(e * e, axis=1))
    Es = jnp.sum(0.5 * ks * (l - L0) ** 2 / L0)
    a = e[:-1]
    b = e[1:]
    phi = jnp.arctan2(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0], a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1])
    d = phi - phi0[1:-1]
    return Es + jnp.sum(kb * d * d / L0)
