"""Adds into several rows of one adjoint buffer in a loop LLVM can vectorize go
through rows added in after it (passes/split_adds.py), and reverse loops
around such loops count up when their iterations are independent
(passes/ascending.py): gradients against central differences, the code
written, and where neither may apply."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.passes.sink import Adjoints
from sourcediff.passes.split_adds import split_neighbour_adds
from tests.core import split_add_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(11)
GRID = rng.uniform(0.0, 1.0, (6, 7))
CASES = [(P.conduction_swap, (GRID, 0.1, 0.5, 0.2, 3), (0, 1, 2)),
         (P.conduction_copy_back, (GRID, 0.1, 0.5, 0.2, 3), (0, 1, 2)),
         (P.row_differences, (rng.normal(size=(5, 6)), rng.normal(size=6)), (0, 1)),
         (P.row_differences_exp, (rng.normal(size=(5, 6)), rng.normal(size=6)), (0, 1)),
         (P.row_differences_triangle, (rng.normal(size=(5, 6)),), 0),
         (P.row_differences_np_sqrt, (rng.normal(size=(5, 6)), rng.normal(size=6)), (0, 1)),
         (P.upwinded_swap, (np.sin(np.linspace(0.0, 6.0, 9)), 0.3, 0.2, 3), (0, 1)),
         (P.upwinded_copy_back, (np.sin(np.linspace(0.0, 6.0, 9)), 0.3, 0.2, 3), (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def reverse_of(f) -> str:
    _, args, wrt = next(c for c in CASES if c[0] is f)
    text = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    return text.split(f"def {f.__name__}_grad", 1)[1]


def test_the_stencil_adds_other_rows_after_its_loop_and_counts_up():
    grad = reverse_of(P.conduction_swap)
    reverse = grad.split("# -- reverse sweep", 1)[1]
    # one row per element of another row, made once before the sweep
    assert reverse.count("np.empty(max(nx - 2, 0))") == 2
    assert "du_i_plus_1_j[j - 1] = " in reverse and "du_i_minus_1_j[j - 1] = " in reverse
    assert "du[i + 1, j] += du_i_plus_1_j[j - 1]" in reverse
    assert "du[i - 1, j] += du_i_minus_1_j[j - 1]" in reverse
    # the row it adds into at three offsets keeps its sums in locals
    assert "du_j_plus_1" in reverse
    # the reverse of the loop over rows counts up (the time loop down)
    assert "for step in range(steps - 1, -1, -1):" in reverse
    assert "for i in range(1, ny - 1):" in reverse and "range(ny - 2, 0, -1)" not in reverse


def test_two_styles_of_the_update_both_split():
    reverse = reverse_of(P.conduction_copy_back).split("# -- reverse sweep", 1)[1]
    assert "du[i + 1, j] += du_i_plus_1_j[j - 1]" in reverse


def test_numpy_spellings_of_vector_intrinsics_split_too():
    """np.sqrt / np.abs of numbers are the intrinsics math.sqrt / abs are (a
    new user's stencil with np.sqrt: its reverse 1.15 -> 0.69 ms, as math.sqrt)."""
    grad = reverse_of(P.row_differences_np_sqrt)
    assert "da[i + 1, j] += da_i_plus_1_j[j]" in grad


def test_one_element_per_row_of_a_fused_loop():
    grad = reverse_of(P.row_differences)
    assert "da_i_plus_1_j[j] = dd" in grad and "da[i + 1, j] += da_i_plus_1_j[j]" in grad
    assert "da[i, j] += " in grad            # the other row stays in the loop


@pytest.mark.parametrize("f", [P.row_differences_exp, P.row_differences_triangle],
                         ids=lambda f: f.__name__)
def test_a_scalar_loop_or_one_of_changing_length_adds_in_place(f):
    grad = reverse_of(f)
    assert "np.empty(" not in grad and "da[i + 1, j] += " in grad


def rewrite(code: str, buffers=("du", "dv")) -> str:
    stmts = ast.parse(code).body
    adj = Adjoints(scalars=frozenset(), arrays=frozenset(buffers))
    out = split_neighbour_adds(stmts, adj, {b: 2 for b in buffers})
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=out, type_ignores=[])))


ROWS = """
for j in range(1, m - 1):
    g = u[i, j] * c
    du[i + 1, j] += g
    du[i, j - 1] -= g * 2.0
    du[i, j + 1] += g
"""


def test_the_rewrite():
    out = rewrite(ROWS)
    assert out.startswith("du_i_plus_1_j = np.empty(max(m - 2, 0))\n")
    assert "du_i_plus_1_j[j - 1] = g\n" in out
    assert "for j in range(1, m - 1):\n    du[i + 1, j] += du_i_plus_1_j[j - 1]" in out
    assert "du[i, j - 1] -= g * 2.0" in out       # the row kept


