"""1-D chain, harmonic + quartic springs and harmonic tethers, relaxed by 200
hand-written gradient-descent steps; loss = final energy. d/d spring constants."""
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


@numba.njit
def energy(x, k, q, L, s, x0):
    n = x.shape[0]
    e = 0.0
    for i in range(n - 1):
        d = x[i + 1] - x[i] - L
        e += 0.5 * k[i] * d * d + 0.25 * q * d * d * d * d
    for i in range(n):
        z = x[i] - x0[i]
        e += 0.5 * s * z * z
    return e


def f(k, q, x0, L, s, eta, niter):
    n = x0.shape[0]
    x = x0.copy()
    g = np.zeros(n)
    for it in range(niter):
        for i in range(n):
            g[i] = s * (x[i] - x0[i])
        for i in range(n - 1):
            d = x[i + 1] - x[i] - L
            fb = k[i] * d + q * d * d * d
            g[i] -= fb
            g[i + 1] += fb
        for i in range(n):
            x[i] -= eta * g[i]
    return energy(x, k, q, L, s, x0)


def make_args(small=False):
    rng = np.random.default_rng(0)
    n, niter = (6, 5) if small else (1000, 200)
    k = 1.0 + 0.5 * rng.random(n - 1)
    x0 = np.arange(n) * 1.0 + 0.3 * rng.standard_normal(n)
    return (k, 0.4, x0, 1.05, 0.3, 0.05, niter)


WRT = (0, 1)


def jax_f(k, q, x0, L, s, eta, niter):
    def E(x):
        d = x[1:] - x[:-1] - L
        return jnp.sum(0.5 * k * d * d + 0.25 * q * d ** 4) + jnp.sum(0.5 * s * (x - x0) ** 2)

    def body(i, x):
        d = x[1:] - x[:-1] - L
        fb = k * d + q * d ** 3
        g = s * (x - x0)
        g = g.at[:-1].add(-fb).at[1:].add(fb)
        return x - eta * g

    x = jax.lax.fori_loop(0, niter, body, x0)
    return E(x)
