"""Arrays of one shape re-bound in a loop are saved on stacks of rows, a copy
per push, when nothing ever writes into their buffers; otherwise in lists
(passes/tape.py, ``Planner.row_dtype``): gradients against central
differences, the tapes chosen, and where they must not be."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import sourcediff as sd
from tests.core import row_stack_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(3)
X = rng.standard_normal((7, 3))
Y = rng.standard_normal(7)
# (more than 16 coefficients: the transform does not specialize on their number)
XW, YW = rng.standard_normal((24, 20)) / 4.0, rng.standard_normal(24)
CASES = {
    "momentum_fit": (P.momentum_fit, (rng.standard_normal(20) / 4.0, XW, YW, 4), (0, 1)),
    "pendulums": (P.pendulums, (rng.standard_normal((3, 8)), rng.standard_normal((3, 8)), 0.1, 5),
                  (0, 1)),
    "written_after": (P.written_after, (rng.standard_normal(3), X, Y, 4), (0, 1)),
    "alias_read": (P.alias_read, (rng.standard_normal(3), X, Y, 4), (0, 1)),
    "written_after_kept": (P.written_after_kept, (rng.standard_normal(3), X, Y, 4), (0, 1)),
    "growing": (P.growing, (rng.standard_normal(3), 4), (0,)),
    "springs": (P.springs, (rng.standard_normal((3, 2)), 0.7, 0.05, 6), (0, 1)),
    "filled_then_moved": (P.filled_then_moved, (rng.standard_normal(20), 0.8, 4), (0, 1)),
    "warm_start": (P.warm_start, (rng.standard_normal(20) / 4.0, XW, YW, 4), (0, 1)),
    "finite_volume": (P.finite_volume, (1.0 + 0.3 * rng.standard_normal(20), 0.1, 0.05, 5),
                      (0, 1)),
    "line_solves": (P.line_solves, (2.0 + rng.random(6), rng.standard_normal(6), 4), (0, 1)),
    # (7 points against 5: the two lengths are not one)
    "kernel_sinkhorn": (P.kernel_sinkhorn, (X[:, :2], rng.standard_normal((5, 2)), 0.8, 4),
                        (0, 1)),
}


@pytest.mark.parametrize("name", CASES)
def test_gradient_matches_finite_differences(name):
    f, args, wrt = CASES[name]
    check_grad(f, args, wrt=wrt, target="python")


def test_compiled():
    # (one compile: rows of a literal length, copied in and read back by Numba)
    f, args, wrt = CASES["springs"]
    check_grad(f, args, wrt=wrt, target="cpu")


def source(name):
    f, args, wrt = CASES[name]
    return sd.grad(f, wrt=wrt, target="python").source_for(*args)


def test_a_state_of_a_parameters_columns_goes_on_a_stack_of_rows():
    text = source("momentum_fit")
    # the residual: rows of the lengths the parameters give, allocated once; w, stored
    # into in place by an element loop (passes/lower.py _carry_in_place): its elements
    assert "_saved_r = np.empty((max(iters, 0), X.shape[0]), np.float64)" in text
    assert "store_row(_saved_r, _saved_r_top, r)" in text and "r = _saved_r[_saved_r_top]" in text
    assert "'r' (line 15), on the stack _saved_r, allocated once before line 14 with room " \
           "for max(iters, 0) arrays of its shape" in text
    assert "_saved_w_items = np.empty((max(iters, 0), max(X.shape[1], 0)), np.float64)" in text
    # (X.T is read once, before the loop: passes/hoist.py)
    assert "= []" not in text


@pytest.mark.parametrize("name, allocation", [
    # a parameter's shape (the state is updated in place by an element loop:
    # its elements before each step, passes/lower.py _carry_in_place)
    ("pendulums", "_saved_p_items = np.empty((max(steps, 0), max(p0.shape[0], 0), max(p0.shape"),
    # the specialized shape of p0 and np.zeros((3, 2)) are one shape: d = p[j] - p[i] is a
    # row of two (the pair loop, three trips, unrolled: three pushes of d per i)
    ("springs", ("_saved_d = np.empty((max(steps, 0) * 3 + max(steps, 0) * 3 + max(steps, 0) "
                 "* 3, 2), np.float64)")),
    # np.zeros(n + 1) less one element at either end, np.roll: u0's length
    ("finite_volume", "_saved_u = np.empty((max(steps, 0), u0.shape[0]), np.float64)"),
    # filled before the loop, then a new array filled and handed on each step
    ("filled_then_moved", "_saved_alpha = np.empty((max(steps, 0), a0.shape[0]), np.float64)"),
    # a second name for the array, only read: copied too
    ("alias_read", "_saved_prev = np.empty((max(iters, 0), 3), np.float64)"),
    # K @ v has K's rows, K.T @ u its columns: K is exp of a sum along the last axis of a
    # broadcast of x[:, None, :] and y[None, :, :] (passes/shapes.py: np.expand_dims, whole
    # slices, constant keywords)
    ("kernel_sinkhorn", "np.empty((max(iters, 0), C.shape[1]), np.float64)"),
    # written after each binding, but no other name holds it (Planner.sole): its old
    # arrays are written by no one
    ("line_solves", "_saved_cp = np.empty((max(steps, 0), n), np.float64)"),
])
@pytest.mark.usefixtures("put_back")
def test_the_stack_of_rows_allocated(name, allocation):
    text = source(name)
    assert allocation in " ".join(text.split()) and "= []" not in text   # (lines joined)


def test_the_length_of_a_slice_is_at_least_zero():
    from sourcediff.passes.shapes import _grown, shape_axes
    from sourcediff.passes.types import array
    types = {"x": array(np.float64, 1)}
    key = _grown(("param", "x"), -2)
    assert key == ("grow", ("param", "x"), -2)
    assert ast.unparse(shape_axes(key, 1, types)[0]) == "max(x.shape[0] - 2, 0)"
    assert _grown(_grown(("param", "x"), 1), -1) == ("param", "x")
    assert _grown(("const", (3,)), -5) == ("const", (0,))


@pytest.mark.parametrize("name, var", [("written_after_kept", "w"), ("growing", "w"),
                                       ("warm_start", "w")])
def test_what_keeps_a_list(name, var):
    # written into after it is made; no one shape; first bound by an earlier loop, which
    # may run no iteration (its first save may be of no array of that shape)
    assert f"_saved_{var} = []" in source(name)
