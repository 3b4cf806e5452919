"""1-D heat equation by backward Euler: a tridiagonal (Thomas) solve every step,
fitted to a target profile.

    (1 + 2 kappa) u_i - kappa u_{i-1} - kappa u_{i+1} = u_i^old   (zero outside)
    loss(u0, kappa) = sum_i (u_T[i] - target[i])^2

The Thomas algorithm's forward sweep fills ``cp``/``dp`` and the back
substitution runs ``range(n - 2, -1, -1)``; differentiated with respect to the
initial profile and kappa.
"""

from __future__ import annotations

import numpy as np

TITLE = "implicit heat equation, Thomas solve per step"
SIZES = {
    "small": {"n": 8, "steps": 5},
    "default": {"n": 200, "steps": 500},
    "large": {"n": 1000, "steps": 5000},
}
WRT = (0, 1)
WRT_NAMES = ("u0", "kappa")
RTOL = 1e-9


def implicit_heat(u0, kappa, target, steps):
    """Forward elimination into scratch arrays, back substitution into ``u``."""
    n = u0.shape[0]
    u = u0.copy()
    cp = np.zeros(n)
    dp = np.zeros(n)
    a = -kappa
    b = 1.0 + 2.0 * kappa
    c = -kappa
    for t in range(steps):
        cp[0] = c / b
        dp[0] = u[0] / b
        for i in range(1, n):
            denom = b - a * cp[i - 1]
            cp[i] = c / denom
            dp[i] = (u[i] - a * dp[i - 1]) / denom
        u[n - 1] = dp[n - 1]
        for i in range(n - 2, -1, -1):
            u[i] = dp[i] - cp[i] * u[i + 1]
    loss = 0.0
    for i in range(n):
        loss += (u[i] - target[i]) ** 2
    return loss


STYLES = {"thomas sweep": implicit_heat}


def implicit_heat_by_hand(u0, kappa, target, steps):
    """Every level kept; the reverse sweep solves the adjoint system (A is symmetric,
    so the same Thomas factors) and adds -lambda . (dA/dkappa) u for kappa."""
    n = u0.shape[0]
    levels = np.empty((steps + 1, n))
    levels[0] = u0
    a = -kappa
    b = 1.0 + 2.0 * kappa
    cp = np.empty(n)
    inv = np.empty(n)  # 1 / pivot
    cp[0] = a / b
    inv[0] = 1.0 / b
    for i in range(1, n):
        inv[i] = 1.0 / (b - a * cp[i - 1])
        cp[i] = a * inv[i]
    dp = np.empty(n)
    for t in range(steps):
        dp[0] = levels[t, 0] * inv[0]
        for i in range(1, n):
            dp[i] = (levels[t, i] - a * dp[i - 1]) * inv[i]
        levels[t + 1, n - 1] = dp[n - 1]
        for i in range(n - 2, -1, -1):
            levels[t + 1, i] = dp[i] - cp[i] * levels[t + 1, i + 1]
    loss = 0.0
    bar = np.empty(n)
    for i in range(n):
        r = levels[steps, i] - target[i]
        loss += r * r
        bar[i] = 2.0 * r
    lam = np.empty(n)
    d_kappa = 0.0
    for t in range(steps, 0, -1):
        dp[0] = bar[0] * inv[0]
        for i in range(1, n):
            dp[i] = (bar[i] - a * dp[i - 1]) * inv[i]
        lam[n - 1] = dp[n - 1]
        for i in range(n - 2, -1, -1):
            lam[i] = dp[i] - cp[i] * lam[i + 1]
        for i in range(n):
            lu = 2.0 * levels[t, i]
            if i > 0:
                lu -= levels[t, i - 1]
            if i < n - 1:
                lu -= levels[t, i + 1]
            d_kappa -= lam[i] * lu
        for i in range(n):
            bar[i] = lam[i]
    return loss, (bar.copy(), d_kappa)


HAND = implicit_heat_by_hand


def make_args(params: dict) -> tuple:
    """A bumpy profile, kappa = 2 (a large implicit step), a smooth target."""
    n, steps = params["n"], params["steps"]
    rng = np.random.default_rng(2)
    grid = np.linspace(0.0, 1.0, n)
    u0 = np.sin(np.pi * grid) + 0.1 * rng.standard_normal(n)
    target = 0.3 * np.sin(np.pi * grid)
    return u0, 2.0, target, steps


def jax_objective():
    """``lax.fori_loop`` over the steps, each a ``lax.linalg.tridiagonal_solve``."""
    import jax
    import jax.numpy as jnp

    def implicit_heat(u0, kappa, target, steps):
        n = u0.shape[0]
        ones = jnp.ones(n)
        lower = (-kappa * ones).at[0].set(0.0)
        upper = (-kappa * ones).at[-1].set(0.0)
        diag = (1.0 + 2.0 * kappa) * ones

        def step(_, u):
            return jax.lax.linalg.tridiagonal_solve(lower, diag, upper, u[:, None])[:, 0]

        u = jax.lax.fori_loop(0, steps, step, u0)
        return jnp.sum((u - target) ** 2)

    return implicit_heat
