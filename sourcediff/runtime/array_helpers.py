"""Helpers for the rules of ``rules/arrayfuncs.py`` and ``rules/ufuncs_more.py``.

Each helper is plain NumPy (the ``"python"`` target runs it as is) declared
with its Numba overload (``runtime/declare.py``), so the ``"cpu"`` target
compiles it in nopython mode; the overloads at the end fill gaps in Numba's
own NumPy and math support that the rules and user code need
(``np.squeeze``, ``np.tile``, ``math.fmod``, ...).  The compiled versions
handle 1-d and 2-d arrays; ``rules/arrayfuncs.py`` refuses the rest at
transform time.
"""
from __future__ import annotations

import math

import numpy as np

from .declare import install_numba_overloads, jitable, numba_overload, runtime_helper

__all__ = [
    "argmax_along",
    "argmin_along",
    "diff_adjoint",
    "differences",
    "grown",
    "install_numba_overloads",
    "item_of",
    "kron_adjoint_left",
    "kron_adjoint_right",
    "leading_axes",
    "one_d_array",
    "put_diagonal",
    "select",
    "sum_repeats",
    "sum_tiles",
    "unflatten_contraction",
]


def _need(cond, what):
    from numba.core.errors import TypingError
    if not cond:
        raise TypingError(what)


# -- x.item() --------------------------------------------------------------------------
@runtime_helper
def item_of(x):
    """``x.item()``: the one element of an array of size 1, as a number (NumPy's
    ValueError for another size); a number is itself."""
    return np.asarray(x).item()


@numba_overload(item_of)
def _(x):
    from numba import types
    if isinstance(x, types.Number):
        return lambda x: x
    return lambda x: x.item()


# -- a 1-d argument ---------------------------------------------------------------------
@runtime_helper(jit=True)
def one_d_array(x):
    """``x`` itself, a 1-d array: the argument of ``np.gradient`` and ``np.convolve``
    as their templates write them (``passes/numpy_templates.py``), whose type rule refuses other arrays
    at transform time (for them NumPy computes something else)."""
    return x


# -- room for a while loop's appends ----------------------------------------------------
@runtime_helper(jit=True)
def grown(xs):
    """``xs`` followed by as many zeros (one at least): the array that a ``while``
    loop's appends fill (``passes/normalize.py``), given twice the room once full."""
    n = xs.shape[0]
    out = np.zeros(max(2 * n, 1), xs.dtype)
    out[:n] = xs
    return out


# -- positions of extremes along an axis ------------------------------------------------
@runtime_helper
def argmax_along(a, axis):
    """``np.argmax(a, axis)`` of a 2-d array (what generated code calls for it
    on the CPU targets, ``passes/numba_calls.py``): the first largest element's
    position along ``axis`` (a NaN counts as largest, as in NumPy).  Numba's own
    builds argmax and argmin from one closure, a name two cached modules can
    share (``runtime/declare.py``): one then ran the other's code."""
    return np.argmax(a, axis=axis)


@runtime_helper
def argmin_along(a, axis):
    """``np.argmin(a, axis)`` of a 2-d array, as :func:`argmax_along`."""
    return np.argmin(a, axis=axis)


@jitable
def _arg_extreme_2d(a, axis, largest):
    if axis < 0:
        axis += 2
    if axis != 0 and axis != 1:
        raise ValueError("argmax/argmin: axis out of range for a 2-d array")
    n_along = a.shape[axis]
    n_out = a.shape[1 - axis]
    if n_along == 0:
        raise ValueError("argmax/argmin of an empty axis")
    out = np.zeros(n_out, np.int64)
    for j in range(n_out):
        best = a[0, j] if axis == 0 else a[j, 0]
        k = 0
        for i in range(1, n_along):
            if math.isnan(best):                  # a NaN: it stays
                break
            v = a[i, j] if axis == 0 else a[j, i]
            if math.isnan(v) or (v > best if largest else v < best):
                best = v
                k = i
        out[j] = k
    return out


@numba_overload(argmax_along)
def _(a, axis):
    from numba import types
    _need(isinstance(a, types.Array) and a.ndim == 2, "argmax_along of a 2-d array")
    return lambda a, axis: _arg_extreme_2d(a, axis, True)


@numba_overload(argmin_along)
def _(a, axis):
    from numba import types
    _need(isinstance(a, types.Array) and a.ndim == 2, "argmin_along of a 2-d array")
    return lambda a, axis: _arg_extreme_2d(a, axis, False)


