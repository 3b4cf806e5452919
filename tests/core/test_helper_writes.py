"""What a called function writes into its arguments reaches the caller as NumPy
would have it, or the call is refused naming the user's code: a parameter
written into and bound to another value, an in-place ``out += v`` on a
parameter of a helper that is not inlined, a view of an argument a helper
writes into (all gave wrong values and gradients, silently); and the Hessian
of a write through an index array."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad
from tests.forward.jvpcheck import check_jvp

X = np.array([1.0, 2.0, 3.0])


def rebinds_after_writing(out, v):
    out[0] = v[0]
    out = v * 2.0
    return out[1]


def calls_rebinding(x):
    a = np.zeros(3)
    t = rebinds_after_writing(a, x)
    return np.sum(a) + t


def adds_in_place(out, v):
    if v[0] > 100.0:          # (an early return: not inlined)
        return 0.0
    out += v
    return 0.0


def calls_adding(x):
    a = np.zeros(3)
    t = adds_in_place(a, x)
    return np.sum(a * a) + t


def adds_through_a_slice(out, v):
    if v[0] > 100.0:
        return 0.0
    out[:] += v
    return 0.0


def calls_adding_through_a_slice(x):
    a = np.zeros(3)
    t = adds_through_a_slice(a, x)
    return np.sum(a * a) + t


def doubles(out):
    out *= 2.0


def calls_doubling(x):
    a = x * 1.0
    doubles(a)
    return np.sum(a)


def fills_first(out, v):
    if v[0] > 100.0:
        return 1
    out[0] = v[0] * v[0]
    return 0


def view_before_call(x):
    k = np.zeros(2)
    k0 = k[0:1]
    fills_first(k, x)
    return k0[0]


def refused(f, *messages):
    for transform in (sd.grad, sd.jvp):
        with pytest.raises(sd.TransformError) as e:
            g = transform(f, target="python")
            g(X) if transform is sd.grad else g(X, np.ones(3))
        for m in messages:
            assert m in str(e.value), str(e.value)
        assert "test_helper_writes.py:" in str(e.value)


def test_a_parameter_written_into_and_rebound_is_refused():
    """(The caller's array was replaced by the helper's new value: 10.0 for 5.0.)"""
    refused(calls_rebinding, "'rebinds_after_writing' writes into its argument 'out' and "
                             "also binds 'out' to another value")


@pytest.mark.parametrize("f", [calls_adding, calls_doubling])
def test_an_in_place_update_of_a_parameter_reaches_the_caller(f):
    """(``out += v`` in a helper that is not inlined was lost: 0.0 for 14.0; then
    refused, with the remedy ``out[:] += v``; NumPy updates the caller's array.)"""
    value, g = sd.value_and_grad(f, target="python")(X)
    assert value == f(X.copy())
    np.testing.assert_allclose(g, 2.0 * X if f is calls_adding else 2.0, rtol=1e-15)
    check_jvp(f, (X,), 0, "python")


def keeps_a_copy(out, v):
    out = out.copy()          # the update below is the helper's own
    if v[0] > 100.0:
        return 0.0
    out += v
    return np.sum(out * out)


def calls_keeping_a_copy(x):
    a = x * 2.0
    t = keeps_a_copy(a, x)
    return t + np.sum(a * a)


def test_an_update_of_a_copy_of_a_parameter_stays_in_the_helper():
    """(Refused as if it reached the caller's array.)"""
    assert sd.value_and_grad(calls_keeping_a_copy, target="python")(X)[0] == \
        calls_keeping_a_copy(X)
    check_jvp(calls_keeping_a_copy, (X,), 0, "python")


def doubles_a_number(c):
    c *= 2.0


def calls_doubling_a_number(x):
    c = x[0] * 1.0
    doubles_a_number(c)
    return c * x[1]


def test_an_in_place_update_of_a_number_is_refused():
    refused(calls_doubling_a_number, "'doubles_a_number' updates its argument 'c' with "
            "'c *= ...', but 'c' is a number here", "return the new value instead")


@pytest.mark.parametrize("target", ["python"])
def test_the_remedy_reaches_the_caller(target):
    value, g = sd.value_and_grad(calls_adding_through_a_slice, target=target)(X)
    assert value == calls_adding_through_a_slice(X) == 14.0
    np.testing.assert_allclose(g, 2.0 * X, rtol=1e-15)


def test_a_view_of_an_array_a_helper_writes_into_is_refused():
    """(The view kept the array from before the call: 0.0 for 9.0, in reverse and
    forward mode.)"""
    refused(view_before_call, "'k0' shares memory with array 'k'")


def index_written(x, idx):
    a = np.zeros(3)
    a[idx] = x * x
    return np.sum(a * x)


@pytest.mark.parametrize("target", ["python"])
def test_hessian_through_an_index_array_write(target):
    """``a[idx] = x * x`` keeps each element's last write (a mask from
    ``last_writes``, which had no rule for the second derivative)."""
    idx = np.array([0, 2, 2])
    h = sd.hessian(index_written, target=target)(X, idx)
    np.testing.assert_allclose(h, np.diag([6.0 * X[0], 0.0, 6.0 * X[2]]), rtol=1e-13)
    check_grad(index_written, (X, idx), target=target)


def bounds(v):
    if v[0] > 100.0:
        return 0.0, 0.0
    return v[0], v[1]


def product_of_bounds(x):
    lo, hi = bounds(x)
    return lo * hi


def pair_with_array(v):
    if v[0] > 100.0:
        return 0.0, v * 0.0
    return v[0] * v[1], v * v


def loop_over_pairs(x):
    s = 0.0
    for i in range(3):
        lo, arr = pair_with_array(x * (i + 1.0))
        s += lo * np.sum(arr) + np.sin(lo)
    return s


@pytest.mark.parametrize("f, target", [(product_of_bounds, "python"), (loop_over_pairs, "python"),
                                       (product_of_bounds, "cpu")],
                         ids=lambda c: getattr(c, "__name__", c))
def test_a_helper_returning_tuples_from_two_returns(f, target):
    """The adjoint of the returned tuple took contributions with ``+=`` of tuples
    (joining them) from an adjoint never set (UnboundLocalError, a Numba
    NotDefinedError on cpu)."""
    check_grad(f, (X,), target=target)


def invariant_slice_product(x, y):
    s = 0.0
    for t in range(3):
        s += np.sum(x[:2] * y)
    return s


def invariant_slice_into_rows(x, y):
    a = x * 1.0
    for t in range(2):
        a[t] = np.sum(a[t:t + 2] * x[:2])
    return np.sum(a * a)


@pytest.mark.parametrize("f, target", [(invariant_slice_product, "python"),
                                       (invariant_slice_into_rows, "python"),
                                       (invariant_slice_product, "cpu")],
                         ids=lambda c: getattr(c, "__name__", c))
def test_a_slice_the_loop_does_not_change_read_in_every_iteration(f, target):
    """Its adjoint, a view's worth added in every iteration, was summed in a number
    (``dx_sum = 0.0; dx_sum += array``): a Numba typing error on cpu."""
    check_grad(f, (X, np.array([0.5, -1.0])), target=target)


def scaled(v, c=2.0):
    return c * v * v


def shifted(v, s=1.0, k=3):
    return np.sin(v + s) * k


def fills_scaled(x, out, c=0.5):
    if x[0] > 100.0:          # (not inlined)
        return 0.0
    for i in range(x.shape[0]):
        out[i] = c * x[i] * x[i]
    return 1.0


def calls_with_defaults_and_keywords(x):
    s = scaled(x[0]) + scaled(x[1], 3.0) + scaled(c=4.0, v=x[2])
    s += shifted(x[0]) + shifted(x[1], k=2)
    o = np.zeros(3)
    r = fills_scaled(x, o)
    return s + np.sum(o) * r + fills_scaled(x, o, c=1.5)


def unknown_keyword(x):
    return scaled(x[0], d=1.0)


@pytest.mark.parametrize("target", ["python"])
def test_helpers_called_with_defaults_and_keywords(target):
    """(A left-out parameter with a default was refused, "'scaled' takes 2 arguments,
    called with 1", pointing at the helper's def line; keywords were refused.)"""
    check_grad(calls_with_defaults_and_keywords, (X,), target=target)


def test_a_call_that_misses_a_parameter_is_refused_at_the_call():
    with pytest.raises(sd.TransformError) as e:
        sd.grad(unknown_keyword, target="python")(X)
    assert "cannot call 'scaled' here: 'scaled' has no parameter 'd'" in str(e.value)
    assert "return scaled(x[0], d=1.0)" in str(e.value)


def tuple_holds_the_array(x):
    a = x * 1.0
    t = (a, 2.0)
    a[0] = 5.0
    return np.sum(t[0]) * t[1]


def test_an_alias_through_a_tuple_is_named_as_written():
    """(The message named the split tuple's element variable 't_0'.)"""
    with pytest.raises(sd.TransformError) as e:
        sd.grad(tuple_holds_the_array, target="python")(X)
    assert "'t[0]' shares memory with array 'a'" in str(e.value)
