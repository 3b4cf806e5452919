"""Stacks sized by a bound on a ``while`` loop's trips start small and double
when full (``StackTape.grows``, the ``grown`` helper): a tolerance loop's
cap, ``it < maxit`` with ``maxit = 10 ** 9`` "never reached", bounds the
pushes far above what runs, and a tape allocated for the bound did not fit in
memory (a MemoryError from inside the gradient, found by a new user).  Each
program pushes more than the first allocation holds, so the stack grows
several times; gradients against finite differences on both targets."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.passes.tape import STACK_START
from tests.fdcheck import check_grad


def fixed_point(a, tol, maxit):
    """Elements overwritten in a tolerance loop: a stack of numbers."""
    x = np.zeros(a.shape[0])
    err = 1.0
    it = 0
    while err > tol and it < maxit:
        err = 0.0
        for i in range(a.shape[0]):
            new = 0.5 * np.cos(x[i]) + a[i]
            err = max(err, abs(new - x[i]))
            x[i] = new
        it += 1
    return np.sum(x)


def slow_relaxation(c, maxit):
    """A number overwritten once per trip, about 2,700 trips."""
    x = 0.0
    step = 1.0
    it = 0
    while abs(step) > 1e-12 and it < maxit:
        new = x + 0.01 * (c * math.cos(x) - x)
        step = new - x
        x = new
        it += 1
    return x * x


def relaxed_rows(a, maxit):
    """A whole array overwritten once per trip: a stack of rows."""
    x = np.zeros(a.shape[0])
    it = 0
    err = 1.0
    while err > 1e-11 and it < maxit:
        old = x
        x = old + 0.01 * (np.cos(old) - old + a)
        err = np.max(np.abs(x - old))
        it += 1
    return np.sum(x * x)


NEVER = 10 ** 9
CASES = [(fixed_point, (np.linspace(0.0, 1.0, 40), 1e-10, NEVER), 0),
         (slow_relaxation, (0.8, NEVER), 0),
         (relaxed_rows, (np.linspace(0.1, 0.4, 5), NEVER), 0)]
IDS = [c[0].__name__ for c in CASES]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=IDS)
def test_a_loop_capped_far_above_its_trips(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


@pytest.mark.parametrize("f, args, wrt", CASES, ids=IDS)
def test_the_stack_starts_small_and_grows(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert f"with room for at most {STACK_START}" in plan and "doubled when full" in plan, plan
    assert "= room_for(" in text


def test_the_same_gradient_as_a_tight_cap():
    a = np.linspace(0.0, 1.0, 200)
    g = sd.value_and_grad(fixed_point, wrt=0)
    loose, tight = g(a, 1e-10, NEVER), g(a, 1e-10, 200)
    assert loose[0] == tight[0]
    np.testing.assert_array_equal(loose[1], tight[1])


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_hessian_through_a_growing_stack(target):
    # (forward mode over the adjoint: the tangents' tape grows with it)
    a = np.linspace(0.0, 1.0, 40)
    H = sd.hessian(fixed_point, wrt=0, target=target)(a, 1e-12, NEVER)
    g = sd.grad(fixed_point, wrt=0, target="python")
    h = 1e-6
    fd = np.empty((a.shape[0], a.shape[0]))
    for k in range(a.shape[0]):
        e = np.zeros_like(a)
        e[k] = h
        fd[:, k] = (g(a + e, 1e-12, NEVER) - g(a - e, 1e-12, NEVER)) / (2 * h)
    np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-7)


def capped_then_triangle(a, maxit):
    """In one statement, elements of ``x`` overwritten in a capped while loop,
    then in a triangular nest (3,240 times): one stack of its elements, not grown
    (the nest's pushes have no trip start to make room for them)."""
    x = a.copy()
    for rep in range(1):
        it = 0
        err = 1.0
        while err > 1e-9 and it < maxit:
            err = 0.0
            for i in range(x.shape[0]):
                new = 0.5 * math.cos(x[i]) + a[i]
                err = max(err, abs(new - x[i]))
                x[i] = new
            it += 1
        for k in range(x.shape[0]):
            for i in range(k, x.shape[0]):
                x[i] = 0.5 * math.sin(x[i]) + 0.01 * a[k]
    return np.sum(x * x)


MIXED = (np.linspace(0.1, 0.6, 80), 10 ** 5)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_pushes_outside_the_capped_loop_keep_a_whole_stack(target):
    check_grad(capped_then_triangle, MIXED, wrt=0, target=target)
    text = sd.grad(capped_then_triangle, wrt=0, target="python").source_for(*MIXED)
    assert "_saved_x_items = np.empty(max(" in text and "_saved_x_items = room_for(" not in text
    # (``x[i]`` read before ``x[i] = new``: from the top of the elements' stack, no
    # stack of its own; planner.numbers_peeked_from_stacks)
    assert "_t5 = _saved_x_items[_saved_x_items_top - 1]" in text and "_saved_t5" not in text


def trajectories(x0, mu):
    """A cap written as a number inside a loop over starts (``it < 100000``): the
    bound counts every start times the cap, far above the trips that run."""
    total = 0.0
    for m in range(x0.shape[0]):
        x = x0[m]
        it = 0
        while abs(x) > 1e-3 and it < 100000:
            x = x - mu * x * (1.0 + 0.1 * x * x)
            total += x * x
            it += 1
    return total


def small_cap(x0, mu):
    """A number cap no larger than a stack's first allocation: a whole stack."""
    total = 0.0
    for m in range(x0.shape[0]):
        x = x0[m]
        it = 0
        while abs(x) > 1e-3 and it < 50:
            x = x - mu * x * (1.0 + 0.1 * x * x)
            total += x * x
            it += 1
    return total


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_number_cap_inside_a_loop_grows_its_stacks(target):
    args = (np.linspace(0.5, 1.5, 7), 0.3)
    check_grad(trajectories, args, wrt=(0, 1), target=target)
    text = sd.grad(trajectories, wrt=(0, 1), target="python").source_for(*args)
    assert f"with room for at most {STACK_START}" in text and "doubled when full" in text
    # the stack is re-bound only when the next 1,024 trips (one push each) may not
    # fit, before they run (a name bound again in every trip counts references)
    assert re.search(r"if \(?(_saved_\w+)_top \+ 1024 > \1\.shape\[0\]\)?:\n +\1 = room_for\(",
                     text), text
    assert "for _trip in range(1024):" in text and "_top + 1 >" not in text
    small = sd.grad(small_cap, wrt=(0, 1), target="python").source_for(*args)
    assert "= room_for(" not in small and "doubled when full" not in small


def spring_chain(x0, v0, k, dt, T):
    """A spring chain stepped by velocity Verlet until the time ``T``: a ``while``
    loop with no bound on its trips (``t < T``), elements overwritten each step."""
    n = x0.shape[0]
    x, v = x0.copy(), v0.copy()
    t = 0.0
    while t < T:
        for i in range(n):
            f = -k * x[i]
            if i > 0:
                f += k * (x[i - 1] - x[i])
            v[i] = v[i] + 0.5 * dt * f
        for i in range(n):
            x[i] = x[i] + dt * v[i]
        for i in range(n):
            v[i] = v[i] * (1.0 - 0.01 * dt)
        t += dt
    return np.sum(x * x) + 0.5 * np.sum(v * v)


# 30 elements, 3 stores each, ~90 steps: about 8,000 pushes, the stacks grow 3 times
CHAIN = (np.linspace(0.0, 0.3, 30), np.zeros(30), 1.3, 0.05, 4.5)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_while_loop_with_no_bound_on_its_trips_grows_its_stacks(target):
    check_grad(spring_chain, CHAIN, wrt=(0, 1, 2), target=target)
    text = sd.grad(spring_chain, wrt=(0, 1, 2), target="python").source_for(*CHAIN)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert plan.count(f"with room for {STACK_START} values, doubled when full (a while "
                      "loop with no bound on its trips)") == 2, plan
    assert ".append(" not in text and "= room_for(" in text, text
    # (a trip pushes n values: room checked where each trip starts, for that many)
    assert "for _trip in" not in text


def test_in_a_batch_a_while_loop_with_no_bound_keeps_its_lists():
    # (a batch's element cannot grow a stack: its tapes are sized by the batch)
    X0 = np.stack([CHAIN[0] * s for s in (0.5, 1.0, 1.5)])
    vg = sd.value_and_grad(spring_chain, wrt=0, target="cpu", batch=(0, None, None, None, None))
    values, grads = vg(X0, *CHAIN[1:])
    for b in range(3):
        value, g = sd.value_and_grad(spring_chain, wrt=0, target="python")(X0[b], *CHAIN[1:])
        np.testing.assert_allclose(values[b], value, rtol=1e-12)
        np.testing.assert_allclose(grads[b], g, rtol=1e-10, atol=1e-14)


def many_trips(x, T):
    """A number carried through ~3,000 trips of a loop with no bound on them: its
    snapshot stack grows where each trip starts."""
    s = 0.0
    t = 0.0
    while t < T:
        s = s * x + 0.001 * math.sin(s + t)
        t += 0.001
    return s


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_carried_number_through_many_open_ended_trips(target):
    check_grad(many_trips, (0.9, 3.0), wrt=0, target=target)
    text = sd.grad(many_trips, wrt=0, target="python").source_for(0.9, 3.0)
    assert "_saved_s = room_for(" in text and ".append(" not in text, text


def march(field, w, n_cells, step):
    """A march through cells with ``continue`` and a ``break`` of its own besides
    the loop's test, over thousands of trips: run 1,024 trips at a time, each
    ``break`` leaving both loops."""
    pos = 0.1
    acc = 0.0
    k = 0
    while pos < n_cells:
        k += 1
        cell = int(pos)
        pos += step
        if cell % 3 == 1:
            continue
        acc += w * field[cell % field.shape[0]] * pos
        if acc > 1e6:
            break
    return acc * acc + k


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("n_cells", [3.0, 2500.0, 1e7], ids=["few", "thousands", "break"])
def test_trips_run_in_chunks_leave_where_the_loop_does(n_cells, target):
    field = np.linspace(0.5, 1.5, 17)
    step = 0.3 if n_cells < 1e7 else 1.0
    check_grad(march, (field, 1.1, n_cells, step), wrt=(0, 1), target=target)
    text = sd.grad(march, wrt=(0, 1), target="python").source_for(field, 1.1, n_cells, step)
    assert "for _trip in range(" in text and "_left = True" in text, text
