"""L2-regularised logistic regression loss with explicit loops over samples and
features, the log-loss written in its overflow-safe form with an ``if``.

    z_i = b + sum_j X_ij w_j,   m_i = y_i z_i  (y_i = +-1)
    loss(w, b) = 1/n sum_i log(1 + exp(-m_i)) + lam/2 |w|^2
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "logistic regression, loops over samples and features"
SIZES = {
    "small": {"n": 30, "d": 4},
    "default": {"n": 50_000, "d": 16},
    "large": {"n": 500_000, "d": 32},
}
WRT = (0, 1)
WRT_NAMES = ("w", "b")
RTOL = 1e-10


def logistic_loss(w, b, X, y, lam):
    """Dot product by an inner loop; stable softplus by a branch on the sign."""
    n = X.shape[0]
    d = X.shape[1]
    loss = 0.0
    for i in range(n):
        z = b
        for j in range(d):
            z += X[i, j] * w[j]
        m = y[i] * z
        if m > 0.0:
            loss += math.log1p(math.exp(-m))
        else:
            loss += -m + math.log1p(math.exp(m))
    reg = 0.0
    for j in range(d):
        reg += w[j] * w[j]
    return loss / n + 0.5 * lam * reg


STYLES = {"sample loop": logistic_loss}


def logistic_by_hand(w, b, X, y, lam):
    """One pass over the samples: the margin's derivative, then the row scattered into dw."""
    n = X.shape[0]
    d = X.shape[1]
    loss = 0.0
    d_w = lam * w
    d_b = 0.0
    for i in range(n):
        z = b
        for j in range(d):
            z += X[i, j] * w[j]
        m = y[i] * z
        if m > 0.0:
            e = math.exp(-m)
            loss += math.log1p(e)
            dm = -e / (1.0 + e)
        else:
            e = math.exp(m)
            loss += -m + math.log1p(e)
            dm = -1.0 / (1.0 + e)
        dz = dm * y[i] / n
        d_b += dz
        for j in range(d):
            d_w[j] += dz * X[i, j]
    reg = 0.0
    for j in range(d):
        reg += w[j] * w[j]
    return loss / n + 0.5 * lam * reg, (d_w, d_b)


HAND = logistic_by_hand


def make_args(params: dict) -> tuple:
    """Gaussian features, labels from a noisy linear model."""
    n, d = params["n"], params["d"]
    rng = np.random.default_rng(4)
    X = rng.standard_normal((n, d))
    true = rng.standard_normal(d)
    y = np.where(X @ true + 0.5 * rng.standard_normal(n) > 0.0, 1.0, -1.0)
    w = 0.1 * rng.standard_normal(d)
    return w, 0.1, X, y, 1e-3


def jax_objective():
    """Vectorized: ``X @ w`` and ``logaddexp``."""
    import jax.numpy as jnp

    def logistic_loss(w, b, X, y, lam):
        m = y * (X @ w + b)
        return jnp.mean(jnp.logaddexp(0.0, -m)) + 0.5 * lam * jnp.sum(w * w)

    return logistic_loss
