"""Expectile regression loss (asymmetric squared), L2 penalty."""
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(X, y, beta, tau, lam):
    n, d = X.shape
    loss = 0.0
    for i in range(n):
        pred = 0.0
        for k in range(d):
            pred += X[i, k] * beta[k]
        r = y[i] - pred
        if r < 0:
            loss += (1.0 - tau) * r * r
        else:
            loss += tau * r * r
    pen = 0.0
    for k in range(d):
        pen += beta[k] * beta[k]
    return loss / n + lam * pen


def make_args(small=False):
    rng = np.random.default_rng(0)
    n, d = (8, 3) if small else (15000, 30)
    X = rng.standard_normal((n, d))
    bt = rng.standard_normal(d)
    y = X @ bt + rng.standard_normal(n) * (1 + 0.5 * np.abs(X[:, 0]))
    beta = 0.5 * rng.standard_normal(d)
    return (X, y, beta, 0.8, 0.01)


WRT = (2, 3)


def jax_f(X, y, beta, tau, lam):
    r = y - X @ beta
    w = jnp.where(r < 0, 1.0 - tau, tau)
    return jnp.mean(w * r * r) + lam * jnp.sum(beta * beta)
