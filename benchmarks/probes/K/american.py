"""American put, explicit finite differences on a log-price grid, early
exercise max(V, payoff) each step, price at S0 by linear interpolation;
loss = squared error to a quoted price. d/d sigma, r."""
import math
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(sigma, r, K, S0, T, quote, M, N, width):
    x0 = math.log(S0)
    xmin = x0 - width
    dx = 2.0 * width / (M - 1)
    dt = T / N
    V = np.empty(M)
    pay = np.empty(M)
    for i in range(M):
        S = math.exp(xmin + i * dx)
        pay[i] = max(K - S, 0.0)
        V[i] = pay[i]
    Vn = np.empty(M)
    a = 0.5 * sigma * sigma / (dx * dx)
    b = (r - 0.5 * sigma * sigma) / (2.0 * dx)
    for n in range(N):
        for i in range(1, M - 1):
            cont = V[i] + dt * (a * (V[i + 1] - 2.0 * V[i] + V[i - 1])
                                + b * (V[i + 1] - V[i - 1]) - r * V[i])
            Vn[i] = max(cont, pay[i])
        Vn[0] = pay[0]
        Vn[M - 1] = 0.0
        V, Vn = Vn, V
    q = (x0 - xmin) / dx
    j = int(q)
    w = q - j
    price = (1.0 - w) * V[j] + w * V[j + 1]
    e = price - quote
    return e * e


def make_args(small=False):
    if small:
        return (0.3, 0.05, 100.0, 97.0, 1.0, 9.0, 15, 30, 1.5)
    return (0.3, 0.05, 100.0, 97.0, 1.0, 9.0, 401, 2000, 2.5)


WRT = (0, 1)


def jax_f(sigma, r, K, S0, T, quote, M, N, width):
    x0 = jnp.log(S0)
    xmin = x0 - width
    dx = 2.0 * width / (M - 1)
    dt = T / N
    pay = jnp.maximum(K - jnp.exp(xmin + jnp.arange(M) * dx), 0.0)
    a = 0.5 * sigma * sigma / (dx * dx)
    b = (r - 0.5 * sigma * sigma) / (2.0 * dx)

    def body(n, V):
        cont = V[1:-1] + dt * (a * (V[2:] - 2.0 * V[1:-1] + V[:-2]) + b * (V[2:] - V[:-2]) - r * V[1:-1])
        inner = jnp.maximum(cont, pay[1:-1])
        return jnp.concatenate([pay[:1], inner, jnp.zeros(1)])

    V = jax.lax.fori_loop(0, N, body, pay)
    q = (x0 - xmin) / dx
    j = jnp.floor(q).astype(jnp.int32)
    w = q - j
    price = (1.0 - w) * V[j] + w * V[j + 1]
    return (price - quote) ** 2


JAX_STATIC = (6, 7)
