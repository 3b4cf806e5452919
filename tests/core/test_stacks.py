"""Stacks: numbers saved where no slot can be computed from the loop counters
(a triangular nest, a loop left by ``break``, a value carried through an
inner loop) go on an array with a top counter, sized by a bound on the pushes
computed before the loops (passes/tape.py); ``while`` loops keep lists.

Most checks run on the ``python`` target, where a push beyond the stack's
room raises IndexError: a bound that is too small cannot pass unnoticed.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def triangular(x, w):
    d = x.shape[0]
    a = x.copy()
    for j in range(d):
        for r in range(j + 1, d):
            a[r] += w * a[j] * a[r]
    return np.sum(a * a)


def lower_triangular_carried(x, w):
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        m = x[i]
        for j in range(i):             # bound moves with the outer counter (hi side)
            m = max(m, w * x[j] + m * 0.5)
        for j in range(2, i + 3):      # a sibling loop with the same counter
            s += m * x[i] / j
    return s


def three_deep(x, w):
    n = x.shape[0]
    a = x.copy()
    for i in range(n):
        for j in range(i, n):
            for k in range(j - 1, n, 2):
                a[k] = a[k] * w + 0.1 * a[i] * a[j]
    return np.sum(a * a)


def leave_at_threshold(x, limit):
    n = x.shape[0]
    total = 0.0
    out = 0.0
    for p in range(3):
        y = x[p]
        for t in range(n):
            y = y * 0.9 + x[t] * np.sin(y)
            if y > limit:
                break
        total = total * 0.5 + y
        out += total * y
    return out


def until_small(x, w):
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        v = x[i]
        while v > 1e-2:
            v = v * w + 0.001 * v * v
            s += math.sin(v)
    return s


def backward_induction(V0, p):
    """A binomial tree: the outer loop runs down, the inner bound follows it
    (lists: measured faster here than a stack sized by the bound)."""
    n = V0.shape[0] - 1
    V = V0.copy()
    for k in range(n - 1, -1, -1):
        for j in range(k + 1):
            V[k, j] = p * V[k + 1, j + 1] + (1.0 - p) * V[k + 1, j]
    return V[0, 0]


def down_by_two(V0, p):
    n = V0.shape[0] - 1
    V = V0.copy()
    s = 0.0
    for k in range(n - 1, -1, -2):
        for j in range(k, n):
            t = V[k + 1, j] * p
            s += t * t
            V[k, j] = t
    return s + V[0, n - 1]


PROGRAMS = [
    (triangular, (np.linspace(0.1, 0.9, 7), 0.3)),
    (lower_triangular_carried, (np.linspace(-0.8, 0.9, 6), 0.7)),
    (three_deep, (np.linspace(0.1, 0.7, 5), 0.9)),
    (leave_at_threshold, (np.linspace(0.1, 0.6, 6), 0.5)),
    (leave_at_threshold, (np.linspace(0.1, 0.6, 6), 50.0)),    # never left: every slot used
    (until_small, (np.array([0.5, 0.05, 0.9]), 0.6)),
    (backward_induction, (np.random.default_rng(1).random((7, 8)), 0.3)),
    (down_by_two, (np.random.default_rng(2).random((7, 7)), 0.7)),
]


@pytest.mark.parametrize("f, args", PROGRAMS, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args):
    check_grad(f, args, wrt=(0, 1), target="python")


def test_triangular_nest_on_cpu():
    """One Numba compile: the stack's pushes and pops compile and agree."""
    check_grad(triangular, (np.linspace(0.1, 0.9, 7), 0.3), wrt=(0, 1), target="cpu")


def _source(f, args):
    return sd.grad(f, wrt=(0, 1), target="python").source_for(*args)


@pytest.mark.parametrize("f, args, room", [
    (triangular, PROGRAMS[0][1], "max(d, 0) * max(d - 1, 0)"),
    (leave_at_threshold, PROGRAMS[3][1], "3 * max(n, 0)"),
])
def test_stack_allocated_before_the_loops_with_a_bound(f, args, room):
    source = _source(f, args)
    assert ".append(" not in source and ".pop()" not in source
    assert f"np.empty({room}," in source
    assert "on the stack" in source          # the plan says so


def test_a_while_loop_with_no_bound_grows_its_stacks():
    source = _source(until_small, PROGRAMS[5][1])
    assert ".append(" not in source and "= room_for(" in source and \
        "doubled when full (a while loop with no bound on its trips)" in source


def test_batched_element_takes_stacks_as_preallocated_tapes():
    """Kernel lowering (passes/kernel.py) sees a stack as an array tape: the
    driver passes it in, the allocation becomes a capacity check."""
    rng = np.random.default_rng(3)
    x, w = rng.uniform(0.1, 0.9, (3, 6)), np.array([0.3, 0.5, 0.2])
    vg = sd.value_and_grad(triangular, wrt=(0, 1), target="python", batch=True)
    _, (gx, gw) = vg(x, w)
    for b in range(3):
        _, (ex, ew) = sd.value_and_grad(triangular, wrt=(0, 1), target="python")(x[b], w[b])
        np.testing.assert_allclose(gx[b], ex, rtol=1e-12)
        np.testing.assert_allclose(gw[b], ew, rtol=1e-12)
    source = vg.source_for(x, w)
    assert "_saved_t2_top += 1" in source and "tape_overflow(" in source
    assert "np.empty(max(" not in source        # the driver allocates, once per chunk
