"""Heston Monte Carlo call price, Euler full truncation, fixed normals."""
import math
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(S0, v0, kappa, theta, xi, rho, r, K, T, Z1, Z2):
    npath, nstep = Z1.shape
    dt = T / nstep
    sq = math.sqrt(dt)
    rb = math.sqrt(1.0 - rho * rho)
    acc = 0.0
    for p in range(npath):
        ls = math.log(S0)
        v = v0
        for t in range(nstep):
            vp = max(v, 0.0)
            sv = math.sqrt(vp)
            z1 = Z1[p, t]
            z2 = rho * z1 + rb * Z2[p, t]
            ls += (r - 0.5 * vp) * dt + sv * sq * z1
            v += kappa * (theta - vp) * dt + xi * sv * sq * z2
        acc += max(math.exp(ls) - K, 0.0)
    return math.exp(-r * T) * acc / npath


def make_args(small=False):
    rng = np.random.default_rng(0)
    npath, nstep = (6, 5) if small else (2000, 50)
    Z1 = rng.standard_normal((npath, nstep))
    Z2 = rng.standard_normal((npath, nstep))
    K = 80.0 if small else 100.0
    return (100.0, 0.04, 2.0, 0.04, 0.5, -0.7, 0.01, K, 1.0, Z1, Z2)


WRT = (1, 3, 4)


def jax_f(S0, v0, kappa, theta, xi, rho, r, K, T, Z1, Z2):
    npath, nstep = Z1.shape
    dt = T / nstep
    sq = jnp.sqrt(dt)
    rb = jnp.sqrt(1.0 - rho * rho)

    def step(c, z):
        lsv, v = c
        z1, zz2 = z
        vp = jnp.maximum(v, 0.0)
        # a naive jnp.sqrt(vp) gives NaN gradients (inf * 0 where v < 0),
        # so the JAX user writes the usual double-where safe sqrt
        pos = v > 0.0
        sv = jnp.where(pos, jnp.sqrt(jnp.where(pos, vp, 1.0)), 0.0)
        z2 = rho * z1 + rb * zz2
        lsv = lsv + (r - 0.5 * vp) * dt + sv * sq * z1
        v = v + kappa * (theta - vp) * dt + xi * sv * sq * z2
        return (lsv, v), None

    init = (jnp.full(npath, jnp.log(S0)), jnp.full(npath, v0))
    (lsv, v), _ = jax.lax.scan(step, init, (Z1.T, Z2.T))
    return jnp.exp(-r * T) * jnp.mean(jnp.maximum(jnp.exp(lsv) - K, 0.0))