# -- selection --------------------------------------------------------------------------
@runtime_helper
def select(c, x, y):
    """``np.where(c, x, y)`` of arrays, as generated code calls it: on Numba targets,
    for a boolean ``c`` of 1 or 2 dimensions and float64 arrays of its rank or numbers,
    element loops (Numba's own compiles its broadcasting anew for each combination of
    argument types, 0.4-0.9 s each the first time, three in a typical gradient); the
    shapes broadcast as NumPy's, lengths of 1 stretched (else a ValueError).

    >>> select(np.array([True, False]), np.array([1.0, 2.0]), 0.0)
    array([1., 0.])
    """
    return np.where(c, x, y)


def _length(v, axis):
    """``v.shape[axis]``; 1 for a number (broadcast)."""
    return v.shape[axis]


def _item(v, i, j):
    """``v[i]`` / ``v[i, j]`` of a 1-d / 2-d array, its only element along an axis
    of length 1 (broadcast); a number itself."""
    return v[i] if np.ndim(v) == 1 else v[i, j]


@numba_overload(_length)
def _(v, axis):
    from numba import types
    if isinstance(v, types.Array):
        return lambda v, axis: v.shape[axis]
    return lambda v, axis: 1


@numba_overload(_item)
def _(v, i, j):
    from numba import types
    if not isinstance(v, types.Array):
        return lambda v, i, j: v
    if v.ndim == 1:
        return lambda v, i, j: v[i if v.shape[0] != 1 else 0]
    return lambda v, i, j: v[i if v.shape[0] != 1 else 0, j if v.shape[1] != 1 else 0]


@jitable
def _broadcast_axis(c, x, y, axis):
    n = max(_length(c, axis), _length(x, axis), _length(y, axis))
    for m in (_length(c, axis), _length(x, axis), _length(y, axis)):
        if m != n and m != 1:
            raise ValueError("operands could not be broadcast together")
    return n


@numba_overload(select)
def _(c, x, y):
    from numba import types

    def fits(v):      # a float64 array of c's rank, or a number
        return isinstance(v, types.Array) and v.ndim == c.ndim and v.dtype == types.float64 \
            or isinstance(v, (types.Float, types.Integer)) and not isinstance(v, types.Boolean)
    if not (isinstance(c, types.Array) and c.dtype == types.boolean and c.ndim in (1, 2)
            and fits(x) and fits(y) and (isinstance(x, (types.Array, types.Float))
                                         or isinstance(y, (types.Array, types.Float)))):
        return lambda c, x, y: np.where(c, x, y)
    if c.ndim == 1:
        def impl(c, x, y):
            n = _broadcast_axis(c, x, y, 0)
            out = np.empty(n, np.float64)
            for i in range(n):
                out[i] = _item(x, i, 0) if _item(c, i, 0) else _item(y, i, 0)
            return out
        return impl

    def impl2(c, x, y):
        n = _broadcast_axis(c, x, y, 0)
        m = _broadcast_axis(c, x, y, 1)
        out = np.empty((n, m), np.float64)
        for i in range(n):
            for j in range(m):
                out[i, j] = _item(x, i, j) if _item(c, i, j) else _item(y, i, j)
        return out
    return impl2


# -- differences, diagonals, repeats, Kronecker products ----------------------------
@runtime_helper
def diff_adjoint(g, n):
    """The adjoint of ``np.diff(x, n)`` (along the last axis) for the result's adjoint ``g``."""
    for _ in range(n):
        out = np.zeros(g.shape[:-1] + (g.shape[-1] + 1,), g.dtype)
        out[..., :-1] -= g
        out[..., 1:] += g
        g = out
    return g


@numba_overload(diff_adjoint)
def _(g, n):
    """Loops, not ``out[:-1] -= h``: an update of a slice is a slice assignment to
    Numba, whose error message takes seconds to compile the first time."""
    from numba import types
    _need(isinstance(g, types.Array) and g.ndim <= 2, "diff_adjoint of a 1-d/2-d array")
    if g.ndim == 1:
        def impl(g, n):
            h = g.copy()
            for _ in range(n):
                m = h.shape[0]
                out = np.zeros(m + 1, h.dtype)
                for i in range(m):
                    out[i] -= h[i]
                    out[i + 1] += h[i]
                h = out
            return h
        return impl

    def impl(g, n):
        h = g.copy()
        for _ in range(n):
            m = h.shape[1]
            out = np.zeros((h.shape[0], m + 1), h.dtype)
            for r in range(h.shape[0]):
                for i in range(m):
                    out[r, i] -= h[r, i]
                    out[r, i + 1] += h[r, i]
            h = out
        return h
    return impl


