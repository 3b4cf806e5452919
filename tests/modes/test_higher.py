"""Second and higher derivatives: ``sd.grad`` of transforms, ``sd.hessian``,
``sd.hvp``, ``sd.jvp`` of ``sd.grad``; each level checked against central
finite differences of the level below (itself checked the same way) and
against closed forms where they are short."""
import math

import numpy as np
import pytest

import sourcediff as sd

from . import higher_funcs as H

SCALAR = [H.poly_sin, H.loop_recurrence, H.branch_while]
X0 = 0.7


def fd(f, x, h=1e-5):
    """Fourth-order central difference of a scalar function of one float."""
    return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h)


@pytest.mark.parametrize("f", SCALAR, ids=lambda f: f.__name__)
def test_second_and_third_derivatives(f):
    g1 = sd.grad(f, target="python")
    g2 = sd.grad(g1, target="python")
    g3 = sd.grad(g2, target="python")
    assert g1(X0) == pytest.approx(fd(f, X0), rel=1e-7)
    assert g2(X0) == pytest.approx(fd(g1, X0), rel=1e-7)
    assert g3(X0) == pytest.approx(fd(g2, X0), rel=1e-6)


def test_closed_forms_up_to_fourth_order():
    x = 0.9
    s, c = math.sin(x), math.cos(x)
    d = [c * x**3 + 3 * x**2 * s,
         -s * x**3 + 6 * x**2 * c + 6 * x * s,
         -c * x**3 - 9 * x**2 * s + 18 * x * c + 6 * s,
         s * x**3 - 12 * x**2 * c - 36 * x * s + 24 * c]
    g = H.poly_sin
    for want in d:
        g = sd.grad(g, target="python")
        assert g(x) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_second_derivative_of_lgamma_is_trigamma(target):
    """d/dx lgamma = digamma, whose rule gives trigamma: closed forms at 1 and 1/2
    (psi(1) = -euler_gamma, psi'(1) = pi^2 / 6, psi'(1/2) = pi^2 / 2, psi'(x + 1) =
    psi'(x) - 1 / x^2), and against finite differences
    between the poles; a third derivative is refused (trigamma has no rule)."""
    g1 = sd.grad(H.log_gamma_sum, target=target)
    g2 = sd.grad(g1, target=target)
    euler_gamma = 0.5772156649015329
    assert g1(1.0) == pytest.approx(1.0 - 2.0 * euler_gamma, rel=1e-13)
    assert g2(1.0) == pytest.approx(math.pi ** 2 / 3 - 1.0, rel=1e-13)
    assert g2(0.5) == pytest.approx(math.pi ** 2 - 4.0, rel=1e-12)
    assert g2(-1.3) == pytest.approx(fd(g1, -1.3), rel=1e-7)
    with pytest.raises(sd.TransformError, match="trigamma"):
        sd.grad(g2, target=target)(0.5)


def test_compiled_third_derivative():
    g3 = sd.grad(sd.grad(sd.grad(H.loop_recurrence)))
    g3_py = sd.grad(sd.grad(sd.grad(H.loop_recurrence, target="python"), target="python"),
                    target="python")
    assert g3(X0) == pytest.approx(g3_py(X0), rel=1e-12)


def test_grad_of_grad_with_respect_to_another_argument():
    # d/dw (d/dx f(x, w)) : mixed partial
    gx = sd.grad(H.two_args, wrt=0, target="python")
    gxw = sd.grad(gx, wrt=1, target="python")
    x, w = 0.4, 0.8
    want = fd(lambda w_: gx(x, w_), w)
    assert gxw(x, w) == pytest.approx(want, rel=1e-7)
    gxx_w = sd.grad(gx, wrt=(0, 1), target="python")(x, w)
    assert gxx_w[1] == pytest.approx(want, rel=1e-7)
    assert gxx_w[0] == pytest.approx(fd(lambda x_: gx(x_, w), x), rel=1e-7)


