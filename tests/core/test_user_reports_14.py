"""What a new user met in the fourteenth session: ``np.array([0, 0, -g])``,
whose first item is an integer literal, was typed as an integer array (as
``np.array([i, i + 1])`` of integers is), so its float items had no
derivative: a zero gradient and a right value."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

import sourcediff as sd


def projectile_height(g, v0, dt, n):
    acc = np.array([0, 0, -g])
    x = np.zeros(3)
    v = v0.copy()
    for i in range(n):
        v = v + dt * acc
        x = x + dt * v
    return x[2]


def literal_first_items(a, b):
    y = np.array([-1, a, 2 * b])
    z = np.array([0, 0, a, 0])
    w = np.array([True, a > 0])          # a mask: booleans
    idx = np.array([0, 2])               # an index array: integers
    m = np.array([[0, a], [1, 2]])
    return np.sum(y * y) + z[2] * b + np.sum(y[idx]) + w[1] * a + np.sum(m @ m)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_array_of_an_integer_literal_and_floats_is_floats(target):
    check_grad(projectile_height, (9.81, np.array([1.0, 0.0, 10.0]), 0.01, 20),
               wrt=(0, 1), target=target)
    check_grad(literal_first_items, (0.3, 0.7), wrt=(0, 1), target=target)


def test_arrays_of_integer_literals_stay_integers():
    text = sd.grad(literal_first_items, wrt=(0, 1), target="python").source_for(0.3, 0.7)
    primal = text[:text.index("def literal_first_items_grad")]
    assert primal.count("= np.float64") == 2 and "= np.bool" in primal
    value, _ = sd.value_and_grad(literal_first_items, wrt=(0, 1), target="python")(0.3, 0.7)
    assert value == pytest.approx(literal_first_items(0.3, 0.7), rel=1e-14)


# -- helpers returning early are inlined (passes/inline.py: _single_exit) ----
def _piece(x, c):
    if x < 0.0:
        return c[0] * x
    return c[1] * x


def _clipped(x, lo, hi):
    if x < lo:
        return lo, 0.0
    elif x > hi:
        if x > 2.0 * hi:
            return hi, 2.0
        return hi, 1.0
    else:
        y = x * x
    return y, x


def _search(v, x):
    for k in range(v.shape[0]):
        if v[k] > x:
            return v[k] * x            # a return in a loop: stays a call
    return x


def piecewise_loss(c, xs):
    s = 0.0
    for i in range(xs.shape[0]):
        r = _piece(xs[i], c)
        a, b = _clipped(xs[i] * c[0], -0.5, 0.4)
        s += r * r + a * b + _search(c, xs[i])
    return s


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_helpers_returning_early(target):
    xs = np.linspace(-1.3, 1.7, 23)
    check_grad(piecewise_loss, (np.array([0.7, 1.3]), xs), wrt=0, target=target)


def test_a_helper_returning_early_is_inlined():
    text = sd.value_and_grad(piecewise_loss, wrt=0, target="python").source_for(
        np.array([0.7, 1.3]), np.linspace(-1.3, 1.7, 5))
    assert "def _piece" not in text
    assert "def _clipped" in text                # numbers only: a call allocates nothing
    assert "def _search" in text                 # its return is inside a loop
    assert "(inlined at piecewise_loss:" in text


# -- a number joined with an array (np.append, np.hstack) --------------------
def prepended(x, a):
    y = np.append(0.0, a * x)
    z = np.hstack((a, x * x))
    w = np.hstack((x, 1.0))
    v = np.append(1, x) + np.hstack((2, x))
    return np.sum(y[1:] * y[:-1]) + np.sum(z * z) + np.sum(w * w) + np.sum(v * v) + \
        np.sum(np.append(a, a * a)) + np.sum(np.hstack((a, 2.0 * a)))


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_number_joined_with_an_array(target):
    check_grad(prepended, (np.linspace(-1.0, 1.3, 7), 0.7), wrt=(0, 1), target=target)


def array_of_a_tuple_variable(a, b):
    t = (1.0, a, b)
    y = np.array(t)
    return y[1] * y[2]


def test_array_of_a_tuple_variable_is_refused_where_it_is_made():
    with pytest.raises(sd.TransformError, match=r"np.array\(\) of a tuple variable") as e:
        sd.grad(array_of_a_tuple_variable, wrt=(0, 1), target="python")(0.3, 0.4)
    assert "y = np.array(t)" in str(e.value) and "test_user_reports_14.py:" in str(e.value)


def chained_subscript_store(x):
    B = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            B[i][j] = x[i] * x[j]
    return np.sum(B)


def test_a_chained_subscript_store_names_the_one_subscript_to_write():
    with pytest.raises(sd.TransformError, match=r"write B\[i, j\] = \.\.\. \(one subscript\)"):
        sd.grad(chained_subscript_store, target="python")(np.array([0.3, 0.4]))


# -- a loop's bound rebound in its body (found by a tester) -----------------
def bound_rebound(x, n):
    y = x
    for i in range(n):              # range(n) is evaluated once
        y = y * math.sin(y)
        n = n + 1
    return y


def bound_rebound_inside(x, n, m):
    y = x
    for i in range(n):
        for j in range(m):
            y = y + 0.1 * math.cos(y * (j + 1))
            n += 1
            m = m + 2
    return y + n


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("n", [0, 1, 3])
def test_a_loop_whose_bound_is_rebound_in_its_body(target, n):
    check_grad(bound_rebound, (0.7, n), wrt=0, target=target)
    check_grad(bound_rebound_inside, (0.7, n, 2), wrt=0, target=target)
    for checkpoint in (None, 2):
        g = sd.grad(bound_rebound, target=target, checkpoint=checkpoint)
        assert g(0.7, n) == pytest.approx(sd.grad(bound_rebound, target="python")(0.7, n),
                                          rel=1e-12)


# -- a helper that can return None (found by a tester) ----------------------
def _falls_off(x, c):
    if x > 0.5:
        return x * c


def sums_falls_off(x, c):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + _falls_off(x[i], c)
    return s


def _always(x, c):
    if x > 0.5:
        return x * c
    elif x > 0.0:
        return x
    else:
        if x < -1.0:
            return -x
        return c
    y = 2.0                   # (never reached)
    return y


def sums_always(x, c):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + _always(x[i], c)
    return s


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_helper_that_can_return_none_is_refused(target):
    with pytest.raises(sd.TransformError, match="'_falls_off' can reach its end without a "
                                                "return") as e:
        sd.value_and_grad(sums_falls_off, wrt=(0, 1), target=target)(np.array([0.2, 0.7]), 0.7)
    assert "def _falls_off(x, c):" in str(e.value)
    check_grad(sums_always, (np.array([-1.5, -0.3, 0.2, 0.7]), 0.7), wrt=(0, 1), target=target)


# -- a number read from an earlier iteration, bound only in the loop ---------
def previous_value(x, n):
    s = x
    for i in range(n):
        if i > 0:
            s = s + prev * 0.5     # noqa: F821 (bound in the previous iteration)
        prev = math.sin(s)  # noqa: F841
    return s


def previous_value_nested(x, n):
    s = x
    for t in range(2):
        for i in range(n):
            if t + i > 0:
                s = s + last * 0.5     # noqa: F821 (from an earlier iteration)
            last = math.cos(s) * (i + 1)  # noqa: F841
    return s


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_number_read_from_an_earlier_iteration(target):
    check_grad(previous_value, (0.7, 4), wrt=0, target=target)
    check_grad(previous_value_nested, (0.7, 3), wrt=0, target=target)
    check_grad(previous_value_nested, (0.7, 1), wrt=0, target=target)


# -- an integer array copied into a state that holds floats (found by a tester)
def integer_start(y0, k):
    y = y0.copy()              # integers, then floats
    z = y0
    for t in range(2):
        y = y * k + y0
        z = z * 0.5 + y
    return np.sum(y) + np.sum(z * z)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_an_integer_array_copied_into_a_float_state(target):
    y0 = np.arange(1, 4)
    value, dk = sd.value_and_grad(integer_start, wrt=1, target=target)(y0, 0.7)
    assert value == pytest.approx(integer_start(y0, 0.7), rel=1e-14)
    h = 1e-6
    fd = (integer_start(y0, 0.7 + h) - integer_start(y0, 0.7 - h)) / (2 * h)
    assert dk == pytest.approx(fd, rel=1e-6)
    assert y0.dtype.kind == "i" and list(y0) == [1, 2, 3]


# -- a helper's bool default (found by a tester) -----------------------------
def _scaled(x, c=2.0, flip=False):
    if flip:
        return -c * x
    return c * x * x


def with_bool_default(x, c):
    s = 0.0
    for i in range(x.shape[0]):
        s += _scaled(x[i], c=c) + _scaled(x[i], flip=True)
    return s


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_left_out_bool_parameter_takes_its_default(target):
    check_grad(with_bool_default, (np.array([0.3, -0.7, 1.1]), 0.7), wrt=(0, 1), target=target)


# -- swaps in an inner and an outer loop (found by a tester) ------------------
def swaps_at_two_levels(u0, k, n):
    u = u0.copy()
    un = u0.copy()
    for i in range(n):
        for j in range(2):                      # a swap in the inner loop ...
            un[1:-1] = u[1:-1] + k * (u[2:] - 2 * u[1:-1] + u[:-2])
            u, un = un, u
        un[1:-1] = 0.5 * (u[1:-1] + u[2:])      # ... and one in the outer loop
        u, un = un, u
    return np.sum(u * u)


def true_alias_in_a_loop(u0, k, n):
    u = u0.copy()
    v = u
    for i in range(n):
        u[0] = u[0] * k                         # seen through v as well
        v, u = u, v
    return np.sum(v * u)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_swaps_at_two_levels(target):
    check_grad(swaps_at_two_levels, (np.linspace(0.2, 1.0, 6), 0.2, 3), wrt=(0, 1),
               target=target)


def test_a_true_alias_swapped_is_still_refused():
    with pytest.raises(sd.TransformError, match="shares memory"):
        sd.grad(true_alias_in_a_loop, wrt=(0, 1), target="python")(np.ones(3), 0.5, 2)
