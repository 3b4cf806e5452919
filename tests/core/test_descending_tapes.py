"""Saves inside loops that count down (``range(hi, lo, -1)``) go into arrays
allocated once, one slot per iteration, or stacks sized by a bound (a
triangular nest), like loops that count up: back substitution, backward
induction.  Checked against finite differences, with
the plan naming the preallocated tape instead of a list."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad


def back_substitution(d, c, steps):     # u[i] overwritten from the end, every step
    n = d.shape[0]
    u = d.copy()
    for t in range(steps):
        for i in range(n - 2, -1, -1):
            u[i] = d[i] - c * math.tanh(u[i + 1]) + 0.1 * u[i]
    s = 0.0
    for i in range(n):
        s += u[i] * u[i]
    return s


def countdown_scalars(x, steps):        # a scalar overwritten in a loop that counts down
    s = 0.0
    for t in range(steps):
        for i in range(x.shape[0] - 1, 0, -1):
            r = math.sin(x[i] * s + x[i - 1])
            s = 0.5 * s + r * r
    return s


def countdown_triangle(x, n):           # a triangular nest counting down: a stack
    s = 0.0
    for k in range(n - 1, -1, -1):
        for j in range(k + 1):
            s = math.sin(s * x[j]) + x[k]
    return s


D = np.array([0.4, -0.3, 0.8, 0.2, -0.6])
CASES = [(back_substitution, (D, 0.7, 3), (0, 1)), (countdown_scalars, (D, 2), 0),
         (countdown_triangle, (D, 5), 0)]


@pytest.mark.parametrize("f,args,wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_and_preallocated_tape(f, args, wrt):
    check_grad(f, args, wrt, "python")
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "allocated once" in plan
    assert "in lists" not in plan and "in a list" not in plan
    assert ".append(" not in text


def test_triangle_stack_is_sized_by_the_bound():
    text = sd.grad(countdown_triangle, target="python").source_for(D, 5)
    assert "with room for max(n, 0) * max(n, 0) values" in text


def test_back_substitution_compiled():
    check_grad(back_substitution, (D, 0.7, 3), (0, 1), "cpu")