def _fd_hessian(grad, x, h=1e-6):
    n = x.size
    out = np.zeros((n, n))
    for k in range(n):
        e = np.zeros(n)
        e[k] = h
        out[:, k] = (grad(x + e) - grad(x - e)) / (2 * h)
    return out


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_hessian_rosenbrock(target):
    x = np.array([0.3, 0.7, 1.1, -0.4])
    Hm = sd.hessian(H.rosen, target=target)(x)
    # closed form of the Rosenbrock Hessian
    want = np.zeros((4, 4))
    for i in range(3):
        want[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        want[i, i + 1] += -400 * x[i]
        want[i + 1, i] += -400 * x[i]
        want[i + 1, i + 1] += 200
    np.testing.assert_allclose(Hm, want, rtol=1e-12, atol=1e-9)


def test_hessian_of_loop_program_matches_fd_of_gradient():
    x = np.array([0.3, -0.2, 0.9])
    g = sd.grad(H.energy, target="python")
    Hm = sd.hessian(H.energy, target="python")(x, 0.8)
    np.testing.assert_allclose(Hm, _fd_hessian(lambda z: g(z, 0.8), x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(Hm, Hm.T, rtol=1e-12, atol=1e-12)


def test_hvp_equals_hessian_times_vector():
    x = np.array([0.3, -0.2, 0.9])
    v = np.array([0.5, -1.0, 2.0])
    Hm = sd.hessian(H.energy, target="python")(x, 0.8)
    hv = sd.hvp(H.energy, target="python")(x, 0.8, v)
    np.testing.assert_allclose(hv, Hm @ v, rtol=1e-12, atol=1e-12)
    # and the forward-over-reverse JVP a user would write
    value, hv2 = sd.jvp(sd.grad(H.energy, target="python"), target="python")(x, 0.8, v)
    np.testing.assert_allclose(hv2, hv, rtol=1e-14)
    np.testing.assert_allclose(value, sd.grad(H.energy, target="python")(x, 0.8))


def test_hessian_tuple_wrt():
    x, y = np.array([1.0, 2.0]), 0.5
    (hxx, hxy), (hyx, hyy) = sd.hessian(H.mixed, wrt=(0, 1), target="python")(x, y)
    assert hxx.shape == (2, 2) and hxy.shape == (2,) and hyx.shape == (2,)
    assert isinstance(hyy, float)
    gx = sd.grad(H.mixed, wrt=0, target="python")
    gy = sd.grad(H.mixed, wrt=1, target="python")
    np.testing.assert_allclose(hxx, _fd_hessian(lambda z: gx(z, y), x), rtol=1e-6)
    np.testing.assert_allclose(hxy, fd(lambda y_: gx(x, y_), y), rtol=1e-6)
    np.testing.assert_allclose(hyx, hxy, rtol=1e-12)
    assert hyy == pytest.approx(fd(lambda y_: gy(x, y_), y), rel=1e-6)


def test_grad_of_array_gradient_is_an_error():
    g2 = sd.grad(sd.grad(H.rosen, target="python"), target="python")
    with pytest.raises(TypeError, match="scalar"):
        g2(np.array([0.3, 0.7]))


def test_float32_hessian_keeps_dtype():
    x = np.array([0.3, 0.7, 1.1], dtype=np.float32)
    Hm = sd.hessian(H.rosen, target="python")(x)
    assert Hm.dtype == np.float32


def test_jacobian_of_grad_is_the_hessian():
    x = np.array([0.3, 0.7, 1.1, -0.4])
    J = sd.jacobian(sd.grad(H.rosen, target="python"), target="python")(x)
    np.testing.assert_allclose(J, sd.hessian(H.rosen, target="python")(x), rtol=1e-14)
    with pytest.raises(ValueError, match="forward mode"):
        sd.jacobian(sd.grad(H.rosen), mode="reverse")


def test_vjp_of_grad():
    x, y = np.array([1.0, 2.0]), 0.5
    u = np.array([0.3, -1.2])
    g = sd.grad(H.mixed, wrt=0, target="python")
    (hxx, hxy), _ = sd.hessian(H.mixed, wrt=(0, 1), target="python")(x, y)
    value, vx = sd.vjp(g, wrt=0, target="python")(x, y, u)
    np.testing.assert_allclose(value, g(x, y))
    np.testing.assert_allclose(vx, u @ hxx, rtol=1e-12)
    _, vy = sd.vjp(g, wrt=1, target="python")(x, y, u)
    assert vy == pytest.approx(u @ hxy, rel=1e-12)


def test_hessian_through_a_helper_writing_its_argument():
    # the refusal came from the transform, the same on both targets: python only
    h = sd.hessian(H.calls_helper_writing_its_argument, target="python")(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(h, [[0.0, 2.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]], atol=1e-12)


def _central_hessian(f, a, h=1e-4):
    n = a.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            ei, ej = np.eye(n)[i] * h, np.eye(n)[j] * h
            out[i, j] = (f(a + ei + ej) - f(a + ei - ej) - f(a - ei + ej) + f(a - ei - ej)) / (
                4 * h * h)
    return out


@pytest.mark.parametrize("f, a", [(H.matrix_power_trace, np.array([0.5, 0.2, -0.3, 0.9])),
                                  (H.rebinds_each_step, np.array([0.5, 0.8]))],
                         ids=["matrix_power", "rebinds"])
def test_hessians_of_generated_adjoints(f, a):
    h = sd.hessian(f, target="python")(a)
    np.testing.assert_allclose(h, _central_hessian(f, a), rtol=1e-6, atol=1e-6)
