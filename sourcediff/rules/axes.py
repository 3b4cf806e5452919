"""Rules for NumPy functions that move axes or elements around: the adjoint
moves the result's adjoint back (``np.transpose`` by the inverse
permutation, ``np.sort`` by scattering through the sorting permutation).

Each primitive's adjoint, tangent and result type are declared together.
"""
import numpy as np

from ..passes.types import array
from ..runtime.helpers import sort_rows_like, transpose_axes, unpermute, unsort_rows
from .registry import nondifferentiable, result_type, rule, tangent


def _same(args, kw, consts):
    return args[0]


# np.transpose(x, axes) is normalized to transpose_axes(x, axes, inverse_axes)
@rule(transpose_axes)
def _(z, x, axes, inverse, dz):
    return transpose_axes(dz, inverse, axes), None, None


@tangent(transpose_axes)
def _(z, x, axes, inverse, x_dot, axes_dot, inverse_dot):
    return transpose_axes(x_dot, axes, inverse)


@rule(np.swapaxes)
def _(z, x, a, b, dz):
    return np.swapaxes(dz, a, b), None, None


@tangent(np.swapaxes)
def _(z, x, a, b, x_dot, a_dot, b_dot):
    return np.swapaxes(x_dot, a, b)


@rule(np.moveaxis)
def _(z, x, source, destination, dz):
    return np.moveaxis(dz, destination, source), None, None


@tangent(np.moveaxis)
def _(z, x, source, destination, x_dot, source_dot, destination_dot):
    return np.moveaxis(x_dot, source, destination)


result_type(transpose_axes, np.swapaxes, np.moveaxis)(_same)


@rule(np.sort, when=lambda i: i.types["x"].is_array and i.types["x"].ndim == 1)
def _(z, x, dz):            # z = x[p], p = argsort(x): a permutation
    return unpermute(dz, np.argsort(x))


@tangent(np.sort, when=lambda i: i.types["x"].is_array and i.types["x"].ndim == 1)
def _(z, x, x_dot):
    return x_dot[np.argsort(x)]


def _rows(i):
    # (no axis given: NumPy's last, the rows; np.sort(x, axis=-1) is normalized to it)
    return i.types["x"].is_array and i.types["x"].ndim == 2 and set(i.types) == {"x"}


@rule(np.sort, when=_rows)      # each row sorted (NumPy's default axis, the last)
def _(z, x, dz):
    return unsort_rows(dz, x)


@tangent(np.sort, when=_rows)
def _(z, x, x_dot):
    return sort_rows_like(x_dot, x)


result_type(np.sort, unsort_rows, sort_rows_like)(_same)


@tangent(unsort_rows)               # linear in the adjoint; the order is constant
def _(z, g, x, g_dot, x_dot):
    return unsort_rows(g_dot, x)


@tangent(sort_rows_like)
def _(z, t, x, t_dot, x_dot):
    return sort_rows_like(t_dot, x)


@result_type(unpermute)
def _(args, kw, consts):
    return args[0]


@tangent(unpermute)
def _(z, g, p, g_dot, p_dot):
    return unpermute(g_dot, p)


nondifferentiable(np.argsort, result=lambda args, kw, consts: array(np.int64, 1))
