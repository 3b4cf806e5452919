"""Double backward (``create_graph``), gradcheck, and anomaly mode.

Facts taken from PyTorch's ``TestAutograd`` (test/test_autograd.py), rewritten
as module-level tests that run against sourcediff and against torch.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest
from tensor_helpers import values


def same(a, b, tol=1e-5) -> bool:
    return np.allclose(values(a), values(b), rtol=tol, atol=tol)


# ---------------------------------------------------------------------------
# create_graph


def test_hessian_vector_product_through_dot_grad(lib):
    x = lib.randn(2, 2, requires_grad=True)
    y = lib.randn(2, 2, requires_grad=True)
    z = x ** 2 + y * x + y ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z.backward(lib.ones(2, 2), create_graph=True)
    with lib.no_grad():
        gx, gy = 2 * x + y, x + 2 * y
    assert same(x.grad, gx) and same(y.grad, gy)
    (2 * x.grad + y.grad).backward(lib.ones(2, 2))
    assert same(x.grad, gx + 5) and same(y.grad, gy + 4)
    x.grad = y.grad = None


def test_second_and_third_derivatives(lib):
    x = lib.tensor([0.5, -1.5], dtype=lib.double, requires_grad=True)
    (g,) = lib.autograd.grad((x.sin() * x).sum(), x, create_graph=True)
    assert same(g, x.sin() + x * x.cos())
    (gg,) = lib.autograd.grad(g.sum(), x, create_graph=True)
    assert same(gg, 2 * x.cos() - x * x.sin())
    (ggg,) = lib.autograd.grad(gg.sum(), x)
    assert same(ggg, -3 * x.sin() - x * x.cos())


def test_double_backward_of_a_hook_modified_gradient(lib):
    x = lib.tensor([2.0], requires_grad=True)
    y = x ** 3
    y.register_hook(lambda g: g * 2)
    (g,) = lib.autograd.grad(y, x, create_graph=True)
    assert values(g).tolist() == [24.0]
    (gg,) = lib.autograd.grad(g, x)
    assert values(gg).tolist() == [24.0]


def test_grad_of_a_grad_keeps_the_leaf_grads_untouched(lib):
    x = lib.randn(3, requires_grad=True)
    (g,) = lib.autograd.grad((x ** 4).sum(), x, create_graph=True)
    (h,) = lib.autograd.grad(g.sum(), x)
    assert same(h, 12 * x.detach() ** 2, tol=1e-4)
    assert x.grad is None


def test_create_graph_through_an_inplace_relu_on_a_view(lib):
    inputs = lib.ones(1, 3, 4, 4, requires_grad=True)
    tmp = (inputs + 1).view_as(inputs)
    tmp.relu_()
    prob = lib.sigmoid(tmp)
    (grads,) = lib.autograd.grad(outputs=prob, inputs=inputs, grad_outputs=lib.ones(prob.size()),
                                 create_graph=True, retain_graph=True)
    grads.sum().backward()
    assert inputs.grad is not None and tuple(inputs.grad.shape) == (1, 3, 4, 4)


def test_engine_grad_mode_follows_create_graph(lib):
    seen = []

    class Probe(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            seen.append(lib.is_grad_enabled())
            return g

    x = lib.ones(2, requires_grad=True)
    Probe.apply(x).sum().backward()
    lib.autograd.grad(Probe.apply(x).sum(), x, create_graph=True)
    assert seen == [False, True]


# ---------------------------------------------------------------------------
# gradcheck


@pytest.mark.parametrize("fast_mode", [False, True])
def test_gradcheck_single_input(lib, fast_mode):
    def f(inp):
        return inp.mul(5)

    assert lib.autograd.gradcheck(f, lib.rand(6, dtype=lib.float64, requires_grad=True),
                                  fast_mode=fast_mode)
    assert lib.autograd.gradgradcheck(f, lib.rand(6, dtype=lib.float64, requires_grad=True),
                                      fast_mode=fast_mode)


@pytest.mark.parametrize("fast_mode", [False, True])
def test_gradcheck_reports_a_wrong_gradient(lib, fast_mode):
    def fn(x):
        y = x.clone()
        y.register_hook(lambda g: g + 1e-2)
        return y

    x = lib.ones(2, 2, dtype=lib.double, requires_grad=True)
    gradcheck_module = importlib.import_module(lib.__name__ + ".autograd.gradcheck")
    with pytest.raises(gradcheck_module.GradcheckError,
                       match="Jacobian mismatch for output 0 with respect to input 0"):
        lib.autograd.gradcheck(fn, (x,), fast_mode=fast_mode)
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to "
                                           "input 0"):
        lib.autograd.gradcheck(fn, (x,), fast_mode=fast_mode)
    assert not lib.autograd.gradcheck(fn, (x,), raise_exception=False, fast_mode=fast_mode)

    def broken(x):
        raise RuntimeError("Not a GradcheckError!")

    with pytest.raises(RuntimeError, match="Not a GradcheckError!"):
        lib.autograd.gradcheck(broken, (x,), raise_exception=False, fast_mode=fast_mode)


def test_gradcheck_validates_its_inputs(lib):
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        lib.autograd.gradcheck(lambda x: x, (lib.rand(4),), raise_exception=False)
    x = lib.ones(1, dtype=lib.float32, requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double "
                                         "precision"):
        assert lib.autograd.gradcheck(lambda t: t, (x,), atol=1e-1)
    x = lib.ones(1, dtype=lib.float64, requires_grad=True).expand((2, 2))
    with pytest.raises(RuntimeError, match="The 0th input has a dimension with stride 0"):
        lib.autograd.gradcheck(lambda t: t, (x,), raise_exception=False)


def test_gradcheck_detects_a_non_reentrant_backward(lib):
    class Jitter(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, jitter=0.0):
            ctx.jitter = jitter
            return x

        @staticmethod
        def backward(ctx, g):
            return g * (1 + lib.rand_like(g) * ctx.jitter), None

    inp = lib.randn(3, 3, dtype=lib.double, requires_grad=True)
    assert lib.autograd.gradcheck(lambda x: Jitter.apply(x, 0.0), inp)
    with pytest.raises(RuntimeError, match="Backward is not reentrant"):
        lib.autograd.gradcheck(lambda x: Jitter.apply(x, 1e-6), inp)
    assert lib.autograd.gradcheck(lambda x: Jitter.apply(x, 1e-6), inp, nondet_tol=1e-5)


# ---------------------------------------------------------------------------
# anomaly mode


class _NanBackward:
    """A custom Function whose backward writes NaN into one of two gradients."""

    def __new__(cls, lib, size=6):
        class MyFunc(lib.autograd.Function):
            @staticmethod
            def forward(ctx, inp1, inp2, fail_first):
                ctx.fail_first = fail_first
                return inp1.sum(0, keepdim=True)

            @staticmethod
            def backward(ctx, g):
                gi = g.clone().expand(size).clone()
                gi[0] = 0
                gi[0] /= 0
                return (gi, None, None) if ctx.fail_first else (None, gi, None)

        return MyFunc


def test_anomaly_mode_reports_nan_from_backward(lib):
    MyFunc = _NanBackward(lib)
    inp = lib.rand(6, requires_grad=True)
    MyFunc.apply(inp, inp, True).backward()  # without anomaly mode: no check
    out = MyFunc.apply(inp, inp, True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="Function 'MyFuncBackward' returned nan values "
                                               "in its 0th output."), lib.autograd.detect_anomaly():
            out.backward()
    messages = [str(w.message) for w in caught]
    assert "Anomaly Detection has been enabled" in messages[0]
    assert "Error detected in MyFuncBackward. No forward pass information" in messages[1]


def test_anomaly_mode_traces_the_forward_call(lib):
    MyFunc = _NanBackward(lib)
    inp = lib.rand(6, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="Function 'MyFuncBackward' returned nan values "
                                               "in its 1th output."), lib.autograd.detect_anomaly():
            out = MyFunc.apply(inp, inp, False)
            out.backward()
    trace = str(caught[1].message)
    assert trace.startswith("Error detected in MyFuncBackward. Traceback of forward call that "
                            "caused the error:")
    assert "out = MyFunc.apply(inp, inp, False)" in trace


def test_anomaly_mode_names_the_builtin_op_that_made_nan(lib):
    x = lib.tensor([-1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="Function 'MulBackward0' returned nan values in "
                                               "its 0th output."), lib.autograd.detect_anomaly():
            z = (x * 0 + 0).sqrt()
            z.sum().backward()
    trace = str(caught[1].message)
    assert "Error detected in MulBackward0" in trace and "z = (x * 0 + 0).sqrt()" in trace


def test_nested_anomaly_reports_the_parent_backward(lib):
    size = 6

    class Outer(lib.autograd.Function):
        @staticmethod
        def forward(ctx, inp, fail_first):
            ctx.fail_first = fail_first
            ctx.save_for_backward(inp)
            return inp.sum(0, keepdim=True)

        @staticmethod
        def backward(ctx, g):
            (inp,) = ctx.saved_tensors
            g = g.clone().expand(size)
            return Inner.apply(g * inp, g + inp, ctx.fail_first), None

    class Inner(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, fail_first):
            ctx.fail_first = fail_first
            return a * 2.0 + b

        @staticmethod
        def backward(ctx, g):
            g1, g2 = g.clone(), g.clone()
            g1[0] = 0
            g2[0] = 0
            if ctx.fail_first:
                g1[0] /= 0
            else:
                g2[0] /= 0
            return g1, g2, None

    inp = lib.rand(size, requires_grad=True)
    (ginp,) = lib.autograd.grad(Outer.apply(inp, True), (inp,), create_graph=True)
    ginp.sum().backward()  # no check outside anomaly mode

    inp = lib.rand(size, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="Function 'InnerBackward' returned nan values in "
                                               "its 1th output."), lib.autograd.detect_anomaly():
            out = Outer.apply(inp, False)
            (ginp,) = lib.autograd.grad(out, (inp,), create_graph=True)
            ginp.sum().backward()
    messages = [str(w.message) for w in caught]
    assert "Inner.apply" in messages[1]
    assert "Previous calculation was induced by OuterBackward" in messages[2]
    assert "Outer.apply" in messages[2]


def test_anomaly_mode_warns_before_an_inplace_error(lib):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="one of the variables needed for gradient "
                                               "computation has been modified by an inplace "
                                               "operation"), lib.autograd.detect_anomaly():
            a = lib.randn(5, requires_grad=True)
            d1 = a + 1
            d2 = d1 ** 2
            d1 += 1
            lib.autograd.grad(d2.sum(), a)
    assert len(caught) == 2
    assert "Anomaly Detection has been enabled" in str(caught[0].message)
    assert "Error detected in PowBackward0" in str(caught[1].message)
    assert "d2 = d1 ** 2" in str(caught[1].message)


def test_anomaly_mode_without_the_nan_check(lib):
    class NanGrad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, inp):
            return inp.clone()

        @staticmethod
        def backward(ctx, g):
            return lib.tensor(float("nan")).expand(4, 4)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.autograd.detect_anomaly(check_nan=False):
            inp = lib.rand(4, 4, requires_grad=True)
            out = NanGrad.apply(inp).sum()
            out.backward(retain_graph=True)
            with lib.autograd.detect_anomaly(check_nan=True), \
                    pytest.raises(RuntimeError, match="Function 'NanGradBackward' returned nan "
                                                      "values in its 0th output."):
                out.backward(retain_graph=True)
            out.backward()


def test_set_detect_anomaly_switches_at_once(lib):
    assert not lib.is_anomaly_enabled()
    with lib.autograd.set_detect_anomaly(True):
        assert lib.is_anomaly_enabled()
        with lib.autograd.set_detect_anomaly(True, check_nan=False):
            assert not lib.is_anomaly_check_nan_enabled()
        assert lib.is_anomaly_check_nan_enabled()
    assert not lib.is_anomaly_enabled()
    lib.autograd.set_detect_anomaly(True)
    try:
        assert lib.is_anomaly_enabled()
    finally:
        lib.autograd.set_detect_anomaly(False)