@runtime_helper
def differences(x, n):
    """``np.diff(x, n)`` of a 1-d or 2-d float array (along the last axis), ``n``
    at least 1: what generated code calls for it on the CPU targets
    (``passes/numba_calls.py``).  Numba's own ``np.diff`` compiles a slice
    assignment with its error message, 4 s the first time in a process; these
    loops a tenth of that.

    >>> differences(np.array([1.0, 4.0, 9.0]), 1)
    array([3., 5.])
    """
    return np.diff(x, n)


@numba_overload(differences)
def _(x, n):
    from numba import types
    _need(isinstance(x, types.Array) and 1 <= x.ndim <= 2, "differences of a 1-d/2-d array")
    if x.ndim == 1:
        def impl(x, n):
            if n < 1:
                raise ValueError("differences: n must be at least 1")
            m = x.shape[0]
            out = np.empty(max(m - n, 0), x.dtype)
            h = x.copy() if n > 1 else x
            for k in range(n - 1):            # differences of differences, in place
                for i in range(m - 1 - k):
                    h[i] = h[i + 1] - h[i]
            for i in range(m - n):
                out[i] = h[i + 1] - h[i]
            return out
        return impl

    def impl(x, n):
        if n < 1:
            raise ValueError("differences: n must be at least 1")
        m = x.shape[1]
        out = np.empty((x.shape[0], max(m - n, 0)), x.dtype)
        h = x.copy() if n > 1 else x
        for r in range(x.shape[0]):
            for k in range(n - 1):
                for i in range(m - 1 - k):
                    h[r, i] = h[r, i + 1] - h[r, i]
            for i in range(m - n):
                out[r, i] = h[r, i + 1] - h[r, i]
        return out
    return impl


@runtime_helper
def put_diagonal(g, x, k):
    """Zeros shaped like the 2-d ``x`` with ``g`` on diagonal ``k``: the adjoint
    of ``np.diagonal(x, k)``."""
    out = np.zeros(x.shape, g.dtype)
    rows = np.arange(g.shape[0]) + max(-k, 0)
    out[rows, rows + k] = g
    return out


@numba_overload(put_diagonal)
def _(g, x, k):
    def impl(g, x, k):
        out = np.zeros(x.shape, g.dtype)
        r0 = -k if k < 0 else 0
        for i in range(g.shape[0]):
            out[r0 + i, r0 + i + k] = g[i]
        return out
    return impl


@runtime_helper
def sum_repeats(g, repeats):
    """Sums of each run of ``repeats`` elements: the adjoint of ``np.repeat(x, repeats)``."""
    return np.ascontiguousarray(g).reshape(-1, repeats).sum(axis=1)


@numba_overload(sum_repeats)
def _(g, repeats):
    def impl(g, repeats):
        n = g.shape[0] // repeats
        out = np.zeros(n, g.dtype)
        for i in range(n):
            for r in range(repeats):
                out[i] += g[i * repeats + r]
        return out
    return impl


# -- tensordot ------------------------------------------------------------------------------
@runtime_helper
def unflatten_contraction(c, a, b, k):
    """``np.tensordot(a, b, k)`` from the matrix product ``c`` of ``a`` flattened
    to rows of its last ``k`` axes and ``b`` to columns of its first ``k``
    (``passes/normalize.py`` writes that product): ``c`` given the axes that
    are left, ``a.shape[:-k] + b.shape[k:]``; over all the axes of both, the
    number ``c`` holds."""
    if a.ndim + b.ndim == 2 * k:
        return c[0, 0]
    return np.ascontiguousarray(c).reshape(a.shape[:a.ndim - k] + b.shape[k:])


@numba_overload(unflatten_contraction)
def _(c, a, b, k):
    from numba import types
    if not isinstance(k, types.IntegerLiteral):
        return None           # (Numba then types the call again with k a literal)
    head, tail = a.ndim - k.literal_value, k.literal_value
    if head == 0 and b.ndim == tail:
        def number(c, a, b, k):
            return c[0, 0]
        return number

    def impl(c, a, b, k):
        return np.ascontiguousarray(c).reshape(a.shape[:head] + b.shape[tail:])
    return impl


