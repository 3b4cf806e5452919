"""Refusals a new user met in loop programs (twelfth session), now
differentiated: ``np.minimum`` / ``np.clip`` of integer arrays stay integers
(an index array, as in NumPy and Numba, not float64 refused at the index), and
a module-level array read by its shape in a loop bound or through an array
method (``range(GRID.shape[0])``, ``GRID.copy()``, ``GRID.sum()``).  Checked
against central finite differences on the python target, one function of
them compiled for cpu.  And a wrong gradient found by a tester: a write through a
view made by a function (``a[None, :]``, ``np.transpose``, ``np.swapaxes``) was
taken for a write into a copy; such views are known now, and the write refused
as other writes through a second name for an array are.  ``a *= w`` in a loop
(refused, naming the update's own temporary) is differentiated."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

import sourcediff as sd

RNG = np.random.default_rng(12)
GRID = np.linspace(0.0, 1.0, 11)
WEIGHTS = np.array([[1.0, 2.0], [0.5, -1.0]])


def resample(x, cw, u):
    """An index array from searchsorted, clipped to the last element."""
    idx = np.minimum(np.searchsorted(cw, u), x.shape[0] - 1)
    return np.sum(x[idx] ** 2)


def clipped_positions(x, n):
    idx = np.clip(np.arange(n), 0, 3)
    j = np.maximum(idx - 1, 0)
    return np.sum(x[idx] * x[j])


def grid_loop(x):
    s = 0.0
    for i in range(GRID.shape[0]):
        s += math.exp(-x * GRID[i])
    return s


def grid_methods(x, w):
    g = GRID.copy()
    g[0] = w
    return np.sum(np.exp(-x * g)) + GRID.sum() * w + np.sum(WEIGHTS.T @ np.array([x, w]))


def scaled_in_a_loop(x, w):
    """``a *= w`` in a loop: refused as 'a' sharing memory with 'a * w' (the
    in-place update's own temporary, from the last iteration) before."""
    a = x.copy()
    for t in range(3):
        a *= w
        a += x * 0.5
    return np.sum(a * a)


CASES = [(scaled_in_a_loop, (np.array([0.3, -0.2, 0.7]), 0.6), (0, 1)),
         (resample, (RNG.uniform(0.5, 2.0, 5), np.linspace(0.2, 1.0, 5),
                     np.array([0.1, 0.5, 1.5, 0.7])), 0),
         (clipped_positions, (RNG.uniform(0.5, 2.0, 5), 6), 0),
         (grid_loop, (0.7,), 0),
         (grid_methods, (0.7, 0.3), (0, 1))]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt):
    check_grad(f, args, wrt=wrt, target="python")


def all_of_them(x, cw, u, w):
    return resample(x, cw, u) + clipped_positions(x, 6) + grid_loop(w) + \
        grid_methods(w, x[0]) + scaled_in_a_loop(x, w)


def test_compiled():
    args = (RNG.uniform(0.5, 2.0, 5), np.linspace(0.2, 1.0, 5), np.array([0.1, 0.5, 1.5]), 0.4)
    check_grad(all_of_them, args, wrt=(0, 3), target="cpu")


def through_new_axis(x, w):
    a = x.copy()
    b = a[None, :]            # NumPy: a view, b[0, 0] is a[0]
    for t in range(3):
        b[0, 0] = b[0, 0] * w
    return a[0] * a[1]


def through_transpose(m, w):
    a = m.copy()
    b = np.transpose(a)
    b[0, 1] = w * b[0, 1]
    return np.sum(a * a)


def through_swapaxes(m, w):
    a = m.copy()
    b = np.swapaxes(a, 0, 1)
    b[1, 0] = w
    return np.sum(a)


