"""The adjoint of an array made by ``np.empty`` / ``np.empty_like`` and filled
by element stores needs no reset where the array is made: the reverse of
each store zeroes the element's adjoint after the reverse of its reads
(passes/fresh_arrays.py ``stored_before_read``).  An ``np.zeros`` array read
where nothing stored keeps its reset; both against central differences.  An
element of an adjoint zeroed and then added to at the same index in the same
loop body is set instead (passes/first_adds.py: ``dy[j] = e``, not ``dy[j] =
0.0`` then ``dy[j] += e``)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def smoothed(x, w, steps):
    y = x.copy()
    for t in range(steps):
        z = np.empty_like(y)
        for i in range(y.shape[0]):
            z[i] = w * y[i] + (1.0 - w) * math.sin(y[i])
        y = np.tanh(z) + 0.1 * y
    return np.sum(y * y)


def zeros_partly_filled(x, w, steps):
    """``z[0]`` keeps the zero of ``np.zeros_like`` and is read."""
    y = x.copy()
    for t in range(steps):
        z = np.zeros_like(y)
        for i in range(1, y.shape[0]):
            z[i] = w * y[i] + (1.0 - w) * math.sin(y[i - 1])
        y = np.tanh(z) + 0.1 * y
    return np.sum(y * y)


def log_forward(logB, logpi, A, obs):
    """An HMM's forward recursion in log space (a vector a step)."""
    la = logpi + logB[:, obs[0]]
    for t in range(1, obs.shape[0]):
        m = np.max(la)
        p = np.exp(la - m)
        la = np.log(np.dot(p, A)) + m + logB[:, obs[t]]
    m = np.max(la)
    return m + math.log(np.sum(np.exp(la - m)))


rng = np.random.default_rng(12)
X = rng.uniform(-1.0, 1.0, 6)
A = rng.uniform(0.1, 1.0, (3, 3))
A /= A.sum(1, keepdims=True)
HMM = (np.log(rng.uniform(0.1, 1.0, (3, 4))), np.log(np.full(3, 1.0 / 3.0)), A,
       np.array([0, 2, 1, 3, 3, 0]))
CASES = [(smoothed, (X, 0.7, 3), (0, 1)), (zeros_partly_filled, (X, 0.7, 3), (0, 1)),
         (log_forward, HMM, (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def _reverse(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return text[text.index("# -- reverse sweep"):]


def test_an_empty_array_filled_by_a_loop_has_no_reset():
    assert "dz[:] = 0.0" not in _reverse(*CASES[0])


def test_a_zeros_array_read_where_unstored_keeps_its_reset():
    rev = _reverse(*CASES[1])
    assert "dz[:] = 0.0" in rev or "dz = np.zeros_like(" in rev


def test_an_element_zeroed_then_added_to_is_set():
    rev = _reverse(*CASES[0])
    loop = rev[rev.index("for j in range("):rev.index("for i in range(")]
    assert "dy[j] = 0.0" not in loop and "dy[j] += " not in loop and "dy[j] = dy_j" in loop
