"""``x * x`` with both factors the same variable: one contribution
(``dz * 2.0 * x``, rules/operators.py), and ``x[i] * x[i]`` reads the element
once (passes/normalize.py); gradients against central differences."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad


def squares(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i] * w + math.sin(w * w)
    a = x * x
    return s + np.sum(a * a) + np.sum(x * x)


def not_the_same(x, w):          # x[i] * x[i + 1]: two reads, the usual rule
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += x[i] * x[i + 1] * w
    return s


X = np.array([0.3, -1.2, 0.8, 2.0])


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", [squares, not_the_same], ids=lambda f: f.__name__)
def test_gradient(f, target):
    check_grad(f, (X, 0.7), (0, 1), target)


def test_one_read_and_one_contribution():
    src = sd.grad(squares, wrt=(0, 1), target="python").source_for(X, 0.7)
    grad = src[src.index("def squares_grad("):]
    assert grad.count("= x[i]\n") == 1          # the loop runs fused: one read
    assert "* 2.0 * " in grad
    src = sd.grad(not_the_same, wrt=(0, 1), target="python").source_for(X, 0.7)
    assert "* 2.0 * " not in src
