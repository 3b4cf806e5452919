"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

Facts taken from PyTorch's ``TestAutograd`` and ``TestAutogradInferenceMode``
(test/test_autograd.py, test/autograd/test_autograd_inference_mode.py),
rewritten as module-level tests that run against sourcediff and against torch.
"""

from __future__ import annotations

import warnings

import pytest
from tensor_helpers import values

# ---------------------------------------------------------------------------
# no_grad / enable_grad / set_grad_enabled


def test_no_grad_as_context_and_decorator(lib):
    x = lib.ones(3, 3, requires_grad=True)
    y = lib.ones(3, 3) * 4
    with lib.no_grad():
        w = x + y

    def adder(a, b):
        return a + b

    for wrapped in (lib.no_grad()(adder), lib.no_grad(adder)):
        z = wrapped(x, y)
        assert not w.requires_grad and w.grad_fn is None
        assert not z.requires_grad and z.grad_fn is None
        with pytest.raises(RuntimeError):
            z.backward(lib.ones(3, 3))
    with lib.no_grad():
        assert not lib.is_grad_enabled()
        wrapped(x, y)
        assert not lib.is_grad_enabled()


def test_enable_grad_decorator_without_parentheses(lib):
    x = lib.ones(1, requires_grad=True)

    @lib.enable_grad
    def doubler(t):
        return t * 2

    with lib.no_grad():
        z = doubler(x)
    assert z.requires_grad


def test_decorators_on_methods_do_not_warn(lib):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        class Holder:
            @lib.no_grad()
            def __init__(self):
                assert not lib.is_grad_enabled()

            @lib.no_grad()
            def method(self):
                assert not lib.is_grad_enabled()

        Holder().method()
    assert caught == []


def test_decorated_generator_applies_its_mode_at_every_resume(lib):
    @lib.no_grad()
    def no_grad_gen():
        for i in range(4):
            assert not lib.is_grad_enabled()
            yield i

    with lib.enable_grad():
        for _ in no_grad_gen():
            assert lib.is_grad_enabled()

    @lib.enable_grad()
    def enable_grad_gen():
        for i in range(4):
            assert lib.is_grad_enabled()
            yield i

    with lib.no_grad():
        for _ in enable_grad_gen():
            assert not lib.is_grad_enabled()


def test_decorated_generator_records_under_its_own_mode(lib):
    x = lib.ones(2, requires_grad=True)

    @lib.no_grad()
    def scaled():
        for k in range(3):
            yield x * k

    outs = list(scaled())
    assert not any(o.requires_grad for o in outs)
    assert (x * 2).requires_grad


def test_decorated_coroutine_send(lib):
    @lib.no_grad()
    def coro_no_grad(n=4):
        assert not lib.is_grad_enabled()
        for i in range(n):
            assert not lib.is_grad_enabled()
            r = yield i
            assert not lib.is_grad_enabled()
            assert r == i
        assert not lib.is_grad_enabled()

    @lib.enable_grad()
    def coro_enable_grad(n=4):
        assert lib.is_grad_enabled()
        for i in range(n):
            r = yield i
            assert lib.is_grad_enabled()
            assert r == i

    def drive(coro, outside):
        r = None
        try:
            while True:
                assert lib.is_grad_enabled() == outside
                r = coro.send(r)
                assert lib.is_grad_enabled() == outside
        except StopIteration:
            pass

    with lib.enable_grad():
        drive(coro_no_grad(), True)
    with lib.no_grad():
        drive(coro_enable_grad(), False)


def test_decorated_coroutine_throw_recoverable(lib):
    class Recoverable(Exception):
        pass

    @lib.no_grad()
    def coro():
        raised = False
        for i in range(4):
            try:
                assert not lib.is_grad_enabled()
                yield (-i if raised else i)
            except Recoverable:
                assert not lib.is_grad_enabled()
                raised = True

    with lib.enable_grad():
        c = coro()
        assert next(c) == 0
        with pytest.raises(StopIteration):
            while True:
                assert c.throw(Recoverable) < 0
        assert lib.is_grad_enabled()


def test_decorated_coroutine_throw_unrecoverable(lib):
    class Fatal(Exception):
        pass

    class Secondary(Exception):
        pass

    @lib.enable_grad()
    def coro():
        for i in range(4):
            try:
                assert lib.is_grad_enabled()
                yield i
            except Fatal:
                assert lib.is_grad_enabled()
                raise Secondary from None

    with lib.no_grad():
        c = coro()
        assert next(c) == 0
        with pytest.raises(Secondary):
            c.throw(Fatal)
        assert not lib.is_grad_enabled()


def test_decorated_coroutine_close(lib):
    state = set()

    @lib.no_grad()
    def coro():
        for i in range(10):
            try:
                assert not lib.is_grad_enabled()
                yield i
            except GeneratorExit:
                assert not lib.is_grad_enabled()
                state.add("GeneratorExit")
                raise

    with lib.enable_grad():
        c = coro()
        for _ in range(3):
            next(c)
        c.close()
        assert lib.is_grad_enabled()
    assert "GeneratorExit" in state


def test_decorators_preserve_the_callers_mode_under_recursion(lib):
    @lib.enable_grad()
    def enabled(depth):
        assert lib.is_grad_enabled()
        if depth > 0:
            disabled(depth - 1)
            assert lib.is_grad_enabled()

    @lib.no_grad()
    def disabled(depth):
        assert not lib.is_grad_enabled()
        if depth > 0:
            enabled(depth - 1)
            assert not lib.is_grad_enabled()

    for outer in (lib.enable_grad, lib.no_grad):
        with outer():
            before = lib.is_grad_enabled()
            enabled(6)
            assert lib.is_grad_enabled() == before
            disabled(6)
            assert lib.is_grad_enabled() == before


def test_set_grad_enabled_takes_effect_immediately(lib):
    x = lib.tensor([1.0], requires_grad=True)
    with lib.set_grad_enabled(False):
        y = x * 2
    assert not y.requires_grad
    with lib.set_grad_enabled(True):
        y = x * 2
    assert y.requires_grad
    with lib.set_grad_enabled(False):
        lib.set_grad_enabled(True)
        y = x * 2
    assert y.requires_grad


@pytest.mark.parametrize("as_decorator", [True, False])
def test_set_grad_enabled_as_decorator_does_not_leak(lib, as_decorator):
    with lib.enable_grad():
        if as_decorator:
            @lib.set_grad_enabled(False)
            def inner(x):
                return x.sin()
        else:
            def inner(x):
                return x.sin()

            obj = lib.set_grad_enabled(False)
            assert not lib.is_grad_enabled()
            inner = obj(inner)
        assert lib.is_grad_enabled()
        assert not inner(lib.zeros(1, requires_grad=True)).requires_grad


def test_no_grad_assignment_keeps_the_leaf(lib):
    x = lib.randn(3, 3, requires_grad=True)
    with lib.no_grad():
        x[0] = lib.randn(3)
    assert x.requires_grad and x.grad_fn is None


def test_numpy_of_a_tensor_that_requires_grad(lib):
    x = lib.randn(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. "
                                           r"Use tensor.detach\(\).numpy\(\) instead."):
        x.numpy()
    with lib.no_grad():
        arr = x.numpy()
    assert arr.shape == (2, 2)
    lib.randn(2).numpy()


# ---------------------------------------------------------------------------
# inference_mode


def test_inference_mode_enabled_flag_nests(lib):
    assert not lib.is_inference_mode_enabled()
    with lib.inference_mode():
        assert lib.is_inference_mode_enabled()
        with lib.inference_mode(False):
            assert not lib.is_inference_mode_enabled()
        assert lib.is_inference_mode_enabled()
    assert not lib.is_inference_mode_enabled()


def test_inference_mode_decorator(lib):
    @lib.inference_mode()
    def square(x):
        assert lib.is_inference_mode_enabled()
        return x * x

    for requires_grad in (True, False):
        d = square(lib.ones(1, 2, 3, requires_grad=requires_grad))
        assert lib.is_inference(d) and not d.requires_grad


def test_tensors_made_in_inference_mode(lib):
    with lib.inference_mode():
        c = lib.ones(1, 2, 3)
        assert not c.requires_grad and lib.is_inference(c)
        tmp = lib.ones(1, 2, 3, requires_grad=True)
        assert tmp.requires_grad and lib.is_inference(tmp)
        tmp = lib.ones(1, 2, 3).requires_grad_(False)
        assert not tmp.requires_grad and lib.is_inference(tmp)
        for requires_grad in (True, False):
            c = lib.ones(1, 2, 3, requires_grad=requires_grad)
            out = c * c
            assert lib.is_inference(out) and not out.requires_grad
            view = c.view(-1)
            assert lib.is_inference(view) and not view.requires_grad


def test_inplace_in_inference_mode_on_a_normal_tensor_is_still_tracked(lib):
    s = lib.ones(1, 2, 3, requires_grad=True)
    a = s.clone()
    out = a * a
    with lib.inference_mode():
        a.add_(2)
    assert not lib.is_inference(a)
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient "
                                           "computation has been modified by an inplace "
                                           "operation"):
        out.backward(lib.ones_like(out))


def test_inference_tensor_used_outside_inference_mode(lib):
    with lib.inference_mode():
        c = lib.ones(1, 2, 3)
    out = c * c
    assert not lib.is_inference(out) and not out.requires_grad and out.is_leaf
    for requires_grad in (True, False):
        with lib.inference_mode():
            c = lib.ones(1, 2, 3, requires_grad=requires_grad)
        view = c.view(-1)
        assert lib.is_inference(view) and not view.requires_grad
        assert not view._is_view() and view.is_leaf


def test_inference_tensor_version_and_inplace_outside_the_mode(lib):
    with lib.inference_mode():
        c = lib.ones(1, 2, 3)
    with pytest.raises(RuntimeError, match="Inference tensors do not track version counter"):
        _ = c._version
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside "
                                           "InferenceMode"):
        c.add_(2)


def test_inference_tensor_cannot_be_saved_for_backward(lib):
    s = lib.ones(1, 2, 3, requires_grad=True)
    with lib.inference_mode():
        c = lib.ones(1, 2, 3, requires_grad=True)
    out = c.add(s)
    assert not lib.is_inference(out) and out.requires_grad
    out.backward(lib.ones_like(out))
    assert values(c.grad).tolist() == values(lib.ones(1, 2, 3)).tolist()
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
        c * s


def test_mixing_inference_and_normal_tensors_in_views(lib):
    s = lib.ones(1, 2, 3, requires_grad=True)
    with lib.inference_mode():
        c = lib.ones(1, 2, 3)
    tmp1 = c.view_as(s)
    assert lib.is_inference(tmp1) and not tmp1.requires_grad
    tmp2 = s.view_as(c)
    assert not lib.is_inference(tmp2) and tmp2.requires_grad


def test_view_made_in_inference_mode_of_a_normal_tensor(lib):
    for requires_grad in (True, False):
        s = lib.ones(1, 2, 3, requires_grad=requires_grad)
        a = s.clone()
        with lib.inference_mode():
            out = a.view(-1)
            assert not lib.is_inference(out)
            assert out.requires_grad == requires_grad
            assert out._is_view() and out.is_leaf
        tmp = out * out
        assert not lib.is_inference(tmp) and tmp.requires_grad == requires_grad
        if requires_grad:
            with pytest.raises(RuntimeError, match="A view was created in inference mode and is "
                                                   "being modified inplace"):
                out.add_(2)
        else:
            out.add_(2)
