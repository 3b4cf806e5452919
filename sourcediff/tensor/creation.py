"""Factories: ``tensor``, ``ones``, ``zeros``, ``rand``, ``arange``, ... (torch's signatures)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from . import dtypes
from .core import Tensor
from .rng import numpy_generator

COPY_CONSTRUCT_WARNING = (
    "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
    "or sourceTensor.detach().clone().requires_grad_(True), rather than "
    "torch.tensor(sourceTensor)."
)


def _finish(array: np.ndarray, requires_grad: bool) -> Tensor:
    out = Tensor._wrap(array)
    if requires_grad:
        if not out.dtype.is_floating_point:
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        out._requires_grad = True
    return out


def _check_device(device) -> None:
    if device is not None:
        dtypes.device(device)


def _infer_dtype(array: np.ndarray, from_numpy: bool) -> dtypes.dtype:
    if from_numpy:
        return dtypes.from_numpy_dtype(array.dtype)
    kind = array.dtype.kind
    if kind == "f":
        return dtypes.get_default_dtype()
    if kind in "iu":
        return dtypes.int64
    if kind == "b":
        return dtypes.bool_
    raise TypeError(f"Could not infer dtype of {array.dtype}")


def tensor(data, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays, tensors).

    Python floats give float32 and Python ints int64, as in PyTorch.

    >>> import sourcediff as sd
    >>> sd.tensor([1., 2.]), sd.tensor([1, 2]).dtype
    (tensor([1., 2.]), torch.int64)
    """
    _check_device(device)
    if isinstance(data, Tensor):
        warnings.warn(COPY_CONSTRUCT_WARNING, UserWarning, stacklevel=2)
        array = np.array(data._data, copy=True)
        from_numpy = True
    else:
        from_numpy = isinstance(data, (np.ndarray, np.generic))
        array = np.array(data, copy=True)
        if array.dtype == object:
            raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    target = dtypes.to_dtype(dtype) if dtype is not None else _infer_dtype(array, from_numpy)
    if array.dtype != target.np:
        array = array.astype(target.np)
    return _finish(array, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor`, sharing memory with a NumPy array or tensor when possible."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or dtypes.to_dtype(dtype).np == data.dtype):
        return Tensor._wrap(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.from_numpy_dtype(array.dtype)
    return Tensor._wrap(array)


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list, dtypes.Size)):
        size = size[0]
    return tuple(int(s) for s in size)


def _np_dtype(dtype, default=None) -> np.dtype:
    if dtype is None:
        return (default or dtypes.get_default_dtype()).np
    return dtypes.to_dtype(dtype).np


def _filled(size, value, dtype, device, requires_grad, extra) -> Tensor:
    _check_device(device)
    if "size" in extra:
        size = (extra.pop("size"),)
    extra.pop("layout", None)
    extra.pop("pin_memory", None)
    if extra:
        raise TypeError(f"unexpected keyword arguments {sorted(extra)}")
    return _finish(np.full(_shape(size), value, dtype=_np_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _filled(size, 1, dtype, device, requires_grad, kwargs)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> Tensor:
    """A tensor of zeros."""
    return _filled(size, 0, dtype, device, requires_grad, kwargs)


def empty(*size, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> Tensor:
    """An uninitialised tensor (zeros here)."""
    return _filled(size, 0, dtype, device, requires_grad, kwargs)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value as in torch."""
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value)
    return _filled((size,), fill_value, dtype, device, requires_grad, {})


def _like(input: Tensor, dtype):
    return input.shape, (dtype if dtype is not None else input.dtype)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype) of ``input``."""
    shape, dtype = _like(input, dtype)
    return _filled((shape,), 1, dtype, device, requires_grad, {})


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype) of ``input``."""
    shape, dtype = _like(input, dtype)
    return _filled((shape,), 0, dtype, device, requires_grad, {})


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised (zero) tensor like ``input``."""
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` with the shape (and dtype) of ``input``."""
    shape, dtype = _like(input, dtype)
    return _filled((shape,), fill_value, dtype, device, requires_grad, {})


def eye(n: int, m: int | None = None, *, dtype=None, device=None,
        requires_grad: bool = False) -> Tensor:
    """The identity matrix (``n x m``)."""
    _check_device(device)
    return _finish(np.eye(n, m, dtype=_np_dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """``start, start+step, ...`` below ``end``; int64 unless a bound is a float."""
    _check_device(device)
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        is_float = any(isinstance(v, float) for v in values)
        dtype = dtypes.get_default_dtype() if is_float else dtypes.int64
    dtype = dtypes.to_dtype(dtype)
    start, end, step = values
    count = max(math.ceil((end - start) / step), 0)
    array = (start + step * np.arange(count, dtype=np.float64)).astype(dtype.np)
    if not dtype.is_floating_point:
        array = np.arange(start, end, step, dtype=dtype.np)
    return _finish(array, requires_grad)


def linspace(start, end, steps: int, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``."""
    _check_device(device)
    return _finish(np.linspace(start, end, steps).astype(_np_dtype(dtype)), requires_grad)


def _random(sample, size, dtype, device, requires_grad, generator) -> Tensor:
    _check_device(device)
    np_dtype = _np_dtype(dtype)
    values = sample(numpy_generator(generator), _shape(size))
    return _finish(np.asarray(values).astype(np_dtype, copy=False), requires_grad)


def rand(*size, dtype=None, device=None, requires_grad: bool = False, generator=None) -> Tensor:
    """Uniform samples from [0, 1)."""
    return _random(lambda g, s: g.random(s, dtype=np.float64), size, dtype, device,
                   requires_grad, generator)


def randn(*size, dtype=None, device=None, requires_grad: bool = False, generator=None) -> Tensor:
    """Standard normal samples."""
    return _random(lambda g, s: g.standard_normal(s), size, dtype, device,
                   requires_grad, generator)


def randint(low, high=None, size=None, *, dtype=None, device=None, requires_grad: bool = False,
            generator=None) -> Tensor:
    """Integers uniform in ``[low, high)``: ``randint(10, (3,))`` or ``randint(0, 10, (3,))``."""
    if size is None:
        low, high, size = 0, low, high
    return _random(lambda g, s: g.integers(low, high, size=s), (size,),
                   dtype or dtypes.int64, device, requires_grad, generator)


def randperm(n: int, *, dtype=None, device=None, requires_grad: bool = False,
             generator=None) -> Tensor:
    """A random permutation of ``0..n-1``."""
    return _random(lambda g, s: g.permutation(n), (n,), dtype or dtypes.int64, device,
                   requires_grad, generator)


def rand_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples with the shape (and dtype) of ``input``."""
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """Normal samples with the shape (and dtype) of ``input``."""
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def normal(mean: float, std: float, size, *, generator=None, dtype=None,
           requires_grad: bool = False) -> Tensor:
    """Samples from N(mean, std**2) of the given size."""
    return _random(lambda g, s: g.normal(mean, std, size=s), (size,), dtype, None,
                   requires_grad, generator)
