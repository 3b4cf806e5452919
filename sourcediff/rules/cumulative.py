"""Cumulative sums and products: ``np.cumsum`` and ``np.cumprod`` of 1-d to
3-d arrays, flattened or along any axis, with the runtime helpers their
adjoints and tangents call.  The compiled helpers see an array as ``(outer,
n, inner)`` (``as_3d``) and work along its middle axis.

Each helper is declared here, next to the rules that emit it, with its Numba
overload (``runtime/declare.py``); the helpers are primitives of their own
(a result type, a tangent, an adjoint where linear) so that generated code
can be differentiated again (Hessian-vector products).
"""
import numpy as np

from ..passes.types import array
from ..runtime.declare import jitable, numba_overload, runtime_helper
from ..runtime.helpers import as_3d, reshape_like
from .checks import check_array, float_dtype, given, int_arg, ndim_of
from .registry import result_type, rule, tangent


def _need(cond, what):
    from numba.core.errors import TypingError
    if not cond:
        raise TypingError(what)


# -- the helpers ------------------------------------------------------------------------
@runtime_helper
def reverse_cumsum(g, axis):
    """Sums from the end along ``axis``: the adjoint of ``np.cumsum(x, axis)``."""
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


@numba_overload(reverse_cumsum)
def _(g, axis):
    from numba import types
    _need(isinstance(g, types.Array), "reverse_cumsum of an array")
    if g.ndim == 1:
        return lambda g, axis: np.cumsum(g[::-1])[::-1]

    def impl(g, axis):          # along the middle axis of g as (outer, n, inner)
        g3 = as_3d(g, axis + g.ndim if axis < 0 else axis)
        out = np.empty(g3.shape, g.dtype)
        n = g3.shape[1]
        out[:, n - 1, :] = g3[:, n - 1, :]
        for i in range(n - 2, -1, -1):
            out[:, i, :] = out[:, i + 1, :] + g3[:, i, :]
        return out.reshape(g.shape)
    return impl


# One line (1-d array) of each cumprod helper; ``out`` receives the result.
# z_i = x_0 ... x_i.  Its adjoint is dx_j = P_j * S_j with the prefix product
# P_j = x_0 ... x_(j-1) and the suffix sum S_j = g_j + x_(j+1) S_(j+1): no
# division, so exact when some x_j are zero.
@jitable
def cumprod_adjoint_line(x, g, out):
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


@jitable
def cumprod_tangent_line(x, v, out):
    # z_i = z_(i-1) x_i, so z_dot_i = z_dot_(i-1) x_i + z_(i-1) v_i
    p = 1.0
    p_dot = 0.0
    for i in range(x.shape[0]):
        p_dot = p_dot * x[i] + p * v[i]
        p *= x[i]
        out[i] = p_dot


@jitable
def cumprod_adjoint_tangent_line(x, g, v, out):
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


def _lines2(line, flat_result):
    """The overload of ``helper(x, g, axis=None)`` made of a jitted 1-d ``line``."""
    def overload_fn(x, g, axis=None):
        from numba import types
        if isinstance(axis, (types.NoneType, types.Omitted)) or axis is None or x.ndim == 1:
            def impl(x, g, axis=None):
                out = np.empty(x.size, x.dtype)
                line(np.ascontiguousarray(x).ravel(), np.ascontiguousarray(g).ravel(), out)
                return out if flat_result else out.reshape(x.shape)
            return impl
        def impl(x, g, axis=None):      # each line along the middle axis of (outer, n, inner)
            a = axis + x.ndim if axis < 0 else axis
            x3, g3 = as_3d(x, a), as_3d(g, a)
            out = np.empty(x3.shape, x.dtype)
            for i in range(x3.shape[0]):
                for k in range(x3.shape[2]):
                    line(x3[i, :, k], g3[i, :, k], out[i, :, k])
            return out.reshape(x.shape)
        return impl
    return overload_fn


def _lines3(line):
    """The overload of ``helper(x, g, v, axis=None)`` made of a jitted 1-d ``line``."""
    def overload_fn(x, g, v, axis=None):
        from numba import types
        if isinstance(axis, (types.NoneType, types.Omitted)) or axis is None or x.ndim == 1:
            def impl(x, g, v, axis=None):
                out = np.empty(x.size, x.dtype)
                line(np.ascontiguousarray(x).ravel(), np.ascontiguousarray(g).ravel(),
                     np.ascontiguousarray(v).ravel(), out)
                return out.reshape(x.shape)
            return impl
        def impl(x, g, v, axis=None):
            a = axis + x.ndim if axis < 0 else axis
            x3, g3, v3 = as_3d(x, a), as_3d(g, a), as_3d(v, a)
            out = np.empty(x3.shape, x.dtype)
            for i in range(x3.shape[0]):
                for k in range(x3.shape[2]):
                    line(x3[i, :, k], g3[i, :, k], v3[i, :, k], out[i, :, k])
            return out.reshape(x.shape)
        return impl
    return overload_fn


@runtime_helper(overload=_lines2(cumprod_adjoint_line, False))
def cumprod_adjoint(x, g, axis=None):
    """The adjoint of ``np.cumprod(x, axis)`` for the result's adjoint ``g``
    (exact with zeros in ``x``)."""
    return _lines(cumprod_adjoint_line, axis, (x, g), np.shape(x))


