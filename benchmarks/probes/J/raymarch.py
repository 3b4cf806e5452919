"""Beer-Lambert attenuation along straight rays through a 2-D absorption grid
(ray march with while loop until the ray leaves the box), least-squares
against measured intensities."""
import math
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(kap, I0, y0s, angles, meas, ds):
    H, W = kap.shape
    nr = y0s.shape[0]
    loss = 0.0
    for r in range(nr):
        x = 0.0
        y = y0s[r]
        cx = math.cos(angles[r])
        cy = math.sin(angles[r])
        tau = 0.0
        while x >= 0.0 and x < W and y >= 0.0 and y < H:
            i = int(y)
            j = int(x)
            tau += kap[i, j] * ds
            x += ds * cx
            y += ds * cy
        I = I0 * math.exp(-tau)
        d = I - meas[r]
        loss += d * d
    return loss / nr


def make_args(small=False):
    rng = np.random.default_rng(0)
    n = 5 if small else 64
    nr = 6 if small else 600
    kap = 0.02 + 0.01 * rng.random((n, n))
    y0s = rng.random(nr) * n
    angles = (rng.random(nr) - 0.5) * 1.2
    meas = 0.5 + 0.1 * rng.random(nr)
    return (kap, 1.0, y0s, angles, meas, 0.25)


WRT = (0, 1)

JAX_STATIC = (5,)  # ds fixes the scan length in the JAX version


def jax_f(kap, I0, y0s, angles, meas, ds):
    H, W = kap.shape
    nmax = int(math.hypot(H, W) / ds) + 4

    def one(y0, a):
        cx = jnp.cos(a)
        cy = jnp.sin(a)

        def step(c, _):
            x, y, tau = c
            inside = (x >= 0.0) & (x < W) & (y >= 0.0) & (y < H)
            i = jnp.clip(y.astype(jnp.int32), 0, H - 1)
            j = jnp.clip(x.astype(jnp.int32), 0, W - 1)
            tau = tau + jnp.where(inside, kap[i, j] * ds, 0.0)
            x = jnp.where(inside, x + ds * cx, x)
            y = jnp.where(inside, y + ds * cy, y)
            return (x, y, tau), None

        (x, y, tau), _ = jax.lax.scan(step, (0.0 * y0, y0, 0.0 * y0), None, length=nmax)
        return I0 * jnp.exp(-tau)

    I = jax.vmap(one)(y0s, angles)
    return jnp.mean((I - meas) ** 2)
