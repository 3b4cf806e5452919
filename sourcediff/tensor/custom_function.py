"""User-defined differentiable operations: ``autograd.Function``.

As in PyTorch, the ``ctx`` handed to ``forward`` *is* the backward node of
the call (a class named ``<Function>Backward``), so ``out.grad_fn.saved_tensors``
and ``ctx.saved_tensors`` are the same thing.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from . import grad_mode
from .common import sum_to, wrap
from .core import Tensor
from .graph import SECOND_BACKWARD_MESSAGE, Node, SavedTensor, attach, gradient_edge, save_tensor
from .inplace import check_inplace, rebase

LEGACY_MESSAGE = (
    "Legacy autograd function with non-static forward method is deprecated. Please use new-style "
    "autograd function with static forward method. (Example: "
    "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
)
ONCE_DIFFERENTIABLE_MESSAGE = (
    "trying to differentiate twice a function that was marked with @once_differentiable"
)


class FunctionCtx:
    """What ``forward`` can record for ``backward``."""

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors for backward; they come back from ``ctx.saved_tensors``."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument 0 is "
                                f"of type {type(t).__name__}")
        self._to_save = tensors

    def save_for_forward(self, *tensors) -> None:
        self._to_save_forward = tensors

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs that ``forward`` modified in place."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Declare outputs that have no gradient (indices, masks)."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """Whether missing output gradients reach ``backward`` as zeros (default) or None."""
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        if self._released:
            raise RuntimeError(SECOND_BACKWARD_MESSAGE)
        return tuple(s.unpack(self) if isinstance(s, SavedTensor) else s
                     for s in self._saved_list)


class BackwardCFunction(FunctionCtx, Node):
    """Base of the generated ``<Function>Backward`` node classes."""

    _forward_cls = None
    foreign_grads = True  # backward may return tensors that others hold

    def _setup(self, args) -> None:
        Node.__init__(self)
        self._tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.next_functions = tuple(gradient_edge(args[i]) for i in self._tensor_positions)
        self.needs_input_grad = tuple(
            isinstance(a, Tensor) and a.requires_grad for a in args
        )
        self._input_meta = [(args[i].shape, args[i].dtype) for i in self._tensor_positions]
        self._to_save = ()
        self._dirty = ()
        self._non_differentiable = ()
        self._saved_list = ()
        self.materialize_grads = True
        self._output_meta = []

    @property
    def num_outputs(self) -> int:
        return max(len(self._output_meta), 1)

    def _release(self) -> None:
        if self._saved_list:
            self._saved_list = ()
            self._released = True

    def name(self) -> str:
        return type(self).__name__

    def apply(self, *grads):
        if self.materialize_grads:
            grads = tuple(
                wrap(np.zeros(meta[0], dtype=meta[1].np)) if g is None and meta else g
                for g, meta in zip(grads, self._output_meta)
            )
        result = self._user_backward()(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n_args = len(self.needs_input_grad)
        if len(result) > n_args and all(r is None for r in result[n_args:]):
            result = result[:n_args]
        if len(result) != n_args:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {n_args}, got {len(result)})")
        grads_out = []
        for k, position in enumerate(self._tensor_positions):
            grads_out.append(self._check_grad(result[position], k, position))
        return tuple(grads_out)

    def _user_backward(self):
        """The Function's ``backward`` or ``vjp`` (exactly one of them may be written)."""
        cls = self._forward_cls
        if cls.backward is not Function.backward and cls.vjp is not Function.vjp:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is "
                               "not allowed. You should only implement one of them.")
        return cls.vjp if cls.vjp is not Function.vjp else cls.backward

    def _check_grad(self, grad, k: int, position: int):
        if grad is None or self.next_functions[k][0] is None:
            return None
        if not isinstance(grad, Tensor):
            raise TypeError(f"function {self.name()} returned a gradient different than None "
                            f"at position {position + 1}, but the corresponding forward input "
                            "was not a Variable")
        shape, dtype = self._input_meta[k]
        if grad.shape != shape:
            try:
                grad = sum_to(grad, shape)
            except RuntimeError:
                grad = None
            if grad is None or grad.shape != shape:
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {position} - "
                    f"got {list(grad.shape) if grad is not None else None} but expected shape "
                    f"compatible with {list(shape)}"
                ) from None
        if grad.dtype is not dtype:
            grad = grad.to(dtype)
        return grad


class _FunctionMeta(type):
    def __init__(cls, name, bases, namespace):
        super().__init__(name, bases, namespace)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})


