"""Custom ``autograd.Function``: ctx, saved tensors, dirty and non-differentiable outputs.

Facts taken from PyTorch's ``TestAutograd`` (test/test_autograd.py), rewritten
as module-level tests that run against sourcediff and against torch.
"""

from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import pytest
from tensor_helpers import values


def same(a, b, tol=1e-5) -> bool:
    return np.allclose(values(a), values(b), rtol=tol, atol=tol)


def graph_desc(node) -> str:
    """``Name(child, child, ...)`` for the graph below ``node``."""
    if node is None:
        return "None"
    children = ", ".join(graph_desc(child) for child, _ in node.next_functions)
    return f"{type(node).__name__}({children})"


def make_affine(lib, once: bool):
    """f(t1, s, t2) = t1 + s * t2 + t1 * t2, with a hand-written backward."""

    def backward(ctx, grad):
        if once:
            assert not lib.is_grad_enabled()
        t1, t2 = ctx.saved_tensors
        return grad + grad * t2, None, grad * ctx.scalar + grad * t1

    class Affine(lib.autograd.Function):
        @staticmethod
        def forward(ctx, t1, scalar, t2):
            ctx.scalar = scalar
            ctx.save_for_backward(t1, t2)
            return t1 + scalar * t2 + t1 * t2

    Affine.backward = staticmethod(
        lib.autograd.function.once_differentiable(backward) if once else backward)
    return Affine


def run_affine(lib, cls):
    x = lib.randn(3, 3, requires_grad=True)
    y = lib.randn(3, 3, requires_grad=True)
    result = cls.apply(x, 2, y)
    go = lib.ones((), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result.sum().backward(go, create_graph=True)
    assert same(x.grad, y + lib.ones(3, 3))
    assert same(y.grad, x + lib.ones(3, 3) * 2)
    assert x.grad.grad_fn is not None and y.grad.grad_fn is not None
    return x, y


def test_function_with_a_python_scalar_argument(lib):
    x, y = run_affine(lib, make_affine(lib, once=False))
    desc = graph_desc(x.grad.grad_fn)
    assert desc.startswith("CopyBackwards(None, ")
    x.grad = y.grad = None


def test_once_differentiable_backward_runs_without_grad_and_blocks_double_backward(lib):
    x, y = run_affine(lib, make_affine(lib, once=True))
    expected = "CopyBackwards(None, Error(AccumulateGrad(), None, AccumulateGrad()))"
    assert graph_desc(x.grad.grad_fn) == expected
    assert graph_desc(y.grad.grad_fn) == expected
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was "
                                           "marked with @once_differentiable"):
        x.grad.sum().backward()
    x.grad = y.grad = None


