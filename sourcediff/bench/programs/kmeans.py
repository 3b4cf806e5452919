"""k-means loss for a given assignment of points to centres.

    loss(C) = sum_i |X[i] - C[a[i]]|^2

Differentiated with respect to the centres ``C``. Two ways of writing the
same loop: a row temporary per point (``d = X[i] - C[a[i]]``, NumPy on the
row) and an inner scalar loop over the coordinates.
"""

from __future__ import annotations

import numpy as np

TITLE = "k-means loss, given assignment"
SIZES = {
    "small": {"n": 200, "d": 3, "k": 4},
    "default": {"n": 100_000, "d": 8, "k": 16},
    "large": {"n": 1_000_000, "d": 8, "k": 16},
}
WRT = (1,)
WRT_NAMES = ("C",)
RTOL = 1e-9


def kmeans_rows(X, C, a):
    """One row temporary per point."""
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] - C[a[i]]
        s += np.sum(d * d)
    return s


def kmeans_scalar(X, C, a):
    """An inner loop over the coordinates, scalars only."""
    s = 0.0
    for i in range(X.shape[0]):
        c = a[i]
        for j in range(X.shape[1]):
            t = X[i, j] - C[c, j]
            s += t * t
    return s


STYLES = {"row temporaries": kmeans_rows, "scalar loop": kmeans_scalar}


def kmeans_by_hand(X, C, a):
    """Value and gradient with respect to ``C`` in one loop."""
    grad = np.zeros_like(C)
    s = 0.0
    for i in range(X.shape[0]):
        c = a[i]
        for j in range(X.shape[1]):
            t = X[i, j] - C[c, j]
            s += t * t
            grad[c, j] -= 2.0 * t
    return s, (grad,)


HAND = kmeans_by_hand


def make_args(params: dict) -> tuple:
    """Points around ``k`` centres, the centres perturbed, nearest-centre assignment."""
    n, d, k = params["n"], params["d"], params["k"]
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((k, d)) * 3.0
    a = rng.integers(0, k, n)
    X = centres[a] + rng.standard_normal((n, d))
    C = centres + 0.1 * rng.standard_normal((k, d))
    return X, C, a.astype(np.int64)


def jax_objective():
    """Vectorized: gather each point's centre, one reduction."""
    import jax.numpy as jnp

    def kmeans(X, C, a):
        return jnp.sum((X - C[a]) ** 2)

    return kmeans
