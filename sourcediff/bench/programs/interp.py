"""Piecewise-linear interpolation fitted to targets, each query located by
bisection in a ``while`` loop.

    loss(yk, q) = sum_k (interp(q_k; xk, yk) - target_k)^2

Differentiated with respect to the knot values ``yk`` and the query points
``q``. Two ways of writing it: the bisection inline, and in a helper that
returns the interval's index.
"""

from __future__ import annotations

import numpy as np
from numba import njit

TITLE = "interpolation, bisection while-loop per query"
SIZES = {
    "small": {"knots": 17, "queries": 40},
    "default": {"knots": 1000, "queries": 50_000},
    "large": {"knots": 10_000, "queries": 500_000},
}
WRT = (0, 1)
WRT_NAMES = ("yk", "q")
RTOL = 1e-9


def interp_inline(yk, q, xk, target):
    """The bisection written in the query loop."""
    m = xk.shape[0]
    s = 0.0
    for k in range(q.shape[0]):
        v = q[k]
        lo = 0
        hi = m - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if xk[mid] <= v:
                lo = mid
            else:
                hi = mid
        t = (v - xk[lo]) / (xk[hi] - xk[lo])
        value = yk[lo] + t * (yk[hi] - yk[lo])
        r = value - target[k]
        s += r * r
    return s


@njit(cache=True)
def find_interval(xk, v):
    """The ``lo`` with ``xk[lo] <= v < xk[lo + 1]`` (clamped to the ends)."""
    lo = 0
    hi = xk.shape[0] - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if xk[mid] <= v:
            lo = mid
        else:
            hi = mid
    return lo


def interp_helper(yk, q, xk, target):
    """The bisection in a helper function."""
    s = 0.0
    for k in range(q.shape[0]):
        lo = find_interval(xk, q[k])
        t = (q[k] - xk[lo]) / (xk[lo + 1] - xk[lo])
        r = (1.0 - t) * yk[lo] + t * yk[lo + 1] - target[k]
        s += r * r
    return s


STYLES = {"inline": interp_inline, "helper": interp_helper}


def interp_by_hand(yk, q, xk, target):
    """Value and gradients in one loop over the queries."""
    m = xk.shape[0]
    d_yk = np.zeros_like(yk)
    d_q = np.zeros_like(q)
    s = 0.0
    for k in range(q.shape[0]):
        v = q[k]
        lo = 0
        hi = m - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if xk[mid] <= v:
                lo = mid
            else:
                hi = mid
        width = xk[hi] - xk[lo]
        t = (v - xk[lo]) / width
        r = yk[lo] + t * (yk[hi] - yk[lo]) - target[k]
        s += r * r
        d_yk[lo] += 2.0 * r * (1.0 - t)
        d_yk[hi] += 2.0 * r * t
        d_q[k] = 2.0 * r * (yk[hi] - yk[lo]) / width
    return s, (d_yk, d_q)


HAND = interp_by_hand


def make_args(params: dict) -> tuple:
    """Uneven knots on [0, 1], queries strictly inside, noisy targets."""
    knots, queries = params["knots"], params["queries"]
    rng = np.random.default_rng(3)
    xk = np.sort(np.concatenate([[0.0, 1.0], rng.uniform(0.0, 1.0, knots - 2)]))
    yk = np.sin(6.0 * xk)
    q = rng.uniform(0.01, 0.99, queries)
    target = np.cos(3.0 * q) + 0.05 * rng.standard_normal(queries)
    return yk, q, xk, target


def jax_objective():
    """Vectorized with ``jnp.interp`` (a sorted search inside)."""
    import jax.numpy as jnp

    def interp(yk, q, xk, target):
        return jnp.sum((jnp.interp(q, xk, yk) - target) ** 2)

    return interp
