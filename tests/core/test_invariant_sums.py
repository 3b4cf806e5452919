"""An adjoint element added to in every iteration of an inner loop is summed
locally and added once after it (passes/invariant_sums.py): gradients against
central differences, the code it writes, and where it must not apply."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.passes.invariant_sums import sum_invariant_adds
from sourcediff.passes.sink import Adjoints
from tests.core import invariant_sum_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(3)
CASES = [(P.triangular, (rng.standard_normal((5, 5)), rng.standard_normal(5)), (0, 1)),
         (P.row_against_last, (rng.standard_normal((3, 4)), 4), 0),
         (P.row_against_last, (rng.standard_normal((3, 4)), 0), 0),
         (P.phase_pairs, (rng.uniform(0, 6, 5), rng.random((5, 5))), (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def test_the_sum_is_local_and_added_when_the_loop_ran():
    text = sd.grad(P.triangular, wrt=(0, 1), target="python").source_for(*CASES[0][1])
    assert "dx_sum = 0.0" in text and "dx_sum += " in text and "dx[j] += dx_sum" in text
    # x[j] is read once per column, before the loop over rows
    head = text[text.index("dx_sum = 0.0") - 200:text.index("dx_sum = 0.0")]
    assert "= x[j]" in head


def rewrite(code: str, arrays=("dx", "dy")) -> str:
    stmts = ast.parse(code).body
    out = sum_invariant_adds(stmts, Adjoints(scalars=frozenset(), arrays=frozenset(arrays)))
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=out, type_ignores=[])))


LOOP = """
for r in range(j, n):
    t = w[r]
    dx[j] += t * 2.0
    dy[r] += t
"""


def test_rewrites_a_plain_buffer():
    text = rewrite("dx = np.zeros_like(x)\n" + LOOP)
    assert "dx_sum += t * 2.0" in text and "dx[j] += dx_sum" in text


@pytest.mark.parametrize("binding", ["dy = dx[1:]", "dx = dy", "dz = dx", "dx = unbroadcast(dx, x)"])
def test_leaves_a_buffer_another_name_may_share(binding):
    assert "dx_sum" not in rewrite(binding + "\n" + LOOP)


def test_leaves_an_index_the_loop_changes_and_a_buffer_read_in_the_loop():
    assert "_sum" not in rewrite(LOOP.replace("dx[j]", "dx[r]"))
    assert "_sum" not in rewrite(LOOP.replace("t = w[r]", "t = dx[0]"))


def test_adds_into_other_elements_commute_with_the_sum():
    """A pair loop's reverse adds to ``dx[j]`` and to ``dx[i]``, ``j == i`` included:
    the adds into ``dx[j]`` commute with the sum of the others."""
    pair = "for r in range(n):\n    t = w[r]\n    dx[j] += t * 2.0\n    dx[r] += t\n"
    text = rewrite("dx = np.zeros_like(x)\n" + pair)
    assert "dx_sum += t * 2.0" in text and "dx[r] += t" in text and "dx[j] += dx_sum" in text
    # but not where the loop reads the buffer, nor where an add reads it
    assert "_sum" not in rewrite(pair.replace("t = w[r]", "t = dx[r]"))
    assert "_sum" not in rewrite(pair.replace("dx[r] += t", "dx[r] += dx[0]"))
    assert "_sum" not in rewrite(pair.replace("dx[r] += t", "dx[r] = t"))


def test_a_pair_loop_sums_its_row_adjoints_locally():
    text = sd.grad(P.phase_pairs, wrt=(0, 1), target="python").source_for(*CASES[3][1])
    assert "dsn_sum = 0.0" in text and "dcs_sum = 0.0" in text


def test_a_swap_keeps_buffers_plain():
    assert "dx_sum" in rewrite("dx, dy = dy, dx\n" + LOOP)


def test_a_view_bound_in_the_forward_sweep_shares_the_buffer():
    stmts = ast.parse(LOOP).body
    adj = Adjoints(scalars=frozenset(), arrays=frozenset(("dx", "dy")))
    out = sum_invariant_adds(stmts, adj, before=ast.parse("dy = dx[1:]").body)
    text = ast.unparse(ast.fix_missing_locations(ast.Module(body=out, type_ignores=[])))
    assert "_sum" not in text
    assert "dx_sum" in rewrite(LOOP)