@runtime_helper(overload=_lines2(cumprod_tangent_line, True))
def cumprod_tangent(x, x_dot, axis=None):
    """The tangent of ``np.cumprod(x, axis)`` along ``x_dot``."""
    return _lines(cumprod_tangent_line, axis, (x, x_dot), (x.size,))


@runtime_helper(overload=_lines3(cumprod_adjoint_tangent_line))
def cumprod_adjoint_tangent(x, g, x_dot, axis=None):
    """The tangent of ``cumprod_adjoint(x, g, axis)`` along ``x_dot`` (``g`` fixed)."""
    return _lines(cumprod_adjoint_tangent_line, axis, (x, g, x_dot), np.shape(x))


@numba_overload(np.cumprod)
def _(a, axis):      # Numba's np.cumprod takes no axis
    from numba import types
    _need(isinstance(a, types.Array), "np.cumprod(a, axis) of an array")
    if a.ndim == 1:
        return lambda a, axis: np.cumprod(a)

    def impl(a, axis):
        a3 = as_3d(a, axis + a.ndim if axis < 0 else axis)
        out = np.empty(a3.shape, a.dtype)
        out[:, 0, :] = a3[:, 0, :]
        for i in range(1, a3.shape[1]):
            out[:, i, :] = out[:, i - 1, :] * a3[:, i, :]
        return out.reshape(a.shape)
    return impl


# -- np.cumsum and np.cumprod ---------------------------------------------------------------
def _flat(info):         # no axis: x flattened (a vector: its only axis)
    return not given(info, "axis") or ndim_of(info, "x") == 1


def _along(info):
    return given(info, "axis") and ndim_of(info, "x") > 1


@rule(np.cumsum, when=lambda i: ndim_of(i, "x") == 1)     # z_i = x_0 + ... + x_i
def _(z, x, dz, axis=None):
    return np.flip(np.cumsum(np.flip(dz)))


@rule(np.cumsum, when=lambda i: _flat(i) and ndim_of(i, "x") > 1)
def _(z, x, dz, axis=None):
    return reshape_like(np.flip(np.cumsum(np.flip(dz))), x)


@rule(np.cumsum, when=_along)
def _(z, x, dz, axis=None):
    return reverse_cumsum(dz, axis)


@tangent(np.cumsum, when=_flat)
def _(z, x, x_dot, axis=None):
    return np.cumsum(x_dot)


@tangent(np.cumsum, when=_along)
def _(z, x, x_dot, axis=None):
    return np.cumsum(x_dot, axis)


@rule(np.cumprod, when=_flat)          # exact where some x_i are 0 (no division)
def _(z, x, dz, axis=None):
    return cumprod_adjoint(x, dz)


@rule(np.cumprod, when=_along)
def _(z, x, dz, axis=None):
    return cumprod_adjoint(x, dz, axis)


@tangent(np.cumprod, when=_flat)
def _(z, x, x_dot, axis=None):
    return cumprod_tangent(x, x_dot)


@tangent(np.cumprod, when=_along)
def _(z, x, x_dot, axis=None):
    return cumprod_tangent(x, x_dot, axis)


@result_type(np.cumsum, np.cumprod)
def _(args, kw, consts):
    x = check_array(args, kw, "np.cumsum/np.cumprod", (1, 2, 3), ("axis",))
    axis = int_arg(args, kw, 1, "axis", "np.cumsum/np.cumprod")
    dt = x.dtype if x.dtype.kind == "f" else np.dtype(np.int64)
    return array(dt, x.ndim if axis is not None else 1)


# -- the helpers, as primitives ----------------------------------------------------------
@result_type(reverse_cumsum)
def _(args, kw, consts):
    return array(float_dtype(args[0]), args[0].ndim)


@tangent(reverse_cumsum)
def _(z, g, g_dot, axis=0):
    return reverse_cumsum(g_dot, axis)


@rule(reverse_cumsum)
def _(z, g, dz, axis=0):
    return np.cumsum(dz, axis)


# cumprod's helpers are not linear in x: the tangent of the adjoint (for
# Hessian-vector products) is a helper of its own, the last of the chain
def _helper_flat(info):
    return not given(info, "axis")


@result_type(cumprod_adjoint, cumprod_adjoint_tangent)
def _(args, kw, consts):
    return array(float_dtype(args[0]), args[0].ndim)


@result_type(cumprod_tangent)
def _(args, kw, consts):
    axis_given = len(args) > 2 or "axis" in kw
    return array(float_dtype(args[0]), args[0].ndim if axis_given else 1)


@tangent(cumprod_adjoint, when=_helper_flat)
def _(z, x, g, x_dot, g_dot, axis=None):
    return cumprod_adjoint(x, g_dot) + cumprod_adjoint_tangent(x, g, x_dot)


@tangent(cumprod_adjoint, when=lambda i: not _helper_flat(i))
def _(z, x, g, x_dot, g_dot, axis=None):
    return cumprod_adjoint(x, g_dot, axis) + cumprod_adjoint_tangent(x, g, x_dot, axis)
