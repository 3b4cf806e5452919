"""While loops tested at the end of their body (``if c: while True: ...; if
not c: break``, passes/normalize.py): gradients against central differences,
the plan a Newton iteration gets, and the forms left with the test on top."""
from __future__ import annotations

import re

import numpy as np
import pytest

import sourcediff as sd
from tests.core import while_programs as P
from tests.fdcheck import case_id, check_grad

rng = np.random.default_rng(5)
CASES = [(P.newton_cells, (10.0 ** rng.uniform(0, 2, 4), rng.uniform(0.5, 1.5, 4), 3, 0.05),
          (0, 1)),
         (P.skips_with_continue, (rng.standard_normal(5), 7), 0),
         (P.skips_inside_a_branch, (rng.standard_normal(5), 7), 0),
         (P.never_runs_or_runs, (rng.standard_normal(5), 1), 0),
         (P.never_runs_or_runs, (rng.standard_normal(5), 7), 0)]
OSCILLATOR = (np.array([0.2, 0.3, 0.4, 1.2]), 0.5, 0.0, 0.05, 3.0)
CROSSINGS = (np.array([0.2, 1.0, 0.4, 1.2]), 0.5, 0.05, 40.0, 3)
AFTER = (np.array([0.3, 0.7]), 0.4, 6)
SKIPPING = (np.linspace(0.5, 2.0, 7), np.array([1.1, 1.4, 3.0, 2.1, 2.6, -1.0, 3.9]), 1.5,
            1.05, 3)
CARRIED = [(P.oscillator_until, OSCILLATOR, (0, 1, 2), "python"),
           (P.weighted_sums_skipping, SKIPPING, (0, 1, 2, 3), "python"),
           (P.weighted_sums_skipping, SKIPPING, (0, 1, 2, 3), "cpu"),
           (P.oscillator_crossings, CROSSINGS, (0, 1), "python"),
           (P.read_after_update, AFTER, (0, 1), "python")]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def test_a_newton_iteration_saves_its_iterate_and_recomputes_the_rest():
    f, args, wrt = CASES[0]
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "stored once per iteration of the while loop" in plan and "'z'" in plan
    assert "recomputed in each reverse iteration of the while loop" in plan


def test_a_step_given_a_default_before_the_loop_is_recomputed():
    """``delta = 1.0`` before the loop (read there by the first test only), ``delta
    = g / (...)`` in it: re-run from the iterate in each reverse trip, not a
    stack of every trip's value (passes/rerun.py ``_simple_assign``)."""
    f, args, wrt = CASES[0]
    plan = _plan(f, args, wrt)
    assert "'delta'" not in plan and "_saved_delta" not in \
        sd.grad(f, wrt=wrt, target="python").source_for(*args)


def test_the_test_moves_to_the_end_unless_the_body_continues():
    f, args, _ = CASES[0]
    primal = sd.grad(f, wrt=0, target="python").source_for(*args)
    primal = primal[:primal.index("_grad(")]
    body = primal.split("while (True):")[1]
    assert body.index("it += 1") < body.index("not _c")
    # (a ``continue`` ending a branch of the body is that branch, the rest the other)
    text = sd.grad(P.skips_with_continue, target="python").source_for(*CASES[1][1])
    body = text.split("while (True):")[1]
    assert body.index("k += 1") < body.index("k < m")
    text = sd.grad(P.skips_inside_a_branch, target="python").source_for(*CASES[2][1])
    body = text.split("while (True):")[1]
    assert body.index("k < m") < body.index("k += 1")


@pytest.mark.parametrize("f, args, wrt, target", CARRIED,
                         ids=case_id)
def test_carried_state_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def _plan(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return text[text.index("# Plan:"):text.index("# -- ")]


def test_state_read_by_the_test_after_its_update_is_carried():
    """``t += dt`` then the test ``t < tmax``: the snapshot of ``t`` at the start
    of each iteration suffices, the cosine of ``t`` is recomputed."""
    plan = _plan(P.oscillator_until, OSCILLATOR, (0, 1, 2))
    assert "'t', 'v', 'x' (carried" in plan, plan
    assert "before each overwrite" not in plan, plan


def test_state_updated_under_the_break_flag_is_carried():
    plan = _plan(P.oscillator_crossings, CROSSINGS, (0, 1))
    assert "'t', 'v', 'x' (carried" in plan, plan
    saved = next(line for line in plan.splitlines() if "before each overwrite" in line)
    assert "'x'" not in saved and "'t'" not in saved, plan


def test_a_value_read_after_its_update_by_an_adjoint_is_not_carried():
    plan = _plan(P.read_after_update, AFTER, (0, 1))
    assert "carried" not in plan, plan
    assert "'x'" in plan, plan


def test_sums_read_only_by_their_own_additions_are_not_carried():
    plan = _plan(P.weighted_sums_skipping, SKIPPING, (0, 1, 2, 3))
    assert "carried" not in plan, plan
    assert "stored once per iteration" not in plan, plan


def test_values_of_a_branch_are_recomputed_in_its_reverse():
    """The weight and the products under the ``continue`` (an ``if`` after
    lowering) are computed again at the start of the branch's reverse, from
    ``r`` (assigned before the ``if``, intact there) and the read-only ``x``,
    ``y``: no tape for them (rerun._branch_values)."""
    text = sd.grad(P.weighted_sums_skipping, wrt=(0, 1, 2, 3),
                   target="python").source_for(*SKIPPING)
    assert not re.search(r"_saved_(w|_?t\d+)\b", text), text
    reverse = text[text.index("-- reverse sweep"):]
    # (the rest of the body after ``if ...: continue`` runs under ``if not``: its test)
    branch = reverse[re.search(r"if \(?(not )?_c\d+\)?:", reverse).start():]
    assert re.search(r"w = _t\d+ \*\* 2", branch) and "= x[i]" in branch, branch
