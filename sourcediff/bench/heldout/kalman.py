"""Negative log-likelihood of a constant-velocity Kalman filter (2 states, the
position observed), written with small NumPy matrices inside the time loop.

    x <- F x,  P <- F P F^T + q Q1,  S = P_00 + r,  K = P[:, 0] / S
    x <- x + K v,  P <- P - K P[0, :]^T,  nll += (log(2 pi S) + v^2 / S) / 2

Differentiated with respect to the log process and observation noise levels.
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "constant-velocity Kalman filter likelihood, 2x2 matrices per step"
SIZES = {
    "small": {"steps": 10},
    "default": {"steps": 2000},
    "large": {"steps": 50_000},
}
WRT = (0, 1)
WRT_NAMES = ("log_q", "log_r")
RTOL = 1e-9


def kalman_nll(log_q, log_r, y, dt):
    """Predict and update with ``@``, ``.T``, ``np.outer`` and row/column slices."""
    q = math.exp(log_q)
    r = math.exp(log_r)
    F = np.array([[1.0, dt], [0.0, 1.0]])
    Q = q * np.array([[dt ** 3 / 3.0, dt ** 2 / 2.0], [dt ** 2 / 2.0, dt]])
    x = np.array([y[0], 0.0])
    P = np.array([[1.0, 0.0], [0.0, 1.0]])
    nll = 0.0
    for t in range(y.shape[0]):
        x = F @ x
        P = F @ P @ F.T + Q
        S = P[0, 0] + r
        v = y[t] - x[0]
        K = P[:, 0] / S
        x = x + K * v
        P = P - np.outer(K, P[0, :])
        nll += 0.5 * (math.log(2.0 * math.pi * S) + v * v / S)
    return nll


STYLES = {"matrix per step": kalman_nll}
HAND = None


def make_args(params: dict) -> tuple:
    """A noisy random-acceleration track."""
    steps = params["steps"]
    dt = 0.1
    rng = np.random.default_rng(9)
    velocity = np.cumsum(0.3 * np.sqrt(dt) * rng.standard_normal(steps))
    position = np.cumsum(velocity * dt)
    y = position + 0.5 * rng.standard_normal(steps)
    return math.log(0.1), math.log(0.3), y, dt


def jax_objective():
    """``lax.scan`` over the observations with 2x2 ``jnp`` matrices."""
    import jax
    import jax.numpy as jnp

    def kalman_nll(log_q, log_r, y, dt):
        q = jnp.exp(log_q)
        r = jnp.exp(log_r)
        F = jnp.array([[1.0, dt], [0.0, 1.0]])
        Q = q * jnp.array([[dt ** 3 / 3.0, dt ** 2 / 2.0], [dt ** 2 / 2.0, dt]])

        def step(state, observed):
            x, P = state
            x = F @ x
            P = F @ P @ F.T + Q
            S = P[0, 0] + r
            v = observed - x[0]
            K = P[:, 0] / S
            x = x + K * v
            P = P - jnp.outer(K, P[0, :])
            return (x, P), 0.5 * (jnp.log(2.0 * jnp.pi * S) + v * v / S)

        init = (jnp.array([y[0], 0.0]), jnp.eye(2))
        _, terms = jax.lax.scan(step, init, y)
        return jnp.sum(terms)

    return kalman_nll
