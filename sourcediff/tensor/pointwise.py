"""Elementwise operations and their backward nodes.

Each node's ``backward`` is written with Tensor operations, so it reads like
the derivative and is itself differentiable (``create_graph=True``).
"""

from __future__ import annotations

import math

import numpy as np

from . import dtypes
from .common import SCALAR_TYPES, as_operand, broadcast_shape, raw, sum_to, wrap
from .core import Tensor, needs_grad
from .graph import Node, attach


def _shape(value) -> tuple:
    return value.shape if isinstance(value, Tensor) else ()


def _float_dtype(dtype: dtypes.dtype) -> dtypes.dtype:
    return dtype if dtype.is_floating_point else dtypes.get_default_dtype()


def _binary(a, b):
    """Operands as tensors/scalars, the result dtype, and a broadcast check."""
    a, b = as_operand(a), as_operand(b)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.shape != b._data.shape:
        broadcast_shape(a, b)
    return a, b, dtypes.result_type(a, b)


def _saved_or_value(node: Node, key: str):
    value = getattr(node, key)
    return node.saved(key) if value is Tensor else value


def _store(node: Node, key: str, value, needed: bool) -> None:
    """Keep a Python scalar as is; save a tensor (only when ``needed``)."""
    if isinstance(value, Tensor):
        setattr(node, key, Tensor)  # marker: the value is in the saved tensors
        if needed:
            node.save(**{key: value})
    else:
        setattr(node, key, value)


# ---------------------------------------------------------------------------
# + - * / and friends


class AddBackward0(Node):
    def __init__(self, a, b, alpha):
        super().__init__(a, b)
        self.shapes = (_shape(a), _shape(b))
        self.alpha = alpha

    def backward(self, grad):
        ga = sum_to(grad, self.shapes[0]) if self.needs_input_grad(0) else None
        gb = None
        if self.needs_input_grad(1):
            gb = sum_to(grad if self.alpha == 1 else grad * self.alpha, self.shapes[1])
        return ga, gb


class SubBackward0(AddBackward0):
    def backward(self, grad):
        ga = sum_to(grad, self.shapes[0]) if self.needs_input_grad(0) else None
        gb = None
        if self.needs_input_grad(1):
            gb = sum_to(-grad if self.alpha == 1 else grad * -self.alpha, self.shapes[1])
        return ga, gb


class RsubBackward1(Node):
    """``scalar - tensor``."""

    def backward(self, grad):
        return (-grad,)


class MulBackward0(Node):
    def __init__(self, a, b):
        super().__init__(a, b)
        self.shapes = (_shape(a), _shape(b))
        _store(self, "self_", a, needed=isinstance(b, Tensor) and b.requires_grad)
        _store(self, "other", b, needed=isinstance(a, Tensor) and a.requires_grad)

    def backward(self, grad):
        ga = gb = None
        if self.needs_input_grad(0):
            ga = sum_to(grad * _saved_or_value(self, "other"), self.shapes[0])
        if self.needs_input_grad(1):
            gb = sum_to(grad * _saved_or_value(self, "self_"), self.shapes[1])
        return ga, gb


class DivBackward0(Node):
    def __init__(self, a, b):
        super().__init__(a, b)
        self.shapes = (_shape(a), _shape(b))
        b_needs = isinstance(b, Tensor) and b.requires_grad
        _store(self, "self_", a, needed=b_needs)
        _store(self, "other", b, needed=True)

    def backward(self, grad):
        other = _saved_or_value(self, "other")
        ga = gb = None
        if self.needs_input_grad(0):
            ga = sum_to(grad / other, self.shapes[0])
        if self.needs_input_grad(1):
            a = _saved_or_value(self, "self_")
            gb = sum_to(-grad * a / (other * other), self.shapes[1])
        return ga, gb


def add(input, other, *, alpha=1) -> Tensor:
    """``input + alpha * other`` with broadcasting."""
    a, b, dtype = _binary(input, other)
    rb = raw(b, dtype)
    if alpha != 1:
        rb = rb * alpha
    out = wrap(np.add(raw(a, dtype), rb), dtype)
    if needs_grad(a, b):
        attach(out, AddBackward0(a, b, alpha))
    return out