@runtime_helper
def leading_axes(a, k):
    """``a`` with axes of length 1 put in front until it has ``k`` axes, as
    ``np.tile(a, reps)`` does when ``reps`` has more entries than ``a`` axes.

    >>> leading_axes(np.ones(3), 2).shape, leading_axes(np.ones((2, 3)), 2).shape
    ((1, 3), (2, 3))
    """
    a = np.asarray(a)
    return a.reshape((1,) * (k - a.ndim) + a.shape) if k > a.ndim else a


@numba_overload(leading_axes, prefer_literal=True)
def _(a, k):
    extra = getattr(k, "literal_value", 0) - a.ndim
    if extra <= 0:
        return lambda a, k: a
    ones = (1,) * extra
    return lambda a, k: np.ascontiguousarray(a).reshape(ones + a.shape)


@runtime_helper
def sum_tiles(g, reps):
    """Sum of the ``reps`` copies: the adjoint of ``np.tile(x, reps)`` (1-d)."""
    return np.ascontiguousarray(g).reshape(reps, -1).sum(axis=0)


@numba_overload(sum_tiles)
def _(g, reps):
    def impl(g, reps):
        n = g.shape[0] // reps
        out = np.zeros(n, g.dtype)
        for r in range(reps):
            out += g[r * n:(r + 1) * n]
        return out
    return impl


