"""First writes into an ``np.empty`` array store nothing (passes/fresh_arrays.py),
and a consumed view of an array makes its writes taped only when the reverse
sweep reads the view's values (passes/planner.py ``alias_pairs``). Each program
against central differences on both targets; the plans store exactly what a
later write can change."""
from __future__ import annotations

import math

import numpy as np
import pytest

import sourcediff as sd
from tests.core import stage_programs as S
from tests.fdcheck import check_grad


def stage_scratch(y0, steps):
    """A scratch array made in each step, filled in two branches, read by a
    non-linear step: its uninitialised elements were stored before each write."""
    n = y0.shape[0]
    y = y0.copy()
    for t in range(steps):
        ytmp = np.empty(n)
        for i in range(n):
            if i % 2 == 0:
                ytmp[i] = y[i] + 0.1 * math.sin(y[i - 1])
            else:
                ytmp[i] = y[i] * 0.9
        for i in range(n):
            y[i] = y[i] + 0.05 * math.cos(ytmp[i]) * ytmp[i]
    return np.sum(y * y)


def zeros_read_before_written(y0, steps):
    """An ``np.zeros`` array read before its write (its zero is part of the
    value).  The reverse reads the values it stored for ``w[i - 1]``, and puts
    back no element of ``w``: after the puts-back the step's ``w`` is bound
    again before anything reads it (restore_loops.unread_puts_back)."""
    n = y0.shape[0]
    y = y0.copy()
    for t in range(steps):
        w = np.zeros(n)
        for i in range(n):
            w[i] = math.sin(y[i] + w[i - 1] * w[i - 1])
        for i in range(n):
            y[i] = y[i] + 0.1 * w[i] * w[i]
    return np.sum(y)


def written_twice(y0, steps):
    """The second write of an element overwrites a value that is read (the pass
    does not take it; the planner keeps the value read instead)."""
    n = y0.shape[0]
    y = y0.copy()
    for t in range(steps):
        w = np.empty(n)
        for i in range(n):
            w[i] = math.sin(y[i])
            w[i] = w[i] * w[i] + y[i]
        for i in range(n):
            y[i] = 0.5 * y[i] + 0.2 * math.tanh(w[i])
    return np.sum(y * y)


def filled_in_inner_loop(y0, steps):
    """The filling loop runs inside another loop of the step (each element written
    twice per array).  The second write's reverse would put back the first's
    value, which nothing reads: not stored."""
    n = y0.shape[0]
    y = y0.copy()
    for t in range(steps):
        w = np.empty(n)
        for j in range(2):
            for i in range(n):
                w[i] = math.sin(y[i] * (j + 1.0)) * y[(i + j) % n]
        for i in range(n):
            y[i] = y[i] + 0.1 * w[i] * w[i]
    return np.sum(y * y)


def view_read_in_reverse(x):
    """A view consumed by a non-linear read before its array is written: the
    reverse sweep reads it, so the write is undone first."""
    y = x * 1.0
    v = y[1:3]
    s = np.sum(np.sin(v) * v)
    y[1] = 3.0 * x[0]
    return s + np.sum(y * y)


Y0 = np.array([0.4, -0.3, 0.8, 0.1, -0.6])
CASES = [(stage_scratch, (Y0, 3)), (zeros_read_before_written, (Y0, 3)),
         (written_twice, (Y0, 3)), (filled_in_inner_loop, (Y0, 3)),
         (view_read_in_reverse, (Y0,))]


# every program on the python target; compiled, the one whose stores are dropped
@pytest.mark.parametrize("f, args, target", [(f, a, "python") for f, a in CASES] +
                         [(stage_scratch, (Y0, 3), "cpu")],
                         ids=lambda c: getattr(c, "__name__", c if isinstance(c, str) else ""))
def test_gradient_matches_finite_differences(f, args, target):
    check_grad(f, args, wrt=0, target=target)


def _plan(f, args, wrt=0):
    text = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    return [line for line in text.splitlines() if line.strip().startswith("#   ")]


@pytest.mark.usefixtures("put_back")
@pytest.mark.parametrize("f, array, stored", [
    (stage_scratch, "ytmp", False), (zeros_read_before_written, "w", False),
    (filled_in_inner_loop, "w", False), (written_twice, "y", True)],
    ids=lambda c: getattr(c, "__name__", str(c)))
def test_first_writes_of_an_empty_array_store_nothing(f, array, stored):
    plan = _plan(f, (Y0, 3))
    assert any(f"stored: elements of '{array}'" in line for line in plan) == stored, plan


def test_a_consumed_view_whose_values_are_not_read_keeps_no_tape():
    """RK4 with its stages in the rows of ``k``, each filled through a copy of the
    row (a consumed view of ``k``): the reverse sweep never reads ``k``'s values,
    so its rows were stored in a list for nothing."""
    plan = _plan(S.rk4_stage_rows, (Y0, Y0 + 2.0, 3, 0.05), (0, 1))
    assert not any("elements of 'k'" in line for line in plan), plan
    assert not any("elements of 'ytmp'" in line for line in plan), plan


def test_a_consumed_view_read_in_reverse_keeps_its_array_stored():
    plan = _plan(view_read_in_reverse, (Y0,))
    assert any("stored: elements of 'y'" in line for line in plan), plan


def written_through_former_alias(x):
    """``b`` keeps the array ``a`` named before ``a`` was bound to a product; the
    reverse sweep reads that old value (the adjoint of ``a * x``), so the write
    through ``b`` is undone first (the gradient was [3, 4] against [6, 4])."""
    a = x.copy()
    b = a
    a = a * x
    b[0] = 0.0
    return np.sum(a)


@pytest.mark.parametrize("target", ["python"])
def test_a_write_through_the_other_name_of_a_rebound_array_is_undone(target):
    x = np.array([3.0, 2.0])
    value, g = sd.value_and_grad(written_through_former_alias, target=target)(x)
    assert value == 13.0
    np.testing.assert_allclose(g, [6.0, 4.0], rtol=1e-15)
    check_grad(written_through_former_alias, (np.array([0.3, -0.7, 1.2]),), target=target)
