"""Soft dynamic time warping between two series (Cuturi & Blondel): the DTW
recursion with its ``min`` replaced by a smooth soft-min of temperature gamma,
over a full ``(n+1) x (m+1)`` table.

    R[i, j] = (x_i - y_j)^2 + softmin_gamma(R[i-1, j-1], R[i-1, j], R[i, j-1])
    loss(x, y) = R[n, m]
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

TITLE = "soft-DTW between two series, soft-min dynamic program"
SIZES = {
    "small": {"n": 7, "m": 6},
    "default": {"n": 160, "m": 140},
    "large": {"n": 600, "m": 500},
}
WRT = (0, 1)
WRT_NAMES = ("x", "y")
RTOL = 1e-9


@njit(cache=True)
def softmin3(a, b, c, gamma):
    """-gamma log(exp(-a/gamma) + exp(-b/gamma) + exp(-c/gamma)), shifted by the min."""
    lo = min(a, b, c)
    s = (math.exp(-(a - lo) / gamma) + math.exp(-(b - lo) / gamma)
         + math.exp(-(c - lo) / gamma))
    return lo - gamma * math.log(s)


def soft_dtw(x, y, gamma):
    """The table's border is a large number instead of infinity (the shift keeps it finite)."""
    n = x.shape[0]
    m = y.shape[0]
    big = 1e10
    R = np.full((n + 1, m + 1), big)
    R[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d = x[i - 1] - y[j - 1]
            R[i, j] = d * d + softmin3(R[i - 1, j - 1], R[i - 1, j], R[i, j - 1], gamma)
    return R[n, m]


STYLES = {"table loop": soft_dtw}
HAND = None


def make_args(params: dict) -> tuple:
    """A noisy sine and a time-stretched, shifted copy."""
    n, m = params["n"], params["m"]
    rng = np.random.default_rng(12)
    t = np.linspace(0.0, 1.0, n)
    s = np.linspace(0.0, 1.0, m)
    x = np.sin(6.0 * t) + 0.1 * rng.standard_normal(n)
    y = np.sin(6.0 * s ** 1.2 + 0.3) + 0.1 * rng.standard_normal(m)
    return x, y, 0.1


def jax_objective():
    """``lax.scan`` over rows; inside a row, a ``lax.scan`` along it (the left
    neighbour is the carry), the soft-min by ``logsumexp``."""
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp

    def soft_dtw(x, y, gamma):
        m = y.shape[0]
        big = 1e10
        first = jnp.concatenate([jnp.zeros(1), jnp.full(m, big)])

        def row(prev, xi):
            cost = (xi - y) ** 2

            def cell(left, k):
                diag, up, c = prev[k], prev[k + 1], cost[k]
                v = c - gamma * logsumexp(-jnp.stack([diag, up, left]) / gamma)
                return v, v

            _, inner = jax.lax.scan(cell, jnp.asarray(big), jnp.arange(m))
            new = jnp.concatenate([jnp.full(1, big), inner])
            return new, None

        last, _ = jax.lax.scan(row, first, x)
        return last[m]

    return soft_dtw
