"""Rules for joining arrays (``np.vstack``, ``np.hstack``, ``np.column_stack``,
``np.append``), normalized into chains of two-array joins: each adjoint hands
the first array its leading part of the result's adjoint and the second the
rest.  Declared with their tangent and result type.
"""
import numpy as np

from ..passes.types import array
from ..runtime.helpers import reshape_like
from ..runtime.joins import append_flat, column_stack2, hstack2, pad_constant, vstack2
from .registry import result_type, rule, tangent


def _nd(name, *ndims):
    def when(info):
        t = info.types.get(name)
        return (t.ndim if t is not None and t.is_array else 0) in ndims
    return when


def _both(a_nd, b_nd):
    return lambda i: _nd("a", *a_nd)(i) and _nd("b", *b_nd)(i)


@rule(vstack2, when=_both((0, 1), (0, 1)))       # two rows
def _(z, a, b, dz):
    return reshape_like(dz[0], a), reshape_like(dz[1], b)


@rule(vstack2, when=_both((2,), (0, 1)))         # rows, then one row
def _(z, a, b, dz):
    return dz[:-1], reshape_like(dz[-1], b)


@rule(vstack2, when=_both((0, 1), (2,)))
def _(z, a, b, dz):
    return reshape_like(dz[0], a), dz[1:]


@rule(vstack2)
def _(z, a, b, dz):
    return dz[:a.shape[0]], dz[a.shape[0]:]


@rule(hstack2, when=_both((1,), (1,)))
def _(z, a, b, dz):
    return dz[:a.shape[0]], dz[a.shape[0]:]


# a number joined with a row (``np.hstack((0.0, x))``) is one element of the result
@rule(hstack2, when=_both((0,), (0,)))
def _(z, a, b, dz):
    return dz[0], dz[1]


@rule(hstack2, when=_both((0,), (1,)))
def _(z, a, b, dz):
    return dz[0], dz[1:]


@rule(hstack2, when=_both((1,), (0,)))
def _(z, a, b, dz):
    return dz[:-1], dz[-1]


@rule(hstack2)
def _(z, a, b, dz):
    return dz[:, :a.shape[1]], dz[:, a.shape[1]:]


@rule(column_stack2, when=_both((1,), (1,)))
def _(z, a, b, dz):
    return dz[:, 0], dz[:, 1]


@rule(column_stack2, when=_both((1,), (2,)))
def _(z, a, b, dz):
    return dz[:, 0], dz[:, 1:]


@rule(column_stack2, when=_both((2,), (1,)))
def _(z, a, b, dz):
    return dz[:, :-1], dz[:, -1]


@rule(column_stack2)
def _(z, a, b, dz):
    return dz[:, :a.shape[1]], dz[:, a.shape[1]:]


@tangent(vstack2)
def _(z, a, b, a_dot, b_dot):
    return vstack2(a_dot, b_dot)


@tangent(hstack2)
def _(z, a, b, a_dot, b_dot):
    return hstack2(a_dot, b_dot)


@tangent(column_stack2)
def _(z, a, b, a_dot, b_dot):
    return column_stack2(a_dot, b_dot)


def _joined(min_ndim):
    def result(args, kw, consts):
        dts = [t.dtype if t.dtype is not None else np.dtype(np.float64) for t in args]
        dt = np.result_type(*dts)
        return array(dt if dt.kind == "f" else np.float64,
                     max(min_ndim, *(t.ndim if t.is_array else 0 for t in args)))
    return result


result_type(vstack2)(_joined(2))
result_type(hstack2)(_joined(1))
result_type(column_stack2)(_joined(2))


@rule(append_flat, when=lambda i: _nd("x", 0)(i) and _nd("v", 0)(i))
def _(z, x, v, dz):
    return dz[0], dz[1]


@rule(append_flat, when=_nd("x", 0))          # ``np.append(0.0, x)``
def _(z, x, v, dz):
    return dz[0], reshape_like(dz[1:], v)


@rule(append_flat, when=_nd("v", 0))
def _(z, x, v, dz):
    return reshape_like(dz[:-1], x), dz[-1]


@rule(append_flat)
def _(z, x, v, dz):
    return reshape_like(dz[:x.size], x), reshape_like(dz[x.size:], v)


@tangent(append_flat)
def _(z, x, v, x_dot, v_dot):
    return append_flat(x_dot, v_dot)


@result_type(append_flat)
def _(args, kw, consts):
    return array(np.float64, 1)


# np.pad(x, n) / np.pad(x, (before, after)) with zeros: the adjoint is the middle
@rule(pad_constant, when=_nd("x", 1))
def _(z, x, before, after, dz):
    return dz[before:dz.shape[0] - after], None, None


@rule(pad_constant, when=_nd("x", 2))
def _(z, x, before, after, dz):
    return dz[before:dz.shape[0] - after, before:dz.shape[1] - after], None, None


@tangent(pad_constant)
def _(z, x, before, after, x_dot, before_dot, after_dot):
    return pad_constant(x_dot, before, after)


@result_type(pad_constant)
def _(args, kw, consts):
    x = args[0]
    if not x.is_array or x.ndim > 2:
        raise TypeError(f"np.pad is supported for 1-d and 2-d arrays (got a {x})")
    return array(x.dtype if x.dtype.kind == "f" else np.float64, x.ndim)
