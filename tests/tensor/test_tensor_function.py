"""``autograd.Function`` and ``autograd.gradcheck``, on sourcediff and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from tensor_helpers import values

SECOND_BACKWARD_START = "Trying to backward through the graph a second time"


def make_line(lib):
    class line(lib.autograd.Function):
        @staticmethod
        def forward(ctx, w, x, b):
            ctx.save_for_backward(w, x, b)
            ctx.seen_needs = ctx.needs_input_grad
            ctx.grad_enabled = lib.is_grad_enabled()
            return w * x + b

        @staticmethod
        def backward(ctx, grad_output):
            w, x, _ = ctx.saved_tensors
            return grad_output * x, grad_output * w, grad_output * 1

    return line


def test_custom_function(lib):
    line = make_line(lib)
    w = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = lib.tensor([[5.0, 6.0], [7.0, 8.0]], requires_grad=True)
    b = lib.ones(2, 2, requires_grad=True)
    out = line.apply(w, x, b)
    assert repr(out) == ("tensor([[ 6., 13.],\n        [22., 33.]], grad_fn=<lineBackward>)")
    assert type(out.grad_fn).__name__ == "lineBackward"
    assert [type(n).__name__ for n, _ in out.grad_fn.next_functions] == ["AccumulateGrad"] * 3
    out.backward(lib.ones(2, 2))
    assert values(x.grad).tolist() == values(w).tolist()
    assert values(w.grad).tolist() == values(x).tolist()
    assert values(b.grad).tolist() == [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(RuntimeError, match=SECOND_BACKWARD_START):
        _ = out.grad_fn.saved_tensors


def test_ctx_needs_input_grad_and_no_grad_inside(lib):
    line = make_line(lib)
    w = lib.ones(2, requires_grad=True)
    out = line.apply(w, lib.ones(2), lib.ones(2, requires_grad=True))
    ctx = out.grad_fn
    assert ctx.seen_needs == (True, False, True)
    assert ctx.grad_enabled is False
    assert [type(n).__name__ if n else None for n, _ in ctx.next_functions] == [
        "AccumulateGrad", None, "AccumulateGrad"]
    out.sum().backward()
    assert values(w.grad).tolist() == [1.0, 1.0]


def test_function_without_grad_inputs(lib):
    line = make_line(lib)
    out = line.apply(lib.ones(2), lib.ones(2), lib.ones(2))
    assert out.grad_fn is None and not out.requires_grad


def test_function_with_non_tensor_argument_and_two_outputs(lib):
    class ScaleAndShift(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.scale = scale
            return x * scale, x + 1

        @staticmethod
        def backward(ctx, g_scaled, g_shifted):
            return g_scaled * ctx.scale + g_shifted, None

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    scaled, shifted = ScaleAndShift.apply(x, 3.0)
    assert scaled.grad_fn is shifted.grad_fn
    (scaled.sum() + 10 * shifted.sum()).backward()
    assert values(x.grad).tolist() == [13.0, 13.0]
    x.grad = None
    scaled, shifted = ScaleAndShift.apply(x, 3.0)
    scaled.sum().backward()  # the unused output's gradient is materialised as zeros
    assert values(x.grad).tolist() == [3.0, 3.0]


def test_function_wrong_number_of_gradients(lib):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    a = lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"function BadBackward returned an incorrect number "
                                           r"of gradients \(expected 2, got 1\)"):
        Bad.apply(a, a).sum().backward()


def test_function_mark_non_differentiable(lib):
    class SortedIndex(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = x.argmax()
            ctx.mark_non_differentiable(idx)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            return g * 2

    x = lib.tensor([1.0, 3.0], requires_grad=True)
    y, idx = SortedIndex.apply(x)
    assert y.requires_grad and not idx.requires_grad and idx.item() == 1


def test_double_backward_through_custom_function(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    x = lib.tensor(2.0, requires_grad=True)
    (g,) = lib.autograd.grad(Cube.apply(x), x, create_graph=True)
    (g2,) = lib.autograd.grad(g, x)
    assert g.item() == 12.0 and g2.item() == 12.0


def test_gradcheck_passes_and_fails(lib):
    x = lib.tensor(np.array([0.3, 0.7, 1.1]), requires_grad=True)
    assert lib.autograd.gradcheck(lambda a: (a * a.sin()).sum(), (x,))

    class Wrong(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * a

        @staticmethod
        def backward(ctx, g):
            return g

    assert lib.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError) as info:
        lib.autograd.gradcheck(Wrong.apply, (x,))
    message = str(info.value)
    assert message.startswith("Jacobian mismatch for output 0 with respect to input 0,\n"
                              "numerical:tensor([[")
    assert "analytical:tensor([[1., 0., 0.],\n        [0., 1., 0.],\n        [0., 0., 1.]], " \
           "dtype=torch.float64)" in message


def test_gradcheck_warns_for_float32(lib):
    x = lib.tensor([0.5, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double "
                                         "precision floating point or complex."):
        lib.autograd.gradcheck(lambda a: a * 2, (x,), raise_exception=False)


def test_gradgradcheck(sd):
    x = sd.tensor(np.array([0.3, 0.7]), requires_grad=True)
    assert sd.autograd.gradgradcheck(lambda a: (a.sin() * a.exp()).sum(), (x,))