class Function(metaclass=_FunctionMeta):
    """Subclass with static ``forward(ctx, ...)`` and ``backward(ctx, *grads)``, call ``.apply``.

    >>> import sourcediff as sd
    >>> class Square(sd.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * grad
    >>> x = sd.tensor([3.0], requires_grad=True)
    >>> y = Square.apply(x)
    >>> y.backward()
    >>> y.grad_fn.name(), x.grad
    ('SquareBackward', tensor([6.]))
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    def __init__(self, *args, **kwargs):
        warnings.warn(f"{type(self)} should not be instantiated. Methods on autograd functions "
                      "are all static, so you should invoke them on the class itself. "
                      "Instantiating an autograd function will raise an error in a future "
                      "version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(LEGACY_MESSAGE)

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls._backward_cls.__new__(cls._backward_cls)
        ctx._setup(args)
        with grad_mode.no_grad():
            if cls.setup_context is not Function.setup_context:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        record = grad_mode.is_grad_enabled() and any(ctx.needs_input_grad)
        return _wrap_outputs(ctx, args, output, record)


def _wrap_outputs(ctx: BackwardCFunction, args, output, record: bool):
    is_tuple = isinstance(output, tuple)
    outputs = list(output) if is_tuple else [output]
    inputs = {id(a) for a in args if isinstance(a, Tensor)}
    dirty = {id(t) for t in ctx._dirty}
    _check_dirty(ctx, inputs, outputs)
    non_diff = {id(t) for t in ctx._non_differentiable}
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            ctx._output_meta.append(None)
            continue
        if id(out) in inputs and id(out) not in dirty:
            alias = Tensor._wrap(out._data)  # an input returned as is: a new alias of it
            alias._version_counter = out._version_counter
            out = outputs[i] = alias
        ctx._output_meta.append((out.shape, out.dtype))
        if not record or id(out) in non_diff or not out.dtype.is_floating_point:
            continue
        if id(out) in dirty:
            check_inplace(out)
            result = Tensor._wrap(out._data)
            attach(result, ctx, i)
            rebase(out, result)  # the input changed in place now comes out of this node
        else:
            attach(out, ctx, i)
    if record:
        produced = {id(o) for o in outputs if isinstance(o, Tensor)}
        ctx._saved_list = tuple(
            None if t is None else save_tensor(t, is_output=id(t) in produced
                                               and t.grad_fn is ctx)
            for t in ctx._to_save
        )
    else:
        ctx._saved_list = ctx._to_save
    return tuple(outputs) if is_tuple else outputs[0]


def _check_dirty(ctx, inputs: set, outputs: list) -> None:
    returned = {id(o) for o in outputs}
    for t in ctx._dirty:
        if id(t) not in inputs:
            warnings.warn("ctx.mark_dirty() received a tensor that was not an input. Only input "
                          "Tensors that have been mutated should be passed to ctx.mark_dirty().",
                          UserWarning, stacklevel=4)
        elif id(t) not in returned:
            raise RuntimeError("Some elements marked as dirty during the forward method were not "
                               "returned as output. The inputs that are modified inplace must "
                               "all be outputs of the Function.")


class Error(Node):
    """Stands in the graph of a ``once_differentiable`` backward: differentiating it again fails.

    Its inputs are detached stand-ins of the gradients (so the results carry a
    ``grad_fn``); running it raises.
    """

    def __init__(self, message: str, grads):
        stand_ins = [None if g is None else g.detach().requires_grad_() for g in grads]
        super().__init__(*stand_ins)
        self.message = message

    @property
    def num_outputs(self) -> int:
        return len(self.next_functions)

    def backward(self, *grads):
        raise RuntimeError(self.message)


def once_differentiable(fn):
    """Decorate a custom ``backward`` that is not differentiable itself.

    It runs without recording; when a graph is being built (``create_graph``)
    its results hang off an ``Error`` node, so a second differentiation raises
    instead of silently giving zero.
    """

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            outputs = fn(ctx, *args)
        if not grad_mode.is_grad_enabled():
            return outputs
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        return hang_off_error(ONCE_DIFFERENTIABLE_MESSAGE, outputs)

    return wrapper


class Refusal(Node):
    """Stands for gradients that depend on ``inputs`` but cannot be
    differentiated again: its edges lead to those inputs, so a differentiation
    that reaches them runs it, and it raises (an ``Error`` node's edges lead
    nowhere: a differentiation with respect to the inputs would pass it by)."""

    def __init__(self, message: str, inputs, n_outputs: int):
        super().__init__(*inputs)
        self.message = message
        self._n_outputs = n_outputs

    @property
    def num_outputs(self) -> int:
        return self._n_outputs

    def backward(self, *grads):
        raise RuntimeError(self.message)


def hang_off_error(message: str, outputs, inputs=None) -> tuple:
    """``outputs`` (a backward's gradients) as Tensors whose ``grad_fn`` raises
    ``message`` when differentiated (``inputs``: the Tensors they depend on)."""
    results = outputs if isinstance(outputs, tuple) else (outputs,)
    node = Error(message, results) if inputs is None else Refusal(message, inputs, len(results))
    wrapped = []
    for i, g in enumerate(results):
        if g is None:
            wrapped.append(None)
            continue
        alias = Tensor._wrap(g._data)
        attach(alias, node, i)
        wrapped.append(alias)
    return tuple(wrapped)


class InplaceFunction(Function):
    pass


class NestedIOFunction(Function):
    pass
