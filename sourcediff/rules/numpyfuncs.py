"""Rules for NumPy: elementwise ufuncs, reductions, products, array creation.

Reductions with ``axis`` that Numba lacks (mean/max/min/prod) are lowered for
the Numba targets to the helpers in ``sourcediff.runtime.helpers`` (declared
here with ``lowered_with_axis``); their rules stay keyed by the NumPy function.
"""
import numpy as np

from ..passes.types import BATCHED_HINT, BOOL, F64, INT, T, array, promote, scalar
from ..runtime.array_helpers import select
from ..runtime.helpers import (
    keep_all_dims,
    max_axis,
    mean_axis,
    min_axis,
    prod_axis,
    prod_others,
    prod_others_along,
    reshape_like,
    share_ties_along,
    sum_axis,
    ties_shared,
)
from .checks import numbers
from .operators import matmul_type
from .registry import elementwise, lowered_with_axis, nondifferentiable, result_type, rule


def _ndim(info, name):
    t = info.types.get(name)
    return t.ndim if t is not None and t.is_array else 0


def _has(info, name):
    return info.types.get(name) is not None


# -- elementwise ----------------------------------------------------------
@rule(np.sin)
def _(z, x, dz):
    return dz * np.cos(x)


@rule(np.cos)
def _(z, x, dz):
    return -dz * np.sin(x)


@rule(np.tan)
def _(z, x, dz):
    return dz * (1.0 + z * z)


@rule(np.arcsin)
def _(z, x, dz):
    return dz / np.sqrt(1.0 - x * x)


@rule(np.arccos)
def _(z, x, dz):
    return -dz / np.sqrt(1.0 - x * x)


@rule(np.arctan)
def _(z, x, dz):
    return dz / (1.0 + x * x)


@rule(np.arctan2)
def _(z, y, x, dz):
    r2 = x * x + y * y
    return dz * x / r2, -dz * y / r2


@rule(np.sinh)
def _(z, x, dz):
    return dz * np.cosh(x)


@rule(np.cosh)
def _(z, x, dz):
    return dz * np.sinh(x)


@rule(np.tanh)
def _(z, x, dz):
    return dz * (1.0 - z * z)


@rule(np.exp)
def _(z, x, dz):
    return dz * z


@rule(np.expm1)
def _(z, x, dz):
    return dz * (z + 1.0)


@rule(np.log)
def _(z, x, dz):
    return dz / x


@rule(np.log1p)
def _(z, x, dz):
    return dz / (1.0 + x)


@rule(np.log2)
def _(z, x, dz):
    return dz / (x * 0.6931471805599453)


@rule(np.log10)
def _(z, x, dz):
    return dz / (x * 2.302585092994046)


@rule(np.sqrt)
def _(z, x, dz):
    return 0.5 * dz / z


@rule(np.square)
def _(z, x, dz):
    return 2.0 * dz * x


@rule(np.negative)
def _(z, x, dz):
    return -dz


@rule(np.abs, np.fabs, when=numbers("x"))
def _(z, x, dz):
    return dz if x >= 0.0 else -dz


@rule(np.abs, np.fabs)      # slope 1 at 0, as JAX
def _(z, x, dz):
    return dz * (2.0 * (x >= 0.0) - 1.0)


@rule(np.copysign, when=numbers("x", "y"))
def _(z, x, y, dz):
    return (dz if x >= 0.0 else -dz) * np.copysign(1.0, y), 0.0 * dz


@rule(np.copysign)          # |x| with y's sign: the slope of |x| times that sign; none in y
def _(z, x, y, dz):
    return dz * (2.0 * (x >= 0.0) - 1.0) * np.copysign(1.0, y), 0.0 * dz


@rule(np.hypot)             # at (0, 0): zero, as JAX (z is zero only there)
def _(z, x, y, dz):
    return dz * x / (z + (z == 0.0)), dz * y / (z + (z == 0.0))