def test_function_returning_its_input(lib):
    class Double(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    for shape in [(1,), ()]:
        v = lib.ones(shape, requires_grad=True)
        Double.apply(v).backward()
        assert same(v.grad, lib.full(shape, 2.0))
        with lib.no_grad():
            v.grad.zero_()
        Double.apply(v.clone()).backward()
        assert same(v.grad, lib.full(shape, 2.0))


def test_function_returning_none_gradients(lib):
    class Blocker(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return None

    x = lib.ones(1, requires_grad=True)
    Blocker.apply(x).backward()
    assert x.grad is None
    Blocker.apply(x ** 2).backward()
    assert x.grad is None
    Blocker.apply(x).sum().backward()
    assert x.grad is None
    assert lib.autograd.grad(Blocker.apply(x), x, allow_unused=True)[0] is None


def _two_outputs(lib, materialize: bool, seen: list):
    class TwoOut(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            if not materialize:
                ctx.set_materialize_grads(False)
            return x.clone(), x.clone()

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append(g2)
            return g1

    return TwoOut


def test_missing_output_gradients_are_zeros_by_default(lib):
    seen = []
    a, _ = _two_outputs(lib, True, seen).apply(lib.ones(2, requires_grad=True))
    a.sum().backward()
    assert values(seen[0]).tolist() == [0.0, 0.0]


def test_set_materialize_grads_false_gives_none(lib):
    seen = []
    a, _ = _two_outputs(lib, False, seen).apply(lib.ones(2, requires_grad=True))
    a.sum().backward()
    assert seen == [None]


def test_legacy_instantiation_warns_and_calling_raises(lib):
    class Id(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        f = Id()
    assert isinstance(f, Id)
    with pytest.raises(RuntimeError, match="Legacy autograd function with non-static forward "
                                           "method is deprecated"):
        f(lib.zeros(1, requires_grad=True))
    assert Id.apply(lib.zeros(1, requires_grad=True)).grad_fn.name() == "IdBackward"


def test_exception_in_backward_propagates(lib):
    class Boom(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            raise ValueError("Simulate error on backward pass")

    t1 = lib.rand(2, 2, requires_grad=True)
    out = Boom.apply((t1 + 1) * (t1 + 1))
    with pytest.raises(ValueError, match="Simulate error on backward pass"):
        out.sum().backward()


def test_non_tensor_inputs_and_outputs(lib):
    class Mixed(lib.autograd.Function):
        @staticmethod
        def forward(ctx, t1, t2, scale, t3):
            t4 = t1 + t2 * t3
            t5 = t1 * t2 + t3
            t4 *= scale
            t5 *= scale
            ctx.scale = scale
            ctx.save_for_backward(t1, t2, t3)
            return scale, t4, None, True, t5, "bar", t1

        @staticmethod
        def backward(ctx, *grads):
            assert len(grads) == 7
            assert grads[0] is None and grads[2] is None and grads[3] is None
            assert grads[5] is None
            s = ctx.scale
            v1, v2, v3 = ctx.saved_tensors
            return (grads[1] * s + grads[4] * v2 * s + grads[6],
                    grads[1] * v3 * s + grads[4] * v1 * s, None,
                    grads[1] * v2 * s + grads[4] * s)

    t1 = lib.rand(5, dtype=lib.double, requires_grad=True)
    t2 = lib.rand(5, dtype=lib.double, requires_grad=True)
    t3 = lib.rand(5, dtype=lib.double)
    res = Mixed.apply(t1, t2, 3, t3)
    assert res[0] == 3 and res[2] is None and res[3] is True and res[5] == "bar"
    assert same(res[1], (t1 + t2 * t3) * 3) and same(res[4], (t1 * t2 + t3) * 3)
    assert same(res[6], t1)
    lib.autograd.backward([res[1].sum(), res[4].sum(), res[6].sum()])
    assert t1.grad is not None and t2.grad is not None and t3.grad is None

    def f(a, b, c):
        out = Mixed.apply(a, b, 3, c)
        return out[1], out[4], out[6]

    assert lib.autograd.gradcheck(f, (t1, t2, t3))


def test_function_without_tensor_arguments(lib):
    class Plain(lib.autograd.Function):
        @staticmethod
        def forward(ctx, t1, t2, scale, t3):
            t4 = t1 + t2 * t3
            t5 = t1 * t2 + t3
            return scale, t4 * scale, None, True, t5 * scale, "bar", t1

        @staticmethod
        def backward(ctx, *args):
            return args[0], args[1], None, args[2]

    res = Plain.apply(0.5, 0.25, 3, 0.75)
    assert res == (3, (0.5 + 0.25 * 0.75) * 3, None, True, (0.5 * 0.25 + 0.75) * 3, "bar", 0.5)


def test_gradient_of_the_wrong_shape_is_rejected(lib):
    class Wrong(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return lib.randn(10, dtype=lib.float)

    x = lib.randn(5, 5, dtype=lib.float, requires_grad=True)
    with pytest.raises(RuntimeError, match="expected shape"):
        Wrong.apply(x).sum().backward()


def test_unrelated_inputs_pass_gradcheck(lib):
    x = lib.rand(4, dtype=lib.double, requires_grad=True)
    y = lib.rand(4, dtype=lib.double, requires_grad=True)
    assert lib.autograd.gradcheck(lambda a, b: a * a, (x, y))
    assert lib.autograd.gradgradcheck(lambda a, b: a * a, (x, y))


def test_setup_context_simple(lib):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x ** 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x

    x = lib.randn([], requires_grad=True)
    (gx,) = lib.autograd.grad(Square.apply(x), x)
    assert same(gx, 2 * x)


def test_setup_context_with_several_outputs(lib):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x ** 2, x.item() * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.two_x = output[1]

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g, _):
            return g * ctx.two_x

    x = lib.randn([], requires_grad=True)
    y, _ = Square.apply(x)
    (gx,) = lib.autograd.grad(y, x)
    assert same(gx, 2 * x)


def test_setup_context_with_several_inputs(lib):
    class Reshape(lib.autograd.Function):
        @staticmethod
        def forward(x, shape, scale_fwd, scale_bwd):
            return x.reshape(shape) * scale_fwd

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, _, _, scale_bwd = inputs
            ctx.scale_bwd = scale_bwd
            ctx.x_shape = x.shape

        @staticmethod
        def backward(ctx, g):
            return g.reshape(ctx.x_shape) * ctx.scale_bwd, None, None, None

    x = lib.randn(24, requires_grad=True)
    y = Reshape.apply(x, (3, 8), 7, 11).sum()
    (gx,) = lib.autograd.grad(y, x)
    assert same(y, x.sum() * 7) and same(gx, lib.full((24,), 11.0))


def test_output_nr_of_saved_outputs(lib):
    class Halves(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x[:5], x[5:]

        @staticmethod
        def backward(ctx, *grads):
            return lib.cat(grads)

    seen = []

    class Keep(lib.autograd.Function):
        @staticmethod
        def forward(ctx, b):
            ctx.save_for_backward(b)
            return b * 2

        @staticmethod
        def backward(ctx, g):
            (b,) = ctx.saved_tensors
            seen.append(b.output_nr)
            return g * 2

    x = lib.randn(10, requires_grad=True)
    _, b = Halves.apply(x)
    assert b.output_nr == 1
    Keep.apply(b).sum().backward()
    assert seen == [1]


def test_no_grad_mode_skips_recording(lib):
    class AddOne(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x + 1

        @staticmethod
        def backward(ctx, g):
            return g

    x = lib.ones(3, requires_grad=True)
    with lib.no_grad():
        y = AddOne.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    assert x.requires_grad


def test_mark_non_differentiable_output(lib):
    class Positive(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x > 0
            ctx.mark_non_differentiable(out)
            return out

        @staticmethod
        def backward(ctx, g):
            return (g * 0).to(lib.double)

    x = lib.randn(3, 3, requires_grad=True)
    mask = Positive.apply(x)
    assert not mask.requires_grad
    x.masked_fill(mask, 0).sum().backward()


def test_mark_non_differentiable_mixed(lib):
    class Pair(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            a, b = x + 1, x + 2
            ctx.mark_non_differentiable(a)
            return a, b

        @staticmethod
        def backward(ctx, ga, gb):
            assert bool((ga == 0).all()) and bool((gb == 1).all())
            return gb

    x = lib.randn(3, 3, requires_grad=True)
    a, b = Pair.apply(x)
    assert not a.requires_grad and b.requires_grad
    b.sum().backward()
    assert values(x.grad).tolist() == [[1.0] * 3] * 3


def test_mark_non_differentiable_output_reaching_a_builtin_op(lib):
    class Cut(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.clone()
            ctx.mark_non_differentiable(out)
            return out

        @staticmethod
        def backward(ctx, g):
            return None

    x = lib.randn(3, 3, requires_grad=True)
    r = Cut.apply(x * x)
    (r * x).sum().backward()
    assert same(x.grad, r)


def test_non_differentiable_output_feeding_another_function(lib):
    class Noise(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = lib.randn(x.size())
            ctx.mark_non_differentiable(out)
            return x, out

        @staticmethod
        def backward(ctx, g, ignored):
            return g

    class First(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, ignored):
            return x

        @staticmethod
        def backward(ctx, g):
            return g, None

    x = lib.randn(5, requires_grad=True)
    a, b = Noise.apply(x)
    b = b + 1
    assert a.requires_grad and not b.requires_grad
    c = First.apply(a, b)
    c.backward(lib.ones(c.size()))
    assert values(x.grad).tolist() == [1.0] * 5


def test_returning_one_tensor_twice(lib):
    class Twice(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            return out, out

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 2

    def fn(x):
        a, b = Twice.apply(x)
        assert a is b
        return a + b

    x = lib.randn(3, 3, dtype=lib.double, requires_grad=True)
    assert lib.autograd.gradcheck(fn, [x])
    assert lib.autograd.gradgradcheck(fn, [x])


def test_returning_a_dirty_input_twice(lib):
    class DoubleInplace(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x, x

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 2

    def fn(x):
        a, b = DoubleInplace.apply(x.clone())
        assert a is b
        return a + b

    x = lib.randn(3, 3, dtype=lib.double, requires_grad=True)
    assert lib.autograd.gradcheck(fn, [x])
    assert lib.autograd.gradgradcheck(fn, [x])
    with pytest.raises(RuntimeError):
        lib.autograd.function.InplaceFunction.apply(x)


def test_dirty_input_is_returned_as_is(lib):
    class AddInto(lib.autograd.function.InplaceFunction):
        @staticmethod
        def forward(ctx, a, b):
            ctx.mark_dirty(a)
            return a.add_(b), b + 2

        @staticmethod
        def backward(ctx, ga, gb):
            return ga, ga + gb

    x = lib.randn(4, 4)
    y = lib.randn(4, 4, requires_grad=True)
    q, _ = AddInto.apply(x, y)
    assert q is x
    assert type(q.grad_fn) is AddInto._backward_cls
    assert q.requires_grad
    q.sum().backward()
    assert values(y.grad).tolist() == [[1.0] * 4] * 4


def test_dirty_output_then_more_inplace(lib):
    calls = [0]

    class AddInto(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            a.add_(b)
            ctx.mark_dirty(a)
            return a

        @staticmethod
        def backward(ctx, g):
            calls[0] += 1
            return g, g

    a = lib.ones(2, requires_grad=True)
    b = lib.ones(2, requires_grad=True)
    AddInto.apply(a.clone(), b).sum().backward()
    c = AddInto.apply(a.clone(), b)
    c += 2
    c.sum().backward()
    AddInto.apply(a.clone().view_as(a), b).sum().backward()
    assert calls[0] == 3
    assert values(a.grad).tolist() == [3.0, 3.0] and values(b.grad).tolist() == [3.0, 3.0]


def test_mark_dirty_on_a_non_input_warns(lib):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            c = 3 * a
            c.add_(b)
            ctx.mark_dirty(c)
            return c

        @staticmethod
        def backward(ctx, g):
            return 3 * g, g

    a = lib.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Bad.apply(a.clone(), lib.ones(2, requires_grad=True))
    assert len(caught) == 1


def test_mark_dirty_input_that_is_not_returned_raises(lib):
    class Sneaky(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            a.add_(b)
            ctx.mark_dirty(a)
            return a.clone(), a + b

        @staticmethod
        def backward(ctx, ga, gab):
            return ga + gab, ga + 2 * gab

    a = lib.ones(2, requires_grad=True)
    b = lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Some elements marked as dirty during the forward "
                                           "method were not returned as output."):
        Sneaky.apply(a.clone().view_as(a), b)


def test_mark_dirty_on_a_view_of_a_leaf_raises(lib):
    class AddOne(lib.autograd.Function):
        @staticmethod
        def forward(ctx, inp):
            inp.add_(1)
            ctx.mark_dirty(inp)
            return inp

        @staticmethod
        def backward(ctx, g):
            return g

    a = lib.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        AddOne.apply(a.view_as(a))


def test_inplace_function_on_a_leaf_raises(lib):
    class AddOne(lib.autograd.Function):
        @staticmethod
        def forward(ctx, inp):
            inp.add_(1)
            ctx.mark_dirty(inp)
            return inp

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        AddOne.apply(lib.tensor([1.0], requires_grad=True))


def test_save_none_for_backward(lib):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(None, x, None)
            return x * x

        @staticmethod
        def backward(ctx, g):
            n1, x, n2 = ctx.saved_tensors
            assert n1 is None and n2 is None
            return 2 * x * g

    x = lib.randn(3, 3, requires_grad=True)
    Square.apply(x).sum().backward()
    assert same(x.grad, 2 * x)


def test_extra_none_gradients_are_ignored(lib):
    class Id(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g, None, None

    x = lib.randn(3, requires_grad=True)
    Id.apply(x).sum().backward()
    assert values(x.grad).tolist() == [1.0] * 3


def test_saved_tensors_of_the_node(lib):
    def make(save: bool):
        class Keep(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                if save:
                    ctx.save_for_backward(x, None)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        return Keep

    a = lib.randn(5, requires_grad=True)
    y = make(True).apply(a)
    saved = y.grad_fn.saved_tensors
    assert saved[0] is a and saved[1] is None
    y.sum().backward()
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        _ = y.grad_fn.saved_tensors
    assert make(False).apply(a).grad_fn.saved_tensors == ()


def test_stashed_ctx_reports_freed_saved_tensors(lib):
    stash = []

    class Id(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, g):
            stash.append(ctx)
            return ctx.saved_tensors

    p = lib.zeros(1, requires_grad=True)
    loss = Id.apply(p)
    loss.backward(retain_graph=True)
    del loss
    gc.collect()
    loss = Id.apply(p)
    loss.backward()
    with pytest.raises(RuntimeError):
        _ = stash[-1].saved_tensors


def test_needs_input_grad(lib):
    seen = []

    class Probe(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, k, b):
            seen.append(ctx.needs_input_grad)
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            return g, None, g

    a = lib.ones(2, requires_grad=True)
    b = lib.ones(2)
    Probe.apply(a, 3, b).sum().backward()
    assert seen == [(True, False, False), (True, False, False)]


def test_double_backward_through_a_function_using_its_saved_output(lib):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x ** 2
            ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, g):
            x, _ = ctx.saved_tensors
            return g * 2 * x

    class SquareFromOutput(Square):
        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * 2 * y / x

    x = lib.tensor(2).double().requires_grad_()
    for cls in (Square, SquareFromOutput):
        assert lib.autograd.gradcheck(cls.apply, x)
        assert lib.autograd.gradgradcheck(cls.apply, x)
        y = cls.apply(x)
        lib.autograd.grad(y, x, create_graph=True)
        lib.autograd.grad(y, x)


def test_repeated_double_backward_through_a_custom_function(lib):
    class Prod3(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x[:, 0] * x[:, 1] * x[:, 2]
            ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return (g * y)[:, None] / x

    x = (lib.rand(2, 3) + 1).requires_grad_()
    y = Prod3.apply(x)
    (gy,) = lib.autograd.grad(y[0], x, create_graph=True)
    (first,) = lib.autograd.grad(gy[0, 0], x, retain_graph=True)
    (gy,) = lib.autograd.grad(y[0], x, create_graph=True)
    (second,) = lib.autograd.grad(gy[0, 0], x, retain_graph=True)
    assert same(first, second)
    assert abs(first[0, 1].item() - x[0, 2].item()) < 1e-5


def test_reentrant_backward_inside_a_function(lib):
    y_data = lib.randn(2, 2)

    class Reenter(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            with lib.enable_grad():
                ctx.x = lib.autograd.Variable(x, requires_grad=True)
                ctx.y = lib.autograd.Variable(y_data, requires_grad=True)
                ctx.out = ctx.x * ctx.y
            return ctx.out.detach()

        @staticmethod
        def backward(ctx, g):
            with lib.enable_grad():
                ctx.out.sum().backward()
            return ctx.x.grad * g

    x = lib.randn(2, 2, requires_grad=True)
    Reenter.apply(x).sum().backward()
    assert same(x.grad, y_data)


def test_error_in_a_reentrant_child_graph_propagates(lib):
    class Boom(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            raise RuntimeError("Simulate error in the child")

    a = lib.rand(3, 3, requires_grad=True)
    c = a * a
    b = lib.rand(3, 3, requires_grad=True)
    child_root = Boom.apply(b * b).sum()

    class Parent(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            child_root.backward()
            return g

    with pytest.raises(RuntimeError, match="Simulate error"):
        Parent.apply(c).sum().backward()


def test_grad_mode_is_restored_after_a_reentrant_grad(lib):
    class Inner(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, go):
            before = lib.is_grad_enabled()
            with lib.enable_grad():
                foo = lib.rand(go.size(), requires_grad=True)
                (g,) = lib.autograd.grad(foo ** 3, foo, grad_outputs=go)
                assert lib.is_grad_enabled()
            assert lib.is_grad_enabled() == before
            return g

    x = lib.rand(3, requires_grad=True)
    Inner.apply(x).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Inner.apply(x).sum().backward(create_graph=True)


def test_missing_forward_or_backward(lib):
    class NoForward(lib.autograd.Function):
        @staticmethod
        def backward(ctx, g):
            return g

    class NoBackward(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

    class Both(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return g

        @staticmethod
        def vjp(ctx, g):
            return g

    inp = lib.rand(1, requires_grad=True)
    with pytest.raises(NotImplementedError, match="must implement the forward"):
        NoForward.apply(inp)
    with pytest.raises(RuntimeError, match="must implement either the backward"):
        NoBackward.apply(inp).sum().backward()
    with pytest.raises(RuntimeError, match="Implementing both 'backward' and 'vjp'"):
        Both.apply(inp).sum().backward()


def test_vjp_as_the_backward(lib):
    class Triple(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def vjp(ctx, g):
            return g * 3

    x = lib.ones(2, requires_grad=True)
    Triple.apply(x).sum().backward()
    assert values(x.grad).tolist() == [3.0, 3.0]


def test_inplace_inside_forward_on_a_local_view(lib):
    class LocalView(lib.autograd.Function):
        @staticmethod
        def forward(ctx, inp, inplace):
            view = inp.clone()[:3]
            if inplace:
                view += 2
            return view

        @staticmethod
        def backward(ctx, g):
            return g, None

    base = lib.rand(10, requires_grad=True)
    assert type(LocalView.apply(base, False).grad_fn).__name__ == "LocalViewBackward"
    assert type(LocalView.apply(base, True).grad_fn).__name__ == "LocalViewBackward"


def test_node_is_an_instance_of_graph_node(lib):
    Node = lib.autograd.graph.Node
    a = lib.rand(3, 3, requires_grad=True)
    b = a.exp()
    assert isinstance(b.grad_fn, Node)
    assert isinstance(b.grad_fn.next_functions[0][0], Node)
    assert not isinstance(None, Node) and not isinstance(1, Node)

    class Func(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            assert isinstance(ctx, Node)
            return x

        @staticmethod
        def backward(ctx, g):
            assert isinstance(ctx, Node)
            return g

    out = Func.apply(a)
    assert isinstance(out.grad_fn, Node)
    out.sum().backward()


def test_function_result_is_freed_with_its_metadata(lib):
    class Keep(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, meta):
            x = x.clone()
            ctx.meta = meta
            ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x, None

    class Token:
        pass

    def make(with_backward):
        a = lib.tensor(3.0, requires_grad=True)
        meta = {}
        out = Keep.apply(a, meta)
        token = Token()
        meta["token"] = token
        meta["out"] = out
        if with_backward:
            out.sum().backward()
            assert same(a.grad, a)
        return weakref.ref(token)

    for with_backward in (False, True):
        ref = make(with_backward)
        gc.collect()
        assert ref() is None
