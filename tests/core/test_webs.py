"""A name reused by independent loops gets a name per loop (passes/webs.py).

Each program is checked against finite differences on both targets; the
generated code is checked to treat each loop on its own: the loop that could
recompute its temporaries does, although the same names are stored in another
loop, and a name whose value flows out of a loop keeps one name.
"""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad


def reused_in_two_loops(x, w):
    """``d`` in the first loop, and again in the time loop's inner loop."""
    n = x.shape[0]
    s = 0.0
    for i in range(n - 1):
        d = x[i + 1] - x[i]
        s += d * d * w
    u = x.copy()
    for t in range(3):
        for i in range(n - 1):
            d = u[i + 1] - u[i]
            u[i] = u[i] + 0.1 * math.sin(d) * w
    for i in range(n):
        s += u[i] * u[i]
    return s


def flows_out(x):
    """``d`` after the first loop is read: the loops stay one use of ``d``."""
    d = 0.0
    s = 0.0
    for i in range(x.shape[0]):
        d = x[i] * x[i]
        s += d
    for i in range(x.shape[0]):
        s += d * x[i]
        d = x[i]
    return s + d


def read_before_set(x):
    """The second loop reads ``p`` before setting it: a value carried across
    iterations, so it keeps the name."""
    p = 1.0
    for i in range(x.shape[0]):
        p = math.sin(x[i]) + p * 0.0
    s = 0.0
    for i in range(x.shape[0]):
        s += p * x[i]
        p = x[i] * 0.5
    return s


def under_a_branch(x, flag):
    """``d`` set in both branches before use: still a use of its own."""
    s = 0.0
    for i in range(x.shape[0]):
        d = x[i] * 2.0
        s += d
    for i in range(x.shape[0]):
        if flag > 0:
            d = math.cos(x[i])
        else:
            d = x[i] * x[i]
        s += d * d
    return s


X = np.array([0.3, -0.2, 0.5, 0.1, 0.7])


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("func, args, wrt", [
    (reused_in_two_loops, (X, 0.7), (0, 1)),
    (flows_out, (X,), 0),
    (read_before_set, (X,), 0),
    (under_a_branch, (X, 1.0), 0),
    (under_a_branch, (X, -1.0), 0),
], ids=["two-loops", "flows-out", "read-before-set", "branch+", "branch-"])
def test_gradient_matches_finite_differences(func, args, wrt, target):
    check_grad(func, args, wrt=wrt, target=target)


def _source(func, args, wrt):
    return sd.grad(func, wrt=wrt, target="python").source_for(*args)


def test_each_loop_gets_its_own_name():
    src = _source(reused_in_two_loops, (X, 0.7), (0, 1))
    assert "d_v2 = " in src
    # the first loop's d is recomputed, not stored; the time loop's d_v2 (read
    # from u, which that loop overwrites) is stored in an array allocated once
    assert "_saved_d =" not in src and "_saved_d_v2 = np.empty(" in src
    assert ".append(" not in src


def test_a_value_that_flows_out_keeps_its_name():
    assert "_v2" not in _source(flows_out, (X,), 0)
    assert "_v2" not in _source(read_before_set, (X,), 0)


def test_branches_defining_the_name_count_as_a_use_of_its_own():
    assert "d_v2" in _source(under_a_branch, (X, 1.0), 0)
