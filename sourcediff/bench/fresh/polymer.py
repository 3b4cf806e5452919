"""A bead-spring polymer chain in 3-D: harmonic bonds between neighbours and a
bending term on the cosine of each angle between consecutive bonds.

    E(X) = sum_i kb/2 (|X_{i+1} - X_i| - l0)^2 + sum_i ka (cos theta_i - cos theta0)^2
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

TITLE = "bead-spring polymer chain, bond and angle energy"
SIZES = {
    "small": {"n": 8},
    "default": {"n": 100_000},
    "large": {"n": 300_000},
}
WRT = (0,)
WRT_NAMES = ("X",)
RTOL = 1e-9


@njit(cache=True)
def bond_vector(X, i):
    """X[i+1] - X[i] as three floats."""
    return X[i + 1, 0] - X[i, 0], X[i + 1, 1] - X[i, 1], X[i + 1, 2] - X[i, 2]


def chain_energy(X, kb, l0, ka, cos0):
    """One loop over bonds, one over angles (each angle recomputes its two bonds)."""
    n = X.shape[0]
    e_bond = 0.0
    for i in range(n - 1):
        dx, dy, dz = bond_vector(X, i)
        length = math.sqrt(dx * dx + dy * dy + dz * dz)
        e_bond += 0.5 * kb * (length - l0) ** 2
    e_angle = 0.0
    for i in range(n - 2):
        ax, ay, az = bond_vector(X, i)
        bx, by, bz = bond_vector(X, i + 1)
        la = math.sqrt(ax * ax + ay * ay + az * az)
        lb = math.sqrt(bx * bx + by * by + bz * bz)
        c = (ax * bx + ay * by + az * bz) / (la * lb)
        e_angle += ka * (c - cos0) ** 2
    return e_bond + e_angle


STYLES = {"bond loops": chain_energy}
HAND = None


def make_args(params: dict) -> tuple:
    """A random walk with unit-ish steps."""
    n = params["n"]
    rng = np.random.default_rng(15)
    steps = rng.standard_normal((n, 3))
    steps /= np.linalg.norm(steps, axis=1)[:, None]
    X = np.cumsum(steps * (1.0 + 0.1 * rng.standard_normal((n, 1))), axis=0)
    return X, 100.0, 1.0, 5.0, 0.5


def jax_objective():
    """Bond vectors by ``jnp.diff``, everything vectorized."""
    import jax.numpy as jnp

    def chain_energy(X, kb, l0, ka, cos0):
        bonds = jnp.diff(X, axis=0)
        lengths = jnp.sqrt(jnp.sum(bonds * bonds, axis=1))
        e_bond = jnp.sum(0.5 * kb * (lengths - l0) ** 2)
        c = jnp.sum(bonds[:-1] * bonds[1:], axis=1) / (lengths[:-1] * lengths[1:])
        return e_bond + jnp.sum(ka * (c - cos0) ** 2)

    return chain_energy
