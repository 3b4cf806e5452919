"""Array helpers used by generated adjoint code.

Each helper is a plain NumPy function (the ``"python"`` target runs it as
is) with a Numba ``@overload`` so the ``"cpu"`` target compiles it in
nopython mode.  Numba lacks ``axis=`` for ``np.mean/max/min/prod``; the
``*_axis`` helpers stand in for them in primal code too.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "fresh",
    "max_axis",
    "mean_axis",
    "min_axis",
    "prod_axis",
    "prod_others",
    "prod_others_along",
    "prod_others_along_jvp",
    "prod_others_jvp",
    "reshape_like",
    "share_ties",
    "share_ties_along",
    "tangent_like",
    "unbroadcast",
]


def fresh(g):
    """``g`` itself when it is a number, a copy when it is an array: an adjoint
    that must not share memory with another one that is still accumulated into."""
    return g.copy() if isinstance(g, np.ndarray) else g


def unbroadcast(g, x):
    """Sum the adjoint ``g`` of a broadcast result down to the shape of ``x``."""
    g = np.asarray(g)
    xs = np.shape(x)
    if g.ndim == 0:
        return g.item() if not np.ndim(x) else np.full(xs, g.item())
    while g.ndim > len(xs):
        g = g.sum(axis=0)
    for k, n in enumerate(xs):
        if n == 1 and g.shape[k] != 1:
            g = g.sum(axis=k, keepdims=True)
    return g if np.ndim(x) else g.item()


def reshape_like(g, x):
    """``g`` reshaped to the shape of ``x`` (contiguous first, as Numba needs)."""
    return np.ascontiguousarray(g).reshape(x.shape)


def prod_others(x):
    """For each element of ``x``, the product of all the others (exact with zeros)."""
    flat = np.ascontiguousarray(x).ravel()
    n = flat.size
    out = np.empty(n, dtype=flat.dtype)
    acc = 1.0
    for i in range(n):
        out[i] = acc
        acc *= flat[i]
    acc = 1.0
    for i in range(n - 1, -1, -1):
        out[i] *= acc
        acc *= flat[i]
    return out.reshape(x.shape)


def prod_others_along(x, axis):
    """``prod_others`` along one axis of a 2-d array."""
    if axis < 0:
        axis += x.ndim
    out = np.empty(x.shape, dtype=x.dtype)
    if axis == 0:
        for j in range(x.shape[1]):
            out[:, j] = prod_others(np.ascontiguousarray(x[:, j]))
    else:
        for i in range(x.shape[0]):
            out[i, :] = prod_others(np.ascontiguousarray(x[i, :]))
    return out


def tangent_like(t, z):
    """The tangent ``t`` (a number, or an array that broadcasts to ``z``) as a
    new array with the shape and dtype of ``z`` (forward mode)."""
    out = np.empty_like(z)
    out[...] = t
    return out


def prod_others_jvp(x, x_dot):
    """Tangent of ``prod_others(x)``: prefix and suffix products carried with
    their tangents (exact with zeros, as ``prod_others``)."""
    flat = np.ascontiguousarray(x).ravel()
    flat_dot = np.ascontiguousarray(x_dot).ravel()
    n = flat.size
    out = np.empty(n, dtype=flat.dtype)
    out_dot = np.empty(n, dtype=flat.dtype)
    acc = 1.0
    acc_dot = 0.0
    for i in range(n):
        out[i] = acc
        out_dot[i] = acc_dot
        acc_dot = acc_dot * flat[i] + acc * flat_dot[i]
        acc *= flat[i]
    acc = 1.0
    acc_dot = 0.0
    for i in range(n - 1, -1, -1):
        out_dot[i] = out_dot[i] * acc + out[i] * acc_dot
        out[i] *= acc
        acc_dot = acc_dot * flat[i] + acc * flat_dot[i]
        acc *= flat[i]
    return out_dot.reshape(x.shape)


def prod_others_along_jvp(x, x_dot, axis):
    """Tangent of ``prod_others_along(x, axis)`` for a 2-d array."""
    if axis < 0:
        axis += x.ndim
    out = np.empty(x.shape, dtype=x.dtype)
    if axis == 0:
        for j in range(x.shape[1]):
            out[:, j] = prod_others_jvp(np.ascontiguousarray(x[:, j]),
                                        np.ascontiguousarray(x_dot[:, j]))
    else:
        for i in range(x.shape[0]):
            out[i, :] = prod_others_jvp(np.ascontiguousarray(x[i, :]),
                                        np.ascontiguousarray(x_dot[i, :]))
    return out


def share_ties(x, z):
    """Where ``x`` equals its extreme ``z``, an equal share of 1 (JAX's rule)."""
    mask = (x == z).astype(np.float64)
    return mask / mask.sum()


def share_ties_along(x, z, axis):
    """``share_ties`` along one axis of a 2-d array."""
    if axis < 0:
        axis += x.ndim
    mask = (x == np.expand_dims(z, axis)).astype(np.float64)
    return mask / np.expand_dims(mask.sum(axis=axis), axis)


def mean_axis(x, axis):
    return np.sum(x, axis) / x.shape[axis]


def max_axis(x, axis):
    return _reduce2(x, axis, 0)


def min_axis(x, axis):
    return _reduce2(x, axis, 1)


def prod_axis(x, axis):
    return _reduce2(x, axis, 2)


def _reduce2(x, axis, op):
    if axis < 0:
        axis += x.ndim
    if axis == 0:
        out = x[0, :].copy()
        for i in range(1, x.shape[0]):
            for j in range(x.shape[1]):
                v = x[i, j]
                if op == 0:
                    out[j] = max(out[j], v)
                elif op == 1:
                    out[j] = min(out[j], v)
                else:
                    out[j] *= v
        return out
    out = x[:, 0].copy()
    for i in range(x.shape[0]):
        for j in range(1, x.shape[1]):
            v = x[i, j]
            if op == 0:
                out[i] = max(out[i], v)
            elif op == 1:
                out[i] = min(out[i], v)
            else:
                out[i] *= v
    return out


_INSTALLED = False


def install_numba_overloads():
    """Register the helpers with Numba (once, when the cpu target is first used,
    so that ``import sourcediff`` does not import Numba)."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    try:
        import numba
        from numba import types
        from numba.core.errors import TypingError
        from numba.extending import overload
    except ImportError:  # the "python" target works without Numba
        return

    jit_prod_others = numba.njit(prod_others)
    jit_reduce2 = numba.njit(_reduce2)

    @overload(fresh)
    def _ov_fresh(g):
        if isinstance(g, types.Array):
            return lambda g: g.copy()
        return lambda g: g

    @overload(unbroadcast)
    def _ov_unbroadcast(g, x):
        if not isinstance(g, types.Array):
            return lambda g, x: g
        if not isinstance(x, types.Array):
            return lambda g, x: np.sum(g)
        if g.ndim == x.ndim == 1:
            def impl(g, x):
                if x.shape[0] == g.shape[0]:
                    return np.ascontiguousarray(g)
                return np.full(1, np.sum(g))
            return impl
        if g.ndim == 2 and x.ndim == 1:
            def impl(g, x):
                s = np.sum(g, 0)
                if x.shape[0] == s.shape[0]:
                    return s
                return np.full(1, np.sum(s))
            return impl
        if g.ndim == x.ndim == 2:
            def impl(g, x):
                h = np.ascontiguousarray(g)
                if x.shape[0] == 1 and h.shape[0] != 1:
                    h = np.sum(h, 0).reshape((1, h.shape[1]))
                if x.shape[1] == 1 and h.shape[1] != 1:
                    h = np.sum(h, 1).reshape((h.shape[0], 1))
                return h
            return impl
        if g.ndim == x.ndim == 3:
            def impl(g, x):
                h = np.ascontiguousarray(g)
                if x.shape[0] == 1 and h.shape[0] != 1:
                    h = np.sum(h, 0).reshape((1, h.shape[1], h.shape[2]))
                if x.shape[1] == 1 and h.shape[1] != 1:
                    h = np.sum(h, 1).reshape((h.shape[0], 1, h.shape[2]))
                if x.shape[2] == 1 and h.shape[2] != 1:
                    h = np.sum(h, 2).reshape((h.shape[0], h.shape[1], 1))
                return h
            return impl
        raise TypingError(f"unbroadcast from {g.ndim}-d to {x.ndim}-d is not supported")

    @overload(reshape_like)
    def _ov_reshape_like(g, x):
        return lambda g, x: np.ascontiguousarray(g).reshape(x.shape)

    @overload(prod_others)
    def _ov_prod_others(x):
        def impl(x):
            flat = np.ascontiguousarray(x).ravel()
            return jit_prod_others(flat).reshape(x.shape)
        return impl

    @overload(prod_others_along)
    def _ov_prod_others_along(x, axis):
        def impl(x, axis):
            a = axis + x.ndim if axis < 0 else axis
            out = np.empty(x.shape, dtype=x.dtype)
            if a == 0:
                for j in range(x.shape[1]):
                    out[:, j] = jit_prod_others(np.ascontiguousarray(x[:, j]))
            else:
                for i in range(x.shape[0]):
                    out[i, :] = jit_prod_others(np.ascontiguousarray(x[i, :]))
            return out
        return impl

    @overload(share_ties)
    def _ov_share_ties(x, z):
        def impl(x, z):
            mask = (x == z).astype(np.float64)
            return mask / np.sum(mask)
        return impl

    @overload(share_ties_along)
    def _ov_share_ties_along(x, z, axis):
        def impl(x, z, axis):
            a = axis + x.ndim if axis < 0 else axis
            mask = (x == np.expand_dims(z, a)).astype(np.float64)
            return mask / np.expand_dims(np.sum(mask, a), a)
        return impl

    @overload(mean_axis)
    def _ov_mean_axis(x, axis):
        return lambda x, axis: np.sum(x, axis) / x.shape[axis]

    @overload(tangent_like)
    def _ov_tangent_like(t, z):
        def impl(t, z):
            out = np.empty_like(z)
            out[...] = t
            return out
        return impl

    jit_prod_others_jvp = numba.njit(prod_others_jvp)

    @overload(prod_others_jvp)
    def _ov_prod_others_jvp(x, x_dot):
        def impl(x, x_dot):
            flat = np.ascontiguousarray(x).ravel()
            flat_dot = np.ascontiguousarray(x_dot).ravel()
            return jit_prod_others_jvp(flat, flat_dot).reshape(x.shape)
        return impl

    @overload(prod_others_along_jvp)
    def _ov_prod_others_along_jvp(x, x_dot, axis):
        def impl(x, x_dot, axis):
            a = axis + x.ndim if axis < 0 else axis
            out = np.empty(x.shape, dtype=x.dtype)
            if a == 0:
                for j in range(x.shape[1]):
                    out[:, j] = jit_prod_others_jvp(np.ascontiguousarray(x[:, j]),
                                                    np.ascontiguousarray(x_dot[:, j]))
            else:
                for i in range(x.shape[0]):
                    out[i, :] = jit_prod_others_jvp(np.ascontiguousarray(x[i, :]),
                                                    np.ascontiguousarray(x_dot[i, :]))
            return out
        return impl

    for helper, op in ((max_axis, 0), (min_axis, 1), (prod_axis, 2)):
        def make(op):
            def ov(x, axis):
                if x.ndim == 1:
                    raise TypingError("use the reduction without axis on 1-d arrays")
                return lambda x, axis: jit_reduce2(x, axis, op)
            return ov
        overload(helper)(make(op))

