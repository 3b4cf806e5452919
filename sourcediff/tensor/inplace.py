"""In-place operations: ``add_``, ``mul_``, ``zero_``, ``copy_``, ``x[i] = v``, ...

Every in-place op is the out-of-place op applied to a snapshot of the old
value, followed by writing the result into the tensor's buffer. Writing bumps
the version counter shared with views, which is how a tensor saved for
backward notices it was changed. When autograd records, the tensor takes the
result's ``grad_fn`` (or, for a view, its base gets a ``CopySlices`` node).
"""

from __future__ import annotations

import numpy as np

from . import dtypes, grad_mode
from .common import as_operand, raw, sum_to, wrap
from .core import Tensor, needs_grad
from .graph import Node, attach
from .shape_ops import getitem, normalize_index, replay_view

LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF_MESSAGE = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)


def check_inplace(x: Tensor) -> None:
    """Refuse in-place changes autograd could not account for (torch's rules)."""
    if not grad_mode.is_grad_enabled():
        return
    if x._grad_fn is None and x._requires_grad:
        raise RuntimeError(LEAF_MESSAGE)
    base = x._base
    if base is not None and base._grad_fn is None and base._requires_grad:
        raise RuntimeError(VIEW_OF_LEAF_MESSAGE)


def _snapshot(x: Tensor) -> Tensor:
    """The current value of ``x`` as a separate tensor at the same place in the graph."""
    snap = Tensor._wrap(x._data.copy())
    snap._grad_fn, snap._output_nr = x._grad_fn, x._output_nr
    snap._requires_grad = x._requires_grad
    if x._grad_fn is None and x._requires_grad:
        snap._accumulator = x._accumulator
    return snap


def _write(x: Tensor, result: Tensor) -> None:
    if result.dtype.category > x.dtype.category:
        raise RuntimeError(
            f"result type {_c_name(result.dtype)} can't be cast to the desired output type "
            f"{_c_name(x.dtype)}"
        )
    if result.shape != x.shape:
        raise RuntimeError(
            f"output with shape {list(x.shape)} doesn't match the broadcast shape "
            f"{list(result.shape)}"
        )
    np.copyto(x._data, result._data, casting="unsafe")
    x._version_counter.value += 1


def _c_name(d: dtypes.dtype) -> str:
    return d.legacy_name[: -len("Tensor")]


def _adopt_saved_outputs(node: Node | None, result: Tensor, x: Tensor) -> None:
    # the op saved its own output; that output now lives in x's buffer
    saved = getattr(node, "_saved", None)
    if not saved:
        return
    for entry in saved.values():
        if entry.tensor is None and entry.data is result._data:
            entry.data = x._data
            entry.counter = x._version_counter
            entry.version = x._version_counter.value


class CopySlices(Node):
    """The base of a view after an in-place change through the view."""

    def __init__(self, base: Tensor, result: Tensor, chain):
        super().__init__(base, result)
        self.shape, self.dtype, self.chain = base.shape, base.dtype, chain

    def backward(self, grad):
        g_base = g_view = None
        if self.needs_input_grad(0):
            untouched = np.ones(self.shape, dtype=grad.dtype.np)
            with grad_mode.no_grad():
                replay_view(wrap(untouched), self.chain)._data[...] = 0
            g_base = grad * wrap(untouched)
        if self.needs_input_grad(1):
            g_view = replay_view(grad, self.chain)
        return g_base, g_view


def _rebase(x: Tensor, result: Tensor) -> None:
    """Put ``x`` at the place of ``result`` in the graph."""
    base = x._base
    if base is not None and x._view_chain is not None:
        attach(base, CopySlices(base, result, x._view_chain))
        with grad_mode.enable_grad():
            fresh = replay_view(base, x._view_chain)
        node, nr = fresh._grad_fn, 0
    else:
        node, nr = result._grad_fn, result._output_nr
        _adopt_saved_outputs(node, result, x)
    x._grad_fn, x._output_nr = node, nr
    x._requires_grad = node is not None
    if x._retains_grad and node is not None:
        node._retain_grad(nr, x)


def apply_inplace(x: Tensor, compute, *others) -> Tensor:
    """Replace the value of ``x`` by ``compute(old x)`` in place and return ``x``."""
    check_inplace(x)
    if not needs_grad(x, *others):
        with grad_mode.no_grad():
            result = compute(x)
        _write(x, result)
        return x
    result = compute(_snapshot(x))
    _write(x, result)
    _rebase(x, result)
    return x


# ---------------------------------------------------------------------------
# the in-place methods


def add_(self, other, *, alpha=1):
    """``self += alpha * other``."""
    return apply_inplace(self, lambda s: s.add(other, alpha=alpha), other)


def sub_(self, other, *, alpha=1):
    """``self -= alpha * other``."""
    return apply_inplace(self, lambda s: s.sub(other, alpha=alpha), other)


def mul_(self, other):
    """``self *= other``."""
    return apply_inplace(self, lambda s: s.mul(other), other)


def div_(self, other, *, rounding_mode=None):
    """``self /= other``."""
    return apply_inplace(self, lambda s: s.div(other, rounding_mode=rounding_mode), other)


