"""The public surface of the core transforms (SPEC section 2).

``@sd.function``, ``sd.source``, ``sd.show``, Numba-decorated inputs, SciPy
interoperability, and the types, shapes and dtypes of what comes back.
Expected gradients are closed forms computed here or finite differences.
"""

import ast
import math
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import cached_grad, cached_value_and_grad, check_grad, numeric_grad

TARGETS = ["python", "cpu"]
X4 = np.array([0.3, -0.7, 1.1, 0.45])


def assert_parses_as_python(src):
    assert isinstance(src, str) and "def " in src, src
    ast.parse(src)  # the generated source is readable, valid Python


# ---------------------------------------------------------------------------
# @sd.function


@sd.function
def api_poly(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s += w * x[i] ** 2 + math.sin(x[i])
    return s


def poly_value(x, w):
    return w * np.sum(x**2) + np.sum(np.sin(x))


def test_function_is_callable_like_the_original():
    for w in (0.7, -1.3):
        assert api_poly(X4, w) == pytest.approx(poly_value(X4, w), rel=1e-10)
    x2 = np.linspace(-1.0, 2.0, 9)
    assert api_poly(x2, 0.7) == pytest.approx(poly_value(x2, 0.7), rel=1e-10)


def test_function_grad_methods():
    w = 0.7
    gx = api_poly.grad(0)(X4, w)
    np.testing.assert_allclose(gx, 2.0 * w * X4 + np.cos(X4), rtol=1e-10)
    gw = api_poly.grad("w")(X4, w)
    assert gw == pytest.approx(np.sum(X4**2), rel=1e-10)
    gx2, gw2 = api_poly.grad((0, 1))(X4, w)
    np.testing.assert_allclose(gx2, gx, rtol=1e-10)
    assert gw2 == pytest.approx(gw, rel=1e-10)
    (only,) = api_poly.grad((1,))(X4, w)
    assert only == pytest.approx(gw, rel=1e-10)


def test_function_value_and_grad_method():
    w = -1.3
    v, (gx, gw) = api_poly.value_and_grad((0, 1))(X4, w)
    assert v == pytest.approx(poly_value(X4, w), rel=1e-10)
    np.testing.assert_allclose(gx, 2.0 * w * X4 + np.cos(X4), rtol=1e-10)
    assert gw == pytest.approx(np.sum(X4**2), rel=1e-10)
    v0, g0 = api_poly.value_and_grad(0)(X4, w)
    assert v0 == pytest.approx(v, rel=1e-10)
    np.testing.assert_allclose(g0, gx, rtol=1e-10)


def test_function_source_kinds():
    api_poly.grad(0)(X4, 0.7)  # the source is specialised to argument types
    api_poly(X4, 0.7)
    primal = api_poly.source("primal")
    adjoint = api_poly.source("grad")
    assert_parses_as_python(primal)
    assert_parses_as_python(adjoint)
    assert primal != adjoint, "source('primal') and source('grad') should differ"


@sd.function
def api_inner(v):
    return v * v * math.sin(v)


def calls_sd_function(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += api_inner(x[i]) * x[i]
    return s


@sd.function
def api_scale_into(x, out):
    """Writes into ``out`` and returns nothing."""
    for i in range(x.shape[0]):
        out[i] = 2.0 * x[i] + math.sin(x[i])


def calls_writing_helper(x):
    out = np.empty(x.shape[0])
    api_scale_into(x, out)
    return np.sum(out * out)


@pytest.mark.parametrize("target", TARGETS)
def test_sd_function_that_writes_into_an_argument(target):
    # called plainly it fills the caller's array and returns None, like the
    # Python function (it raised "must return a value to differentiate")
    out = np.zeros(4)
    helper = sd.function(api_scale_into.py_func, target=target)
    assert helper(X4, out) is None
    np.testing.assert_allclose(out, 2.0 * X4 + np.sin(X4), rtol=1e-12)
    value, g = sd.value_and_grad(calls_writing_helper, target=target)(X4)
    u = 2.0 * X4 + np.sin(X4)
    assert value == pytest.approx(np.sum(u * u), rel=1e-12)
    np.testing.assert_allclose(g, 2.0 * u * (2.0 + np.cos(X4)), rtol=1e-12)


@pytest.mark.parametrize("target", TARGETS)
def test_transformed_function_calls_an_sd_function(target):
    g = sd.grad(calls_sd_function, target=target)(X4)
    # d/dx of x * x^2 sin(x) = 3 x^2 sin(x) + x^3 cos(x)
    np.testing.assert_allclose(g, 3 * X4**2 * np.sin(X4) + X4**3 * np.cos(X4), rtol=1e-10)


# ---------------------------------------------------------------------------
# sd.source / .source / sd.show


def softplus_sum(x, beta):
    s = 0.0
    for i in range(x.shape[0]):
        s += math.log1p(math.exp(beta * x[i])) / beta
    return s


@pytest.mark.parametrize("target", TARGETS)
def test_source_of_transformed_functions(target):
    # as in SPEC section 2: call, then read the source of that specialisation
    df = cached_grad(softplus_sum, 0, target)
    df(X4, 1.5)
    assert_parses_as_python(df.source)
    assert sd.source(df) == df.source
    vg = cached_value_and_grad(softplus_sum, 0, target)
    vg(X4, 1.5)
    assert_parses_as_python(sd.source(vg))


def test_show_prints_forward_and_adjoint(capsys):
    # SPEC section 2's example: sd.show(f) on the plain function (array argument)
    sd.grad(softplus_sum, target="python")(X4, 1.5)
    sd.show(softplus_sum)
    out = capsys.readouterr().out
    assert out.count("def ") >= 2, out
    assert "softplus_sum" in out, out


def _quadratic(A, v):             # nothing says A and v are arrays
    w = A @ v
    return np.sum(w * w)


def test_show_takes_example_arguments_where_the_code_depends_on_their_types(capsys):
    # a matrix and a vector: nothing to guess them from in the source
    with pytest.raises(ValueError, match="sd.show\\(f, wrt, args="):
        sd.show(_quadratic)
    sd.show(_quadratic, 0, args=(np.ones((3, 2)), np.ones(2)))
    out = capsys.readouterr().out
    assert "def _quadratic_grad(A, v):" in out, out


# ---------------------------------------------------------------------------
# inputs decorated with numba.njit


def _plain_energy(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        d = x[i + 1] - x[i]
        s += d * d * d * d - math.cos(x[i])
    return s


jitted_energy = numba.njit(_plain_energy)


@pytest.mark.parametrize("target", TARGETS)
def test_numba_njit_function_is_accepted(target):
    assert jitted_energy(X4) == pytest.approx(_plain_energy(X4), rel=1e-10)
    check_grad(jitted_energy, (X4,), 0, target)


# ---------------------------------------------------------------------------
# scipy.optimize.minimize with jac=True


def rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


@pytest.mark.parametrize("target", TARGETS)
def test_scipy_minimize_rosenbrock(target):
    optimize = pytest.importorskip("scipy.optimize", reason="scipy is in the 'test' extra")
    x0 = np.array([-1.2, 1.0, -1.2, 1.0, 0.5])
    res = optimize.minimize(
        cached_value_and_grad(rosenbrock, 0, target),
        x0,
        jac=True,
        method="BFGS",
        options={"gtol": 1e-8, "maxiter": 2000},
    )
    assert res.fun < 1e-10, res
    np.testing.assert_allclose(res.x, np.ones(5), atol=1e-4)


# ---------------------------------------------------------------------------
# arguments untouched; types, shapes and dtypes of gradients


def scratch_heavy(a, v, w):
    b = a.copy()
    t = np.zeros_like(v)
    for it in range(3):
        for i in range(b.shape[0]):
            for j in range(b.shape[1]):
                b[i, j] = math.sin(b[i, j] * w) + v[j]
        for j in range(v.shape[0]):
            t[j] = t[j] * w + b[0, j]
    return np.sum(t * t) + np.sum(b * v)


A34 = np.random.default_rng(7).uniform(-1.0, 1.0, (3, 4))
V4 = np.array([0.2, -0.4, 0.9, 0.6])


@pytest.mark.parametrize("target", TARGETS)
def test_caller_arguments_are_not_modified(target):
    a, v = A34.copy(), V4.copy()
    a32, v32 = A34.astype(np.float32), V4.astype(np.float32)
    for args in ((a, v, 0.8), (a32, v32, 0.8)):
        saved = [x.copy() for x in args[:2]]
        cached_grad(scratch_heavy, (0, 1, 2), target)(*args)
        cached_value_and_grad(scratch_heavy, (0, 1, 2), target)(*args)
        for before, after in zip(saved, args[:2]):
            assert np.array_equal(before, after)
            assert before.dtype == after.dtype


@pytest.mark.parametrize("target", TARGETS)
def test_gradient_types_shapes_and_dtypes(target):
    # check_grad asserts shape/dtype/type of every gradient and compares with FD
    ga, gv, gw = check_grad(scratch_heavy, (A34, V4, 0.8), (0, 1, 2), target)
    assert isinstance(gw, (float, np.floating)) and not isinstance(gw, np.ndarray)
    assert ga.shape == (3, 4) and ga.dtype == np.float64
    assert gv.shape == (4,) and gv.dtype == np.float64
    a32, v32 = A34.astype(np.float32), V4.astype(np.float32)
    ga, gv, gw = check_grad(
        scratch_heavy, (a32, v32, 0.8), (0, 1, 2), target, rtol=1e-3, atol=1e-6
    )  # float32 arithmetic: looser rtol
    assert ga.dtype == np.float32 and gv.dtype == np.float32
    assert isinstance(gw, (float, np.floating)) and not isinstance(gw, np.ndarray)


@pytest.mark.parametrize("target", TARGETS)
def test_gradient_of_strided_view_argument(target):
    # a non-contiguous column view: the gradient has the view's shape and values
    col = A34[:, 1]
    g = sd.grad(softplus_sum, target=target)(col, 1.5)
    assert g.shape == col.shape and g.dtype == np.float64
    np.testing.assert_allclose(g, 1.0 / (1.0 + np.exp(-1.5 * col)), rtol=1e-10)


@pytest.mark.parametrize("target", TARGETS)
def test_repeated_calls_and_new_sizes(target):
    df = cached_grad(softplus_sum, 0, target)
    x5 = np.linspace(-1.0, 1.0, 5)
    x50 = np.linspace(-2.0, 3.0, 50)
    first = df(x5, 0.9)
    big = df(x50, 0.9)
    again = df(x5, 0.9)
    np.testing.assert_array_equal(first, again)
    sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))
    np.testing.assert_allclose(first, sigmoid(0.9 * x5), rtol=1e-10)
    np.testing.assert_allclose(big, sigmoid(0.9 * x50), rtol=1e-10)


def test_defaults_are_wrt_0_and_cpu():
    g = sd.grad(softplus_sum)(X4, 2.0)
    np.testing.assert_allclose(g, 1.0 / (1.0 + np.exp(-2.0 * X4)), rtol=1e-10)
    v, g2 = sd.value_and_grad(softplus_sum)(X4, 2.0)
    assert v == pytest.approx(softplus_sum(X4, 2.0), rel=1e-10)
    np.testing.assert_allclose(g2, g, rtol=1e-10)


@pytest.mark.parametrize("target", TARGETS)
def test_wrt_one_tuple_and_order(target):
    (gb,) = sd.grad(softplus_sum, wrt=(1,), target=target)(X4, 2.0)
    expected_gb = numeric_grad(softplus_sum, (X4, 2.0), 1)
    assert gb == pytest.approx(expected_gb, rel=1e-6)
    gb2, gx = sd.grad(softplus_sum, wrt=("beta", "x"), target=target)(X4, 2.0)
    assert gb2 == pytest.approx(gb, rel=1e-10)
    np.testing.assert_allclose(gx, 1.0 / (1.0 + np.exp(-2.0 * X4)), rtol=1e-10)
    _, (gx2,) = sd.value_and_grad(softplus_sum, wrt=(0,), target=target)(X4, 2.0)
    np.testing.assert_allclose(gx2, gx, rtol=1e-10)


def logistic_steps(w0, X, y, lr, steps):
    # a Python float beside float32 arrays: float32 in NumPy, float64 in Numba
    # (the taped 'p' then failed to compile: cannot unify float32 and float64)
    w = w0.copy()
    n = X.shape[0]
    for s in range(steps):
        z = X @ w
        p = 1.0 / (1.0 + np.exp(-z))
        g = X.T @ (p - y) / n
        w = w - lr * g
    z = X @ w
    return np.mean(np.log1p(np.exp(-z)) + (1.0 - y) * z)


@pytest.mark.parametrize("target", TARGETS)
def test_float32_program_with_float_constants(target):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5], np.float32) > 0).astype(np.float32)
    # lr a Python float (a float64 number in Numba): cast where it meets float32 arrays
    args = (np.zeros(3, np.float32), X, y, 0.5, 4)
    value, (gw, glr) = sd.value_and_grad(logistic_steps, wrt=(0, 3), target=target)(*args)
    assert gw.dtype == np.float32 and type(value) is np.float32
    wide = (np.zeros(3), X.astype(np.float64), y.astype(np.float64), 0.5, 4)
    want = numeric_grad(logistic_steps, wide, (0, 3))
    np.testing.assert_allclose(gw, want[0], rtol=2e-4, atol=1e-5)
    assert float(glr) == pytest.approx(want[1], rel=2e-4, abs=1e-5)
    assert float(value) == pytest.approx(logistic_steps(*wide), rel=1e-5)


