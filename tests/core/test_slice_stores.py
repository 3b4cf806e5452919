"""Slice code in loops becomes element loops (passes/lower.py): a slice with
constant bounds (``u[1:-1]``, ``u[2:]``, ``u[:-2]``) is a row, and a store
into a slice of an array no other name shares (``un[1:-1] = ...``, ``u[:] =
un``) is where an element loop can end.  Gradients against central
differences on both targets, the code it writes, and where it must not apply
(NumPy computes a right-hand side before it stores)."""
from __future__ import annotations

import re

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.bench.programs.option_fd import put_temporaries as american_put
from tests.core import slice_store_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(31)
S = np.linspace(0.0, 2.0, 9)
CASES = [(P.heat_copy_back, (rng.standard_normal(9), 0.2, rng.standard_normal(9), 4), (0, 1)),
         (P.heat_swap, (rng.standard_normal(9), 0.2, rng.standard_normal(9), 5), (0, 1)),
         (american_put, (0.3, 0.05, S, np.maximum(1.0 - S, 0.0) + 0.01 * S, 0.01, 6),
          (0, 1)),
         (P.in_place_stencil, (rng.standard_normal(8), 0.2, 3), (0, 1)),
         (P.sums_of_slices, (rng.standard_normal(6), 0.7, 2), (0, 1)),
         (P.horner_reversed, (rng.standard_normal(4), rng.standard_normal(3)), (0, 1)),
         (P.heat_2d, (rng.standard_normal((5, 6)), 0.15, 4), (0, 1)),
         (P.blocks_reduced, (rng.standard_normal((4, 5)), 0.7, 3), (0, 1)),
         (P.in_place_block, (rng.standard_normal((5, 4)), 0.2, 3), (0, 1)),
         (P.broadcast_one, (rng.standard_normal(5), np.array([0.2])), (0, 1)),
         (P.coupled_updates, (rng.standard_normal(4), 0.3, 3), (0, 1)),
         (P.local_grid_and_view, (rng.standard_normal(8), 0.2, 4), (0, 1)),
         (P.boundaries_2d, (rng.standard_normal((5, 4)), 0.2, 0.3, 3), (0, 1, 2)),
         (P.red_black, (rng.standard_normal(9), rng.standard_normal(9), 1.3, 3), (0, 1, 2)),
         (P.pairs_of_neighbours, (rng.standard_normal(10), 0.7, 2), (0, 1)),
         (P.rows_from_other_rows, (rng.standard_normal((4, 5)), 0.9, 2), (0, 1)),
         (P.rolled_back_tree, (100.0, 102.0, 0.95, 0.52, 6), (0, 1, 2, 3)),
         (P.ahead_then_after, (rng.standard_normal(6), 0.7, 3), (0, 1))]
IDS = [c[0].__name__ for c in CASES]
# the cpu target: the three lowered time loops (one compile each)
CPU = [c for c in CASES if c[0] in (P.heat_copy_back, P.heat_swap, american_put, P.heat_2d,
                                    P.red_black, P.rolled_back_tree, P.ahead_then_after)]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=IDS)
def test_gradient_matches_finite_differences(f, args, wrt):
    check_grad(f, args, wrt=wrt, target="python")


@pytest.mark.parametrize("f, args, wrt", CPU, ids=[c[0].__name__ for c in CPU])
def test_on_cpu(f, args, wrt):
    check_grad(f, args, wrt=wrt, target="cpu", check_value=False)


def source(f):
    f, args, wrt = next(c for c in CASES if c[0] is f)
    text = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    primal = text[:text.index(f"def {f.__name__}_grad")]      # as lowered
    return "\n".join(line for line in primal.splitlines() if not line.lstrip().startswith("#"))


@pytest.mark.parametrize("f", [P.heat_copy_back, P.heat_swap, american_put])
def test_time_loops_store_element_by_element(f):
    text = source(f)
    assert "[1:-1] = " not in text and "[2:]" not in text and "[:-2]" not in text
    # (the element loop's index is j, or _j2 where the function has a j of its own)
    assert re.search(r"\[_?j\d* \+ 1\] = ", text) and re.search(r"\[_?j\d* \+ 2\]", text)


def test_copy_back_and_maximum_are_element_loops():
    assert "u[:] = un" not in source(P.heat_copy_back)
    assert "np.maximum(Vn, payoff)" not in source(american_put)


def test_a_store_that_reads_what_it_writes_reads_a_copy():
    # (NumPy reads every old value before it stores: the element loop reads a
    # copy of the step's u, and stores element by element)
    text = source(P.in_place_stencil)
    assert "_u_old = u.copy()" in text and "copy_into(u[1:-1], " not in text, text
    assert re.search(r"u\[j \+ 1\] = ", text) and "_u_old[j + 2]" in text, text


