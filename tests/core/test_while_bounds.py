"""A while loop whose test keeps an int counter below a limit (``while k < n``,
``while err > tol and it < cap``) has a bound on its trips before it runs: the
values it saves go on stacks sized by that bound (passes/tape.py), not lists.
Gradients against central differences; the python target indexes its stacks
with NumPy's bounds checks, so a bound too small fails there; the forms without
a bound start their stacks at ``STACK_START`` and grow them where each trip
starts."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.core import while_bound_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(19)
X = rng.uniform(0.2, 0.9, 7)
NOISE = rng.normal(size=24)       # (noise_per_trip runs 18 trips at T = 1.5)
BOUNDED = [(P.survival, (rng.uniform(0.05, 0.3, 9), 0.03, 0.4), (0, 1)),
           (P.survival, (rng.uniform(0.05, 0.3, 9), 0.03, 1e-9), (0, 1)),   # no break
           (P.every_other, (X, 8), 0),
           (P.every_other, (X, 1), 0),                                        # no trip
           (P.restarted, (X, 3), 0),
           (P.tolerance_or_cap, (0.7, 0.3, 1e-12, 500), (0, 1)),
           (P.tolerance_or_cap, (0.7, 0.3, 1e-12, 4), (0, 1)),                  # the cap
           (P.noise_per_trip, (0.8, NOISE, 1.5), (0, 1)),
           (P.capped_by_a_break, (0.7, 0.3, 1e-12, 500), (0, 1)),
           (P.capped_by_a_break, (0.7, 0.3, 1e-12, 4), (0, 1)),                 # the cap
           (P.cap_checked_first, (0.7, 0.3, 1e-12, 5), (0, 1))]
UNBOUNDED = [(P.starts_anywhere, (X, 2), 0),
             (P.steps_back, (X * 3.0,), 0),
             (P.float_counter, (X,), 0),
             (P.noise_after_an_exit, (0.8, NOISE, 1.5), (0, 1))]


def _plan(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return text[text.index("# Plan:"):text.index("# -- ")]


# every case on python (NumPy checks each stack index); on cpu each function once
# (the other cases compile the same generated code for other arguments)
@pytest.mark.parametrize("k, target", [(k, "python") for k in range(len(BOUNDED))] +
                         [(k, "cpu") for k in (0, 2, 4, 5, 7, 8)])
def test_bounded_loops_match_finite_differences(k, target):
    f, args, wrt = BOUNDED[k]
    check_grad(f, args, wrt=wrt, target=target)


@pytest.mark.parametrize("f, args, wrt", BOUNDED[::2] + BOUNDED[5:6] + BOUNDED[7:8],
                         ids=lambda c: getattr(c, "__name__", ""))
def test_bounded_loops_save_on_stacks(f, args, wrt):
    plan = _plan(f, args, wrt)
    assert "on the stack" in plan and "in lists" not in plan, plan


@pytest.mark.parametrize("f, args, wrt", UNBOUNDED, ids=lambda c: getattr(c, "__name__", ""))
def test_loops_without_a_bound_grow_their_stacks(f, args, wrt):
    plan = _plan(f, args, wrt)
    # stored before each overwrite, or a snapshot of the carried state per iteration
    assert "doubled when full (a while loop with no bound on its trips)" in plan or \
        "on stacks allocated once" in plan, plan
    assert "in lists" not in plan and "a list)" not in plan, plan
    check_grad(f, args, wrt=wrt, target="python")


def test_the_bound_is_the_limit_less_the_lowest_start():
    """k from 1 while k <= n - 1 in steps of 2: ceil((n - 1) / 2) trips, exactly
    what ``every_other`` runs (its python run fills the stack); a counter set to 2
    before each inner loop: the array's length less 2 per outer iteration."""
    text = sd.grad(P.every_other, target="python").source_for(X, 8)
    # (n is no array's length: the stack starts at the bound, at most STACK_START,
    # and grows where a trip starts; tests/core/test_growing_stacks.py)
    assert "its bound, (max(n - 1, 0) + 1) // 2, counts every trip" in text
    text = sd.grad(P.restarted, target="python").source_for(X, 3)
    assert "room for max(sweeps, 0) * max(x.shape[0] - 2, 0) values" in text


def test_trips_bounded_by_the_reads_of_a_counter():
    """``noise[k]`` read in every trip, ``k += 1`` once per trip: stacks with room
    for ``noise.shape[0]`` values, where the values went on lists (a new user's
    adaptive SIRS, 3.7x the primal -> 2.2x; 2.0x as a ``for`` loop with a
    ``break``).  The python target indexes the stacks with NumPy's checks
    (test_bounded_loops_match_finite_differences)."""
    plan = _plan(*BOUNDED[7])
    assert "room for max(noise.shape[0], 0)" in plan, plan