def sub(input, other, *, alpha=1) -> Tensor:
    """``input - alpha * other`` with broadcasting."""
    a, b, dtype = _binary(input, other)
    if dtype is dtypes.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    rb = raw(b, dtype)
    if alpha != 1:
        rb = rb * alpha
    out = wrap(np.subtract(raw(a, dtype), rb), dtype)
    if needs_grad(a, b):
        attach(out, SubBackward0(a, b, alpha))
    return out


def rsub(input, other) -> Tensor:
    """``other - input`` (the reflected ``-``)."""
    if isinstance(other, SCALAR_TYPES):
        a, b, dtype = _binary(input, other)
        out = wrap(np.subtract(raw(b, dtype), raw(a, dtype)), dtype)
        if needs_grad(a):
            attach(out, RsubBackward1(a))
        return out
    return sub(other, input)


def mul(input, other) -> Tensor:
    """Elementwise product with broadcasting."""
    a, b, dtype = _binary(input, other)
    out = wrap(np.multiply(raw(a, dtype), raw(b, dtype)), dtype)
    if needs_grad(a, b):
        attach(out, MulBackward0(a, b))
    return out


def div(input, other, *, rounding_mode=None) -> Tensor:
    """True division (integers give floats), or floor/trunc division."""
    if rounding_mode is not None:
        a, b, dtype = _binary(input, other)
        with np.errstate(all="ignore"):
            q = np.divide(raw(a, dtype), raw(b, dtype))
            q = np.floor(q) if rounding_mode == "floor" else np.trunc(q)
        return wrap(q, dtype)
    a, b, dtype = _binary(input, other)
    dtype = _float_dtype(dtype)
    with np.errstate(all="ignore"):
        out = wrap(np.true_divide(raw(a, dtype), raw(b, dtype)), dtype)
    if needs_grad(a, b):
        attach(out, DivBackward0(a, b))
    return out


def rdiv(input, other) -> Tensor:
    """``other / input``: torch records it as ``reciprocal(input) * other``."""
    if isinstance(other, SCALAR_TYPES):
        return mul(reciprocal(input), other)
    return div(other, input)


class NotImplementedBackward(Node):
    """The node torch records for an op with no derivative formula (``//``, and
    ``scalar % tensor``): the result requires grad, and the backward pass raises
    only if it has to go through the node."""

    def __init__(self, op: str, *inputs):
        super().__init__(*inputs)
        self.op = op

    def backward(self, grad):
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


# torch's class is named ``NotImplemented`` (a name this module keeps for the builtin)
NotImplementedBackward.__name__ = NotImplementedBackward.__qualname__ = "NotImplemented"


class RemainderBackward0(Node):
    """``tensor % scalar``: the gradient passes unchanged (the jumps of
    ``a - b * floor(a / b)`` have measure zero)."""

    def backward(self, grad):
        return (grad,)


class _RemainderOfTensors(Node):
    """``a - b * q`` with ``q`` the quotient rounded (``rounding``): 1 for the
    dividend and ``-q`` for the divisor (torch: ``-grad * self.div(other,
    rounding_mode=...)``)."""
    rounding = "floor"

    def __init__(self, a, b):
        super().__init__(a, b)
        self.shapes = (a.shape, b.shape)
        if b.requires_grad:
            self.save(self=a, other=b)

    def backward(self, grad):
        ga = sum_to(grad, self.shapes[0]) if self.needs_input_grad(0) else None
        gb = None
        if self.needs_input_grad(1):
            quotient = div(self.saved("self"), self.saved("other"), rounding_mode=self.rounding)
            gb = sum_to(-grad * quotient, self.shapes[1])
        return ga, gb


class RemainderBackward1(_RemainderOfTensors):
    """``tensor % tensor``: the quotient rounded down (Python's ``%``)."""
    rounding = "floor"


