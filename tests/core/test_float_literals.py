"""``float("inf")`` and its kin, as users seed a running minimum or maximum
(Numba compiles them): the number itself, not a string refused as a
parameter's value (passes/normalize.py ``float_literal``)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.errors import TransformError
from tests.fdcheck import check_grad


def smallest_times(x):
    best = float("inf")
    for i in range(x.shape[0]):
        if x[i] < best:  # noqa: PLR1730 (as users write it)
            best = x[i]
    return best * x[0] + float("1.5") * x[1]


def largest_plus(x):
    top = float('-inf')
    for v in x:
        top = max(top, v)
    return top * top + float(x.shape[0])


def not_a_number(x):
    bad = float("NaN")
    return x[0] * x[1] + bad * 0.0


def not_a_float(x):
    return x[0] * float("lots")


X = np.array([0.4, -1.3, 0.9, 0.2])


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", [smallest_times, largest_plus])
def test_gradient_matches_finite_differences(f, target):
    check_grad(f, (X,), wrt=0, target=target)


def test_the_values():
    assert sd.value_and_grad(smallest_times, target="python")(X)[0] == -1.3 * 0.4 + 1.5 * -1.3
    v, g = sd.value_and_grad(not_a_number, target="python")(X)
    assert math.isnan(v)          # (a constant: no term of the gradient)
    assert np.array_equal(g, [X[1], X[0], 0.0, 0.0])


def test_a_string_that_is_no_number_is_named():
    with pytest.raises(TransformError, match=r"float\('lots'\) is not a number") as e:
        sd.grad(not_a_float, target="python")(X)
    assert "test_float_literals.py" in str(e.value)
