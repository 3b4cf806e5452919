"""Adds into neighbouring elements of an adjoint buffer are carried in locals
from one iteration to the next (passes/rolling_sums.py): gradients against
central differences, the code it writes, and where it must not apply."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.bench.programs.heat import heat_swap
from sourcediff.passes.rolling_sums import roll_neighbour_adds
from sourcediff.passes.sink import Adjoints
from tests.core import golden_funcs as G
from tests.core import rolling_sum_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(7)
CASES = [(G.rosen_temporaries, (rng.uniform(-1.5, 1.5, 9),), 0),
         (heat_swap, (rng.standard_normal(8), 0.2, rng.standard_normal(8), 5), (0, 1)),
         (P.wraps_around, (rng.standard_normal(6),), 0),
         (P.named_index_and_rows, (rng.standard_normal((3, 7)), 7), 0),
         (P.named_index_and_rows, (rng.standard_normal((3, 7)), 2), 0),
         (P.descending_window, (rng.standard_normal(9), 0.8), (0, 1)),
         (P.guarded_neighbours, (rng.standard_normal(7), 0.7), (0, 1)),
         (P.periodic_flux, (rng.uniform(0.5, 1.5, 9), 0.3, 3), (0, 1)),
         (P.period_not_the_length, (rng.standard_normal(8), 5), 0),
         (P.carried_stencil, (rng.standard_normal(8), 0.7), (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def source(case):
    f, args, wrt = case if isinstance(case, tuple) else next(c for c in CASES if c[0] is case)
    return sd.grad(f, wrt=wrt, target="python").source_for(*args)


def test_the_fused_loop_carries_the_next_element():
    text = source(CASES[0])
    # (stores, not adds: each element's one add goes into a buffer made empty,
    # passes/first_stores.py)
    assert "dx_i_plus_1 += " in text and "dx[i] = dx_i" in text
    assert "dx_i = dx_i_plus_1" in text and "dx[x.shape[0] - 1] = dx_i" in text
    # the loop keeps its section header
    assert "forward and reverse iterations fused" in text


def test_a_descending_stencil_adds_the_largest_offset_first():
    text = source(P.carried_stencil)
    assert "for i in range(n - 2, 0, -1):" in text      # the carried s keeps it so
    assert "du0[i + 1] += du0_i_plus_1" in text
    assert "du0_i_plus_1 = du0_i\n" in text and "du0_i = du0_i_minus_1\n" in text


def test_an_ascending_stencil_adds_the_smallest_offset_first():
    text = source(CASES[1])                               # the heat equation's
    assert "du[i - 1] += du_i_minus_1" in text
    assert "du_i_minus_1 = du_i\n" in text and "du_i = du_i_plus_1\n" in text


def test_rows_and_named_indices():
    text = source(CASES[3])
    assert "dA[r, j] += dA_j" in text and "dA_j_plus_2" in text


def test_a_periodic_index_joins_the_plain_ones():
    """(Where ``(i + 1) % n`` is ``i + 1`` itself, peel_ends writes it so; the last
    two iterations, run apart, add into ``du[ip]`` as written.)"""
    text = source(P.periodic_flux)
    middle = _block(text, "du_i_plus_2 = 0.0")
    assert "du_i_plus_1 += _dt" in middle and "du_i_plus_2 += _dt" in middle
    assert "du[ip] += " not in middle and "% n] += _dt" not in middle
    assert "du[ip] += _dt" in _block(text, "# the last 2 iterations apart")


def test_a_period_other_than_the_length_is_not_carried():
    text = source(P.period_not_the_length)
    assert "dx_i" not in text and "dx[wrap_index(i + 1, m)] += " in text


def rewrite(code: str, arrays=("dx", "dy"), ndims=None, lengths=None) -> str:
    stmts = ast.parse(code).body
    ndims = ndims or {a: 1 for a in arrays}
    out = roll_neighbour_adds(stmts, Adjoints(scalars=frozenset(), arrays=frozenset(arrays)),
                              ndims, lengths=lengths)
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=out, type_ignores=[])))


LOOP = """
for i in range(1, n):
    t = w[i]
    dx[i] += t * 2.0
    dx[i - 1] -= t
