"""Negative log-likelihood of an AR(2)-GARCH(1,1) series."""
import math
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(y, ar, garch):
    n = y.shape[0]
    c = ar[0]
    phi1 = ar[1]
    phi2 = ar[2]
    omega = garch[0]
    alpha = garch[1]
    beta = garch[2]
    # sample variance to start the recursion
    mu = 0.0
    for t in range(n):
        mu += y[t]
    mu /= n
    var0 = 0.0
    for t in range(n):
        var0 += (y[t] - mu) ** 2
    var0 /= n
    sig2 = var0
    eps_prev = 0.0
    nll = 0.0
    for t in range(2, n):
        eps = y[t] - c - phi1 * y[t - 1] - phi2 * y[t - 2]
        sig2 = omega + alpha * eps_prev * eps_prev + beta * sig2
        nll += 0.5 * (math.log(2.0 * math.pi) + math.log(sig2) + eps * eps / sig2)
        eps_prev = eps
    return nll / n


def make_args(small=False):
    rng = np.random.default_rng(0)
    n = 12 if small else 50000
    y = np.zeros(n)
    s2 = 0.1
    e = 0.0
    for t in range(2, n):
        s2 = 0.01 + 0.1 * e * e + 0.85 * s2
        e = math.sqrt(s2) * rng.standard_normal()
        y[t] = 0.05 + 0.4 * y[t - 1] - 0.2 * y[t - 2] + e
    ar = np.array([0.04, 0.35, -0.15])
    garch = np.array([0.012, 0.09, 0.86])
    return (y, ar, garch)


WRT = (1, 2)


def jax_f(y, ar, garch):
    n = y.shape[0]
    c, phi1, phi2 = ar[0], ar[1], ar[2]
    omega, alpha, beta = garch[0], garch[1], garch[2]
    var0 = jnp.mean((y - jnp.mean(y)) ** 2)
    eps = y[2:] - c - phi1 * y[1:-1] - phi2 * y[:-2]
    eprev = jnp.concatenate([jnp.zeros(1), eps[:-1]])

    def step(s2, ep):
        s2 = omega + alpha * ep * ep + beta * s2
        return s2, s2

    _, sig2 = jax.lax.scan(step, var0, eprev)
    nll = 0.5 * jnp.sum(jnp.log(2.0 * jnp.pi) + jnp.log(sig2) + eps * eps / sig2)
    return nll / n
