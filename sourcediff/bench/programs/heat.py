"""1-D explicit heat equation, fitted to a target profile.

    u_{t+1}[i] = u_t[i] + kappa (u_t[i-1] - 2 u_t[i] + u_t[i+1]),  0 < i < n-1
    loss(u0, kappa) = sum_i (u_T[i] - target[i])^2

(kappa = diffusivity * dt / dx^2, the ends held at their initial values).
Differentiated with respect to the initial profile and kappa. Two ways of
keeping the two time levels: write the new level into a buffer and copy it
back, or swap the two buffers (``u, unew = unew, u``).
"""

from __future__ import annotations

import numpy as np

TITLE = "1-D explicit heat equation"
SIZES = {
    "small": {"n": 12, "steps": 20},
    "default": {"n": 200, "steps": 5000},
    "large": {"n": 1000, "steps": 20_000},
}
WRT = (0, 1)
WRT_NAMES = ("u0", "kappa")
RTOL = 1e-9


def heat_copy_back(u0, kappa, target, steps):
    """New level into ``unew``, then copied back into ``u``."""
    n = u0.shape[0]
    u = u0.copy()
    unew = u0.copy()
    for t in range(steps):
        for i in range(1, n - 1):
            unew[i] = u[i] + kappa * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        for i in range(1, n - 1):
            u[i] = unew[i]
    s = 0.0
    for i in range(n):
        s += (u[i] - target[i]) ** 2
    return s


def heat_swap(u0, kappa, target, steps):
    """Two buffers whose roles are swapped after every step."""
    n = u0.shape[0]
    u = u0.copy()
    unew = u0.copy()
    for t in range(steps):
        for i in range(1, n - 1):
            unew[i] = u[i] + kappa * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u, unew = unew, u
    s = 0.0
    for i in range(n):
        s += (u[i] - target[i]) ** 2
    return s


STYLES = {"copy-back": heat_copy_back, "buffer swap": heat_swap}


def heat_by_hand(u0, kappa, target, steps):
    """Every level kept in a preallocated array; the reverse sweep applies the
    transposed stencil and accumulates d loss / d kappa."""
    n = u0.shape[0]
    levels = np.empty((steps + 1, n))
    levels[0] = u0
    for t in range(steps):
        levels[t + 1, 0] = levels[t, 0]
        levels[t + 1, n - 1] = levels[t, n - 1]
        for i in range(1, n - 1):
            levels[t + 1, i] = levels[t, i] + kappa * (
                levels[t, i - 1] - 2.0 * levels[t, i] + levels[t, i + 1])
    s = 0.0
    adj = np.empty(n)
    for i in range(n):
        r = levels[steps, i] - target[i]
        s += r * r
        adj[i] = 2.0 * r
    prev = np.empty(n)
    d_kappa = 0.0
    for t in range(steps - 1, -1, -1):
        prev[0] = adj[0]
        prev[n - 1] = adj[n - 1]
        for i in range(1, n - 1):
            prev[i] = 0.0
        for i in range(1, n - 1):
            d_kappa += adj[i] * (levels[t, i - 1] - 2.0 * levels[t, i] + levels[t, i + 1])
            prev[i - 1] += kappa * adj[i]
            prev[i] += (1.0 - 2.0 * kappa) * adj[i]
            prev[i + 1] += kappa * adj[i]
        adj, prev = prev, adj
    return s, (adj.copy(), d_kappa)


HAND = heat_by_hand


def make_args(params: dict) -> tuple:
    """A bumpy initial profile, kappa = 0.25 (stable), a smooth target."""
    n, steps = params["n"], params["steps"]
    rng = np.random.default_rng(1)
    grid = np.linspace(0.0, 1.0, n)
    u0 = np.sin(np.pi * grid) + 0.1 * rng.standard_normal(n)
    target = 0.5 * np.sin(np.pi * grid)
    return u0, 0.25, target, steps


def jax_objective():
    """``lax.fori_loop`` over the steps, the stencil on slices."""
    import jax
    import jax.numpy as jnp

    def heat(u0, kappa, target, steps):
        def step(_, u):
            return u.at[1:-1].set(u[1:-1] + kappa * (u[:-2] - 2.0 * u[1:-1] + u[2:]))

        u = jax.lax.fori_loop(0, steps, step, u0)
        return jnp.sum((u - target) ** 2)

    return heat
