"""Rules for NumPy array functions: differences, flips and rolls, reshaping,
diagonals and triangles, repeats and tiles, and the inner, cross and
Kronecker products (cumulative sums and products: ``cumulative.py``).

Most adjoints are the transposed operation written with NumPy itself (the
adjoint of ``np.flip`` is ``np.flip``, of ``np.triu`` is ``np.triu``); where
NumPy has no such operation the helpers of ``runtime/array_helpers.py`` stand
in, declared below as primitives of their own so that generated code can be
differentiated again (Hessian-vector products).  Type rules refuse at
transform time what the rules do not cover (an ``axis`` they do not handle, a
``dtype=``), rather than differentiate it wrongly.
"""
import numpy as np

from ..passes.types import INT, array, scalar
from ..runtime.array_helpers import (
    diff_adjoint,
    differences,
    grown,
    item_of,
    kron_adjoint_left,
    kron_adjoint_right,
    leading_axes,
    put_diagonal,
    sum_repeats,
    sum_tiles,
    unflatten_contraction,
)
from ..runtime.helpers import reshape_like
from ..runtime.interp import (
    interp_knots_jvp,
    interp_knots_jvp_at,
    interp_knots_vjp,
    interp_knots_vjp_at,
    interp_knots_vjp_knots,
    interp_knots_vjp_knots_at,
    interp_knots_vjp_moved,
    interp_knots_vjp_moved_at,
    interp_slope_at,
    interp_slope_knots_jvp_at,
    interp_slopes,
    interp_slopes_knots_jvp,
    interp_values_vjp,
    interp_values_vjp_at,
    interp_values_vjp_knots,
    interp_values_vjp_knots_at,
    interp_values_vjp_moved,
    interp_values_vjp_moved_at,
)
from .checks import check_array as _check
from .checks import float_dtype as _float
from .checks import given as _given
from .checks import int_arg as _int_arg
from .checks import ndim_of as _ndim
from .registry import result_type, rule, tangent

# Functions whose result may share memory with their first argument, with the
# least number of dimensions of that argument for which it does (np.diag of a
# vector builds a new matrix): writing through either name is refused.
VIEW_FUNCTIONS = {id(f): 1 for f in (np.reshape, np.ravel, np.squeeze, np.flip, np.fliplr,
                                     np.flipud, np.atleast_1d, np.atleast_2d, np.atleast_3d,
                                     np.real, np.diagonal, np.expand_dims, np.transpose,
                                     np.moveaxis, np.swapaxes)}
VIEW_FUNCTIONS[id(np.diag)] = 2
VIEW_FUNCTIONS[id(np.rot90)] = 2
VIEW_NAMES = {"np.reshape", "np.ravel", "np.squeeze", "np.flip", "np.fliplr", "np.flipud",
              "np.atleast_1d", "np.atleast_2d", "np.atleast_3d", "np.real", "np.diagonal",
              "np.diag", "np.expand_dims", "np.transpose", "np.moveaxis", "np.swapaxes",
              "np.rot90"}


# -- differences --------------------------------------------------------------------
@rule(np.diff)             # z = x[..., 1:] - x[..., :-1], n times
def _(z, x, dz, n=1):
    return diff_adjoint(dz, n)


@tangent(np.diff)
def _(z, x, x_dot, n=1):
    return np.diff(x_dot, n)


@result_type(np.diff)
def _(args, kw, consts):
    x = _check(args, kw, "np.diff (along the last axis)", (1, 2), ("n",))
    _int_arg(args, kw, 1, "n", "np.diff")
    if len(args) > 2:
        raise TypeError("np.diff: only the last axis is supported")
    return x


# what generated code calls for np.diff (passes/numba_calls.py), differentiated again
@rule(differences)
def _(z, x, dz, n=1):
    return diff_adjoint(dz, n)


@tangent(differences)
def _(z, x, x_dot, n=1):
    return differences(x_dot, n)


@result_type(differences)
def _(args, kw, consts):
    return args[0]


# -- flips and rolls ------------------------------------------------------------------
@rule(np.flip, when=lambda i: not _given(i, "axis"))
def _(z, m, dz, axis=None):
    return np.flip(dz)


@rule(np.flip, when=lambda i: _given(i, "axis"))
def _(z, m, dz, axis=None):
    return np.flip(dz, axis)


