"""Affine image registration energy with bilinear interpolation."""
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


@numba.njit
def bilinear(img, x, y):
    H, W = img.shape
    x = min(max(x, 0.0), W - 1.001)
    y = min(max(y, 0.0), H - 1.001)
    j0 = int(np.floor(x))
    i0 = int(np.floor(y))
    ax = x - j0
    ay = y - i0
    top = (1.0 - ax) * img[i0, j0] + ax * img[i0, j0 + 1]
    bot = (1.0 - ax) * img[i0 + 1, j0] + ax * img[i0 + 1, j0 + 1]
    return (1.0 - ay) * top + ay * bot


def f(p, img, tmpl):
    H, W = tmpl.shape
    cx = 0.5 * (W - 1)
    cy = 0.5 * (H - 1)
    e = 0.0
    for i in range(H):
        for j in range(W):
            u = j - cx
            v = i - cy
            xw = (1.0 + p[0]) * u + p[1] * v + p[2] + cx
            yw = p[3] * u + (1.0 + p[4]) * v + p[5] + cy
            d = bilinear(img, xw, yw) - tmpl[i, j]
            e += d * d
    return e / (H * W)


def make_args(small=False):
    rng = np.random.default_rng(0)
    n = 9 if small else 200
    yy, xx = np.mgrid[0:n, 0:n] / n
    img = np.sin(6 * xx) * np.cos(5 * yy) + 0.1 * rng.standard_normal((n, n))
    tmpl = np.sin(6 * xx + 0.1) * np.cos(5 * yy - 0.05)
    p = np.array([0.02, -0.01, 0.37, 0.015, -0.02, -0.23])
    return (p, img, tmpl)


WRT = (0, 1)


def jax_f(p, img, tmpl):
    H, W = tmpl.shape
    cx = 0.5 * (W - 1)
    cy = 0.5 * (H - 1)
    ii, jj = jnp.meshgrid(jnp.arange(H), jnp.arange(W), indexing="ij")
    u = jj - cx
    v = ii - cy
    x = (1.0 + p[0]) * u + p[1] * v + p[2] + cx
    y = p[3] * u + (1.0 + p[4]) * v + p[5] + cy
    x = jnp.clip(x, 0.0, W - 1.001)
    y = jnp.clip(y, 0.0, H - 1.001)
    j0 = jnp.floor(x).astype(jnp.int32)
    i0 = jnp.floor(y).astype(jnp.int32)
    ax = x - j0
    ay = y - i0
    top = (1.0 - ax) * img[i0, j0] + ax * img[i0, j0 + 1]
    bot = (1.0 - ax) * img[i0 + 1, j0] + ax * img[i0 + 1, j0 + 1]
    d = (1.0 - ay) * top + ay * bot - tmpl
    return jnp.sum(d * d) / (H * W)
