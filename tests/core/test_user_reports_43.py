"""Forty-third session's probe findings: NumPy as users write it that was refused.

``np.max([a, b])`` and the other reductions of a list of numbers reduce the array NumPy
makes of it (it was refused as a list literal, with a hint about loops); ``np.vdot`` is
the sum of the products of the flattened arrays (no rule); ``np.tensordot`` over all the
axes of both arrays is a number (refused, with the remedy ``np.sum`` of a product)."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forward"))
from fdcheck import check_grad
from jvpcheck import check_hvp, check_jvp

X = np.array([0.3, 0.9, -0.4])


def larger(x):
    return np.max([x[0], x[1] ** 2])


def list_reductions(x):
    return (np.min((x[0] * 2.0, x[1], 0.5)) + np.sum([x[0], x[2]]) + np.mean([x[1], x[2] ** 2])
            + np.std([x[0], x[1], x[2]]) + np.median([x[0], x[1], x[2]]) + np.prod([x[0], x[1]]))


def vdots(x):
    return np.vdot(x, x * 2.0) + np.vdot(np.outer(x, x), np.outer(x, x[::-1]))


def full_contractions(x):
    T = np.outer(x, x).reshape(3, 3, 1) * x
    return np.tensordot(np.outer(x, x), np.outer(x[::-1], x), axes=2) + \
        np.tensordot(T, T, axes=3) + np.tensordot(x, x[::-1], axes=1)


def all_of_them(x):
    return larger(x) + list_reductions(x) + vdots(x) + full_contractions(x)


@pytest.mark.parametrize("f", [larger, list_reductions, vdots, full_contractions])
def test_gradient_and_tangent(f):
    check_grad(f, (X,), 0, "python")
    check_jvp(f, (X,), 0, "python")


def test_second_derivatives_of_a_full_contraction():
    check_hvp(full_contractions, (X,), 0, "python")


def test_compiled():
    check_grad(all_of_them, (X,), 0, "cpu")


def fourth_power(x):
    return x ** 4


def mixed(x, w):
    return np.sin(x) * x + w * x


X0 = np.array(0.5)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_zero_d_result_is_a_number(target):
    # x ** 4 of a 0-d array: grad and hessian refused it as an array result, vjp failed
    # inside the generated code and jacobian rejected its own cotangent
    import sourcediff as sd
    assert sd.grad(fourth_power, target=target)(X0) == pytest.approx(0.5, rel=1e-15)
    value, g = sd.vjp(fourth_power, target=target)(X0, np.array(2.0))
    assert value == pytest.approx(0.0625) and g == pytest.approx(1.0, rel=1e-15)
    assert sd.vjp(fourth_power, target=target)(X0, 2.0)[1] == pytest.approx(1.0, rel=1e-15)
    assert sd.jacobian(fourth_power, target=target)(X0) == pytest.approx(0.5, rel=1e-15)
    if target == "python":
        assert sd.hessian(fourth_power, target=target)(X0) == pytest.approx(3.0, rel=1e-15)
    check_grad(mixed, (X0, 0.3), (0, 1), target)


def mixed_items(x, y):
    return np.sum(np.array((x, y)))        # an array and a number: NumPy raises


def mixed_list_mean(x, y):
    return np.mean([x, y * 2.0])


@pytest.mark.parametrize("f", [mixed_items, mixed_list_mean])
def test_arrays_and_numbers_mixed_in_one_array_are_located_errors(f):
    # np.array((x, y)) of an array x and a number y broadcast y into a row: 2.1 where
    # NumPy raises
    import sourcediff as sd
    with pytest.raises(sd.TransformError, match="mixes arrays and numbers") as info:
        sd.grad(f, target="python")(X, 0.5)
    assert "test_user_reports_43.py" in str(info.value)