@tangent(np.flip, when=lambda i: not _given(i, "axis"))
def _(z, m, m_dot, axis=None):
    return np.flip(m_dot)


@tangent(np.flip, when=lambda i: _given(i, "axis"))
def _(z, m, m_dot, axis=None):
    return np.flip(m_dot, axis)


@rule(np.fliplr)
def _(z, m, dz):
    return np.fliplr(dz)


@tangent(np.fliplr)
def _(z, m, m_dot):
    return np.fliplr(m_dot)


@rule(np.flipud)
def _(z, m, dz):
    return np.flipud(dz)


@tangent(np.flipud)
def _(z, m, m_dot):
    return np.flipud(m_dot)


@rule(np.roll, when=lambda i: not _given(i, "axis"))   # x (flattened) shifted right
def _(z, a, dz, shift=0, axis=None):
    return np.roll(dz, -shift)


@rule(np.roll, when=lambda i: _given(i, "axis"))       # shifted along one axis
def _(z, a, dz, shift=0, axis=None):
    return np.roll(dz, -shift, axis)


@tangent(np.roll, when=lambda i: not _given(i, "axis"))
def _(z, a, a_dot, shift=0, axis=None):
    return np.roll(a_dot, shift)


@tangent(np.roll, when=lambda i: _given(i, "axis"))
def _(z, a, a_dot, shift=0, axis=None):
    return np.roll(a_dot, shift, axis)


@result_type(np.flip)
def _(args, kw, consts):
    x = _check(args, kw, "np.flip", (1, 2), ("axis",))
    _int_arg(args, kw, 1, "axis", "np.flip")
    return x


@result_type(np.fliplr)
def _(args, kw, consts):
    return _check(args, kw, "np.fliplr", (2,))


@result_type(np.flipud)
def _(args, kw, consts):
    return _check(args, kw, "np.flipud", (1, 2))


@result_type(np.roll)
def _(args, kw, consts):
    x = _check(args, kw, "np.roll", (1, 2, 3), ("shift", "axis"))
    _int_arg(args, kw, 1, "shift", "np.roll")
    _int_arg(args, kw, 2, "axis", "np.roll")
    return x


# -- reshaping -------------------------------------------------------------------------
@rule(np.reshape)
def _(z, a, dz, shape=None):
    return reshape_like(dz, a)


@tangent(np.reshape)
def _(z, a, a_dot, shape=None):
    return reshape_like(a_dot, z)


@rule(np.ravel)
def _(z, a, dz):
    return reshape_like(dz, a)


@tangent(np.ravel)
def _(z, a, a_dot):
    return np.ravel(a_dot)


@rule(np.squeeze)
def _(z, a, dz, axis=None):
    return reshape_like(dz, a)


@tangent(np.squeeze)
def _(z, a, a_dot, axis=None):
    return reshape_like(a_dot, z)


@rule(np.atleast_1d, when=lambda i: _ndim(i, "x") > 0)     # x itself
def _(z, x, dz):
    return dz


@rule(np.atleast_1d, when=lambda i: _ndim(i, "x") == 0)    # [x]
def _(z, x, dz):
    return dz[0]


@tangent(np.atleast_1d)
def _(z, x, x_dot):
    return np.atleast_1d(x_dot)


@rule(grown)                 # xs, then zeros: xs's part of the adjoint
def _(z, xs, dz):
    return dz[:xs.shape[0]]


@tangent(grown)
def _(z, xs, xs_dot):
    return grown(xs_dot)


@result_type(grown)
def _(args, kw, consts):
    if not (args[0].is_array and args[0].ndim == 1):
        raise TypeError(f"grown() of {args[0]}: a 1-d array")
    return args[0]


@rule(item_of, when=lambda i: i.types["x"].is_array)     # its one element
def _(z, x, dz):
    return dz * np.ones_like(x)


@rule(item_of)                                           # a number: itself
def _(z, x, dz):
    return dz


@tangent(item_of)
def _(z, x, x_dot):
    return item_of(x_dot)


@result_type(item_of)
def _(args, kw, consts):
    x = args[0]
    if x.is_array:
        return scalar(x.dtype)
    if x.is_scalar:
        return x
    raise TypeError(f".item() of {x}")


