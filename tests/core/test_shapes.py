"""Arrays read in reverse for their shape only keep no tape when their shape
cannot change (passes/shapes.py); gradients against central differences."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.core import shape_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(5)
REC = (0.3 * rng.standard_normal((4, 3)), 0.3 * rng.standard_normal((4, 4)),
       0.1 * rng.standard_normal(4), rng.standard_normal((5, 3)))
GROW = (rng.standard_normal(6), 0.7)
BROADCAST = (np.array([0.4]), rng.standard_normal(3))

CASES = [(P.recurrent, REC, (0, 1, 2)), (P.growing_slice, GROW, (0, 1)),
         (P.broadcast_grows, BROADCAST, (0, 1)), (P.recurrent_transposed, REC, (0, 1, 2)),
         (P.copied_rows, (REC[2][:3], REC[3]), (0, 1)),
         (P.made_of_a_length, (rng.standard_normal(5), 0.7, 4), (0, 1)),
         (P.made_of_len, (rng.standard_normal(5), 0.7, 4), (0, 1)),
         (P.intervals_and_points, (rng.standard_normal(7), 0.2, 5), (0, 1)),
         (P.cut_then_grown, (rng.standard_normal(6), 0.3, 4), (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def plan(f, args, wrt) -> str:
    source = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return source[source.index("# Plan:"):source.index("# -- ")]


@pytest.mark.parametrize("case", [0, 3])
def test_fixed_shape_temporaries_keep_no_tape(case):
    text = plan(*CASES[case])
    # only h's values are read back (by the adjoint of U @ h) and z's temporaries
    # keep no tape; where h is updated in place by an element loop
    # (passes/lower.py _carry_in_place), its old elements are kept and, one per
    # element, the tanh value stored into it (its derivative reads it)
    assert "'h'" in text and "'z'" not in text
    line = CASES[case][0].__code__.co_firstlineno + (7 if case == 0 else 9)
    temporaries = [t for t in text.splitlines() if "temporar" in t]
    assert all(f"1 temporary of line {line}" in t for t in temporaries), text


def test_a_copy_of_a_fixed_array_keeps_no_tape():
    text = plan(*CASES[4])
    assert "'z'" not in text and "'h'" in text, text


@pytest.mark.parametrize("case", [5, 6], ids=["shape0", "len"])
def test_an_array_made_of_a_length_has_that_arrays_shape(case):
    text = plan(*CASES[case])
    assert "'x'" not in text and "'r'" in text, text


def test_changing_shapes_are_kept():
    assert "1 temporary of line" in plan(*CASES[1])      # np.cumsum(x[:t])
    assert "'x'" in plan(*CASES[2])


def test_whole_number_arithmetic_on_a_length_is_exact():
    # (``N = len - 1`` then ``np.zeros(N + 1)``: the argument's length, so the swapped
    # buffers keep one length and ``w[1:N]``'s saves go on a stack, not a list; a length
    # cut and grown again is not the argument's: empty, the cut is 0, not -1)
    from sourcediff.passes import planner, shapes
    text = plan(*CASES[7])
    assert "on the stack" in text and "in a list" not in text, text
    seen = []

    def spy(*args, **kwargs):
        out = shapes.axis_lengths(*args, **kwargs)
        seen.append(out)
        return out
    keys = []
    for case in (7, 8):
        mp = pytest.MonkeyPatch()
        mp.setattr(planner, "axis_lengths", spy)
        try:
            seen.clear()
            plan(*CASES[case])
        finally:
            mp.undo()
        keys.append({out.get("w") for out in seen if "w" in out})
    assert keys[0] == {("v0.shape[0]",)}, keys
    assert ("v0.shape[0]",) not in keys[1], keys
