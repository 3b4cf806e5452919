"""Monte Carlo price of a down-and-out call: geometric Brownian paths, a path is
knocked out (``break``) when it falls below the barrier.

    S_{t+1} = S_t exp((r - sigma^2/2) dt + sigma sqrt(dt) z_t)
    price = exp(-r T) mean_paths [not knocked out] max(S_T - K, 0)

Pathwise derivatives with respect to the spot and the volatility (the knock-out
indicator is piecewise constant; its jumps are not part of a pathwise gradient).
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "Monte Carlo down-and-out call, knock-out by break"
SIZES = {
    "small": {"paths": 40, "steps": 12},
    "default": {"paths": 4000, "steps": 100},
    "large": {"paths": 40_000, "steps": 250},
}
WRT = (0, 1)
WRT_NAMES = ("s0", "sigma")
RTOL = 1e-9


def barrier_call(s0, sigma, z, r, maturity, strike, barrier):
    """Loop over paths, then over steps with an early exit at the barrier."""
    paths = z.shape[0]
    steps = z.shape[1]
    dt = maturity / steps
    drift = (r - 0.5 * sigma * sigma) * dt
    vol = sigma * math.sqrt(dt)
    total = 0.0
    for p in range(paths):
        s = s0
        alive = True
        for t in range(steps):
            s = s * math.exp(drift + vol * z[p, t])
            if s < barrier:
                alive = False
                break
        if alive and s > strike:
            total += s - strike
    return math.exp(-r * maturity) * total / paths


STYLES = {"break at barrier": barrier_call}


def barrier_by_hand(s0, sigma, z, r, maturity, strike, barrier):
    """Pathwise: S_T = s0 exp(drift n + vol sum z), so dS_T/ds0 = S_T/s0 and
    dS_T/dsigma = S_T (-sigma dt n + sqrt(dt) sum z); no tape."""
    paths = z.shape[0]
    steps = z.shape[1]
    dt = maturity / steps
    drift = (r - 0.5 * sigma * sigma) * dt
    vol = sigma * math.sqrt(dt)
    total = 0.0
    d_s0 = 0.0
    d_sigma = 0.0
    for p in range(paths):
        s = s0
        zsum = 0.0
        alive = True
        for t in range(steps):
            s = s * math.exp(drift + vol * z[p, t])
            zsum += z[p, t]
            if s < barrier:
                alive = False
                break
        if alive and s > strike:
            total += s - strike
            d_s0 += s / s0
            d_sigma += s * (-sigma * dt * steps + math.sqrt(dt) * zsum)
    scale = math.exp(-r * maturity) / paths
    return scale * total, (scale * d_s0, scale * d_sigma)


HAND = barrier_by_hand


def make_args(params: dict) -> tuple:
    """Standard normals, spot 100, strike 100, barrier 85, 20% volatility, one year."""
    rng = np.random.default_rng(5)
    z = rng.standard_normal((params["paths"], params["steps"]))
    return 100.0, 0.2, z, 0.03, 1.0, 100.0, 85.0


def jax_objective():
    """Vectorized over paths: the log-price path by ``cumsum``, knock-out by ``min``."""
    import jax.numpy as jnp

    def barrier_call(s0, sigma, z, r, maturity, strike, barrier):
        steps = z.shape[1]
        dt = maturity / steps
        increments = (r - 0.5 * sigma * sigma) * dt + sigma * jnp.sqrt(dt) * z
        paths = s0 * jnp.exp(jnp.cumsum(increments, axis=1))
        alive = jnp.min(paths, axis=1) >= barrier
        payoff = jnp.where(alive, jnp.maximum(paths[:, -1] - strike, 0.0), 0.0)
        return jnp.exp(-r * maturity) * jnp.mean(payoff)

    return barrier_call
