"""While loops tested at the end of their body (``if c: while True: ...; if
not c: break``, passes/normalize.py): gradients against central differences,
the plan a Newton iteration gets, and the forms left with the test on top."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.core import while_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(5)
CASES = [(P.newton_cells, (10.0 ** rng.uniform(0, 2, 4), rng.uniform(0.5, 1.5, 4), 3, 0.05),
          (0, 1)),
         (P.skips_with_continue, (rng.standard_normal(5), 7), 0),
         (P.never_runs_or_runs, (rng.standard_normal(5), 1), 0),
         (P.never_runs_or_runs, (rng.standard_normal(5), 7), 0)]


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


def test_the_test_moves_to_the_end_unless_the_body_continues():
    f, args, _ = CASES[0]
    primal = sd.grad(f, wrt=0, target="python").source_for(*args)
    primal = primal[:primal.index("_grad(")]
    body = primal.split("while (True):")[1]
    assert body.index("it += 1") < body.index("if (not _c")
    text = sd.grad(P.skips_with_continue, target="python").source_for(*CASES[1][1])
    body = text.split("while (True):")[1]
    assert body.index("k < m") < body.index("k += 1")
