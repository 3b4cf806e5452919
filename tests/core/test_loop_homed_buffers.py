"""An array made at the top of a loop's body and rebound by arithmetic on itself
in an inner loop (``G = lam * W`` per epoch, then ``G = G + g`` or ``G += g``
per sample: a gradient accumulated by hand) is stored into in place by the
inner loop's element loop, as one made before every loop is
(passes/lower.py ``_loop_homes``): each outer iteration makes the array the
inner loop then finds bound.  Before, every sample made a new ``G``, and its
row ``g`` was a buffer of its own: a multinomial logistic regression's
hypergradient went 2.5x -> 1.0x its primal."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def accumulated(X, W, lam, lr, iters):
    W = W.copy()
    for it in range(iters):
        G = lam * W
        for i in range(X.shape[0]):
            z = X[i] * W
            G = G + z * z
        W = W - lr * G
    return np.sum(W * W)


def augmented(X, W, lam, lr, iters):
    W = W.copy()
    for it in range(iters):
        G = lam * W
        for i in range(X.shape[0]):
            z = X[i] * W
            G += z * z
        W = W - lr * G
    return np.sum(W * W)


def aliased(X, W, lam, lr, iters):
    """``first`` holds the epoch's first ``G``: the inner loop must not write into it."""
    W = W.copy()
    s = 0.0
    for it in range(iters):
        G = lam * W
        first = G
        for i in range(X.shape[0]):
            z = X[i] * W
            G = G + z * z
        s += np.sum(first * G)
        W = W - lr * G
    return np.sum(W * W) + s


RNG = np.random.default_rng(20261213)
ARGS = (RNG.normal(size=(6, 4)), RNG.normal(size=4), 0.1, 0.05, 3)
FUNCS = [accumulated, augmented, aliased]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", FUNCS, ids=[f.__name__ for f in FUNCS])
def test_gradients_match_finite_differences(f, target):
    check_grad(f, ARGS, wrt=(0, 1, 2, 3), target=target)


@pytest.mark.parametrize("f", FUNCS, ids=[f.__name__ for f in FUNCS])
def test_values_are_numpys(f):
    value, _ = sd.value_and_grad(f, wrt=(0, 1), target="cpu")(*ARGS)
    assert value == pytest.approx(f(*ARGS), rel=1e-12)


def _sample_loop(f):
    text = sd.value_and_grad(f, wrt=(0, 1, 2, 3), target="python").source_for(*ARGS)
    primal = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef))
    epoch = next(n for n in primal.body if isinstance(n, ast.For))
    return next(n for n in epoch.body if isinstance(n, ast.For))


@pytest.mark.parametrize("f", [accumulated, augmented], ids=["accumulated", "augmented"])
def test_the_sample_loop_adds_into_the_epochs_array(f):
    loop = _sample_loop(f)
    stores = [n for n in ast.walk(loop) if isinstance(n, ast.Assign) and
              isinstance(n.targets[0], ast.Subscript) and ast.unparse(n.targets[0].value) == "G"]
    binds = [n for n in ast.walk(loop) if isinstance(n, ast.Assign) and
             isinstance(n.targets[0], ast.Name) and n.targets[0].id == "G"]
    assert stores and not binds, ast.unparse(loop)


def test_an_array_another_name_holds_is_not_written_into():
    loop = _sample_loop(aliased)
    assert not any(isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and
                   ast.unparse(n.value) == "G" for n in ast.walk(loop)), ast.unparse(loop)