"""


def test_rewrites_a_plain_buffer():
    text = rewrite(LOOP)
    assert "dx_i_minus_1 -= t" in text and "dx[i - 1] += dx_i_minus_1" in text
    assert "if n > 1:\n    dx[n - 1] += dx_i_minus_1" in text


@pytest.mark.parametrize("change", [
    ("t = w[i]", "t = dx[0]"),                 # the buffer is read in the loop
    ("t = w[i]", "t = w[i]\n    dx[i] = 0.0"),  # or set
    ("t = w[i]", "t = w[i]\n    if t > 9.0:\n        break"),
    ("dx[i - 1] -= t", "dx[2 * i] -= t"),       # not the index plus a constant
    ("range(1, n)", "range(1, n, 2)"),          # step 2
    ("t = w[i]", "t = w[i]\n    n = n - 1"),   # the stop changes in the loop
    ("t = w[i]", "t = w[i]\n    i = i + 1"),   # the body moves the index
    ("range(1, n):\n    t = w[i]", "range(1, len(s)):\n    t = w[i] + s.pop()"),  # the stop
])
def test_leaves_what_it_cannot_carry(change):
    assert "dx_i" not in rewrite(LOOP.replace(*change))


@pytest.mark.parametrize("binding", ["dy = dx[1:]", "dz = dx", "dx = unbroadcast(dx, x)"])
def test_leaves_a_buffer_another_name_may_share(binding):
    assert "dx_i" not in rewrite(binding + "\n" + LOOP)


def test_leaves_a_row_added_into_a_matrix():
    assert "dx_i" not in rewrite(LOOP, ndims={"dx": 2, "dy": 1})


def test_an_index_named_after_its_use_is_not_taken_for_the_loop_index():
    code = LOOP.replace("dx[i - 1] -= t", "dx[k] -= t\n    k = i + 1")
    assert "dx_i" not in rewrite(code)


def test_several_adds_into_one_element_are_summed_first():
    text = rewrite("for i in range(n):\n    dx[i] += w[i]\n    dx[i] += 2.0 * w[i]\n")
    assert "dx_i += w[i]" in text and "dx[i] += dx_i" in text and "if " not in text


def test_adds_made_in_branches_at_the_ends_are_not_carried():
    """``left = y[i - 1] if i > 0 else 0.0``: carrying dy[i + 1] to the next iteration
    flushed it into dy[n] at the last i (IndexError on python, a write past the
    buffer on cpu).  The first and the last iteration run apart, their adds in
    branches as written (passes/peel_ends.py); only the loop between them, where
    every iteration adds into both neighbours, carries them."""
    text = "\n".join(line for line in source(P.guarded_neighbours).split("\n")
                     if "# guarded_neighbours:" not in line)
    first, last = _block(text, "# the first iteration apart"), _block(text, "# the last iteration apart")
    middle = _block(text, "dy_i_plus_1 = 0.0")
    for end in (first, last):
        assert "dy_i_plus_1" not in end and "dy_i_minus_1" not in end
        assert "if _c2:\n            dy[i - 1] += " in end
        assert "if _c5:\n            dy[i + 1] += " in end
    assert "dy_i_plus_1 += " in middle and "dy_i_minus_1 += " in middle and "if " not in middle


PERIODIC = """
for i in range(n):
    ip = (i + 1) % n
    dx[ip] += w[i]
    dx[i] += 2.0 * w[i]
"""


@pytest.mark.parametrize("lengths, carried", [
    ({"dx": ("x.shape[0]",), "n": ("x.shape[0]",)}, True),
    ({"dx": ("x.shape[0]",), "n": ("n",)}, False),       # not known to be equal
    ({"dx": (None,), "n": (None,)}, False),               # neither known
    ({"n": ("x.shape[0]",)}, False),                      # the buffer's not known
])
def test_a_periodic_index_needs_the_buffers_length(lengths, carried):
    text = rewrite(PERIODIC, lengths=lengths)
    assert ("dx_i_plus_1 += w[i]" in text) == carried
    if carried:
        assert "if n > 0:\n    dx[0] += dx_i" in text


def test_loops_one_after_another_share_locals_and_groups_of_one_loop_do_not():
    loop = "for i in range(n):\n    dx[i, 0] += w[i]\n    dx[i + 1, 0] += w[i]\n" \
           "    dx[i, 1] += w[i]\n    dx[i + 1, 1] += w[i]\n"
    text = rewrite(loop + loop, arrays=("dx",), ndims={"dx": 2})
    assert text.count("dx[i, 0] += dx_i\n") == 2 and text.count("dx[i, 1] += dx_i2\n") == 2
    assert "dx_i3" not in text


@pytest.mark.parametrize("n", [1, 2, 5])
def test_neighbours_picked_by_tests_are_carried_as_periodic(n):
    """``i + 1 if i < n - 1 else 0`` and ``i - 1 if i > 0 else n - 1`` name the
    elements ``(i + 1) % n`` and ``(i - 1) % n`` (rolling_sums ``wrapped``), in a
    loop with a loop inside; ``n`` 1 and 2 flush into elements met twice."""
    args = (np.random.default_rng(n).standard_normal(n), np.array([0.7, -0.4]))
    for target in ("python", "cpu") if n == 5 else ("python",):
        check_grad(P.ring_with_inner_loop, args, wrt=(0, 1), target=target)
    text = source((P.ring_with_inner_loop, args, (0, 1)))
    assert "dx_i_plus_1 += " in text and "dx_i_minus_1 += " in text
    assert "dx[ip] += dx_i_plus_1" in text or "dx[im] += dx_i_minus_1" in text


def _block(text, marker):
    """The lines of the ``for`` loop on the line after ``marker``'s, in the reverse
    sweep (the forward sweep's loops run their ends apart too)."""
    if "# -- reverse sweep" in text:
        text = text[text.index("# -- reverse sweep"):]
    lines = text[text.index(marker):].split("\n")[1:]
    depth = len(lines[0]) - len(lines[0].lstrip())
    out = [lines[0]]
    for line in lines[1:]:
        if line.strip() and len(line) - len(line.lstrip()) <= depth:
            break
        out.append(line)
    return "\n".join(out)
