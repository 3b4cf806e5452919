"""A damped wave on a periodic 2-D grid, explicit time stepping (a velocity
array updated in place, a fresh displacement array each step); the squared
misfit of the final displacement to a target.

    v <- (1 - damp) v + dt c^2 lap(u),   u <- u + dt v,
    loss(u0, c) = sum_{i,j} (u[i,j](T) - target[i,j])^2

Differentiated with respect to the initial displacement ``u0`` and the
wave speed field ``c``. Two ways of naming the periodic neighbours: tests on
the index at the ends (``j + 1 if j < n - 1 else 0``, as a new user wrote it)
and the remainder ``(j + 1) % n``.
"""

from __future__ import annotations

import numpy as np

TITLE = "2-D damped wave equation, periodic grid"
SIZES = {
    "small": {"n": 5, "steps": 3},
    "default": {"n": 128, "steps": 200},
    "large": {"n": 256, "steps": 1000},
}
WRT = (0, 1)
WRT_NAMES = ("u0", "c")
RTOL = 1e-9


def wave_index_tests(u0, c, target, damp, dt, steps):
    """Neighbours by tests on the index at the grid's ends."""
    n = u0.shape[0]
    u = u0.copy()
    v = np.zeros((n, n))
    for t in range(steps):
        unew = np.empty((n, n))
        for i in range(n):
            ip = i + 1 if i < n - 1 else 0
            im = i - 1 if i > 0 else n - 1
            for j in range(n):
                jp = j + 1 if j < n - 1 else 0
                jm = j - 1 if j > 0 else n - 1
                lap = u[ip, j] + u[im, j] + u[i, jp] + u[i, jm] - 4.0 * u[i, j]
                v[i, j] = (1.0 - damp) * v[i, j] + dt * c[i, j] * c[i, j] * lap
                unew[i, j] = u[i, j] + dt * v[i, j]
        u = unew
    s = 0.0
    for i in range(n):
        for j in range(n):
            d = u[i, j] - target[i, j]
            s += d * d
    return s


def wave_remainder(u0, c, target, damp, dt, steps):
    """Neighbours by the remainder."""
    n = u0.shape[0]
    u = u0.copy()
    v = np.zeros((n, n))
    for t in range(steps):
        unew = np.empty((n, n))
        for i in range(n):
            for j in range(n):
                lap = (u[(i + 1) % n, j] + u[(i - 1) % n, j] + u[i, (j + 1) % n]
                       + u[i, (j - 1) % n] - 4.0 * u[i, j])
                v[i, j] = (1.0 - damp) * v[i, j] + dt * c[i, j] * c[i, j] * lap
                unew[i, j] = u[i, j] + dt * v[i, j]
        u = unew
    s = 0.0
    for i in range(n):
        for j in range(n):
            d = u[i, j] - target[i, j]
            s += d * d
    return s


STYLES = {"index tests": wave_index_tests, "remainder": wave_remainder}


def wave_by_hand(u0, c, target, damp, dt, steps):
    """Every displacement stored (a row of a 3-D array per step); the reverse
    step first takes the Laplacian's adjoint at each point, then gathers it
    from the four neighbours."""
    n = u0.shape[0]
    us = np.empty((steps + 1, n, n))
    us[0] = u0
    v = np.zeros((n, n))
    for t in range(steps):
        u = us[t]
        unew = us[t + 1]
        for i in range(n):
            ip = i + 1 if i < n - 1 else 0
            im = i - 1 if i > 0 else n - 1
            for j in range(n):
                jp = j + 1 if j < n - 1 else 0
                jm = j - 1 if j > 0 else n - 1
                lap = u[ip, j] + u[im, j] + u[i, jp] + u[i, jm] - 4.0 * u[i, j]
                v[i, j] = (1.0 - damp) * v[i, j] + dt * c[i, j] * c[i, j] * lap
                unew[i, j] = u[i, j] + dt * v[i, j]
    s = 0.0
    du = np.empty((n, n))
    u = us[steps]
    for i in range(n):
        for j in range(n):
            d = u[i, j] - target[i, j]
            s += d * d
            du[i, j] = 2.0 * d
    dv = np.zeros((n, n))
    dc = np.zeros((n, n))
    dlap = np.empty((n, n))
    for t in range(steps - 1, -1, -1):
        u = us[t]
        for i in range(n):
            ip = i + 1 if i < n - 1 else 0
            im = i - 1 if i > 0 else n - 1
            for j in range(n):
                jp = j + 1 if j < n - 1 else 0
                jm = j - 1 if j > 0 else n - 1
                lap = u[ip, j] + u[im, j] + u[i, jp] + u[i, jm] - 4.0 * u[i, j]
                g = dv[i, j] + dt * du[i, j]
                dlap[i, j] = g * dt * c[i, j] * c[i, j]
                dc[i, j] += g * dt * 2.0 * c[i, j] * lap
                dv[i, j] = (1.0 - damp) * g
        for i in range(n):
            ip = i + 1 if i < n - 1 else 0
            im = i - 1 if i > 0 else n - 1
            for j in range(n):
                jp = j + 1 if j < n - 1 else 0
                jm = j - 1 if j > 0 else n - 1
                du[i, j] += (dlap[ip, j] + dlap[im, j] + dlap[i, jp] + dlap[i, jm]
                             - 4.0 * dlap[i, j])
    return s, (du, dc)


HAND = wave_by_hand


def make_args(params: dict) -> tuple:
    """A bump on the grid, a wave speed near 0.5, a shifted bump as the target."""
    n, steps = params["n"], params["steps"]
    rng = np.random.default_rng(6)
    x = np.linspace(0.0, 1.0, n, endpoint=False)
    bump = np.exp(-40.0 * ((x[:, None] - 0.5) ** 2 + (x[None, :] - 0.5) ** 2))
    u0 = bump + 0.01 * rng.standard_normal((n, n))
    c = 0.5 + 0.1 * rng.random((n, n))
    target = np.roll(bump, n // 8, axis=0)
    return u0, c, target, 0.01, 0.2, steps


def jax_objective():
    """``lax.fori_loop`` over the steps, the Laplacian by ``jnp.roll``."""
    import jax
    import jax.numpy as jnp

    def wave(u0, c, target, damp, dt, steps):
        def step(_, state):
            u, v = state
            lap = (jnp.roll(u, -1, 0) + jnp.roll(u, 1, 0) + jnp.roll(u, -1, 1)
                   + jnp.roll(u, 1, 1) - 4.0 * u)
            v = (1.0 - damp) * v + dt * c * c * lap
            return u + dt * v, v

        u, _ = jax.lax.fori_loop(0, steps, step, (u0, jnp.zeros_like(u0)))
        return jnp.sum((u - target) ** 2)

    return wave
