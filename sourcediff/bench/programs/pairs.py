"""Lennard-Jones energy of a cluster, summed over all pairs i < j.

    E(pos, sigma) = sum_{i<j} 4 eps ((sigma^2 / r_ij^2)^6 - (sigma^2 / r_ij^2)^3)

Differentiated with respect to the positions and ``sigma``. Two ways of
writing the pair term: inline, and in a helper function of r^2.
"""

from __future__ import annotations

import numpy as np
from numba import njit

TITLE = "Lennard-Jones energy over i<j pairs"
SIZES = {
    "small": {"side": 2},
    "default": {"side": 8},
    "large": {"side": 14},
}
WRT = (0, 2)
WRT_NAMES = ("pos", "sigma")
RTOL = 1e-9


def lj_inline(pos, eps, sigma):
    """The pair term written in the double loop."""
    n = pos.shape[0]
    s2 = sigma * sigma
    energy = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            dx = pos[i, 0] - pos[j, 0]
            dy = pos[i, 1] - pos[j, 1]
            dz = pos[i, 2] - pos[j, 2]
            sr2 = s2 / (dx * dx + dy * dy + dz * dz)
            sr6 = sr2 * sr2 * sr2
            energy += 4.0 * eps * (sr6 * sr6 - sr6)
    return energy


@njit(cache=True)
def lj_pair(r2, eps, sigma):
    """The Lennard-Jones energy of one pair at squared distance ``r2``."""
    sr6 = (sigma * sigma / r2) ** 3
    return 4.0 * eps * (sr6 * sr6 - sr6)


def lj_helper(pos, eps, sigma):
    """The pair term in a helper function."""
    n = pos.shape[0]
    energy = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            dx = pos[i, 0] - pos[j, 0]
            dy = pos[i, 1] - pos[j, 1]
            dz = pos[i, 2] - pos[j, 2]
            energy += lj_pair(dx * dx + dy * dy + dz * dz, eps, sigma)
    return energy


STYLES = {"inline": lj_inline, "helper": lj_helper}


def lj_by_hand(pos, eps, sigma):
    """Energy, forces (the negated gradient) and d E / d sigma in one pair loop."""
    n = pos.shape[0]
    s2 = sigma * sigma
    grad = np.zeros_like(pos)
    d_sigma = 0.0
    energy = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            dx = pos[i, 0] - pos[j, 0]
            dy = pos[i, 1] - pos[j, 1]
            dz = pos[i, 2] - pos[j, 2]
            r2 = dx * dx + dy * dy + dz * dz
            sr2 = s2 / r2
            sr6 = sr2 * sr2 * sr2
            pair = 4.0 * eps * (sr6 * sr6 - sr6)
            energy += pair
            # d pair / d r2 = 4 eps (-6 sr12 + 3 sr6) / r2; d pair / d sigma = 4 eps (12 sr12 - 6 sr6) / sigma
            d_r2 = 4.0 * eps * (3.0 * sr6 - 6.0 * sr6 * sr6) / r2
            d_sigma += 4.0 * eps * (12.0 * sr6 * sr6 - 6.0 * sr6) / sigma
            grad[i, 0] += 2.0 * dx * d_r2
            grad[i, 1] += 2.0 * dy * d_r2
            grad[i, 2] += 2.0 * dz * d_r2
            grad[j, 0] -= 2.0 * dx * d_r2
            grad[j, 1] -= 2.0 * dy * d_r2
            grad[j, 2] -= 2.0 * dz * d_r2
    return energy, (grad, d_sigma)


HAND = lj_by_hand


def make_args(params: dict) -> tuple:
    """A jittered cubic lattice of ``side``^3 atoms, spacing 1.2 sigma."""
    side = params["side"]
    rng = np.random.default_rng(6)
    grid = np.arange(side) * 1.2
    pos = np.stack(np.meshgrid(grid, grid, grid, indexing="ij"), axis=-1).reshape(-1, 3)
    pos = pos + 0.05 * rng.standard_normal(pos.shape)
    return np.ascontiguousarray(pos), 1.0, 1.0


def jax_objective():
    """Vectorized over the pairs of ``jnp.triu_indices``."""
    import jax.numpy as jnp

    def lj(pos, eps, sigma):
        i, j = jnp.triu_indices(pos.shape[0], 1)
        d = pos[i] - pos[j]
        sr6 = (sigma * sigma / jnp.sum(d * d, axis=1)) ** 3
        return jnp.sum(4.0 * eps * (sr6 * sr6 - sr6))

    return lj
