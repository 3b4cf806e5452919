"""An array rebound in a loop body by arithmetic on itself (``s = s - np.max(s)``,
``d = d * w``) makes a new array each time, as NumPy computes it, unlike ``d *=
w``: passes/webs.py ``split_loop_versions`` gives each binding a name of its
own (``d_v2``), as for the same math written with new names, so the row
temporaries are lowered to element loops (passes/lower.py) either way."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def rebound(X, y, w):
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] - y
        d = d * w
        d = np.tanh(d)
        s += np.sum(d * d)
    return s


def named(X, y, w):
    s = 0.0
    for i in range(X.shape[0]):
        d0 = X[i] - y
        d1 = d0 * w
        d = np.tanh(d1)
        s += np.sum(d * d)
    return s


def in_place(X, y, w):
    """``d *= w`` writes into ``d``'s array: still one name."""
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] - y
        d *= w
        s += np.sum(d * d)
    return s


RNG = np.random.default_rng(20261211)
ARGS = (RNG.normal(size=(5, 3)), RNG.normal(size=3), RNG.normal(size=3))
FUNCS = [rebound, named, in_place]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", FUNCS, ids=[f.__name__ for f in FUNCS])
def test_gradients_match_finite_differences(f, target):
    check_grad(f, ARGS, wrt=(0, 1, 2), target=target)


def _primal_loop(f):
    text = sd.value_and_grad(f, wrt=(0, 1, 2), target="python").source_for(*ARGS)
    primal = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef))
    return next(n for n in primal.body if isinstance(n, ast.For))


@pytest.mark.parametrize("f", [rebound, named], ids=["rebound", "named"])
def test_both_styles_run_one_element_loop_per_row(f):
    loop = _primal_loop(f)
    assert [type(s).__name__ for s in loop.body].count("For") == 1
    assert not any(isinstance(n, ast.Call) and ast.unparse(n.func) == "np.sum"
                   for n in ast.walk(loop)), ast.unparse(loop)
