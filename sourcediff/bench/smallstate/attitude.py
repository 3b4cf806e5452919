"""A free rigid body: Euler's equations for the body rates (explicit Euler) and
the attitude matrix advanced by a Rodrigues rotation each step; the loss is
the squared Frobenius distance of the final attitude to a target.

    I w' = -w x (I w),   R <- R (I + sin(a) K + (1 - cos(a)) K^2),  a = |w| dt
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "rigid-body attitude, Rodrigues rotations of a 3x3 matrix"
SIZES = {
    "small": {"steps": 15},
    "default": {"steps": 20_000},
    "large": {"steps": 200_000},
}
WRT = (0, 1)
WRT_NAMES = ("w0", "inertia")
RTOL = 1e-8


def attitude_loss(w0, inertia, target, dt, steps):
    R = np.eye(3)
    w = np.array([w0[0], w0[1], w0[2]])
    I = np.array([inertia[0], inertia[1], inertia[2]])
    for k in range(steps):
        wdot = -np.cross(w, I * w) / I
        w = w + dt * wdot
        rate = np.linalg.norm(w)
        axis = w / rate
        K = np.array([[0.0, -axis[2], axis[1]],
                      [axis[2], 0.0, -axis[0]],
                      [-axis[1], axis[0], 0.0]])
        a = rate * dt
        R = R @ (np.eye(3) + math.sin(a) * K + (1.0 - math.cos(a)) * (K @ K))
    return np.sum((R - target) ** 2)


STYLES = {"rotation matrix": attitude_loss}
HAND = None


def make_args(params: dict) -> tuple:
    """A tumbling body (rates near the unstable middle axis), 1 ms steps."""
    target = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    return (np.array([0.3, 2.0, 0.1]), np.array([1.0, 2.0, 3.0]), target, 0.001,
            params["steps"])


def jax_objective():
    """``lax.fori_loop`` over steps with ``jnp`` 3-vectors and 3x3 matrices."""
    import jax
    import jax.numpy as jnp

    def attitude_loss(w0, inertia, target, dt, steps):
        def step(_, carry):
            R, w = carry
            wdot = -jnp.cross(w, inertia * w) / inertia
            w = w + dt * wdot
            rate = jnp.linalg.norm(w)
            axis = w / rate
            K = jnp.array([[0.0, -axis[2], axis[1]],
                           [axis[2], 0.0, -axis[0]],
                           [-axis[1], axis[0], 0.0]])
            a = rate * dt
            return R @ (jnp.eye(3) + jnp.sin(a) * K + (1.0 - jnp.cos(a)) * (K @ K)), w

        R, _ = jax.lax.fori_loop(0, steps, step, (jnp.eye(3), w0))
        return jnp.sum((R - target) ** 2)

    return attitude_loss
