"""Bind the op functions to :class:`Tensor` as methods, operators and properties.

The top of the Tensor package: it imports the class (``core``), the graph and
its engine, and every op module; ``tensor/__init__.py`` calls
:func:`bind_methods` once, when the package is assembled.
"""

from __future__ import annotations

from . import engine, graph, inplace, linalg, pointwise, reductions, shape_ops


def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see torch.Tensor.backward)."""
    engine.backward(self, gradient, retain_graph, create_graph, inputs)


def register_hook(self, hook) -> graph.RemovableHandle:
    """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self._grad_fn is not None:
        return self._grad_fn._add_tensor_hook(self._output_nr, hook)
    hooks = graph.leaf_hooks(self)
    handle = graph.RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def register_post_accumulate_grad_hook(self, hook) -> graph.RemovableHandle:
    """Call ``hook(tensor)`` after the gradient of this leaf was added to ``.grad``."""
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if self._post_accumulate_hooks is None:
        self._post_accumulate_hooks = {}
    hooks = self._post_accumulate_hooks
    handle = graph.RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _reflected(fn):
    def method(self, other):
        return fn(other, self)

    return method


def _compare_or_false(fn):
    def method(self, other):
        if other is None:
            return fn is pointwise.ne
        return fn(self, other)

    return method


def _no_cuda(self, *args, **kwargs):
    raise AssertionError("Torch not compiled with CUDA enabled")


def _inplace_operator(fn):
    def method(self, other):
        fn(self, other)
        return self

    return method


