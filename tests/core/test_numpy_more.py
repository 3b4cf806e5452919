"""Gradients through the NumPy functions of ``rules/ufuncs_more.py`` and
``rules/arrayfuncs.py`` (exp2, logaddexp, mod, cumsum, cumprod, diff, flip,
diag, kron, ...; see ``numpy_more_funcs.py``).

Each function is checked against central finite differences in float64 and,
where JAX is installed, against ``jax.grad`` of the same source with ``np``
bound to ``jax.numpy``.  Every function runs on the ``python`` target; the
groups that use many of them at once are compiled for ``cpu``.  Also:
singular points give inf/nan as NumPy does, cumprod's adjoint is exact with
zeros, the runtime helpers are the transposes of their operations, and what
the rules do not cover is refused at transform time.
"""
import math
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.rules import cumulative as CU
from sourcediff.runtime import array_helpers as AH

from . import numpy_more_funcs as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

CASES = {c.id: c for c in F.CASES}


def _jax():
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    return jax


def jax_grad(f, args, wrt):
    """``jax.grad`` of ``f``'s code with ``np`` bound to ``jax.numpy`` (None without JAX)."""
    jax = _jax()
    if jax is None:
        return None
    jf = types.FunctionType(f.__code__, {**f.__globals__, "np": jax.numpy}, f.__name__,
                            f.__defaults__, f.__closure__)
    argnums = wrt if isinstance(wrt, tuple) else (wrt,)
    g = jax.grad(jf, argnums=argnums)(*args)
    return tuple(np.asarray(v) for v in g)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_gradient_python(case_id):
    c = CASES[case_id]
    grad = check_grad(c.f, c.args, c.wrt, "python")
    if c.jax:
        ref = jax_grad(c.f, c.args, c.wrt)
        if ref is not None:
            ours = grad if isinstance(c.wrt, tuple) else (grad,)
            for a, b in zip(ours, ref):
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(F.GROUPS))
def test_gradient_cpu(name):
    f, args, wrt = F.GROUPS[name]
    check_grad(f, args, wrt, "cpu")


