"""Gaussian KDE / equal-weight mixture negative log-likelihood, 2-D data,
log-sum-exp with a running max m = max(m, v) then a second loop for the sum.
d/d kernel centres and bandwidth."""
import math
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(cx, cy, h, data):
    N = data.shape[0]
    M = cx.shape[0]
    v = np.empty(M)
    inv = 1.0 / (2.0 * h * h)
    nll = 0.0
    for i in range(N):
        xi = data[i, 0]
        yi = data[i, 1]
        m = -np.inf
        for j in range(M):
            dx = xi - cx[j]
            dy = yi - cy[j]
            v[j] = -(dx * dx + dy * dy) * inv
            m = max(m, v[j])
        s = 0.0
        for j in range(M):
            s += math.exp(v[j] - m)
        nll -= m + math.log(s)
    nll += N * (math.log(M) + math.log(2.0 * math.pi * h * h))
    return nll / N


def make_args(small=False):
    rng = np.random.default_rng(0)
    N, M = (7, 4) if small else (3000, 40)
    data = rng.standard_normal((N, 2)) * np.array([1.0, 0.6])
    cx = rng.standard_normal(M)
    cy = 0.6 * rng.standard_normal(M)
    return (cx, cy, 0.4, data)


WRT = (0, 1, 2)


def jax_f(cx, cy, h, data):
    N = data.shape[0]
    M = cx.shape[0]
    d2 = (data[:, 0:1] - cx[None, :]) ** 2 + (data[:, 1:2] - cy[None, :]) ** 2
    v = -d2 / (2.0 * h * h)
    lse = jax.scipy.special.logsumexp(v, axis=1)
    return (-jnp.sum(lse) + N * (jnp.log(M) + jnp.log(2.0 * jnp.pi * h * h))) / N
