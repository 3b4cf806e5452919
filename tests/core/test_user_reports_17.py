"""Fixes from the seventeenth session's reports: each test fails before its fix."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.core import user17_funcs as U
from tests.fdcheck import check_grad

A = np.linspace(-1.0, 1.0, 7)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", [
    (U.int_state_becomes_float, (A, 3), (0,)),
    (U.int_zeros_accumulated, (A, 3), (0,)),
    (U.int_counts_scaled, (A, 0.5), (0, 1)),
    (U.int_counts_scaled, (A, -0.5), (0, 1)),
], ids=["arange", "zeros_int64", "branch_pos", "branch_neg"])
def test_integer_arrays_rebound_to_floats(f, args, wrt, target):
    # NumPy converts at the first float operation; the compiled code converts at the binding
    # (was: an AttributeError from inside Numba's typing on cpu, UFuncTypeError on python)
    check_grad(f, args, wrt=wrt, target=target)
    value, _ = sd.value_and_grad(f, wrt=wrt, target=target)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)


X = np.array([0.3, -0.2, 0.7, 1.1])


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("x, mode", [(X, "square"), (-X, "square"), (X, "other"), (-X, "other")],
                         ids=["square_pos", "square_neg", "other_pos", "other_neg"])
def test_string_flags_beside_values_in_one_test(x, mode, target):
    # was: TransformError "unsupported constant 'square'" when the transform was made
    check_grad(U.mode_and_value, (x, mode), wrt=(0,), target=target)
    value, _ = sd.value_and_grad(U.mode_and_value, target=target)(x, mode)
    assert value == pytest.approx(U.mode_and_value(x, mode), rel=1e-12)


@pytest.mark.parametrize("mode", ["repeat", "once"])
def test_string_flag_in_a_while_test(mode):
    check_grad(U.mode_in_while, (X, mode, 3), wrt=(0,), target="cpu")
    value, _ = sd.value_and_grad(U.mode_in_while, target="cpu")(X, mode, 3)
    assert value == pytest.approx(U.mode_in_while(X, mode, 3), rel=1e-12)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_state_transposed_each_step(target):
    # was on cpu: Numba's "Don't know how to allocate array with layout 'A'"
    rng = np.random.default_rng(4)
    check_grad(U.transposed_each_step, (0.5 * rng.standard_normal((3, 4)), 3), wrt=(0,),
               target=target)
    check_grad(U.transposed_twice, (rng.standard_normal((4, 4)), rng.standard_normal((4, 4)), 3),
               wrt=(0, 1), target=target)


def test_no_copy_where_numba_makes_c_order_anyway():
    rng = np.random.default_rng(5)
    args = (rng.standard_normal((3, 3)), 2)
    source = sd.grad(U.symmetrized_each_step, target="python").source_for(*args)
    assert ".copy()" not in source
    check_grad(U.symmetrized_each_step, args, wrt=(0,), target="cpu")
    # (a 3x3 state given as the argument is written as nine numbers: 5x5 keeps the array)
    big = (rng.standard_normal((5, 5)), 2)
    source = sd.grad(U.transposed_each_step, target="python").source_for(*big)
    assert "= _f1.copy()" in source
    check_grad(U.transposed_each_step, big, wrt=(0,), target="cpu")
