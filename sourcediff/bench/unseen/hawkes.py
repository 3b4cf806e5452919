"""Log-likelihood of a univariate Hawkes process with an exponential kernel,
phi(t) = alpha beta exp(-beta t), by the usual O(n) recursion
A_i = exp(-beta (t_i - t_{i-1})) (1 + A_{i-1}):

    -loglik = mu T + alpha sum_i (1 - exp(-beta (T - t_i))) - sum_i log(mu + alpha beta A_i)
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "Hawkes process negative log-likelihood, exponential kernel"
SIZES = {
    "small": {"n": 20},
    "default": {"n": 400_000},
    "large": {"n": 2_000_000},
}
WRT = (0, 1, 2)
WRT_NAMES = ("mu", "alpha", "beta")
RTOL = 1e-9


def hawkes_nll(mu, alpha, beta, times, T):
    n = times.shape[0]
    A = 0.0
    loglik = math.log(mu)
    compensator = mu * T + alpha * (1.0 - math.exp(-beta * (T - times[0])))
    for k in range(1, n):
        A = math.exp(-beta * (times[k] - times[k - 1])) * (1.0 + A)
        loglik += math.log(mu + alpha * beta * A)
        compensator += alpha * (1.0 - math.exp(-beta * (T - times[k])))
    return compensator - loglik


STYLES = {"recursion": hawkes_nll}
HAND = None


def make_args(params: dict) -> tuple:
    """Event times of a simulated Hawkes process (Ogata thinning, fixed seed)."""
    n = params["n"]
    rng = np.random.default_rng(11)
    mu, alpha, beta = 0.5, 0.6, 1.5
    times = np.empty(n)
    t, excite, k = 0.0, 0.0, 0
    while k < n:
        bound = mu + alpha * beta * excite
        w = rng.exponential(1.0 / bound)
        excite *= math.exp(-beta * w)
        t += w
        if rng.uniform() * bound <= mu + alpha * beta * excite:
            times[k] = t
            excite += 1.0
            k += 1
    return 0.4, 0.5, 1.2, times, times[-1] + 1.0


def jax_objective():
    """``lax.scan`` for the recursion; the compensator vectorized."""
    import jax
    import jax.numpy as jnp

    def hawkes_nll(mu, alpha, beta, times, T):
        gaps = jnp.diff(times)

        def step(A, gap):
            A = jnp.exp(-beta * gap) * (1.0 + A)
            return A, A

        _, As = jax.lax.scan(step, jnp.zeros_like(mu), gaps)
        loglik = jnp.log(mu) + jnp.sum(jnp.log(mu + alpha * beta * As))
        compensator = mu * T + alpha * jnp.sum(1.0 - jnp.exp(-beta * (T - times)))
        return compensator - loglik

    return hawkes_nll
