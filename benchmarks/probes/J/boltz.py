"""Mean-field Ising / Boltzmann machine on a 2-D lattice, open boundaries,
damped self-consistency then the mean-field free energy with log-cosh."""
import math
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


@numba.njit
def neighbour_sum(m, i, j):
    L1, L2 = m.shape
    s = 0.0
    if i > 0:
        s += m[i - 1, j]
    if i < L1 - 1:
        s += m[i + 1, j]
    if j > 0:
        s += m[i, j - 1]
    if j < L2 - 1:
        s += m[i, j + 1]
    return s


def f(H, J, beta, niter):
    L1, L2 = H.shape
    m = np.zeros((L1, L2))
    mn = np.zeros((L1, L2))
    for it in range(niter):
        for i in range(L1):
            for j in range(L2):
                a = beta * (J * neighbour_sum(m, i, j) + H[i, j])
                mn[i, j] = 0.5 * m[i, j] + 0.5 * math.tanh(a)
        for i in range(L1):
            for j in range(L2):
                m[i, j] = mn[i, j]
    F = 0.0
    for i in range(L1):
        for j in range(L2):
            nb = neighbour_sum(m, i, j)
            a = beta * (J * nb + H[i, j])
            F += -math.log(2.0 * math.cosh(a)) / beta + 0.5 * J * m[i, j] * nb
    return F / (L1 * L2)


def make_args(small=False):
    rng = np.random.default_rng(0)
    L = 4 if small else 64
    niter = 3 if small else 20
    H = 0.3 * rng.standard_normal((L, L))
    return (H, 0.2, 1.3, niter)


WRT = (0, 1, 2)


def jax_f(H, J, beta, niter):
    def nbsum(m):
        z = jnp.zeros_like(m)
        s = z.at[1:, :].add(m[:-1, :])
        s = s.at[:-1, :].add(m[1:, :])
        s = s.at[:, 1:].add(m[:, :-1])
        s = s.at[:, :-1].add(m[:, 1:])
        return s

    def body(it, m):
        a = beta * (J * nbsum(m) + H)
        return 0.5 * m + 0.5 * jnp.tanh(a)

    m = jax.lax.fori_loop(0, niter, body, jnp.zeros_like(H))
    nb = nbsum(m)
    a = beta * (J * nb + H)
    F = jnp.sum(-jnp.log(2.0 * jnp.cosh(a)) / beta + 0.5 * J * m * nb)
    return F / H.size