@result_type(np.reshape)
def _(args, kw, consts):
    x = _check(args, kw, "np.reshape", (1, 2, 3), ("shape", "newshape"))
    shape = args[1] if len(args) > 1 else kw.get("shape", kw.get("newshape"))
    if shape is None or len(args) > 2:
        raise TypeError("np.reshape(a, shape): give the shape (and no order)")
    if shape.kind == "tuple":
        return array(x.dtype, len(shape.elts))
    if shape.kind == "int":
        return array(x.dtype, 1)
    raise TypeError(f"np.reshape: the shape must be an int or a tuple of ints, not {shape}")


@result_type(np.ravel)
def _(args, kw, consts):
    x = _check(args, kw, "np.ravel", (1, 2, 3))
    if len(args) > 1:
        raise TypeError("np.ravel: only the default order is supported")
    return array(x.dtype, 1)


@result_type(np.squeeze)
def _(args, kw, consts):
    x = _check(args, kw, "np.squeeze", (2, 3), ("axis",))
    axis = args[1] if len(args) > 1 else kw.get("axis")
    if axis is None or axis.kind != "int":
        raise TypeError("np.squeeze needs the axis to remove, an int: pass it, e.g. "
                        "np.squeeze(y, axis=0) (without axis= the lengths of the axes, known "
                        "only at run time, would decide how many dimensions it removes)")
    return array(x.dtype, x.ndim - 1)


@rule(np.atleast_2d)            # a view of x with leading axes of length 1
def _(z, x, dz):
    return reshape_like(dz, x)


@tangent(np.atleast_2d)
def _(z, x, x_dot):
    return np.atleast_2d(x_dot)


@result_type(np.atleast_2d)
def _(args, kw, consts):
    x = args[0]
    if len(args) != 1 or kw or not x.is_array:
        raise TypeError("np.atleast_2d takes one array here")
    return array(x.dtype, max(2, x.ndim))


@result_type(np.atleast_1d)
def _(args, kw, consts):
    if len(args) != 1 or kw:
        raise TypeError("np.atleast_1d takes one argument here")
    x = args[0]
    if x.is_array:
        return x
    if x.is_scalar:
        return array(x.dtype, 1)
    raise TypeError(f"np.atleast_1d of {x}")


# -- diagonals, traces and triangles ---------------------------------------------------------
@rule(np.trace)            # z = sum_i x[i, i + offset]
def _(z, a, dz, offset=0):
    return dz * np.eye(a.shape[0], a.shape[1], offset)


@tangent(np.trace)
def _(z, a, a_dot, offset=0):
    return np.trace(a_dot, offset)


@rule(np.diag, when=lambda i: _ndim(i, "v") == 1)    # a matrix with v on diagonal k
def _(z, v, dz, k=0):
    return np.diagonal(dz, k)


@rule(np.diag, when=lambda i: _ndim(i, "v") == 2)    # diagonal k of the matrix v
def _(z, v, dz, k=0):
    return put_diagonal(dz, v, k)


@tangent(np.diag)
def _(z, v, v_dot, k=0):
    return np.diag(v_dot, k)


@rule(np.diagonal)
def _(z, a, dz, offset=0):
    return put_diagonal(dz, a, offset)


@tangent(np.diagonal)
def _(z, a, a_dot, offset=0):
    return np.diagonal(a_dot, offset)


@rule(np.triu)
def _(z, m, dz, k=0):
    return np.triu(dz, k)


@tangent(np.triu)
def _(z, m, m_dot, k=0):
    return np.triu(m_dot, k)


@rule(np.tril)
def _(z, m, dz, k=0):
    return np.tril(dz, k)


@tangent(np.tril)
def _(z, m, m_dot, k=0):
    return np.tril(m_dot, k)


@result_type(np.trace)
def _(args, kw, consts):
    x = _check(args, kw, "np.trace", (2,), ("offset",))
    _int_arg(args, kw, 1, "offset", "np.trace")
    if len(args) > 2:
        raise TypeError("np.trace: only the offset argument is supported")
    return scalar(x.dtype) if x.dtype.kind == "f" else INT


@result_type(np.diag)
def _(args, kw, consts):
    x = _check(args, kw, "np.diag", (1, 2), ("k",))
    _int_arg(args, kw, 1, "k", "np.diag")
    return array(x.dtype, 3 - x.ndim)