@rule(np.power, when=lambda i: i.is_nonzero_const("y"))
def _(z, x, y, dz):
    return dz * y * x ** (y - 1), dz * z * np.log(x)


@rule(np.power)   # at base 0, as JAX: no 0 * inf when y == 0, no log(0) times z == 0
def _(z, x, y, dz):
    return dz * y * np.power(x, y - 1.0 + (y == 0.0)), dz * z * np.log(x + (x == 0.0))


@rule(np.add)
def _(z, x, y, dz):
    return dz, dz


@rule(np.subtract)
def _(z, x, y, dz):
    return dz, -dz


@rule(np.multiply)
def _(z, x, y, dz):
    return dz * y, dz * x


@rule(np.divide)
def _(z, x, y, dz):
    return dz / y, -dz * z / y


@rule(np.maximum, when=numbers("x", "y"))     # (a NaN: neither; the share as max's)
def _(z, x, y, dz):
    return (dz * (0.5 if x == y else 1.0) if x >= y else 0.0,
            dz * (0.5 if x == y else 1.0) if y >= x else 0.0)


# Of arrays, the adjoint is selected, not multiplied by a mask: an infinite adjoint
# (np.sqrt(np.maximum(v, 0.0)) where v < 0) is 0 for the operand that lost, as for the
# numbers' rule above and PyTorch's (a product gave inf * 0 = NaN).
@rule(np.maximum)          # ties split the adjoint equally, as JAX
def _(z, x, y, dz):
    return (select(x > y, dz, 0.0) + select(x == y, 0.5 * dz, 0.0),
            select(y > x, dz, 0.0) + select(x == y, 0.5 * dz, 0.0))


@rule(np.minimum, when=numbers("x", "y"))
def _(z, x, y, dz):
    return (dz * (0.5 if x == y else 1.0) if x <= y else 0.0,
            dz * (0.5 if x == y else 1.0) if y <= x else 0.0)


@rule(np.minimum)
def _(z, x, y, dz):
    return (select(x < y, dz, 0.0) + select(x == y, 0.5 * dz, 0.0),
            select(y < x, dz, 0.0) + select(x == y, 0.5 * dz, 0.0))


elementwise(np.where, select)


@rule(np.where, when=numbers("c", "x", "y"))    # lowered to `x if c else y`
def _(z, c, x, y, dz):
    return None, dz if c else 0.0, 0.0 if c else dz


# (``select``: np.where as generated code calls it, element loops on Numba targets)
@rule(np.where, select)
def _(z, c, x, y, dz):
    return None, select(c, dz, 0.0), select(c, 0.0, dz)


@rule(np.copy)
def _(z, x, dz):
    return dz


# the ufuncs of float result this module has rules for (float32 stays float32)
FLOAT_UFUNCS = [np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan, np.arctan2, np.sinh,
               np.cosh, np.tanh, np.exp, np.expm1, np.log, np.log1p, np.log2, np.log10,
               np.sqrt, np.square, np.negative, np.positive, np.abs, np.fabs, np.copysign, np.hypot, np.power,
               np.add,
               np.subtract, np.multiply, np.divide, np.maximum, np.minimum]


# of these, integers give integers (``np.minimum(np.searchsorted(cw, u), n - 1)``
# is an index array), as in NumPy and Numba
INT_UFUNCS = {np.add, np.subtract, np.multiply, np.maximum, np.minimum, np.negative, np.positive,
              np.abs,
              np.square}


def _float_result(fn):
    @result_type(fn)
    def _(args, kw, consts):
        t = promote(*args)
        if fn in INT_UFUNCS and (t.dtype.kind in "iu" if t.is_array else t.kind == "int"):
            return t
        if t.is_array:
            return t if t.dtype.kind == "f" else array(np.float64, t.ndim)
        return t if t.kind == "float" else F64


for _fn in FLOAT_UFUNCS:
    _float_result(_fn)


@result_type(np.where, select)
def _(args, kw, consts):
    return promote(*args[1:3], *([args[0]] if args[0].is_array else []))\
        if args[0].is_array else promote(*args[1:3])


