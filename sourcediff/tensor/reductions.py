"""Reductions (sum, mean, max, softmax, ...) and their backward nodes."""

from __future__ import annotations

import builtins
import collections

import numpy as np

from . import dtypes, grad_mode
from .common import as_operand, normalize_dims, wrap
from .core import Tensor, needs_grad
from .graph import Node, attach
from .pointwise import maximum, minimum, where
from .shape_ops import along_dim_index, index_embed, stack


def _kept_shape(shape, dims) -> tuple:
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _expand_back(grad: Tensor, shape, dims, keepdim: bool) -> Tensor:
    """Broadcast the gradient of a reduction back over the reduced dims."""
    if not keepdim and dims:
        grad = grad.reshape(_kept_shape(shape, dims))
    return grad.expand(shape)


def _reduction_dtype(x: Tensor, dtype) -> dtypes.dtype:
    if dtype is not None:
        return dtypes.to_dtype(dtype)
    return x.dtype if x.dtype.is_floating_point else dtypes.int64


# ---------------------------------------------------------------------------
# sum and mean


class SumBackward0(Node):
    """Full sum."""

    def __init__(self, x):
        super().__init__(x)
        self.shape = x.shape

    def backward(self, grad):
        return (grad.expand(self.shape),)


class SumBackward1(Node):
    """Sum over ``dim``."""

    def __init__(self, x, dims, keepdim):
        super().__init__(x)
        self.shape, self.dims, self.keepdim = x.shape, dims, keepdim

    def backward(self, grad):
        return (_expand_back(grad, self.shape, self.dims, self.keepdim),)


class MeanBackward0(SumBackward0):
    def backward(self, grad):
        return (grad.expand(self.shape) / builtins.max(int(np.prod(self.shape)), 1),)


class MeanBackward1(SumBackward1):
    def backward(self, grad):
        count = int(np.prod([self.shape[d] for d in self.dims]))
        return (_expand_back(grad, self.shape, self.dims, self.keepdim) / builtins.max(count, 1),)


def sum(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum of all elements, or over ``dim`` (an int or a tuple of ints)."""
    x = as_operand(input)
    out_dtype = _reduction_dtype(x, dtype)
    array = x._data if x._data.dtype == out_dtype.np else x._data.astype(out_dtype.np)
    if dim is None:
        out = wrap(np.add.reduce(array, axis=None))
        node = SumBackward0(x) if needs_grad(x) else None
    else:
        dims = normalize_dims(dim, x.ndim)
        out = wrap(np.add.reduce(array, axis=dims, keepdims=keepdim))
        node = SumBackward1(x, dims, keepdim) if needs_grad(x) else None
    if node is not None:
        attach(out, node)
    return out


def mean(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean of all elements, or over ``dim``."""
    x = as_operand(input)
    out_dtype = dtypes.to_dtype(dtype) if dtype is not None else x.dtype
    if not out_dtype.is_floating_point:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {x.dtype.legacy_name[:-6]}"
        )
    array = x._data if x._data.dtype == out_dtype.np else x._data.astype(out_dtype.np)
    if dim is None:
        out = wrap(np.mean(array), out_dtype)
        node = MeanBackward0(x) if needs_grad(x) else None
    else:
        dims = normalize_dims(dim, x.ndim)
        out = wrap(np.mean(array, axis=dims, keepdims=keepdim), out_dtype)
        node = MeanBackward1(x, dims, keepdim) if needs_grad(x) else None
    if node is not None:
        attach(out, node)
    return out


# ---------------------------------------------------------------------------
# max and min

ReturnTypes = collections.namedtuple("ReturnTypes", "values indices")


def _return_type(name: str):
    class result(ReturnTypes):
        __slots__ = ()

        def __repr__(self) -> str:
            return (f"torch.return_types.{name}(\nvalues={self.values!r},\n"
                    f"indices={self.indices!r})")

    result.__name__ = result.__qualname__ = name
    return result


max_result = _return_type("max")
min_result = _return_type("min")


