"""Energy of a Morse cluster in a periodic cubic box: minimum-image pair
distances, a spherical cutoff, the pair energy shifted to zero at the cutoff.

    E(x, a) = sum_{i<j, r_ij < rc} D [(1 - exp(-a (r_ij - r0)))^2 - (1 - exp(-a (rc - r0)))^2]
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

TITLE = "Morse cluster energy, periodic box, cutoff"
SIZES = {
    "small": {"n": 8},
    "default": {"n": 600},
    "large": {"n": 1500},
}
WRT = (0, 1)
WRT_NAMES = ("pos", "a")
RTOL = 1e-9


@njit(cache=True)
def morse_pair(r, D, a, r0):
    """The Morse pair energy at distance r."""
    e = 1.0 - math.exp(-a * (r - r0))
    return D * e * e


def morse_energy(pos, a, D, r0, rc, L):
    n = pos.shape[0]
    shift = morse_pair(rc, D, a, r0)
    rc2 = rc * rc
    energy = 0.0
    for i in range(n - 1):
        for j in range(i + 1, n):
            dx = pos[j, 0] - pos[i, 0]
            dy = pos[j, 1] - pos[i, 1]
            dz = pos[j, 2] - pos[i, 2]
            dx -= L * round(dx / L)
            dy -= L * round(dy / L)
            dz -= L * round(dz / L)
            r2 = dx * dx + dy * dy + dz * dz
            if r2 < rc2:
                r = math.sqrt(r2)
                energy += morse_pair(r, D, a, r0) - shift
    return energy


def morse_hand(pos, a, D, r0, rc, L):
    """Hand-written adjoint: the energy and its gradient in the same pair loop, no tape."""
    n = pos.shape[0]
    es = math.exp(-a * (rc - r0))
    shift = D * (1.0 - es) * (1.0 - es)
    dshift_da = 2.0 * D * (1.0 - es) * es * (rc - r0)
    rc2 = rc * rc
    energy = 0.0
    da = 0.0
    grad = np.zeros_like(pos)
    for i in range(n - 1):
        for j in range(i + 1, n):
            dx = pos[j, 0] - pos[i, 0]
            dy = pos[j, 1] - pos[i, 1]
            dz = pos[j, 2] - pos[i, 2]
            dx -= L * round(dx / L)
            dy -= L * round(dy / L)
            dz -= L * round(dz / L)
            r2 = dx * dx + dy * dy + dz * dz
            if r2 < rc2:
                r = math.sqrt(r2)
                ex = math.exp(-a * (r - r0))
                e = 1.0 - ex
                energy += D * e * e - shift
                da += 2.0 * D * e * ex * (r - r0) - dshift_da
                f = 2.0 * D * e * ex * a / r
                grad[j, 0] += f * dx
                grad[j, 1] += f * dy
                grad[j, 2] += f * dz
                grad[i, 0] -= f * dx
                grad[i, 1] -= f * dy
                grad[i, 2] -= f * dz
    return energy, (grad, da)


STYLES = {"pair loop": morse_energy}
HAND = morse_hand


def make_args(params: dict) -> tuple:
    """Particles on a jittered cubic lattice at liquid-like density."""
    n = params["n"]
    side = math.ceil(n ** (1.0 / 3.0))
    spacing = 1.1
    L = side * spacing
    rng = np.random.default_rng(7)
    grid = np.array([(i, j, k) for i in range(side) for j in range(side) for k in range(side)],
                    dtype=np.float64)[:n]
    pos = spacing * grid + 0.15 * rng.standard_normal((n, 3))
    rc = min(2.5, 0.49 * L) if n > 8 else 0.49 * L
    return pos, 1.6, 1.0, 1.0, rc, L


def jax_objective():
    """All pairs at once: an (n, n, 3) minimum-image difference, masked to i < j and r < rc."""
    import jax.numpy as jnp

    def morse_energy(pos, a, D, r0, rc, L):
        n = pos.shape[0]
        d = pos[None, :, :] - pos[:, None, :]
        d = d - L * jnp.round(d / L)
        r2 = jnp.sum(d * d, axis=-1)
        mask = jnp.triu(jnp.ones((n, n), dtype=bool), k=1) & (r2 < rc * rc)
        r = jnp.sqrt(jnp.where(mask, r2, 1.0))
        e = 1.0 - jnp.exp(-a * (r - r0))
        es = 1.0 - jnp.exp(-a * (rc - r0))
        return jnp.sum(jnp.where(mask, D * (e * e - es * es), 0.0))

    return morse_energy
