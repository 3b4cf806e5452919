"""Stacks for pushes inside loops whose bounds are computed in an outer loop's
body: where each trip computes the bound the same way (``nmax = int(1.0 /
dt) + 2`` in a ray loop; ``n = x.shape[0]`` of an ``x`` a time step re-binds
to arrays of ``x0``'s length: the Lennard-Jones step of a new user, whose
``x`` is not updated in place), the bound is taken before the outer loop and
the stacks are allocated whole (passes/tape.py ``invariant_value``); where
each trip computes another (a window's length from the step), the values go
in lists.  Gradients against finite differences on both targets."""
from __future__ import annotations

import ast
import math

import numpy as np
import pytest

import sourcediff as sd
from sourcediff import ir
from sourcediff.passes.tape import invariant_value, longest_slice
from sourcediff.passes.types import array, scalar
from tests.core.slice_store_programs import rolled_back_tree
from tests.fdcheck import check_grad


def march(c, origins, dt):
    """A bound each trip of the ray loop computes the same way (``nmax``, inside
    a branch): its value before the loop bounds the pushes."""
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


def windows(a, c):
    """A window whose length each trip computes anew (``m = 3 + step % 10``)."""
    acc = 0.5
    total = 0.0
    for step in range(a.shape[0] - 12):
        m = 3 + step % 10
        for j in range(m):
            t = math.tanh(c * a[step + j])
            acc = acc * 0.9 + t * acc
        total += acc
    return total


MARCH = (3.0, np.linspace(0.0, 1.0, 7), 0.01)
WINDOWS = (np.linspace(0.0, 2.0, 60), 0.7)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_bound_computed_alike_in_each_trip(target):
    check_grad(march, MARCH, wrt=0, target=target)
    text = sd.grad(march, wrt=0, target=target).source_for(*MARCH)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "room for max(origins.shape[0], 0) * max(int(1.0 / dt) + 2, 0) values" in plan, plan
    assert "room_for(" not in text and ".append(" not in text


class _Site:
    def __init__(self, stmt):
        self.stmt = stmt


def _sites(code):
    stmts = ast.parse(code).body
    for st in stmts:
        ir.KIND.set(st, ir.Kind.ASSIGN)
    return {st.targets[0].id: [_Site(st)] for st in stmts}


def test_an_axis_of_an_array_keeping_a_parameters_length():
    # n = x.shape[0] in a step re-binding x, whose every value has x0's length
    sites = _sites("_t1 = x.shape\nn = _t1[0]")
    types = {"n": scalar(np.int64), "x": array(np.float64, 2)}
    lengths = {"x": ("x0.shape[0]", 3)}
    found = invariant_value("n", {"x", "_t1", "n"}, sites, types, lengths)
    assert ast.unparse(found) == "x0.shape[0]"
    assert invariant_value("n", {"x", "_t1", "n"}, sites, types, {"x": (None, 3)}) is None


def test_arithmetic_of_names_the_loop_does_not_set():
    sites = _sites("_t1 = 2.0 / dt\n_t2 = int(_t1)\nnmax = _t2 + k")
    types = {"nmax": scalar(np.int64), "_t2": scalar(np.int64), "_t1": scalar(np.float64)}
    found = invariant_value("nmax", {"_t1", "_t2", "nmax"}, sites, types, {})
    assert ast.unparse(found) == "int(2.0 / dt) + k"
    # (k set in the loop too: no value before it)
    assert invariant_value("nmax", {"_t1", "_t2", "nmax", "k"}, sites, types, {}) is None


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_bound_each_trip_computes_anew_keeps_lists(target):
    check_grad(windows, WINDOWS, wrt=(0, 1), target=target)
    text = sd.grad(windows, wrt=(0, 1), target=target).source_for(*WINDOWS)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "'acc' (carried from one iteration to the next; a list)" in plan, plan


def _chain(angles, L):
    """A helper looping over the length of the row it is given."""
    phi = 0.0
    x = 0.0
    y = 0.0
    for j in range(angles.shape[0]):
        phi += angles[j]
        x += L[j] * math.cos(phi)
        y += L[j] * math.sin(phi)
    return x, y


def arm_rows(theta, L, target):
    """A new user's planar arm: the helper on each row ``theta[b]``."""
    loss = 0.0
    for b in range(theta.shape[0]):
        x, y = _chain(theta[b], L)
        loss += (x - target[b, 0]) ** 2 + (y - target[b, 1]) ** 2
    return loss


def row_bound_outer(theta, w):
    """A row's length bounding a loop in a loop that is not fused (the slots
    span the outer loop too)."""
    h = 0.0
    for b in range(theta.shape[0]):
        row = theta[b]
        for j in range(row.shape[0]):
            h = math.tanh(h * w + row[j])
    return h * h