@result_type(np.diagonal)
def _(args, kw, consts):
    x = _check(args, kw, "np.diagonal", (2,), ("offset",))
    _int_arg(args, kw, 1, "offset", "np.diagonal")
    if len(args) > 2:
        raise TypeError("np.diagonal: only the offset argument is supported")
    return array(x.dtype, 1)


@result_type(np.triu, np.tril)
def _(args, kw, consts):
    x = _check(args, kw, "np.triu/np.tril", (2,), ("k",))
    _int_arg(args, kw, 1, "k", "np.triu/np.tril")
    return x


# -- repeats and tiles ------------------------------------------------------------------------
@rule(np.repeat)           # each element `repeats` times
def _(z, a, dz, repeats=1):
    return sum_repeats(dz, repeats)


@tangent(np.repeat)
def _(z, a, a_dot, repeats=1):
    return np.repeat(a_dot, repeats)


@rule(np.tile)             # `reps` copies one after the other
def _(z, A, dz, reps=1):
    return sum_tiles(dz, reps)


@tangent(np.tile)
def _(z, A, A_dot, reps=1):
    return np.tile(A_dot, reps)


@rule(leading_axes)        # np.tile's reps longer than the array's axes: a reshape
def _(z, a, k, dz):
    return reshape_like(dz, a), None


@tangent(leading_axes)
def _(z, a, k, a_dot, k_dot):
    return leading_axes(a_dot, k)


@result_type(leading_axes)
def _(args, kw, consts):
    k = consts.get(1)
    if not isinstance(k, int):
        raise TypeError("np.tile(A, reps): reps a tuple of constant ints")
    return array(args[0].dtype, max(args[0].ndim, k)) if args[0].is_array else \
        array(args[0].dtype, k)


@result_type(np.repeat)
def _(args, kw, consts):
    x = _check(args, kw, "np.repeat (without axis)", (1,), ("repeats",))
    if _int_arg(args, kw, 1, "repeats", "np.repeat") is None or len(args) > 2:
        raise TypeError("np.repeat(a, repeats): an int number of repeats, no axis")
    return x


@result_type(np.tile)
def _(args, kw, consts):
    x = _check(args, kw, "np.tile", (1,), ("reps",))
    if _int_arg(args, kw, 1, "reps", "np.tile") is None:
        raise TypeError("np.tile(A, reps): an int number of copies")
    return x


# -- tensordot: normalized to a matrix product (passes/normalize.py) whose result is
# given back its axes by unflatten_contraction, a reshape: a and b give the shape only
def _contracts_all(i):
    """``np.tensordot`` over all the axes of both arrays: a number."""
    k = i.consts.get("k")
    return isinstance(k, int) and i.types["a"].is_array and i.types["b"].is_array and \
        i.types["a"].ndim + i.types["b"].ndim == 2 * k


@rule(unflatten_contraction, when=lambda i: not _contracts_all(i))
def _(z, c, a, b, k, dz):
    return reshape_like(dz, c), None, None, None


@rule(unflatten_contraction, when=_contracts_all)
def _(z, c, a, b, k, dz):
    return np.full((1, 1), dz), None, None, None


@tangent(unflatten_contraction)
def _(z, c, a, b, k, c_dot, a_dot, b_dot, k_dot):
    return unflatten_contraction(c_dot, a, b, k)


@result_type(unflatten_contraction)
def _(args, kw, consts):
    c, a, b = args[:3]
    k = consts.get(3)
    if not (isinstance(k, int) and a.is_array and b.is_array and k <= min(a.ndim, b.ndim)):
        raise TypeError(f"np.tensordot: cannot contract {k} axes of {a} and {b}")
    if a.ndim + b.ndim == 2 * k:      # over all the axes of both: a number
        return scalar(_float(c))
    return array(_float(c), a.ndim + b.ndim - 2 * k)


# -- products ------------------------------------------------------------------------------
@rule(np.inner)
def _(z, a, b, dz):
    return dz * b, dz * a


@tangent(np.inner)
def _(z, a, b, a_dot, b_dot):
    return np.inner(a_dot, b) + np.inner(a, b_dot)


@rule(np.cross)            # dz . (da x b) = da . (b x dz)
def _(z, a, b, dz):
    return np.cross(b, dz), np.cross(dz, a)


