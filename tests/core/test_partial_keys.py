"""Elementwise arithmetic of arrays whose axes' lengths are known only in part
(a minibatch ``xb = X[b * bs:(b + 1) * bs]`` of unknown rows, ``xb @ W + c``)
has the known axes' keys where one operand's key knows them
(passes/shapes.py ``_made_axes``: NumPy broadcasts an axis only from 1, or
raises): the weights' gradient ``xb.T @ r`` is of the weights' shape, so the
update ``W -= lr * g`` is an element loop storing into ``W``
(passes/lower.py) and the reverse sums no ``unbroadcast`` it needs not.
Before, one unknown axis made the whole shape unknown."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def minibatch_sgd(W, c, X, Y, lr, bs, epochs):
    W = W.copy()
    for ep in range(epochs):
        for b in range(X.shape[0] // bs):
            xb = X[b * bs:(b + 1) * bs]
            yb = Y[b * bs:(b + 1) * bs]
            r = np.tanh(xb @ W + c) - yb
            g = xb.T @ r
            W -= lr * g
    return np.sum(W * W)


RNG = np.random.default_rng(20261214)
ARGS = (RNG.normal(size=(3, 2)), RNG.normal(size=2), RNG.normal(size=(8, 3)),
        RNG.normal(size=(8, 2)), 0.1, 4, 2)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_gradient_matches_finite_differences(target):
    check_grad(minibatch_sgd, ARGS, wrt=(0, 1, 4), target=target)


def test_the_update_stores_into_the_weights():
    text = sd.value_and_grad(minibatch_sgd, wrt=(0, 1, 4), target="python").source_for(*ARGS)
    primal = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef))
    stores = [n for n in ast.walk(primal) if isinstance(n, ast.Assign) and
              isinstance(n.targets[0], ast.Subscript) and
              ast.unparse(n.targets[0].value).startswith("W") and
              isinstance(n.targets[0].slice, ast.Tuple)]
    assert stores, text