ARM = (np.random.default_rng(4).standard_normal((5, 4)) * 0.4,
       np.linspace(0.5, 1.2, 4), np.random.default_rng(5).standard_normal((5, 2)))
ROWS = (np.random.default_rng(6).standard_normal((4, 3)), 0.8)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", [(arm_rows, ARM, (0, 1)), (row_bound_outer, ROWS, (0, 1))])
def test_a_rows_length_bounds_a_loop_as_its_arrays_axis(f, args, wrt, target):
    # (range(angles.shape[0]) of angles = theta[b]: theta.shape[1] in every trip)
    check_grad(f, args, wrt=wrt, target=target)
    text = sd.grad(f, wrt=wrt, target=target).source_for(*args)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "in lists" not in plan and ".append(" not in text, plan
    assert "one slot per loop iteration in arrays allocated once" in plan, plan


def fill_then_factor(x, s2):
    """An array's elements overwritten by two loop nests (a symmetric fill, then an
    in-place Cholesky factorization): one stack for both, allocated before the first."""
    n = x.shape[0]
    K = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1):
            K[i, j] = math.exp(-(x[i] - x[j]) ** 2)
            K[j, i] = K[i, j]
        K[i, i] = K[i, i] + s2
    for i in range(n):
        for j in range(i):
            s = K[i, j]
            for k in range(j):
                s -= K[i, k] * K[j, k]
            K[i, j] = s / K[j, j]
        s = K[i, i]
        for k in range(i):
            s -= K[i, k] * K[i, k]
        K[i, i] = math.sqrt(s)
    t = 0.0
    for i in range(n):
        t += math.log(K[i, i]) + K[i, 0] * x[i]
    return t


FILL = (np.linspace(0.0, 2.0, 5), 0.3)


def _stacks_only(f, args, wrt, target) -> str:
    """The plan of ``f``'s gradient, checked against finite differences, after
    asserting it keeps no list."""
    check_grad(f, args, wrt=wrt, target=target)
    text = sd.grad(f, wrt=wrt, target=target).source_for(*args)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "in a list" not in plan and "in lists" not in plan and ".append(" not in text, plan
    return plan


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_one_stack_for_the_pushes_of_two_nests(target):
    plan = _stacks_only(fill_then_factor, FILL, (0, 1), target)
    assert "elements of 'K' before lines" in plan and "on the stack" in plan, plan


# (a binomial tree rolled back in place on shrinking slices: each level's element
# loops run ``slice_length(0, step + 1, ...)`` times, at most the array's length)
PUT = (100.0, 102.0, 0.95, 0.52, 7)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_slices_length_bounds_its_loop_by_the_arrays(target):
    plan = _stacks_only(rolled_back_tree, PUT, (0, 1, 2, 3), target)
    assert "elements of 'S' before line" in plan and "on the stack" in plan, plan


def test_the_longest_a_slices_length_can_be():
    sites = _sites("_n3 = shape[0]\n_n4 = slice_length(0, step + 1, _n3)\n"
                   "_n5 = slice_length(1, step + 2, x.shape[0])\n_n6 = equal_length(_n4, _n5)\n"
                   "_n7 = slice_length(0, step, m)")
    types = {k: scalar(np.int64) for k in ("_n3", "_n4", "_n5", "_n6", "_n7", "m")}
    varying = {"_n4", "_n5", "_n6", "_n7", "step", "m"}
    assert ast.unparse(longest_slice("_n4", varying, sites, types, {})) == "_n3"
    assert ast.unparse(longest_slice("_n6", varying, sites, types, {})) == "_n3"
    assert ast.unparse(longest_slice("_n5", varying, sites, types, {})) == "x.shape[0]"
    assert longest_slice("_n7", varying, sites, types, {}) is None     # (m changes)
    assert longest_slice("_n3", varying, sites, types, {}) is None     # (no slice)


def red_black(src, omega, n, sweeps):
    """Red-black over-relaxation: a row's sweep starts at 1 or 2 (``1 + (i + 1 +
    color) % 2``, at least 1) and steps by 2."""
    u = np.zeros((n, n))
    for s in range(sweeps):
        for color in range(2):
            for i in range(1, n - 1):
                for j in range(1 + (i + 1 + color) % 2, n - 1, 2):
                    gs = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1]
                                 + src[i, j])
                    u[i, j] = u[i, j] + omega * (gs - u[i, j])
    return np.sum(u * u)


RED_BLACK = (np.random.default_rng(7).standard_normal((6, 6)), 1.3, 6, 3)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_range_starting_at_a_remainder_counts_from_its_least(target):
    plan = _stacks_only(red_black, RED_BLACK, (0, 1), target)
    assert "((max(n - 2, 0) + 1) // 2) values" in plan, plan
