"""Softened gravitational N-body, velocity-Verlet (leapfrog) steps, fitted to target
final positions.

    a_i = sum_{j != i} m_j (x_j - x_i) / (|x_j - x_i|^2 + eps^2)^{3/2}
    v += dt/2 a;  x += dt v;  a = a(x);  v += dt/2 a
    loss(x0, v0) = sum_i |x_i(T) - target_i|^2

Pair forces are accumulated into an acceleration array (both bodies of a pair
updated in one visit); differentiated with respect to the initial positions and
velocities.
"""

from __future__ import annotations

import numpy as np
from numba import njit

TITLE = "velocity-Verlet N-body (softened gravity, pair forces)"
SIZES = {
    "small": {"bodies": 5, "steps": 6},
    "default": {"bodies": 32, "steps": 300},
    "large": {"bodies": 64, "steps": 400},
}
WRT = (0, 1)
WRT_NAMES = ("x0", "v0")
RTOL = 1e-8


def nbody_verlet(x0, v0, mass, target, dt, steps):
    """Arrays of positions and velocities updated in place each step."""
    n = x0.shape[0]
    x = x0.copy()
    v = v0.copy()
    acc = np.zeros((n, 3))
    eps2 = 0.01
    for i in range(n):
        for j in range(i + 1, n):
            dx = x[j, 0] - x[i, 0]
            dy = x[j, 1] - x[i, 1]
            dz = x[j, 2] - x[i, 2]
            r2 = dx * dx + dy * dy + dz * dz + eps2
            inv3 = 1.0 / (r2 * np.sqrt(r2))
            acc[i, 0] += mass[j] * dx * inv3
            acc[i, 1] += mass[j] * dy * inv3
            acc[i, 2] += mass[j] * dz * inv3
            acc[j, 0] -= mass[i] * dx * inv3
            acc[j, 1] -= mass[i] * dy * inv3
            acc[j, 2] -= mass[i] * dz * inv3
    for t in range(steps):
        for i in range(n):
            for k in range(3):
                v[i, k] += 0.5 * dt * acc[i, k]
                x[i, k] += dt * v[i, k]
        for i in range(n):
            for k in range(3):
                acc[i, k] = 0.0
        for i in range(n):
            for j in range(i + 1, n):
                dx = x[j, 0] - x[i, 0]
                dy = x[j, 1] - x[i, 1]
                dz = x[j, 2] - x[i, 2]
                r2 = dx * dx + dy * dy + dz * dz + eps2
                inv3 = 1.0 / (r2 * np.sqrt(r2))
                acc[i, 0] += mass[j] * dx * inv3
                acc[i, 1] += mass[j] * dy * inv3
                acc[i, 2] += mass[j] * dz * inv3
                acc[j, 0] -= mass[i] * dx * inv3
                acc[j, 1] -= mass[i] * dy * inv3
                acc[j, 2] -= mass[i] * dz * inv3
        for i in range(n):
            for k in range(3):
                v[i, k] += 0.5 * dt * acc[i, k]
    loss = 0.0
    for i in range(n):
        for k in range(3):
            loss += (x[i, k] - target[i, k]) ** 2
    return loss


STYLES = {"arrays in place": nbody_verlet}


@njit(cache=True)
def _accelerations(x, mass, acc):
    """acc = A(x), the pair forces."""
    n = x.shape[0]
    for i in range(n):
        for k in range(3):
            acc[i, k] = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            dx = x[j, 0] - x[i, 0]
            dy = x[j, 1] - x[i, 1]
            dz = x[j, 2] - x[i, 2]
            r2 = dx * dx + dy * dy + dz * dz + 0.01
            inv3 = 1.0 / (r2 * np.sqrt(r2))
            acc[i, 0] += mass[j] * dx * inv3
            acc[i, 1] += mass[j] * dy * inv3
            acc[i, 2] += mass[j] * dz * inv3
            acc[j, 0] -= mass[i] * dx * inv3
            acc[j, 1] -= mass[i] * dy * inv3
            acc[j, 2] -= mass[i] * dz * inv3


