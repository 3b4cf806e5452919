"""Negative log-likelihood of a 1-D Gaussian mixture, log-sum-exp by a
running maximum.

    -sum_i log sum_c w_c N(x_i; mu_c, sigma_c^2),   w = softmax(logits)

Differentiated with respect to ``mu``, ``log_sigma`` and ``logits``. Two ways
of writing the per-point log-sum-exp: two passes over a scratch array (the
maximum, then the sum), and one streaming pass that rescales the running sum
whenever the maximum grows.
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "Gaussian mixture log-likelihood (running-max log-sum-exp)"
SIZES = {
    "small": {"n": 30, "k": 3},
    "default": {"n": 20_000, "k": 8},
    "large": {"n": 200_000, "k": 16},
}
WRT = (0, 1, 2)
WRT_NAMES = ("mu", "log_sigma", "logits")
RTOL = 1e-9

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def mixture_two_pass(mu, log_sigma, logits, x):
    """Per point: log densities into a scratch array, its maximum, then the sum."""
    k = mu.shape[0]
    top = logits[0]
    for c in range(1, k):
        top = max(top, logits[c])
    total = 0.0
    for c in range(k):
        total += math.exp(logits[c] - top)
    log_norm = top + math.log(total)
    lp = np.empty(k)
    nll = 0.0
    for i in range(x.shape[0]):
        best = -np.inf
        for c in range(k):
            z = (x[i] - mu[c]) * math.exp(-log_sigma[c])
            lp[c] = logits[c] - log_norm - log_sigma[c] - 0.5 * z * z - HALF_LOG_2PI
            if lp[c] > best:  # noqa: PLR1730  (the running max as written by hand)
                best = lp[c]
        total = 0.0
        for c in range(k):
            total += math.exp(lp[c] - best)
        nll -= best + math.log(total)
    return nll


def mixture_streaming(mu, log_sigma, logits, x):
    """Per point: one pass, the running sum rescaled when the maximum grows."""
    k = mu.shape[0]
    top = logits[0]
    for c in range(1, k):
        top = max(top, logits[c])
    total = 0.0
    for c in range(k):
        total += math.exp(logits[c] - top)
    log_norm = top + math.log(total)
    nll = 0.0
    for i in range(x.shape[0]):
        best = -np.inf
        running = 0.0
        for c in range(k):
            z = (x[i] - mu[c]) * math.exp(-log_sigma[c])
            lp = logits[c] - log_norm - log_sigma[c] - 0.5 * z * z - HALF_LOG_2PI
            if lp > best:
                running = running * math.exp(best - lp) + 1.0
                best = lp
            else:
                running += math.exp(lp - best)
        nll -= best + math.log(running)
    return nll


STYLES = {"two passes": mixture_two_pass, "streaming": mixture_streaming}


def mixture_by_hand(mu, log_sigma, logits, x):
    """Per point: the responsibilities from a two-pass log-sum-exp, then their
    contributions to the three gradients; the softmax's adjoint at the end."""
    k = mu.shape[0]
    top = logits.max()
    weights = np.exp(logits - top)
    log_norm = top + math.log(weights.sum())
    inv_sigma = np.exp(-log_sigma)
    d_mu = np.zeros(k)
    d_log_sigma = np.zeros(k)
    d_logits = np.zeros(k)
    lp = np.empty(k)
    nll = 0.0
    for i in range(x.shape[0]):
        best = -np.inf
        for c in range(k):
            z = (x[i] - mu[c]) * inv_sigma[c]
            lp[c] = logits[c] - log_norm - log_sigma[c] - 0.5 * z * z - HALF_LOG_2PI
            best = max(best, lp[c])
        total = 0.0
        for c in range(k):
            total += math.exp(lp[c] - best)
        lse = best + math.log(total)
        nll -= lse
        for c in range(k):
            resp = math.exp(lp[c] - lse)  # d lse / d lp[c]
            z = (x[i] - mu[c]) * inv_sigma[c]
            d_mu[c] -= resp * z * inv_sigma[c]
            d_log_sigma[c] -= resp * (z * z - 1.0)
            d_logits[c] -= resp
    # lp[c] depends on logits through log_norm: d log_norm / d logits = softmax
    softmax = np.exp(logits - log_norm)
    d_logits += x.shape[0] * softmax
    return nll, (d_mu, d_log_sigma, d_logits)


HAND = mixture_by_hand


def make_args(params: dict) -> tuple:
    """Points from a mixture of ``k`` components; the parameters near the truth."""
    n, k = params["n"], params["k"]
    rng = np.random.default_rng(8)
    centres = np.linspace(-4.0, 4.0, k)
    x = centres[rng.integers(0, k, n)] + 0.5 * rng.standard_normal(n)
    mu = centres + 0.2 * rng.standard_normal(k)
    log_sigma = np.log(0.6) + 0.1 * rng.standard_normal(k)
    logits = 0.3 * rng.standard_normal(k)
    return mu, log_sigma, logits, x


def jax_objective():
    """Vectorized over points and components, ``logsumexp`` along the components."""
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp

    def mixture(mu, log_sigma, logits, x):
        z = (x[:, None] - mu[None, :]) * jnp.exp(-log_sigma)[None, :]
        lp = jax.nn.log_softmax(logits)[None, :] - log_sigma[None, :] - 0.5 * z * z \
            - 0.5 * jnp.log(2.0 * jnp.pi)
        return -jnp.sum(logsumexp(lp, axis=1))

    return mixture