def float32_decay(w, g, lr):
    rate = 0.25
    for k in range(3):
        w = w - lr * g * w - rate * w * w
    return np.sum(w * w)


@pytest.mark.parametrize("target", TARGETS)
def test_float32_results_stay_float32(target):
    """A float32 result is float32 on every target and in every transform
    (Numba gives a float32 number back as a Python float), and a float64
    number beside float32 arrays (a local constant, an argument) no longer
    breaks the compiled code; its gradient flows through the cast."""
    w = np.array([0.3, -0.2, 0.5], np.float32)
    g = np.array([1.0, 0.5, -0.25], np.float32)
    value, (gw, glr) = sd.value_and_grad(float32_decay, wrt=(0, 2), target=target)(w, g, 0.5)
    assert type(value) is np.float32 and gw.dtype == np.float32
    wide = (w.astype(np.float64), g.astype(np.float64), 0.5)
    want = numeric_grad(float32_decay, wide, (0, 2))
    np.testing.assert_allclose(gw, want[0], rtol=1e-5, atol=1e-6)
    assert glr == pytest.approx(want[1], rel=1e-5)
    value, tangent = sd.jvp(float32_decay, wrt=2, target=target)(w, g, 0.5, 1.0)
    assert type(value) is np.float32 and tangent == pytest.approx(want[1], rel=1e-5)
    value, cotangents = sd.vjp(float32_decay, wrt=0, target=target)(w, g, 0.5, np.float32(2.0))
    assert type(value) is np.float32
    np.testing.assert_allclose(cotangents, 2.0 * want[0], rtol=1e-5, atol=1e-6)


