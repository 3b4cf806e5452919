"""``for ... else`` and ``while ... else`` (passes/normalize.py ``loop_else``): the
``else`` runs when the loop ends without a ``break`` of its own, as in Python
and Numba; gradients against central differences on both targets, with the
``break`` taken and not taken."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def search_else(x, a, limit):
    """A bonus added only when no element passes ``limit``."""
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > limit:
            break
        s += a * x[i] * x[i]
    else:
        s += 0.5 * a * s
    return s


def while_else(x, a):
    """Halve until small or until a step count; the else only after the test fails."""
    y = x * a
    k = 0
    while y > 0.1:
        y = 0.5 * y + 0.01 * a
        k += 1
        if k > 6:
            break
    else:
        y = y * y + a
    return y + k


def inner_else_breaks_outer(x, w):
    """An inner loop's ``else`` that leaves the outer loop: the outer ``else``
    does not run then."""
    total = 0.0
    for i in range(x.shape[0]):
        for j in range(i):
            if x[j] * w > 1.0:
                break
            total += x[j] * w
        else:
            if total > 2.0:
                break
            continue
        total += 0.1 * w
    else:
        total = total * total
    return total


def sequence_else(x, w):
    """``for v in x: ... else:``, a loop over an array's elements."""
    s = 0.0
    for v in x:
        if v < 0.0:
            break
        s += w * v
    else:
        s *= 2.0
    return s


X = np.linspace(0.1, 0.9, 6)
CASES = [
    ("for_no_break", search_else, (X, 1.3, 10.0), (0, 1)),
    ("for_break", search_else, (X, 1.3, 0.5), (0, 1)),
    ("while_test_fails", while_else, (0.8, 1.1), (0, 1)),
    ("while_break", while_else, (80.0, 1.1), (0, 1)),
    ("inner_else_no_outer_break", inner_else_breaks_outer, (X, 0.9), (0, 1)),
    ("inner_else_outer_break", inner_else_breaks_outer, (X * 4.0, 0.9), (0, 1)),
    ("sequence_no_break", sequence_else, (X, 0.7), (0, 1)),
    ("sequence_break", sequence_else, (X - 0.5, 0.7), (0, 1)),
]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("name, f, args, wrt", CASES, ids=[c[0] for c in CASES])
def test_loop_else_gradients(name, f, args, wrt, target):
    value = sd.value_and_grad(f, wrt=wrt, target=target)(*args)[0]
    assert value == pytest.approx(f(*args), rel=1e-12, abs=1e-15)
    check_grad(f, args, wrt=wrt, target=target)


def test_the_else_runs_only_without_a_break():
    # the two cases of each pair differ exactly by the else branch's effect
    a = 1.3
    no_break = sum(a * v * v for v in X)
    assert sd.value_and_grad(search_else, wrt=1, target="python")(X, a, 10.0)[0] == \
        pytest.approx(no_break * (1.0 + 0.5 * a))
    assert sd.value_and_grad(search_else, wrt=1, target="python")(X, a, 0.5)[0] == \
        pytest.approx(sum(a * v * v for v in X if v <= 0.5))
