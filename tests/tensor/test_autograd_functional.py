"""``autograd.functional``: jacobian, hessian, vjp, jvp, hvp, vhp, on sourcediff and torch."""

from __future__ import annotations

import numpy as np
import pytest
from tensor_helpers import values

# torch's own functional API warns about torch.jit.script internally
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")


def same(a, b, tol=1e-5) -> bool:
    return np.allclose(values(a), values(b), rtol=tol, atol=tol)


def F(lib):
    return lib.autograd.functional


def cube_sum(x):
    return (x ** 3).sum()


# ---------------------------------------------------------------------------
# vjp / jvp


def test_vjp_of_a_linear_map(lib):
    a = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    x = lib.tensor([1.0, -1.0])
    v = lib.tensor([1.0, 0.0, 2.0])
    out, g = F(lib).vjp(lambda t: a @ t, x, v)
    assert same(out, a @ x) and same(g, v @ a)
    assert not out.requires_grad and not g.requires_grad


def test_vjp_without_v_needs_a_single_element_output(lib):
    x = lib.tensor([1.0, 2.0])
    out, g = F(lib).vjp(cube_sum, x)
    assert out.item() == 9.0 and same(g, 3 * x ** 2)
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided "
                                           "function returns a single Tensor with a single "
                                           "element."):
        F(lib).vjp(lambda t: t * 2, x)


def test_vjp_with_tuples(lib):
    x, y = lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])
    out, (gx, gy) = F(lib).vjp(lambda a, b: (a * b, a + b), (x, y),
                               (lib.ones(2), lib.tensor([1.0, 2.0])))
    assert isinstance(out, tuple) and len(out) == 2
    assert same(gx, y + lib.tensor([1.0, 2.0])) and same(gy, x + lib.tensor([1.0, 2.0]))


def test_vjp_checks_v(lib):
    x = lib.ones(3)
    with pytest.raises(RuntimeError, match="v has invalid size: should be torch.Size\\(\\[3\\]\\) "
                                           "but got torch.Size\\(\\[2\\]\\)."):
        F(lib).vjp(lambda t: t * 2, x, lib.ones(2))
    with pytest.raises(RuntimeError, match="The given v should contain a single Tensor."):
        F(lib).vjp(lambda t: t * 2, x, (lib.ones(3), lib.ones(3)))
    with pytest.raises(RuntimeError, match="v is a tuple of invalid length: should be 2 but got 1."):
        F(lib).vjp(lambda t: (t, t), x, (lib.ones(3),))
    with pytest.raises(TypeError, match="The inputs given to vjp must be either a Tensor or a "
                                        "tuple of Tensors but the value at index 1 has type"):
        F(lib).vjp(lambda a, b: a, (x, 2.0), lib.ones(3))


def test_vjp_of_an_unused_input_is_zero_or_an_error_when_strict(lib):
    x, y = lib.ones(2), lib.ones(3)
    _, (gx, gy) = F(lib).vjp(lambda a, b: a * 2, (x, y), lib.ones(2))
    assert same(gx, lib.full((2,), 2.0)) and same(gy, lib.zeros(3))
    with pytest.raises(RuntimeError, match="The output of the user-provided function is "
                                           "independent of input 1. This is not allowed in "
                                           "strict mode."):
        F(lib).vjp(lambda a, b: a * 2, (x, y), lib.ones(2), strict=True)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not "
                                           "require gradients."):
        F(lib).vjp(lambda a: lib.ones(2), x, lib.ones(2), strict=True)


def test_vjp_create_graph(lib):
    x = lib.tensor([1.0, 2.0], dtype=lib.double, requires_grad=True)
    v = lib.tensor([1.0, 1.0], dtype=lib.double, requires_grad=True)
    out, g = F(lib).vjp(lambda t: t ** 3, x, v, create_graph=True)
    assert out.requires_grad and g.requires_grad
    assert same(g, 3 * x ** 2 * v)
    (dx, dv) = lib.autograd.grad(g.sum(), (x, v))
    assert same(dx, 6 * x * v) and same(dv, 3 * x ** 2)


def test_jvp_by_the_double_backward_trick(lib):
    x = lib.tensor([1.0, 2.0, 3.0])
    v = lib.tensor([1.0, 0.5, -1.0])
    out, jv = F(lib).jvp(lambda t: t.sin() * t, x, v)
    assert same(out, x.sin() * x)
    assert same(jv, (x.cos() * x + x.sin()) * v)