@tangent(np.cross)
def _(z, a, b, a_dot, b_dot):
    return np.cross(a_dot, b) + np.cross(a, b_dot)


@rule(np.kron)
def _(z, a, b, dz):
    return kron_adjoint_left(dz, b), kron_adjoint_right(dz, a)


@tangent(np.kron)
def _(z, a, b, a_dot, b_dot):
    return np.kron(a_dot, b) + np.kron(a, b_dot)


def _pair(args, kw, name, ndims):
    if len(args) != 2 or kw or not all(a.is_array for a in args) or \
            args[0].ndim != args[1].ndim or args[0].ndim not in ndims:
        dims = " or ".join(f"{n}-d" for n in ndims)
        raise TypeError(f"{name} is differentiated for two {dims} arrays of the same "
                        f"number of dimensions, not {', '.join(map(str, args))}")
    return array(np.result_type(args[0].dtype, args[1].dtype), args[0].ndim)


@result_type(np.inner)
def _(args, kw, consts):
    t = _pair(args, kw, "np.inner", (1,))
    return scalar(t.dtype)


@result_type(np.cross)
def _(args, kw, consts):
    return _pair(args, kw, "np.cross (of 3-vectors)", (1, 2))


@result_type(np.kron)
def _(args, kw, consts):
    return _pair(args, kw, "np.kron", (1, 2))


# -- the helpers, as primitives: types, tangents and (linear ones) adjoints ------------------
@result_type(diff_adjoint)
def _(args, kw, consts):
    return array(_float(args[0]), args[0].ndim)


@tangent(diff_adjoint)
def _(z, g, g_dot, n=1):
    return diff_adjoint(g_dot, n)


@rule(diff_adjoint)
def _(z, g, dz, n=1):
    return np.diff(dz, n)


@result_type(put_diagonal)
def _(args, kw, consts):
    return array(_float(args[0]), 2)


@tangent(put_diagonal)     # x gives the shape only
def _(z, g, x, g_dot, x_dot, k=0):
    return put_diagonal(g_dot, x, k)


@rule(put_diagonal)
def _(z, g, x, dz, k=0):
    return np.diagonal(dz, k), None


@result_type(sum_repeats, sum_tiles)
def _(args, kw, consts):
    return array(_float(args[0]), 1)


@tangent(sum_repeats)
def _(z, g, g_dot, repeats=1):
    return sum_repeats(g_dot, repeats)


@rule(sum_repeats)
def _(z, g, dz, repeats=1):
    return np.repeat(dz, repeats)


@tangent(sum_tiles)
def _(z, g, g_dot, reps=1):
    return sum_tiles(g_dot, reps)


@rule(sum_tiles)
def _(z, g, dz, reps=1):
    return np.tile(dz, reps)


@result_type(kron_adjoint_left, kron_adjoint_right)
def _(args, kw, consts):
    return array(_float(args[0]), args[1].ndim)


@tangent(kron_adjoint_left)
def _(z, g, b, g_dot, b_dot):
    return kron_adjoint_left(g_dot, b) + kron_adjoint_left(g, b_dot)


@rule(kron_adjoint_left)
def _(z, g, b, dz):
    return np.kron(dz, b), kron_adjoint_right(g, dz)


@tangent(kron_adjoint_right)
def _(z, g, a, g_dot, a_dot):
    return kron_adjoint_right(g_dot, a) + kron_adjoint_right(g, a_dot)


@rule(kron_adjoint_right)
def _(z, g, a, dz):
    return np.kron(a, dz), kron_adjoint_left(g, dz)


# -- interpolation --------------------------------------------------------------------
# np.interp(x, xp, fp): piecewise linear in x, linear in fp (runtime/interp.py: the
# helpers ending _at take one point, the others an array of them); left=, right= and
# period= are refused by the type rule
def _points(i):
    return i.types["x"].is_array


@rule(np.interp, when=lambda i: not _points(i))
def _(z, x, xp, fp, dz):
    return (dz * interp_slope_at(x, xp, fp), interp_knots_vjp_at(x, xp, fp, dz),
            interp_values_vjp_at(x, xp, dz, fp.shape[0]))


@rule(np.interp, when=_points)
def _(z, x, xp, fp, dz):
    return (dz * interp_slopes(x, xp, fp), interp_knots_vjp(x, xp, fp, dz),
            interp_values_vjp(x, xp, dz, fp.shape[0]))