def test_rows_of_a_loop_counting_down_are_added_in_counting_up():
    """LLVM leaves ``du[i + 1, j] += row[j - 1]`` scalar in a loop nest when the
    loop counts down (the rotated-buffer wave's reverse: 43.7 -> 31.4 ms)."""
    out = rewrite(ROWS.replace("range(1, m - 1)", "range(m - 2, 0, -1)"))
    assert "for j in range(m - 2, 0, -1):\n    g = u[i, j] * c" in out
    assert "for j in range(1, m - 1):\n    du[i + 1, j] += du_i_plus_1_j[j - 1]" in out
    down_to_zero = rewrite(ROWS.replace("range(1, m - 1)", "range(m - 1, -1, -1)"))
    assert "for j in range(m):\n    du[i + 1, j] += du_i_plus_1_j[j]" in down_to_zero


def test_a_subtraction_starts_its_row_negated():
    out = rewrite(ROWS.replace("du[i + 1, j] += g", "du[i + 1, j] -= g"))
    assert "du_i_plus_1_j[j - 1] = -g\n" in out


@pytest.mark.parametrize("change", [
    ("g = u[i, j] * c", "g = math.exp(u[i, j])"),              # no vector form
    ("g = u[i, j] * c", "g = u[i, k[j]] * c"),                   # a gather
    ("g = u[i, j] * c", "g = u[i, j] * du[i, j]"),               # reads the buffer
    ("du[i + 1, j] += g", "du[i, j] += g"),                      # one row only
    ("du[i + 1, j] += g", "if g > 0:\n        du[i + 1, j] += g"),   # a branch
    ("range(1, m - 1)", "range(1, i)"),                           # length set in the sweep
])
def test_where_it_must_not_apply(change):
    code = ROWS.replace(*change)
    if "range(1, i)" in code:
        code = "for i in range(n):\n" + "\n".join("    " + line for line in code.splitlines())
    assert "np.empty" not in rewrite(code)


def test_a_buffer_another_name_shares_is_left_alone():
    stmts = ast.parse("dv = du[1:]\n" + ROWS).body
    adj = Adjoints(scalars=frozenset(), arrays=frozenset(("du", "dv")))
    out = split_neighbour_adds(stmts, adj, {"du": 2, "dv": 2})
    assert "np.empty" not in ast.unparse(ast.fix_missing_locations(
        ast.Module(body=out, type_ignores=[])))


def test_columns_down_the_rows_are_left_alone():
    """The loop index picks rows (``dX[j, 0]``, ``dX[j + 1, 1]`` of an (n, 3)
    array): strided, the loop stays scalar, and rows would only add passes."""
    code = """
for j in range(1, m - 1):
    g = u[j, 0] * c
    du[j, 1] += g
    du[j - 1, 0] -= g
    du[j + 1, 0] += g
"""
    assert "np.empty" not in rewrite(code)
    assert "np.empty" in rewrite(code.replace("[j, 1]", "[1, j]").replace(
        "[j - 1, 0]", "[0, j - 1]").replace("[j + 1, 0]", "[0, j + 1]").replace("[j, 0]", "[0, j]"))


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_a_batched_kernel_carries_the_rows_instead(target):
    """A CUDA kernel cannot allocate the rows: there the adds stay carried in
    locals (``Program.scratch``); on every target the batch's gradients are
    those of each element."""
    rng = np.random.default_rng(2)
    a, w = rng.normal(size=(3, 5, 6)), rng.normal(size=6)
    g = sd.grad(P.row_differences, wrt=(0, 1), target=target, batch=(0, None))
    da, dw = g(a, w)
    for b in range(3):
        want = sd.grad(P.row_differences, wrt=(0, 1), target="python")(a[b], w)
        np.testing.assert_allclose(np.asarray(da)[b], want[0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(np.asarray(dw)[b], want[1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("f", [P.upwinded_swap, P.upwinded_copy_back], ids=lambda f: f.__name__)
def test_adds_a_branch_picks_go_through_rows(f):
    """An add inside a branch would make the carried sums a select LLVM does not
    vectorize: every offset is summed in a local per iteration and stored into a
    row (Burgers: 1.69 -> 0.94 ms, 4.1x -> 2.3x its primal)."""
    reverse = reverse_of(f).split("# -- reverse sweep", 1)[1]
    for offset in ("i_minus_1", "i", "i_plus_1"):
        assert f"du_{offset}_row[i - 1] = du_{offset}" in reverse
    assert "du[i - 1] += du_i_minus_1_row[i - 1]" in reverse
    assert "du[i + 1] += du_i_plus_1_row[i - 1]" in reverse
    assert "du_i_minus_1 = du_i" not in reverse          # nothing carried


def test_a_one_row_stencil_without_branches_keeps_carrying():
    """The wave equation's adds, made in every iteration, are carried in locals
    (LLVM vectorizes that; rows cost three more passes: 1.68 -> 3.9 ms)."""
    grad = reverse_of(P.conduction_swap)
    assert "du_j_plus_1 = " in grad and "_row[" not in grad
