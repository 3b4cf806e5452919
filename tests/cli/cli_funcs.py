"""Functions the CLI tests point ``sourcediff show`` and ``sourcediff check`` at."""

import math

import numpy as np

import sourcediff as sd


def weighted_sines(x, w, n):
    """A loop over an array with a scalar weight (differentiable in x and w)."""
    s = 0.0
    for i in range(n):
        s += w * math.sin(x[i]) ** 2
    return s


def tanh_norm(x):
    """Array-level NumPy code."""
    return np.sum(np.tanh(x) * x) + math.exp(np.mean(x))


def scaled_sin(x):
    return math.sin(x)


@sd.adjoint(scaled_sin)
def _(y, x, dy):
    # deliberately wrong (the true derivative has no factor 1.5): check must notice
    return 1.5 * dy * math.cos(x)


def uses_wrong_rule(x, w):
    """Correct code whose gradient goes through the wrong rule above."""
    s = 0.0
    for i in range(x.shape[0]):
        s += w * scaled_sin(x[i])
    return s


def generator(x):
    """Outside the supported subset."""
    yield x