@tangent(np.interp, when=lambda i: not _points(i))
def _(z, x, xp, fp, x_dot, xp_dot, fp_dot):
    return (interp_slope_at(x, xp, fp) * x_dot + interp_knots_jvp_at(x, xp, fp, xp_dot)
            + np.interp(x, xp, fp_dot))


@tangent(np.interp, when=_points)
def _(z, x, xp, fp, x_dot, xp_dot, fp_dot):
    return (interp_slopes(x, xp, fp) * x_dot + interp_knots_jvp(x, xp, fp, xp_dot)
            + np.interp(x, xp, fp_dot))


@result_type(np.interp)
def _(args, kw, consts):
    if kw:
        raise TypeError(f"np.interp: the argument '{min(kw)}' is not supported")
    if len(args) != 3:
        raise TypeError("np.interp takes x, xp and fp")
    x, xp, fp = args
    for name, t in (("xp", xp), ("fp", fp)):
        if not t.is_array or t.ndim != 1 or name == "fp" and t.dtype.kind != "f":
            raise TypeError(f"np.interp is differentiated for a 1-d float array {name}, "
                            f"not {t}")
    if x.is_array and x.ndim != 1:
        raise TypeError(f"np.interp is differentiated for a number or a 1-d array x, not {x}")
    return array(np.dtype(np.float64), 1) if x.is_array else scalar(np.float64)


@result_type(interp_slope_at, interp_knots_jvp_at, interp_slope_knots_jvp_at)
def _(args, kw, consts):
    return scalar(np.float64)


@result_type(interp_slopes, interp_knots_jvp, interp_values_vjp_at, interp_values_vjp,
             interp_knots_vjp_at, interp_knots_vjp, interp_slopes_knots_jvp,
             interp_values_vjp_moved_at, interp_values_vjp_moved, interp_values_vjp_knots_at,
             interp_values_vjp_knots, interp_knots_vjp_moved_at, interp_knots_vjp_moved,
             interp_knots_vjp_knots_at, interp_knots_vjp_knots)
def _(args, kw, consts):
    return array(np.dtype(np.float64), 1)


# the tangents of the helpers the adjoint calls (second derivatives): each is linear in
# fp and in the adjoint g; the slopes are constant along x between the knots
@tangent(interp_slope_at)
def _(z, v, xp, fp, v_dot, xp_dot, fp_dot):
    return interp_slope_at(v, xp, fp_dot) + interp_slope_knots_jvp_at(v, xp, fp, xp_dot)


@tangent(interp_slopes)
def _(z, x, xp, fp, x_dot, xp_dot, fp_dot):
    return interp_slopes(x, xp, fp_dot) + interp_slopes_knots_jvp(x, xp, fp, xp_dot)


@tangent(interp_values_vjp_at)
def _(z, v, xp, g, n, v_dot, xp_dot, g_dot, n_dot):
    return (interp_values_vjp_at(v, xp, g_dot, n) + interp_values_vjp_moved_at(v, xp, g, n, v_dot)
            + interp_values_vjp_knots_at(v, xp, g, n, xp_dot))


@tangent(interp_values_vjp)
def _(z, x, xp, g, n, x_dot, xp_dot, g_dot, n_dot):
    return (interp_values_vjp(x, xp, g_dot, n) + interp_values_vjp_moved(x, xp, g, n, x_dot)
            + interp_values_vjp_knots(x, xp, g, n, xp_dot))


@tangent(interp_knots_vjp_at)
def _(z, v, xp, fp, g, v_dot, xp_dot, fp_dot, g_dot):
    return (interp_knots_vjp_at(v, xp, fp, g_dot) + interp_knots_vjp_at(v, xp, fp_dot, g)
            + interp_knots_vjp_moved_at(v, xp, fp, g, v_dot)
            + interp_knots_vjp_knots_at(v, xp, fp, g, xp_dot))


@tangent(interp_knots_vjp)
def _(z, x, xp, fp, g, x_dot, xp_dot, fp_dot, g_dot):
    return (interp_knots_vjp(x, xp, fp, g_dot) + interp_knots_vjp(x, xp, fp_dot, g)
            + interp_knots_vjp_moved(x, xp, fp, g, x_dot)
            + interp_knots_vjp_knots(x, xp, fp, g, xp_dot))