def ridge_mixed(X, y, lam, c):
    d = X.shape[1]
    A = X.T @ X + lam * np.eye(d)          # float64 (np.eye) beside float32 data
    w = np.linalg.solve(A, X.T @ y)        # solve(float64, float32)
    return np.sum((X @ w - y) ** 2) + np.sum(X @ c)    # float32 @ float64


@pytest.mark.parametrize("target", TARGETS)
def test_float32_and_float64_in_products_and_solves(target):
    """NumPy promotes ``float32 @ float64`` and ``solve(float64, float32)``;
    Numba takes one dtype: the narrower operand is converted first, and the
    gradient is the float64 program's, in float32."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((8, 3)).astype(np.float32)
    y = rng.standard_normal(8).astype(np.float32)
    c = np.array([1.0, -2.0, 0.5])
    value, (gX, glam) = sd.value_and_grad(ridge_mixed, wrt=(0, 2), target=target)(X, y, 0.7, c)
    assert gX.dtype == np.float32
    wide = (X.astype(np.float64), y.astype(np.float64), 0.7, c)
    want = numeric_grad(ridge_mixed, wide, (0, 2))
    np.testing.assert_allclose(gX, want[0], rtol=1e-4, atol=1e-4)
    assert float(glam) == pytest.approx(want[1], rel=1e-4, abs=1e-5)
    assert float(value) == pytest.approx(ridge_mixed(X, y, 0.7, c), rel=1e-5)


def scales_in_place(a, v, w):
    for i in range(a.shape[0]):
        a[i, 0] = a[i, 0] * w + v[i % v.shape[0]]
    return np.sum(a * a) * w


@pytest.mark.parametrize("target", TARGETS)
def test_calls_again_with_the_same_kinds_of_arguments(target):
    """A call with the argument kinds of the call before takes a shorter path
    (transforms/base.py ``run``): it still copies the arrays the function
    writes into, converts float32 gradients, and gives way to keywords and
    other kinds."""
    vg = sd.value_and_grad(scales_in_place, wrt=(0, 1, 2), target=target)
    a32, v32 = A34.astype(np.float32), V4.astype(np.float32)
    first = vg(A34.copy(), V4.copy(), 0.8)
    for args in [(A34.copy(), V4.copy(), 0.8), (a32.copy(), v32.copy(), 0.8)] * 2:
        saved = [x.copy() for x in args[:2]]
        value, grads = vg(*args)
        for before, after in zip(saved, args[:2]):
            assert np.array_equal(before, after) and before.dtype == after.dtype
        assert grads[0].dtype == args[0].dtype and grads[1].dtype == args[1].dtype
        assert type(grads[2]) is float
        if args[0].dtype == np.float64:
            assert value == first[0]
            for g, want in zip(grads, first[1]):
                np.testing.assert_array_equal(g, want)
    value, grads = vg(A34.copy(), V4.copy(), w=0.8)
    assert value == first[0] and grads[2] == first[1][2]


WEIGHTS = np.array([1.0, 2.0])


def weighted_by_global(x):
    return np.sum(WEIGHTS * x * x)


@pytest.mark.parametrize("target", ["cpu", "parallel"])
def test_a_new_transform_sees_a_global_array_rebound_since(target):
    """Numba compiles a global array's values in, and its cache keeps them: a
    transform made after the global is rebound (or changed in place) must not
    load the machine code made for the old values."""
    global WEIGHTS
    x = np.array([0.5, -1.5])
    old = WEIGHTS
    try:
        for w in ([1.0, 2.0], [100.0, 2.0], [-3.0, 0.25]):
            WEIGHTS = np.array(w)
            value, g = sd.value_and_grad(weighted_by_global, target=target)(x)
            assert value == pytest.approx(weighted_by_global(x), rel=1e-15)
            np.testing.assert_allclose(g, 2.0 * WEIGHTS * x, rtol=1e-15)
        WEIGHTS[0] = 7.0                      # in place, then a new transform
        np.testing.assert_allclose(sd.grad(weighted_by_global, target=target)(x),
                                   2.0 * WEIGHTS * x, rtol=1e-15)
    finally:
        WEIGHTS = old
