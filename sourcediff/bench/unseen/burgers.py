"""Inviscid Burgers' equation on a periodic grid, second-order finite volumes:
minmod-limited MUSCL slopes, the Rusanov (local Lax-Friedrichs) flux, forward
Euler in time; the squared misfit of the final state to a target profile.

    u_t + (u^2 / 2)_x = 0,   loss(u0) = dx sum_i (u_i(T) - target_i)^2
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

TITLE = "Burgers' equation, MUSCL + minmod, Rusanov flux"
SIZES = {
    "small": {"n": 16, "steps": 6},
    "default": {"n": 2000, "steps": 400},
    "large": {"n": 4000, "steps": 1600},
}
WRT = (0,)
WRT_NAMES = ("u0",)
RTOL = 1e-9


@njit(cache=True)
def minmod(a, b):
    if a * b <= 0.0:
        return 0.0
    if a > 0.0:
        return min(a, b)
    return max(a, b)


def burgers_loss(u0, target, dt, dx, steps):
    n = u0.shape[0]
    u = u0.copy()
    slope = np.zeros(n)
    flux = np.zeros(n)
    for step in range(steps):
        for i in range(n):
            slope[i] = minmod(u[i] - u[i - 1], u[(i + 1) % n] - u[i])
        for i in range(n):
            ip = (i + 1) % n
            ul = u[i] + 0.5 * slope[i]
            ur = u[ip] - 0.5 * slope[ip]
            speed = max(abs(ul), abs(ur))
            flux[i] = 0.25 * (ul * ul + ur * ur) - 0.5 * speed * (ur - ul)
        for i in range(n):
            u[i] -= dt / dx * (flux[i] - flux[i - 1])
    loss = 0.0
    for i in range(n):
        d = u[i] - target[i]
        loss += d * d
    return dx * loss


@njit(cache=True)
def minmod_partials(a, b):
    """d minmod / da, d minmod / db."""
    if a * b <= 0.0:
        return 0.0, 0.0
    if a > 0.0:
        return (1.0, 0.0) if a < b else (0.0, 1.0)
    return (1.0, 0.0) if a > b else (0.0, 1.0)


def burgers_hand(u0, target, dt, dx, steps):
    """Hand-written adjoint: u stored once per step, slopes recomputed from it, the
    reverse loops written as gathers over neighbours."""
    n = u0.shape[0]
    c = dt / dx
    hist = np.empty((steps, n))
    u = u0.copy()
    slope = np.zeros(n)
    flux = np.zeros(n)
    for step in range(steps):
        for i in range(n):
            hist[step, i] = u[i]
        for i in range(n):
            slope[i] = minmod(u[i] - u[i - 1], u[(i + 1) % n] - u[i])
        for i in range(n):
            ip = (i + 1) % n
            ul = u[i] + 0.5 * slope[i]
            ur = u[ip] - 0.5 * slope[ip]
            speed = max(abs(ul), abs(ur))
            flux[i] = 0.25 * (ul * ul + ur * ur) - 0.5 * speed * (ur - ul)
        for i in range(n):
            u[i] -= c * (flux[i] - flux[i - 1])
    loss = 0.0
    du = np.empty(n)
    for i in range(n):
        d = u[i] - target[i]
        loss += d * d
        du[i] = 2.0 * dx * d
    dul = np.empty(n)
    dur = np.empty(n)
    dslope = np.empty(n)
    ga = np.empty(n)
    gb = np.empty(n)
    for step in range(steps - 1, -1, -1):
        for i in range(n):
            u[i] = hist[step, i]
        for i in range(n):
            a = u[i] - u[i - 1]
            b = u[(i + 1) % n] - u[i]
            slope[i] = minmod(a, b)
            ga[i], gb[i] = minmod_partials(a, b)
        for i in range(n):
            ip = (i + 1) % n
            ul = u[i] + 0.5 * slope[i]
            ur = u[ip] - 0.5 * slope[ip]
            dflux = c * (du[ip] - du[i])
            if abs(ul) >= abs(ur):
                speed = abs(ul)
                dsl = math.copysign(1.0, ul)
                dsr = 0.0
            else:
                speed = abs(ur)
                dsl = 0.0
                dsr = math.copysign(1.0, ur)
            dul[i] = dflux * (0.5 * ul - 0.5 * dsl * (ur - ul) + 0.5 * speed)
            dur[i] = dflux * (0.5 * ur - 0.5 * dsr * (ur - ul) - 0.5 * speed)
        for i in range(n):
            du[i] += dul[i] + dur[i - 1]
            dslope[i] = 0.5 * (dul[i] - dur[i - 1])
        for i in range(n):
            ip = (i + 1) % n
            du[i] += (dslope[i] * (ga[i] - gb[i]) - dslope[ip] * ga[ip]
                      + dslope[i - 1] * gb[i - 1])
    return dx * loss, (du,)


STYLES = {"cell loops": burgers_loss}
HAND = burgers_hand


def make_args(params: dict) -> tuple:
    """A smooth bump on a background flow; a shifted bump as target; CFL 0.4."""
    n, steps = params["n"], params["steps"]
    dx = 1.0 / n
    x = (np.arange(n) + 0.5) * dx
    rng = np.random.default_rng(2)
    u0 = 0.5 + 0.4 * np.sin(2 * np.pi * x) + 0.02 * rng.standard_normal(n)
    dt = 0.4 * dx / 0.95
    target = 0.5 + 0.4 * np.sin(2 * np.pi * (x - 0.5 * dt * steps))
    return u0, target, dt, dx, steps


def jax_objective():
    """Vectorized with ``jnp.roll``, ``lax.fori_loop`` over time steps."""
    import jax
    import jax.numpy as jnp

    def burgers_loss(u0, target, dt, dx, steps):
        def minmod(a, b):
            return jnp.where(a * b <= 0.0, 0.0,
                             jnp.where(a > 0.0, jnp.minimum(a, b), jnp.maximum(a, b)))

        def step(_, u):
            slope = minmod(u - jnp.roll(u, 1), jnp.roll(u, -1) - u)
            ul = u + 0.5 * slope
            ur = jnp.roll(u - 0.5 * slope, -1)
            speed = jnp.maximum(jnp.abs(ul), jnp.abs(ur))
            flux = 0.25 * (ul * ul + ur * ur) - 0.5 * speed * (ur - ul)
            return u - dt / dx * (flux - jnp.roll(flux, 1))

        u = jax.lax.fori_loop(0, steps, step, u0)
        return dx * jnp.sum((u - target) ** 2)

    return burgers_loss
