"""American put on a Cox-Ross-Rubinstein binomial tree: the payoff at expiry,
then backward induction over the triangular array of node values with an early
exercise ``max`` at every node.

    u = exp(sigma sqrt(dt)), d = 1/u, p = (exp(r dt) - d) / (u - d)
    V[k, j] = max(K - S0 u^j d^(k-j), exp(-r dt) (p V[k+1, j+1] + (1-p) V[k+1, j]))
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "American put, binomial tree by backward induction with early exercise"
SIZES = {
    "small": {"steps": 9},
    "default": {"steps": 600},
    "large": {"steps": 3000},
}
WRT = (0, 1, 2)
WRT_NAMES = ("S0", "sigma", "r")
RTOL = 1e-9


def american_put(S0, sigma, r, K, T, steps):
    """The whole triangle kept in a 2-D array (row k holds the k+1 nodes of step k)."""
    dt = T / steps
    u = math.exp(sigma * math.sqrt(dt))
    d = 1.0 / u
    p = (math.exp(r * dt) - d) / (u - d)
    disc = math.exp(-r * dt)
    V = np.zeros((steps + 1, steps + 1))
    for j in range(steps + 1):
        S = S0 * u ** j * d ** (steps - j)
        V[steps, j] = max(K - S, 0.0)
    for k in range(steps - 1, -1, -1):
        for j in range(k + 1):
            S = S0 * u ** j * d ** (k - j)
            hold = disc * (p * V[k + 1, j + 1] + (1.0 - p) * V[k + 1, j])
            exercise = K - S
            if exercise > hold:
                V[k, j] = exercise
            else:
                V[k, j] = hold
    return V[0, 0]


STYLES = {"triangle": american_put}
HAND = None


def make_args(params: dict) -> tuple:
    """At the money-ish, a year to expiry."""
    return 95.0, 0.25, 0.03, 100.0, 1.0, params["steps"]


def jax_objective():
    """A vector of node values shrinking by one each step: ``fori_loop`` over
    steps with a fixed-length vector (the last entries unused), as a JAX user
    writes a triangle."""
    import jax
    import jax.numpy as jnp

    def american_put(S0, sigma, r, K, T, steps):
        dt = T / steps
        u = jnp.exp(sigma * jnp.sqrt(dt))
        d = 1.0 / u
        p = (jnp.exp(r * dt) - d) / (u - d)
        disc = jnp.exp(-r * dt)
        j = jnp.arange(steps + 1)
        V = jnp.maximum(K - S0 * u ** j * d ** (steps - j), 0.0)

        def back(i, V):
            k = steps - 1 - i
            hold = disc * (p * jnp.roll(V, -1) + (1.0 - p) * V)
            S = S0 * u ** j * d ** (k - j)
            return jnp.where(K - S > hold, K - S, hold)

        V = jax.lax.fori_loop(0, steps, back, V)
        return V[0]

    return american_put
