"""Single-head softmax attention with explicit loops, online (running-max)
softmax as in flash attention; loss = <out, W>."""
import math
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(Q, K, V, Wout):
    L, d = Q.shape
    scale = 1.0 / math.sqrt(d)
    acc = np.zeros(d)
    total = 0.0
    for i in range(L):
        m = -np.inf
        ssum = 0.0
        for k in range(d):
            acc[k] = 0.0
        for j in range(L):
            s = 0.0
            for k in range(d):
                s += Q[i, k] * K[j, k]
            s *= scale
            mnew = max(m, s)
            corr = math.exp(m - mnew)
            p = math.exp(s - mnew)
            ssum = ssum * corr + p
            for k in range(d):
                acc[k] = acc[k] * corr + p * V[j, k]
            m = mnew
        for k in range(d):
            total += Wout[i, k] * acc[k] / ssum
    return total


def make_args(small=False):
    rng = np.random.default_rng(0)
    L, d = (4, 3) if small else (128, 32)
    Q = rng.standard_normal((L, d))
    K = rng.standard_normal((L, d))
    V = rng.standard_normal((L, d))
    W = rng.standard_normal((L, d))
    return (Q, K, V, W)


WRT = (0, 1, 2)


def jax_f(Q, K, V, Wout):
    d = Q.shape[1]
    s = (Q @ K.T) / jnp.sqrt(d)
    s = s - jnp.max(s, axis=1, keepdims=True)
    p = jnp.exp(s)
    p = p / jnp.sum(p, axis=1, keepdims=True)
    return jnp.sum((p @ V) * Wout)
