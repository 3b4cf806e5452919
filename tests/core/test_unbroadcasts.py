"""``unbroadcast(E, y)`` of an adjoint already of ``y``'s shape is written ``E``
(passes/unbroadcasts.py), by the shape keys or by the lengths of the axes
(``shapes.axis_lengths``: a row broadcast along a matrix, a column of
``reshape(-1, 1)``, a sum along an axis): gradients against central
differences, and the calls left where NumPy did broadcast."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def layer(W, b, X):
    logits = X @ W + b
    m = np.sum(logits, axis=1) / logits.shape[1]
    centred = logits - m.reshape(-1, 1)
    return np.sum(np.tanh(centred) * logits)


rng = np.random.default_rng(3)
ARGS = (rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(6, 4)))


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_gradient_matches_finite_differences(target):
    check_grad(layer, ARGS, wrt=(0, 1, 2), target=target)


def test_only_the_broadcast_operands_are_summed_down():
    text = sd.grad(layer, wrt=(0, 1, 2), target="python").source_for(*ARGS)
    grad = next(n for n in ast.parse(text).body
                if isinstance(n, ast.FunctionDef) and n.name == "layer_grad")
    summed = sorted(ast.unparse(n.args[1]) for n in ast.walk(grad)
                    if isinstance(n, ast.Call) and ast.unparse(n.func) == "unbroadcast")
    # the column m.reshape(-1, 1) broadcast along the logits' columns; no call
    # for arrays of one shape; the row b broadcast along X @ W's rows is summed
    # down in the element loop of the statements beside it
    # (passes/array_loops.py: ``db[k] += dlogits[j, k]``)
    assert summed == ["_t5"], text
    rows = [n for n in ast.walk(grad) if isinstance(n, ast.AugAssign) and
            isinstance(n.target, ast.Subscript) and ast.unparse(n.target.value) == "db"]
    assert len(rows) == 1 and isinstance(rows[0].target.slice, ast.Name), text
