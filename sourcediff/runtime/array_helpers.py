"""Helpers for the rules of ``rules/arrayfuncs.py`` and ``rules/ufuncs_more.py``.

Each helper is plain NumPy (the ``"python"`` target runs it as is);
:func:`install_numba_overloads` gives it a Numba overload, so the ``"cpu"``
target compiles it in nopython mode, and fills gaps in Numba's own NumPy and
math support that the rules and user code need (``np.cumprod`` along an axis,
``np.squeeze``, ``np.tile``, ``math.fmod``, ...).  The compiled versions
handle 1-d and 2-d arrays (and any array flattened, where the NumPy function
flattens); ``rules/arrayfuncs.py`` refuses the rest at transform time.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "cumprod_adjoint",
    "cumprod_adjoint_tangent",
    "cumprod_tangent",
    "diff_adjoint",
    "kron_adjoint_left",
    "kron_adjoint_right",
    "put_diagonal",
    "reverse_cumsum",
    "sum_repeats",
    "sum_tiles",
]


# -- cumulative sums and products ----------------------------------------------
def reverse_cumsum(g, axis):
    """Sums from the end along ``axis``: the adjoint of ``np.cumsum(x, axis)``."""
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


# One line (1-d array) of each cumprod helper; ``out`` receives the result.
# z_i = x_0 ... x_i.  Its adjoint is dx_j = P_j * S_j with the prefix product
# P_j = x_0 ... x_(j-1) and the suffix sum S_j = g_j + x_(j+1) S_(j+1): no
# division, so exact when some x_j are zero.
def _cumprod_adjoint_line(x, g, out):
    s = 0.0
    x_next = 0.0
    for j in range(x.shape[0] - 1, -1, -1):
        s = g[j] + x_next * s
        out[j] = s
        x_next = x[j]
    p = 1.0
    for j in range(x.shape[0]):
        out[j] *= p
        p *= x[j]


def _cumprod_tangent_line(x, v, out):
    # z_i = z_(i-1) x_i, so z_dot_i = z_dot_(i-1) x_i + z_(i-1) v_i
    p = 1.0
    p_dot = 0.0
    for i in range(x.shape[0]):
        p_dot = p_dot * x[i] + p * v[i]
        p *= x[i]
        out[i] = p_dot


def _cumprod_adjoint_tangent_line(x, g, v, out):
    # the tangent of P_j * S_j along x_dot = v (g held fixed)
    s = 0.0
    s_dot = 0.0
    x_next = 0.0
    v_next = 0.0
    sums = np.empty(x.shape[0], out.dtype)
    for j in range(x.shape[0] - 1, -1, -1):
        s_dot = v_next * s + x_next * s_dot
        s = g[j] + x_next * s
        sums[j] = s
        out[j] = s_dot
        x_next = x[j]
        v_next = v[j]
    p = 1.0
    p_dot = 0.0
    for j in range(x.shape[0]):
        out[j] = p_dot * sums[j] + p * out[j]
        p_dot = p_dot * x[j] + p * v[j]
        p *= x[j]


def _lines(line, axis, arrays, out_shape):
    """``line(*lines of arrays, out line)`` over each line along ``axis``
    (``None``: the arrays flattened, the result reshaped to ``out_shape``)."""
    dtype = np.result_type(*[a.dtype for a in arrays], np.float32)
    if axis is None:
        flat = [np.ascontiguousarray(a).ravel() for a in arrays]
        out = np.empty(flat[0].size, dtype)
        line(*flat, out)
        return out.reshape(out_shape)
    moved = [np.moveaxis(np.asarray(a), axis, -1) for a in arrays]
    out = np.empty(moved[0].shape, dtype)
    for idx in np.ndindex(*moved[0].shape[:-1]):
        line(*[m[idx] for m in moved], out[idx])
    return np.moveaxis(out, -1, axis)


def cumprod_adjoint(x, g, axis=None):
    """The adjoint of ``np.cumprod(x, axis)`` for the result's adjoint ``g``
    (exact with zeros in ``x``)."""
    return _lines(_cumprod_adjoint_line, axis, (x, g), np.shape(x))


def cumprod_tangent(x, x_dot, axis=None):
    """The tangent of ``np.cumprod(x, axis)`` along ``x_dot``."""
    return _lines(_cumprod_tangent_line, axis, (x, x_dot), (x.size,))


def cumprod_adjoint_tangent(x, g, x_dot, axis=None):
    """The tangent of ``cumprod_adjoint(x, g, axis)`` along ``x_dot`` (``g`` fixed)."""
    return _lines(_cumprod_adjoint_tangent_line, axis, (x, g, x_dot), np.shape(x))


# -- differences, diagonals, repeats, Kronecker products ----------------------------
def diff_adjoint(g, n):
    """The adjoint of ``np.diff(x, n)`` (along the last axis) for the result's adjoint ``g``."""
    for _ in range(n):
        out = np.zeros(g.shape[:-1] + (g.shape[-1] + 1,), g.dtype)
        out[..., :-1] -= g
        out[..., 1:] += g
        g = out
    return g


