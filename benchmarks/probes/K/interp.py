"""Piecewise-linear interpolant calibration: np.searchsorted per query,
squared error plus a second-difference roughness penalty on knot values.
d/d knot values and query positions."""
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(yk, xq, xk, yq, lam):
    K = xk.shape[0]
    N = xq.shape[0]
    loss = 0.0
    for n in range(N):
        x = xq[n]
        j = np.searchsorted(xk, x) - 1
        if j < 0:
            j = 0
        if j > K - 2:
            j = K - 2
        t = (x - xk[j]) / (xk[j + 1] - xk[j])
        p = (1.0 - t) * yk[j] + t * yk[j + 1]
        e = p - yq[n]
        loss += e * e
    rough = 0.0
    for j in range(1, K - 1):
        c = yk[j + 1] - 2.0 * yk[j] + yk[j - 1]
        rough += c * c
    return loss / N + lam * rough


def make_args(small=False):
    rng = np.random.default_rng(0)
    K, N = (6, 9) if small else (256, 40000)
    xk = np.sort(rng.random(K)) * 10.0
    xk[0] = 0.0
    xk[-1] = 10.0
    yk = np.sin(xk) + 0.1 * rng.standard_normal(K)
    xq = rng.random(N) * 10.0
    yq = np.sin(xq) + 0.05 * rng.standard_normal(N)
    return (yk, xq, xk, yq, 0.01)


WRT = (0, 1)


def jax_f(yk, xq, xk, yq, lam):
    K = xk.shape[0]
    j = jnp.clip(jnp.searchsorted(xk, xq) - 1, 0, K - 2)
    t = (xq - xk[j]) / (xk[j + 1] - xk[j])
    p = (1.0 - t) * yk[j] + t * yk[j + 1]
    c = yk[2:] - 2.0 * yk[1:-1] + yk[:-2]
    return jnp.mean((p - yq) ** 2) + lam * jnp.sum(c * c)
