"""Energy of a 2-D XY spin model on a periodic grid, with an external field.

    E(theta, h) = -J sum_{i,j} [cos(theta_ij - theta_{i+1,j}) + cos(theta_ij - theta_{i,j+1})]
                  - h sum_ij cos(theta_ij)

Neighbours wrap around with ``%``; differentiated with respect to the angles and the
field strength.
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "2-D XY model energy, periodic neighbour sums"
SIZES = {
    "small": {"n": 5},
    "default": {"n": 160},
    "large": {"n": 1024},
}
WRT = (0, 1)
WRT_NAMES = ("theta", "h")
RTOL = 1e-10


def xy_energy(theta, h, coupling):
    """Right and down neighbours of every site, indices wrapped by modulo."""
    n = theta.shape[0]
    m = theta.shape[1]
    e = 0.0
    for i in range(n):
        ip = (i + 1) % n
        for j in range(m):
            jp = (j + 1) % m
            e -= coupling * (math.cos(theta[i, j] - theta[ip, j])
                             + math.cos(theta[i, j] - theta[i, jp]))
            e -= h * math.cos(theta[i, j])
    return e


STYLES = {"modulo neighbours": xy_energy}


def xy_by_hand(theta, h, coupling):
    """One pass: each bond's cosine and sine together, the sines scattered to both ends."""
    n = theta.shape[0]
    m = theta.shape[1]
    grad = np.zeros_like(theta)
    e = 0.0
    d_h = 0.0
    for i in range(n):
        ip = (i + 1) % n
        for j in range(m):
            jp = (j + 1) % m
            a = theta[i, j] - theta[ip, j]
            b = theta[i, j] - theta[i, jp]
            c = math.cos(theta[i, j])
            e -= coupling * (math.cos(a) + math.cos(b)) + h * c
            sa = coupling * math.sin(a)
            sb = coupling * math.sin(b)
            grad[i, j] += sa + sb + h * math.sin(theta[i, j])
            grad[ip, j] -= sa
            grad[i, jp] -= sb
            d_h -= c
    return e, (grad, d_h)


HAND = xy_by_hand


def make_args(params: dict) -> tuple:
    """Random angles, a weak field."""
    n = params["n"]
    rng = np.random.default_rng(3)
    return rng.uniform(-np.pi, np.pi, (n, n)), 0.3, 1.0


def jax_objective():
    """Vectorized with ``jnp.roll``."""
    import jax.numpy as jnp

    def xy_energy(theta, h, coupling):
        down = jnp.roll(theta, -1, axis=0)
        right = jnp.roll(theta, -1, axis=1)
        bonds = jnp.cos(theta - down) + jnp.cos(theta - right)
        return -coupling * jnp.sum(bonds) - h * jnp.sum(jnp.cos(theta))

    return xy_energy
