"""Fitting an SEIR epidemic to daily case counts: forward Euler with a few steps
per day, the transmission rate cut by a lockdown factor after day ``t0``, the
squared log-error of the daily new infections.

    S' = -beta(t) S I,  E' = beta(t) S I - sigma E,  I' = sigma E - gamma I,  R' = gamma I
    loss = sum_d (log(new_d) - log(obs_d))^2,  I(0) = exp(log_i0)
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "SEIR epidemic fit, forward Euler, lockdown date"
SIZES = {
    "small": {"days": 12, "per_day": 4},
    "default": {"days": 2000, "per_day": 100},
    "large": {"days": 8000, "per_day": 100},
}
WRT = (0, 1, 2, 3, 4)
WRT_NAMES = ("beta", "sigma", "gamma", "cut", "log_i0")
RTOL = 1e-8


def seir_loss(beta, sigma, gamma, cut, log_i0, obs, t0, per_day):
    days = obs.shape[0]
    dt = 1.0 / per_day
    i0 = math.exp(log_i0)
    s = 1.0 - i0
    e = 0.0
    i = i0
    r = 0.0
    loss = 0.0
    t = 0.0
    for day in range(days):
        new = 0.0
        for k in range(per_day):
            if t > t0:
                b = beta * cut
            else:
                b = beta
            infect = b * s * i
            ds = -infect
            de = infect - sigma * e
            di = sigma * e - gamma * i
            dr = gamma * i
            s += dt * ds
            e += dt * de
            i += dt * di
            r += dt * dr
            new += dt * sigma * e
            t += dt
        d = math.log(new) - math.log(obs[day])
        loss += d * d
    return loss


STYLES = {"euler loop": seir_loss}
HAND = None


def make_args(params: dict) -> tuple:
    """Case counts of a slightly different epidemic, with multiplicative noise."""
    days, per_day = params["days"], params["per_day"]
    rng = np.random.default_rng(3)
    t0 = 0.3 * days
    # a reference run with other parameters, coarse steps
    s, e, i = 1.0 - 1e-4, 0.0, 1e-4
    obs = np.empty(days)
    for day in range(days):
        b = 0.45 if day > t0 else 0.6
        new = 0.0
        for _ in range(4):
            infect = b * s * i
            s, e, i = s - 0.25 * infect, e + 0.25 * (infect - 0.25 * e), i + 0.25 * (0.25 * e - 0.2 * i)
            new += 0.25 * 0.25 * e
        obs[day] = new * math.exp(0.1 * rng.standard_normal())
    return 0.55, 0.22, 0.18, 0.7, math.log(2e-4), obs, t0, per_day


def jax_objective():
    """``lax.scan`` over days, an inner ``fori_loop`` of Euler steps; ``jnp.where`` for the date."""
    import jax
    import jax.numpy as jnp

    def seir_loss(beta, sigma, gamma, cut, log_i0, obs, t0, per_day):
        dt = 1.0 / per_day
        i0 = jnp.exp(log_i0)

        def step(_, state):
            s, e, i, t, new = state
            b = jnp.where(t > t0, beta * cut, beta)
            infect = b * s * i
            s2 = s - dt * infect
            e2 = e + dt * (infect - sigma * e)
            i2 = i + dt * (sigma * e - gamma * i)
            return s2, e2, i2, t + dt, new + dt * sigma * e2

        def day(state, target):
            s, e, i, t = state
            s, e, i, t, new = jax.lax.fori_loop(0, per_day, step, (s, e, i, t, 0.0))
            return (s, e, i, t), (jnp.log(new) - jnp.log(target)) ** 2

        start = (1.0 - i0, jnp.zeros_like(i0), i0, jnp.zeros_like(i0))
        _, terms = jax.lax.scan(day, start, obs)
        return terms.sum()

    return seir_loss