def test_jvp_with_tuples_and_without_v(lib):
    x, y = lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])
    _, (j1, j2) = F(lib).jvp(lambda a, b: (a * b, a + b), (x, y), (lib.ones(2), lib.zeros(2)))
    assert same(j1, y) and same(j2, lib.ones(2))
    _, jv = F(lib).jvp(lambda t: t ** 2, lib.tensor([3.0]))
    assert same(jv, lib.tensor([6.0]))
    with pytest.raises(RuntimeError, match="The vector v can only be None if the input to the "
                                           "user-provided function is a single Tensor with a "
                                           "single element."):
        F(lib).jvp(lambda t: t, x)


def test_jvp_strict_and_create_graph(lib):
    x = lib.tensor([1.0, 2.0], dtype=lib.double, requires_grad=True)
    v = lib.ones(2, dtype=lib.double)
    _, jv = F(lib).jvp(lambda t: t ** 2, x, v, create_graph=True)
    assert jv.requires_grad
    (g,) = lib.autograd.grad(jv.sum(), x)
    assert same(g, lib.full((2,), 2.0, dtype=lib.double))
    with pytest.raises(RuntimeError, match="The output of the user-provided function is "
                                           "independent of input 1. This is not allowed in "
                                           "strict mode."):
        F(lib).jvp(lambda a, b: a * 2, (lib.ones(2), lib.ones(2)), (lib.ones(2), lib.ones(2)),
                   strict=True)
    _, (j,) = F(lib).jvp(lambda a, b: (a * 2,), (lib.ones(2), lib.ones(2)),
                         (lib.ones(2), lib.ones(2)))
    assert same(j, lib.full((2,), 2.0))


# ---------------------------------------------------------------------------
# jacobian / hessian


def test_jacobian_shape_is_output_then_input(lib):
    x = lib.rand(2, 3)
    jac = F(lib).jacobian(lambda t: t.sum(1) ** 2, x)
    assert tuple(jac.shape) == (2, 2, 3)
    s = x.sum(1)
    expected = np.zeros((2, 2, 3))
    for i in range(2):
        expected[i, i, :] = 2 * values(s)[i]
    assert np.allclose(values(jac), expected, atol=1e-5)


def test_jacobian_with_tuples(lib):
    x, y = lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0, 5.0])
    jac = F(lib).jacobian(lambda a, b: (a * 2, b.sum() * a), (x, y))
    assert len(jac) == 2 and len(jac[0]) == 2
    assert same(jac[0][0], 2 * lib.eye(2)) and same(jac[0][1], lib.zeros(2, 3))
    assert same(jac[1][0], 12 * lib.eye(2)) and same(jac[1][1], x.reshape(2, 1).expand(2, 3))
    jac = F(lib).jacobian(lambda a: (a, a * 3), x)
    assert isinstance(jac, tuple) and same(jac[1], 3 * lib.eye(2))


