"""Two-array joins that generated code calls: ``np.vstack``, ``np.hstack``,
``np.column_stack`` and ``np.append`` of a list are normalized into chains of
these (``vstack2(vstack2(a, b), c)``), so each rule splits the result's
adjoint in two.  Plain NumPy for the ``python`` target, a Numba overload for
``cpu`` (Numba's ``np.vstack`` wants arrays of one rank).
"""
import numpy as np

from .declare import install_numba_overloads, numba_overload, runtime_helper

__all__ = ["append_flat", "column_stack2", "hstack2", "install_numba_overloads", "pad_constant",
           "vstack2"]


@runtime_helper
def vstack2(a, b):
    return np.vstack((a, b))


@numba_overload(vstack2)
def _(a, b):
    return lambda a, b: np.vstack((np.atleast_2d(a), np.atleast_2d(b)))


@runtime_helper
def hstack2(a, b):
    return np.hstack((a, b))


@numba_overload(hstack2)
def _(a, b):
    from numba import types
    if isinstance(a, types.Number) or isinstance(b, types.Number):
        # (NumPy takes a number as a one-element row; Numba's hstack wants arrays)
        return lambda a, b: np.concatenate((np.atleast_1d(np.asarray(a)),
                                            np.atleast_1d(np.asarray(b))))
    return lambda a, b: np.hstack((a, b))


@runtime_helper
def column_stack2(a, b):
    return np.column_stack((a, b))


@numba_overload(column_stack2)
def _(a, b):
    return lambda a, b: np.column_stack((a, b))


@runtime_helper
def append_flat(x, v):
    """``np.append(x, v)`` without axis: both flattened, then joined."""
    return np.append(x, v)


@numba_overload(append_flat)
def _(x, v):
    from numba import types
    if isinstance(x, types.Number):                 # ``np.append(0.0, v)``
        return lambda x, v: np.concatenate((np.atleast_1d(np.asarray(x)),
                                            np.ascontiguousarray(np.asarray(v)).ravel()))
    if isinstance(v, types.Array):
        return lambda x, v: np.concatenate((np.ascontiguousarray(x).ravel(),
                                            np.ascontiguousarray(v).ravel()))
    return lambda x, v: np.concatenate((np.ascontiguousarray(x).ravel(), np.full(1, v)))


@runtime_helper
def pad_constant(x, before, after):
    """``np.pad(x, (before, after))`` with zeros, the same widths on every axis."""
    return np.pad(x, (before, after))


@numba_overload(pad_constant)
def _(x, before, after):
    from numba import types
    if isinstance(x, types.Array) and x.ndim == 1:
        def impl(x, before, after):
            out = np.zeros(x.shape[0] + before + after, x.dtype)
            out[before:before + x.shape[0]] = x
            return out
        return impl
    if isinstance(x, types.Array) and x.ndim == 2:
        def impl(x, before, after):
            m, n = x.shape
            out = np.zeros((m + before + after, n + before + after), x.dtype)
            out[before:before + m, before:before + n] = x
            return out
        return impl
