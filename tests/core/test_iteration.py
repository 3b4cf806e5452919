"""``for v in x`` over arrays and tuples, ``enumerate``, ``zip`` and
``reversed`` (passes/normalize.py lowers them to index loops): gradients
against central differences on both targets, the same value and gradient as
the loop written with ``range`` indices, and, where JAX is installed, as
``jax.grad`` of the same source."""
from __future__ import annotations

import math

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.errors import TransformError
from tests.core import iteration_programs as P
from tests.core.test_numpy_more import jax_grad
from tests.fdcheck import check_grad

IDS = [f.__name__ for f, *_ in P.PAIRS]


def _as_tuple(g, wrt):
    return g if isinstance(wrt, tuple) else (g,)


# the cpu target compiles one program per lowering (elements, rows, enumerate, zip with a
# tuple, reversed, written while iterated, sum and np.array of comprehensions, max/min): the
# lowered loops are the same code on both targets, and a compile costs seconds
CPU = {P.elements, P.rows_with_their_index, P.counted_pairs, P.horner, P.weighted_params,
       P.written_while_iterated, P.filtered_sums, P.array_of_products, P.largest_and_smallest}


ON_TARGETS = [(*c, "python") for c in P.PAIRS] + [(*c, "cpu") for c in P.PAIRS if c[0] in CPU]


@pytest.mark.parametrize("f, indexed, args, wrt, target", ON_TARGETS,
                         ids=[f"{c[0].__name__}-{c[4]}" for c in ON_TARGETS])
def test_gradient_matches_finite_differences(f, indexed, args, wrt, target):
    # (value_and_grad's value: on the python target; one compile less on cpu)
    check_grad(f, args, wrt=wrt, target=target, check_value=target == "python")


@pytest.mark.parametrize("f, indexed, args, wrt", P.PAIRS, ids=IDS)
def test_same_as_the_indexed_loop(f, indexed, args, wrt):
    value, g = sd.value_and_grad(f, wrt=wrt, target="python")(*args)
    value_ref, g_ref = sd.value_and_grad(indexed, wrt=wrt, target="python")(*args)
    assert value == pytest.approx(value_ref, rel=1e-13)
    assert value == pytest.approx(f(*args), rel=1e-13)
    for a, b in zip(_as_tuple(g, wrt), _as_tuple(g_ref, wrt)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# JAX arrays are immutable and its tracers have no truth value: two programs are not JAX code
# (nor do math.fsum, numpy under another alias, jax.numpy.sum of a list of arrays, the
# builtin max and comprehension filters on traced values)
JAX_PAIRS = [c for c in P.PAIRS if c[0] not in (P.written_while_iterated, P.left_early,
                                                P.filtered_sums, P.array_of_products,
                                                P.rows_summed, P.largest_and_smallest,
                                                P.means)]


@pytest.mark.parametrize("f, indexed, args, wrt", JAX_PAIRS, ids=[c[0].__name__ for c in JAX_PAIRS])
def test_agrees_with_jax(f, indexed, args, wrt):
    ref = jax_grad(f, args, wrt)
    if ref is None:
        pytest.skip("JAX is an optional peer; the checks against finite differences still run")
    ours = _as_tuple(sd.grad(f, wrt=wrt, target="python")(*args), wrt)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                                   rtol=1e-11, atol=1e-13)


def test_enumerate_uses_its_counter_as_the_loop_index():
    f, _, args, wrt = P.PAIRS[3]
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    assert "for i in range(len(X))" in text


def unpack_three(x):
    s = 0.0
    for a, b in enumerate(x, 1, 2):
        s += a * b
    return s


def over_a_range_with_a_step_from_a_name(x):
    s = 0.0
    for i, v in zip(range(0, 3, len(x)), x):
        s += i * v
    return s


def counter_alone(x):
    s = 0.0
    for pair in enumerate(x):
        s += x[0]
    return s


def over_a_scalar(x):
    s = 0.0
    for v in x[0]:
        s += v
    return s


def reversed_with_a_step_from_a_name(x, k):
    s = 0.0
    for i in reversed(range(0, len(x), k)):
        s += x[i]
    return s


def two_fors(X):
    return sum(X[i, j] for i in range(2) for j in range(2))


def filtered_array(x):
    return np.sum(np.array([v for v in x if v > 0.0]))


def a_list_kept(x):
    vals = [v * v for v in x]
    return vals[0]


