"""In-place operations: ``add_``, ``mul_``, ``zero_``, ``copy_``, ``x[i] = v``, ...

Every in-place op is the out-of-place op applied to a snapshot of the old
value, followed by writing the result into the tensor's buffer. Writing bumps
the version counter shared with views, which is how a tensor saved for
backward notices it was changed. When autograd records, the tensor takes the
result's ``grad_fn``; for a view, its base gets a ``CopySlices`` node and the
view an ``AsStridedBackward0`` reading from it. Other views of the same base
notice the version change and renew their ``grad_fn`` the same way when they
are next used (``sync_view``), as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from . import dtypes, grad_mode
from .common import as_operand, raw, sum_to, wrap
from .core import Tensor, needs_grad
from .graph import Node, attach, increment_version, short_name
from .shape_ops import (
    TBackward0,
    UnsqueezeBackward0,
    getitem,
    normalize_index,
    replay_view,
    view_chain,
)

LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF_MESSAGE = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)
INFERENCE_INPLACE_MESSAGE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
    "clone to get a normal tensor before doing inplace update.See "
    "https://github.com/pytorch/rfcs/pull/17 for more details."
)
_MODES = {  # how a view made outside grad mode is described in the error
    "no_grad": ("no_grad mode", "with grad mode enabled", "no_grad block"),
    "inference": ("inference mode", "in normal mode", "inference_mode block"),
}


def check_inplace(x: Tensor, *others) -> None:
    """Refuse in-place changes autograd could not account for (torch's rules)."""
    if x._inference and not grad_mode.is_inference_mode_enabled():
        raise RuntimeError(INFERENCE_INPLACE_MESSAGE)
    if not grad_mode.is_grad_enabled():
        return
    base = x._base
    if base is None:
        if x._grad_fn is None and x._requires_grad:
            raise RuntimeError(LEAF_MESSAGE)
        return
    requires = x.requires_grad or base._requires_grad
    if not (requires or needs_grad(*others)):
        return
    creation = x._view_meta[1]
    if creation != "default":
        raise RuntimeError(_view_creation_message(x, creation))
    if requires and base._grad_fn is None:
        raise RuntimeError(VIEW_OF_LEAF_MESSAGE)


def _view_creation_message(x: Tensor, creation: str) -> str:
    made_in, modified, block = _MODES[creation]
    if x._grad_fn is not None:
        head = (f"Output {x._output_nr} of {short_name(x._grad_fn.name())} is a view of a view "
                f"which was created in {made_in}")
    else:
        head = f"A view was created in {made_in}"
    return (f"{head} and is being modified inplace {modified}. Given that this use case is "
            "ambiguous and error-prone, it is forbidden. You can clarify your code by moving "
            f"both the view and the inplace either both inside the {block} (if you don't want "
            "the inplace to be tracked) or both outside (if you want the inplace to be tracked).")


def _snapshot(x: Tensor) -> Tensor:
    """The current value of ``x`` as a separate tensor at the same place in the graph.

    For a view that place is read afresh from the base (as torch's CopySlices
    does), so hooks on the view's former ``grad_fn`` stay out of the new graph.
    """
    snap = Tensor._wrap(x._data.copy())
    base = x._base
    if base is not None and x._view_meta[1] == "default" and base._requires_grad:
        attach(snap, AsStridedBackward0(base, view_chain(x)))
        return snap
    snap._grad_fn, snap._output_nr = x.grad_fn, x._output_nr
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
        if getattr(entry, "data", None) is not None and entry.data is result._data:
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


class AsStridedBackward0(Node):
    """A view's place in the graph after an in-place change: its part of the base's gradient.

    The backward formulas of the view calls that made the view (replayed on a
    stand-in of the base) carry the view's gradient back to the base's shape.
    """

    def __init__(self, base: Tensor, chain):
        super().__init__(base)
        self.shape, self.dtype, self.chain = base.shape, base.dtype, chain

    def backward(self, grad):
        stand_in = wrap(np.zeros(self.shape, dtype=self.dtype.np))
        stand_in._requires_grad = True
        with grad_mode.enable_grad():
            nodes = []
            view = stand_in
            for op, args in self.chain:
                view = getattr(view, op)(*args)
                nodes.append(view._grad_fn)
        for node in reversed(nodes):
            (grad,) = node.backward(grad)
        return (grad,)


def _move_retained(x: Tensor, old_node, old_nr: int) -> None:
    """``retain_grad`` follows a tensor to its new place in the graph."""
    if x._retains_grad:
        if old_node is not None:
            old_node._forget_retained(old_nr, x)
        if x._grad_fn is not None:
            x._grad_fn._retain_grad(x._output_nr, x)


def rebase(x: Tensor, result: Tensor) -> None:
    """Put ``x`` at the place of ``result`` in the graph."""
    old_node, old_nr = x._grad_fn, x._output_nr
    base = x._base
    if base is not None and x._view_chain is not None:
        base_node, base_nr = base._grad_fn, base._output_nr
        chain = view_chain(x)
        attach(base, CopySlices(base, result, chain))
        _move_retained(base, base_node, base_nr)
        node, nr = AsStridedBackward0(base, chain), 0
        x._view_meta[0] = x._version_counter.value
    else:
        node, nr = result._grad_fn, result._output_nr
        _adopt_saved_outputs(node, result, x)
    x._grad_fn, x._output_nr = node, nr
    x._requires_grad = node is not None
    _move_retained(x, old_node, old_nr)


def sync_view(view: Tensor) -> None:
    """Renew the ``grad_fn`` of a view whose storage changed in place since it was set.

    Bound as ``Tensor._sync_view``; the Tensor class calls it before it reads
    a view's ``grad_fn`` or ``requires_grad``.
    """
    meta = view._view_meta
    version = view._version_counter.value
    if meta[0] == version:
        return
    meta[0] = version
    base = view._base
    if meta[1] != "default" or not base._requires_grad:
        return
    old_node, old_nr = view._grad_fn, view._output_nr
    view._grad_fn, view._output_nr = AsStridedBackward0(base, view_chain(view)), 0
    view._requires_grad = True
    _move_retained(view, old_node, old_nr)


def apply_inplace(x: Tensor, compute, *others) -> Tensor:
    """Replace the value of ``x`` by ``compute(old x)`` in place and return ``x``."""
    check_inplace(x, *others)
    if not needs_grad(x, *others):
        with grad_mode.no_grad():
            result = compute(x)
        _write(x, result)
        return x
    result = compute(_snapshot(x))
    _write(x, result)
    rebase(x, result)
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
# in-place shape changes: the same storage, seen with another shape


class UnsqueezeBackward1(UnsqueezeBackward0):
    """``unsqueeze_``: ``unsqueeze``'s backward under the name torch gives the in-place
    overload's node (...Backward1)."""


class TBackward1(TBackward0):
    """``t_``: ``t``'s backward, the in-place overload's name."""


def _reshape_inplace(x: Tensor, array: np.ndarray, node, done: tuple, undo: tuple) -> Tensor:
    """Give ``x`` the view ``array`` of its storage, recorded as torch records it.

    The version counter moves on (a tensor saved for backward notices the change); a
    tensor recorded in a graph takes ``node`` as its ``grad_fn`` (``retain_grad`` stays
    with the old place, as in torch).  A view adds the call to the chain that makes it
    from its base; a base remembers it, so its older views can be replayed on it.
    """
    x._data = array
    increment_version(x)
    if x._base is not None:
        x._view_chain = x._view_chain + (done,)
        x._view_meta[0] = x._version_counter.value
    else:
        x._shape_changes = x._shape_changes + ((undo, done),)
    if node is not None:
        x._grad_fn, x._output_nr = node, 0
        x._requires_grad = True
    return x


def unsqueeze_(self, dim: int) -> Tensor:
    """Insert a size-1 dimension at ``dim`` in place; returns self."""
    check_inplace(self)
    n = self.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    d = dim % n
    if self._base is not None:  # a view brings its grad_fn up to date first
        sync_view(self)
    node = UnsqueezeBackward1(self, d) if needs_grad(self) else None
    return _reshape_inplace(self, np.expand_dims(self._data, d), node,
                            ("unsqueeze", (d,)), ("squeeze", (d,)))


def t_(self) -> Tensor:
    """Transpose a matrix in place (0-d and 1-d tensors keep their shape); returns self."""
    check_inplace(self)
    if self.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
    if self._base is not None:  # a view brings its grad_fn up to date first
        sync_view(self)
    node = TBackward1(self) if needs_grad(self) else None
    return _reshape_inplace(self, self._data.T, node, ("t", ()), ("t", ()))


# ---------------------------------------------------------------------------
# item assignment


class IndexPutBackward0(Node):
    def __init__(self, x, values, index):
        super().__init__(x, values)
        self.keep(indices=index)  # torch saves the indices: one backward only
        self.values_shape = values.shape if isinstance(values, Tensor) else ()

    def backward(self, grad):
        index = self.saved("indices")
        g_self = g_values = None
        if self.needs_input_grad(0):
            untouched = np.ones(grad.shape, dtype=grad.dtype.np)
            untouched[index] = 0
            g_self = grad * wrap(untouched)
        if self.needs_input_grad(1):
            g_values = sum_to(grad[index], self.values_shape)
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
    check_inplace(self, value)
    if not needs_grad(self, value):
        self._data[parts] = raw(value)
        self._version_counter.value += 1
        return
    apply_inplace(self, lambda s: _index_put(s, parts, value), value)


def _index_put(x: Tensor, parts, value) -> Tensor:
    """A copy of ``x`` with ``value`` written at the advanced index ``parts``."""
    array = x._data.copy()
    array[parts] = raw(value)
    out = wrap(array)
    attach(out, IndexPutBackward0(x, value, parts))
    return out
