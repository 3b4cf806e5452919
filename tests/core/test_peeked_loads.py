"""A number loaded from an element that the same iteration then overwrites, in
a loop whose saves go on stacks, is read in reverse from the top of the
element's stack where the reverse iteration starts, not pushed on a stack of
its own (passes/planner.py ``numbers_peeked_from_stacks``): the same values
were stored twice.  An element read at another offset of the loop index than
the iteration's later writes (``V[i + 1]`` before ``V[i] = ...``) is read
again in reverse (passes/rerun.py ``_unwritten_after``).  Gradients against
central differences on both targets; the plans."""
from __future__ import annotations

import math

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def cg_loops(A, b, tol, maxit):
    """Conjugate gradients to a tolerance, the updates written as element loops:
    ``pj = p[j]`` before ``p[j] = r[j] + beta * pj``."""
    n = b.shape[0]
    x = np.zeros(n)
    r = b.copy()
    p = b.copy()
    rr = np.dot(r, r)
    k = 0
    while k < maxit and math.sqrt(rr) > tol:
        Ap = A @ p
        alpha = rr / np.dot(p, Ap)
        for j in range(n):
            x[j] = x[j] + alpha * p[j]
            r[j] = r[j] - alpha * Ap[j]
        rr_new = np.dot(r, r)
        beta = rr_new / rr
        for j in range(n):
            pj = p[j]
            p[j] = r[j] + beta * pj
        rr = rr_new
        k += 1
    return np.dot(x, x)


def tree(S0, K, d, p, n):
    """A binomial tree rolled back in place on a triangle of loops."""
    S = np.empty(n + 1)
    for i in range(n + 1):
        S[i] = S0 * d ** (2 * i - n)
    V = np.maximum(K - S, 0.0)
    for step in range(n - 1, -1, -1):
        for i in range(step + 1):
            S[i] = S[i] * d
            V[i] = max(p * V[i] + (1.0 - p) * V[i + 1], K - S[i])
    return V[0]


def twice(x, c, n):
    """The element overwritten twice in the iteration: the second save is the
    top of the stack where the reverse iteration starts, not the first."""
    y = x.copy()
    for t in range(n):
        for j in range(t % 2, y.shape[0]):
            v = y[j]
            y[j] = math.sin(c * v)
            y[j] = y[j] * v + 0.1
    return np.sum(y * y)


def shifted(x, c, n):
    """``y[i + 1]`` read, then written later in the same iteration: stored."""
    y = x.copy()
    for t in range(n):
        for i in range(y.shape[0] - 1):
            a = y[i + 1]
            y[i] = y[i] * c + a
            y[i + 1] = math.sin(a) + y[i]
    return np.sum(y * y)


rng = np.random.default_rng(8)
M = rng.normal(size=(5, 5))
CASES = [(cg_loops, (M @ M.T + 5 * np.eye(5), rng.normal(size=5), 1e-12, 4), (0, 1)),
         (tree, (100.0, 102.0, 0.95, 0.52, 6), (0, 1, 2, 3)),
         (twice, (rng.normal(size=4), 0.7, 3), (0, 1)),
         (shifted, (rng.normal(size=5), 0.8, 3), (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES)
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def _plan(f, args, wrt):
    text = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    return text, text[text.index("# Plan:"):text.index("# -- ")]


@pytest.mark.parametrize("k, name", [(0, "pj"), (1, None)])
def test_a_load_before_its_elements_overwrite_is_read_from_the_elements_stack(k, name):
    text, plan = _plan(*CASES[k])
    assert "loaded where the reverse iteration starts from the elements saved" in plan, plan
    if name is not None:
        assert f"_saved_{name}" not in text and f"{name} = _saved_p_items[_saved_p_items_top - 1]" \
            in text, text


def test_an_element_saved_again_later_in_the_iteration_keeps_the_numbers_stack():
    text, plan = _plan(*CASES[2])
    assert "stored before each overwrite: 'v' (line" in plan and "_saved_v[" in text, plan


def test_an_element_at_another_offset_is_read_again_in_reverse():
    _, plan = _plan(*CASES[1])
    assert "elements of 'V' before line" in plan and "stored before each overwrite" not in plan, \
        plan
    _, plan = _plan(*CASES[3])
    stored = [line for line in plan.splitlines() if "'a' (line" in line]
    assert stored and "stored where computed" in stored[0], plan


def test_a_spans_read_and_store_in_one_loop_index_one_element():
    # (``S[:step + 1] = S[:step + 1] * d``: the element loop reads and stores
    # ``S[j + first]`` by one name, passes/lower.py ``_first_bound``, so the load
    # is read from the elements' stack too)
    from tests.core.slice_store_programs import rolled_back_tree
    args = (100.0, 102.0, 0.95, 0.52, 6)
    check_grad(rolled_back_tree, args, wrt=(0, 1, 2, 3), target="python")
    text, plan = _plan(rolled_back_tree, args, (0, 1, 2, 3))
    assert "loaded where the reverse iteration starts from the elements saved" in plan, plan
    assert "_saved_S_items[_saved_S_items_top - 1]" in text, text


def test_the_tree_on_slices_stores_what_its_element_loops_store():
    # (spans from constant starts, ``V[:step + 1]`` and ``V[1:step + 2]``, are read
    # at ``j`` and ``j + 1`` in their element loop, passes/lower.py ``_hoisted``: the
    # offsets the planner compares, so ``V[j]``'s load is read from V's elements'
    # stack and ``V[j + 1]`` read again from V put back, as in the element-loop form)
    from tests.core.slice_store_programs import rolled_back_tree
    args = (100.0, 102.0, 0.95, 0.52, 6)
    plans = [_plan(f, args, (0, 1, 2, 3))[1] for f in (tree, rolled_back_tree)]
    stores = [[line.split(" before line")[0] for line in plan.splitlines()
               if "stored: " in line] for plan in plans]
    assert stores[0] == stores[1] and len(stores[0]) == 3, stores
    assert not any("stored before each overwrite" in plan for plan in plans), plans
    text = _plan(rolled_back_tree, args, (0, 1, 2, 3))[0]
    assert "V[_j2 + 1]" in text and "slice_start" not in text, text
