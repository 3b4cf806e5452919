"""What a new user and a tester met in the thirteenth session: a row store and a block store
of one array in one loop (``A[k] = ...``, ``A[k + 1:, :] -= ...``) kept their old
values on one list, which Numba cannot type (a TypingError from inside the
generated code); each shape has a list of its own now.  And the python target
follows NumPy at singular points as the compiled targets do (inf and nan, never
ZeroDivisionError, ValueError or OverflowError from Python's floats).  Found on
the way: ``math.log(x, base)`` was differentiated as ``math.log(x)`` (a wrong
gradient on python, a Numba TypingError on cpu): it is ``log(x) / log(base)``
now, ``math.hypot`` of three or more numbers is nested, and a call with more
positional arguments than its derivative rule names is refused."""
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

import sourcediff as sd

RNG = np.random.default_rng(13)


def row_and_block(A):
    A = A.copy()
    for k in range(A.shape[0] - 1):
        A[k] = A[k] * A[k + 1]
        A[k + 1:, :] -= 0.1 * A[k]
    return np.sum(A * A)


def pivoting_rows(A):
    """Rows swapped through a copy when the next pivot is larger."""
    A = A.copy()
    for k in range(A.shape[0] - 1):
        if abs(A[k + 1, k]) > abs(A[k, k]):
            tmp = A[k].copy()
            A[k] = A[k + 1]
            A[k + 1] = tmp
        A[k + 1:, :] -= 0.1 * A[k]
    return np.sum(A * A)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_row_and_a_block_of_one_array_are_saved_apart(target):
    check_grad(row_and_block, (RNG.standard_normal((5, 4)),), target=target)
    if target == "python":
        text = sd.grad(row_and_block, target="python").source_for(np.ones((5, 4)))
        assert "_saved_A_slices_1d.append(A[k].copy())" in text
        assert "_saved_A_slices.append(A[k + 1:, :].copy())" in text


def test_rows_swapped_under_a_condition():
    check_grad(pivoting_rows, (RNG.standard_normal((5, 4)),), target="python")


def root(x):
    return math.sqrt(x) + x


def half_power(x):
    return x ** 0.5


def arcsine(x):
    return math.asin(x)


def logarithm(x):
    return 2.0 * math.log(x)


def ratio(x, y):
    return x / y


def exponential(x):
    return math.exp(x)


def hyperbolic(x):
    return -math.tanh(x) + 1.0 / math.tanh(x)


def log_base_three(x):
    return math.log(x, 3.0) * x


SINGULAR = [(root, (0.0,), (0.0, math.inf)), (half_power, (0.0,), (0.0, math.inf)),
            (arcsine, (1.0,), (math.pi / 2, math.inf)), (logarithm, (0.0,), (-math.inf, math.inf)),
            (ratio, (1.0, 0.0), (math.inf, math.inf)), (exponential, (1000.0,), (math.inf, math.inf)),
            (arcsine, (2.0,), (math.nan, math.nan)), (hyperbolic, (0.0,), (math.inf, -math.inf))]


@pytest.mark.parametrize("f, args, expected", SINGULAR,
                         ids=[f"{c[0].__name__}{c[1]}" for c in SINGULAR])
def test_python_target_gives_numpys_values_at_singular_points(f, args, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # (and no warning: compiled code gives none)
        value, grad = sd.value_and_grad(f, wrt=0, target="python")(*args)
    np.testing.assert_equal((value, grad), expected)


def test_python_target_numbers_are_still_floats_with_pythons_values():
    value, grad = sd.value_and_grad(root, wrt=0, target="python")(4.0)
    assert (value, grad) == (6.0, 1.25)
    assert isinstance(value, float) and isinstance(grad, float)
    x = 0.001618033988749895           # np.tanh(x) is one ulp away from math.tanh(x)
    assert sd.value_and_grad(hyperbolic, wrt=0, target="python")(x)[0] == hyperbolic(x)


def hypot3(x, y):
    return math.hypot(x, y, 2.0 * x)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_log_with_a_base_and_hypot_of_three(target):
    value, grad = sd.value_and_grad(log_base_three, wrt=0, target=target)(3.0)
    assert value == pytest.approx(3.0, rel=1e-14)
    assert grad == pytest.approx(1.0 + 1.0 / math.log(3.0), rel=1e-14)
    if target == "python":
        check_grad(hypot3, (1.0, 2.0), wrt=(0, 1), target="python")


def atan2_of_three(x):
    return math.atan2(x, 2.0, 1.0)


def test_more_arguments_than_the_rule_names_are_refused():
    with pytest.raises(sd.TransformError, match="at most 2 positional arguments, not 3"):
        sd.grad(atan2_of_three, target="python")(1.0)


def multiplied_into(u0, c):
    un = u0 * 1.0
    w = np.multiply(u0, c, out=un)
    return np.sum(w * un)


def test_a_ufunc_writing_into_out_is_refused():
    """``out=`` was dropped: the gradient of ``u0 * 1.0`` came back (python) or
    Numba raised NotImplementedError (cpu)."""
    with pytest.raises(sd.TransformError, match="'out=' of 'np.multiply' is not supported"):
        sd.grad(multiplied_into, wrt=(0, 1), target="python")(np.ones(3), 0.5)


def mean_of_a_short_slice(x, c):
    s = 0.0
    for t in range(2):
        s += np.mean(x[3:-3] * c)
    return s


def test_the_mean_of_an_empty_slice_is_nan():
    """(x[3:-3] of five elements: the lowered loop divided by -1, giving -0.0)"""
    value = sd.value_and_grad(mean_of_a_short_slice, wrt=(0, 1))(np.linspace(0.1, 0.9, 5), 0.5)[0]
    assert math.isnan(value)


def reversed_tuple(a, b, c):
    t = (a, b, c)
    s = 0.0
    for v in t[::-1]:
        s = s * 0.5 + v * v
    for v in reversed((a, b, c)):
        s = s * 0.5 + v * math.hypot(v) + math.hypot()
    return s


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_reversed_tuple_and_hypot_of_one_number(target):
    """A loop over a tuple backwards read ``len(t)`` of a tuple split into its
    elements (NameError on python, a TypingError on cpu); ``math.hypot(a)``
    and ``math.hypot()`` were a TypingError on cpu."""
    check_grad(reversed_tuple, (0.3, -1.2, 0.7), wrt=(0, 1, 2), target=target)


def over_an_int(x, n):
    return x / (n - 2) + math.log(x) / n


def over_a_constant(x):
    y = float(x)
    return 1.0 / (y - 1.0) + 1.0 / (max(x, 1.0) - 1.0) + math.gamma(x - 1.0)


@pytest.mark.parametrize("f, args", [(over_an_int, (1.5, 2)), (over_an_int, (2.0, 0)),
                                     (over_a_constant, (1.0,))],
                         ids=["int-2", "int-0", "constants"])
def test_python_target_numbers_from_ints_constants_and_builtins(f, args):
    """Python's floats and ints met in the generated code (a seed divided by an
    int, ``float(x)``, ``max(x, 1.0)`` giving the constant, ``math.gamma`` at a
    pole) raised ZeroDivisionError or ValueError; NumPy's numbers give inf and
    nan, as on cpu."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = sd.value_and_grad(f, wrt=0, target="python")(*args)
    assert not (np.isfinite(value) and np.isfinite(grad))
