"""Log-likelihood of a Gaussian-emission hidden Markov model by the forward
algorithm in log space, the logsumexp over previous states done by hand (max,
then the sum of exponentials).

    log alpha_t(j) = logsumexp_i (log alpha_{t-1}(i) + logA[i, j]) + log N(y_t; mu_j, s^2)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

TITLE = "HMM forward algorithm in log space, hand logsumexp"
SIZES = {
    "small": {"T": 6, "K": 3},
    "default": {"T": 20_000, "K": 8},
    "large": {"T": 100_000, "K": 8},
}
WRT = (0, 1)
WRT_NAMES = ("logA", "mu")
RTOL = 1e-9


@njit(cache=True)
def log_gauss(y, m, s):
    z = (y - m) / s
    return -0.5 * z * z - math.log(s) - 0.5 * math.log(2.0 * math.pi)


def hmm_loglik(logA, mu, logpi, y, s):
    K = mu.shape[0]
    T = y.shape[0]
    alpha = np.zeros(K)
    new = np.zeros(K)
    for j in range(K):
        alpha[j] = logpi[j] + log_gauss(y[0], mu[j], s)
    for t in range(1, T):
        for j in range(K):
            m = -np.inf
            for i in range(K):
                m = max(m, alpha[i] + logA[i, j])
            acc = 0.0
            for i in range(K):
                acc += math.exp(alpha[i] + logA[i, j] - m)
            new[j] = m + math.log(acc) + log_gauss(y[t], mu[j], s)
        for j in range(K):
            alpha[j] = new[j]
    m = -np.inf
    for j in range(K):
        m = max(m, alpha[j])
    acc = 0.0
    for j in range(K):
        acc += math.exp(alpha[j] - m)
    return m + math.log(acc)


def hmm_hand(logA, mu, logpi, y, s):
    """Hand-written adjoint: alpha and each logsumexp stored per step, the reverse uses
    the softmax weights exp(alpha_i + logA_ij - lse_j) (the max drops out)."""
    K = mu.shape[0]
    T = y.shape[0]
    alphas = np.empty((T, K))
    for j in range(K):
        alphas[0, j] = logpi[j] + log_gauss(y[0], mu[j], s)
    for t in range(1, T):
        for j in range(K):
            m = -np.inf
            for i in range(K):
                m = max(m, alphas[t - 1, i] + logA[i, j])
            acc = 0.0
            for i in range(K):
                acc += math.exp(alphas[t - 1, i] + logA[i, j] - m)
            alphas[t, j] = m + math.log(acc) + log_gauss(y[t], mu[j], s)
    m = -np.inf
    for j in range(K):
        m = max(m, alphas[T - 1, j])
    acc = 0.0
    for j in range(K):
        acc += math.exp(alphas[T - 1, j] - m)
    value = m + math.log(acc)
    dlogA = np.zeros((K, K))
    dmu = np.zeros(K)
    dalpha = np.empty(K)
    dprev = np.empty(K)
    for j in range(K):
        dalpha[j] = math.exp(alphas[T - 1, j] - value)
    for t in range(T - 1, 0, -1):
        for i in range(K):
            dprev[i] = 0.0
        for j in range(K):
            dmu[j] += dalpha[j] * (y[t] - mu[j]) / (s * s)
            lse = alphas[t, j] - log_gauss(y[t], mu[j], s)
            for i in range(K):
                w = dalpha[j] * math.exp(alphas[t - 1, i] + logA[i, j] - lse)
                dlogA[i, j] += w
                dprev[i] += w
        for i in range(K):
            dalpha[i] = dprev[i]
    for j in range(K):
        dmu[j] += dalpha[j] * (y[0] - mu[j]) / (s * s)
    return value, (dlogA, dmu)


STYLES = {"forward loop": hmm_loglik}
HAND = hmm_hand


def make_args(params: dict) -> tuple:
    """Observations of a sticky chain; a transition matrix and means to start from."""
    T, K = params["T"], params["K"]
    rng = np.random.default_rng(5)
    true_mu = np.linspace(-3.0, 3.0, K)
    state = 0
    y = np.empty(T)
    for t in range(T):
        if rng.uniform() < 0.1:
            state = int(rng.integers(K))
        y[t] = true_mu[state] + 0.8 * rng.standard_normal()
    A = np.full((K, K), 0.2 / K) + 0.8 * np.eye(K)
    logA = np.log(A) + 0.05 * rng.standard_normal((K, K))
    mu = true_mu + 0.3 * rng.standard_normal(K)
    logpi = np.full(K, -math.log(K))
    return logA, mu, logpi, y, 1.0


def jax_objective():
    """``lax.scan`` over time, ``logsumexp`` over the previous state."""
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp

    def hmm_loglik(logA, mu, logpi, y, s):
        def emit(yt):
            z = (yt - mu) / s
            return -0.5 * z * z - jnp.log(s) - 0.5 * jnp.log(2.0 * jnp.pi)

        def step(alpha, yt):
            return logsumexp(alpha[:, None] + logA, axis=0) + emit(yt), None

        alpha, _ = jax.lax.scan(step, logpi + emit(y[0]), y[1:])
        return logsumexp(alpha)

    return hmm_loglik
