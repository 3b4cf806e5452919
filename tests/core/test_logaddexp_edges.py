"""``np.logaddexp`` (and ``logaddexp2``) of two equal arguments, -inf among
them: log 0 + log 0, an unreachable state of a recursion in log space (a CTC
or HMM forward pass started at -inf).  The weights of the two arguments are
the softmax of the pair, half each when they are equal, never
``exp(-inf - -inf)``: the gradient of everything downstream stays finite
(JAX gives NaN there).  Both targets, reverse and forward mode; finite
arguments are checked against finite differences in test_numpy_more."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd

NEG = -np.inf


def chained(x):
    """A state reached by no path (-inf), then one that is: the first two
    inputs do not matter."""
    v = np.logaddexp(x[0], x[1])
    return np.logaddexp(v, x[2])


def rows(a, b):
    return np.sum(np.logaddexp(a, b) * np.array([1.0, 2.0, 3.0]))


def rows2(a, b):
    return np.sum(np.logaddexp2(a, b))


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_an_unreachable_state_gets_no_gradient(target):
    value, g = sd.value_and_grad(chained, target=target)(np.array([NEG, NEG, 0.3]))
    assert value == 0.3
    assert np.array_equal(g, [0.0, 0.0, 1.0])


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_equal_arguments_share_the_gradient(target):
    a = np.array([NEG, 0.2, 1.0])
    b = np.array([NEG, 0.2, NEG])
    ga, gb = sd.grad(rows, wrt=(0, 1), target=target)(a, b)
    # half each where equal (-inf and -inf, 0.2 and 0.2); all to a where b is -inf
    assert np.array_equal(ga, [0.5, 1.0, 3.0]) and np.array_equal(gb, [0.5, 1.0, 0.0])
    ga2, gb2 = sd.grad(rows2, wrt=(0, 1), target=target)(a, b)
    assert np.array_equal(ga2, [0.5, 0.5, 1.0]) and np.array_equal(gb2, [0.5, 0.5, 0.0])


def test_scalar_arguments_and_the_forward_mode():
    g = sd.grad(lambda x, y: np.logaddexp(x, y), wrt=(0, 1), target="python")(NEG, NEG)
    assert g == (0.5, 0.5)
    _, t = sd.jvp(chained, target="python")(np.array([NEG, NEG, 0.3]), np.array([1.0, 1.0, 1.0]))
    assert t == 1.0