def bind_methods(cls) -> None:
    """Attach every Tensor method; each is the module-level op of the same name."""
    methods = {
        # autograd
        "backward": backward, "register_hook": register_hook,
        "register_post_accumulate_grad_hook": register_post_accumulate_grad_hook,
        "_sync_view": inplace.sync_view,
        # arithmetic
        "add": pointwise.add, "sub": pointwise.sub, "subtract": pointwise.sub,
        "mul": pointwise.mul, "multiply": pointwise.mul, "div": pointwise.div,
        "divide": pointwise.div, "true_divide": pointwise.div, "pow": pointwise.pow,
        "floor_divide": pointwise.floor_divide, "remainder": pointwise.remainder,
        "neg": pointwise.neg, "negative": pointwise.neg, "exp": pointwise.exp,
        "expm1": pointwise.expm1, "log": pointwise.log, "log1p": pointwise.log1p,
        "sin": pointwise.sin, "cos": pointwise.cos, "tan": pointwise.tan,
        "tanh": pointwise.tanh, "sigmoid": pointwise.sigmoid, "relu": pointwise.relu,
        "sqrt": pointwise.sqrt, "rsqrt": pointwise.rsqrt, "reciprocal": pointwise.reciprocal,
        "abs": pointwise.abs, "absolute": pointwise.abs, "sign": pointwise.sign,
        "square": pointwise.square, "floor": pointwise.floor, "ceil": pointwise.ceil,
        "round": pointwise.round, "clamp": pointwise.clamp, "clip": pointwise.clamp,
        "atan2": pointwise.atan2, "arctan2": pointwise.atan2, "fmod": pointwise.fmod,
        "lerp": pointwise.lerp, "maximum": pointwise.maximum, "minimum": pointwise.minimum,
        "where": lambda self, condition, other: pointwise.where(condition, self, other),
        "eq": pointwise.eq, "ne": pointwise.ne, "lt": pointwise.lt, "le": pointwise.le,
        "gt": pointwise.gt, "ge": pointwise.ge, "logical_not": pointwise.logical_not,
        "logical_and": pointwise.logical_and, "logical_or": pointwise.logical_or,
        "isfinite": pointwise.isfinite, "isnan": pointwise.isnan, "isinf": pointwise.isinf,
        "allclose": pointwise.allclose, "isclose": pointwise.isclose, "equal": pointwise.equal,
        # reductions
        "sum": reductions.sum, "mean": reductions.mean, "max": reductions.max,
        "min": reductions.min, "amax": reductions.amax, "amin": reductions.amin, "prod": reductions.prod, "argmax": reductions.argmax,
        "argmin": reductions.argmin, "all": reductions.all, "any": reductions.any,
        "var": reductions.var, "std": reductions.std, "norm": reductions.norm,
        "softmax": reductions.softmax, "log_softmax": reductions.log_softmax,
        "logsumexp": reductions.logsumexp, "cumsum": reductions.cumsum,
        "cumprod": reductions.cumprod, "sort": reductions.sort, "argsort": reductions.argsort,
        "topk": reductions.topk,
        # linear algebra
        "mm": linalg.mm, "matmul": linalg.matmul, "mv": linalg.mv, "dot": linalg.dot,
        "bmm": linalg.bmm, "outer": linalg.outer, "addmm": linalg.addmm,
        # shapes and views
        "view": shape_ops.view, "view_as": shape_ops.view_as, "reshape": shape_ops.reshape,
        "reshape_as": shape_ops.reshape_as, "flatten": shape_ops.flatten,
        "unflatten": shape_ops.unflatten, "squeeze": shape_ops.squeeze,
        "unsqueeze": shape_ops.unsqueeze, "expand": shape_ops.expand,
        "expand_as": shape_ops.expand_as, "t": shape_ops.t, "transpose": shape_ops.transpose,
        "swapaxes": shape_ops.transpose, "permute": shape_ops.permute,
        "clone": shape_ops.clone, "contiguous": shape_ops.contiguous, "to": shape_ops.to,
        "type_as": shape_ops.type_as, "float": shape_ops.float_, "double": shape_ops.double,
        "long": shape_ops.long, "int": shape_ops.int_, "bool": shape_ops.bool_,
        "select": shape_ops.select, "narrow": shape_ops.narrow, "split": shape_ops.split,
        "chunk": shape_ops.chunk, "unbind": shape_ops.unbind,
        "flip": shape_ops.flip, "roll": shape_ops.roll, "repeat": shape_ops.repeat,
        "gather": shape_ops.gather, "index_select": shape_ops.index_select,
        "cpu": lambda self: self, "cuda": _no_cuda,
        # in place
        "add_": inplace.add_, "sub_": inplace.sub_, "mul_": inplace.mul_,
        "div_": inplace.div_, "pow_": inplace.pow_, "neg_": inplace.neg_,
        "exp_": inplace.exp_, "log_": inplace.log_, "sqrt_": inplace.sqrt_,
        "abs_": inplace.abs_, "relu_": inplace.relu_, "sigmoid_": inplace.sigmoid_,
        "tanh_": inplace.tanh_, "sin_": inplace.sin_, "cos_": inplace.cos_,
        "clamp_": inplace.clamp_, "zero_": inplace.zero_, "fill_": inplace.fill_,
        "copy_": inplace.copy_, "uniform_": inplace.uniform_, "normal_": inplace.normal_,
        "masked_fill": inplace.masked_fill, "masked_fill_": inplace.masked_fill_,
        "unsqueeze_": inplace.unsqueeze_, "t_": inplace.t_,
        # Python operators
        "__add__": pointwise.add, "__radd__": _reflected(pointwise.add),
        "__sub__": pointwise.sub, "__rsub__": pointwise.rsub,
        "__mul__": pointwise.mul, "__rmul__": _reflected(pointwise.mul),
        "__truediv__": pointwise.div, "__rtruediv__": pointwise.rdiv,
        "__floordiv__": pointwise.floor_divide,
        "__rfloordiv__": _reflected(pointwise.floor_divide),
        "__mod__": pointwise.remainder, "__rmod__": _reflected(pointwise.remainder),
        "__pow__": pointwise.pow, "__rpow__": pointwise.rpow,
        "__matmul__": linalg.matmul, "__rmatmul__": linalg.rmatmul,
        "__neg__": pointwise.neg, "__pos__": lambda self: self, "__abs__": pointwise.abs,
        "__eq__": _compare_or_false(pointwise.eq), "__ne__": _compare_or_false(pointwise.ne),
        "__lt__": pointwise.lt, "__le__": pointwise.le,
        "__gt__": pointwise.gt, "__ge__": pointwise.ge,
        "__and__": pointwise.bitwise_and, "__rand__": _reflected(pointwise.bitwise_and),
        "__or__": pointwise.bitwise_or, "__ror__": _reflected(pointwise.bitwise_or),
        "__xor__": pointwise.bitwise_xor, "__rxor__": _reflected(pointwise.bitwise_xor),
        "__invert__": pointwise.bitwise_not,
        "__iadd__": _inplace_operator(inplace.add_), "__isub__": _inplace_operator(inplace.sub_),
        "__imul__": _inplace_operator(inplace.mul_),
        "__itruediv__": _inplace_operator(inplace.div_),
        "__ipow__": _inplace_operator(inplace.pow_),
        "__getitem__": shape_ops.getitem, "__setitem__": inplace.setitem,
    }
    for name, fn in methods.items():
        setattr(cls, name, fn)
    cls.__hash__ = lambda self: id(self)
    cls.T = property(shape_ops.T)
    cls.mT = property(shape_ops.mT)
