"""Holt-Winters additive seasonality, one-step-ahead squared forecast loss."""
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(y, alpha, beta, gamma, season0, level0, trend0):
    n = y.shape[0]
    m = season0.shape[0]
    season = season0.copy()
    level = level0
    trend = trend0
    loss = 0.0
    for t in range(n):
        s = season[t % m]
        yhat = level + trend + s
        err = y[t] - yhat
        loss += err * err
        new_level = alpha * (y[t] - s) + (1.0 - alpha) * (level + trend)
        trend = beta * (new_level - level) + (1.0 - beta) * trend
        season[t % m] = gamma * (y[t] - new_level) + (1.0 - gamma) * s
        level = new_level
    return loss / n


def make_args(small=False):
    rng = np.random.default_rng(0)
    n, m = (30, 4) if small else (60000, 12)
    t = np.arange(n)
    y = 10 + 0.001 * t + 2.0 * np.sin(2 * np.pi * t / m) + 0.5 * rng.standard_normal(n)
    season0 = 2.0 * np.sin(2 * np.pi * np.arange(m) / m) + 0.1 * rng.standard_normal(m)
    return (y, 0.3, 0.05, 0.2, season0, 10.0, 0.0)


WRT = (1, 2, 3)


def jax_f(y, alpha, beta, gamma, season0, level0, trend0):
    m = season0.shape[0]
    n = y.shape[0]

    def step(c, inp):
        level, trend, season = c
        t, yt = inp
        k = t % m
        s = season[k]
        err = yt - (level + trend + s)
        new_level = alpha * (yt - s) + (1.0 - alpha) * (level + trend)
        trend = beta * (new_level - level) + (1.0 - beta) * trend
        season = season.at[k].set(gamma * (yt - new_level) + (1.0 - gamma) * s)
        return (new_level, trend, season), err * err

    _, e2 = jax.lax.scan(step, (level0, trend0, season0), (jnp.arange(n), y))
    return jnp.sum(e2) / n