def test_jacobian_strict_and_create_graph(lib):
    x = lib.tensor([1.0, 2.0], dtype=lib.double, requires_grad=True)
    jac = F(lib).jacobian(lambda t: t ** 3, x, create_graph=True)
    assert jac.requires_grad
    (g,) = lib.autograd.grad(jac.sum(), x)
    assert same(g, 6 * x)
    assert not F(lib).jacobian(lambda t: t ** 3, x).requires_grad
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is "
                                           "independent of input 1. This is not allowed in "
                                           "strict mode."):
        F(lib).jacobian(lambda a, b: a * 2, (lib.ones(2), lib.ones(2)), strict=True)
    with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True` are not "
                                           "supported together"):
        F(lib).jacobian(lambda a: a * 2, lib.ones(2), strict=True, vectorize=True)


def test_jacobian_vectorize_and_forward_mode_agree(lib):
    x = lib.rand(3, dtype=lib.double)

    def f(t):
        return lib.stack([t[0] * t[1] * t[2], t.sum()]) * t[:2]

    plain = F(lib).jacobian(f, x)
    assert same(plain, F(lib).jacobian(f, x, vectorize=True))
    assert same(plain, F(lib).jacobian(f, x, vectorize=True, strategy="forward-mode"))
    with pytest.raises(NotImplementedError):
        F(lib).jacobian(f, x, strategy="forward-mode")


def test_jacobian_of_an_unused_input_is_zero(lib):
    jac = F(lib).jacobian(lambda a, b: a * 2, (lib.ones(2), lib.ones(3)))
    assert same(jac[1], lib.zeros(2, 3))


def test_hessian_of_a_cubic(lib):
    x = lib.tensor([1.0, 2.0, 3.0])
    h = F(lib).hessian(cube_sum, x)
    assert same(h, 6 * x * lib.eye(3))


def test_hessian_with_two_inputs(lib):
    x, y = lib.tensor([1.0, 2.0]), lib.tensor([3.0])
    h = F(lib).hessian(lambda a, b: (a ** 2 * b).sum(), (x, y))
    assert same(h[0][0], 2 * 3.0 * lib.eye(2))
    assert same(h[0][1], (2 * x).reshape(2, 1)) and same(h[1][0], (2 * x).reshape(1, 2))
    assert same(h[1][1], lib.zeros(1, 1))


def test_hessian_requires_a_scalar_function(lib):
    with pytest.raises(RuntimeError, match="The Tensor returned by the function given to hessian "
                                           "should contain a single element"):
        F(lib).hessian(lambda t: t ** 2, lib.ones(2))
    with pytest.raises(RuntimeError, match="The function given to hessian should return a single "
                                           "Tensor"):
        F(lib).hessian(lambda t: (t.sum(), t.sum()), lib.ones(2))


def test_hessian_strict_on_a_linear_function(lib):
    with pytest.raises(RuntimeError, match="jacobian of the user-provided function with respect "
                                           "to input 0 is independent of the input"):
        F(lib).hessian(lambda t: t.sum() * 2, lib.ones(2), strict=True)
    h = F(lib).hessian(lambda t: t.sum() * 2, lib.ones(2))
    assert same(h, lib.zeros(2, 2))


def test_hessian_create_graph(lib):
    x = lib.tensor([1.0, 2.0], dtype=lib.double, requires_grad=True)
    h = F(lib).hessian(lambda t: (t ** 4).sum(), x, create_graph=True)
    assert h.requires_grad
    (g,) = lib.autograd.grad(h.sum(), x)
    assert same(g, 24 * x)


# ---------------------------------------------------------------------------
# vhp / hvp


def test_hvp_and_vhp_of_a_quadratic_form(lib):
    a = lib.tensor([[2.0, 1.0], [0.0, 3.0]])
    x = lib.tensor([1.0, -1.0])
    v = lib.tensor([1.0, 2.0])

    def quad(t):
        return t @ a @ t

    out, hv = F(lib).hvp(quad, x, v)
    out2, vh = F(lib).vhp(quad, x, v)
    hess = a + a.t()
    assert same(out, quad(x)) and same(out2, quad(x))
    assert same(hv, hess @ v) and same(vh, v @ hess)


def test_hvp_vhp_with_tuples_and_errors(lib):
    x, y = lib.tensor([1.0, 2.0]), lib.tensor([0.5])

    def f(a, b):
        return (a ** 2).sum() * b.sum()

    v = (lib.ones(2), lib.ones(1))
    _, (hx, hy) = F(lib).hvp(f, (x, y), v)
    _, (vx, vy) = F(lib).vhp(f, (x, y), v)
    assert same(hx, vx) and same(hy, vy)
    assert same(hx, 2 * y * lib.ones(2) + 2 * x) and same(hy, (2 * x).sum().reshape(1))
    for fn in (F(lib).hvp, F(lib).vhp):
        with pytest.raises(RuntimeError, match="should return a single Tensor"):
            fn(lambda t: (t.sum(), t.sum()), x, lib.ones(2))
        with pytest.raises(RuntimeError, match="should contain a single element"):
            fn(lambda t: t * 2, x, lib.ones(2))


def test_hvp_create_graph(lib):
    x = lib.tensor([1.0, 2.0], dtype=lib.double, requires_grad=True)
    v = lib.ones(2, dtype=lib.double)
    _, hv = F(lib).hvp(lambda t: (t ** 3).sum(), x, v, create_graph=True)
    assert hv.requires_grad and same(hv, 6 * x)
    (g,) = lib.autograd.grad(hv.sum(), x)
    assert same(g, lib.full((2,), 6.0, dtype=lib.double))


def test_functional_api_leaves_the_inputs_alone(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    for fn in (F(lib).jacobian, F(lib).hessian):
        fn(cube_sum, x)
    F(lib).vjp(cube_sum, x)
    assert x.grad is None and x.is_leaf


def test_functional_api_separates_inputs_from_captured_tensors(lib):
    x = lib.tensor([1.0, 2.0])
    captured = x  # the same tensor object, captured by the function

    def f(t):
        return t * captured

    jac = F(lib).jacobian(f, x)
    assert same(jac, x * lib.eye(2))
