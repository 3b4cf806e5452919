"""An American put priced by explicit finite differences in the asset price,
written as NumPy slice code (the way a textbook writes it), early exercise by
``np.maximum`` with the payoff after each step.

    V_t = V + dt (sigma^2 S^2 / 2 V_SS + r S V_S - r V),  V = max(V, payoff)

Differentiated with respect to the volatility and the rate (vega, rho), at a
spot between two grid points.  Two styles: the derivatives in named slice
temporaries with a buffer swap, or one expression per step with the new values
copied back.
"""

from __future__ import annotations

import numpy as np

TITLE = "American put, explicit finite differences on slices"
SIZES = {
    "small": {"n": 14, "steps": 16},
    "default": {"n": 200, "steps": 4000},
    "large": {"n": 400, "steps": 16_000},
}
WRT = (0, 1)
WRT_NAMES = ("sigma", "r")
RTOL = 1e-9


def put_temporaries(sigma, r, S, payoff, dt, steps):
    """The first and second differences in temporaries, the levels swapped."""
    dS = S[1] - S[0]
    V = payoff.copy()
    Vn = np.empty_like(V)
    for k in range(steps):
        Si = S[1:-1]
        delta = (V[2:] - V[:-2]) / (2.0 * dS)
        gamma = (V[2:] - 2.0 * V[1:-1] + V[:-2]) / (dS * dS)
        Vn[1:-1] = V[1:-1] + dt * (0.5 * sigma * sigma * Si * Si * gamma
                                   + r * Si * delta - r * V[1:-1])
        Vn[0] = payoff[0]
        Vn[-1] = 0.0
        Vn[:] = np.maximum(Vn, payoff)
        V, Vn = Vn, V
    j = S.shape[0] // 2
    return 0.5 * (V[j] + V[j + 1])


def put_one_line(sigma, r, S, payoff, dt, steps):
    """One expression per step into ``Vn``; the exercise value taken while
    copying back."""
    dS = S[1] - S[0]
    a = 0.5 * sigma * sigma * dt / (dS * dS)
    b = 0.5 * r * dt / dS
    V = payoff.copy()
    Vn = payoff.copy()
    for k in range(steps):
        Vn[1:-1] = V[1:-1] + a * S[1:-1] ** 2 * (V[2:] - 2.0 * V[1:-1] + V[:-2]) \
            + b * S[1:-1] * (V[2:] - V[:-2]) - r * dt * V[1:-1]
        V[:] = np.maximum(Vn, payoff)
    j = S.shape[0] // 2
    return 0.5 * (V[j] + V[j + 1])


STYLES = {"slice temporaries, swap": put_temporaries, "one line, copy-back": put_one_line}
HAND = None


def make_args(params: dict) -> tuple:
    """Strike 100 on a grid to 200, one year, a stable time step."""
    n, steps = params["n"], params["steps"]
    S = np.linspace(0.0, 200.0, n)
    payoff = np.maximum(100.0 - S, 0.0)
    return 0.3, 0.05, S, payoff, 1.0 / steps, steps


def jax_objective():
    """``lax.fori_loop`` over the steps, the same slices."""
    import jax
    import jax.numpy as jnp

    def put(sigma, r, S, payoff, dt, steps):
        dS = S[1] - S[0]
        Si = S[1:-1]

        def step(_, V):
            delta = (V[2:] - V[:-2]) / (2.0 * dS)
            gamma = (V[2:] - 2.0 * V[1:-1] + V[:-2]) / (dS * dS)
            inner = V[1:-1] + dt * (0.5 * sigma * sigma * Si * Si * gamma + r * Si * delta
                                    - r * V[1:-1])
            Vn = jnp.concatenate([payoff[:1], inner, jnp.zeros(1)])
            return jnp.maximum(Vn, payoff)

        V = jax.lax.fori_loop(0, steps, step, payoff)
        j = S.shape[0] // 2
        return 0.5 * (V[j] + V[j + 1])

    return put
