"""1-D smoothed-particle density with a cubic-spline kernel and a cutoff ``if``:
every pair within two smoothing lengths adds to both particles' densities, and the
loss is the squared deviation from a rest density.

    rho_i = sum_j m W(|x_i - x_j|, h),   W = cubic spline with support 2h
    loss(x, h) = sum_i (rho_i - rho0)^2
"""

from __future__ import annotations

import numpy as np
from numba import njit

TITLE = "1-D SPH density sum, cubic-spline kernel with a cutoff"
SIZES = {
    "small": {"n": 12},
    "default": {"n": 2000},
    "large": {"n": 4000},
}
WRT = (0, 1)
WRT_NAMES = ("x", "h")
RTOL = 1e-9


@njit(cache=True)
def kernel(r, h):
    """Monaghan's cubic spline in 1-D (normalisation 2/3h), zero beyond 2h."""
    q = r / h
    sigma = 2.0 / (3.0 * h)
    if q < 1.0:
        return sigma * (1.0 - 1.5 * q * q + 0.75 * q * q * q)
    elif q < 2.0:
        t = 2.0 - q
        return sigma * 0.25 * t * t * t
    return 0.0


def sph_density_loss(x, h, m, rho0):
    """Self term, then every pair once; pairs further apart than 2h are skipped."""
    n = x.shape[0]
    rho = np.zeros(n)
    w0 = kernel(0.0, h)
    for i in range(n):
        rho[i] = m * w0
    for i in range(n):
        for j in range(i + 1, n):
            r = abs(x[i] - x[j])
            if r < 2.0 * h:
                w = m * kernel(r, h)
                rho[i] += w
                rho[j] += w
    loss = 0.0
    for i in range(n):
        d = rho[i] - rho0
        loss += d * d
    return loss


STYLES = {"pair loop": sph_density_loss}
HAND = None


def make_args(params: dict) -> tuple:
    """Jittered particles on [0, 1), smoothing length of about 1.3 spacings."""
    n = params["n"]
    rng = np.random.default_rng(11)
    dx = 1.0 / n
    x = (np.arange(n) + 0.5) * dx + 0.3 * dx * rng.standard_normal(n)
    h = 1.3 * dx * 10.0
    return x, h, dx, 1.0


def jax_objective():
    """All pairs as an ``n x n`` matrix, the kernel's branches with ``jnp.where``."""
    import jax.numpy as jnp

    def sph_density_loss(x, h, m, rho0):
        r = jnp.abs(x[:, None] - x[None, :])
        q = r / h
        sigma = 2.0 / (3.0 * h)
        inner = 1.0 - 1.5 * q * q + 0.75 * q ** 3
        t = jnp.clip(2.0 - q, 0.0, None)
        w = sigma * jnp.where(q < 1.0, inner, 0.25 * t ** 3)
        rho = m * jnp.sum(w, axis=1)
        return jnp.sum((rho - rho0) ** 2)

    return sph_density_loss
