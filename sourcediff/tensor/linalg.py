"""Matrix products and their backward nodes."""

from __future__ import annotations

import numpy as np

from .common import as_operand, sum_to, wrap
from .core import Tensor, needs_grad
from .graph import Node, attach

_C_NAMES = {"float32": "float", "float64": "double", "int64": "long", "int32": "int"}


def _same_dtype(a: Tensor, b: Tensor) -> None:
    if a.dtype is not b.dtype:
        names = [_C_NAMES.get(t.dtype.name, t.dtype.name) for t in (a, b)]
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {names[0]} != {names[1]}"
        )


def _save_factors(node: Node, a: Tensor, b: Tensor, a_key="self", b_key="mat2") -> None:
    # each factor is needed only for the other one's gradient
    node.save(**{a_key: a if b.requires_grad else None, b_key: b if a.requires_grad else None})


def _is_transposed(t: Tensor) -> bool:
    flags = t._data.flags
    return flags.f_contiguous and not flags.c_contiguous


def _left_transposed_product(a: Tensor, grad: Tensor, transposed: bool) -> Tensor:
    """``a.t() @ grad``; for a factor that is a transposed view (``x @ w.t()`` in a
    linear layer) computed as ``(grad.t() @ a).t()``, so that the weight's gradient
    comes out C-contiguous and is stored as ``.grad`` without a copy."""
    if transposed:
        return grad.t().mm(a).t()
    return a.t().mm(grad)


class MmBackward0(Node):
    def __init__(self, a, b):
        super().__init__(a, b)
        self.transposed = _is_transposed(b)
        _save_factors(self, a, b)

    def backward(self, grad):
        ga = grad.mm(self.saved("mat2").t()) if self.needs_input_grad(0) else None
        gb = _left_transposed_product(self.saved("self"), grad, self.transposed) \
            if self.needs_input_grad(1) else None
        return ga, gb


def mm(input, mat2) -> Tensor:
    """Matrix product of two 2-D tensors."""
    a, b = as_operand(input), as_operand(mat2)
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"{'self' if a.ndim != 2 else 'mat2'} must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                           f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    _same_dtype(a, b)
    out = wrap(np.matmul(a._data, b._data))
    if needs_grad(a, b):
        attach(out, MmBackward0(a, b))
    return out


class AddmmBackward0(Node):
    def __init__(self, bias, a, b, beta, alpha):
        super().__init__(bias, a, b)
        self.bias_shape = bias.shape if isinstance(bias, Tensor) else ()
        self.beta, self.alpha = beta, alpha
        self.transposed = _is_transposed(b)
        _save_factors(self, a, b, "mat1", "mat2")

    def backward(self, grad):
        gbias = ga = gb = None
        if self.needs_input_grad(0):
            gbias = sum_to(grad if self.beta == 1 else grad * self.beta, self.bias_shape)
        if self.alpha != 1:
            grad = grad * self.alpha
        if self.needs_input_grad(1):
            ga = grad.mm(self.saved("mat2").t())
        if self.needs_input_grad(2):
            gb = _left_transposed_product(self.saved("mat1"), grad, self.transposed)
        return gbias, ga, gb


def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``: the affine layer's kernel."""
    bias, a, b = as_operand(input), as_operand(mat1), as_operand(mat2)
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                           f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    product = np.matmul(a._data, b._data)
    if alpha != 1:
        product *= alpha
    product += bias._data if beta == 1 else beta * bias._data
    out = wrap(product)
    if needs_grad(bias, a, b):
        attach(out, AddmmBackward0(bias, a, b, beta, alpha))
    return out


class MvBackward0(Node):
    def __init__(self, a, v):
        super().__init__(a, v)
        _save_factors(self, a, v, "self", "vec")

    def backward(self, grad):
        ga = grad.unsqueeze(1) * self.saved("vec").unsqueeze(0) \
            if self.needs_input_grad(0) else None
        gv = self.saved("self").t().mv(grad) if self.needs_input_grad(1) else None
        return ga, gv


def mv(input, vec) -> Tensor:
    """Matrix-vector product."""
    a, v = as_operand(input), as_operand(vec)
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x"
                           f"{a.shape[1]}), vec ({v.shape[0]})")
    out = wrap(np.matmul(a._data, v._data))
    if needs_grad(a, v):
        attach(out, MvBackward0(a, v))
    return out


class DotBackward0(Node):
    def __init__(self, a, b):
        super().__init__(a, b)
        _save_factors(self, a, b, "self", "tensor")

    def backward(self, grad):
        ga = grad * self.saved("tensor") if self.needs_input_grad(0) else None
        gb = grad * self.saved("self") if self.needs_input_grad(1) else None
        return ga, gb


def dot(input, tensor) -> Tensor:
    """Inner product of two 1-D tensors."""
    a, b = as_operand(input), as_operand(tensor)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have "
                           f"the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements "
                           "respectively")
    out = wrap(np.dot(a._data, b._data))
    if needs_grad(a, b):
        attach(out, DotBackward0(a, b))
    return out


inner = dot


class MatmulBackward0(Node):
    """Batched (>= 3-D, broadcasting) matrix product."""

    def __init__(self, a, b):
        super().__init__(a, b)
        self.shapes = (a.shape, b.shape)
        _save_factors(self, a, b, "self", "other")

    def backward(self, grad):
        ga = gb = None
        if self.needs_input_grad(0):
            ga = sum_to(grad.matmul(self.saved("other").mT), self.shapes[0])
        if self.needs_input_grad(1):
            gb = sum_to(self.saved("self").mT.matmul(grad), self.shapes[1])
        return ga, gb


def matmul(input, other) -> Tensor:
    """``@``: dot, matrix-vector, matrix or batched matrix product by the operands' dims."""
    a, b = as_operand(input), as_operand(other)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    if a.ndim == 1 and b.ndim == 1:
        return dot(a, b)
    if a.ndim == 2 and b.ndim == 2:
        return mm(a, b)
    if a.ndim == 2 and b.ndim == 1:
        return mv(a, b)
    if a.ndim == 1 and b.ndim == 2:
        return mm(a.unsqueeze(0), b).squeeze(0)
    if a.ndim == 1:
        return matmul(a.unsqueeze(0), b).squeeze(-2)
    if b.ndim == 1:
        return matmul(a, b.unsqueeze(-1)).squeeze(-1)
    if a.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b.shape[0]}, {a.shape[-1]}] but got: [{b.shape[0]}, "
                           f"{b.shape[-2]}].")
    out = wrap(np.matmul(a._data, b._data))
    if needs_grad(a, b):
        attach(out, MatmulBackward0(a, b))
    return out


def bmm(input, mat2) -> Tensor:
    """Batched matrix product of two 3-D tensors."""
    a, b = as_operand(input), as_operand(mat2)
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    return matmul(a, b)


def outer(input, vec2) -> Tensor:
    """Outer product of two vectors."""
    a, b = as_operand(input), as_operand(vec2)
    return a.unsqueeze(1) * b.unsqueeze(0)


ger = outer


def rmatmul(input, other) -> Tensor:
    """``other @ input`` (the reflected ``@``)."""
    return matmul(other, input)
