"""A reverse loop whose iterations are independent counts up
(passes/ascending.py): the rewrite on small reverse sweeps, where it must not
apply, and gradients of programs it changes against finite differences."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import sourcediff as sd
from sourcediff import ir
from sourcediff.passes.ascending import ascend_independent_loops
from sourcediff.passes.sink import Adjoints
from sourcediff.passes.types import T
from tests.fdcheck import check_grad

ARRAY = T("array", np.float64, 1)


def rewrite(code: str, arrays=("du", "dflux"), scalars=("dk",), live=()) -> str:
    stmts = ast.parse(code).body
    adj = Adjoints(scalars=frozenset(scalars), arrays=frozenset(arrays))
    types = {"u": ARRAY, "x": ARRAY, "_saved_u": ARRAY}
    out = ascend_independent_loops(stmts, adj, types, live_out=frozenset(live))
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=out, type_ignores=[])))


FLUX = """
for i in range(n - 1, -1, -1):
    _t1 = u[i]
    _dt2 = dflux[i]
    dflux[i] = 0.0
    dk += _dt2 * _t1
    du[i - 1] += _dt2
    du[i] += -_dt2
"""


def test_independent_iterations_count_up():
    assert "for i in range(n):" in rewrite(FLUX)
    assert "for i in range(2, m + 1):" in rewrite(FLUX.replace("range(n - 1, -1, -1)",
                                                               "range(m, 1, -1)"))


def test_a_tape_read_at_the_counter_counts_up_too():
    """(It kept the tape one descending stream until LLVM's overlap checks were
    left where loops start; since then counting down was the slower.)"""
    code = """
for i in range(n - 1, -1, -1):
    _dt1 = -du[i]
    u[i] = _saved_u[t * n + i]
    dflux[i - 1] += _dt1
"""
    assert "range(n):" in rewrite(code)
    assert "range(n):" in rewrite(code.replace("_saved_u[t * n + i]", "_saved_u[t]"))
    # a carried number still keeps it counting down
    carried = code.replace("    dflux[i - 1] += _dt1\n", "    dk = dk * _dt1\n")
    assert "range(n - 1, -1, -1)" in rewrite(carried)


@pytest.mark.parametrize("change", [
    ("du[i - 1] += _dt2", "du[i - 1] += _dt2 + du[i]"),          # reads what others add to
    ("_t1 = u[i]", "_t1 = u[i]\n    u[i] = _t1 * x[i + 1]"),    # writes a primal array, reads x
    ("dk += _dt2 * _t1", "dk = dk * _t1 + _dt2"),                # a carried scalar
    ("_t1 = u[i]", "_t1 = _saved.pop()"),                        # a list tape
    ("_t1 = u[i]", "_t1 = u[i]\n    add_into(du, _t1)"),         # a call that may write
    ("dflux[i] = 0.0", "dflux[i + 1] = 0.0"),                    # set off the index
    ("dflux[i] = 0.0", "dflux[i][0] = 0.0"),                     # a store into an element's view
])
def test_dependent_iterations_keep_counting_down(change):
    assert "range(n - 1, -1, -1)" in rewrite(FLUX.replace(*change))


def test_a_value_read_after_the_loop_keeps_it_counting_down():
    assert "range(n - 1, -1, -1)" in rewrite(FLUX + "y = _t1\n")
    assert "range(n - 1, -1, -1)" in rewrite(FLUX, live=("_t1",))
    assert "range(n):" in rewrite(FLUX + "_t1 = 0.0\ny = _t1\n")


def test_an_unaliased_buffer_only():
    assert "range(n - 1, -1, -1)" in rewrite("dv = du[1:]\n" + FLUX)
    stmts = ast.parse(FLUX).body
    adj = Adjoints(scalars=frozenset(), arrays=frozenset(("du", "dflux")))
    out = ascend_independent_loops(stmts, adj, {"u": ARRAY}, before=ast.parse("dflux = du[1:]").body)
    assert "range(n - 1, -1, -1)" in ast.unparse(ast.fix_missing_locations(
        ast.Module(body=out, type_ignores=[])))


def stencil(u, c, steps):
    v = u.copy()
    f = np.zeros(u.shape[0])
    for _ in range(steps):
        for i in range(v.shape[0]):
            f[i] = c * (v[(i + 1) % v.shape[0]] - v[i]) * v[i]
        for i in range(v.shape[0]):
            v[i] += f[i] - f[i - 1]
    return np.sum(v * v)


def test_gradients_of_a_program_it_changes():
    args = (np.linspace(0.1, 0.9, 7), 0.2, 3)
    text = sd.grad(stencil, wrt=(0, 1), target="python").source_for(*args)
    grad = text[text.index("def stencil_grad"):]
    assert "range(v.shape[0]):" in grad.split("-- reverse sweep")[-1]
    check_grad(stencil, args, wrt=(0, 1), target="python")
    check_grad(stencil, args, wrt=(0, 1), target="cpu")


def back_substitution(d, c, steps):
    """A loop the user wrote counting down (``range(n - 2, -1, -1)``, as in a Thomas
    solve's back substitution), each step reading the element above."""
    n = d.shape[0]
    u = d.copy()
    for t in range(steps):
        for i in range(n - 2, -1, -1):
            u[i] = d[i] - c[i] * u[i + 1]
    return np.sum(u * u)


def test_a_loop_written_counting_down_is_reversed_counting_up_as_plainly():
    """Its reverse visits 0, 1, ..., n - 2: printed ``range(n - 1)``, not as a
    formula over ``len(range(...))``; the gradient against finite differences."""
    rng = np.random.default_rng(4)
    args = (rng.normal(size=6), 0.3 * rng.normal(size=6), 3)
    source = sd.value_and_grad(back_substitution, wrt=(0, 1)).source_for(*args)
    reverse = source.split("# -- reverse sweep", 1)[1]
    assert "for i in range(n - 1):" in reverse and "len(range" not in source
    check_grad(back_substitution, args, wrt=(0, 1), target="python")
    check_grad(back_substitution, args, wrt=(0, 1), target="cpu")


@pytest.mark.parametrize("forward, printed", [
    ("range(1, n - 1)", "range(n - 2, 0, -1)"),
    ("range(n)", "range(n - 1, -1, -1)"),
    ("range(2, n + 1)", "range(n, 1, -1)"),
    ("range(n - 2, -1, -1)", "range(n - 1)"),
    ("range(a, b, -1)", "range(b + 1, a + 1)"),
])
def test_reversed_ranges_are_printed_folded_and_visit_the_same_indices(forward, printed):
    from sourcediff.passes.reverse import reversed_range
    call = ast.parse(forward, mode="eval").body
    args = call.args
    lo, hi, st = (args + [None, None])[:3] if len(args) > 1 else (ast.Constant(0), args[0], None)
    backward = ast.unparse(reversed_range(lo, hi, st, None))
    assert backward == printed
    for n in range(-1, 6):
        for a, b in ((4, 0), (0, 4), (3, 3)):
            scope = {"n": n, "a": a, "b": b}
            assert list(eval(backward, scope)) == list(reversed(eval(forward, scope)))


ROWS = """
for i in range(n - 2, 0, -1):
    dx_j = 0.0
    for j in range(m - 1, -1, -1):
        _t1 = x[i - 1, j]
        _dt2 = dflux[i, j]
        dflux[i, j] = 0.0
        dk += _dt2 * _t1
        dx_j += _dt2
        du[i + 1, j] += _dt2 * _t1
    du[i, 0] += dx_j
"""


def rewrite_2d(code, sole=(), live=()):
    stmts = ast.parse(code).body
    adj = Adjoints(scalars=frozenset(("dk",)), arrays=frozenset(("du", "dflux")))
    grid = T("array", np.float64, 2)
    out = ascend_independent_loops(stmts, adj, {"u": grid, "x": grid, "_saved_u": grid},
                                   live_out=frozenset(live), sole=sole)
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=out, type_ignores=[])))


