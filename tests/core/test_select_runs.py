"""The adjoints of ``np.clip``, ``np.maximum`` and ``np.minimum`` in a loop whose
array code stays array code (it feeds a matrix product) are ``select``s: one
element loop with the statements around them (passes/array_loops.py), their
temporaries numbers of the loop (``_dt9 = select(_t9 < eps, _dt10, 0.0)``
becomes ``dt9_j = dt10_j if _t9[j] < eps else 0.0``), the tapes' pops between
them run after it; no whole-array ``select`` or temporary per iteration."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def huber_descent(y, X, w0, eps, delta, lr, epochs):
    """Gradient descent on an epsilon-insensitive Huber loss, its derivative a
    difference of clips; the final loss differentiated."""
    n = X.shape[0]
    w = w0.copy()
    for ep in range(epochs):
        r = X @ w - y
        gr = np.clip(r, -(eps + delta), eps + delta) - np.clip(r, -eps, eps)
        w = w - lr * (X.T @ gr / n)
    r = X @ w - y
    return np.sum(r * r) / n


def relu_steps(x0, W, b, steps):
    """A ReLU recurrence: h = max(W h + b, 0) - 0.1 min(h, 0.5)."""
    h = x0.copy()
    for t in range(steps):
        z = W @ h + b
        h = np.maximum(z, 0.0) - 0.1 * np.minimum(h, 0.5)
    return np.sum(h * h)


RNG = np.random.default_rng(5)
X = RNG.normal(size=(9, 3))
Y = X @ np.array([0.5, -1.0, 2.0]) + 0.3 * RNG.normal(size=9)
HUBER = (Y, X, np.zeros(3), 0.1, 1.0, 0.2, 6)
RELU = (RNG.normal(size=4), 0.5 * RNG.normal(size=(4, 4)), 0.1 * RNG.normal(size=4), 5)
CASES = [(huber_descent, HUBER, (0, 1)), (relu_steps, RELU, (0, 1, 2))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f,args,wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradients_match_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


@pytest.mark.parametrize("f,args,wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_the_reverse_loop_holds_no_whole_array_select(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    tree = ast.parse(text)
    grad = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and
                n.name == f"{f.__name__}_grad")
    sweep = grad.body[[ast.unparse(s) for s in grad.body].index(
        next(ast.unparse(s) for s in grad.body if isinstance(s, ast.For) and
             "- 1, -1, -1" in ast.unparse(s.iter))):]
    loop = sweep[0]
    calls = {ast.unparse(n.func) for n in ast.walk(loop) if isinstance(n, ast.Call)}
    assert "select" not in calls and "np.empty_like" not in calls and "fresh" not in calls, \
        ast.unparse(loop)
    assert any(isinstance(n, ast.IfExp) for n in ast.walk(loop)), ast.unparse(loop)
