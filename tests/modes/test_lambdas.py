"""Lambdas are differentiated like functions; transforms called inside a
differentiated function are refused with a hint instead of a wrong result."""
import math

import numpy as np
import pytest

import sourcediff as sd

from . import lambda_funcs as L


def test_inline_lambda():
    x = 0.5
    assert L.inline_grad(x) == pytest.approx(math.sin(x) + x * math.cos(x), rel=1e-14)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_assigned_lambda_is_named_after_its_variable(target):
    g = sd.grad(L.cube_sum, wrt=(0, 1), target=target)
    gx, gw = g(np.array([1.0, 2.0]), 0.5)
    np.testing.assert_allclose(gx, [1.5, 6.0])
    assert gw == pytest.approx(9.0)
    assert "def cube_sum_grad(" in g.source


def test_two_lambdas_on_one_line_are_told_apart():
    a, b = L.pair
    assert sd.grad(a, target="python")(2.0) == 4.0
    assert sd.grad(b, target="python")(2.0) == 12.0


def test_errors_point_into_the_lambda():
    with pytest.raises(sd.TransformError, match="list comprehensions") as info:
        L.comprehension()
    assert info.value.lineno == 29 and "lambda x: [x for" in info.value.source_line


def test_calling_a_transform_inside_is_refused_with_a_hint():
    with pytest.raises(sd.TransformError, match=r"sd.grad\(sd.grad\(f\)\)"):
        L.nested_transform_call()
    with pytest.raises(sd.TransformError, match="'df' is a sourcediff transform"):
        sd.grad(L.calls_transform, target="python")