@njit(cache=True)
def _accelerations_vjp(x, mass, abar, xbar):
    """xbar += J_A(x)^T abar, pair by pair (the pair distances recomputed)."""
    n = x.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            dx = x[j, 0] - x[i, 0]
            dy = x[j, 1] - x[i, 1]
            dz = x[j, 2] - x[i, 2]
            r2 = dx * dx + dy * dy + dz * dz + 0.01
            inv3 = 1.0 / (r2 * np.sqrt(r2))
            wx = mass[j] * abar[i, 0] - mass[i] * abar[j, 0]
            wy = mass[j] * abar[i, 1] - mass[i] * abar[j, 1]
            wz = mass[j] * abar[i, 2] - mass[i] * abar[j, 2]
            c = -3.0 * (wx * dx + wy * dy + wz * dz) * inv3 / r2
            gx = wx * inv3 + c * dx
            gy = wy * inv3 + c * dy
            gz = wz * inv3 + c * dz
            xbar[j, 0] += gx
            xbar[j, 1] += gy
            xbar[j, 2] += gz
            xbar[i, 0] -= gx
            xbar[i, 1] -= gy
            xbar[i, 2] -= gz


def nbody_by_hand(x0, v0, mass, target, dt, steps):
    """Positions kept per step; the reverse sweep runs the kicks and drifts backwards
    and the force's transposed Jacobian pair by pair, recomputing the distances."""
    n = x0.shape[0]
    xs = np.empty((steps + 1, n, 3))
    xs[0] = x0
    v = v0.copy()
    acc = np.empty((n, 3))
    _accelerations(x0, mass, acc)
    for t in range(steps):
        for i in range(n):
            for k in range(3):
                v[i, k] += 0.5 * dt * acc[i, k]
                xs[t + 1, i, k] = xs[t, i, k] + dt * v[i, k]
        _accelerations(xs[t + 1], mass, acc)
        for i in range(n):
            for k in range(3):
                v[i, k] += 0.5 * dt * acc[i, k]
    loss = 0.0
    xbar = np.empty((n, 3))
    for i in range(n):
        for k in range(3):
            r = xs[steps, i, k] - target[i, k]
            loss += r * r
            xbar[i, k] = 2.0 * r
    vbar = np.zeros((n, 3))
    abar = np.zeros((n, 3))
    for t in range(steps - 1, -1, -1):
        for i in range(n):
            for k in range(3):
                abar[i, k] += 0.5 * dt * vbar[i, k]
        _accelerations_vjp(xs[t + 1], mass, abar, xbar)
        for i in range(n):
            for k in range(3):
                vbar[i, k] += dt * xbar[i, k]
                abar[i, k] = 0.5 * dt * vbar[i, k]
    _accelerations_vjp(x0, mass, abar, xbar)
    return loss, (xbar, vbar)


HAND = nbody_by_hand


def make_args(params: dict) -> tuple:
    """Bodies in a unit ball with small random velocities; the target is the start shifted."""
    n, steps = params["bodies"], params["steps"]
    rng = np.random.default_rng(11)
    x0 = rng.standard_normal((n, 3))
    v0 = 0.1 * rng.standard_normal((n, 3))
    mass = rng.uniform(0.5, 1.5, n) / n
    target = x0 + 0.05
    return x0, v0, mass, target, 0.01, steps


def jax_objective():
    """``lax.fori_loop`` over the steps, the forces as an (n, n) broadcast."""
    import jax
    import jax.numpy as jnp

    def forces(x, mass):
        d = x[None, :, :] - x[:, None, :]  # d[i, j] = x_j - x_i
        r2 = jnp.sum(d * d, axis=-1) + 0.01
        inv3 = 1.0 / (r2 * jnp.sqrt(r2))
        inv3 = inv3 * (1.0 - jnp.eye(x.shape[0]))
        return jnp.einsum("ij,ijk->ik", mass[None, :] * inv3, d)

    def nbody(x0, v0, mass, target, dt, steps):
        def step(_, state):
            x, v, a = state
            v = v + 0.5 * dt * a
            x = x + dt * v
            a = forces(x, mass)
            v = v + 0.5 * dt * a
            return x, v, a

        x, _, _ = jax.lax.fori_loop(0, steps, step, (x0, v0, forces(x0, mass)))
        return jnp.sum((x - target) ** 2)

    return nbody
