"""Elements put back from a tape go back in a loop of their own when nothing
else in the loop can see them, and elements saved into a tape are saved in a
loop of their own when they still hold their values from before the loop
(passes/restore_loops.py): gradients against central differences, the code
written, and where it must not apply."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.bench.programs.heat import heat_copy_back, heat_swap
from sourcediff.passes.restore_loops import restore_after_loops, save_before_loops, unread_puts_back
from tests.core import restore_loop_programs as P
from tests.fdcheck import check_grad

# (these programs' adjoints store the values read instead: tests/conftest.py)
pytestmark = pytest.mark.usefixtures("put_back")

rng = np.random.default_rng(11)
HEAT = (rng.standard_normal(8), 0.2, rng.standard_normal(8), 5)
CASES = [(heat_swap, HEAT, (0, 1)),
         (P.three_buffers, (rng.standard_normal(9), 0.3, 6), (0, 1)),
         (P.in_place_sweep, (rng.standard_normal(7), 1.3, 4), (0, 1)),
         (P.stored_factor, (rng.standard_normal(7), 0.9, 3), (0, 1)),
         (P.swapped_unread, (rng.standard_normal(6), 0.7, 4), (0, 1))]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt):
    check_grad(f, args, wrt=wrt, target="python")


def test_compiled():
    # (the heat equation's styles are compiled by the bench's tests)
    f, args, wrt = CASES[1]
    check_grad(f, args, wrt=wrt, target="cpu")


def source(f, args, wrt):
    return sd.grad(f, wrt=wrt, target="python").source_for(*args)


def loop_bodies(text, header):
    """The bodies (as text) of the loops with this header line."""
    lines = text.splitlines()
    out = []
    for k, line in enumerate(lines):
        if line.strip() == header:
            indent = len(line) - len(line.lstrip())
            body = []
            for inner in lines[k + 1:]:
                if inner.strip() and len(inner) - len(inner.lstrip()) <= indent:
                    break
                body.append(inner.strip())
            out.append(body)
    return out


def reverse_part(text):
    """The gradient's last reverse sweep (its loops count up, ascending.py)."""
    return text[text.rindex("# -- reverse sweep"):]


def forward_part(text):
    """The gradient's forward sweep (after the primal, first in the text)."""
    text = text[text.index("# -- forward sweep"):]
    return text[:text.index("# -- reverse sweep")]


def test_a_swapped_buffer_is_put_back_after_the_loop():
    text = source(*CASES[0])
    loops = loop_bodies(reverse_part(text), "for i in range(1, n - 1):")
    # the reverse stencil loop no longer writes unew; the next loop only does
    assert len(loops) == 2
    assert not any(s.startswith("unew[i] =") for s in loops[0]) and "dkappa_i += _dt10 * _t8" in loops[0]
    assert [s for s in loops[1] if not s.startswith("#")] == [
        "unew[i] = _saved_unew_items[t, i - 1]"]
    assert "# 'unew' put back after the loop above (which then vectorizes)" in text


def test_rotated_buffers_too():
    text = source(*CASES[1])
    loops = loop_bodies(reverse_part(text), "for i in range(1, n - 1):")
    assert len(loops) == 2 and [s for s in loops[1] if not s.startswith("#")] == [
        "new[i] = _saved_new_items[t, i - 1]"]


def test_an_in_place_sweep_whose_reverse_reads_stored_values():
    # the reverse of the sweep reads the two values stored for it, never u:
    # u's overwritten elements are not stored
    text = source(*CASES[2])
    assert "_saved_u_items" not in text and "put back" not in text


def test_copy_back_moves_the_copy_loop_elements():
    # copy-back: the copy loop's reverse does not read u, the stencil loop's
    # reverse reads u and writes nothing of it
    text = source(heat_copy_back, HEAT, (0, 1))
    assert "'u' put back after the loop above" in text


def rewrite(code: str, sole=("u",)) -> str:
    """``restore_after_loops`` on ``code``, its statements ``u[...] = tape[...]``
    marked as puts-back."""
    stmts = ast.parse(code).body
    restores = {id(n): n for n in ast.walk(stmts[0]) if isinstance(n, ast.Assign)
                and isinstance(n.value, ast.Subscript) and n.value.value.id == "tape"}
    out = restore_after_loops(stmts, restores, set(sole))
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=out, type_ignores=[])))


LOOP = """
for i in range(n - 1, 0, -1):
    g = dv[i]
    dk += g * v[i - 1]
    u[i] = tape[t * n + i]
"""


def test_moves_a_put_back_nothing_else_mentions():
    assert rewrite(LOOP) == ("for i in range(n - 1, 0, -1):\n    g = dv[i]\n    dk += g * v[i - 1]\n"
                             "for i in range(n - 1, 0, -1):\n    u[i] = tape[t * n + i]")


@pytest.mark.parametrize("change", [
    ("dk += g * v[i - 1]", "dk += g * u[i - 1]"),           # the loop reads u
    ("g = dv[i]", "g = dv[i]\n    if g > 1.0:\n        break"),   # it may stop early
    ("u[i] = tape[t * n + i]", "u[i] = tape[t * n + i]\n    tape[0] = g"),   # writes the tape
    ("u[i] = tape[t * n + i]", "u[i] = tape[t * n + j]\n    j = i"),  # index set in the loop
    ("u[i] = tape[t * n + i]", "u[i] = tape[t * n + i]\n    n = 3"),  # bounds set in it
])
def test_what_keeps_a_put_back_in_its_loop(change):
    code = LOOP.replace(*change)
    assert rewrite(code) == ast.unparse(ast.parse(code))


def test_an_array_held_under_two_names_stays():
    assert rewrite(LOOP, sole=()) == ast.unparse(ast.parse(LOOP))


