"""The Rosenbrock function as a loop.

    f(x) = sum_i 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2

Two ways of writing the body: one line, and named temporaries
(``a = x[i+1] - x[i]*x[i]; b = 1 - x[i]; s += 100*a*a + b*b``).
"""

from __future__ import annotations

import numpy as np

TITLE = "Rosenbrock loop"
SIZES = {
    "small": {"n": 30},
    "default": {"n": 1_000_000},
    "large": {"n": 10_000_000},
}
WRT = (0,)
WRT_NAMES = ("x",)
RTOL = 1e-10


def rosen_one_liner(x):
    """The term in one statement."""
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def rosen_temporaries(x):
    """The two factors as named temporaries."""
    s = 0.0
    for i in range(x.shape[0] - 1):
        a = x[i + 1] - x[i] * x[i]
        b = 1.0 - x[i]
        s += 100.0 * a * a + b * b
    return s


STYLES = {"one-liner": rosen_one_liner, "temporaries": rosen_temporaries}


def rosen_by_hand(x):
    """Value and gradient fused in one loop."""
    grad = np.zeros_like(x)
    s = 0.0
    for i in range(x.shape[0] - 1):
        a = x[i + 1] - x[i] * x[i]
        b = 1.0 - x[i]
        s += 100.0 * a * a + b * b
        grad[i] += -400.0 * a * x[i] - 2.0 * b
        grad[i + 1] += 200.0 * a
    return s, (grad,)


HAND = rosen_by_hand


def make_args(params: dict) -> tuple:
    """Uniform in [-1.5, 1.5], fixed seed."""
    return (np.random.default_rng(5).uniform(-1.5, 1.5, params["n"]),)


def jax_objective():
    """Vectorized on slices."""
    import jax.numpy as jnp

    def rosen(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    return rosen
