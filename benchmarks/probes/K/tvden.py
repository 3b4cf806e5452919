"""Total-variation denoising: E(u) = sum sqrt(eps + dx^2 + dy^2) + lam/2 (u-f)^2,
minimised by 50 explicit gradient steps with the hand-written gradient;
loss = final data misfit to a clean image. d/d lam and the noisy image f."""
import math
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(lam, img, clean, eps, tau, niter):
    n = img.shape[0]
    m = img.shape[1]
    u = img.copy()
    g = np.zeros((n, m))
    for it in range(niter):
        for i in range(n):
            for j in range(m):
                g[i, j] = lam * (u[i, j] - img[i, j])
        for i in range(n):
            for j in range(m):
                dx = 0.0
                dy = 0.0
                if i < n - 1:
                    dx = u[i + 1, j] - u[i, j]
                if j < m - 1:
                    dy = u[i, j + 1] - u[i, j]
                w = 1.0 / math.sqrt(eps + dx * dx + dy * dy)
                g[i, j] -= w * (dx + dy)
                if i < n - 1:
                    g[i + 1, j] += w * dx
                if j < m - 1:
                    g[i, j + 1] += w * dy
        for i in range(n):
            for j in range(m):
                u[i, j] -= tau * g[i, j]
    mis = 0.0
    for i in range(n):
        for j in range(m):
            e = u[i, j] - clean[i, j]
            mis += e * e
    return mis / (n * m)


def make_args(small=False):
    rng = np.random.default_rng(0)
    n, niter = (5, 4) if small else (48, 50)
    yy, xx = np.mgrid[0:n, 0:n] / n
    clean = ((xx - 0.5) ** 2 + (yy - 0.5) ** 2 < 0.1).astype(float) + 0.5 * (xx > 0.7)
    img = clean + 0.15 * rng.standard_normal((n, n))
    return (4.0, img, clean, 0.01, 0.02, niter)


WRT = (0, 1)


def jax_f(lam, img, clean, eps, tau, niter):
    def body(it, u):
        dx = jnp.zeros_like(u).at[:-1, :].set(u[1:, :] - u[:-1, :])
        dy = jnp.zeros_like(u).at[:, :-1].set(u[:, 1:] - u[:, :-1])
        w = 1.0 / jnp.sqrt(eps + dx * dx + dy * dy)
        g = lam * (u - img) - w * (dx + dy)
        g = g.at[1:, :].add((w * dx)[:-1, :])
        g = g.at[:, 1:].add((w * dy)[:, :-1])
        return u - tau * g

    u = jax.lax.fori_loop(0, niter, body, img)
    return jnp.mean((u - clean) ** 2)
