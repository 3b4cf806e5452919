"""``func``: grad, grad_and_value, vjp, jacrev, jacfwd of tensor functions, on sourcediff
and torch (``torch.func``)."""

from __future__ import annotations

import numpy as np
import pytest
from tensor_helpers import values


def same(a, b, tol=1e-5) -> bool:
    return np.allclose(values(a), values(b), rtol=tol, atol=tol)


def test_grad_of_a_scalar_function(lib):
    x = lib.tensor([1.0, 2.0, 3.0])
    g = lib.func.grad(lambda t: (t.sin() * t).sum())(x)
    assert same(g, x.sin() + x * x.cos())
    assert not g.requires_grad and not x.requires_grad


def test_grad_and_value(lib):
    x = lib.tensor([1.0, 2.0])
    g, v = lib.func.grad_and_value(lambda t: (t ** 2).sum())(x)
    assert same(g, 2 * x) and v.item() == 5.0


def test_grad_argnums_and_kwargs(lib):
    x, y = lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])

    def f(a, b, scale=1.0):
        return (a * b).sum() * scale

    assert same(lib.func.grad(f, argnums=1)(x, y, scale=2.0), 2 * x)
    gx, gy = lib.func.grad(f, argnums=(0, 1))(x, y)
    assert same(gx, y) and same(gy, x)
    assert same(lib.func.grad(f, argnums=-1)(x, y), x)


def test_grad_of_a_dict_argument(lib):
    params = {"w": lib.tensor([1.0, 2.0]), "b": lib.tensor(0.5)}
    g = lib.func.grad(lambda p: ((p["w"] ** 2).sum() + p["b"] * 3))(params)
    assert set(g) == {"w", "b"}
    assert same(g["w"], lib.tensor([2.0, 4.0])) and g["b"].item() == 3.0


def test_grad_has_aux(lib):
    x = lib.tensor([1.0, 2.0])
    g, aux = lib.func.grad(lambda t: ((t ** 2).sum(), {"k": t * 2}), has_aux=True)(x)
    assert same(g, 2 * x) and same(aux["k"], 2 * x) and not aux["k"].requires_grad
    with pytest.raises(RuntimeError, match="output of function f should be a tuple: \\(output, "
                                           "aux\\) if has_aux is True"):
        lib.func.grad(lambda t: (t ** 2).sum(), has_aux=True)(x)


def test_grad_errors(lib):
    x = lib.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor, got "
                                           "tensor with 1 dims. Maybe you wanted to use the vjp "
                                           "or jacrev APIs instead?"):
        lib.func.grad(lambda t: t * 2)(x)
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a Tensor, got "
                                           "<class 'int'>"):
        lib.func.grad(lambda t: 3)(x)
    with pytest.raises(RuntimeError, match="Got argnum=2, but only 1 positional inputs"):
        lib.func.grad(lambda t: t.sum(), argnums=2)(x)
    with pytest.raises(RuntimeError, match="argnums elements must be unique, got \\(0, 0\\)"):
        lib.func.grad(lambda t: t.sum(), argnums=(0, 0))(x)
    with pytest.raises(RuntimeError, match="argnums must be non-empty"):
        lib.func.grad(lambda t: t.sum(), argnums=())(x)
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require "
                                           "gradients"):
        lib.func.grad(lambda t: (t ** 2).sum())(lib.tensor([1, 2]))


def test_grad_of_grad(lib):
    x = lib.tensor(2.0)
    assert lib.func.grad(lib.func.grad(lambda t: t ** 3))(x).item() == pytest.approx(12.0)
    third = lib.func.grad(lib.func.grad(lib.func.grad(lambda t: t.sin())))(x)
    assert third.item() == pytest.approx(-np.cos(2.0), rel=1e-5)


def test_nested_grad_with_a_captured_variable(lib):
    # d/dx [ d/dy (x * y) at y=x ] = d/dx x = 1: no perturbation confusion
    def outer(x):
        return lib.func.grad(lambda y: x * y)(x)

    assert lib.func.grad(outer)(lib.tensor(3.0)).item() == pytest.approx(1.0)


def test_grad_composes_with_backward(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    g = lib.func.grad(lambda t: (t ** 3).sum())(x)
    assert g.requires_grad and same(g, 3 * x ** 2)
    g.sum().backward()
    assert same(x.grad, 6 * x)


def test_vjp(lib):
    x = lib.tensor([1.0, 2.0])
    out, vjp_fn = lib.func.vjp(lambda t: t ** 2, x)
    assert same(out, x ** 2) and not out.requires_grad
    (g,) = vjp_fn(lib.ones(2))
    assert same(g, 2 * x)
    (g,) = vjp_fn(lib.tensor([1.0, 0.0]))  # the graph is kept for more calls
    assert same(g, lib.tensor([2.0, 0.0]))
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        vjp_fn(lib.ones(3))


def test_vjp_with_several_primals_and_outputs(lib):
    x, y = lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])
    _, vjp_fn = lib.func.vjp(lambda p, q: (p * q, p + q), x, y)
    gx, gy = vjp_fn((lib.ones(2), lib.ones(2)))
    assert same(gx, y + 1) and same(gy, x + 1)


def test_vjp_has_aux_and_errors(lib):
    x = lib.tensor([1.0, 2.0])
    _, vjp_fn, aux = lib.func.vjp(lambda t: (t * 3, t.sum()), x, has_aux=True)
    assert same(vjp_fn(lib.ones(2))[0], lib.full((2,), 3.0)) and aux.item() == 3.0
    with pytest.raises(RuntimeError, match="expected f\\(\\*primals\\) to return only tensors"):
        lib.func.vjp(lambda t: 3, x)
    with pytest.raises(RuntimeError, match="output of function f should be a tuple"):
        lib.func.vjp(lambda t: t ** 2, x, has_aux=True)


@pytest.mark.parametrize("name", ["jacrev", "jacfwd"])
def test_jacobians(lib, name):
    jac = getattr(lib.func, name)
    x = lib.tensor([1.0, 2.0, 3.0])
    j = jac(lambda t: t ** 2)(x)
    assert same(j, 2 * x * lib.eye(3))
    assert tuple(jac(lambda t: t.sum())(x).shape) == (3,)
    j = jac(lambda t: t.reshape(3, 1) * t)(x)
    assert tuple(j.shape) == (3, 3, 3)


@pytest.mark.parametrize("name", ["jacrev", "jacfwd"])
def test_jacobians_of_tuples(lib, name):
    jac = getattr(lib.func, name)
    x, y = lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])
    ja, jb = jac(lambda a, b: a * b, argnums=(0, 1))(x, y)
    assert same(ja, y * lib.eye(2)) and same(jb, x * lib.eye(2))
    j1, j2 = jac(lambda a: (a ** 2, a.sum()))(x)
    assert same(j1, 2 * x * lib.eye(2)) and same(j2, lib.ones(2))
    j, aux = jac(lambda a: (a ** 2, {"k": a}), has_aux=True)(x)
    assert same(j, 2 * x * lib.eye(2)) and same(aux["k"], x)


def test_jacrev_and_jacfwd_agree_and_nest_into_a_hessian(lib):
    x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.double)

    def f(t):
        return (t.sin() * t ** 2).sum()

    h1 = lib.func.jacfwd(lib.func.jacrev(f))(x)
    h2 = lib.func.jacrev(lib.func.jacrev(f))(x)
    h3 = lib.autograd.functional.hessian(f, x)
    assert same(h1, h3) and same(h2, h3)
    assert same(lib.func.jacrev(lambda t: t.exp())(x), lib.func.jacfwd(lambda t: t.exp())(x))