def floor_divide(input, other) -> Tensor:
    """``input // other``. Not differentiable: as in torch, the result requires grad,
    and a backward pass through it raises."""
    a, b, dtype = _binary(input, other)
    with np.errstate(all="ignore"):
        out = wrap(np.floor_divide(raw(a, dtype), raw(b, dtype)), dtype)
    if needs_grad(a, b):
        attach(out, NotImplementedBackward("floor_divide", a, b))
    return out


def remainder(input, other) -> Tensor:
    """``input % other`` with the sign of the divisor, like Python. Differentiable
    in a tensor ``input`` (and a tensor ``other``); ``scalar % tensor`` is not, as in
    torch."""
    a, b, dtype = _binary(input, other)
    with np.errstate(all="ignore"):
        out = wrap(np.remainder(raw(a, dtype), raw(b, dtype)), dtype)
    if needs_grad(a, b):
        if not isinstance(a, Tensor):
            attach(out, NotImplementedBackward("remainder", b))
        elif isinstance(b, Tensor):
            attach(out, RemainderBackward1(a, b))
        else:
            attach(out, RemainderBackward0(a))
    return out


# ---------------------------------------------------------------------------
# powers


class PowBackward0(Node):
    """``tensor ** scalar``."""

    def __init__(self, base, exponent):
        super().__init__(base)
        self.exponent = exponent
        self.save(self=base)

    def backward(self, grad):
        if self.exponent == 0:
            return (grad * 0,)
        base = self.saved("self")
        return (grad * self.exponent * base ** (self.exponent - 1),)


class PowBackward1(Node):
    """``tensor ** tensor``. As torch: no gradient to the base where the exponent is 0, and
    none to the exponent where ``0 ** exponent`` is flat (base 0, exponent >= 0)."""

    def __init__(self, base, exponent, result):
        super().__init__(base, exponent)
        self.shapes = (base.shape, exponent.shape)
        self.save(output=result, self=base, exponent=exponent, result=result)

    def backward(self, grad):
        base, exponent = self.saved("self"), self.saved("exponent")
        ga = gb = None
        if self.needs_input_grad(0):
            # exponent * base ** (exponent - 1), with 0 (not 0 * inf) where the exponent is 0
            safe = where(wrap(exponent._data == 0), 1.0, exponent)
            ga = sum_to(grad * exponent * base ** (safe - 1), self.shapes[0])
        if self.needs_input_grad(1):
            at_zero = wrap((base._data == 0) & (exponent._data >= 0))
            log_base = log(where(at_zero, 1.0, base))
            gb = where(at_zero, 0.0, grad * self.saved("result") * log_base)
            gb = sum_to(gb, self.shapes[1])
        return ga, gb


class PowBackward2(Node):
    """``scalar ** tensor``: ``result * log(base)``, and 0 where ``0 ** exponent`` is flat."""

    def __init__(self, base, exponent, result):
        super().__init__(exponent)
        self.base = base
        self.save(output=result, result=result)
        if base == 0:
            self.flat = wrap(raw(exponent) >= 0)

    def backward(self, grad):
        result = self.saved("result")
        if self.base != 0:
            return (grad * (result * float(np.log(self.base))),)
        steep = where(self.flat, 1.0, result) * -math.inf
        return (grad * where(self.flat, 0.0, steep),)


def pow(input, exponent) -> Tensor:
    """``input ** exponent``; either may be a scalar."""
    a, b, dtype = _binary(input, exponent)
    if not isinstance(a, Tensor):
        return _scalar_pow(a, b, dtype)
    if dtype.category < 2 and not isinstance(b, Tensor) and b < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    with np.errstate(all="ignore"):
        out = wrap(np.power(raw(a, dtype), raw(b, dtype)), dtype)
    if needs_grad(a, b):
        if isinstance(b, Tensor):
            attach(out, PowBackward1(a, b, out))
        else:
            attach(out, PowBackward0(a, b))
    return out