@result_type(np.copy)
def _(args, kw, consts):
    if args[0].kind == "tuple":
        # (np.array(t) of a tuple variable: normalized as a copy, which would keep a tuple)
        raise TypeError("np.array() of a tuple variable is not supported: list its "
                        "elements, np.array([t[0], t[1], ...]), or build the array where "
                        "the tuple is made")
    return args[0]


nondifferentiable(np.sign, np.floor, np.ceil, np.trunc, np.rint, np.round,
                  result=lambda args, kw, consts: args[0])
nondifferentiable(np.isnan, np.isinf, np.isfinite,
                  result=lambda args, kw, consts: array(np.bool_, args[0].ndim)
                  if args[0].is_array else scalar(np.bool_))


def _logical(args, kw, consts):
    """Masks combined element by element: booleans of the broadcast shape."""
    ndim = max((a.ndim for a in args if a.is_array), default=0)
    return array(np.bool_, ndim) if ndim else scalar(np.bool_)


nondifferentiable(np.logical_and, np.logical_or, np.logical_xor, np.logical_not,
                  result=_logical)

nondifferentiable(np.array_equal, result=lambda args, kw, consts: scalar(np.bool_))


# -- reductions -----------------------------------------------------------
def _axis(info):
    return _has(info, "axis")


def _full(info):
    return not _axis(info) or _ndim(info, "x") == 1


@rule(np.sum, np.mean, np.prod, np.max, np.amax, np.min, np.amin,
      when=lambda i: _has(i, "x") and _ndim(i, "x") == 0)
def _(z, x, dz, axis=None):       # a reduction of a number is the number
    return dz


@rule(np.sum, when=_full)
def _(z, x, dz, axis=None):
    return dz


@rule(np.sum, when=_axis)
def _(z, x, dz, axis=None):
    return np.expand_dims(dz, axis)


@rule(np.mean, when=_full)
def _(z, x, dz, axis=None):
    return dz / x.size


@rule(np.mean, when=_axis)
def _(z, x, dz, axis=None):
    return np.expand_dims(dz, axis) / x.shape[axis]


@rule(np.prod, when=_full)
def _(z, x, dz, axis=None):
    return dz * prod_others(x)


@rule(np.prod, when=_axis)
def _(z, x, dz, axis=None):
    return np.expand_dims(dz, axis) * prod_others_along(x, axis)


@rule(np.max, np.amax, np.min, np.amin, when=_full)   # ties share, as JAX
def _(z, x, dz, axis=None):
    return ties_shared(x, z, dz)


@rule(np.max, np.amax, np.min, np.amin, when=_axis)
def _(z, x, dz, axis=None):
    return np.expand_dims(dz, axis) * share_ties_along(x, z, axis)


lowered_with_axis(sum_axis, np.sum)
lowered_with_axis(mean_axis, np.mean)
lowered_with_axis(max_axis, np.max, np.amax)
lowered_with_axis(min_axis, np.min, np.amin)
lowered_with_axis(prod_axis, np.prod)


@result_type(np.sum, np.mean, np.prod, np.max, np.amax, np.min, np.amin)
def _(args, kw, consts):
    x = args[0]
    axis_given = len(args) > 1 or "axis" in kw
    dt = x.dtype if x.dtype.kind == "f" else (np.dtype(np.float64) if x.dtype.kind == "b"
                                              else x.dtype)
    if not x.is_array:
        return x
    if not axis_given or x.ndim == 1:
        return scalar(dt)
    return array(dt, x.ndim - 1)


@rule(np.expand_dims, when=lambda i: _ndim(i, "x") > 0)    # also keepdims=True, normalized
def _(z, x, dz, axis=None):
    return reshape_like(dz, x)


@rule(np.expand_dims)
def _(z, x, dz, axis=None):
    return np.sum(dz)


@rule(keep_all_dims)      # np.sum(x, keepdims=True), normalized
def _(z, r, x, dz):
    return np.sum(dz), None