# the "math" group is left out: math functions do not take JAX tracers (its
# gradients are checked against finite differences above)
@pytest.mark.parametrize("name", sorted(set(F.GROUPS) - {"math"}))
def test_groups_agree_with_jax(name):
    f, args, wrt = F.GROUPS[name]
    if _jax() is None:
        pytest.skip("JAX is not installed (an optional peer); FD checks above still run")
    ours = sd.grad(f, wrt=wrt, target="python")(*args)
    for a, b in zip(ours, jax_grad(f, args, wrt)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_new_ufuncs_are_elementwise():
    """Broadcast operands get summed adjoints and a scalar seed may flow through."""
    from sourcediff.rules.registry import is_elementwise
    from sourcediff.rules.ufuncs_more import FLOAT_RESULT, SAME_KIND
    assert all(is_elementwise(f) for f in FLOAT_RESULT + SAME_KIND + [np.float_power, np.real])
    assert not any(is_elementwise(f) for f in (np.cumsum, np.cumprod, np.sum, np.matmul))

    def f(x):
        return np.sum(np.exp2(x))

    src = sd.grad(f, target="python").source
    # the seed 1.0 (a number, not an array) reaches dx through the rule
    assert "_dt2 = 1.0" in src and "dx += _dt2 * _t1" in src and "zeros_like" not in src
    np.testing.assert_allclose(sd.grad(f, target="python")(F.X), np.exp2(F.X) * math.log(2.0))


# -- singular points: NumPy's inf/nan, never an exception ----------------------------------
def at_pole_arctanh(x):
    return np.arctanh(x)


def at_edge_arccosh(x):
    return np.arccosh(x)


def at_zero_cbrt(x):
    return np.cbrt(x - 1.0)


def at_zero_reciprocal(x):
    return np.reciprocal(x - 1.0)


def at_zero_sinc(x):
    return np.sinc(x - 1.0)


def at_zero_float_power(x):
    return np.float_power(x - 1.0, 0.5)


def by_zero_mod(x):
    return np.mod(x, x - 1.0)


def by_zero_fmod(x):
    return np.fmod(x, x - 1.0)


# the derivative of each at x = 1, as NumPy evaluates the formula
SINGULAR = [(at_pole_arctanh, np.inf), (at_edge_arccosh, np.inf), (at_zero_cbrt, np.inf),
            (at_zero_reciprocal, -np.inf), (at_zero_sinc, 0.0), (at_zero_float_power, np.inf),
            (by_zero_mod, np.nan), (by_zero_fmod, np.nan)]


def all_singular(x):
    return (np.arctanh(x[0]) + np.arccosh(x[1]) + np.cbrt(x[2] - 1.0) + np.reciprocal(x[3] - 1.0)
            + np.sinc(x[4] - 1.0) + np.float_power(x[5] - 1.0, 0.5) + np.mod(x[6], x[6] - 1.0)
            + np.fmod(x[7], x[7] - 1.0))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_singular_points_give_inf_or_nan():
    for f, slope in SINGULAR:     # Python floats: no ZeroDivisionError
        np.testing.assert_array_equal(sd.grad(f, target="python")(1.0), slope, err_msg=f.__name__)
        np.testing.assert_array_equal(sd.jvp(f, target="python")(1.0, 1.0)[1], slope)
    want = np.array([s for _, s in SINGULAR])
    for target in ("python", "cpu"):
        np.testing.assert_array_equal(sd.grad(all_singular, target=target)(np.ones(8)), want)


def test_sinc_slope_is_accurate_near_zero():
    def f(x):
        return np.sinc(x)

    g = sd.grad(f, target="python")
    for x in (0.0, 1e-9, 1e-4, 0.02, 0.0299, 0.0301, 0.5, 2.5):
        t = math.pi * x
        exact = 0.0 if x == 0.0 else (t * math.cos(t) - math.sin(t)) / (math.pi * x * x)
        if x < 0.03:   # the cancellation-free series, for the reference as well
            exact = -math.pi * t / 3 * (1 - t * t / 10 + t ** 4 / 280 - t ** 6 / 15120)
        assert g(x) == pytest.approx(exact, rel=1e-12, abs=1e-300)


def test_cumprod_adjoint_is_exact_with_zeros():
    def brute(x, w):
        n = len(x)
        out = np.zeros(n)
        for j in range(n):
            for i in range(j, n):
                out[j] += w[i] * np.prod(np.delete(x[:i + 1], j))
        return out

    g = sd.grad(F.cumprod, target="python")
    for x in (F.Z, np.array([0.0, 0.0, 3.0, 2.0, 0.5]), F.X):
        np.testing.assert_allclose(g(x), brute(x, F.W), rtol=1e-14, atol=0)


# -- the runtime helpers ---------------------------------------------------------------------
def test_linear_helpers_are_transposes():
    """<op(x), g> = <x, adjoint(g)> for each linear operation and its helper."""
    rng = np.random.default_rng(1)

    def check(op, adjoint, x, *, rtol=1e-12):
        y = op(x)
        g = rng.standard_normal(y.shape)
        assert adjoint(g).shape == x.shape
        assert np.sum(y * g) == pytest.approx(np.sum(x * adjoint(g)), rel=rtol)

    m = rng.standard_normal((4, 5))
    v = rng.standard_normal(6)
    for axis in (0, 1, -1):
        check(lambda a, axis=axis: np.cumsum(a, axis),
              lambda g, axis=axis: CU.reverse_cumsum(g, axis), m)
    for n in (1, 2, 3):
        for x in (v, m):
            check(lambda a, n=n: np.diff(a, n), lambda g, n=n: AH.diff_adjoint(g, n), x)
    for k in (0, 1, -2):
        check(lambda a, k=k: np.diagonal(a, k), lambda g, k=k: AH.put_diagonal(g, m, k), m)
    check(lambda a: np.repeat(a, 3), lambda g: AH.sum_repeats(g, 3), v)
    check(lambda a: np.tile(a, 4), lambda g: AH.sum_tiles(g, 4), v)
    b1, b2 = rng.standard_normal(3), rng.standard_normal((2, 3))
    check(lambda a: np.kron(a, b1), lambda g: AH.kron_adjoint_left(g, b1), v)
    check(lambda b: np.kron(v, b), lambda g: AH.kron_adjoint_right(g, v), b1)
    check(lambda a: np.kron(a, b2), lambda g: AH.kron_adjoint_left(g, b2), m)
    check(lambda b: np.kron(m, b), lambda g: AH.kron_adjoint_right(g, m), b2)


def _fd(f, x, v, h=1e-6):
    return (f(x + h * v) - f(x - h * v)) / (2 * h)


def test_cumprod_helpers_are_derivatives():
    rng = np.random.default_rng(2)
    m = rng.uniform(0.5, 1.5, (3, 4))
    dm = rng.standard_normal((3, 4))
    for axis in (None, 0, 1):
        z = np.cumprod(m, axis)
        g = rng.standard_normal(z.shape)
        np.testing.assert_allclose(CU.cumprod_tangent(m, dm, axis),
                                   _fd(lambda a, axis=axis: np.cumprod(a, axis), m, dm), rtol=1e-7)
        # the adjoint is the transpose of the tangent map
        assert np.sum(CU.cumprod_tangent(m, dm, axis) * g) == pytest.approx(
            np.sum(CU.cumprod_adjoint(m, g, axis) * dm), rel=1e-12)
        np.testing.assert_allclose(CU.cumprod_adjoint_tangent(m, g, dm, axis),
                                   _fd(lambda a, g=g, axis=axis: CU.cumprod_adjoint(a, g, axis), m, dm),
                                   rtol=1e-7, atol=1e-9)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_ieee_remainder_matches_math_remainder():
    rng = np.random.default_rng(3)
    xs = list(rng.uniform(-50, 50, 200)) + [2.5, 3.5, -2.5, 0.0, -0.0, 1e300, 5e-324, 7.0]
    ys = list(rng.uniform(-5, 5, 200)) + [1.0, 1.0, 1.0, 3.0, 3.0, 3.7, 1e-310, 1e-300]
    for x, y in zip(xs, ys):
        got, want = AH.ieee_remainder(x, y), math.remainder(x, y)
        assert got == want and math.copysign(1, got) == math.copysign(1, want), (x, y)
    assert math.isnan(AH.ieee_remainder(1.0, 0.0)) and math.isnan(AH.ieee_remainder(np.inf, 2.0))
    assert AH.ieee_remainder(1.5, np.inf) == 1.5


def test_numba_overloads():
    """The helpers and the NumPy/math functions Numba lacks, compiled in one function."""
    numba = pytest.importorskip("numba")
    AH.install_numba_overloads()

    @numba.njit
    def use(x, m, g2, v3, b3):
        return (CU.reverse_cumsum(m, 0), CU.reverse_cumsum(m, 1), AH.diff_adjoint(x, 2),
                AH.diff_adjoint(m, 1), AH.put_diagonal(x[:3], m, 1), AH.sum_repeats(x, 2),
                AH.sum_tiles(x, 2), AH.kron_adjoint_left(x, v3[:2]),
                AH.kron_adjoint_right(x, v3[:2]), AH.kron_adjoint_left(g2, m[:1, :2]),
                CU.cumprod_adjoint(m, m), CU.cumprod_adjoint(m, m, 0),
                CU.cumprod_tangent(x, x), CU.cumprod_adjoint_tangent(m, m, m, 1),
                np.cumprod(m, 1), np.flip(m, 0), np.flip(m, -1), np.squeeze(m[:1], 0),
                np.atleast_1d(2.5), np.diagonal(m, -1), np.tile(x, 3), np.inner(v3, b3),
                math.fmod(7.5, -2.0), math.remainder(7.5, 2.0), math.remainder(-2.5, 1.0),
                AH.differences(x, 1), AH.differences(m, 2), AH.differences(x[::2], 3),
                AH.differences(x, 2))

    x = np.array([0.5, -1.0, 2.0, 0.0, 1.5, 0.25])
    m = np.arange(1.0, 13.0).reshape(3, 4) / 4.0
    g2 = np.arange(1.0, 9.0).reshape(2, 4)
    v3, b3 = np.array([0.4, -1.2, 0.7]), np.array([-0.3, 0.8, 1.5])
    want = (CU.reverse_cumsum(m, 0), CU.reverse_cumsum(m, 1), AH.diff_adjoint(x, 2),
            AH.diff_adjoint(m, 1), AH.put_diagonal(x[:3], m, 1), AH.sum_repeats(x, 2),
            AH.sum_tiles(x, 2), AH.kron_adjoint_left(x, v3[:2]),
            AH.kron_adjoint_right(x, v3[:2]), AH.kron_adjoint_left(g2, m[:1, :2]),
            CU.cumprod_adjoint(m, m), CU.cumprod_adjoint(m, m, 0),
            CU.cumprod_tangent(x, x), CU.cumprod_adjoint_tangent(m, m, m, 1),
            np.cumprod(m, 1), np.flip(m, 0), np.flip(m, -1), np.squeeze(m[:1], 0),
            np.atleast_1d(2.5), np.diagonal(m, -1), np.tile(x, 3), np.inner(v3, b3),
            math.fmod(7.5, -2.0), math.remainder(7.5, 2.0), math.remainder(-2.5, 1.0),
            np.diff(x), np.diff(m, 2), np.diff(x[::2], 3), np.diff(x, 2))
    for k, (a, b) in enumerate(zip(use(x, m, g2, v3, b3), want)):
        assert np.shape(a) == np.shape(b), k
        np.testing.assert_allclose(a, b, rtol=1e-14, err_msg=str(k))


# -- what is refused ---------------------------------------------------------------------------
def write_through_flip(x):
    y = np.flip(x)
    y[0] = 2.0
    return np.sum(y * x)


def write_after_ravel(m):
    y = np.ravel(m)
    m[0, 0] = 3.0
    return np.sum(y * y)


def squeeze_without_axis(m):
    return np.sum(np.squeeze(m))


def cumsum_with_dtype(x):
    return np.sum(np.cumsum(x, dtype=np.float64))


def repeat_matrix(m):
    return np.sum(np.repeat(m, 2))


def kron_mixed(x, m):
    return np.sum(np.kron(x, m))


@pytest.mark.parametrize("f, args, message", [
    (write_through_flip, (F.X,), "shares memory"),
    (write_after_ravel, (F.M,), "shares memory"),
    (squeeze_without_axis, (F.M[:1],), "needs the axis"),
    (cumsum_with_dtype, (F.X,), "'dtype' is not supported"),
    (repeat_matrix, (F.M,), "1-d arrays"),
    (kron_mixed, (F.X, F.M), "same number of dimensions"),
])
def test_refused_at_transform_time(f, args, message):
    with pytest.raises(sd.TransformError, match=message):
        sd.grad(f, target="python")(*[a.copy() for a in args])


def test_writing_into_diag_of_a_vector_is_allowed():
    """np.diag of a vector is a new matrix, not a view: writes into it are fine."""
    def f(x):
        d = np.diag(x)
        d[0, 1] = 1.0
        return np.sum(d * d)

    np.testing.assert_allclose(sd.grad(f, target="python")(F.X), 2 * F.X)


def test_third_derivative_through_cumprod_is_refused_not_wrong():
    """cumprod's tangent helper has no rule of its own: an error, never a zero."""
    def f(s):
        return np.sum(np.cumprod(s * F.X) ** 2)

    g2 = sd.grad(sd.grad(f, target="python"), target="python")
    assert g2(0.9) == pytest.approx(
        (sd.grad(f, target="python")(0.9 + 1e-6) - sd.grad(f, target="python")(0.9 - 1e-6))
        / 2e-6, rel=1e-6)
    with pytest.raises(sd.TransformError, match="cumprod_tangent"):
        sd.grad(g2, target="python")(0.9)


def math_in_a_kernel(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += math.asinh(x[i]) * math.degrees(x[i]) + math.radians(x[i] * x[i])
    return s


def test_operator_only_math_rules_run_in_cuda_kernels():
    """asinh, degrees and radians need no NumPy call: batched on the cuda target
    (Numba's simulator where there is no GPU)."""
    pytest.importorskip("numba")
    xs = np.random.default_rng(4).uniform(-1.0, 1.0, (6, 4))
    got = sd.grad(math_in_a_kernel, target="cuda", batch=True)(xs)
    want = np.array([sd.grad(math_in_a_kernel, target="python")(x) for x in xs])
    np.testing.assert_allclose(got, want, rtol=1e-12)
