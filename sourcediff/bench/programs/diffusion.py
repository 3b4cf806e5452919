"""Anisotropic (Perona-Malik) diffusion of an image, fitted to a target.

    g = u[i,j+1] - u[i,j] (and along i),  flux = exp(-(g / kappa)^2) g
    u_{t+1} = u_t + lam * (divergence of the fluxes)
    loss(u0, kappa, lam) = sum (u_T - target)^2

Differentiated with respect to the initial image, kappa and lam. Three ways
of writing a time step: whole-array slices with the fluxes added into
overlapping slices of a fresh ``du`` (``du[:, :-1] += fx``, ``du[:, 1:] -=
fx``), the same with the new state made under its own name and moved
(``unew = u + lam * du``, ``u = unew``), and explicit loops over the pixels
into a fresh array per step.
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "2-D Perona-Malik diffusion (whole-array slices or loops)"
SIZES = {
    "small": {"n": 6, "steps": 3},
    "default": {"n": 64, "steps": 40},
    "large": {"n": 256, "steps": 100},
}
WRT = (0, 1, 2)
WRT_NAMES = ("u0", "kappa", "lam")
RTOL = 1e-9


def diffusion_slices(u0, kappa, lam, target, steps):
    """Fluxes on slices, added into overlapping slices of ``du``."""
    u = u0.copy()
    for t in range(steps):
        gx = u[:, 1:] - u[:, :-1]
        gy = u[1:, :] - u[:-1, :]
        fx = np.exp(-(gx / kappa) ** 2) * gx
        fy = np.exp(-(gy / kappa) ** 2) * gy
        du = np.zeros_like(u)
        du[:, :-1] += fx
        du[:, 1:] -= fx
        du[:-1, :] += fy
        du[1:, :] -= fy
        u = u + lam * du
    r = u - target
    return np.sum(r * r)


def diffusion_moved(u0, kappa, lam, target, steps):
    """The same, the fluxes inline and the new state moved to ``u``."""
    u = u0.copy()
    for t in range(steps):
        du = np.zeros_like(u)
        du[:, :-1] += np.exp(-((u[:, 1:] - u[:, :-1]) / kappa) ** 2) * (u[:, 1:] - u[:, :-1])
        du[:, 1:] -= np.exp(-((u[:, 1:] - u[:, :-1]) / kappa) ** 2) * (u[:, 1:] - u[:, :-1])
        du[:-1, :] += np.exp(-((u[1:, :] - u[:-1, :]) / kappa) ** 2) * (u[1:, :] - u[:-1, :])
        du[1:, :] -= np.exp(-((u[1:, :] - u[:-1, :]) / kappa) ** 2) * (u[1:, :] - u[:-1, :])
        unew = u + lam * du
        u = unew
    r = u - target
    return np.sum(r * r)


def diffusion_loops(u0, kappa, lam, target, steps):
    """Explicit loops over the pixels, a new array per step."""
    n, m = u0.shape
    u = u0.copy()
    for t in range(steps):
        un = u.copy()
        for i in range(n):
            for j in range(m - 1):
                g = u[i, j + 1] - u[i, j]
                f = math.exp(-(g / kappa) ** 2) * g
                un[i, j] += lam * f
                un[i, j + 1] -= lam * f
        for i in range(n - 1):
            for j in range(m):
                g = u[i + 1, j] - u[i, j]
                f = math.exp(-(g / kappa) ** 2) * g
                un[i, j] += lam * f
                un[i + 1, j] -= lam * f
        u = un
    s = 0.0
    for i in range(n):
        for j in range(m):
            s += (u[i, j] - target[i, j]) ** 2
    return s


STYLES = {"slices": diffusion_slices, "moved": diffusion_moved, "loops": diffusion_loops}


def diffusion_by_hand(u0, kappa, lam, target, steps):
    """Every state kept; the reverse sweep recomputes each flux from the
    state it came from and scatters its adjoint."""
    n, m = u0.shape
    states = np.empty((steps + 1, n, m))
    states[0] = u0
    for t in range(steps):
        u = states[t]
        un = states[t + 1]
        for i in range(n):
            for j in range(m):
                un[i, j] = u[i, j]
        for i in range(n):
            for j in range(m - 1):
                g = u[i, j + 1] - u[i, j]
                f = math.exp(-(g / kappa) ** 2) * g
                un[i, j] += lam * f
                un[i, j + 1] -= lam * f
        for i in range(n - 1):
            for j in range(m):
                g = u[i + 1, j] - u[i, j]
                f = math.exp(-(g / kappa) ** 2) * g
                un[i, j] += lam * f
                un[i + 1, j] -= lam * f
    s = 0.0
    adj = np.empty((n, m))
    for i in range(n):
        for j in range(m):
            r = states[steps, i, j] - target[i, j]
            s += r * r
            adj[i, j] = 2.0 * r
    d_kappa = 0.0
    d_lam = 0.0
    prev = np.empty((n, m))
    for t in range(steps - 1, -1, -1):
        u = states[t]
        for i in range(n):
            for j in range(m):
                prev[i, j] = adj[i, j]
        for i in range(n):
            for j in range(m - 1):
                g = u[i, j + 1] - u[i, j]
                q = g / kappa
                e = math.exp(-q * q)
                df = adj[i, j] - adj[i, j + 1]      # d loss / d f
                d_lam += df * e * g
                dfl = df * lam
                dg = dfl * e * (1.0 - 2.0 * q * q)
                d_kappa += dfl * e * g * 2.0 * q * q / kappa
                prev[i, j + 1] += dg
                prev[i, j] -= dg
        for i in range(n - 1):
            for j in range(m):
                g = u[i + 1, j] - u[i, j]
                q = g / kappa
                e = math.exp(-q * q)
                df = adj[i, j] - adj[i + 1, j]
                d_lam += df * e * g
                dfl = df * lam
                dg = dfl * e * (1.0 - 2.0 * q * q)
                d_kappa += dfl * e * g * 2.0 * q * q / kappa
                prev[i + 1, j] += dg
                prev[i, j] -= dg
        adj, prev = prev, adj
    return s, (adj.copy(), d_kappa, d_lam)


HAND = diffusion_by_hand


def make_args(params: dict) -> tuple:
    """A noisy square, smoothed towards the clean one."""
    n, steps = params["n"], params["steps"]
    rng = np.random.default_rng(7)
    clean = np.zeros((n, n))
    clean[n // 4: 3 * n // 4, n // 4: 3 * n // 4] = 1.0
    u0 = clean + 0.1 * rng.standard_normal((n, n))
    return u0, 0.3, 0.2, clean, steps


def jax_objective():
    """``lax.fori_loop`` over the steps, the fluxes on slices."""
    import jax
    import jax.numpy as jnp

    def diffusion(u0, kappa, lam, target, steps):
        def step(_, u):
            gx = u[:, 1:] - u[:, :-1]
            gy = u[1:, :] - u[:-1, :]
            fx = jnp.exp(-(gx / kappa) ** 2) * gx
            fy = jnp.exp(-(gy / kappa) ** 2) * gy
            du = jnp.zeros_like(u)
            du = du.at[:, :-1].add(fx).at[:, 1:].add(-fx).at[:-1, :].add(fy).at[1:, :].add(-fy)
            return u + lam * du

        u = jax.lax.fori_loop(0, steps, step, u0)
        return jnp.sum((u - target) ** 2)

    return diffusion
