"""Cloud-in-cell charge deposit of particles onto a periodic 2-D grid, then a
smoothness / target misfit sum of squares. d/d particle positions."""
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(xs, ys, qw, target, nx, ny, beta):
    rho = np.zeros((nx, ny))
    npart = xs.shape[0]
    for p in range(npart):
        x = xs[p]
        y = ys[p]
        i = int(x)
        j = int(y)
        fx = x - i
        fy = y - j
        i1 = (i + 1) % nx
        j1 = (j + 1) % ny
        q = qw[p]
        rho[i, j] += q * (1.0 - fx) * (1.0 - fy)
        rho[i1, j] += q * fx * (1.0 - fy)
        rho[i, j1] += q * (1.0 - fx) * fy
        rho[i1, j1] += q * fx * fy
    s = 0.0
    for i in range(nx):
        for j in range(ny):
            d = rho[i, j] - target[i, j]
            lx = rho[(i + 1) % nx, j] - rho[i, j]
            ly = rho[i, (j + 1) % ny] - rho[i, j]
            s += d * d + beta * (lx * lx + ly * ly)
    return s


def make_args(small=False):
    rng = np.random.default_rng(0)
    nx, ny, npart = (5, 4, 30) if small else (64, 64, 40000)
    xs = rng.random(npart) * nx
    ys = rng.random(npart) * ny
    qw = 0.5 + rng.random(npart)
    target = np.full((nx, ny), np.sum(qw) / (nx * ny)) * (1.0 + 0.1 * rng.standard_normal((nx, ny)))
    return (xs, ys, qw, target, nx, ny, 0.5)


WRT = (0, 1)


def jax_f(xs, ys, qw, target, nx, ny, beta):
    i = jnp.floor(xs).astype(jnp.int32)
    j = jnp.floor(ys).astype(jnp.int32)
    fx = xs - i
    fy = ys - j
    i1 = (i + 1) % nx
    j1 = (j + 1) % ny
    rho = jnp.zeros((nx, ny))
    rho = rho.at[i, j].add(qw * (1 - fx) * (1 - fy))
    rho = rho.at[i1, j].add(qw * fx * (1 - fy))
    rho = rho.at[i, j1].add(qw * (1 - fx) * fy)
    rho = rho.at[i1, j1].add(qw * fx * fy)
    lx = jnp.roll(rho, -1, 0) - rho
    ly = jnp.roll(rho, -1, 1) - rho
    return jnp.sum((rho - target) ** 2 + beta * (lx * lx + ly * ly))