class MaxBackward1(Node):
    """Full max: ties share the gradient evenly, like torch."""

    def __init__(self, x, result):
        super().__init__(x)
        self.save(output=result, self=x, result=result)

    def backward(self, grad):
        x, result = self.saved("self"), self.saved("result")
        mask = x._data == result._data
        return (grad.expand(x.shape) * wrap(mask / mask.sum(), grad.dtype),)


class MinBackward1(MaxBackward1):
    pass


class MaxBackward0(Node):
    """Max over a dim: the gradient goes to the selected index."""

    def __init__(self, x, dim, keepdim, indices):
        super().__init__(x)
        self.shape, self.dim, self.keepdim = x.shape, dim, keepdim
        self.save(indices=indices)

    def backward(self, grad):
        indices = self.saved("indices")._data
        if not self.keepdim:
            indices = np.expand_dims(indices, self.dim)
        onehot = np.zeros(self.shape, dtype=grad.dtype.np)
        np.put_along_axis(onehot, indices, 1, axis=self.dim)
        return (_expand_back(grad, self.shape, (self.dim,), self.keepdim) * wrap(onehot),)


class MinBackward0(MaxBackward0):
    pass


def _extreme(input, dim, keepdim, other, *, largest: bool):
    x = as_operand(input)
    if isinstance(dim, Tensor) and other is None:
        dim, other = None, dim
    if other is not None:
        return maximum(x, other) if largest else minimum(x, other)
    name = "max" if largest else "min"
    if x.numel() == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")
    if dim is None:
        out = wrap(np.max(x._data) if largest else np.min(x._data))
        if needs_grad(x):
            attach(out, (MaxBackward1 if largest else MinBackward1)(x, out))
        return out
    d = x._dim(dim)
    axis = d if x.ndim else None
    idx = np.argmax(x._data, axis=axis) if largest else np.argmin(x._data, axis=axis)
    idx = np.asarray(idx, dtype=np.int64)
    values = np.max(x._data, axis=axis) if largest else np.min(x._data, axis=axis)
    if keepdim and x.ndim:
        idx, values = np.expand_dims(idx, d), np.expand_dims(values, d)
    out, indices = wrap(values), wrap(idx)
    if needs_grad(x) and x.ndim:
        attach(out, (MaxBackward0 if largest else MinBackward0)(x, d, keepdim, indices))
    return (max_result if largest else min_result)(out, indices)


def max(input, dim=None, keepdim: bool = False, *, other=None):
    """``max(x)``: the largest element; ``max(x, dim)``: (values, indices);
    ``max(x, y)``: the elementwise maximum."""
    return _extreme(input, dim, keepdim, other, largest=True)


def min(input, dim=None, keepdim: bool = False, *, other=None):
    """Like :func:`max`, for the smallest."""
    return _extreme(input, dim, keepdim, other, largest=False)


class _ResultKept(Node):
    """A reduction over ``dims`` (none: all) whose backward reads its input
    and its result, the result with the reduced dims kept (as Tensors)."""

    def __init__(self, x, dims, keepdim, result):
        super().__init__(x)
        self.dims, self.keepdim = dims, keepdim
        self.save(self=x, result=result)

    def input_and_result(self):
        x, result = self.saved("self"), self.saved("result")
        if self.keepdim or not self.dims:
            return x, result
        return x, result.reshape(_kept_shape(x.shape, self.dims))


class AmaxBackward0(_ResultKept):
    """``amax``/``amin`` over dims: ties share the gradient evenly (torch's
    rule, unlike ``max(x, dim)``, which gives it to the selected index)."""

    def backward(self, grad):
        x, kept = self.input_and_result()
        mask = x._data == kept._data
        share = mask / mask.sum(axis=self.dims, keepdims=True)
        return (_expand_back(grad, x.shape, self.dims, self.keepdim) * wrap(share, grad.dtype),)


class AminBackward0(AmaxBackward0):
    pass


