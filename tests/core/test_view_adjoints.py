"""The adjoint of a row view taken as the same row of the adjoint
(passes/view_adjoints.py): gradients against central differences, and where
the binding is and is not made."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.core import view_adjoint_programs as P
from tests.fdcheck import case_id, check_grad

rng = np.random.default_rng(41)
XQ, X = rng.normal(size=(3, 2)), rng.normal(size=(5, 2))
W2, W3, W4 = rng.normal(size=2), rng.normal(size=3), rng.normal(size=4)
X3 = rng.normal(size=(4, 3))
IDX = np.array([2, 0, 2, 1])

CASES = [(P.nearest_weights, (XQ, X, 0.7), (0, 1, 2), "python"),
         (P.columns, (X3, W4), (0, 1), "python"),
         (P.rows_and_columns, (XQ, X, 0.7, X3, W4), (0, 1, 2, 3, 4), "cpu"),
         (P.gathered, (X3, IDX), 0, "python"),
         (P.row_used_twice, (X, W2), (0, 1), "python"),
         (P.written_after_read, (X, W2), (0, 1), "python"),
         (P.alignment_table, (X, X3[:, :2]), (0, 1), "python"),
         (P.alignment_table, (X, X3[:, :2]), (0, 1), "cpu")]


@pytest.mark.parametrize("f, args, wrt, target", CASES,
                         ids=case_id)
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def _lines(f, args, wrt):
    source = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    return [line.strip() for line in source[source.index("_grad("):].splitlines()]


def test_rows_at_index_arithmetic_add_into_the_rows_of_the_adjoints():
    lines = _lines(P.alignment_table, (X, X3[:, :2]), (0, 1))
    assert "da = dX[i - 1]" in lines and "db = dY[j - 1]" in lines, lines
    assert not any("zeros_like(a)" in s or "zeros_like(b)" in s for s in lines), lines


def test_rows_given_to_a_helper_add_into_the_rows_of_the_adjoints():
    lines = _lines(P.nearest_weights, (XQ, X, 0.7), (0, 1, 2))
    assert "da = dXq[q]" in lines and "db = dX[i]" in lines, lines
    assert not any(line.startswith(("add_into(dX[i]", "db[:] = 0.0", "db = np.zeros"))
                   for line in lines), lines


def test_rows_and_columns_together_bind_both():
    lines = _lines(P.rows_and_columns, (XQ, X, 0.7, X3, W4), (0, 1, 2, 3, 4))
    assert "da = dXq[q]" in lines and "db = dX[i]" in lines, lines
    assert any(line.startswith("da") and "= dC[:, j" in line for line in lines), lines
    assert not any(line.startswith(("da = np.zeros", "db = np.zeros")) for line in lines), lines


def test_a_gathered_copy_keeps_its_buffer():
    lines = _lines(P.gathered, (X3, IDX), 0)
    assert not any(line.startswith("db = dX[") for line in lines), lines
