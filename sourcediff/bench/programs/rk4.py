"""Lotka-Volterra predator-prey model integrated by classic RK4, fitted to
observations at every step.

    x' = a x - b x y,   y' = c x y - d y
    loss(theta, state0) = sum_t (x_t - obs[t, 0])^2 + (y_t - obs[t, 1])^2

Differentiated with respect to ``theta = (a, b, c, d)`` and the initial state.
Three ways of writing the stages: a helper function returning the right-hand
side as a tuple, everything inline, and the state as a two-element array
copied from the argument with a helper returning ``np.array([...])``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

TITLE = "RK4 on Lotka-Volterra, loss at every step"
SIZES = {
    "small": {"steps": 15, "dt": 0.05},
    "default": {"steps": 20_000, "dt": 0.001},
    "large": {"steps": 200_000, "dt": 0.0001},
}
WRT = (0, 1)
WRT_NAMES = ("theta", "state0")
RTOL = 1e-8


@njit(cache=True)
def lotka_volterra(x, y, a, b, c, d):
    """The right-hand side (x', y')."""
    return a * x - b * x * y, c * x * y - d * y


def rk4_helper(theta, state0, obs, dt):
    """The four stages as helper calls."""
    a = theta[0]
    b = theta[1]
    c = theta[2]
    d = theta[3]
    x = state0[0]
    y = state0[1]
    s = 0.0
    for t in range(obs.shape[0]):
        k1x, k1y = lotka_volterra(x, y, a, b, c, d)
        k2x, k2y = lotka_volterra(x + 0.5 * dt * k1x, y + 0.5 * dt * k1y, a, b, c, d)
        k3x, k3y = lotka_volterra(x + 0.5 * dt * k2x, y + 0.5 * dt * k2y, a, b, c, d)
        k4x, k4y = lotka_volterra(x + dt * k3x, y + dt * k3y, a, b, c, d)
        x = x + dt / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
        y = y + dt / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
        ex = x - obs[t, 0]
        ey = y - obs[t, 1]
        s += ex * ex + ey * ey
    return s


def rk4_inline(theta, state0, obs, dt):
    """The four stages written out."""
    a = theta[0]
    b = theta[1]
    c = theta[2]
    d = theta[3]
    x = state0[0]
    y = state0[1]
    s = 0.0
    for t in range(obs.shape[0]):
        k1x = a * x - b * x * y
        k1y = c * x * y - d * y
        x2 = x + 0.5 * dt * k1x
        y2 = y + 0.5 * dt * k1y
        k2x = a * x2 - b * x2 * y2
        k2y = c * x2 * y2 - d * y2
        x3 = x + 0.5 * dt * k2x
        y3 = y + 0.5 * dt * k2y
        k3x = a * x3 - b * x3 * y3
        k3y = c * x3 * y3 - d * y3
        x4 = x + dt * k3x
        y4 = y + dt * k3y
        k4x = a * x4 - b * x4 * y4
        k4y = c * x4 * y4 - d * y4
        x = x + dt / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
        y = y + dt / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
        s += (x - obs[t, 0]) ** 2 + (y - obs[t, 1]) ** 2
    return s


@njit(cache=True)
def lotka_volterra_vector(u, a, b, c, d):
    """The right-hand side as a two-element array."""
    return np.array([a * u[0] - b * u[0] * u[1], c * u[0] * u[1] - d * u[1]])


def rk4_vector(theta, state0, obs, dt):
    """The state a copy of the argument, the stages arrays (the length of the
    state is the caller's)."""
    a = theta[0]
    b = theta[1]
    c = theta[2]
    d = theta[3]
    u = state0.copy()
    s = 0.0
    for t in range(obs.shape[0]):
        k1 = lotka_volterra_vector(u, a, b, c, d)
        k2 = lotka_volterra_vector(u + 0.5 * dt * k1, a, b, c, d)
        k3 = lotka_volterra_vector(u + 0.5 * dt * k2, a, b, c, d)
        k4 = lotka_volterra_vector(u + dt * k3, a, b, c, d)
        u = u + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        s += (u[0] - obs[t, 0]) ** 2 + (u[1] - obs[t, 1]) ** 2
    return s


STYLES = {"helper": rk4_helper, "inline": rk4_inline, "state vector": rk4_vector}
HAND = None


def make_args(params: dict) -> tuple:
    """Observations from the true parameters plus noise; the fit starts nearby."""
    steps, dt = params["steps"], params["dt"]
    rng = np.random.default_rng(7)
    true = np.array([1.0, 0.5, 0.4, 0.8])
    obs = np.empty((steps, 2))
    x, y = 2.0, 1.0
    a, b, c, d = true
    for t in range(steps):
        k1 = (a * x - b * x * y, c * x * y - d * y)
        k2 = (a * (x + 0.5 * dt * k1[0]) - b * (x + 0.5 * dt * k1[0]) * (y + 0.5 * dt * k1[1]),
              c * (x + 0.5 * dt * k1[0]) * (y + 0.5 * dt * k1[1]) - d * (y + 0.5 * dt * k1[1]))
        x, y = x + dt * k2[0], y + dt * k2[1]  # midpoint rule is enough for synthetic data
        obs[t] = x, y
    obs += 0.05 * rng.standard_normal(obs.shape)
    theta = true * (1.0 + 0.05 * rng.standard_normal(4))
    return theta, np.array([1.9, 1.1]), obs, dt


def jax_objective():
    """``lax.scan`` over the observations, the RK4 step on a state vector."""
    import jax
    import jax.numpy as jnp

    def rk4(theta, state0, obs, dt):
        a, b, c, d = theta[0], theta[1], theta[2], theta[3]

        def rhs(state):
            x, y = state[0], state[1]
            return jnp.stack([a * x - b * x * y, c * x * y - d * y])

        def step(state, observed):
            k1 = rhs(state)
            k2 = rhs(state + 0.5 * dt * k1)
            k3 = rhs(state + 0.5 * dt * k2)
            k4 = rhs(state + dt * k3)
            state = state + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            return state, jnp.sum((state - observed) ** 2)

        _, losses = jax.lax.scan(step, state0, obs)
        return jnp.sum(losses)

    return rk4