def _amax(input, dim, keepdim, largest: bool) -> Tensor:
    x = as_operand(input)
    name = "amax" if largest else "amin"
    dims = normalize_dims(None if dim == () else dim, x.ndim)
    if x.numel() == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                           "input.numel() == 0. Specify the reduction dim with the 'dim' "
                           "argument.")
    axis = dims if x.ndim else None
    reduce = np.max if largest else np.min
    out = wrap(reduce(x._data, axis=axis, keepdims=keepdim and bool(x.ndim)))
    if needs_grad(x):
        attach(out, (AmaxBackward0 if largest else AminBackward0)(x, dims if x.ndim else (),
                                                                  keepdim, out))
    return out


def amax(input, dim=(), keepdim: bool = False) -> Tensor:
    """Largest value over ``dim`` (an int or a tuple; all dims when empty),
    values only; ties share the gradient evenly."""
    return _amax(input, dim, keepdim, largest=True)


def amin(input, dim=(), keepdim: bool = False) -> Tensor:
    """Smallest value over ``dim``, like :func:`amax`."""
    return _amax(input, dim, keepdim, largest=False)


class ProdBackward0(_ResultKept):
    """Product of all elements (``dims`` empty) or over one dim: the gradient
    of each element is the product of the others, taken without dividing where
    an element is zero (one zero: the others' product; two: zero, as torch).
    With ``create_graph=True`` that product is built from Tensor operations, so
    the gradient is differentiable again (torch's ``prod_safe_zeros_backward``)."""

    def backward(self, grad):
        x, kept = self.input_and_result()
        grad = _expand_back(grad, x.shape, self.dims, self.keepdim)
        if not (x._data == 0).any():
            return (grad * kept / x,)      # (differentiable again: x and result tensors)
        if grad_mode.is_grad_enabled():
            return (grad * _others_product_graph(x, self.dims),)
        return (grad * wrap(_others_product(x._data, self.dims), grad.dtype),)


class ProdBackward1(ProdBackward0):
    pass


