"""Stacks for pushes inside loops whose bounds are computed as the program runs
(``n = x.shape[0]`` in a time step, where ``x`` is re-bound; a count computed
from the step): no bound on the pushes is known before the time loop, but one
is right before the inner loop runs.  Their numbers go on a stack that starts
with ``STACK_START`` slots and grows before each run of that loop
(``StackTape.grows_before``), not in a list (a Lennard-Jones step whose force
helper reads ``N = x.shape[0]``: 3.97 -> 2.32 ms).  Each program pushes more
than the first allocation holds; gradients against finite differences on both
targets, and in a batch (whose stacks do not grow: lists).  A bound each trip
computes the same way (``nmax = int(1.0 / dt) + 2`` inside a ray loop) is
taken before the loop instead: stacks allocated whole."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.passes.tape import STACK_START
from tests.fdcheck import check_grad


def pair_energy(x):
    n = x.shape[0]
    e = 0.0
    for i in range(n):
        for j in range(n):
            if i != j:
                d = x[i] - x[j]
                r2 = d * d + 0.5
                e += 1.0 / (r2 * r2)
    return e


def relaxed_pairs(x0, rate, steps):
    """A helper reading ``n = x.shape[0]``, inlined in a step loop re-binding
    ``x``: the pair nest's bound is computed in each step."""
    x = x0.copy()
    total = 0.0
    for step in range(steps):
        total += pair_energy(x)
        x = x - rate * np.sin(x)
    return total + np.sum(x * x)


def growing_windows(a, c):
    """A window whose length the step computes (``m = 3 + step``): the
    inner nest's bound is a number assigned in the loop."""
    total = 0.0
    for step in range(a.shape[0] - 12):
        m = 3 + step % 10
        acc = 0.0
        for j in range(m):
            t = math.tanh(c * a[step + j])
            acc = acc * 0.9 + t * t
        total += acc
    return total


def two_runs(a, c, steps):
    """Pushes in two inner loops of one step whose length the step computes:
    a stack of each loop's own, grown before it."""
    x = a.copy()
    total = 0.0
    for step in range(steps):
        n = x.shape[0] - step % 5
        for i in range(n):
            u = math.sin(c * x[i])
            total += u * u
        for i in range(n):
            w = math.cos(x[i] + c)
            total += w * w
        x = x * 0.9 + 0.01 * c
    return total


CASES = [(relaxed_pairs, (np.linspace(-1.0, 1.0, 12), 0.05, 9), (0, 1)),
         (growing_windows, (np.linspace(0.0, 2.0, 400), 0.7), (0, 1)),
         (two_runs, (np.linspace(0.0, 1.0, 60), 0.3, 30), (0, 1))]
IDS = [c[0].__name__ for c in CASES]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=IDS)
def test_gradients(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


@pytest.mark.parametrize("f, args, wrt", CASES, ids=IDS)
def test_the_stack_grows_before_the_inner_loop(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert f"with room for {STACK_START} values, grown before each run of the loop" in plan
    # grown (re-bound) only where the run may not fit, right before the loop
    assert re.search(r"if \(?(_saved_\w+)_top \+ .*> \1\.shape\[0\]\)?:\n +\1 = room_for\("
                     r"\1, .*\n(?: +(?!for )[^\n]*\n){0,6} +for ", text), text


def test_each_loop_grows_its_own_stacks():
    text = sd.grad(two_runs, wrt=(0, 1), target="python").source_for(*CASES[2][1])
    grown = re.findall(r"(_saved_\w+) = room_for\(\1, \1_top \+ max\(n, 0\)\)", text)
    assert sorted(grown) == ["_saved_u", "_saved_w"], text


def test_in_a_batch_the_stacks_are_lists():
    # (a batch's element does not grow its tapes: the same gradient from lists)
    xs = np.stack([np.linspace(-1.0, 1.0, 8) * s for s in (1.0, 0.8, 1.3)])
    vg = sd.value_and_grad(relaxed_pairs, wrt=0, target="python", batch=(0, None, None))
    values, grads = vg(xs, 0.05, 4)
    ref = sd.value_and_grad(relaxed_pairs, wrt=0, target="python")
    for b in range(xs.shape[0]):
        v, g = ref(xs[b], 0.05, 4)
        assert values[b] == pytest.approx(v, rel=1e-12)
        np.testing.assert_allclose(grads[b], g, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_hessian_through_stacks_grown_before_a_loop(target):
    # (forward mode over the adjoint: the tangents' stacks grow alike; 1,400 pushes)
    a, c = np.linspace(0.0, 2.0, 200), 0.7
    H = sd.hessian(growing_windows, wrt=0, target=target)(a, c)
    g = sd.grad(growing_windows, wrt=0, target="cpu")
    h = 1e-6
    fd = np.empty((a.shape[0], a.shape[0]))
    for k in range(a.shape[0]):
        e = np.zeros_like(a)
        e[k] = h
        fd[:, k] = (g(a + e, c) - g(a - e, c)) / (2 * h)
    np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-7)


def march(c, origins, dt):
    """A bound each trip of the ray loop computes the same way (``nmax``, inside
    a branch): its value before the loop bounds the pushes, and the stacks are
    allocated whole (grown before each run they were 4x slower here: re-bound
    in the ray loop, the compiled inner loop ran slower than a list's)."""
    total = 0.0
    for ray in range(origins.shape[0]):
        t0 = origins[ray]
        T = 1.0
        if t0 < 0.9:
            nmax = int(1.0 / dt) + 2
            for k in range(nmax):
                t = t0 + (k + 0.5) * dt
                if t >= 1.0:
                    break
                alpha = 1.0 - math.exp(-c * t * dt)
                total += T * alpha * t
                T *= 1.0 - alpha
                if T < 0.05:
                    break
    return total


MARCH = (3.0, np.linspace(0.0, 1.0, 7), 0.01)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_bound_computed_alike_in_each_trip(target):
    check_grad(march, MARCH, wrt=0, target=target)
    text = sd.grad(march, wrt=0, target=target).source_for(*MARCH)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "room for max(origins.shape[0], 0) * max(int(1.0 / dt) + 2, 0) values" in plan, plan
    assert "room_for(" not in text and ".append(" not in text