def test_an_outer_loop_of_independent_rows_counts_up():
    out = rewrite_2d(ROWS)
    assert "for i in range(1, n - 1):" in out
    assert "for j in range(m - 1, -1, -1):" not in out      # the inner loop too
    # a restore of the row from the tape, read at the counter: a whole row a block
    restored = ROWS.replace("dflux[i, j] = 0.0", "dflux[i, j] = 0.0\n        u[i, j] = _saved_u[i, j]")
    assert "for i in range(1, n - 1):" in rewrite_2d(restored, sole={"u"})


@pytest.mark.parametrize("change", [
    ("    dx_j = 0.0\n", ""),                               # a sum carried from the row before
    ("dflux[i, j] = 0.0", "dflux[i - 1, j] = 0.0"),         # another row set
    ("_dt2 = dflux[i, j]", "_dt2 = dflux[j, i]"),           # read by column: rows overlap
    ("dflux[i, j] = 0.0", "dflux[i, j] = 0.0\n        u[i, j] = _saved_u[i, j]"),   # u not sole
    ("du[i, 0] += dx_j", "du[i, 0] += dx_j\n    y = _t1"),  # the last row's value read after
])
def test_dependent_rows_keep_counting_down(change):
    assert "for i in range(n - 2, 0, -1):" in rewrite_2d(ROWS.replace(*change))


def test_an_inner_index_read_after_its_loop_keeps_the_rows_counting_down():
    code = ROWS.replace("du[i, 0] += dx_j", "du[i, j] += dx_j")
    assert "for i in range(n - 2, 0, -1):" in rewrite_2d(code)


SELECT = """
for i in range(n - 1, -1, -1):
    _c1 = i > 0
    if _c1:
        im = i - 1
    else:
        im = n - 1
    _dt2 = dflux[i]
    dflux[i] = 0.0
    du[im] += _dt2
"""