# -- products -------------------------------------------------------------
# (of vectors and matrices: rules/operators.py, with ``@``)
@rule(np.dot, when=lambda i: _ndim(i, "x") == 0 or _ndim(i, "y") == 0)
def _(z, x, y, dz):
    return dz * y, dz * x


@result_type(np.dot)
def _(args, kw, consts):
    a, b = args[0], args[1]
    if not a.is_array or not b.is_array:
        return promote(a, b)
    return matmul_type(a, b, stacks=False)


@result_type(np.matmul)
def _(args, kw, consts):
    a, b = args[0], args[1]
    if not a.is_array or not b.is_array:
        return promote(a, b)
    return matmul_type(a, b)


@rule(np.outer)
def _(z, x, y, dz):
    return dz @ y, x @ dz


@result_type(np.outer)
def _(args, kw, consts):
    # (NumPy flattens other operands first; the rule above takes vectors)
    if any(a.is_array and a.ndim != 1 for a in args[:2]):
        raise TypeError(f"np.outer is differentiated for 1-d arrays, not "
                        f"{', '.join(f'{a.ndim}-d' for a in args[:2] if a.is_array)}: "
                        f"write np.outer(a.ravel(), b.ravel()) for NumPy's flattening")
    return array(np.result_type(args[0].dtype, args[1].dtype), 2)


# -- scalar casts: np.float64(x), np.float32(x) ----------------------------
@rule(np.float64, np.float32)
def _(z, x, dz):
    return dz


for _cast, _dt in {np.float64: np.dtype(np.float64), np.float32: np.dtype(np.float32)}.items():
    result_type(_cast)(lambda args, kw, consts, _dt=_dt: array(_dt, args[0].ndim)
                       if args[0].is_array else scalar(_dt))
nondifferentiable(np.int64, np.int32, result=lambda args, kw, consts: INT)


# -- array creation (no derivative) --------------------------------------
def _creation_type(args, kw, consts):
    """``np.zeros(shape, dtype)``: the dtype by keyword or as the second argument."""
    shape = args[0] if args else kw.get("shape")
    dt = kw.get("dtype") or (args[1] if len(args) > 1 and args[1].kind == "dtype" else None)
    dtype = dt.dtype if dt is not None else np.dtype(np.float64)
    if shape.kind == "tuple":
        return array(dtype, len(shape.elts))
    return array(dtype, 1)


def _like_type(args, kw, consts):
    dt = kw.get("dtype") or (args[1] if len(args) > 1 and args[1].kind == "dtype" else None)
    x = args[0]
    dtype = dt.dtype if dt is not None else x.dtype
    return array(dtype, x.ndim) if x.is_array else scalar(dtype)


def _full_type(args, kw, consts):
    t = _creation_type(args[:1], kw, consts)
    fill = args[1] if len(args) > 1 else kw["fill_value"]
    if "dtype" not in kw and fill.kind != "float":
        return array(np.int64 if fill.kind == "int" else np.bool_, t.ndim)
    return t


nondifferentiable(np.zeros, np.ones, np.empty, result=_creation_type)
nondifferentiable(np.zeros_like, np.ones_like, np.empty_like, result=_like_type)


@rule(np.full)            # every element is the fill value
def _(z, shape, fill_value, dz):
    return None, np.sum(dz)


result_type(np.full)(_full_type)


# z = start + step * i (the count, from stop, is an integer: no derivative);
# declared nondifferentiable it gave a zero gradient for a float start
@rule(np.arange, when=lambda i: _has(i, "step"))
def _(z, start, stop, step, dz):
    return np.sum(dz), 0.0, np.sum(dz * np.arange(dz.shape[0]))


@rule(np.arange, when=lambda i: _has(i, "stop"))
def _(z, start, stop, dz):
    return np.sum(dz), 0.0


@rule(np.arange)
def _(z, stop, dz):
    return 0.0


