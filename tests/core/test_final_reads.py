"""Elements read again in reverse instead of stored (passes/dependence.py).

A read ``A[e]`` whose element no later write can change is final: the
reverse sweep takes it from the array again, and when every read of ``A`` is
final, ``A``'s writes need no tape.  Each program is checked against finite
differences, and its plan is checked to store exactly when a later write can
change a value read (an outer loop that rewrites the row, a read of the next
element, an index that wraps around to the end of the array).
"""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad


def tree(S0, sigma, K, steps):          # backward induction: row k reads row k + 1
    u = math.exp(sigma)
    V = np.zeros((steps + 1, steps + 1))
    for j in range(steps + 1):
        V[steps, j] = max(K - S0 * u ** (2 * j - steps), 0.0)
    for k in range(steps - 1, -1, -1):
        for j in range(k + 1):
            hold = 0.5 * (V[k + 1, j + 1] + V[k + 1, j])
            exercise = K - S0 * u ** (2 * j - k)
            if exercise > hold:
                V[k, j] = exercise
            else:
                V[k, j] = hold
    return V[0, 0]


def tree_temporaries(S0, sigma, K, steps):   # the same, the row index in a temporary
    u = math.exp(sigma)
    V = np.zeros((steps + 1, steps + 1))
    for j in range(steps + 1):
        V[steps, j] = max(K - S0 * u ** (2 * j - steps), 0.0)
    for k in range(steps - 1, -1, -1):
        below = k + 1
        for j in range(k + 1):
            up = V[below, j + 1]
            down = V[below, j]
            hold = 0.5 * (up + down)
            exercise = K - S0 * u ** (2 * j - k)
            V[k, j] = max(exercise, hold)
    return V[0, 0]


def recurrence(x, c):                   # a[i] reads a[i - 1], written before
    n = x.shape[0]
    a = np.zeros(n)
    a[0] = x[0]
    for i in range(1, n):
        a[i] = math.sin(a[i - 1]) * c + x[i]
    s = 0.0
    for i in range(n):
        s += a[i] * a[i]
    return s


def wraps(x, c):                        # i = 0 reads a[-1]: the last element, written later
    n = x.shape[0]
    a = np.zeros(n)
    for i in range(n):
        a[i] = math.sin(a[i - 1]) * c + x[i]
    return a[0] * a[n - 1]


def next_element(x, c):                 # a[i] reads a[i + 1] before it is written
    n = x.shape[0]
    a = x.copy() * 1.0
    for i in range(n - 1):
        a[i] = math.sin(a[i + 1]) * c
    s = 0.0
    for i in range(n):
        s += a[i] * x[i]
    return s


def rewritten(x, c):                    # the outer loop writes every row again
    n = x.shape[0]
    a = np.zeros(n)
    a[0] = x[0]
    for t in range(3):
        for i in range(1, n):
            a[i] = math.sin(a[i - 1]) * c + x[i]
    return a[n - 1]


X = np.array([0.3, -0.2, 0.5, 0.9, -0.7])
CASES = [
    (tree, (95.0, 0.1, 100.0, 6), (0, 1), False),
    (tree_temporaries, (95.0, 0.1, 100.0, 6), (0, 1), False),
    (recurrence, (X, 0.8), (0, 1), False),
    (wraps, (X, 0.8), (0, 1), True),
    (next_element, (X, 0.8), (0, 1), True),
    (rewritten, (X, 0.8), (0, 1), True),
]


@pytest.mark.parametrize("f,args,wrt,stored", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_and_plan(f, args, wrt, stored):
    check_grad(f, args, wrt, "python")
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    # (costly values, exp or pow, go in slots per iteration either way)
    if not stored:
        assert "stored: elements of" not in plan
    assert ("that no later write changes" in plan) == (not stored)


def test_tree_compiled():
    check_grad(tree_temporaries, (95.0, 0.1, 100.0, 9), (0, 1), "cpu")


def rows_from_scratch(x, m):
    """``a[j] = v``: the reverse sweep reads only v's shape (to sum ``da[j]`` down
    to it), so v's elements need no tape (they were stored, in a list, because the
    row store's adjoint counted as a read of v's values)."""
    n = x.shape[0]
    a = np.zeros((m, n))
    for j in range(m):
        v = np.empty(n)
        for i in range(n):
            v[i] = x[i] * (j + 1.0)
        a[j] = v
    return np.sum(a * a)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_an_array_whose_shape_alone_is_read_in_reverse_is_not_stored(target):
    x = np.array([0.3, -0.5, 0.8])
    check_grad(rows_from_scratch, (x, 3), wrt=0, target=target)
    text = sd.value_and_grad(rows_from_scratch, target="python").source_for(x, 3)
    plan = [line for line in text.splitlines() if line.strip().startswith("#   ")]
    assert not any("'v'" in line and "stored" in line for line in plan), plan
    assert "_saved_v" not in text
    # nor is the loop filling v re-run in reverse (its own temporaries, read by its
    # reverse iterations, made it look needed), and the plan does not say it is
    reverse = [line.strip() for line in text[text.index("# -- reverse sweep"):].splitlines()
               if not line.strip().startswith("#")]
    assert not any(line.startswith("v[i] = ") for line in reverse), reverse
    assert not any("re-run" in line for line in plan), plan
