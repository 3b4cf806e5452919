"""Calling an ``@sd.function`` with Tensors: one graph node for the whole call.

The forward runs the compiled value-and-gradient of the function (one sweep);
the node's backward scales those gradients by the incoming gradient, so
``backward()`` flows from the Tensor graph through the compiled adjoint and on
into the Tensors the function was called with.
"""
from __future__ import annotations

import numpy as np


def has_tensor(args) -> bool:
    from .tensor import Tensor
    return any(isinstance(a, Tensor) for a in args)


def _to_numpy(a):
    from .tensor import Tensor
    if not isinstance(a, Tensor):
        return a
    arr = a.detach().numpy()
    if arr.ndim == 0:
        return float(arr) if arr.dtype == np.float64 else arr.dtype.type(arr)
    return np.ascontiguousarray(arr)


_NODE_CLASSES: dict = {}


def node_class(function):
    """The ``autograd.Function`` standing for ``function`` in Tensor graphs
    (its node is named ``<name>Backward``)."""
    cls = _NODE_CLASSES.get(function)
    if cls is not None:
        return cls
    from .autograd import Function

    def forward(ctx, *args):
        from .tensor import Tensor, tensor
        values = [_to_numpy(a) for a in args]
        wrt = tuple(k for k, a in enumerate(args)
                    if isinstance(a, Tensor) and a.requires_grad and a.dtype.is_floating_point)
        ctx.wrt = wrt
        if not wrt:
            out = function(*values)
            ctx.grads = ()
        else:
            out, grads = function.value_and_grad(wrt)(*values)
            ctx.grads = grads
        if np.ndim(out) != 0:
            raise TypeError(f"{function.__name__}() returned an array: calling an "
                            "@sd.function with Tensors needs a scalar result")
        dtype = next((a.dtype for a in args if isinstance(a, Tensor)
                      and a.dtype.is_floating_point), None)
        return tensor(float(out), dtype=dtype)

    def backward(ctx, grad_output):
        from .tensor import tensor
        scale = grad_output.detach().numpy()
        grads = [None] * len(ctx.needs_input_grad)
        for k, g in zip(ctx.wrt, ctx.grads):
            dtype = ctx._input_meta[ctx._tensor_positions.index(k)][1]
            grads[k] = tensor(np.asarray(g) * scale, dtype=dtype)
        return tuple(grads)

    name = function.__name__
    cls = type(name, (Function,), {"forward": staticmethod(forward),
                                   "backward": staticmethod(backward),
                                   "__doc__": f"Tensor node of @sd.function {name}"})
    _NODE_CLASSES[function] = cls
    return cls


def call_with_tensors(function, args):
    return node_class(function).apply(*args)
