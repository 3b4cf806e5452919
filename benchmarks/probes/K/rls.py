"""Recursive least squares (4 taps, forgetting factor lam), explicit 4x4 loops,
loss = sum of a-priori errors squared. d/d lam and the input signal."""
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(lam, x, d, delta0):
    T = x.shape[0]
    nt = 4
    w = np.zeros(nt)
    P = np.zeros((nt, nt))
    for i in range(nt):
        P[i, i] = delta0
    phi = np.zeros(nt)
    Pphi = np.zeros(nt)
    phiP = np.zeros(nt)
    kg = np.zeros(nt)
    loss = 0.0
    for t in range(nt, T):
        for i in range(nt):
            phi[i] = x[t - i]
        yhat = 0.0
        for i in range(nt):
            yhat += w[i] * phi[i]
        e = d[t] - yhat
        loss += e * e
        den = lam
        for i in range(nt):
            s = 0.0
            s2 = 0.0
            for j in range(nt):
                s += P[i, j] * phi[j]
                s2 += phi[j] * P[j, i]
            Pphi[i] = s
            phiP[i] = s2
            den += phi[i] * s
        for i in range(nt):
            kg[i] = Pphi[i] / den
            w[i] += kg[i] * e
        for i in range(nt):
            for j in range(nt):
                P[i, j] = (P[i, j] - kg[i] * phiP[j]) / lam
    return loss / (T - nt)


def make_args(small=False):
    rng = np.random.default_rng(0)
    T = 12 if small else 6000
    x = rng.standard_normal(T)
    h = np.array([0.8, -0.4, 0.2, 0.1])
    d = np.convolve(x, h)[:T] + 0.05 * rng.standard_normal(T)
    return (0.98, x, d, 10.0)


WRT = (0, 1)


def jax_f(lam, x, d, delta0):
    T = x.shape[0]
    nt = 4
    # phi_t = x[t], x[t-1], x[t-2], x[t-3]
    Phi = jnp.stack([x[nt - i:T - i] for i in range(nt)], axis=1)

    def step(c, inp):
        w, P = c
        phi, dt_ = inp
        e = dt_ - w @ phi
        Pphi = P @ phi
        phiP = phi @ P
        den = lam + phi @ Pphi
        kg = Pphi / den
        w = w + kg * e
        P = (P - jnp.outer(kg, phiP)) / lam
        return (w, P), e * e

    _, es = jax.lax.scan(step, (jnp.zeros(nt), delta0 * jnp.eye(nt)), (Phi, d[nt:]))
    return jnp.sum(es) / (T - nt)
