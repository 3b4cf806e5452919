"""A double pendulum integrated by classical RK4, the state ``np.array([th1,
th2, w1, w2])`` and the right-hand side a helper returning a new array; the
loss is the squared distance of the lower bob to a target at the end.

    th1'' , th2'' from the Lagrangian (unit masses, lengths l1, l2, gravity g)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

TITLE = "double pendulum, RK4 on a 4-vector state"
SIZES = {
    "small": {"steps": 20},
    "default": {"steps": 20_000},
    "large": {"steps": 200_000},
}
WRT = (0, 1, 2)
WRT_NAMES = ("th1", "th2", "l2")
RTOL = 1e-8


@njit(cache=True)
def derivs(state, l1, l2, g):
    th1, th2, w1, w2 = state[0], state[1], state[2], state[3]
    delta = th1 - th2
    den = 2.0 - math.cos(2.0 * delta)
    a1 = (-g * 3.0 * math.sin(th1) - g * math.sin(th1 - 2.0 * th2)
          - 2.0 * math.sin(delta) * (w2 * w2 * l2 + w1 * w1 * l1 * math.cos(delta))) / (l1 * den)
    a2 = (2.0 * math.sin(delta) * (w1 * w1 * l1 * 2.0 + g * 2.0 * math.cos(th1)
                                   + w2 * w2 * l2 * math.cos(delta))) / (l2 * den)
    return np.array([w1, w2, a1, a2])


def pendulum_loss(th1, th2, l2, target, dt, steps):
    l1 = 1.0
    g = 9.81
    state = np.array([th1, th2, 0.0, 0.0])
    for k in range(steps):
        k1 = derivs(state, l1, l2, g)
        k2 = derivs(state + 0.5 * dt * k1, l1, l2, g)
        k3 = derivs(state + 0.5 * dt * k2, l1, l2, g)
        k4 = derivs(state + dt * k3, l1, l2, g)
        state = state + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    x = l1 * math.sin(state[0]) + l2 * math.sin(state[1])
    y = -l1 * math.cos(state[0]) - l2 * math.cos(state[1])
    return (x - target[0]) ** 2 + (y - target[1]) ** 2


STYLES = {"rk4 helper": pendulum_loss}
HAND = None


def make_args(params: dict) -> tuple:
    """Released from rest at moderate angles, 1 ms steps; a target below the pivot."""
    return 0.6, -0.4, 0.8, np.array([0.3, -1.5]), 0.001, params["steps"]


def jax_objective():
    """``lax.fori_loop`` over RK4 steps on a ``jnp`` 4-vector."""
    import jax
    import jax.numpy as jnp

    def derivs(state, l1, l2, g):
        th1, th2, w1, w2 = state
        delta = th1 - th2
        den = 2.0 - jnp.cos(2.0 * delta)
        a1 = (-g * 3.0 * jnp.sin(th1) - g * jnp.sin(th1 - 2.0 * th2)
              - 2.0 * jnp.sin(delta) * (w2 * w2 * l2 + w1 * w1 * l1 * jnp.cos(delta))) / (l1 * den)
        a2 = (2.0 * jnp.sin(delta) * (w1 * w1 * l1 * 2.0 + g * 2.0 * jnp.cos(th1)
                                      + w2 * w2 * l2 * jnp.cos(delta))) / (l2 * den)
        return jnp.stack([w1, w2, a1, a2])

    def pendulum_loss(th1, th2, l2, target, dt, steps):
        l1, g = 1.0, 9.81

        def step(_, state):
            k1 = derivs(state, l1, l2, g)
            k2 = derivs(state + 0.5 * dt * k1, l1, l2, g)
            k3 = derivs(state + 0.5 * dt * k2, l1, l2, g)
            k4 = derivs(state + dt * k3, l1, l2, g)
            return state + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)

        state = jax.lax.fori_loop(0, steps, step, jnp.stack([th1, th2, 0.0 * th1, 0.0 * th1]))
        x = l1 * jnp.sin(state[0]) + l2 * jnp.sin(state[1])
        y = -l1 * jnp.cos(state[0]) - l2 * jnp.cos(state[1])
        return (x - target[0]) ** 2 + (y - target[1]) ** 2

    return pendulum_loss