@pytest.mark.parametrize("f, args", [
    (through_new_axis, (np.array([0.3, -0.2, 0.5]), 0.6)),
    (through_transpose, (np.arange(4.0).reshape(2, 2), 0.6)),
    (through_swapaxes, (np.arange(4.0).reshape(2, 2), 0.6)),
], ids=lambda c: getattr(c, "__name__", ""))
def test_a_write_through_a_view_made_by_a_function_is_refused(f, args):
    # these views were taken for copies: the writes did not reach the array
    # in the derivative, a wrong gradient
    with pytest.raises(sd.TransformError, match="shares memory with array 'a'"):
        sd.value_and_grad(f, wrt=(0, 1), target="python")(*args)


def scaled_with_a_second_name(x, w):
    a = x.copy()
    b = a
    for t in range(2):
        a *= w
    return np.sum(b * a)


def test_scaling_in_place_with_a_second_name_is_still_refused():
    with pytest.raises(sd.TransformError, match="'a' shares memory with array 'b'"):
        sd.value_and_grad(scaled_with_a_second_name, wrt=(0, 1), target="python")(
            np.array([0.3, -0.2]), 0.6)


def exit_reads_later_value(x, w):
    z = x[0]
    it = 0
    while it < 20:
        if it > 0 and abs(dz) < 1e-12:  # noqa: F821  (dz is set below, as written)
            break
        dz = (z * z - w) / (2.0 * z)
        z = z - dz
        it += 1
    return z


def test_a_read_before_the_first_assignment_is_told_so():
    # the message named the normalizer's temporary ('_t5': a variable holds both
    # none and float64)
    with pytest.raises(sd.TransformError, match="read here before it is first assigned") as e:
        sd.value_and_grad(exit_reads_later_value, wrt=(0, 1), target="python")(
            np.array([1.0]), 2.0)
    assert "'_t" not in str(e.value)


def previous_step_summed(x, c):
    s = 0.0
    for t in range(5):
        if t > 0:
            s += np.sum(prev * c)  # noqa: F821  (prev is set below, from the first step on)
        prev = x * (t + 1.0)  # noqa: F841  (read by the next iteration)
    return s


def previous_step_indexed(x, c):
    s = 0.0
    for t in range(5):
        if t > 0:
            s += prev[1] * c  # noqa: F821
        prev = x * (t + c)  # noqa: F841
    return s


def previous_step_dotted(x, c):
    s = 0.0
    for t in range(5):
        cur = x * (t + c)
        if t > 0:
            s += np.dot(cur, prev)  # noqa: F821
        prev = cur  # noqa: F841
    return s


@pytest.mark.parametrize("f", [previous_step_summed, previous_step_indexed,
                               previous_step_dotted])
def test_an_array_read_before_its_first_assignment_is_named(f):
    # (Python runs these; compiled code cannot: every variable needs a value on
    # every path.)  The messages named a temporary ('_t2': a variable holds both
    # float64 and array), said "cannot index a none", or blamed 's'
    with pytest.raises(sd.TransformError, match="'prev' may be read here before it is first "
                                                "assigned") as e:
        sd.value_and_grad(f, wrt=(0, 1), target="python")(np.linspace(0.3, 1.1, 7), 1.3)
    assert "'_t" not in str(e.value) and "none" not in str(e.value)


def array_or_number_expression(x, c):
    y = x * c if c > 0 else 0.0
    return np.sum(y)


def array_or_number_branches(x, c):
    if c > 0:
        y = x * c
    else:
        y = 0.0
    return np.sum(y)


def repeated_list(x):
    return np.sum(np.array([x[0], x[1]] * 3))


@pytest.mark.parametrize("f,match", [
    (array_or_number_expression, "this expression holds an array .* and a number"),
    (array_or_number_branches, "'y' holds an array .* and a number"),
    (repeated_list, "a list repeated with '\\*' is not supported"),
])
def test_messages_name_what_the_user_wrote(f, match):
    # they named a temporary ('_t2': a variable holds both ...) or hinted at loops
    args = (np.linspace(0.3, 1.1, 4), 0.5)[:f.__code__.co_argcount]
    with pytest.raises(sd.TransformError, match=match) as e:
        sd.value_and_grad(f, wrt=0, target="python")(*args)
    assert "'_t" not in str(e.value)
