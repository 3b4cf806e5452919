"""Backward rules at their edges: clamp with tensor bounds, remainder and floor
division, second order through prod (with zeros) and norm, std/var of constant
or too-short inputs. The ``lib`` tests run on sourcediff and on PyTorch (the
expected numbers are torch's); the gradcheck tests compare with finite
differences and need no torch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from tensor_helpers import values

import sourcediff as sd

# ---------------------------------------------------------------------------
# clamp / clip with tensor bounds


def test_clamp_tensor_bounds_get_gradients_with_torchs_ties(lib):
    """Ties (x == min, x == max) give the gradient to the input; where min > max
    the result is max, and max takes it."""
    x = lib.tensor([0.0, 1.0, 0.5, -1.0, 2.0, 0.5], dtype=lib.float64, requires_grad=True)
    lo = lib.tensor([0.0, 0.0, 0.0, 0.0, 0.0, 2.0], dtype=lib.float64, requires_grad=True)
    hi = lib.tensor([1.0, 1.0, 1.0, 1.0, 1.0, 1.0], dtype=lib.float64, requires_grad=True)
    out = x.clamp(lo, hi)
    assert type(out.grad_fn).__name__ == "ClampBackward0"
    out.sum().backward()
    assert values(out).tolist() == [0.0, 1.0, 0.5, 0.0, 1.0, 1.0]
    assert values(x.grad).tolist() == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert values(lo.grad).tolist() == [0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    assert values(hi.grad).tolist() == [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]


def test_clamp_one_broadcast_tensor_bound(lib):
    x = lib.tensor([[0.5, 3.0, -3.0]], dtype=lib.float64, requires_grad=True)
    lo = lib.tensor([[0.0], [1.0]], dtype=lib.float64, requires_grad=True)
    out = lib.clamp(x, min=lo)
    (out * lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64)).sum().backward()
    assert values(out).tolist() == [[0.5, 3.0, 0.0], [1.0, 3.0, 1.0]]
    assert values(x.grad).tolist() == [[1.0, 7.0, 0.0]]
    assert values(lo.grad).tolist() == [[3.0], [10.0]]
    hi = lib.tensor([0.4, 1.5, 1.0], dtype=lib.float64, requires_grad=True)
    x.grad = None
    x.clip(max=hi).sum().backward()
    assert values(hi.grad).tolist() == [1.0, 1.0, 0.0] and values(x.grad).tolist() == [[0, 0, 1]]


def test_clamp_tensor_bounds_finite_differences():
    rng = np.random.default_rng(0)
    x, lo, hi = (sd.tensor(rng.uniform(-1, 1, 6) + shift, requires_grad=True)
                 for shift in (0.0, -0.3, 0.3))
    assert sd.autograd.gradcheck(lambda x, lo, hi: x.clamp(lo, hi), (x, lo, hi))
    assert sd.autograd.gradcheck(lambda x, lo: sd.clamp(x, min=lo), (x, lo))


# ---------------------------------------------------------------------------
# remainder and floor division


def test_remainder_gradients(lib):
    a = lib.tensor([5.5, -3.2, 7.0], dtype=lib.float64, requires_grad=True)
    b = lib.tensor([2.0, 1.5, -2.0], dtype=lib.float64, requires_grad=True)
    r = a % 2.0
    assert r.requires_grad and type(r.grad_fn).__name__ == "RemainderBackward0"
    (r + a * a).sum().backward()
    assert np.allclose(values(a.grad), [12.0, -5.4, 15.0], rtol=1e-14)
    a.grad = None
    r = lib.remainder(a, b)
    assert type(r.grad_fn).__name__ == "RemainderBackward1"
    r.sum().backward()
    assert values(a.grad).tolist() == [1.0, 1.0, 1.0]
    assert values(b.grad).tolist() == [-2.0, 3.0, 4.0]   # -floor(a / b)


def test_remainder_finite_differences():
    a = sd.tensor([5.5, -3.2, 7.1, 0.3], dtype=sd.float64, requires_grad=True)
    b = sd.tensor([2.0, 1.5, -2.2, 0.7], dtype=sd.float64, requires_grad=True)
    assert sd.autograd.gradcheck(lambda a, b: a % b, (a, b))
    assert sd.autograd.gradcheck(lambda a: a.remainder(1.3) * a, (a,))


@pytest.mark.parametrize("expression, op", [
    ("a // 2.0", "floor_divide"), ("7.0 // a", "floor_divide"),
    ("torch.floor_divide(a, a)", "floor_divide"), ("7.0 % a", "remainder")])
def test_not_differentiable_ops_raise_when_backward_reaches_them(lib, expression, op):
    """As torch: the result requires grad, and only a backward through it raises."""
    a = lib.tensor([5.5, -3.2, 7.0], dtype=lib.float64, requires_grad=True)
    out = eval(expression, {"torch": lib, "a": a})
    assert out.requires_grad and type(out.grad_fn).__name__ == "NotImplemented"
    with pytest.raises(RuntimeError, match=f"derivative for aten::{op} is not implemented"):
        (out + a).sum().backward()


# ---------------------------------------------------------------------------
# second order through prod (with zeros) and norm


ZEROS = [[0.0, 2.0, 0.5], [3.0, 0.0, 4.0]]


@pytest.mark.parametrize("kwargs, hessian_row", [
    ({}, [[0.0, 6.0, 24.0], [4.0, 12.0, 3.0]]),
    ({"dim": 1}, [[0.0, 0.5, 2.0], [0.0, 0.0, 0.0]]),
])
def test_prod_with_a_zero_second_order(lib, kwargs, hessian_row):
    """The create_graph gradient of prod is differentiable where an entry is 0."""
    x = lib.tensor([[0.0, 2.0, 0.5], [3.0, 1.0, 4.0]], dtype=lib.float64, requires_grad=True)
    (g,) = lib.autograd.grad(x.prod(**kwargs).sum(), x, create_graph=True)
    assert g.requires_grad
    (h,) = lib.autograd.grad(g[0, 0], x)
    assert np.allclose(values(h), hessian_row, rtol=1e-14, atol=0)


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_with_zeros_finite_differences(dim):
    x = sd.tensor(ZEROS, dtype=sd.float64, requires_grad=True)
    assert sd.autograd.gradgradcheck(lambda x: x.prod() if dim is None else x.prod(dim), (x,))


def test_norm_second_order(lib):
    x = lib.tensor([[0.3, -0.7, 1.2], [0.5, 2.0, -0.4]], dtype=lib.float64, requires_grad=True)
    (g,) = lib.autograd.grad(x.norm().sum(), x, create_graph=True)
    (h,) = lib.autograd.grad(g[0, 0], x)
    n = math.sqrt(0.09 + 0.49 + 1.44 + 0.25 + 4.0 + 0.16)
    # d/dx of x00 / n: (delta - x00 * x / n**2) / n
    expected = -0.3 * values(x) / n ** 3
    expected[0, 0] += 1 / n
    assert np.allclose(values(h), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("p, dim", [(2, None), (2, 0), (2, 1), ("fro", None),
                                    (math.inf, 0), (-math.inf, None)])
def test_norm_finite_differences(p, dim):
    x = sd.tensor([[0.3, -0.7, 1.2], [0.5, 2.0, -0.4]], dtype=sd.float64,
                  requires_grad=True)
    assert sd.autograd.gradcheck(lambda x: x.norm(p, dim), (x,))
    assert sd.autograd.gradgradcheck(lambda x: x.norm(p, dim), (x,))


def test_inf_norms_and_their_ties(lib):
    x = lib.tensor([[0.3, -0.7, 1.2], [0.5, 2.0, -0.4]], dtype=lib.float64, requires_grad=True)
    assert values(x.norm(math.inf)) == 2.0 and values(x.norm(-math.inf)) == 0.3
    assert np.allclose(values(x.norm(math.inf, 0)), [0.5, 2.0, 1.2], rtol=0, atol=0)
    t = lib.tensor([1.0, -1.0, 0.5], dtype=lib.float64, requires_grad=True)
    t.norm(math.inf).backward()
    assert values(t.grad).tolist() == [0.5, -0.5, 0.0]   # ties share the gradient


# ---------------------------------------------------------------------------
# std and var: constant inputs, too few elements


@pytest.mark.parametrize("expression, data, value, grad", [
    ("x.std()", [[1.0, 1.0, 1.0]], 0.0, [[0.0, 0.0, 0.0]]),
    ("x.std(dim=1)", [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], [0.0, 0.0], [[0.0] * 3] * 2),
    ("x.std(dim=0, keepdim=True)", [[1.0, 2.0], [1.0, 3.0]], [[0.0, math.sqrt(0.5)]],
     [[0.0, -math.sqrt(0.5)], [0.0, math.sqrt(0.5)]]),
    ("x.std()", [1.0], math.nan, [math.nan]),
    ("x.std(dim=0)", [[1.0, 2.0]], [math.nan, math.nan], [[math.nan, math.nan]]),
    ("x.std(correction=0)", [1.0], 0.0, [0.0]),
    ("x.std(correction=2)", [1.0, 2.0], math.inf, [math.nan, math.nan]),
    ("x.var()", [1.0], math.nan, [math.nan]),
    ("x.var(dim=0)", [[1.0, 2.0]], [math.nan, math.nan], [[math.nan, math.nan]]),
    ("x.var(correction=3)", [1.0, 2.0], math.inf, [math.inf, math.inf]),
])
def test_std_and_var_edges(lib, expression, data, value, grad):
    x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # torch warns that the degrees of freedom are <= 0
        out = eval(expression, {"x": x})
        out.sum().backward()
    assert np.allclose(values(out), value, rtol=1e-14, atol=0, equal_nan=True)
    assert np.allclose(values(x.grad), grad, rtol=1e-14, atol=0, equal_nan=True)


def test_std_of_a_constant_second_order(lib):
    x = lib.tensor([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]], dtype=lib.float64, requires_grad=True)
    (g,) = lib.autograd.grad(x.std(dim=1).sum(), x, create_graph=True)
    (h,) = lib.autograd.grad((g * g).sum(), x)
    assert values(g)[0].tolist() == [0.0, 0.0, 0.0] and values(h)[0].tolist() == [0.0] * 3
    assert np.isfinite(values(h)).all()

