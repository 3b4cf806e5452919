"""Rules for what generated code calls: the runtime helpers and the tapes.

Generated code is itself differentiable source (forward mode over a
generated adjoint gives Hessian-vector products), so the helpers it calls
are primitives like ``np.sin``: a result type and a tangent rule each.  Most
are linear in their first argument; ``share_ties`` is piecewise constant.
A tape is a Python list (``_saved = []``, ``_saved.append(v)``,
``v = _saved.pop()``); ``pop`` gives the list's element type.
"""
import numpy as np

from ..passes.types import F64, INT, T, array, scalar
from ..runtime.helpers import (
    broadcast_into,
    broadcast_length,
    check_assertion,
    empty_grid,
    empty_rows,
    empty_stack,
    equal_length,
    first_axis_last,
    fresh,
    keep_all_dims,
    last_axis_first,
    last_pair_writes,
    last_writes,
    max_axis,
    mean_axis,
    min_axis,
    outer_product,
    prod_axis,
    prod_others,
    prod_others_along,
    prod_others_along_jvp,
    prod_others_jvp,
    reshape_like,
    reuse_zeros,
    room_for,
    searchsorted_right,
    share_ties,
    share_ties_along,
    slice_length,
    slice_start,
    sum_axis,
    tangent_like,
    ties_shared,
    transposed,
    unbroadcast,
    wrap_index,
)
from .registry import nondifferentiable, result_type, rule, tangent


def _float_dtype(t: T):
    return t.dtype if t.dtype is not None and t.dtype.kind == "f" else np.dtype(np.float64)


@result_type(unbroadcast)
def _(args, kw, consts):
    g, x = args[0], args[1]
    dt = _float_dtype(g)
    return array(dt, x.ndim) if x.is_array else scalar(dt)


@tangent(unbroadcast)
def _(z, g, x, g_dot, x_dot):
    return unbroadcast(g_dot, x)


@result_type(outer_product)
def _(args, kw, consts):
    return array(np.result_type(args[0].dtype, args[1].dtype), 2)


@tangent(outer_product)
def _(z, a, b, a_dot, b_dot):
    return outer_product(a_dot, b) + outer_product(a, b_dot)


@result_type(transposed)
def _(args, kw, consts):
    return array(args[0].dtype, 2)


@rule(transposed)
def _(z, x, dz):
    return transposed(dz)


@tangent(transposed)
def _(z, x, x_dot):
    return transposed(x_dot)


@result_type(first_axis_last, last_axis_first, room_for)
def _(args, kw, consts):
    return args[0]


@rule(first_axis_last)
def _(z, x, dz):
    return last_axis_first(dz)


@rule(last_axis_first)
def _(z, x, dz):
    return first_axis_last(dz)


@tangent(first_axis_last)
def _(z, x, x_dot):
    return first_axis_last(x_dot)


@tangent(last_axis_first)
def _(z, x, x_dot):
    return last_axis_first(x_dot)


@result_type(reshape_like)
def _(args, kw, consts):
    return array(_float_dtype(args[0]), args[1].ndim)


@tangent(reshape_like)
def _(z, g, x, g_dot, x_dot):
    return reshape_like(g_dot, x)


@result_type(fresh, prod_others, prod_others_along, prod_others_jvp, prod_others_along_jvp)
def _(args, kw, consts):
    return args[0]


@tangent(fresh)
def _(z, g, g_dot):
    return fresh(g_dot)


@tangent(prod_others)
def _(z, x, x_dot):
    return prod_others_jvp(x, x_dot)


@tangent(prod_others_along)
def _(z, x, x_dot, axis=0):
    return prod_others_along_jvp(x, x_dot, axis)


@result_type(tangent_like)
def _(args, kw, consts):
    return args[1]


@tangent(tangent_like)
def _(z, t, like, t_dot, like_dot):
    return tangent_like(t_dot, like)


@result_type(sum_axis, mean_axis, max_axis, min_axis, prod_axis)
def _(args, kw, consts):
    x = args[0]
    return array(_float_dtype(x), x.ndim - 1) if x.ndim > 1 else scalar(_float_dtype(x))