def test_a_number_set_in_both_branches_of_a_select_counts_up():
    """``im = i - 1 if i > 0 else n - 1`` as the reverse sweep has it, an ``if``
    setting ``im`` in both branches before any read: set in every iteration."""
    assert "for i in range(n):" in rewrite(SELECT)
    # set in one branch only: the other iteration's value may be read
    one_branch = SELECT.replace("    else:\n        im = n - 1\n", "")
    assert "range(n - 1, -1, -1)" in rewrite(one_branch)
    # read in a branch before it is set there
    read_first = SELECT.replace("        im = i - 1\n", "        k = im\n        im = i - 1\n")
    assert "range(n - 1, -1, -1)" in rewrite(read_first)


GUARDED = """
for j in range(n - 1, -1, -1):
    if n - 1 > j:
        _t1 = u[j]
        dk_sum = 0.0
        for r in range(n - 1, j, -1):
            _dt1 = dflux[r] * _t1
            dk_sum += _dt1
        du[j] += dk_sum
"""


def test_numbers_set_first_under_a_guard_count_up():
    """``if n - 1 > j:`` around an inner loop and its partial sum (as the reverse of
    a triangular loop has it): what the branch sets, it sets first, and nothing
    after the ``if`` reads it."""
    out = rewrite(GUARDED, scalars=("dk", "dk_sum"))
    assert "for j in range(n):" in out and "for r in range(j + 1, n):" in out
    read_after = GUARDED + "    dk += _t1\n"
    assert "for j in range(n - 1, -1, -1):" in rewrite(read_after, scalars=("dk", "dk_sum"))


TRIANGLE = """
entry = _kept_entry[c]
for j in range(n - 1, -1, -1):
    for r in range(n - 1, j, -1):
        entry -= 1
        _t1 = x[entry]
        _dt1 = dflux[r]
        du[j] += _dt1 * _t1
        dx[entry] += _dt1 * u[j]
"""


def counter_rewrite(code, start="n", live=(), arrays=("du", "dflux", "dx")) -> str:
    stmts = ast.parse(code).body
    loop = next(s for s in stmts if isinstance(s, ast.For))
    ir.COUNTS_FROM.set(loop, {"entry": ast.parse(start, mode="eval").body})
    adj = Adjoints(scalars=frozenset(), arrays=frozenset(arrays))
    types = {"u": ARRAY, "x": ARRAY, "_kept_entry": ARRAY}
    out = ascend_independent_loops(stmts, adj, types, live_out=frozenset(live))
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=out, type_ignores=[])))


def test_an_undone_counter_counts_forwards_from_where_the_nest_started():
    out = counter_rewrite(TRIANGLE)
    assert out.startswith("entry = n\nfor j in range(n):\n    for r in range(j + 1, n):\n"
                          "        _t1 = x[entry]")
    assert out.rstrip().endswith("entry += 1")
    assert "_kept_entry" not in out and "entry -= 1" not in out


def test_an_undone_counter_keeps_its_nest_counting_down():
    # read after the nest: it must end where the forward nest started
    assert "entry -= 1" in counter_rewrite(TRIANGLE, live=("entry",))
    # without the start the emitter knows
    stmts = ast.parse(TRIANGLE).body
    adj = Adjoints(scalars=frozenset(), arrays=frozenset(("du", "dflux", "dx")))
    out = ascend_independent_loops(stmts, adj, {"u": ARRAY, "x": ARRAY})
    assert "entry -= 1" in ast.unparse(ast.Module(body=out, type_ignores=[]))
    # set elsewhere in the nest too
    assert "entry -= 1" in counter_rewrite(TRIANGLE.replace("        _t1 = x[entry]\n",
                                                            "        _t1 = x[entry]\n"
                                                            "        entry = entry * 1\n"))
    # rows that depend on one another: a number carried from row to row
    carried = TRIANGLE.replace("        du[j] += _dt1 * _t1\n", "        s = s * _t1\n")
    assert "entry -= 1" in counter_rewrite(carried)


OFFSET = """
for j in range(n - 3, -1, -1):
    _t1 = u[j + 1]
    _dt1 = dflux[j + 1]
    dflux[j + 1] = 0.0
    du[j] += _dt1 * _t1
    du[j + 2] += -_dt1
"""


def test_a_buffer_read_and_reset_at_one_offset_counts_up():
    """``dflux[j + 1]`` read and reset by iteration ``j`` only (the stencil's reverse
    after its ends are peeled, an American put's ``dVn[_j2 + 1]``)."""
    assert "for j in range(n - 2):" in rewrite(OFFSET)
    # reset at one element, read at another: iteration j reads what j + 1 reset
    shifted = OFFSET.replace("    dflux[j + 1] = 0.0\n", "    dflux[j] = 0.0\n")
    assert "range(n - 3, -1, -1)" in rewrite(shifted)
    # added to at another offset than where it is read
    added = OFFSET.replace("    du[j] += _dt1 * _t1\n", "    dflux[j + 2] += _dt1 * _t1\n")
    assert "range(n - 3, -1, -1)" in rewrite(added)
    # the counter twice in one index: no single element per iteration
    twice = OFFSET.replace("dflux[j + 1]", "dflux[j + j]")
    assert "range(n - 3, -1, -1)" in rewrite(twice)
