"""Rules for NumPy functions that move axes or elements around: the adjoint
moves the result's adjoint back (``np.transpose`` by the inverse
permutation, ``np.sort`` by scattering through the sorting permutation).

Each primitive's adjoint, tangent and result type are declared together.
"""
import numpy as np

from ..passes.types import array
from ..runtime.helpers import transpose_axes, unpermute
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


result_type(np.sort)(_same)


@result_type(unpermute)
def _(args, kw, consts):
    return args[0]


@tangent(unpermute)
def _(z, g, p, g_dot, p_dot):
    return unpermute(g_dot, p)


nondifferentiable(np.argsort, result=lambda args, kw, consts: array(np.int64, 1))
