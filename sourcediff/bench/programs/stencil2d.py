"""A 2-D image denoising objective: data term plus smoothed total variation,
a running sum over a nest of two loops.

    loss(u) = sum_{i,j} (u[i,j] - f[i,j])^2 / 2
              + lam sqrt(eps + (u[i+1,j] - u[i,j])^2 + (u[i,j+1] - u[i,j])^2)

(over i < n-1, j < m-1). Differentiated with respect to the image ``u``. Two
ways of writing the body: one line, and named temporaries.
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "2-D stencil penalty (smoothed total variation)"
SIZES = {
    "small": {"n": 7, "m": 6},
    "default": {"n": 600, "m": 600},
    "large": {"n": 2000, "m": 2000},
}
WRT = (0,)
WRT_NAMES = ("u",)
RTOL = 1e-9


def tv_one_liner(u, f, lam, eps):
    """The whole term in one statement."""
    s = 0.0
    for i in range(u.shape[0] - 1):
        for j in range(u.shape[1] - 1):
            s += 0.5 * (u[i, j] - f[i, j]) ** 2 + lam * math.sqrt(
                eps + (u[i + 1, j] - u[i, j]) ** 2 + (u[i, j + 1] - u[i, j]) ** 2)
    return s


def tv_temporaries(u, f, lam, eps):
    """The differences and the residual as named temporaries."""
    s = 0.0
    for i in range(u.shape[0] - 1):
        for j in range(u.shape[1] - 1):
            r = u[i, j] - f[i, j]
            dx = u[i + 1, j] - u[i, j]
            dy = u[i, j + 1] - u[i, j]
            norm = math.sqrt(eps + dx * dx + dy * dy)
            s += 0.5 * r * r + lam * norm
    return s


STYLES = {"one-liner": tv_one_liner, "temporaries": tv_temporaries}


def tv_by_hand(u, f, lam, eps):
    """Value and gradient in one pass (scatter into the three pixels)."""
    grad = np.zeros_like(u)
    s = 0.0
    for i in range(u.shape[0] - 1):
        for j in range(u.shape[1] - 1):
            r = u[i, j] - f[i, j]
            dx = u[i + 1, j] - u[i, j]
            dy = u[i, j + 1] - u[i, j]
            norm = math.sqrt(eps + dx * dx + dy * dy)
            s += 0.5 * r * r + lam * norm
            scale = lam / norm
            grad[i, j] += r - scale * (dx + dy)
            grad[i + 1, j] += scale * dx
            grad[i, j + 1] += scale * dy
    return s, (grad,)


HAND = tv_by_hand


def make_args(params: dict) -> tuple:
    """A noisy step image and the noisy observation it starts from."""
    n, m = params["n"], params["m"]
    rng = np.random.default_rng(4)
    clean = np.zeros((n, m))
    clean[n // 4: 3 * n // 4, m // 4: 3 * m // 4] = 1.0
    f = clean + 0.2 * rng.standard_normal((n, m))
    u = f + 0.05 * rng.standard_normal((n, m))
    return u, f, 0.3, 1e-3


def jax_objective():
    """Vectorized on shifted slices."""
    import jax.numpy as jnp

    def tv(u, f, lam, eps):
        inner = u[:-1, :-1]
        dx = u[1:, :-1] - inner
        dy = u[:-1, 1:] - inner
        return jnp.sum(0.5 * (inner - f[:-1, :-1]) ** 2 + lam * jnp.sqrt(eps + dx * dx + dy * dy))

    return tv
