"""Least-squares fit of a volatility smile: the implied volatility is a polynomial
in log-moneyness (Horner's rule, coefficients read backwards), each option priced
by Black-Scholes with ``math.erf``.

    k = log(K/S),  vol(k) = sum_c coef_c k^c
    price = S N(d1) - K exp(-r T) N(d2),  N(x) = (1 + erf(x / sqrt 2)) / 2
    loss(coef, r) = sum_options (price - market)^2
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "Black-Scholes smile fit, Horner polynomial per option, math.erf"
SIZES = {
    "small": {"options": 12, "degree": 3},
    "default": {"options": 20_000, "degree": 4},
    "large": {"options": 200_000, "degree": 6},
}
WRT = (0, 1)
WRT_NAMES = ("coef", "r")
RTOL = 1e-9


def smile_loss(coef, r, spot, strikes, expiries, market):
    """One option per iteration; the polynomial by a backwards inner loop."""
    total = 0.0
    for o in range(strikes.shape[0]):
        k = math.log(strikes[o] / spot)
        vol = 0.0
        for c in range(coef.shape[0] - 1, -1, -1):
            vol = vol * k + coef[c]
        t = expiries[o]
        sq = vol * math.sqrt(t)
        d1 = (-k + (r + 0.5 * vol * vol) * t) / sq
        d2 = d1 - sq
        n1 = 0.5 * (1.0 + math.erf(d1 / math.sqrt(2.0)))
        n2 = 0.5 * (1.0 + math.erf(d2 / math.sqrt(2.0)))
        price = spot * n1 - strikes[o] * math.exp(-r * t) * n2
        total += (price - market[o]) ** 2
    return total


STYLES = {"option loop": smile_loss}
HAND = None


def make_args(params: dict) -> tuple:
    """Strikes 70-130, expiries 0.1-2 years, market prices from a true smile plus noise."""
    options, degree = params["options"], params["degree"]
    rng = np.random.default_rng(8)
    spot = 100.0
    strikes = rng.uniform(70.0, 130.0, options)
    expiries = rng.uniform(0.1, 2.0, options)
    true = np.zeros(degree + 1)
    true[:3] = 0.2, -0.1, 0.3
    k = np.log(strikes / spot)
    vol = np.polyval(true[::-1], k)
    sq = vol * np.sqrt(expiries)
    d1 = (-k + (0.02 + 0.5 * vol ** 2) * expiries) / sq
    from math import erf
    cdf = np.vectorize(lambda x: 0.5 * (1.0 + erf(x / np.sqrt(2.0))))
    market = spot * cdf(d1) - strikes * np.exp(-0.02 * expiries) * cdf(d1 - sq)
    market = market + 0.01 * rng.standard_normal(options)
    coef = true + 0.01 * rng.standard_normal(degree + 1)
    return coef, 0.03, spot, strikes, expiries, market


def jax_objective():
    """Vectorized over options, ``jnp.polyval`` and ``jax.scipy.special.erf``."""
    import jax.numpy as jnp
    from jax.scipy.special import erf

    def smile_loss(coef, r, spot, strikes, expiries, market):
        k = jnp.log(strikes / spot)
        vol = jnp.polyval(coef[::-1], k)
        sq = vol * jnp.sqrt(expiries)
        d1 = (-k + (r + 0.5 * vol * vol) * expiries) / sq
        d2 = d1 - sq
        n1 = 0.5 * (1.0 + erf(d1 / jnp.sqrt(2.0)))
        n2 = 0.5 * (1.0 + erf(d2 / jnp.sqrt(2.0)))
        price = spot * n1 - strikes * jnp.exp(-r * expiries) * n2
        return jnp.sum((price - market) ** 2)

    return smile_loss