def _others_product(a, dims):
    """For each element, the product of the others along ``dims`` (all axes
    when empty), by products from the left and from the right: no division."""
    if not dims or a.ndim == 0:
        flat = a.reshape(-1)
        return _others_product(flat, (0,)).reshape(a.shape) if a.ndim else np.ones_like(a)
    axis = dims[0]
    moved = np.moveaxis(a, axis, -1)
    ones = np.ones(moved.shape[:-1] + (1,), dtype=a.dtype)
    left = np.cumprod(np.concatenate([ones, moved[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.flip(np.concatenate([moved[..., 1:], ones], axis=-1),
                                       axis=-1), axis=-1), axis=-1)
    return np.moveaxis(left * right, -1, axis)


def _others_product_graph(x: Tensor, dims) -> Tensor:
    """:func:`_others_product` from Tensor operations (differentiable to any order):
    the exclusive products from the left and from the right, one slice at a time."""
    if not dims or x.ndim == 0:
        if x.ndim == 0:
            return wrap(np.ones_like(x._data))
        return _others_product_graph(x.reshape(-1), (0,)).reshape(x.shape)
    parts = x.unbind(dims[0])
    n = len(parts)
    left, right = [None] * n, [None] * n
    for k in range(1, n):
        left[k] = parts[k - 1] if left[k - 1] is None else left[k - 1] * parts[k - 1]
        j = n - 1 - k
        right[j] = parts[j + 1] if right[j + 1] is None else right[j + 1] * parts[j + 1]
    others = [wrap(np.ones_like(parts[k]._data)) if left[k] is None and right[k] is None
              else right[k] if left[k] is None
              else left[k] if right[k] is None
              else left[k] * right[k] for k in range(n)]
    return stack(others, dims[0])


def prod(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product of all elements, or over ``dim`` (one dim, as torch)."""
    x = as_operand(input)
    out_dtype = _reduction_dtype(x, dtype)
    array = x._data if x._data.dtype == out_dtype.np else x._data.astype(out_dtype.np)
    if dim is None:
        dims, out = (), wrap(np.prod(array))
    else:
        dims = (x._dim(dim),) if x.ndim else ()
        out = wrap(np.prod(array, axis=dims[0], keepdims=keepdim) if dims else np.prod(array))
    if needs_grad(x) and out_dtype.is_floating_point:
        attach(out, (ProdBackward0 if dim is None else ProdBackward1)(x, dims, keepdim, out))
    return out


def argmax(input, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (of the flattened tensor when ``dim`` is None)."""
    x = as_operand(input)
    if dim is None:
        return wrap(np.asarray(np.argmax(x._data), dtype=np.int64))
    return wrap(np.asarray(np.argmax(x._data, axis=x._dim(dim), keepdims=keepdim),
                           dtype=np.int64))


def argmin(input, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element."""
    x = as_operand(input)
    if dim is None:
        return wrap(np.asarray(np.argmin(x._data), dtype=np.int64))
    return wrap(np.asarray(np.argmin(x._data, axis=x._dim(dim), keepdims=keepdim),
                           dtype=np.int64))


def all(input, dim=None, keepdim: bool = False) -> Tensor:
    """Whether all elements are true (over ``dim``)."""
    x = as_operand(input)
    axis = None if dim is None else x._dim(dim)
    return wrap(np.all(x._data, axis=axis, keepdims=keepdim))


def any(input, dim=None, keepdim: bool = False) -> Tensor:
    """Whether any element is true (over ``dim``)."""
    x = as_operand(input)
    axis = None if dim is None else x._dim(dim)
    return wrap(np.any(x._data, axis=axis, keepdims=keepdim))


# ---------------------------------------------------------------------------
# variance, norm


def _var_backward(grad: Tensor, x: Tensor, dims, correction, keepdim: bool) -> Tensor:
    """torch's ``var_backward``: ``2 / (n - correction) * grad * (x - mean)``.
    Over all elements with ``n <= correction`` the factor is infinite: NaN where
    ``x`` equals the mean (inf * 0), inf elsewhere; over dims it is the plain
    float quotient (inf at ``n == correction``, negative beyond), as in torch."""
    count = int(np.prod([x.shape[d] for d in dims]))
    if (x.ndim == 0 or len(dims) == x.ndim) and count - correction <= 0:
        centered = x._data - np.mean(x._data)
        return grad.expand(x.shape) * wrap(np.where(centered == 0, np.nan, np.inf), grad.dtype)
    factor = 2.0 / (count - correction) if count != correction else np.inf
    centered = x - x.mean(dims, keepdim=True)
    return _expand_back(grad, x.shape, dims, keepdim) * centered * factor


class VarBackward0(Node):
    def __init__(self, x, dims, correction, keepdim):
        super().__init__(x)
        self.dims, self.correction, self.keepdim = dims, correction, keepdim
        self.save(self=x)

    def backward(self, grad):
        return (_var_backward(grad, self.saved("self"), self.dims, self.correction,
                              self.keepdim),)


class StdBackward0(Node):
    """torch's ``std_backward``: the variance's gradient times ``grad / (2 std)``,
    that factor 0 where the std is 0 (a constant input). It is built from the
    saved result, so it is differentiable again."""

    def __init__(self, x, dims, correction, keepdim, result):
        super().__init__(x)
        self.dims, self.correction, self.keepdim = dims, correction, keepdim
        self.save(output=result, self=x, result=result)

    def backward(self, grad):
        x, result = self.saved("self"), self.saved("result")
        zero = wrap(result._data == 0)
        grad_var = where(zero, 0.0, grad / (2 * where(zero, 1.0, result)))
        return (_var_backward(grad_var, x, self.dims, self.correction, self.keepdim),)


def _correction(unbiased, correction) -> int:
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance (Bessel-corrected by default, like torch)."""
    x = as_operand(input)
    dims = normalize_dims(dim, x.ndim)
    c = _correction(unbiased, correction)
    with np.errstate(all="ignore"):
        out = wrap(np.var(x._data, axis=dims, ddof=c, keepdims=keepdim), x.dtype)
    if needs_grad(x):
        attach(out, VarBackward0(x, dims, c, keepdim))
    return out


def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Standard deviation (Bessel-corrected by default, like torch)."""
    x = as_operand(input)
    dims = normalize_dims(dim, x.ndim)
    c = _correction(unbiased, correction)
    with np.errstate(all="ignore"):
        out = wrap(np.std(x._data, axis=dims, ddof=c, keepdims=keepdim), x.dtype)
    if needs_grad(x):
        attach(out, StdBackward0(x, dims, c, keepdim, out))
    return out


class LinalgVectorNormBackward0(_ResultKept):
    """torch's ``linalg_vector_norm_backward`` for ``p`` in 1, 2, inf and -inf,
    built from the saved input and result so that it is differentiable again:
    ``p=2``: ``x * grad / norm`` (0 where the norm is 0); ``p=1``: ``sign(x) * grad``;
    ``p=+-inf``: ``sign(x) * grad``, shared evenly among the elements whose
    ``|x|`` is the norm (or NaN)."""

    def __init__(self, x, p, dims, keepdim, result):
        super().__init__(x, dims, keepdim, result)
        self.p = p

    def backward(self, grad):
        x, kept = self.input_and_result()
        grad = _expand_back(grad, x.shape, self.dims, self.keepdim)
        if self.p == 1:
            return (x.sign() * grad,)
        if self.p == 2:
            zero = wrap(kept._data == 0)
            return (x * where(zero, 0.0, grad / where(zero, 1.0, kept)),)
        magnitude = np.abs(x._data)
        mask = (magnitude == kept._data) | np.isnan(magnitude)
        share = mask / mask.sum(axis=self.dims, keepdims=True)
        return (x.sign() * grad * wrap(share, grad.dtype),)


def norm(input, p=2, dim=None, keepdim: bool = False) -> Tensor:
    """The vector ``p``-norm over all elements or over ``dim`` (Euclidean by
    default); other ``p`` than 1, 2 and +-inf is ``sum(|x| ** p) ** (1 / p)``."""
    x = as_operand(input)
    p = 2 if p == "fro" else p
    if p not in (1, 2, np.inf, -np.inf):
        return sum(x.abs() ** p, dim, keepdim) ** (1.0 / p)
    dims = normalize_dims(dim, x.ndim)
    a = x._data
    if p == 2:
        value = np.sqrt(np.add.reduce(a * a, axis=dims, keepdims=keepdim))
    elif p == 1:
        value = np.add.reduce(np.abs(a), axis=dims, keepdims=keepdim)
    else:
        reduce = np.max if p > 0 else np.min
        value = reduce(np.abs(a), axis=dims, keepdims=keepdim)
    out = wrap(value, x.dtype)
    if needs_grad(x):
        attach(out, LinalgVectorNormBackward0(x, p, dims, keepdim, out))
    return out


# ---------------------------------------------------------------------------
# softmax family


class SoftmaxBackward0(Node):
    def __init__(self, x, dim, result):
        super().__init__(x)
        self.dim = dim
        self.save(output=result, result=result)

    def backward(self, grad):
        result = self.saved("result")
        return (result * (grad - (grad * result).sum(self.dim, keepdim=True)),)


class LogSoftmaxBackward0(Node):
    def __init__(self, x, dim, result):
        super().__init__(x)
        self.dim = dim
        self.save(output=result, result=result)

    def backward(self, grad):
        result = self.saved("result")
        return (grad - result.exp() * grad.sum(self.dim, keepdim=True),)


class LogsumexpBackward0(Node):
    def __init__(self, x, dims, keepdim, result):
        super().__init__(x)
        self.dims, self.keepdim = dims, keepdim
        self.save(output=result, self=x, result=result)

    def backward(self, grad):
        x, result = self.saved("self"), self.saved("result")
        shape = x.shape
        if not self.keepdim:
            grad = grad.reshape(_kept_shape(shape, self.dims))
            result = result.reshape(_kept_shape(shape, self.dims))
        return (grad * (x - result).exp(),)


def _log_softmax_array(a: np.ndarray, axis: int) -> np.ndarray:
    shifted = a - np.max(a, axis=axis, keepdims=True)
    return shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))


def _float_input(input) -> Tensor:
    x = as_operand(input)
    if not x.dtype.is_floating_point:
        x = x.to(dtypes.get_default_dtype())
    return x


def softmax(input, dim: int, dtype=None) -> Tensor:
    """``exp(x) / exp(x).sum(dim)``, computed stably."""
    x = _float_input(input if dtype is None else as_operand(input).to(dtype))
    d = x._dim(dim)
    with np.errstate(all="ignore"):
        shifted = np.exp(x._data - np.max(x._data, axis=d, keepdims=True))
        out = wrap(shifted / np.add.reduce(shifted, axis=d, keepdims=True))
    if needs_grad(x):
        attach(out, SoftmaxBackward0(x, d, out))
    return out


def log_softmax(input, dim: int, dtype=None) -> Tensor:
    """``log(softmax(x, dim))``, computed stably."""
    x = _float_input(input if dtype is None else as_operand(input).to(dtype))
    d = x._dim(dim)
    with np.errstate(all="ignore"):
        out = wrap(_log_softmax_array(x._data, d))
    if needs_grad(x):
        attach(out, LogSoftmaxBackward0(x, d, out))
    return out


def logsumexp(input, dim, keepdim: bool = False) -> Tensor:
    """``log(exp(x).sum(dim))``, computed stably."""
    x = _float_input(input)
    dims = normalize_dims(dim, x.ndim)
    with np.errstate(all="ignore"):
        peak = np.max(x._data, axis=dims, keepdims=True)
        peak = np.where(np.isfinite(peak), peak, 0)
        total = np.log(np.add.reduce(np.exp(x._data - peak), axis=dims, keepdims=True)) + peak
    if not keepdim:
        total = np.squeeze(total, axis=dims)
    out = wrap(total, x.dtype)
    if needs_grad(x):
        attach(out, LogsumexpBackward0(x, dims, keepdim, out))
    return out


# ---------------------------------------------------------------------------
# cumulative sums and products


def _scan_dtype(x: Tensor, dtype) -> dtypes.dtype:
    if dtype is not None:
        return dtypes.to_dtype(dtype)
    return x.dtype if x.dtype.is_floating_point else dtypes.int64


def _reverse_cumsum(grad: Tensor, dim: int) -> Tensor:
    return grad.flip(dim).cumsum(dim).flip(dim)


class CumsumBackward0(Node):
    def __init__(self, x, dim):
        super().__init__(x)
        self.dim, self.dtype = dim, x.dtype

    def backward(self, grad):
        if grad.ndim == 0:
            return (grad.to(self.dtype),)
        return (_reverse_cumsum(grad, self.dim).to(self.dtype),)


def _scan(input, dim, dtype, running):
    """``(x, d, out)``: NumPy's ``running`` (np.cumsum, np.cumprod) of ``input`` along
    ``dim``, in the dtype torch accumulates in (a 0-d tensor: a copy)."""
    x = as_operand(input)
    d = x._dim(dim)
    out_dtype = _scan_dtype(x, dtype)
    array = x._data.astype(out_dtype.np, copy=False)
    return x, d, wrap(running(array, axis=d) if x.ndim else array.copy(), out_dtype)


def cumsum(input, dim: int, *, dtype=None) -> Tensor:
    """Running sums along ``dim`` (integers and bools accumulate as int64)."""
    x, d, out = _scan(input, dim, dtype, np.cumsum)
    if needs_grad(x):
        attach(out, CumsumBackward0(x, d))
    return out


class CumprodBackward0(Node):
    """Without zeros along ``dim``: the reversed running sum of ``grad * result``
    divided by the input.  Where there are zeros, each input's gradient is the
    sum of ``grad`` times the running products with that input replaced by 1
    (no division), as torch's ``cumprod_backward``.  Both are Tensor operations,
    differentiable again."""

    def __init__(self, x, dim, result):
        super().__init__(x)
        self.dim, self.dtype = dim, x.dtype
        self.save(output=result, self=x, result=result)

    def backward(self, grad):
        x, result = self.saved("self"), self.saved("result")
        if x.ndim == 0:
            return (grad.to(self.dtype),)
        d = self.dim
        if not np.any(x._data == 0):
            return ((_reverse_cumsum(grad * result, d) / x).to(self.dtype),)
        n = x.shape[d]
        position = np.arange(n).reshape((n,) + (1,) * (x.ndim - 1 - d))
        grads = []
        for k in range(n):
            others = where(wrap(position == k), 1, x)
            later = wrap(position >= k, grad.dtype)
            grads.append((grad * others.cumprod(d) * later).sum(d))
        return (stack(grads, d).to(self.dtype),)


def cumprod(input, dim: int, *, dtype=None) -> Tensor:
    """Running products along ``dim`` (integers and bools accumulate as int64)."""
    x, d, out = _scan(input, dim, dtype, np.cumprod)
    if needs_grad(x):
        attach(out, CumprodBackward0(x, d, out))
    return out


# ---------------------------------------------------------------------------
# sorting

sort_result = _return_type("sort")
topk_result = _return_type("topk")


def _sort_indices(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable order along ``axis``; NaN counts as the largest value (torch)."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    # ascending order of the reversed array, reversed: ties stay in their first order
    reverse = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
    return a.shape[axis] - 1 - np.flip(reverse, axis)


class _SelectAlongDim(Node):
    """The gradient of values picked by ``indices`` along ``dim``: scattered back."""

    def __init__(self, x, dim, indices):
        super().__init__(x)
        self.shape = x.shape
        self.keep(index=along_dim_index(indices._data, dim) if x.ndim else None)

    def backward(self, grad):
        index = self.saved("index")
        if index is None:  # a 0-d input: its only element
            return (grad,)
        return (index_embed(grad, self.shape, index, True),)


class SortBackward0(_SelectAlongDim):
    pass


class SortBackward1(_SelectAlongDim):
    """sort with the ``stable`` keyword (torch's other overload)."""


class TopkBackward0(_SelectAlongDim):
    pass


_NOT_GIVEN = object()


def sort(input, dim: int = -1, descending: bool = False, *, stable=_NOT_GIVEN):
    """``(values, indices)`` sorted along ``dim``; ties keep their order (always stable)."""
    x = as_operand(input)
    d = x._dim(dim)
    if x.ndim == 0:
        values, indices = wrap(x._data.copy()), wrap(np.zeros((), dtype=np.int64))
    else:
        idx = _sort_indices(x._data, d, descending).astype(np.int64)
        values = wrap(np.take_along_axis(x._data, idx, axis=d))
        indices = wrap(idx)
    if needs_grad(x):
        node_cls = SortBackward0 if stable is _NOT_GIVEN else SortBackward1
        attach(values, node_cls(x, d, indices))
    return sort_result(values, indices)


def argsort(input, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim``."""
    return sort(input, dim, descending, stable=stable).indices


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``."""
    x = as_operand(input)
    d = x._dim(dim)
    size = x.shape[d] if x.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if x.ndim == 0:
        idx = np.zeros((), dtype=np.int64)
    else:
        idx = _sort_indices(x._data, d, largest).astype(np.int64)
        idx = np.take(idx, np.arange(k), axis=d)
    values = wrap(np.take_along_axis(x._data, idx, axis=d) if x.ndim else x._data.copy())
    indices = wrap(idx)
    if needs_grad(x):
        attach(values, TopkBackward0(x, d, indices))
    return topk_result(values, indices)