def _scalar_pow(base, exponent: Tensor, dtype) -> Tensor:
    with np.errstate(all="ignore"):
        out = wrap(np.power(raw(base, dtype), raw(exponent, dtype)), dtype)
    if needs_grad(exponent):
        attach(out, PowBackward2(base, exponent, out))
    return out


def rpow(input, other) -> Tensor:
    """``other ** input`` (the reflected ``**``)."""
    return pow(other, input)


def square(input) -> Tensor:
    """``input ** 2`` (recorded as PowBackward0, like torch)."""
    return pow(input, 2)


# ---------------------------------------------------------------------------
# unary functions


def _unary(node_cls, fn, x, *, save=None, floating=True) -> Tensor:
    """Apply the NumPy function ``fn``; ``save`` is "self", "result" or None."""
    x = as_operand(x)
    if not isinstance(x, Tensor):
        x = wrap(np.asarray(x))
    array = x._data
    if floating and array.dtype.kind not in "f":
        array = array.astype(dtypes.get_default_dtype().np)
    with np.errstate(all="ignore"):
        out = wrap(fn(array))
    if node_cls is not None and needs_grad(x):
        node = node_cls(x)
        if save == "self":
            node.save(self=x)
        elif save == "result":
            node.save(output=out, result=out)
        attach(out, node)
    return out


class NegBackward0(Node):
    def backward(self, grad):
        return (-grad,)


class ExpBackward0(Node):
    def backward(self, grad):
        return (grad * self.saved("result"),)


class Expm1Backward0(Node):
    def backward(self, grad):
        return (grad * (self.saved("result") + 1),)


class LogBackward0(Node):
    def backward(self, grad):
        return (grad / self.saved("self"),)


class Log1PBackward0(Node):
    def backward(self, grad):
        return (grad / (self.saved("self") + 1),)


class SinBackward0(Node):
    def backward(self, grad):
        return (grad * cos(self.saved("self")),)


class CosBackward0(Node):
    def backward(self, grad):
        return (grad * -sin(self.saved("self")),)


class TanBackward0(Node):
    def backward(self, grad):
        result = self.saved("result")
        return (grad * (1 + result * result),)


class TanhBackward0(Node):
    def backward(self, grad):
        result = self.saved("result")
        return (grad * (1 - result * result),)


class SigmoidBackward0(Node):
    def backward(self, grad):
        result = self.saved("result")
        return (grad * result * (1 - result),)


class ReluBackward0(Node):
    def backward(self, grad):
        # the mask is a constant: relu'' = 0 almost everywhere
        return (grad * wrap(self.saved("result")._data > 0, grad.dtype),)


class SqrtBackward0(Node):
    def backward(self, grad):
        return (grad / (2 * self.saved("result")),)


class RsqrtBackward0(Node):
    def backward(self, grad):
        result = self.saved("result")
        return (-0.5 * grad * result * result * result,)


class ReciprocalBackward0(Node):
    def backward(self, grad):
        result = self.saved("result")
        return (-grad * result * result,)


class AbsBackward0(Node):
    def backward(self, grad):
        return (grad * sign(self.saved("self")),)


class SignBackward0(Node):
    def backward(self, grad):
        return (grad * 0,)


class FloorBackward0(SignBackward0):
    pass


class CeilBackward0(SignBackward0):
    pass


class RoundBackward0(SignBackward0):
    pass


def neg(input) -> Tensor:
    """``-input``."""
    return _unary(NegBackward0, np.negative, input, floating=False)


def exp(input) -> Tensor:
    """``e ** input``."""
    return _unary(ExpBackward0, np.exp, input, save="result")


def expm1(input) -> Tensor:
    """``exp(input) - 1``, accurate near zero."""
    return _unary(Expm1Backward0, np.expm1, input, save="result")


def log(input) -> Tensor:
    """Natural logarithm."""
    return _unary(LogBackward0, np.log, input, save="self")


def log1p(input) -> Tensor:
    """``log(1 + input)``, accurate near zero."""
    return _unary(Log1PBackward0, np.log1p, input, save="self")