def test_elements_no_reverse_statement_reads_are_not_stored():
    assert "_saved_u_items" not in source(*CASES[3])
    assert "_saved_unew_items" not in source(*CASES[4])
    # the heat equation's reverse reads u, which the swap hands back to unew
    assert "_saved_unew_items" in source(*CASES[0])


SWEEP = """
dx = 1.0
for t in range(m - 1, -1, -1):
    unew, u = u, unew
    for i in range(n - 1, 0, -1):
        g = dv[i]
        dk += g
        unew[i] = tape[t * n + i]
    dk += u[0]
"""


def unread(code, sole=("u", "unew"), groups=({"u", "unew"},)):
    stmts = ast.parse(code).body
    restores = {id(n): n for n in ast.walk(ast.Module(body=stmts, type_ignores=[]))
                if isinstance(n, ast.Assign) and isinstance(n.value, ast.Subscript)
                and isinstance(n.value.value, ast.Name) and n.value.value.id == "tape"}
    return unread_puts_back(stmts, restores, set(sole), list(groups))


def test_which_puts_back_nothing_reads():
    # u is read after unew's elements are put back, and the swap gives u's
    # buffer to unew in the next iteration
    assert unread(SWEEP) == set()
    assert unread(SWEEP.replace("dk += u[0]", "dk += 1.0")) == {"unew"}
    # a read before the first put-back (in the reverse order of execution) is fine
    assert unread("x = unew[0]\n" + SWEEP.replace("dk += u[0]", "dk += 1.0")) == {"unew"}
    # a loop's next iteration runs its first statements again
    assert unread(SWEEP.replace("g = dv[i]", "g = unew[i - 1]").replace(
        "dk += u[0]", "dk += 1.0")) == set()
    # held under another name too
    assert unread(SWEEP.replace("dk += u[0]", "dk += 1.0"), sole=("u",)) == set()


def test_the_heat_steps_overwritten_elements_are_saved_before_the_step():
    text = source(*CASES[0])
    saves, step = loop_bodies(forward_part(text), "for i in range(1, n - 1):")
    assert [s for s in saves if not s.startswith("#")] == ["_saved_unew_items[t, i - 1] = unew[i]"]
    assert "unew[i] = _t10" in step and not any("_saved" in s for s in step)
    assert "# 'unew' saved in a loop of its own, before the loop that overwrites it" in text


def save_first(code: str, sole=("u",)) -> str:
    """``save_before_loops`` on ``code``, its statements ``tape[...] = u[...]``
    marked as saves."""
    stmts = ast.parse(code).body
    saves = {id(n): n for n in ast.walk(stmts[0]) if isinstance(n, ast.Assign)
             and isinstance(n.targets[0], ast.Subscript) and n.targets[0].value.id == "tape"}
    out = save_before_loops(stmts, saves, set(sole))
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=out, type_ignores=[])))


STEP = """
for i in range(1, n - 1):
    g = v[i - 1] + v[i + 1] + u[i - 1]
    tape[t, i - 1] = u[i + 1]
    u[i + 1] = g * w
"""


def test_saves_an_element_no_earlier_iteration_wrote_before_the_loop():
    # each iteration writes u[i + 1] (read by the next one as u[i - 1] two steps
    # on): the element saved in iteration i is the one from before the loop
    assert save_first(STEP) == (
        "for i in range(1, n - 1):\n    tape[t, i - 1] = u[i + 1]\n"
        "for i in range(1, n - 1):\n    g = v[i - 1] + v[i + 1] + u[i - 1]\n"
        "    u[i + 1] = g * w")
    # a row of a matrix, at an index the loop does not change
    two_d = STEP.replace("u[i + 1]", "u[j, i + 1]")
    assert save_first(two_d).startswith(
        "for i in range(1, n - 1):\n    tape[t, i - 1] = u[j, i + 1]\nfor i")


@pytest.mark.parametrize("change", [
    ("    tape[t, i - 1] = u[i + 1]", "    u[i + 1] = g\n    tape[t, i - 1] = u[i + 1]"),  # written first
    ("u[i + 1] = g * w", "u[i + 1] = g * w\n    u[i] = g"),      # another element written
    ("u[i + 1] = g * w", "u[2 * i] = g * w"),                     # another index
    ("tape[t, i - 1] = u[i + 1]\n    u[i + 1]", "tape[t, i - 1] = u[2 * i]\n    u[2 * i]"),
    ("u[i + 1] = g * w", "u[i + 1] = g * w\n    helper(u)"),     # passed on
    ("u[i + 1] = g * w", "u[i + 1] = g * w\n    u = v"),         # bound again
    ("g = v[i - 1]", "g = tape[t, 0] + v[i - 1]"),                # the tape read
    ("tape[t, i - 1] =", "k = i\n    tape[k, i - 1] ="),           # a slot the loop sets
    ("tape[t, i - 1] = u[i + 1]\n    u[i + 1]",                   # an index it sets
     "j = i + 1\n    tape[t, i - 1] = u[j]\n    u[j]"),
    ("u[i + 1] = g * w", "u[i + 1] = g * w\n    if g > 1.0:\n        break"),
    ("u[i + 1] = g * w", "u[i + 1] = g * w\n    n = 2"),          # its bounds
    ("u[i + 1] = g * w", "if g > 0.0:\n        g = -g\n    u[i + 1] = g * w"),  # a branch
])
def test_what_keeps_a_save_in_its_loop(change):
    code = STEP.replace(*change)
    assert save_first(code) == ast.unparse(ast.parse(code))


def test_an_array_held_under_two_names_is_saved_where_it_was():
    assert save_first(STEP, sole=()) == ast.unparse(ast.parse(STEP))
