"""Gray-Scott reaction-diffusion, 2-D periodic via modulo, buffer swap."""
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(u0, v0, F, k, Du, Dv, dt, nsteps):
    n = u0.shape[0]
    u = u0.copy()
    v = v0.copy()
    un = np.empty_like(u)
    vn = np.empty_like(v)
    for t in range(nsteps):
        for i in range(n):
            ip = (i + 1) % n
            im = (i - 1) % n
            for j in range(n):
                jp = (j + 1) % n
                jm = (j - 1) % n
                lu = u[ip, j] + u[im, j] + u[i, jp] + u[i, jm] - 4.0 * u[i, j]
                lv = v[ip, j] + v[im, j] + v[i, jp] + v[i, jm] - 4.0 * v[i, j]
                uvv = u[i, j] * v[i, j] * v[i, j]
                un[i, j] = u[i, j] + dt * (Du * lu - uvv + F * (1.0 - u[i, j]))
                vn[i, j] = v[i, j] + dt * (Dv * lv + uvv - (F + k) * v[i, j])
        u, un = un, u
        v, vn = vn, v
    s = 0.0
    for i in range(n):
        for j in range(n):
            s += v[i, j] * v[i, j]
    return s / (n * n)


def make_args(small=False):
    rng = np.random.default_rng(0)
    n, nsteps = (5, 3) if small else (64, 40)
    u0 = np.ones((n, n)) - 0.02 * rng.random((n, n))
    v0 = 0.02 * rng.random((n, n))
    c = n // 2
    w = max(1, n // 8)
    u0[c - w:c + w, c - w:c + w] = 0.5
    v0[c - w:c + w, c - w:c + w] = 0.25
    return (u0, v0, 0.037, 0.06, 0.2, 0.1, 1.0, nsteps)


WRT = (0, 2, 3)


def jax_f(u0, v0, F, k, Du, Dv, dt, nsteps):
    def lap(a):
        return (jnp.roll(a, 1, 0) + jnp.roll(a, -1, 0) + jnp.roll(a, 1, 1)
                + jnp.roll(a, -1, 1) - 4.0 * a)

    def step(t, c):
        u, v = c
        uvv = u * v * v
        un = u + dt * (Du * lap(u) - uvv + F * (1.0 - u))
        vn = v + dt * (Dv * lap(v) + uvv - (F + k) * v)
        return (un, vn)

    u, v = jax.lax.fori_loop(0, nsteps, step, (u0, v0))
    return jnp.sum(v * v) / v.size
