"""Re-running scratch-array nests in reverse instead of taping them
(passes/rerun.py): gradients against central differences, and the plan."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.core import rerun_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(11)
X = rng.standard_normal((4, 5))
M = rng.standard_normal((3, 5))
W = rng.standard_normal(3)

CASES = [
    (P.scratch_rows, (X, M, W), (1, 2)),
    (P.partly_written, (X, M[0]), (0, 1)),
    (P.read_between_writes, (X, M[0]), (0, 1)),
    (P.read_after_loop, (X, M[0]), (0, 1)),
    (P.counter_from_outside, (X, M[0]), (0, 1)),
]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt):
    check_grad(f, args, wrt=wrt, target="python")


def test_scratch_rows_on_cpu():
    check_grad(P.scratch_rows, (X, M, W), wrt=(1, 2), target="cpu")


def plan(f, args, wrt) -> str:
    source = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return source[source.index("# Plan:"):source.index("# -- ")]


def test_scratch_nests_are_rerun_not_stored():
    text = plan(P.scratch_rows, (X, M, W), (1, 2))
    assert "re-run at the start of each reverse iteration of the loop at line" in text
    assert "(writes 'diff', 'scaled')" in text
    assert "elements of 'diff'" not in text and "elements of 'scaled'" not in text
    source = sd.grad(P.scratch_rows, wrt=(1, 2), target="python").source_for(X, M, W)
    assert "_saved_diff" not in source and "_saved_scaled" not in source


@pytest.mark.parametrize("f", [P.partly_written, P.read_between_writes, P.read_after_loop,
                               P.counter_from_outside], ids=lambda f: f.__name__)
def test_near_misses_keep_their_tape(f):
    text = plan(f, (X, M[0]), (0, 1))
    assert "elements of 'buf'" in text
    assert "re-run" not in text
