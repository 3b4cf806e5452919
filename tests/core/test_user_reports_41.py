"""A tester's probes of the element loops (passes/lower.py) and of the reverse
sweep's merged adds (passes/reverse.py ``merge_scatters``): each program here
gave a wrong value or gradient, silently, before its fix.  Values against the
function, gradients against central differences, or the refusal NumPy's
aliasing needs."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def sum_then_store(u0, c, n):
    # u[1:-1] read by a lowered sum and again by a store whose other operand is
    # a small array: the store stays array code, and read the sum's last element
    u = u0.copy()
    s = 0.0
    d = np.array([1.0, 2.0, 3.0, 4.0])
    for t in range(n):
        s += np.sum(d * u[1:-1])
        u[1:-1] = u[1:-1] + c * d
    return s + np.sum(u * u)


def sum_then_store_row(X0, c, n):
    X = X0.copy()
    s = 0.0
    d = np.array([1.0, 2.0, 3.0, 4.0])
    for t in range(n):
        s += np.sum(d * X[t])
        X[t] = X[t] + c * d
    return s + np.sum(X * X)


def two_slices_of_a_row(W, x, h0, n):
    # two parts of one row: the first part's add into dx[t] was merged past the
    # zeroing of its buffer (the gradient of x[:, 0] was 0)
    h = h0.copy()
    for t in range(1, n):
        z = np.concatenate((x[t][1:], h, x[t][:1]))
        h = np.tanh(W @ z)
    return np.sum(h * h)


rng = np.random.default_rng(17)
U0 = np.array([0.5, -1.0, 2.0, 0.3, -0.7, 1.1])
CASES = {
    "sum_then_store": (sum_then_store, (U0, 0.3, 2), (0, 1)),
    "sum_then_store_row": (sum_then_store_row, (np.arange(12.0).reshape(3, 4) * 0.1, 0.3, 3),
                           (0, 1)),
    "two_slices_of_a_row": (two_slices_of_a_row, (0.5 * rng.standard_normal((4, 7)),
                                                  rng.standard_normal((5, 3)),
                                                  rng.standard_normal(4), 5), (0, 1, 2)),
}


# (compiled for one: a cpu compile is seconds of the suite's time)
@pytest.mark.parametrize("name, target", [(n, "python") for n in CASES] +
                         [("two_slices_of_a_row", "cpu")])
def test_values_and_gradients(name, target):
    f, args, wrt = CASES[name]
    value, _ = sd.value_and_grad(f, wrt=wrt, target=target)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    check_grad(f, args, wrt=wrt, target=target)


def view_after_a_store(u0, c, n):
    u = u0.copy()
    s = 0.0
    for t in range(n):
        mid = u[1:-1]
        u[1:-1] = mid + c * u[:-2]
        s += np.sum(mid * mid)          # NumPy: mid shows the stored values
    return s + np.sum(u * u)


def view_not_stored(u0, c, n):
    u = u0.copy()
    s = 0.0
    for t in range(n):
        mid = u[:-2]
        u[1:-1] = np.sin(u[:-2]) + c
        s += np.sum(mid)
    return np.sum(u * u) + s


def row_view_after_a_store(U0, c, n):
    U = U0.copy()
    s = 0.0
    for t in range(n):
        row = U[1]
        U[1] = U[2] * c + row
        s += np.sum(row)
    return np.sum(U * U) + s


@pytest.mark.parametrize("f, args, name", [
    (view_after_a_store, (U0, 0.3, 2), "mid"), (view_not_stored, (U0, 0.3, 2), "mid"),
    (row_view_after_a_store, (np.arange(12.0).reshape(3, 4) * 0.1, 0.3, 3), "row")])
def test_a_view_read_after_a_store_into_its_array_is_refused(f, args, name):
    # (the copy a store's right-hand side reads must not serve a view read after
    # the store: NumPy's view shows the stored values)
    with pytest.raises(sd.TransformError, match=f"'{name}' shares memory with array"):
        sd.value_and_grad(f, wrt=(0, 1), target="python")(*args)


def tanh_then_row_store(P0, n):
    # tanh's adjoint reads its result, an array P then holds and a row store
    # changes: the value pushed for it was a copy taken after the change
    P = P0.copy()
    s = 0.0
    for t in range(n):
        P = np.tanh(P)
        s += P[1, 0]
        P[1] = P[0]
    return s + np.sum(P)


def scaled_then_row_store(P0, n):
    P = P0.copy()
    s = 0.0
    for t in range(n):
        P = P / (1.0 + np.sum(P))
        s += np.sum(P[1])
        P[1] = P[0]
    return s + np.sum(P * P)


@pytest.mark.parametrize("f, shape, target", [
    (f, shape, "python") for f in (tanh_then_row_store, scaled_then_row_store)
    for shape in ((2, 2), (20, 21))] + [(tanh_then_row_store, (20, 21), "cpu")])
def test_a_result_read_in_reverse_after_a_row_store_into_its_array(f, shape, target):
    P0 = 0.01 * np.arange(float(np.prod(shape))).reshape(shape) + 0.1
    value, _ = sd.value_and_grad(f, wrt=(0,), target=target)(P0, 2)
    assert value == pytest.approx(f(P0, 2), rel=1e-12)
    check_grad(f, (P0, 2), wrt=(0,), target=target)


def scale_in_place(P, c):
    P *= c
    return P


def helper_scales_its_argument(x0, c, n):
    P = x0.copy()
    s = 0.0
    for t in range(n):
        Q = scale_in_place(P, c)
        s += np.sum(Q * P)
    return s


def alias_scaled(x0, c, n):
    P = x0.copy()
    s = 0.0
    for t in range(n):
        Q = P
        P *= c
        s += np.sum(Q)
    return s


def row_view_scaled(P0, c, n):
    P = P0.copy()
    s = 0.0
    for t in range(n):
        r = P[0]
        P += c * P
        s += np.sum(r)
    return s


@pytest.mark.parametrize("f, args", [
    (helper_scales_its_argument, (np.ones(2), 2.0, 1)),
    (helper_scales_its_argument, (np.ones(24), 2.0, 1)),
    (alias_scaled, (np.array([1.0, 2.0]), 2.0, 1)),
    (alias_scaled, (np.ones(24), 2.0, 1)),
    (row_view_scaled, (np.ones((2, 2)), 1.0, 1)),
    (row_view_scaled, (np.ones((20, 21)), 1.0, 1))])
def test_an_in_place_update_seen_through_another_name_is_refused(f, args):
    # (x *= c writes into the array Q, r or the caller's P also hold: NumPy
    # changes both, an element loop or a new buffer would not)
    with pytest.raises(sd.TransformError, match="shares memory with array"):
        sd.value_and_grad(f, wrt=(0, 1), target="python")(*args)


def literal_viewed(x0, c, n):
    d = np.array([x0[0], x0[1], x0[2], c])
    s = 0.0
    for t in range(n):
        e = d[1:3]
        d[2] = d[2] * c + d[0]
        s += e[1]
    return s


def literal_rows_swapped(x0, c, n):
    A = np.array([[x0[0], x0[1]], [x0[2], c]])
    for t in range(n):
        A[0], A[1] = A[1], A[0]
        A = A * c + 0.1
    return np.sum(A)


@pytest.mark.parametrize("f, message, line", [
    (literal_viewed, "'e' shares memory with array 'd'", "e = d[1:3]"),
    (literal_rows_swapped, "a view this line takes shares memory with array 'A'",
     "A[0], A[1] = A[1], A[0]")])
def test_an_alias_of_a_literal_array_is_refused_at_the_view(f, message, line):
    # (the message named the literal's allocation and a temporary, '_t6', before)
    with pytest.raises(sd.TransformError) as info:
        sd.value_and_grad(f, wrt=(0, 1), target="python")(np.ones(6), 0.7, 3)
    assert message in str(info.value) and line in str(info.value), str(info.value)


def slice_scaled_then_rebound(u0, c):
    # the adjoint of u[1:-1] * c reads the view _t1 = u[1:-1]: the put-back of the
    # slice must reach u's buffer, not a copy of u pushed before u = u + 0.5
    u = u0.copy()
    u[1:-1] = u[1:-1] * c
    u = u + 0.5
    return np.sum(u[1:-1] ** 2)


def row_scaled_then_rebound(P0, c):
    P = P0.copy()
    P[0] = P[0] * c
    P = P + 0.5
    return np.sum(P * P)


@pytest.mark.parametrize("f, args, target", [
    (slice_scaled_then_rebound, (np.array([0.3, -0.7, 1.1, 0.4]), 0.5), "python"),
    (slice_scaled_then_rebound, (np.linspace(-1.0, 1.0, 24), 0.5), "python"),
    (slice_scaled_then_rebound, (np.linspace(-1.0, 1.0, 24), 0.5), "cpu"),
    (row_scaled_then_rebound, (np.arange(6.0).reshape(2, 3) * 0.1, 0.5), "python")])
def test_a_slice_store_before_the_array_is_rebound(f, args, target):
    # (d/dc was half its value: 1.05 against 2.1)
    check_grad(f, args, wrt=(0, 1), target=target)