@pytest.mark.parametrize("f, what", [
    (two_fors, "more than one 'for'"),
    (filtered_array, "np.array of a filtered comprehension"),
    (a_list_kept, "list comprehensions"),
    (unpack_three, "enumerate() takes a sequence and a start"),
    (over_a_range_with_a_step_from_a_name, "needs a constant step"),
    (counter_alone, "enumerate(...) gives pairs"),
    (over_a_scalar, "an array or a tuple, not over float64 'x[0]'"),
    (reversed_with_a_step_from_a_name, "reversed(range(...)) needs a constant step"),
])
def test_what_is_refused_says_where_and_why(f, what):
    with pytest.raises(TransformError) as e:
        sd.grad(f, target="python")(np.ones(4), 2) if f is reversed_with_a_step_from_a_name \
            else sd.grad(f, target="python")(np.ones((4, 4)) if f is two_fors else np.ones(4))
    assert what in str(e.value)
    assert "test_iteration.py:" in str(e.value)


def rows_scaled_in_place(Y):
    Y = Y * 1.0
    for row in Y:
        row *= 2.0
    return np.sum(Y)


def view_scaled_in_place(Y):
    Y = Y * 1.0
    row = Y[0]
    row *= 2.0
    return np.sum(Y)


def live_slice(x):
    y = x * 1.0
    for i, v in enumerate(y[1:], 1):
        y[i] = v + y[i - 1]
    return np.sum(y)


@pytest.mark.parametrize("f, names", [
    # (a silent wrong value before: 'row *= 2.0' became 'row = row * 2.0', Y unchanged)
    (rows_scaled_in_place, "'row' shares memory with array 'Y'"),
    (view_scaled_in_place, "'row' shares memory with array 'Y'"),
    # (the message named the temporary '_t1')
    (live_slice, "'y[1:]' shares memory with array 'y'"),
])
def test_writing_into_a_view_of_a_live_array_is_refused_naming_the_users_arrays(f, names):
    args = np.ones((2, 2)) if f is not live_slice else np.ones(4)
    with pytest.raises(TransformError) as e:
        sd.grad(f, target="python")(args)
    assert names in str(e.value) and "NumPy changes both" in str(e.value)


def exact_sum(x):
    return math.fsum(v for v in x)


def array_of_rows(X, w):
    return np.sum(np.array([r * w for r in X]))


def test_comprehensions_outside_what_becomes_a_loop_say_what_does():
    with pytest.raises(TransformError) as e:
        sd.grad(exact_sum, target="python")(np.ones(3))
    assert "a comprehension is supported as the argument of sum" in str(e.value)
    with pytest.raises(TransformError) as e:      # (NumPy's error from inside before)
        sd.grad(array_of_rows, target="python")(np.ones((2, 2)), np.ones(2))
    assert "takes numbers, not arrays" in str(e.value) and "test_iteration.py:" in str(e.value)


def rows_added(X, w):
    return np.sum(sum(r * w for r in X))


def test_sum_of_array_items_without_a_start_names_the_sum_not_its_accumulator():
    with pytest.raises(TransformError) as e:
        sd.grad(rows_added, target="python")(np.ones((2, 2)), np.ones(2))
    message = str(e.value)
    assert "sum(...) of a comprehension whose items are arrays" in message
    assert "np.zeros(n)" in message and "_sum" not in message
    assert "test_iteration.py:" in message


def filtered_mean(x):
    return np.mean([v * v for v in x if v > 100.0])


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_mean_of_an_empty_filtered_list_is_nan_as_numpys(target):
    x = np.linspace(0.1, 1.0, 4)
    with np.errstate(all="ignore"):
        value, g = sd.value_and_grad(filtered_mean, target=target)(x)
    assert math.isnan(value)
    np.testing.assert_array_equal(g, np.zeros(4))   # no item: nothing depends on x


def counted_bins(x, edges):
    left = np.searchsorted(edges, x)
    right = np.searchsorted(edges, x, side="right")
    return np.sum(x * left) + np.sum(x * x * right) + x[0] * np.searchsorted(edges, x[1],
                                                                            side="right")


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_searchsorted_side_right_counts_equal_elements_as_numpy(target):
    edges = np.array([0.0, 0.25, 0.5, 0.75])
    x = np.array([0.25, 0.5, 0.6, 0.1])          # two on an edge: left and right differ
    value, g = sd.value_and_grad(counted_bins, target=target)(x, edges)
    assert value == counted_bins(x, edges)
    left, right = np.searchsorted(edges, x), np.searchsorted(edges, x, side="right")
    expected = left + 2.0 * x * right
    expected[0] += np.searchsorted(edges, x[1], side="right")
    np.testing.assert_allclose(g, expected, rtol=1e-15)