def test_reductions_of_bounded_slices():
    text = source(P.sums_of_slices)
    assert "np.sum(" not in text.split("for k in range")[1] and "np.mean" not in text
    assert "x.shape[0] - 2" in text or "A.shape[1] - 2" in text


def test_a_loop_over_a_reversed_slice_reads_the_array_backwards():
    text = source(P.horner_reversed)
    assert "[::-1]" not in text and "d[" in text


def test_blocks_are_nested_element_loops():
    text = source(P.heat_2d)
    assert "un[j + 1, k + 1] = " in text and "u[j + 2, k + 1]" in text
    assert "[1:-1, 1:-1]" not in text
    text = source(P.blocks_reduced)
    assert text.count("np.sum(") == 1 and "np.mean" not in text      # (np.sum(B * B) after)
    assert "A[j + 1, _k2] " in text.replace("\n", " ") and " / count" in text
    # rows k % 2 and (k + 1) % 2 of B, not known to differ, read and stored at the same
    # place along their sliced axes: step (j, l) reads only what no earlier step stored,
    # so the element loop reads B itself, no copy (lower.py ``_beside``)
    assert "B[(k + 1) % 2, _j" in text and "B.copy()" not in text, text
    assert "copy_into(B[k % 2, :, :], " not in text
    text = source(P.in_place_block)
    assert "_u_old = u.copy()" in text and "copy_into(u[1:-1, 1:-1], " not in text, text


def test_an_array_of_unknown_length_read_whole_is_read_as_numpy_broadcasts_it():
    text = source(P.broadcast_one)
    assert "p[j * p_step]" in text and "p_step = n > 1" in text
    # (its gradient: CASES, against finite differences)
    value = sd.value_and_grad(P.broadcast_one, wrt=(0, 1), target="python")(
        np.arange(4.0), np.array([0.2]))[0]
    assert value == pytest.approx(P.broadcast_one(np.arange(4.0), np.array([0.2])), rel=1e-15)
    assert "np.maximum(Vn, payoff)" not in source(american_put)    # Vn: payoff's copy


def test_a_temporary_is_not_moved_past_a_store_into_what_it_reads():
    args = (np.array([1.0, 0.0, 2.0]), 3.0, 1)
    value = sd.value_and_grad(P.coupled_updates, wrt=(0, 1), target="python")(*args)[0]
    assert value == P.coupled_updates(*args)


def test_arrays_made_in_the_function_and_their_views_are_read_by_element():
    assert "un[1:-1] = " not in source(P.local_grid_and_view)


def test_numbers_stored_into_rows_are_element_loops_of_a_parameters_length():
    text = source(P.boundaries_2d)
    assert "un[0, :] = " not in text and "un[:, -1] = " not in text
    assert "range(u0.shape[1])" in text and re.search(r"un\[0, _?j\d*\] = 0.0", text)


@pytest.mark.parametrize("n", [9, 10])
def test_red_black_sweeps_are_element_loops_of_every_other_point(n):
    args = (rng.standard_normal(n), rng.standard_normal(n), 1.3, 3)
    check_grad(P.red_black, args, wrt=(0, 1, 2), target="python")
    text = source(P.red_black)
    assert ":2]" not in text and "::2]" not in text
    # (9 - 1) // 2 = 4 odd points 1..7, (9 - 2) // 2 = 3 even points 2..6
    assert "for j in range((f.shape[0] - 1) // 2):" in text and "u[j * 2 + 1] = " in text
    assert re.search(r"for (\w+) in range\(\(f.shape\[0\] - 2\) // 2\):", text)


def test_strided_rows_cut_differently_stay_array_code():
    text = source(P.pairs_of_neighbours)
    assert "x[::2]" in text and "x[1::2]" in text           # NumPy raises for odd lengths
    assert "x[1::3]" not in text and "x[2:-1:2]" not in text
    assert "range((x.shape[0] + 1) // 3)" in text
    with pytest.raises(ValueError, match="broadcast"):
        sd.value_and_grad(P.pairs_of_neighbours, wrt=(0, 1), target="python")(
            rng.standard_normal(9), 0.7, 2)


def test_a_row_stored_from_another_row_is_an_element_loop():
    text = source(P.rows_from_other_rows)
    assert "U[0, :]" not in text and "U[1, :]" not in text and "U[-2, :]" not in text
    assert re.search(r"U\[0, j\] = ", text)


def test_a_row_read_ahead_of_the_row_stored_reads_no_copy():
    # (step j reads V[j + 1] before step j + 1 stores it)
    text = source(P.rolled_back_tree)
    assert ".copy()" not in text and "V[:step + 1] = " not in text, text