def put_diagonal(g, x, k):
    """Zeros shaped like the 2-d ``x`` with ``g`` on diagonal ``k``: the adjoint
    of ``np.diagonal(x, k)``."""
    out = np.zeros(x.shape, g.dtype)
    rows = np.arange(g.shape[0]) + max(-k, 0)
    out[rows, rows + k] = g
    return out


def sum_repeats(g, repeats):
    """Sums of each run of ``repeats`` elements: the adjoint of ``np.repeat(x, repeats)``."""
    return np.ascontiguousarray(g).reshape(-1, repeats).sum(axis=1)


def sum_tiles(g, reps):
    """Sum of the ``reps`` copies: the adjoint of ``np.tile(x, reps)`` (1-d)."""
    return np.ascontiguousarray(g).reshape(reps, -1).sum(axis=0)


def kron_adjoint_left(g, b):
    """The adjoint of ``a`` in ``np.kron(a, b)`` (both 1-d or both 2-d)."""
    if b.ndim == 1:
        return np.ascontiguousarray(g).reshape(-1, b.shape[0]) @ b
    p, q = b.shape
    blocks = np.ascontiguousarray(g).reshape(g.shape[0] // p, p, g.shape[1] // q, q)
    return np.einsum("ipjq,pq->ij", blocks, b)


def kron_adjoint_right(g, a):
    """The adjoint of ``b`` in ``np.kron(a, b)`` (both 1-d or both 2-d)."""
    if a.ndim == 1:
        return a @ np.ascontiguousarray(g).reshape(a.shape[0], -1)
    n, m = a.shape
    blocks = np.ascontiguousarray(g).reshape(n, g.shape[0] // n, m, g.shape[1] // m)
    return np.einsum("ipjq,ij->pq", blocks, a)


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


_INSTALLED = False


def install_numba_overloads():
    """Register the helpers, and the NumPy/math functions Numba lacks, with
    Numba (once, when the cpu target is first used)."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    try:
        import numba  # noqa: F401
    except ImportError:  # the "python" target works without Numba
        return
    _install_cumprod()
    _install_cumsum_diff()
    _install_structure()
    _install_numpy_gaps()
    _install_math_gaps()


def _is_none(t):
    from numba import types
    return t is None or isinstance(t, (types.NoneType, types.Omitted))


def _need(cond, what):
    from numba.core.errors import TypingError
    if not cond:
        raise TypingError(what)


def _install_cumprod():
    """cumprod: its adjoint and tangents, line by line, and its axis."""
    import numba
    from numba import types
    from numba.extending import overload

    # -- cumprod helpers: 1-d lines, the flattened array or the lines of a 2-d array
    def lines2(line_fn, flat_result):
        """The overload of ``helper(x, g, axis=None)`` made of a jitted 1-d line."""
        line = numba.njit(line_fn)

        def ov(x, g, axis=None):
            if _is_none(axis) or x.ndim == 1:
                def impl(x, g, axis=None):
                    out = np.empty(x.size, x.dtype)
                    line(np.ascontiguousarray(x).ravel(), np.ascontiguousarray(g).ravel(), out)
                    return out if flat_result else out.reshape(x.shape)
                return impl
            _need(x.ndim == 2, "cumprod along an axis of an array of more than 2 dimensions")

            def impl(x, g, axis=None):
                out = np.empty(x.shape, x.dtype)
                if axis == 0 or axis == -2:
                    for j in range(x.shape[1]):
                        line(x[:, j], g[:, j], out[:, j])
                else:
                    for i in range(x.shape[0]):
                        line(x[i], g[i], out[i])
                return out
            return impl
        return ov

    def lines3(line_fn):
        """The overload of ``helper(x, g, v, axis=None)`` made of a jitted 1-d line."""
        line = numba.njit(line_fn)

        def ov(x, g, v, axis=None):
            if _is_none(axis) or x.ndim == 1:
                def impl(x, g, v, axis=None):
                    out = np.empty(x.size, x.dtype)
                    line(np.ascontiguousarray(x).ravel(), np.ascontiguousarray(g).ravel(),
                         np.ascontiguousarray(v).ravel(), out)
                    return out.reshape(x.shape)
                return impl
            _need(x.ndim == 2, "cumprod along an axis of an array of more than 2 dimensions")

            def impl(x, g, v, axis=None):
                out = np.empty(x.shape, x.dtype)
                if axis == 0 or axis == -2:
                    for j in range(x.shape[1]):
                        line(x[:, j], g[:, j], v[:, j], out[:, j])
                else:
                    for i in range(x.shape[0]):
                        line(x[i], g[i], v[i], out[i])
                return out
            return impl
        return ov

    overload(cumprod_adjoint)(lines2(_cumprod_adjoint_line, False))
    overload(cumprod_tangent)(lines2(_cumprod_tangent_line, True))
    overload(cumprod_adjoint_tangent)(lines3(_cumprod_adjoint_tangent_line))

    @overload(np.cumprod)
    def _ov_cumprod_axis(a, axis):      # Numba's np.cumprod takes no axis
        _need(isinstance(a, types.Array) and a.ndim <= 2, "np.cumprod(a, axis) of a 1-d/2-d array")
        if a.ndim == 1:
            return lambda a, axis: np.cumprod(a)

        def impl(a, axis):
            ax = axis + 2 if axis < 0 else axis
            out = np.empty(a.shape, a.dtype)
            if ax == 0:
                out[0, :] = a[0, :]
                for i in range(1, a.shape[0]):
                    out[i, :] = out[i - 1, :] * a[i, :]
            else:
                out[:, 0] = a[:, 0]
                for j in range(1, a.shape[1]):
                    out[:, j] = out[:, j - 1] * a[:, j]
            return out
        return impl



def _install_cumsum_diff():
    """Adjoints of cumsum along an axis and of diff."""
    from numba import types
    from numba.extending import overload

    @overload(reverse_cumsum)
    def _ov_reverse_cumsum(g, axis):
        _need(isinstance(g, types.Array) and g.ndim <= 2, "reverse_cumsum of a 1-d/2-d array")
        if g.ndim == 1:
            return lambda g, axis: np.cumsum(g[::-1])[::-1]

        def impl(g, axis):
            ax = axis + 2 if axis < 0 else axis
            out = np.empty(g.shape, g.dtype)
            if ax == 0:
                n = g.shape[0]
                out[n - 1, :] = g[n - 1, :]
                for i in range(n - 2, -1, -1):
                    out[i, :] = out[i + 1, :] + g[i, :]
            else:
                n = g.shape[1]
                out[:, n - 1] = g[:, n - 1]
                for j in range(n - 2, -1, -1):
                    out[:, j] = out[:, j + 1] + g[:, j]
            return out
        return impl

    # -- the other helpers -------------------------------------------------------
    @overload(diff_adjoint)
    def _ov_diff_adjoint(g, n):
        _need(isinstance(g, types.Array) and g.ndim <= 2, "diff_adjoint of a 1-d/2-d array")
        if g.ndim == 1:
            def impl(g, n):
                h = g.copy()
                for _ in range(n):
                    out = np.zeros(h.shape[0] + 1, h.dtype)
                    out[:-1] -= h
                    out[1:] += h
                    h = out
                return h
            return impl

        def impl(g, n):
            h = g.copy()
            for _ in range(n):
                out = np.zeros((h.shape[0], h.shape[1] + 1), h.dtype)
                out[:, :-1] -= h
                out[:, 1:] += h
                h = out
            return h
        return impl



def _install_structure():
    """Adjoints of diag, repeat, tile and kron."""
    from numba.extending import overload

    @overload(put_diagonal)
    def _ov_put_diagonal(g, x, k):
        def impl(g, x, k):
            out = np.zeros(x.shape, g.dtype)
            r0 = -k if k < 0 else 0
            for i in range(g.shape[0]):
                out[r0 + i, r0 + i + k] = g[i]
            return out
        return impl

    @overload(sum_repeats)
    def _ov_sum_repeats(g, repeats):
        def impl(g, repeats):
            n = g.shape[0] // repeats
            out = np.zeros(n, g.dtype)
            for i in range(n):
                for r in range(repeats):
                    out[i] += g[i * repeats + r]
            return out
        return impl

    @overload(sum_tiles)
    def _ov_sum_tiles(g, reps):
        def impl(g, reps):
            n = g.shape[0] // reps
            out = np.zeros(n, g.dtype)
            for r in range(reps):
                out += g[r * n:(r + 1) * n]
            return out
        return impl

    @overload(kron_adjoint_left)
    def _ov_kron_adjoint_left(g, b):
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

    @overload(kron_adjoint_right)
    def _ov_kron_adjoint_right(g, a):
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

    # -- NumPy functions (or variants) Numba lacks ------------------------------------


def _install_numpy_gaps():
    """NumPy functions or keywords Numba lacks (flip with axis, squeeze, ...)."""
    from numba import types
    from numba.extending import overload

    @overload(np.flip)
    def _ov_flip_axis(m, axis):
        _need(isinstance(m, types.Array) and m.ndim <= 2, "np.flip(m, axis) of a 1-d/2-d array")
        if m.ndim == 1:
            return lambda m, axis: m[::-1]

        def impl(m, axis):
            ax = axis + 2 if axis < 0 else axis
            return m[::-1, :] if ax == 0 else m[:, ::-1]
        return impl

    @overload(np.squeeze)
    def _ov_squeeze(a, axis):
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

    @overload(np.atleast_1d)
    def _ov_atleast_1d_scalar(a):      # Numba's takes arrays only
        if isinstance(a, (types.Float, types.Integer, types.Boolean)):
            return lambda a: np.full(1, a)

    @overload(np.diagonal)
    def _ov_diagonal(a, offset=0):
        _need(isinstance(a, types.Array) and a.ndim == 2, "np.diagonal of a 2-d array")
        return lambda a, offset=0: np.diag(a, offset)

    @overload(np.tile)
    def _ov_tile(A, reps):
        _need(isinstance(A, types.Array) and A.ndim == 1 and isinstance(reps, types.Integer),
             "np.tile of a 1-d array with an int number of copies")

        def impl(A, reps):
            n = A.shape[0]
            out = np.empty(n * reps, A.dtype)
            for r in range(reps):
                out[r * n:(r + 1) * n] = A
            return out
        return impl

    @overload(np.inner)
    def _ov_inner(a, b):
        _need(isinstance(a, types.Array) and isinstance(b, types.Array) and a.ndim == b.ndim == 1,
             "np.inner of two 1-d arrays")
        return lambda a, b: np.dot(a, b)



def _install_math_gaps():
    """math functions Numba lacks (fmod, remainder, cbrt, ...)."""
    import math

    import numba
    from numba import types
    from numba.extending import overload

    # -- math functions Numba lacks --------------------------------------------------
    def scalars(*ts):
        return all(isinstance(t, (types.Float, types.Integer)) for t in ts)

    @overload(math.fmod)
    def _ov_fmod(x, y):
        if scalars(x, y):
            return lambda x, y: np.fmod(float(x), float(y))

    jit_remainder = numba.njit(ieee_remainder)

    @overload(math.remainder)
    def _ov_remainder(x, y):
        if scalars(x, y):
            return lambda x, y: jit_remainder(float(x), float(y))

    if hasattr(math, "cbrt"):
        @overload(math.cbrt)
        def _ov_cbrt(x):
            if scalars(x):
                return lambda x: np.cbrt(float(x))