@result_type(np.arange)
def _(args, kw, consts):
    return array(np.float64 if any(a.kind == "float" for a in args) else np.int64, 1)


@rule(np.linspace)        # z = start + (stop - start) * t, t = 0 ... 1
def _(z, start, stop, num, dz):
    t = np.linspace(0.0, 1.0, num)
    return np.sum(dz * (1.0 - t)), np.sum(dz * t), None


@result_type(np.linspace)
def _(args, kw, consts):
    return array(np.float64, 1)


nondifferentiable(np.eye, np.identity, result=lambda args, kw, consts: array(
    kw["dtype"].dtype if "dtype" in kw else np.float64, 2))
def _positions_along(args, kw, consts):
    """``np.argmax(a)``: one int; with an axis (of an array of two or more
    dimensions), an int array with that axis removed."""
    axis = kw.get("axis", args[1] if len(args) > 1 else None)
    a = args[0] if args else None
    if "keepdims" in kw:
        raise TypeError("keepdims= of np.argmax / np.argmin / np.count_nonzero is not "
                        "supported here: index the result with [:, None] instead")
    if axis is None or axis.kind == "none" or a is None or not a.is_array or a.ndim < 2:
        return INT
    return array(np.int64, a.ndim - 1)


nondifferentiable(np.argmax, np.argmin, np.count_nonzero, result=_positions_along)


def _truth_of_all(args, kw, consts):
    """``np.all(a)`` / ``np.any(a)`` of a whole array (Numba takes no axis): a bool."""
    if len(args) != 1 or kw:
        raise TypeError("np.all and np.any take one array here (no axis): "
                        "write np.all(a) of the whole array")
    return BOOL


nondifferentiable(np.all, np.any, result=_truth_of_all)


def _positions(k):
    """Integer positions, one per element of argument ``k`` (a bin, an insertion
    point): piecewise constant, no derivative."""
    def result(args, kw, consts):
        t = args[k]
        return array(np.int64, t.ndim) if t.is_array else INT
    return result


nondifferentiable(np.triu_indices, np.tril_indices, result=lambda args, kw, consts: T(
    "tuple", elts=(array(np.int64, 1),) * 2))     # (rows, columns): integers only
nondifferentiable(np.nonzero, result=lambda args, kw, consts: T(
    "tuple", elts=(array(np.int64, 1),) * max(args[0].ndim, 1)))   # one per axis
nondifferentiable(np.flatnonzero, result=lambda args, kw, consts: array(np.int64, 1))
nondifferentiable(np.digitize, result=_positions(0))
nondifferentiable(np.searchsorted, result=_positions(1))


# -- array attributes and methods ----------------------------------------
@rule("T")
def _(z, x, dz):
    return dz.T


@rule("reshape", "ravel", "flatten")
def _(z, x, dz):
    return reshape_like(dz, x)


@rule("copy_method", "astype")
def _(z, x, dz):
    return dz


nondifferentiable("shape", "size", "ndim")


@result_type("T", "copy_method")
def _(args, kw, consts):
    return args[0]


@result_type("shape")
def _(args, kw, consts):
    if not args[0].is_array:     # (a Python float has no .shape; Numba's neither)
        raise TypeError(f"'.shape' of a number ({args[0]}): it is not an array "
                        f"here{BATCHED_HINT}")
    return T("tuple", elts=(INT,) * args[0].ndim)


@result_type("size", "ndim")
def _(args, kw, consts):
    return INT


@result_type("reshape")
def _(args, kw, consts):
    x, rest = args[0], args[1:]
    if len(rest) == 1 and rest[0].kind == "tuple":
        return array(x.dtype, len(rest[0].elts))
    return array(x.dtype, len(rest))


@result_type("ravel", "flatten")
def _(args, kw, consts):
    return array(args[0].dtype, 1)


@result_type("astype")
def _(args, kw, consts):
    dt = args[1] if len(args) > 1 else kw.get("dtype")
    return array(dt.dtype, args[0].ndim) if args[0].is_array else scalar(dt.dtype)
