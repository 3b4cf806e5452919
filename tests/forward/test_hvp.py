"""Forward mode over generated code: Hessian-vector products and higher order.

``sd.jvp(sd.grad(f))(x, v)`` transforms the generated adjoint ``f_grad`` (its
tapes, reversed loops, runtime helpers and callee ``_vjp`` functions
included) with forward mode: ``(grad f(x), H v)``.  ``H v`` is checked
against the directional finite difference of the gradient for every function
of the reverse-mode sweeps, and against ``H @ v`` with ``H`` assembled column
by column from finite differences of the gradient.  ``sd.jvp(sd.jvp(f))``
(forward over forward) gives second and third derivatives.
"""
import inspect
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.passes.types import type_of_value
from sourcediff.transforms.forward import generated_function

from ..core import programs as P
from ..core import test_fd_subset as subset
from ..core import test_programs as programs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from jvpcheck import assert_close, cached_hvp, check_hvp, directional_fd

SUBSET = {c.id: c for c in subset.CASES}
PROGRAMS = {f.__name__: (f, args, wrt) for f, args, wrt in programs.CASES}


def rosen(x):
    n = len(x)
    s = 0.0
    for i in range(n - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def rosen_hessian(x):
    """The exact Hessian of ``rosen``."""
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        h[i + 1, i + 1] += 200.0
        h[i, i + 1] -= 400.0 * x[i]
        h[i + 1, i] -= 400.0 * x[i]
    return h


@pytest.mark.parametrize("case_id", sorted(SUBSET))
def test_hvp_of_subset_function(case_id):
    case = SUBSET[case_id]
    for seed, args in enumerate(case.arg_sets):
        check_hvp(case.f, args, case.wrt, "python", seed=seed)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_hvp_of_program(name):
    f, args, wrt = PROGRAMS[name]
    check_hvp(f, args, wrt, "python")


def fd_hessian(f, x):
    """``H`` column by column: central differences of ``sd.grad`` (python)."""
    g = sd.grad(f, target="python")
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = 1.0
        d, _ = directional_fd(g, (x,), (0,), (e,))
        cols.append(d)
    return np.array(cols).T


@pytest.mark.parametrize("f, x", [
    (rosen, np.array([0.3, -0.8, 1.1, 0.4, -0.2])),
    (P.arr_rebind, np.array([0.3, -0.8, 1.1, 0.4])),
    (P.while_arr, np.array([0.5, 0.9, 0.7])),
    (P.nested_ret, np.array([0.5, 0.9, 0.7])),
    (P.slice_loop, np.array([0.3, -0.8, 1.1, 0.4, -0.2])),
])
def test_hvp_is_hessian_times_vector(f, x):
    v = np.random.default_rng(3).uniform(-1, 1, x.size)
    hessian = fd_hessian(f, x)
    _, hv = cached_hvp(f, 0, "python")(x.copy(), v)
    assert_close(hv, hessian @ v, 1e-6, 1e-7, what="H v vs FD Hessian @ v")
    if f is rosen:
        np.testing.assert_allclose(hv, rosen_hessian(x) @ v, rtol=1e-12, atol=1e-12)


# (while_arr, calls_arr and ode_euler pass too; left out: 7-15 s of Numba compile each)
@pytest.mark.parametrize("name", ["rosen", "neg_step_break"])
def test_hvp_compiled(name):
    if name == "rosen":
        f, args, wrt = rosen, (np.array([0.3, -0.8, 1.1, 0.4, -0.2]),), 0
    else:
        f, args, wrt = PROGRAMS[name]
    check_hvp(f, args, wrt, "cpu")


def test_hvp_agrees_between_targets():
    x = np.random.default_rng(0).uniform(-1.5, 1.5, 50)
    v = np.random.default_rng(1).uniform(-1, 1, 50)
    g_py, hv_py = cached_hvp(rosen, 0, "python")(x, v)
    g_cpu, hv_cpu = cached_hvp(rosen, 0, "cpu")(x, v)
    np.testing.assert_allclose(hv_cpu, hv_py, rtol=1e-12)
    np.testing.assert_allclose(hv_cpu, rosen_hessian(x) @ v, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(g_cpu, g_py, rtol=1e-12)


def test_jvp_of_value_and_grad():
    x = np.array([0.3, -0.8, 1.1, 0.4])
    v = np.array([1.0, 0.5, -0.25, 2.0])
    (value, g), (value_dot, hv) = sd.jvp(sd.value_and_grad(rosen, target="python"),
                                         target="python")(x, v)
    assert value == pytest.approx(rosen(x), rel=1e-14)
    np.testing.assert_allclose(g, sd.grad(rosen, target="python")(x), rtol=1e-14)
    assert value_dot == pytest.approx(float(np.dot(g, v)), rel=1e-12)
    np.testing.assert_allclose(hv, rosen_hessian(x) @ v, rtol=1e-12, atol=1e-12)


def two_args(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s += w * math.sin(x[i] * w) ** 2
    return s


def test_hvp_with_respect_to_a_tuple_of_arguments():
    x = np.array([0.3, -0.8, 1.1])
    args, tangents = (x, 0.7), (np.array([0.2, 1.0, -0.5]), 0.3)
    grads, hv = sd.jvp(sd.grad(two_args, wrt=(0, 1), target="python"), wrt=(0, 1),
                       target="python")(*args, tangents)
    assert isinstance(grads, tuple) and isinstance(hv, tuple) and hv[0].shape == (3,)
    g = sd.grad(two_args, wrt=(0, 1), target="python")
    fd, noise = directional_fd(g, args, (0, 1), tangents)
    assert_close(hv, fd, 1e-6, 1e-8, noise, what="mixed second derivatives")


# -- forward over forward -------------------------------------------------------
def cubic_sin(x):
    return math.sin(x) * x ** 3


def cubic_sin_derivatives(x):
    s, c = math.sin(x), math.cos(x)
    return (s * x ** 3,
            c * x ** 3 + 3 * s * x ** 2,
            -s * x ** 3 + 6 * c * x ** 2 + 6 * s * x,
            -c * x ** 3 - 9 * s * x ** 2 + 18 * c * x + 6 * s)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_third_derivative_by_nested_jvp(target):
    j3 = sd.jvp(sd.jvp(sd.jvp(cubic_sin, target=target), target=target), target=target)
    out = j3(0.7, 1.0, 1.0, 1.0)
    d0, d1, d2, d3 = cubic_sin_derivatives(0.7)
    assert out[0][0] == (pytest.approx(d0, rel=1e-14), pytest.approx(d1, rel=1e-14))
    assert out[0][1][1] == pytest.approx(d2, rel=1e-13)
    assert out[1][1][1] == pytest.approx(d3, rel=1e-13)


def loop_poly(x, n):
    y = x
    for _ in range(n):
        y = y * math.cos(y) + 0.5 * x * y
        if y > 3.0:
            break
    return y


def test_third_derivative_of_a_loop_against_fd():
    j2 = sd.jvp(sd.jvp(loop_poly, target="python"), wrt=0, target="python")
    j3 = sd.jvp(j2, wrt=0, target="python")

    def second(x, n):
        return j2(x, n, 1.0, 1.0)[1][1]

    third = j3(0.6, 4, 1.0, 1.0, 1.0)[1][1][1]
    fd, noise = directional_fd(second, (0.6, 4), (0,), (1.0,))
    assert_close(third, fd, 1e-6, 1e-8, noise, what="third derivative")


def test_second_directional_derivative_is_u_h_v():
    x = np.array([0.3, -0.8, 1.1, 0.4])
    u = np.array([1.0, -0.5, 0.25, 0.5])
    v = np.array([0.2, 0.7, -1.0, 0.1])
    j2 = sd.jvp(sd.jvp(rosen, target="python"), wrt=0, target="python")
    (value, du), (dv, duv) = j2(x, u, v)
    g = sd.grad(rosen, target="python")(x)
    assert value == pytest.approx(rosen(x), rel=1e-14)
    assert du == pytest.approx(float(g @ u), rel=1e-12)
    assert dv == pytest.approx(float(g @ v), rel=1e-12)
    assert duv == pytest.approx(u @ rosen_hessian(x) @ v, rel=1e-12)


def test_grad_then_jvp_source_is_forward_over_the_adjoint():
    x = np.array([0.3, -0.8, 1.1])
    hvp = sd.jvp(sd.grad(rosen, target="python"), target="python")
    text = hvp.source_for(x, x)
    assert "def rosen_grad_jvp(x, x_dot):" in text
    # the adjoint's accumulation dx[i] += ... gets its tangent next to it
    assert "dx_dot[i] +=" in text or "dx_dot[i + 1] +=" in text


def test_generated_function_is_the_entry_point_for_higher_order():
    g = sd.grad(P.while_arr, target="python")
    x = np.array([0.5, 0.9, 0.7])
    f_grad = generated_function(g, [type_of_value(x)])
    assert f_grad.__name__ == "while_arr_grad"
    assert "_saved_" in inspect.getsource(f_grad)     # a tape, as generated
    _, (dx,) = f_grad(x.copy())
    np.testing.assert_allclose(dx, g(x), rtol=1e-14)


def test_reverse_mode_over_tapes_is_refused_not_wrong():
    from sourcediff.program import Program
    # (a loop with no bound on its trips: its values go on a stack that grows)
    types = [type_of_value(0.3)]
    f_grad = generated_function(sd.grad(P.while_true, target="python"), types)
    with pytest.raises(sd.TransformError, match="reverse mode cannot differentiate the tapes"):
        Program(f_grad, types).adjoint(f_grad, types, ["x"], "grad")


def test_hvp_over_a_checkpointed_adjoint():
    y0, k, v = np.array([1.0, 0.0]), 2.0, (np.array([1.0, 0.5]), 0.3)
    plain = sd.grad(P.ode_euler, wrt=(0, 1), target="python")
    ckpt = sd.grad(P.ode_euler, wrt=(0, 1), target="python", checkpoint=10)
    assert "_saved_" in ckpt.source_for(y0, k)
    _, hv = sd.jvp(ckpt, wrt=(0, 1), target="python")(y0, k, v)
    fd, noise = directional_fd(plain, (y0, k), (0, 1), v)
    assert_close(hv, fd, 1e-6, 1e-8, noise, what="H v through checkpointed segments")


def test_hvp_through_user_rules_called_by_the_adjoint():
    # the adjoint calls adjoint_of_softplus(...): its own source is transformed in turn
    from . import funcs as F
    check_hvp(F.model, (np.array([0.3, -0.7, 1.1]), 0.7), (0, 1), "python")


def test_third_derivative_by_forward_over_forward_over_reverse():
    t3 = sd.jvp(sd.jvp(sd.grad(cubic_sin, target="python"), target="python"), target="python")
    (g, h), (h2, d3) = t3(0.7, 1.0, 1.0)
    _, d1, d2, want = cubic_sin_derivatives(0.7)
    assert g == pytest.approx(d1, rel=1e-14) and h == pytest.approx(d2, rel=1e-13)
    assert h2 == pytest.approx(d2, rel=1e-13) and d3 == pytest.approx(want, rel=1e-13)
    # and through a loop with a data-dependent break, against FD of the HVP
    hv = sd.jvp(sd.grad(loop_poly, target="python"), target="python")
    t3 = sd.jvp(hv, wrt=0, target="python")
    third = t3(0.6, 4, 1.0, 1.0)[1][1]
    fd, noise = directional_fd(lambda x, n: hv(x, n, 1.0)[1], (0.6, 4), (0,), (1.0,))
    assert_close(third, fd, 1e-6, 1e-8, noise, what="third derivative (jvp of jvp of grad)")