@tangent(mean_axis)
def _(z, x, x_dot, axis=0):
    return mean_axis(x_dot, axis)


@tangent(sum_axis)
def _(z, x, x_dot, axis=0):
    return sum_axis(x_dot, axis)


@tangent(max_axis, min_axis)
def _(z, x, x_dot, axis=0):
    return np.sum(x_dot * share_ties_along(x, z, axis), axis)


@tangent(prod_axis)
def _(z, x, x_dot, axis=0):
    return np.sum(x_dot * prod_others_along(x, axis), axis)


@result_type(keep_all_dims)
def _(args, kw, consts):
    return array(_float_dtype(args[0]), args[1].ndim)


@tangent(keep_all_dims)
def _(z, r, x, r_dot, x_dot):
    return keep_all_dims(r_dot, x)


def _allocated(extra):
    def result(args, kw, consts):
        like = args[1]
        if not like.is_array:
            # np.array([i, j]) of integers (booleans) is one (passes/int_arrays.py
            # then makes it so, or floats where other items are floats)
            return array({"int": np.int64, "bool": np.bool_}.get(like.kind, np.float64), 1)
        return array(_float_dtype(like), like.ndim + 1 - extra)
    return result


nondifferentiable(empty_stack, result=_allocated(0))
# the length of an element loop over operands NumPy broadcasts (passes/lower.py)
nondifferentiable(broadcast_length, broadcast_into, equal_length,
                  result=lambda args, kw, consts: INT)
# a periodic index, i % n without a division (passes/wrap_indices.py)
nondifferentiable(wrap_index, result=lambda args, kw, consts: INT)
# where a slice of varying length starts, and its length (passes/slice_dots.py)
nondifferentiable(slice_start, slice_length, result=lambda args, kw, consts: INT)
# the user's assert, kept as a check where it runs (passes/normalize.py)
nondifferentiable(check_assertion, result=lambda args, kw, consts: INT)
# zeros of the second argument's shape (an adjoint buffer reused)
nondifferentiable(reuse_zeros, result=lambda args, kw, consts: array(
    _float_dtype(args[1]), args[1].ndim))
# integer insertion points, one per element of the values (argument 1)
nondifferentiable(searchsorted_right, result=lambda args, kw, consts: array(
    np.int64, args[1].ndim) if args[1].is_array else INT)
nondifferentiable(empty_grid, result=lambda args, kw, consts: array(
    _float_dtype(args[2]) if args[2].is_array else np.float64, args[2].ndim + 2 if args[2].is_array
    else 2))
nondifferentiable(empty_rows, result=_allocated(1))
# 0/1 per position of an index array: whether it writes its element last
nondifferentiable(last_writes, last_pair_writes,
                  result=lambda args, kw, consts: array(np.float64, 1))
nondifferentiable(share_ties, share_ties_along,
                  result=lambda args, kw, consts: array(np.float64, args[0].ndim))


@result_type(ties_shared)
def _(args, kw, consts):
    return array(np.float64, args[0].ndim)


@tangent(ties_shared)          # (linear in dz; the shares are piecewise constant)
def _(z, x, m, dz, x_dot, m_dot, dz_dot):
    return ties_shared(x, m, dz_dot)


# a tape grown (a copy with more room): the tangent's tape grows alike
@tangent(room_for)
def _(z, stack, need, stack_dot, need_dot):
    return room_for(stack_dot, need)


@result_type(np.expand_dims)
def _(args, kw, consts):
    x = args[0]
    if x.is_array:
        return array(x.dtype, x.ndim + 1)
    return array(_float_dtype(x) if x.kind == "float" else np.float64, 1)


@result_type("pop")
def _(args, kw, consts):
    lst = args[0]
    if lst.kind != "list" or not lst.elts:
        raise TypeError("pop() from a list nothing was appended to")
    return lst.elts[0]


__all__ = ["F64"]
