"""Fitting a Van der Pol oscillator: fixed-step Heun (explicit trapezoid)
integration, the squared mismatch to observations accumulated every few steps.

    x' = v,  v' = mu (1 - x^2) v - x
    loss(mu, x0, v0) = sum_k (x(t_k) - obs_k)^2
"""

from __future__ import annotations

import numpy as np
from numba import njit

TITLE = "Van der Pol oscillator fit, fixed-step Heun integration"
SIZES = {
    "small": {"steps": 40, "every": 4},
    "default": {"steps": 100_000, "every": 20},
    "large": {"steps": 400_000, "every": 20},
}
WRT = (0, 1, 2)
WRT_NAMES = ("mu", "x0", "v0")
RTOL = 1e-9


@njit(cache=True)
def vdp_rhs(x, v, mu):
    """The right-hand side as a pair."""
    return v, mu * (1.0 - x * x) * v - x


def vdp_fit(mu, x0, v0, obs, dt, every):
    """Heun predictor-corrector; an observation every ``every`` steps."""
    x = x0
    v = v0
    loss = 0.0
    k = 0
    steps = obs.shape[0] * every
    for step in range(steps):
        fx1, fv1 = vdp_rhs(x, v, mu)
        xp = x + dt * fx1
        vp = v + dt * fv1
        fx2, fv2 = vdp_rhs(xp, vp, mu)
        x = x + 0.5 * dt * (fx1 + fx2)
        v = v + 0.5 * dt * (fv1 + fv2)
        if (step + 1) % every == 0:
            e = x - obs[k]
            loss += e * e
            k += 1
    return loss


STYLES = {"step loop": vdp_fit}
HAND = None


def make_args(params: dict) -> tuple:
    """Observations of a slightly different oscillator, with noise."""
    steps, every = params["steps"], params["every"]
    dt = 5e-3
    count = steps // every
    rng = np.random.default_rng(13)
    t = dt * every * np.arange(1, count + 1)
    obs = 2.0 * np.cos(t) + 0.05 * rng.standard_normal(count)
    return 1.2, 2.0, 0.1, obs, dt, every


def jax_objective():
    """``lax.scan`` over observations, an inner ``fori_loop`` of ``every`` Heun steps."""
    import jax

    def vdp_fit(mu, x0, v0, obs, dt, every):
        def rhs(x, v):
            return v, mu * (1.0 - x * x) * v - x

        def heun(_, state):
            x, v = state
            fx1, fv1 = rhs(x, v)
            fx2, fv2 = rhs(x + dt * fx1, v + dt * fv1)
            return x + 0.5 * dt * (fx1 + fx2), v + 0.5 * dt * (fv1 + fv2)

        def observe(state, target):
            state = jax.lax.fori_loop(0, every, heun, state)
            return state, (state[0] - target) ** 2

        _, terms = jax.lax.scan(observe, (x0, v0), obs)
        return terms.sum()

    return vdp_fit
