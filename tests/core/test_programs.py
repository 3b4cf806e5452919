"""Programs a new user would write, checked against finite differences on both
targets, and the aliasing patterns that must be refused rather than
differentiated wrongly."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

from . import programs as P

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

rng = np.random.default_rng(1)
X3 = np.array([0.2, 0.5, 0.9])
CASES = [
    (P.ode_euler, (np.array([1.0, 0.0]), 2.0), (0, 1)),
    (P.arr_rebind, (rng.uniform(-1, 1, 4),), 0),
    (P.matvec_loop, (rng.uniform(-1, 1, (3, 3)), rng.uniform(-1, 1, 3)), (0, 1)),
    (P.nested_ret, (np.array([0.5, 0.9, 0.7]),), 0),
    (P.while_arr, (np.array([0.5, 0.9, 0.7]),), 0),
    (P.cond_expr_loop, (np.array([0.5, -0.9, 0.7]), 1.3), (0, 1)),
    (P.cont_while, (np.array([0.5, -0.9, 0.7, 0.2]),), 0),
    (P.slice_loop, (rng.uniform(-1, 1, 5),), 0),
    (P.two_d, (rng.uniform(-1, 1, (3, 3)),), 0),
    (P.where_clip, (np.array([0.5, -0.9, 0.7, 0.3, 0.1]),), 0),
    (P.reshape_T, (rng.uniform(-1, 1, 6),), 0),
    (P.scratch2, (rng.uniform(-1, 1, 4),), 0),
    (P.calls_arr, (rng.uniform(-1, 1, 4), 0.7), (0, 1)),
    (P.uses_tuple_ret, (rng.uniform(-1, 1, 4),), 0),
    (P.prod_axis, (rng.uniform(0.5, 1.5, (3, 4)),), 0),
    (P.power_stuff, (1.3, 0.7), (0, 1)),
    (P.slices_without_alias, (np.array([0.3, 0.5, 0.7]),), 0),
    (P.swap_loop, (0.3, 0.7), (0, 1)),
    (P.branch_assign, (X3,), 0),
    (P.slice_rebind, (X3,), 0),
    (P.ret_elem, (X3,), 0),
    (P.ret_param, (0.4,), 0),
    (P.ret_const, (0.4,), 0),
    (P.int_mix, (0.4, 3), 0),
    (P.neg_step_break, (np.array([0.9, 1.2, 1.5, 0.7]),), 0),
    (P.while_true, (3.0,), 0),
    (P.outer, (0.7, X3), (0, 1)),
    (P.axis_loop, (rng.uniform(-1, 1, (3, 4)),), 0),
    (P.quad, (rng.uniform(-1, 1, (3, 3)), X3), (0, 1)),
    (P.mixed_returns, (0.7,), 0),
    (P.self_ref, (X3,), 0),
    (P.elem_mul, (X3,), 0),
    (P.flag, (0.6, True), 0),
    (P.globals_use, (X3,), 0),
    (P.powers, (0.6,), 0),
    (P.relu_loop, (np.array([0.5, -0.3, 0.8]),), 0),
    (P.sigmoid, (X3,), 0),
    (P.float_i, (X3,), 0),
    (P.full_slice, (X3,), 0),
    (P.reversed_slice, (X3,), 0),
    (P.rows, (rng.uniform(-1, 1, (3, 4)),), 0),
    (P.closure_f, (0.8,), 0),
    (P.size_len, (X3,), 0),
    (P.carried_read_after, (0.4, 7), 0),
    (P.carried_nested, (0.3, 1.2), (0, 1)),
    (P.carried_while, (0.7,), 0),
    (P.carried_break, (0.2, 1.0), (0, 1)),
    (P.lorenz_rk4, (np.array([10.0, 28.0, 8.0 / 3.0]), 1.0, 300), (0, 1)),
    (P.tape_name_clash, (np.array([0.3, 0.2, 0.5, -0.5]), 0.4, 3), (0, 1)),
    (P.counter_index, (rng.uniform(-1, 1, 10), rng.uniform(-1, 1, 4), 3), (0, 1)),
    (P.counter_skips, (rng.uniform(-1, 1, 12), 4), 0),
    (P.counter_dot, (rng.uniform(-1, 1, 4), rng.uniform(-1, 1, 4)), (0, 1)),
]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("case", CASES, ids=[c[0].__name__ + "-" + str(k)
                                             for k, c in enumerate(CASES)])
def test_program_gradient(case, target):
    f, args, wrt = case
    check_grad(f, args, wrt=wrt, target=target)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_float32_accumulation(target):
    x = rng.uniform(-1, 1, 5).astype(np.float32)
    g = sd.grad(P.f32, target=target)(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2.0 * x, rtol=1e-5)


@pytest.mark.parametrize("f, line", [(P.alias_write, "u = x"), (P.view_write, "v = x[1:3]")])
def test_writing_through_an_alias_is_refused(f, line):
    with pytest.raises(sd.TransformError) as info:
        sd.grad(f, target="python")(np.array([0.3, 0.5, 0.7]))
    assert line in str(info.value)
    assert "shares memory" in str(info.value)


def tuple_params(p, x):
    a, b = p
    s = 0.0
    for i in range(x.shape[0]):
        s += a * math.sin(b * x[i])
    return s * p[0]


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_gradient_with_respect_to_a_tuple_is_a_tuple(target):
    x = np.array([0.2, 0.4, 0.9])
    p = (1.3, 0.7)
    g = sd.grad(tuple_params, wrt=(0, 1), target=target)(p, x)
    assert isinstance(g[0], tuple) and len(g[0]) == 2
    check_grad(tuple_params, (p, x), wrt=(0, 1), target=target)


def passes_tuple_whole(p):
    return helper_of_tuple(p)


@sd.function                  # called through its own adjoint (a small plain helper is inlined)
def helper_of_tuple(q):
    return q[0] * q[1]


def passes_tuple_to_small_helper(p):
    return plain_helper_of_tuple(p)


def plain_helper_of_tuple(q):
    return q[0] * q[1]


def test_a_differentiated_tuple_passed_whole_is_refused():
    with pytest.raises(sd.TransformError, match="tuple argument 'p'"):
        sd.grad(passes_tuple_whole, target="python")((1.0, 2.0))
    # inlined, the helper reads the elements of the caller's tuple
    assert sd.grad(passes_tuple_to_small_helper, target="python")((1.0, 2.0)) == (2.0, 1.0)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_helpers_writing_into_argument_arrays(target):
    x = np.array([0.3, 0.5, 0.7])
    check_grad(P.writes, (x,), wrt=0, target=target)
    check_grad(P.leapfrog, (x, 0.5 * x), wrt=(0, 1), target=target)


def uses_try(x):
    try:
        y = x * 2.0
    except ValueError:
        y = 0.0
    return y


def test_unsupported_construct_is_reported_when_the_transform_is_made():
    # no call needed: the type-independent passes run in sd.grad / @sd.function
    with pytest.raises(sd.TransformError, match="'try'") as info:
        sd.grad(uses_try)
    assert info.value.lineno == uses_try.__code__.co_firstlineno + 1
    with pytest.raises(sd.TransformError, match="'try'"):
        sd.function(uses_try)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_state_passed_through_a_tuple_returning_helper(target):
    # x, v = step(x, v): the adjoint must see the arguments of each call
    check_grad(P.oscillator, (np.array([1.7, 0.3]), 12), wrt=0, target=target)


def returns_array(x):
    return x * 2.0


def recursive(x, n):
    if n == 0:
        return x
    return recursive(x * x, n - 1)


def test_grad_of_an_array_valued_function_is_a_type_error():
    with pytest.raises(TypeError, match="needs a scalar result"):
        sd.grad(returns_array, target="python")(np.array([1.0, 2.0]))


def test_recursion_is_a_transform_error():
    with pytest.raises(sd.TransformError, match="recursive"):
        sd.grad(recursive, target="python")(0.5, 3)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_size_one_axes_broadcast_against_another_array(target):
    a = np.array([[0.5], [0.2], [0.9]])
    b = rng.uniform(-1, 1, (3, 4))
    check_grad(P.column_broadcast, (a, b), wrt=(0, 1), target=target)
