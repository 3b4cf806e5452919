"""Calling an ``@sd.function`` with Tensors: one graph node for the whole call.

The forward runs the compiled value-and-gradient of the function (one sweep);
the node's backward scales those gradients by the incoming gradient, so
``backward()`` flows from the Tensor graph through the compiled adjoint and on
into the Tensors the function was called with.
"""
from __future__ import annotations

import numpy as np

from .errors import NonScalarResult


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
        ctx.args = args
        ctx.grads, ctx.values = (), None
        if not wrt:
            out = function(*values)
        else:
            try:
                # a scalar result: value and gradient in one sweep
                out, ctx.grads = function.value_and_grad(wrt)(*values)
            except NonScalarResult:
                # an array: the value now, a vector-Jacobian product in backward
                out, ctx.values = function(*values), values
        if isinstance(out, tuple):
            raise TypeError(f"{function.__name__}() returned a tuple: calling an "
                            "@sd.function with Tensors needs one number or one array "
                            "as its result")
        dtype = next((a.dtype for a in args if isinstance(a, Tensor)
                      and a.dtype.is_floating_point), None)
        if np.ndim(out) == 0:
            return tensor(float(out), dtype=dtype)
        return tensor(np.asarray(out), dtype=dtype if np.asarray(out).dtype.kind == "f" else None)

    def backward(ctx, grad_output):
        from .tensor import grad_mode, tensor
        if ctx.values is not None:
            return vector_products(ctx, grad_output)
        grads = [None] * len(ctx.needs_input_grad)
        if grad_mode.is_grad_enabled() and ctx.wrt:
            # create_graph: the gradient is differentiated again, so it comes
            # from a node of its own whose backward is a Hessian-vector product
            gradient = gradient_node_class(function, ctx.wrt).apply(*ctx.args)
            for k, g in zip(ctx.wrt, gradient):
                grads[k] = g * grad_output
            return tuple(grads)
        scale = grad_output.detach().numpy()
        for k, g in zip(ctx.wrt, ctx.grads):
            dtype = ctx._input_meta[ctx._tensor_positions.index(k)][1]
            grads[k] = tensor(np.asarray(g) * scale, dtype=dtype)
        return tuple(grads)

    def vector_products(ctx, grad_output):
        from .tensor import Tensor, grad_mode, tensor
        from .tensor.custom_function import hang_off_error
        cotangent = np.asarray(grad_output.detach().numpy(), dtype=np.float64)
        _, products = function.vjp(ctx.wrt)(*ctx.values, cotangent)
        grads = [None] * len(ctx.needs_input_grad)
        for k, g in zip(ctx.wrt, products):
            dtype = ctx._input_meta[ctx._tensor_positions.index(k)][1]
            grads[k] = tensor(np.asarray(g), dtype=dtype)
        if grad_mode.is_grad_enabled():
            return hang_off_error(
                f"a second derivative through @sd.function {function.__name__} with an "
                "array result is not computed: return the number you differentiate from "
                "the @sd.function (a scalar result's second derivatives are), or take them "
                "with sd.hessian of a plain function computing that number",
                tuple(grads),
                [a for a in ctx.args if isinstance(a, Tensor) and a.requires_grad])
        return tuple(grads)

    name = function.__name__
    cls = type(name, (Function,), {"forward": staticmethod(forward),
                                   "backward": staticmethod(backward),
                                   "__doc__": f"Tensor node of @sd.function {name}"})
    _NODE_CLASSES[function] = cls
    return cls


def gradient_node_class(function, wrt):
    """The node computing ``function``'s gradient with respect to the argument
    positions ``wrt`` (one output per position); its backward is the
    Hessian-vector product ``sd.jvp(function.grad(wrt))``, the gradient of a
    gradient being symmetric. Differentiating it once more raises."""
    key = (function, wrt)
    cls = _NODE_CLASSES.get(key)
    if cls is not None:
        return cls
    from .autograd import Function
    from .tensor import grad_mode
    from .tensor.custom_function import hang_off_error
    from .transforms.forward import jvp

    def forward(ctx, *args):
        from .tensor import Tensor, tensor
        values = [_to_numpy(a) for a in args]
        ctx.values, ctx.args = values, args
        grads = function.grad(wrt)(*values)
        dtypes = [args[k].dtype if isinstance(args[k], Tensor) else None for k in wrt]
        return tuple(tensor(np.asarray(g), dtype=d) for g, d in zip(grads, dtypes))

    hvp = []     # the Hessian-vector product, made on the first backward

    def backward(ctx, *grad_outputs):
        from .tensor import Tensor
        with grad_mode.no_grad():
            grads = hessian_products(ctx, grad_outputs)
        if grad_mode.is_grad_enabled():
            # its result depends on the inputs, whether or not the incoming
            # gradients require grad: differentiating it again raises (a third
            # derivative is not computed), never gives a part of the answer
            return hang_off_error(
                f"a third derivative through @sd.function {function.__name__} is not "
                "computed: its Hessian-vector products are not differentiable", grads,
                [a for a in ctx.args if isinstance(a, Tensor) and a.requires_grad])
        return grads

    def hessian_products(ctx, grad_outputs):
        from .tensor import tensor
        tangents = tuple(np.zeros_like(np.asarray(ctx.values[k], dtype=np.float64))
                         if g is None else _to_numpy(g) for k, g in zip(wrt, grad_outputs))
        if not hvp:
            hvp.append(jvp(function.grad(wrt), wrt=wrt))
        _, products = hvp[0](*ctx.values, tangents)
        grads = [None] * len(ctx.needs_input_grad)
        for k, h in zip(wrt, products):
            dtype = ctx._input_meta[ctx._tensor_positions.index(k)][1]
            grads[k] = tensor(np.asarray(h), dtype=dtype)
        return tuple(grads)

    name = f"{function.__name__}_grad"
    cls = type(name, (Function,), {"forward": staticmethod(forward),
                                   "backward": staticmethod(backward),
                                   "__doc__": f"Tensor node of the gradient of "
                                              f"@sd.function {function.__name__}"})
    _NODE_CLASSES[key] = cls
    return cls


def call_with_tensors(function, args):
    return node_class(function).apply(*args)
