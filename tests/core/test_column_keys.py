"""A column ``X[:, j]`` (a row ``X[i, :]``) of a matrix at a whole-number index has
the length of the matrix's columns (rows) (passes/shapes.py): arrays computed
from columns in a loop (an HMM's ``alpha + logA[:, j]``) have a shape known
before the loop and go on stacks of rows allocated once, not in lists.
Gradients against central differences."""
from __future__ import annotations

import math

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def lse(v):
    m = np.max(v)
    s = 0.0
    for i in range(v.shape[0]):
        s += math.exp(v[i] - m)
    return m + math.log(s)


def hmm_forward(logA, logB, logpi, obs):
    S = logA.shape[0]
    alpha = logpi + logB[:, obs[0]]
    for t in range(1, obs.shape[0]):
        new = np.empty(S)
        for j in range(S):
            new[j] = lse(alpha + logA[:, j]) + logB[j, obs[t]]
        alpha = new
    return lse(alpha)


def row_products(W, x0, steps):
    # rows written W[i, :]: the state a matrix's row times itself, per row
    x = x0.copy()
    s = 0.0
    for t in range(steps):
        y = np.empty(W.shape[0])
        for i in range(W.shape[0]):
            r = W[i, :] * x
            y[i] = np.tanh(np.sum(r * r))
        x = 0.5 * x + 0.1 * y[0]
        s += np.sum(y)
    return s


rng = np.random.default_rng(5)
S, K, T = 3, 4, 5
A = rng.random((S, S)) + 0.2
B = rng.random((S, K)) + 0.2
CASES = {
    "hmm_forward": (hmm_forward, (np.log(A / A.sum(1, keepdims=True)),
                                  np.log(B / B.sum(1, keepdims=True)), np.log(np.full(S, 1.0 / S)),
                                  rng.integers(0, K, T)), (0, 1, 2)),
    # (17 long: more than the transform writes out as numbers)
    "row_products": (row_products, (0.2 * rng.standard_normal((17, 17)),
                                    0.3 * rng.standard_normal(17), 3), (0, 1)),
}


@pytest.mark.parametrize("name", CASES)
def test_gradient_matches_finite_differences(name):
    f, args, wrt = CASES[name]
    check_grad(f, args, wrt=wrt, target="python")


def test_compiled():
    f, args, wrt = CASES["hmm_forward"]
    check_grad(f, args, wrt=wrt, target="cpu")


@pytest.mark.parametrize("name", CASES)
def test_arrays_of_columns_go_on_stacks(name):
    f, args, wrt = CASES[name]
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    assert "in lists" not in text and ".pop()" not in text, text
