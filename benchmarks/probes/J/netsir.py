"""Deterministic SIR on a network (CSR adjacency), explicit Euler,
loss vs observed mean prevalence."""
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(I0, beta, gamma, indptr, indices, obs, dt):
    n = I0.shape[0]
    nt = obs.shape[0]
    S = np.empty(n)
    I = np.empty(n)
    for i in range(n):
        I[i] = I0[i]
        S[i] = 1.0 - I0[i]
    Sn = np.empty(n)
    In = np.empty(n)
    loss = 0.0
    for t in range(nt):
        for i in range(n):
            force = 0.0
            for e in range(indptr[i], indptr[i + 1]):
                force += I[indices[e]]
            inf = beta * S[i] * force
            Sn[i] = S[i] - dt * inf
            In[i] = I[i] + dt * (inf - gamma * I[i])
        tot = 0.0
        for i in range(n):
            S[i] = Sn[i]
            I[i] = In[i]
            tot += I[i]
        d = tot / n - obs[t]
        loss += d * d
    return loss


def make_args(small=False):
    rng = np.random.default_rng(0)
    n = 10 if small else 2000
    k = 3 if small else 3  # edges per node drawn, symmetrised
    nt = 4 if small else 50
    src = np.repeat(np.arange(n), k)
    dst = rng.integers(0, n, size=n * k)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    a = np.concatenate([src, dst])
    b = np.concatenate([dst, src])
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, a + 1, 1)
    indptr = np.cumsum(indptr)
    indices = b.astype(np.int64)
    I0 = 0.01 * rng.random(n)
    obs = 0.02 + 0.01 * np.sin(np.arange(nt) * 0.3)
    return (I0, 0.08, 0.1, indptr, indices, obs, 0.5)


WRT = (0, 1, 2)


def jax_f(I0, beta, gamma, indptr, indices, obs, dt):
    n = I0.shape[0]
    counts = jnp.diff(indptr)
    rows = jnp.repeat(jnp.arange(n), counts, total_repeat_length=indices.shape[0])

    def step(carry, o):
        S, I = carry
        force = jax.ops.segment_sum(I[indices], rows, num_segments=n)
        inf = beta * S * force
        Sn = S - dt * inf
        In = I + dt * (inf - gamma * I)
        d = jnp.sum(In) / n - o
        return (Sn, In), d * d

    _, ls = jax.lax.scan(step, (1.0 - I0, I0), obs)
    return jnp.sum(ls)
