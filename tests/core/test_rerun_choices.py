"""An ``if``/``else`` that assigns the same scalars in both branches is re-run
in each reverse iteration, like a plain assignment (passes/rerun.py
``_choice_ok``): what it computes and what depends on it are recomputed
instead of stored.  Gradients against central differences on both targets,
the plan, and the forms that must keep their tapes."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.core.split_add_programs import upwinded_swap
from tests.fdcheck import check_grad


def lockdown(beta, cut, x, t0):
    """The rate switches when the clock passes t0 (SEIR-like)."""
    s = 0.2
    t = 0.0
    for k in range(x.shape[0]):
        if t > t0:
            b = beta * cut
        else:
            b = beta
        s += b * x[k] * s * (1.0 - s)
        t += 0.5
    return s


def clipped_steps(x, lo):
    """Two scalars chosen together, one from the other within a branch."""
    y = 0.0
    for k in range(x.shape[0]):
        if x[k] > lo:
            a = x[k] - lo
            g = a * a
        else:
            a = 0.0
            g = lo * x[k]
        y = 0.5 * y + g + a * y
    return y


def kept_from_before(x):
    """No else: b keeps the last iteration's value when the test fails."""
    b = 1.0
    s = 0.0
    for k in range(x.shape[0]):
        if x[k] > 0.5:
            b = x[k] * 2.0
        s += b * x[k] * s + x[k]
    return s


def read_before_chosen(x):
    """b is read before the if that sets it: the previous iteration's b."""
    b = 0.5
    s = 0.0
    for k in range(x.shape[0]):
        s += b * s + x[k]
        if x[k] > 0.5:
            b = x[k] * 2.0
        else:
            b = x[k]
    return s


def read_after_the_loop(x):
    s = 0.0
    for k in range(x.shape[0]):
        if x[k] > 0.5:
            b = x[k] * 2.0
        else:
            b = -x[k]
        s += b * s + x[k]
    return s + b * b


def limited_slopes(u0, nu, steps):
    """A minmod limiter written inline as ``if/elif/else`` with ``abs``, as a new
    user's advection scheme has it: the chain is re-run, not one tape per
    branch and a stack of tests (5.9x -> 3.5x its primal)."""
    n = u0.shape[0]
    u = u0.copy()
    for t in range(steps):
        unew = np.empty(n)
        for i in range(1, n - 1):
            a = u[i] - u[i - 1]
            b = u[i + 1] - u[i]
            if a * b <= 0.0:
                si = 0.0
            elif abs(a) < abs(b):
                si = a
            else:
                si = b
            unew[i] = u[i] - nu * (u[i] - u[i - 1]) - 0.5 * nu * (1.0 - nu) * si
        unew[0] = u[0]
        unew[n - 1] = u[n - 1]
        u = unew
    return np.sum(u * u)


def upwinded_squared(u0, nu, steps):
    """Burgers' upwinding (``split_add_programs.upwinded_swap``), but the update
    squares the branch's value: the reverse reads it."""
    n = u0.shape[0]
    u = u0.copy()
    un = np.empty(n)
    for t in range(steps):
        un[0] = u[0]
        un[n - 1] = u[n - 1]
        for i in range(1, n - 1):
            if u[i] > 0.0:
                adv = u[i] * (u[i] - u[i - 1])
            else:
                adv = u[i] * (u[i + 1] - u[i])
            un[i] = u[i] + nu * (u[i + 1] - 2.0 * u[i] + u[i - 1]) - 0.1 * adv * adv
        u, un = un, u
    return np.sum(u * u)


def elif_without_else(x, lo):
    """The last ``elif`` has no ``else``: s keeps the last value, taped."""
    s = 0.0
    y = 0.0
    for k in range(x.shape[0]):
        if x[k] > lo:
            s = x[k]
        elif x[k] < 0.2:
            s = 2.0 * x[k]
        y += s * x[k] + y * s
    return y


rng = np.random.default_rng(3)
X = rng.uniform(0.05, 0.95, 9)
CASES = [(lockdown, (0.8, 0.4, X, 1.7), (0, 1, 2)),
         (clipped_steps, (X, 0.45), (0, 1)),
         (kept_from_before, (X,), 0),
         (read_before_chosen, (X,), 0),
         (read_after_the_loop, (X,), 0),
         (limited_slopes, (np.sin(np.linspace(0.0, 3.0, 9)) + 0.1 * X, 0.4, 3), (0, 1)),
         (elif_without_else, (X, 0.6), (0, 1)),
         (upwinded_swap, (np.sin(np.linspace(0.0, 6.0, 9)), 0.2, 0.1, 3), (0, 1)),
         (upwinded_squared, (np.sin(np.linspace(0.0, 6.0, 9)), 0.2, 3), (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_matches_finite_differences(f, args, wrt, target):
    # (value_and_grad's value: on the python target; one compile less on cpu)
    check_grad(f, args, wrt=wrt, target=target, check_value=target == "python")


def _plan(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return text[text.index("# Plan:"):text.index("# -- ")], text


def test_a_choice_is_recomputed_not_stored():
    plan, text = _plan(*CASES[0])
    assert "'b'" not in plan and "_saved_b" not in text
    assert "temporar" not in plan.split("recomputed")[0]     # b * x[k] not stored either
    plan, text = _plan(*CASES[1])
    assert "_saved_a" not in text and "_saved_g" not in text


@pytest.mark.parametrize("f, args, wrt", CASES[2:4], ids=["no else", "read before"])
def test_a_choice_that_carries_a_value_keeps_its_tape(f, args, wrt):
    _, text = _plan(f, args, wrt)
    assert "_saved_b" in text


def test_an_if_elif_else_chain_is_recomputed_not_stored():
    plan, text = _plan(*CASES[5])
    assert "'si'" not in plan and "_saved_si" not in text and "_saved_c" not in text


def test_an_elif_without_else_keeps_its_tape():
    _, text = _plan(*CASES[6])
    assert "_saved_s" in text


def reverse_sweep(text):
    return text[text.rindex("# -- reverse sweep"):]


def test_a_choice_read_only_through_its_branches_is_recomputed_in_them():
    plan, text = _plan(*CASES[7])
    assert "recomputed where the reverse of their branch starts" in plan
    assert "_saved_adv" not in text and "_saved_t" not in text
    # the reverse takes the branch once: the test's two ifs are the upwinding's
    # reverse, which recomputes each branch's own factors (u[i - 1] or u[i + 1])
    rev = reverse_sweep(text)
    branch, other = rev.split("if _c")[1].split("else:")[:2]
    assert rev.count("if _c") == 1
    assert "u[i - 1]" in branch and "u[i + 1]" in other.split("# f:")[0] + other


def test_a_choice_whose_value_the_reverse_reads_is_recomputed_whole():
    plan, text = _plan(*CASES[8])
    assert "recomputed where the reverse of their branch starts" not in plan
    assert "_saved_adv" not in text
    assert reverse_sweep(text).count("if _c") == 2     # re-run, then reversed
