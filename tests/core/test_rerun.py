"""Re-running scratch-array nests in reverse instead of taping them
(passes/rerun.py): gradients against central differences, and the plan."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import sourcediff as sd
from tests.core import rerun_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(11)
X = rng.standard_normal((4, 5))
M = rng.standard_normal((3, 5))
W = rng.standard_normal(3)
U = 0.5 + 0.3 * np.sin(np.linspace(0.0, 2 * np.pi, 7, endpoint=False)) \
    + 0.05 * rng.standard_normal(7)
LATE = (U, 0.7, 4)

CASES = [
    (P.scratch_rows, (X, M, W), (1, 2)),
    (P.partly_written, (X, M[0]), (0, 1)),
    (P.read_between_writes, (X, M[0]), (0, 1)),
    (P.read_after_loop, (X, M[0]), (0, 1)),
    (P.counter_from_outside, (X, M[0]), (0, 1)),
    (P.late_scratch, LATE, (0, 1)),
    (P.late_input_changed, LATE, (0, 1)),
]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt):
    check_grad(f, args, wrt=wrt, target="python")


def test_scratch_rows_on_cpu():
    check_grad(P.scratch_rows, (X, M, W), wrt=(1, 2), target="cpu")


def plan(f, args, wrt) -> str:
    """The plan of ``f``'s gradient (not of its helpers' VJPs)."""
    source = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    source = source[source.index(f"def {f.__name__}_grad("):]
    return source[source.index("# Plan:"):source.index("# -- ")]


def test_scratch_nests_are_rerun_not_stored():
    text = plan(P.scratch_rows, (X, M, W), (1, 2))
    assert "re-run at the start of each reverse iteration of the loop at line" in text
    assert "(writes 'diff', 'scaled')" in text
    assert "elements of 'diff'" not in text and "elements of 'scaled'" not in text
    source = sd.grad(P.scratch_rows, wrt=(1, 2), target="python").source_for(X, M, W)
    assert "_saved_diff" not in source and "_saved_scaled" not in source


@pytest.mark.usefixtures("put_back")
@pytest.mark.parametrize("f", [P.partly_written, P.read_between_writes, P.read_after_loop,
                               P.counter_from_outside], ids=lambda f: f.__name__)
def test_near_misses_keep_their_tape(f):
    text = plan(f, (X, M[0]), (0, 1))
    assert "elements of 'buf'" in text
    assert "re-run" not in text


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_late_rerun_gradient(target):
    check_grad(P.late_scratch, LATE, wrt=(0, 1), target=target)


def test_scratch_read_after_the_state_update_is_rerun_late():
    """Burgers' shape: the slopes need ``u`` as it was before the update later
    in the step; they are re-run once its reverse has restored ``u``."""
    text = plan(P.late_scratch, LATE, (0, 1))
    assert "elements of 'slope'" not in text and "elements of 'u'" in text
    lines, first = inspect.getsourcelines(P.late_scratch)
    step = first + next(k for k, ln in enumerate(lines) if "for t in range" in ln)
    assert (f"re-run in each reverse iteration of the loop at line {step}, just before the "
            f"reverse of the loop at line {step + 3} (once the statements after it have "
            f"restored what it reads): the loop at line {step + 1} (writes 'slope')") in text
    source = sd.grad(P.late_scratch, wrt=(0, 1), target="python").source_for(*LATE)
    reverse = source[source.index("for t in range(steps - 1, -1, -1):"):]
    # the update's reverse (restoring u) comes first, then the re-run, then the flux loop's
    assert reverse.index("u[i] = _saved_u") < reverse.index("slope[i] = _t") \
        < reverse.index("dflux[i] = 0.0")


@pytest.mark.usefixtures("put_back")
def test_scratch_whose_input_changes_before_its_reader_keeps_its_tape():
    text = plan(P.late_input_changed, LATE, (0, 1))
    assert "elements of 'g'" in text and "re-run" not in text