def sin(input) -> Tensor:
    """Sine."""
    return _unary(SinBackward0, np.sin, input, save="self")


def cos(input) -> Tensor:
    """Cosine."""
    return _unary(CosBackward0, np.cos, input, save="self")


def tan(input) -> Tensor:
    """Tangent."""
    return _unary(TanBackward0, np.tan, input, save="result")


def tanh(input) -> Tensor:
    """Hyperbolic tangent."""
    return _unary(TanhBackward0, np.tanh, input, save="result")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def sigmoid(input) -> Tensor:
    """Logistic function ``1 / (1 + exp(-input))``."""
    return _unary(SigmoidBackward0, _sigmoid, input, save="result")


def relu(input) -> Tensor:
    """``max(input, 0)``."""
    return _unary(ReluBackward0, lambda a: np.maximum(a, a.dtype.type(0)), input,
                  save="result", floating=False)


def sqrt(input) -> Tensor:
    """Square root."""
    return _unary(SqrtBackward0, np.sqrt, input, save="result")


def rsqrt(input) -> Tensor:
    """``1 / sqrt(input)``."""
    return _unary(RsqrtBackward0, lambda a: 1 / np.sqrt(a), input, save="result")


def reciprocal(input) -> Tensor:
    """``1 / input``."""
    return _unary(ReciprocalBackward0, lambda a: 1 / a, input, save="result")


def abs(input) -> Tensor:
    """Absolute value."""
    return _unary(AbsBackward0, np.abs, input, save="self", floating=False)


def sign(input) -> Tensor:
    """-1, 0 or 1 by the sign of each element."""
    return _unary(SignBackward0, np.sign, input, floating=False)


def floor(input) -> Tensor:
    """Round down."""
    return _unary(FloorBackward0, np.floor, input, floating=False)


def ceil(input) -> Tensor:
    """Round up."""
    return _unary(CeilBackward0, np.ceil, input, floating=False)


def round(input) -> Tensor:
    """Round half to even, like torch."""
    return _unary(RoundBackward0, np.round, input, floating=False)


# ---------------------------------------------------------------------------
# clamp, maximum, where


class ClampBackward1(Node):
    """``clamp`` with scalar bounds: the gradient passes where ``min <= x <= max``
    (ties included, as torch)."""

    def __init__(self, x, low, high):
        super().__init__(x)
        self.low, self.high = low, high
        self.save(self=x)

    def backward(self, grad):
        x = self.saved("self")._data
        mask = np.ones(x.shape, dtype=bool)
        if self.low is not None:
            mask &= x >= self.low
        if self.high is not None:
            mask &= x <= self.high
        return (grad * wrap(mask, grad.dtype),)


class ClampBackward0(Node):
    """``clamp`` with tensor bounds, as torch's ``clamp_backward_min_max``: the
    gradient goes to ``input`` where ``min <= input <= max`` (ties go to the
    input), to ``min`` where ``input < min < max``, and to ``max`` where
    ``input > max`` or ``max < min`` (the result is then ``max``). A bound that
    is a scalar or None is a constant."""

    def __init__(self, x, low, high):
        super().__init__(x, low, high)
        self.shapes = (x.shape, _shape(low), _shape(high))
        self.save(self=x)
        # a tensor bound is saved (its version checked); a number or None kept as it is
        self.constants = {}
        for key, bound in (("min", low), ("max", high)):
            if isinstance(bound, Tensor):
                self.save(**{key: bound})
            else:
                self.constants[key] = bound

    def _bound(self, key: str):
        return self.constants[key] if key in self.constants else self.saved(key)._data

    def backward(self, grad):
        x, low, high = self.saved("self")._data, self._bound("min"), self._bound("max")
        with np.errstate(invalid="ignore"):
            to_x = np.ones(grad.shape, dtype=bool)
            if low is not None:
                to_x = to_x & (x >= low)
            if high is not None:
                to_x = to_x & (x <= high)
            to_low = x < low if low is not None else None
            if to_low is not None and high is not None:
                to_low = to_low & (low < high)
            to_high = x > high if high is not None else None
            if to_high is not None and low is not None:
                to_high = to_high | (high < low)
        grads = []
        for i, mask in enumerate((to_x, to_low, to_high)):
            if not self.needs_input_grad(i):
                grads.append(None)
                continue
            mask = np.broadcast_to(mask, grad.shape)
            grads.append(sum_to(grad * wrap(mask, grad.dtype), self.shapes[i]))
        return tuple(grads)


