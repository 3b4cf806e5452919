"""An extended Kalman filter tracking a pendulum (state: angle, rate) from noisy
2-D positions of the bob; the negative log-likelihood of the observations,
differentiated with respect to the process and observation noise levels and
the damping.

    x <- f(x) (Euler),  P <- F P F^T + Q,  z = (l sin th, -l cos th) + noise
    S = H P H^T + R,  K = P H^T S^-1,  nll += (log det S + v^T S^-1 v) / 2
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "extended Kalman filter, pendulum from 2-D positions, 2x2 inverse per step"
SIZES = {
    "small": {"steps": 12},
    "default": {"steps": 5000},
    "large": {"steps": 50_000},
}
WRT = (0, 1, 2)
WRT_NAMES = ("log_q", "log_r", "damping")
RTOL = 1e-8


def ekf_nll(log_q, log_r, damping, obs, dt, length):
    g = 9.81
    q = math.exp(log_q)
    r = math.exp(log_r)
    Q = np.array([[0.0, 0.0], [0.0, q * dt]])
    R = r * np.eye(2)
    x = np.array([obs[0, 0] / length, 0.0])
    P = 0.1 * np.eye(2)
    nll = 0.0
    for t in range(obs.shape[0]):
        th = x[0]
        w = x[1]
        x = np.array([th + dt * w, w - dt * (g / length * math.sin(th) + damping * w)])
        F = np.array([[1.0, dt], [-dt * g / length * math.cos(th), 1.0 - dt * damping]])
        P = F @ P @ F.T + Q
        z_pred = np.array([length * math.sin(x[0]), -length * math.cos(x[0])])
        H = np.array([[length * math.cos(x[0]), 0.0], [length * math.sin(x[0]), 0.0]])
        v = np.array([obs[t, 0], obs[t, 1]]) - z_pred
        S = H @ P @ H.T + R
        Si = np.linalg.inv(S)
        K = P @ H.T @ Si
        x = x + K @ v
        P = (np.eye(2) - K @ H) @ P
        nll += 0.5 * (math.log(np.linalg.det(S)) + v @ Si @ v)
    return nll


STYLES = {"matrices per step": ekf_nll}
HAND = None


def make_args(params: dict) -> tuple:
    """A damped swing observed every 10 ms with 2 cm noise."""
    steps = params["steps"]
    rng = np.random.default_rng(12)
    dt, length = 0.01, 1.2
    th, w = 1.0, 0.0
    obs = np.empty((steps, 2))
    for t in range(steps):
        th, w = th + dt * w, w - dt * (9.81 / length * math.sin(th) + 0.05 * w)
        w += 0.02 * rng.standard_normal()
        obs[t, 0] = length * math.sin(th) + 0.02 * rng.standard_normal()
        obs[t, 1] = -length * math.cos(th) + 0.02 * rng.standard_normal()
    return math.log(0.05), math.log(4e-4), 0.08, obs, dt, length


def jax_objective():
    """``lax.scan`` over observations with ``jnp`` 2-vectors and 2x2 matrices."""
    import jax
    import jax.numpy as jnp

    def ekf_nll(log_q, log_r, damping, obs, dt, length):
        g = 9.81
        q = jnp.exp(log_q)
        r = jnp.exp(log_r)
        Q = jnp.array([[0.0, 0.0], [0.0, q * dt]])
        R = r * jnp.eye(2)

        def step(carry, z):
            x, P = carry
            th, w = x[0], x[1]
            x = jnp.stack([th + dt * w, w - dt * (g / length * jnp.sin(th) + damping * w)])
            F = jnp.array([[1.0, dt], [-dt * g / length * jnp.cos(th), 1.0 - dt * damping]])
            P = F @ P @ F.T + Q
            z_pred = jnp.stack([length * jnp.sin(x[0]), -length * jnp.cos(x[0])])
            H = jnp.array([[length * jnp.cos(x[0]), 0.0], [length * jnp.sin(x[0]), 0.0]])
            v = z - z_pred
            S = H @ P @ H.T + R
            Si = jnp.linalg.inv(S)
            K = P @ H.T @ Si
            x = x + K @ v
            P = (jnp.eye(2) - K @ H) @ P
            return (x, P), 0.5 * (jnp.log(jnp.linalg.det(S)) + v @ Si @ v)

        x0 = jnp.stack([obs[0, 0] / length, 0.0])
        _, terms = jax.lax.scan(step, (x0, 0.1 * jnp.eye(2)), obs)
        return terms.sum()

    return ekf_nll
