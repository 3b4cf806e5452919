"""Scratch nests whose state is kept in a row per iteration instead of re-run
(passes/rerun.py ``_keep``): the gradients, and where the plan keeps or re-runs."""
from __future__ import annotations

import re

import numpy as np
import pytest

import sourcediff as sd
from tests.core import kept_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(7)
X = rng.standard_normal((4, 5))
M = rng.standard_normal((3, 5))
W = rng.standard_normal(3)

CASES = [
    (P.rows_fused, (X, M, W), (0, 1, 2)),
    (P.read_after_nests, (X, M, W), (0, 1, 2)),
    (P.cheap_row, (X, M), (0, 1)),
    (P.scratch_rows_unfused, (X, M, W), (0, 1, 2)),
    (P.rows_in_while, (X, M, W, 6), (0, 1, 2)),
]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def source(f, args, wrt) -> str:
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return text[text.index(f"def {f.__name__}_grad("):]


def plan(f, args, wrt) -> str:
    text = source(f, args, wrt)
    return text[text.index("# Plan:"):text.index("# -- ")]


def test_fused_loop_keeps_one_row_per_centre():
    text = source(P.rows_fused, (X, M, W), (0, 1, 2))
    assert "a row per iteration of the loop at line" in text
    assert "'diff', 'scaled' (copying them costs less" in text
    # the point loop runs fused: its rows hold one point, a row per centre
    assert "_kept_diff = np.empty((max(k, 0), d), np.float64)" in text
    # the reverse iteration reads the rows, re-runs nothing, saves no element
    reverse = text[text.index("for c in range(k - 1, -1, -1):"):]
    assert "_kept_diff[c, j]" in reverse
    # the triangle's reverse counts up, the counter forwards from where the
    # forward nest started it (passes/ascending.py), so it is not kept
    assert "entry = 0\n            for j in range(d):" in reverse
    assert "for r in range(j + 1, d):" in reverse and "_kept_entry" not in text
    assert not re.search(r"^ +diff\[j\] = ", reverse, re.MULTILINE) and "_saved_diff" not in text
    assert "re-run at" not in plan(P.rows_fused, (X, M, W), (0, 1, 2))


def test_values_read_after_the_nests_come_from_the_rows():
    text = source(P.read_after_nests, (X, M, W), (0, 1, 2))
    reverse = text[text.index("for c in range(k - 1, -1, -1):"):]
    assert "entry = _kept_entry[c]" in reverse and "total = _kept_total[c]" in reverse
    assert "_kept_diff[c, j]" in reverse
    # nothing in reverse reads 'scaled' (the element after the nests is stored
    # with the product that reads it): no rows for it
    assert "_kept_scaled" not in text


def test_rows_only_inside_a_fused_loop():
    """Rows for every point would stream through memory: where the point loop is
    not fused (the value squares the sum), the nests are re-run."""
    text = plan(P.scratch_rows_unfused, (X, M, W), (0, 1, 2))
    assert "re-run at the start of each reverse iteration" in text
    assert "_kept" not in source(P.scratch_rows_unfused, (X, M, W), (0, 1, 2))


def test_a_cheap_nest_is_re_run():
    text = plan(P.cheap_row, (X, M), (0, 1))
    assert "re-run at the start of each reverse iteration" in text
    assert "_kept" not in source(P.cheap_row, (X, M), (0, 1))


def test_no_rows_inside_a_while_loop():
    text = plan(P.rows_in_while, (X, M, W, 6), (0, 1, 2))
    assert "re-run at the start of each reverse iteration" in text
    assert "stored as the loop" not in text


@pytest.mark.parametrize("target", ["cpu", "parallel"])
def test_batched_kernels_agree_with_python(target):
    """The rows are tapes of the batch's elements (not cuda: its kernels refuse
    the program's own ``np.zeros`` rows, kept or not)."""
    xs = rng.standard_normal((3, 4, 5))
    want = [sd.grad(P.rows_fused, wrt=1, target="python")(x, M, W) for x in xs]
    got = sd.grad(P.rows_fused, wrt=1, target=target, batch=(0, None, None))(xs, M, W)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-10, atol=1e-12)