def clamp(input, min=None, max=None) -> Tensor:
    """Limit every element to ``[min, max]``; the bounds are scalars or tensors
    (broadcast against ``input``; tensor bounds get gradients, like torch)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    x = as_operand(input)
    low = min if min is None or isinstance(min, SCALAR_TYPES) else as_operand(min)
    high = max if max is None or isinstance(max, SCALAR_TYPES) else as_operand(max)
    if not isinstance(low, Tensor) and not isinstance(high, Tensor):
        out = wrap(np.clip(x._data, low, high), x.dtype)
        if needs_grad(x):
            attach(out, ClampBackward1(x, low, high))
        return out
    dtype = dtypes.result_type(*(v for v in (x, low, high) if isinstance(v, Tensor)))
    for bound in (low, high):
        if isinstance(bound, Tensor):
            broadcast_shape(x, bound)
    result = raw(x, dtype)
    with np.errstate(invalid="ignore"):
        if low is not None:
            result = np.maximum(result, raw(low, dtype))
        if high is not None:
            result = np.minimum(result, raw(high, dtype))
    out = wrap(result, dtype)
    if needs_grad(x, low, high):
        attach(out, ClampBackward0(x, low, high))
    return out


clip = clamp


class MaximumBackward0(Node):
    """Ties split the gradient evenly, like torch."""

    larger = staticmethod(np.greater)

    def __init__(self, a, b):
        super().__init__(a, b)
        self.shapes = (a.shape, b.shape)
        self.save(self=a, other=b)

    def backward(self, grad):
        a, b = self.saved("self")._data, self.saved("other")._data
        wins = self.larger(a, b) + 0.5 * (a == b)
        ga = sum_to(grad * wrap(wins, grad.dtype), self.shapes[0]) \
            if self.needs_input_grad(0) else None
        gb = sum_to(grad * wrap(1 - wins, grad.dtype), self.shapes[1]) \
            if self.needs_input_grad(1) else None
        return ga, gb


class MinimumBackward0(MaximumBackward0):
    larger = staticmethod(np.less)


def maximum(input, other) -> Tensor:
    """Elementwise maximum of two tensors."""
    a, b, dtype = _binary(input, other)
    out = wrap(np.maximum(raw(a, dtype), raw(b, dtype)), dtype)
    if needs_grad(a, b):
        attach(out, MaximumBackward0(a, b))
    return out


def minimum(input, other) -> Tensor:
    """Elementwise minimum of two tensors."""
    a, b, dtype = _binary(input, other)
    out = wrap(np.minimum(raw(a, dtype), raw(b, dtype)), dtype)
    if needs_grad(a, b):
        attach(out, MinimumBackward0(a, b))
    return out


class WhereBackward0(Node):
    def __init__(self, condition, a, b):
        super().__init__(a, b)
        self.condition = condition
        self.shapes = (_shape(a), _shape(b))

    def backward(self, grad):
        keep = wrap(self.condition, grad.dtype)
        ga = sum_to(grad * keep, self.shapes[0]) if self.needs_input_grad(0) else None
        gb = sum_to(grad * (1 - keep), self.shapes[1]) if self.needs_input_grad(1) else None
        return ga, gb


def where(condition, input, other) -> Tensor:
    """``input`` where ``condition`` holds, else ``other``."""
    cond = raw(as_operand(condition))
    a, b, dtype = _binary(input, other)
    out = wrap(np.where(cond, raw(a, dtype), raw(b, dtype)), dtype)
    if needs_grad(a, b):
        attach(out, WhereBackward0(np.asarray(cond, dtype=bool), a, b))
    return out


# ---------------------------------------------------------------------------
# comparisons and logic (never differentiable)


def _compare(fn, input, other) -> Tensor:
    a, b, dtype = _binary(input, other)
    return wrap(fn(raw(a, dtype), raw(b, dtype)))


def eq(input, other) -> Tensor:
    """Elementwise ``==``."""
    return _compare(np.equal, input, other)


def ne(input, other) -> Tensor:
    """Elementwise ``!=``."""
    return _compare(np.not_equal, input, other)


def lt(input, other) -> Tensor:
    """Elementwise ``<``."""
    return _compare(np.less, input, other)


def le(input, other) -> Tensor:
    """Elementwise ``<=``."""
    return _compare(np.less_equal, input, other)


def gt(input, other) -> Tensor:
    """Elementwise ``>``."""
    return _compare(np.greater, input, other)


def ge(input, other) -> Tensor:
    """Elementwise ``>=``."""
    return _compare(np.greater_equal, input, other)


def logical_and(input, other) -> Tensor:
    """Elementwise logical and."""
    return _compare(np.logical_and, input, other)


def logical_or(input, other) -> Tensor:
    """Elementwise logical or."""
    return _compare(np.logical_or, input, other)


def logical_xor(input, other) -> Tensor:
    """Elementwise logical xor."""
    return _compare(np.logical_xor, input, other)


def logical_not(input) -> Tensor:
    """Elementwise logical not."""
    return wrap(np.logical_not(raw(as_operand(input))))


def bitwise_and(input, other) -> Tensor:
    """``&`` of bool or integer tensors."""
    a, b, dtype = _binary(input, other)
    return wrap(np.bitwise_and(raw(a, dtype), raw(b, dtype)), dtype)


def bitwise_or(input, other) -> Tensor:
    """``|`` of bool or integer tensors."""
    a, b, dtype = _binary(input, other)
    return wrap(np.bitwise_or(raw(a, dtype), raw(b, dtype)), dtype)


def bitwise_xor(input, other) -> Tensor:
    """``^`` of bool or integer tensors."""
    a, b, dtype = _binary(input, other)
    return wrap(np.bitwise_xor(raw(a, dtype), raw(b, dtype)), dtype)


def bitwise_not(input) -> Tensor:
    """``~`` of a bool or integer tensor."""
    x = as_operand(input)
    return wrap(np.invert(x._data))


def isfinite(input) -> Tensor:
    """Which elements are finite."""
    return wrap(np.isfinite(as_operand(input)._data))


def isnan(input) -> Tensor:
    """Which elements are NaN."""
    return wrap(np.isnan(as_operand(input)._data))


def isinf(input) -> Tensor:
    """Which elements are infinite."""
    return wrap(np.isinf(as_operand(input)._data))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Whether all elements are close (same rule as torch/NumPy)."""
    return bool(np.allclose(raw(as_operand(input)), raw(as_operand(other)),
                            rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """Elementwise closeness (same rule as torch/NumPy)."""
    return wrap(np.isclose(raw(as_operand(input)), raw(as_operand(other)),
                           rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other) -> bool:
    """Whether two tensors have the same shape and elements."""
    a, b = as_operand(input), as_operand(other)
    return a.shape == b.shape and bool(np.array_equal(a._data, b._data))


# ---------------------------------------------------------------------------
# atan2, fmod and lerp


class Atan2Backward0(Node):
    def __init__(self, a, b):
        super().__init__(a, b)
        self.shapes = (a.shape, b.shape)
        self.save(self=a, other=b)

    def backward(self, grad):
        a, b = self.saved("self"), self.saved("other")
        scale = grad / (a * a + b * b)
        ga = sum_to(scale * b, self.shapes[0]) if self.needs_input_grad(0) else None
        gb = sum_to(-scale * a, self.shapes[1]) if self.needs_input_grad(1) else None
        return ga, gb


def atan2(input, other) -> Tensor:
    """The angle of the point ``(other, input)``: ``atan(input / other)`` in the right quadrant."""
    a, b, dtype = _binary(input, other)
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("atan2(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(b if isinstance(a, Tensor) else a).__name__}")
    dtype = _float_dtype(dtype)
    out = wrap(np.arctan2(raw(a, dtype), raw(b, dtype)), dtype)
    if needs_grad(a, b):
        attach(out, Atan2Backward0(a, b))
    return out


arctan2 = atan2


class FmodBackward0(Node):
    """``fmod(tensor, scalar)``: the gradient passes unchanged."""

    def backward(self, grad):
        return (grad,)


class FmodBackward1(_RemainderOfTensors):
    """``fmod(tensor, tensor)``: the quotient rounded toward zero (C's fmod)."""
    rounding = "trunc"


def fmod(input, other) -> Tensor:
    """The remainder of ``input / other`` with the sign of the dividend (C's fmod)."""
    a, b, dtype = _binary(input, other)
    if not isinstance(a, Tensor):
        raise TypeError(f"fmod(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(a).__name__}")
    if not dtype.is_floating_point and np.any(np.asarray(raw(b)) == 0):
        raise RuntimeError("ZeroDivisionError")
    with np.errstate(all="ignore"):
        out = wrap(np.fmod(raw(a, dtype), raw(b, dtype)), dtype)
    if needs_grad(a, b):
        attach(out, FmodBackward1(a, b) if isinstance(b, Tensor) else FmodBackward0(a))
    return out


class LerpBackward0(Node):
    """``lerp(start, end, scalar weight)``."""

    def __init__(self, start, end, weight):
        super().__init__(start, end)
        self.shapes = (start.shape, end.shape)
        self.weight = weight

    def backward(self, grad):
        w = self.weight
        gs = sum_to(grad * (1 - w), self.shapes[0]) if self.needs_input_grad(0) else None
        ge = sum_to(grad * w, self.shapes[1]) if self.needs_input_grad(1) else None
        return gs, ge


class LerpBackward1(Node):
    """``lerp(start, end, tensor weight)``."""

    def __init__(self, start, end, weight):
        super().__init__(start, end, weight)
        self.shapes = (start.shape, end.shape, weight.shape)
        self.save(self=start, end=end, weight=weight)

    def backward(self, grad):
        w = self.saved("weight")
        gs = sum_to(grad * (1 - w), self.shapes[0]) if self.needs_input_grad(0) else None
        ge = sum_to(grad * w, self.shapes[1]) if self.needs_input_grad(1) else None
        gw = None
        if self.needs_input_grad(2):
            gw = sum_to(grad * (self.saved("end") - self.saved("self")), self.shapes[2])
        return gs, ge, gw


def lerp(input, end, weight) -> Tensor:
    """``input + weight * (end - input)``, computed from the nearer end like torch."""
    start, end = as_operand(input), as_operand(end)
    if not isinstance(end, Tensor):
        raise TypeError(f"lerp(): argument 'end' (position 2) must be Tensor, not "
                        f"{type(end).__name__}")
    if end.dtype is not start.dtype:
        raise RuntimeError(f"expected dtype {start.dtype.legacy_name[:-6].lower()} for `end` "
                           f"but got dtype {end.dtype.legacy_name[:-6].lower()}")
    weight = as_operand(weight)
    broadcast_shape(start, end)
    if isinstance(weight, Tensor):
        broadcast_shape(start, weight)
        broadcast_shape(end, weight)
    dtype = start.dtype
    s, e, w = raw(start, dtype), raw(end, dtype), raw(weight, dtype)
    with np.errstate(all="ignore"):
        diff = np.subtract(e, s)
        array = np.where(np.abs(w) < 0.5, s + w * diff, e - diff * (1 - np.asarray(w)))
    out = wrap(np.asarray(array, dtype=dtype.np), dtype)
    if needs_grad(start, end, weight):
        if isinstance(weight, Tensor):
            attach(out, LerpBackward1(start, end, weight))
        else:
            attach(out, LerpBackward0(start, end, weight))
    return out
