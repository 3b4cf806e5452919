"""Helpers shared by the op modules: operands, promotion, broadcasting."""

from __future__ import annotations

import numbers

import numpy as np

from . import dtypes
from .core import Tensor

SCALAR_TYPES = (numbers.Number, np.number, np.bool_)


def as_operand(value):
    """Tensors and Python/NumPy scalars pass; anything else becomes a tensor."""
    if isinstance(value, (Tensor,) + SCALAR_TYPES):
        return value
    from .creation import tensor

    return tensor(value)


def raw(value, dtype: dtypes.dtype | None = None):
    """The NumPy value behind an operand, cast to ``dtype`` when it is a tensor."""
    if isinstance(value, Tensor):
        array = value._data
        if dtype is not None and array.dtype != dtype.np:
            return array.astype(dtype.np)
        return array
    if isinstance(value, np.generic):
        return value.item()
    return value


def wrap(array, dtype: dtypes.dtype | None = None) -> Tensor:
    """Wrap a NumPy result as a tensor, casting it to ``dtype`` if needed."""
    if not isinstance(array, np.ndarray):
        array = np.asarray(array)
    if dtype is not None and array.dtype != dtype.np:
        array = array.astype(dtype.np)
    return Tensor._wrap(array)


def broadcast_shape(a, b) -> tuple:
    """The broadcast shape of two operands, with torch's error message."""
    sa = a.shape if isinstance(a, Tensor) else ()
    sb = b.shape if isinstance(b, Tensor) else ()
    if sa == sb:
        return tuple(sa)
    result = []
    for i in range(1, max(len(sa), len(sb)) + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            dim = max(len(sa), len(sb)) - i
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {dim}"
            )
        result.append(y if x == 1 else x)
    return tuple(reversed(result))


def sum_to(grad: Tensor, shape) -> Tensor:
    """Reduce a broadcast gradient back to ``shape`` (differentiably)."""
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    inner = [lead + i for i, s in enumerate(shape) if s == 1 and grad.shape[lead + i] != 1]
    if not inner:  # only leading dims were added by broadcasting (a bias): one reduction
        return grad.sum(dim=tuple(range(lead)))
    grad = grad.sum(dim=tuple(range(lead)) + tuple(inner), keepdim=True)
    return grad.reshape(shape) if lead else grad


def normalize_dims(dim, ndim: int):
    """``dim`` argument (int, tuple or None) as a sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        dim = (int(dim),)
    n = max(ndim, 1)
    out = []
    for d in dim:
        if not -n <= d < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                f"but got {d})"
            )
        out.append(d % n if ndim else 0)
    return tuple(sorted(set(out)))