@runtime_helper
def kron_adjoint_left(g, b):
    """The adjoint of ``a`` in ``np.kron(a, b)`` (both 1-d or both 2-d)."""
    if b.ndim == 1:
        return np.ascontiguousarray(g).reshape(-1, b.shape[0]) @ b
    p, q = b.shape
    blocks = np.ascontiguousarray(g).reshape(g.shape[0] // p, p, g.shape[1] // q, q)
    return np.einsum("ipjq,pq->ij", blocks, b)


@numba_overload(kron_adjoint_left)
def _(g, b):
    if b.ndim == 1:
        def impl(g, b):
            m = b.shape[0]
            out = np.zeros(g.shape[0] // m, g.dtype)
            for i in range(out.shape[0]):
                for j in range(m):
                    out[i] += g[i * m + j] * b[j]
            return out
        return impl

    def impl(g, b):
        p, q = b.shape
        out = np.zeros((g.shape[0] // p, g.shape[1] // q), g.dtype)
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = np.sum(g[i * p:(i + 1) * p, j * q:(j + 1) * q] * b)
        return out
    return impl


@runtime_helper
def kron_adjoint_right(g, a):
    """The adjoint of ``b`` in ``np.kron(a, b)`` (both 1-d or both 2-d)."""
    if a.ndim == 1:
        return a @ np.ascontiguousarray(g).reshape(a.shape[0], -1)
    n, m = a.shape
    blocks = np.ascontiguousarray(g).reshape(n, g.shape[0] // n, m, g.shape[1] // m)
    return np.einsum("ipjq,ij->pq", blocks, a)


@numba_overload(kron_adjoint_right)
def _(g, a):
    if a.ndim == 1:
        def impl(g, a):
            n = a.shape[0]
            m = g.shape[0] // n
            out = np.zeros(m, g.dtype)
            for i in range(n):
                out += a[i] * g[i * m:(i + 1) * m]
            return out
        return impl

    def impl(g, a):
        n, m = a.shape
        p, q = g.shape[0] // n, g.shape[1] // m
        out = np.zeros((p, q), g.dtype)
        for i in range(n):
            for j in range(m):
                out += a[i, j] * g[i * p:(i + 1) * p, j * q:(j + 1) * q]
        return out
    return impl


# -- NumPy functions (or keywords) Numba lacks -------------------------------------------
@numba_overload(np.flip)
def _(m, axis):
    from numba import types
    _need(isinstance(m, types.Array) and m.ndim <= 2, "np.flip(m, axis) of a 1-d/2-d array")
    if m.ndim == 1:
        return lambda m, axis: m[::-1]

    def impl(m, axis):
        ax = axis + 2 if axis < 0 else axis
        return m[::-1, :] if ax == 0 else m[:, ::-1]
    return impl


@numba_overload(np.roll)
def _(a, shift, axis):
    from numba import types
    _need(isinstance(a, types.Array) and isinstance(shift, types.Integer) and
          isinstance(axis, types.Integer), "np.roll(a, shift, axis) with an int shift and axis")

    def impl(a, shift, axis):
        out = np.empty_like(a)
        ax = axis + a.ndim if axis < 0 else axis
        src = np.swapaxes(a, 0, ax)     # the rolled axis first, in both
        dst = np.swapaxes(out, 0, ax)
        n = src.shape[0]
        if n > 0:
            k = shift % n
            dst[k:] = src[:n - k]
            dst[:k] = src[n - k:]
        return out
    return impl


@numba_overload(np.squeeze)
def _(a, axis):
    from numba import types
    _need(isinstance(a, types.Array) and 1 <= a.ndim <= 3 and
          isinstance(axis, types.Integer), "np.squeeze(a, axis) with an int axis, 1-3 dims")
    if a.ndim == 1:
        return lambda a, axis: np.ascontiguousarray(a).reshape(())
    if a.ndim == 2:
        def impl(a, axis):
            ax = axis + 2 if axis < 0 else axis
            n = a.shape[1] if ax == 0 else a.shape[0]
            return np.ascontiguousarray(a).reshape((n,))
        return impl

    def impl(a, axis):
        ax = axis + 3 if axis < 0 else axis
        s0, s1, s2 = a.shape
        if ax == 0:
            shape = (s1, s2)
        elif ax == 1:
            shape = (s0, s2)
        else:
            shape = (s0, s1)
        return np.ascontiguousarray(a).reshape(shape)
    return impl


@numba_overload(np.atleast_1d)
def _(a):      # Numba's takes arrays only
    from numba import types
    if isinstance(a, (types.Float, types.Integer, types.Boolean)):
        return lambda a: np.full(1, a)


@numba_overload(np.diagonal)
def _(a, offset=0):
    from numba import types
    _need(isinstance(a, types.Array) and a.ndim == 2, "np.diagonal of a 2-d array")
    return lambda a, offset=0: np.diag(a, offset)


@numba_overload(np.tile)
def _(A, reps):
    from numba import types
    _need(isinstance(A, types.Array) and A.ndim == 1 and isinstance(reps, types.Integer),
          "np.tile of a 1-d array with an int number of copies")

    def impl(A, reps):
        n = A.shape[0]
        out = np.empty(n * reps, A.dtype)
        for r in range(reps):
            out[r * n:(r + 1) * n] = A
        return out
    return impl


@numba_overload(np.inner)
def _(a, b):
    from numba import types
    _need(isinstance(a, types.Array) and isinstance(b, types.Array) and a.ndim == b.ndim == 1,
          "np.inner of two 1-d arrays")
    return lambda a, b: np.dot(a, b)


# -- math functions Numba lacks ------------------------------------------------------------
def ieee_remainder(x, y):
    """``math.remainder`` on floats, as Numba compiles it: ``x - n y`` with
    ``n`` the integer nearest ``x / y`` (ties to even), computed exactly from
    ``fmod`` (fdlibm's method).  NaN where ``y`` is 0 or ``x`` infinite."""
    p = abs(y)
    r = np.fmod(x, p + p) if p < 8.98846567431158e307 else np.fmod(x, p)
    r = abs(r)
    if p < 4.450147717014403e-308:       # tiny p: p / 2 would lose bits
        if r + r > p:
            r -= p
            if r + r >= p:
                r -= p
    else:
        half = 0.5 * p
        if r > half:
            r -= p
            if r >= half:
                r -= p
    return -r if x < 0.0 or (x == 0.0 and np.signbit(x)) else r


def _scalars(*ts):
    from numba import types
    return all(isinstance(t, (types.Float, types.Integer)) for t in ts)


@numba_overload(math.fmod)
def _(x, y):
    if _scalars(x, y):
        return lambda x, y: np.fmod(float(x), float(y))


_JIT_REMAINDER = []     # ieee_remainder compiled once, when first typed


@numba_overload(math.remainder)
def _(x, y):
    if _scalars(x, y):
        if not _JIT_REMAINDER:
            import numba
            _JIT_REMAINDER.append(numba.njit(ieee_remainder))
        jit_remainder = _JIT_REMAINDER[0]
        return lambda x, y: jit_remainder(float(x), float(y))


if hasattr(math, "cbrt"):
    @numba_overload(math.cbrt)
    def _(x):
        if _scalars(x):
            return lambda x: np.cbrt(float(x))