def pow_(self, exponent):
    """``self **= exponent``."""
    return apply_inplace(self, lambda s: s.pow(exponent), exponent)


def _unary_inplace(name: str):
    def method(self):
        return apply_inplace(self, lambda s: getattr(s, name)())

    method.__name__ = name + "_"
    method.__doc__ = f"In-place ``{name}``."
    return method


neg_ = _unary_inplace("neg")
exp_ = _unary_inplace("exp")
log_ = _unary_inplace("log")
sqrt_ = _unary_inplace("sqrt")
abs_ = _unary_inplace("abs")
relu_ = _unary_inplace("relu")
sigmoid_ = _unary_inplace("sigmoid")
tanh_ = _unary_inplace("tanh")
sin_ = _unary_inplace("sin")
cos_ = _unary_inplace("cos")


def clamp_(self, min=None, max=None):
    """Clamp in place."""
    return apply_inplace(self, lambda s: s.clamp(min, max))


class ZeroBackward0(Node):
    def backward(self, grad):
        return (grad * 0,)


class FillBackward2(ZeroBackward0):
    pass


def _constant_like(s: Tensor, value, node_cls) -> Tensor:
    out = wrap(np.full(s.shape, value, dtype=s.dtype.np))
    if needs_grad(s):
        attach(out, node_cls(s))
    return out


def zero_(self):
    """Set every element to zero."""
    return apply_inplace(self, lambda s: _constant_like(s, 0, ZeroBackward0))


def fill_(self, value):
    """Set every element to ``value``."""
    value = value.item() if isinstance(value, Tensor) else value
    return apply_inplace(self, lambda s: _constant_like(s, value, FillBackward2))


class CopyBackwards(Node):
    def __init__(self, dst: Tensor, src: Tensor):
        super().__init__(dst, src)
        self.src_shape, self.src_dtype = src.shape, src.dtype

    def backward(self, grad):
        g_dst = grad * 0 if self.needs_input_grad(0) else None
        g_src = None
        if self.needs_input_grad(1):
            g_src = sum_to(grad, self.src_shape).to(self.src_dtype)
        return g_dst, g_src


def _copied(dst: Tensor, src) -> Tensor:
    src = as_operand(src)
    if not isinstance(src, Tensor):
        src = wrap(np.asarray(src))
    array = np.broadcast_to(src._data, dst.shape).astype(dst.dtype.np)
    out = wrap(array)
    if needs_grad(dst, src):
        attach(out, CopyBackwards(dst, src))
    return out


def copy_(self, src, non_blocking: bool = False):
    """Copy the values of ``src`` (broadcast, converted) into self."""
    return apply_inplace(self, lambda s: _copied(s, src), src)


def _random_fill(self, sample):
    with grad_mode.no_grad():
        return apply_inplace(self, lambda s: wrap(sample(s.shape).astype(s.dtype.np)))


def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None):
    """Fill with samples from U(a, b)."""
    from .rng import default_generator

    gen = (generator or default_generator).numpy
    return _random_fill(self, lambda shape: gen.uniform(a, b, size=shape))


def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
    """Fill with samples from N(mean, std**2)."""
    from .rng import default_generator

    gen = (generator or default_generator).numpy
    return _random_fill(self, lambda shape: gen.normal(mean, std, size=shape))


def masked_fill(self, mask, value) -> Tensor:
    """``value`` where ``mask`` is true, else self."""
    from .pointwise import where

    return where(mask, value, self)


def masked_fill_(self, mask, value):
    """In-place :meth:`masked_fill`."""
    return apply_inplace(self, lambda s: masked_fill(s, mask, value), value)


# ---------------------------------------------------------------------------
# item assignment


class IndexPutBackward0(Node):
    def __init__(self, x, values, index):
        super().__init__(x, values)
        self.index = index
        self.values_shape = values.shape if isinstance(values, Tensor) else ()

    def backward(self, grad):
        g_self = g_values = None
        if self.needs_input_grad(0):
            keep = np.ones(grad.shape, dtype=grad.dtype.np)
            keep[self.index] = 0
            g_self = grad * wrap(keep)
        if self.needs_input_grad(1):
            g_values = sum_to(grad[self.index], self.values_shape)
        return g_self, g_values


def setitem(self: Tensor, index, value) -> None:
    """``self[index] = value``, recorded like torch (CopySlices / IndexPutBackward0)."""
    parts, advanced = normalize_index(index)
    value = as_operand(value)
    if not advanced:
        target = getitem(self, index)
        if isinstance(value, Tensor) and value.ndim > target.ndim:
            # like torch, leading size-1 dims of the value are dropped
            extra = value.ndim - target.ndim
            if all(s == 1 for s in value.shape[:extra]):
                value = value.reshape(value.shape[extra:])
        copy_(target, value)
        return
    check_inplace(self)
    if not needs_grad(self, value):
        self._data[parts] = raw(value)
        self._version_counter.value += 1
        return
    node = IndexPutBackward0(self, value, parts)
    self._data[parts] = raw(value)
    self._version_counter.value += 1
    attach(self, node)
