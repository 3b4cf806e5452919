"""Forward-mode (tangent) rules: ``z = f(x, y)`` -> ``z_dot = ...``.

One rule per primitive, keyed like the reverse rules in ``operators.py``,
``mathfuncs.py`` and ``numpyfuncs.py`` (a primitive holds both kinds; see
``registry.Primitive``).  They live in one module, a table of derivatives
read top to bottom, instead of next to each adjoint: the reverse families
stay untouched by forward-mode work, and ``tests/forward/test_rules.py``
checks that every primitive with an adjoint also has a tangent rule.

A rule returns the result's tangent as a sum of terms, one per input
tangent, written like the math (the product rule reads
``x_dot * y + x * y_dot``); the transformer drops the terms of inputs that
carry no derivative.  Non-differentiable points follow the reverse rules
(JAX's conventions): ``sign(0) = 0`` for ``abs``, ties of ``max``/``min``
share the derivative equally, so ``jvp`` and ``vjp`` agree everywhere.
Array methods and attributes (``x.T``, ``x.reshape(...)``, ``x.copy()``)
need no rule: their tangent is the same operation on ``x_dot``.
"""
import math

import numpy as np

from ..runtime.array_helpers import select
from ..runtime.batched_products import batched_matmul
from ..runtime.helpers import prod_others, prod_others_along, share_ties, share_ties_along
from ..runtime.special import digamma, trigamma
from .checks import numbers
from .operators import int_power
from .registry import tangent


def _ndim(info, name):
    t = info.types.get(name)
    return t.ndim if t is not None and t.is_array else 0


def _axis(info):
    return info.types.get("axis") is not None


def _full(info):
    return not _axis(info) or _ndim(info, "x") == 1


# -- operators --------------------------------------------------------------
@tangent("Add", np.add)
def _(z, x, y, x_dot, y_dot):
    return x_dot + y_dot


@tangent("Sub", np.subtract)
def _(z, x, y, x_dot, y_dot):
    return x_dot - y_dot


@tangent("Mult", np.multiply)
def _(z, x, y, x_dot, y_dot):
    return x_dot * y + x * y_dot


@tangent("Div", np.divide)
def _(z, x, y, x_dot, y_dot):
    return x_dot / y - y_dot * z / y


@tangent("Pow", np.power, when=lambda i: i.is_nonzero_const("y"))
def _(z, x, y, x_dot, y_dot):
    return x_dot * y * x ** (y - 1) + y_dot * z * np.log(x)


@tangent("Pow", np.power, when=int_power)    # an integer power (see the adjoint)
def _(z, x, y, x_dot, y_dot):
    return x_dot * y * x ** (y - 1 + (y == 0)) + y_dot * z * np.log(x + (x == 0.0))


@tangent("Pow", np.power)    # at base 0, as JAX (see the adjoint)
def _(z, x, y, x_dot, y_dot):
    return x_dot * y * np.power(x, y - 1.0 + (y == 0.0)) + y_dot * z * np.log(x + (x == 0.0))


@tangent(np.linspace)
def _(z, start, stop, num, start_dot, stop_dot, num_dot):
    return start_dot * (1.0 - np.linspace(0.0, 1.0, num)) + stop_dot * np.linspace(0.0, 1.0, num)


@tangent(np.full)
def _(z, shape, fill_value, shape_dot, fill_value_dot):
    return np.full(np.shape(z), fill_value_dot)


@tangent(np.arange, when=lambda i: i.types.get("step") is not None)
def _(z, start, stop, step, start_dot, stop_dot, step_dot):
    return start_dot + step_dot * np.arange(z.shape[0])


@tangent(np.arange, when=lambda i: i.types.get("stop") is not None)
def _(z, start, stop, start_dot, stop_dot):
    return start_dot * np.ones(z.shape[0])


@tangent("Mod")            # z = x - y * floor(x / y)
def _(z, x, y, x_dot, y_dot):
    return x_dot - y_dot * ((x - z) / y)


@tangent("USub", np.negative)
def _(z, x, x_dot):
    return -x_dot


@tangent("copy", float, "UAdd", np.positive)
def _(z, x, x_dot):
    return x_dot


@tangent("MatMult", when=lambda i: _ndim(i, "x") < 3 and _ndim(i, "y") < 3)
def _(z, x, y, x_dot, y_dot):
    return x_dot @ y + x @ y_dot


@tangent("MatMult", np.matmul, when=lambda i: max(_ndim(i, "x"), _ndim(i, "y")) == 3)
# (a stack of matrices on one side or both)
def _(z, x, y, x_dot, y_dot):
    return batched_matmul(x_dot, y) + batched_matmul(x, y_dot)


# -- math and builtins -------------------------------------------------------
@tangent(math.sin)
def _(z, x, x_dot):
    return math.cos(x) * x_dot


@tangent(math.cos)
def _(z, x, x_dot):
    return -math.sin(x) * x_dot


@tangent(math.tan, np.tan)
def _(z, x, x_dot):
    return (1.0 + z * z) * x_dot


@tangent(math.asin)
def _(z, x, x_dot):
    return x_dot / math.sqrt(1.0 - x * x)


@tangent(math.acos)
def _(z, x, x_dot):
    return -x_dot / math.sqrt(1.0 - x * x)


@tangent(math.atan, np.arctan)
def _(z, x, x_dot):
    return x_dot / (1.0 + x * x)


@tangent(math.atan2, np.arctan2)    # z = atan2(y, x)
def _(z, y, x, y_dot, x_dot):
    r2 = x * x + y * y
    return y_dot * x / r2 - x_dot * y / r2


@tangent(math.sinh)
def _(z, x, x_dot):
    return math.cosh(x) * x_dot


@tangent(math.cosh)
def _(z, x, x_dot):
    return math.sinh(x) * x_dot


@tangent(math.tanh, np.tanh)
def _(z, x, x_dot):
    return (1.0 - z * z) * x_dot


@tangent(math.exp, np.exp)
def _(z, x, x_dot):
    return z * x_dot


@tangent(math.expm1, np.expm1)
def _(z, x, x_dot):
    return (z + 1.0) * x_dot


@tangent(math.log, np.log)
def _(z, x, x_dot):
    return x_dot / x


@tangent(math.log1p, np.log1p)
def _(z, x, x_dot):
    return x_dot / (1.0 + x)


@tangent(math.log2, np.log2)
def _(z, x, x_dot):
    return x_dot / (x * 0.6931471805599453)


@tangent(math.log10, np.log10)
def _(z, x, x_dot):
    return x_dot / (x * 2.302585092994046)


@tangent(math.sqrt, np.sqrt)
def _(z, x, x_dot):
    return 0.5 * x_dot / z


@tangent(math.fabs, abs, np.abs, np.fabs, when=numbers("x"))   # a select for numbers
def _(z, x, x_dot):
    return x_dot if x >= 0.0 else -x_dot


@tangent(abs, np.abs, np.fabs)      # slope 1 at 0, as JAX and the reverse rule
def _(z, x, x_dot):
    return (2.0 * (x >= 0.0) - 1.0) * x_dot


@tangent(math.copysign)      # as the reverse rule: none in y
def _(z, x, y, x_dot, y_dot):
    return (x_dot if x >= 0.0 else -x_dot) * math.copysign(1.0, y)


@tangent(np.copysign)
def _(z, x, y, x_dot, y_dot):
    return (2.0 * (x >= 0.0) - 1.0) * np.copysign(1.0, y) * x_dot


@tangent(math.hypot, np.hypot)      # at (0, 0): zero, as the reverse rule
def _(z, x, y, x_dot, y_dot):
    return x * x_dot / (z + (z == 0.0)) + y * y_dot / (z + (z == 0.0))


@tangent(math.erf)
def _(z, x, x_dot):
    return 1.1283791670955126 * math.exp(-x * x) * x_dot


@tangent(math.erfc)
def _(z, x, x_dot):
    return -1.1283791670955126 * math.exp(-x * x) * x_dot


@tangent(math.lgamma)
def _(z, x, x_dot):
    return digamma(x) * x_dot


@tangent(math.gamma)
def _(z, x, x_dot):
    return z * digamma(x) * x_dot


@tangent(digamma)
def _(z, x, x_dot):
    return trigamma(x) * x_dot


@tangent(max)      # x unless y > x, as the value (a NaN y loses); ties share equally
def _(z, x, y, x_dot, y_dot):
    return ((0.0 if y > x else x_dot * (0.5 if x == y else 1.0))
            + (y_dot * (0.5 if x == y else 1.0) if y >= x else 0.0))


@tangent(np.maximum, when=numbers("x", "y"))   # a select per term for numbers
def _(z, x, y, x_dot, y_dot):
    return ((x_dot if x > y else 0.0) + (0.5 * x_dot if x == y else 0.0)
            + (y_dot if y > x else 0.0) + (0.5 * y_dot if x == y else 0.0))


@tangent(np.maximum)  # ties share the derivative equally, as JAX
def _(z, x, y, x_dot, y_dot):
    return x_dot * ((x > y) + 0.5 * (x == y)) + y_dot * ((y > x) + 0.5 * (x == y))


@tangent(min)
def _(z, x, y, x_dot, y_dot):
    return ((0.0 if y < x else x_dot * (0.5 if x == y else 1.0))
            + (y_dot * (0.5 if x == y else 1.0) if y <= x else 0.0))


@tangent(np.minimum, when=numbers("x", "y"))
def _(z, x, y, x_dot, y_dot):
    return ((x_dot if x < y else 0.0) + (0.5 * x_dot if x == y else 0.0)
            + (y_dot if y < x else 0.0) + (0.5 * y_dot if x == y else 0.0))


@tangent(np.minimum)
def _(z, x, y, x_dot, y_dot):
    return x_dot * ((x < y) + 0.5 * (x == y)) + y_dot * ((y < x) + 0.5 * (x == y))


# -- numpy elementwise ---------------------------------------------------------
@tangent(np.sin)
def _(z, x, x_dot):
    return np.cos(x) * x_dot


@tangent(np.cos)
def _(z, x, x_dot):
    return -np.sin(x) * x_dot


@tangent(np.arcsin)
def _(z, x, x_dot):
    return x_dot / np.sqrt(1.0 - x * x)


@tangent(np.arccos)
def _(z, x, x_dot):
    return -x_dot / np.sqrt(1.0 - x * x)


@tangent(np.sinh)
def _(z, x, x_dot):
    return np.cosh(x) * x_dot


@tangent(np.cosh)
def _(z, x, x_dot):
    return np.sinh(x) * x_dot


@tangent(np.square)
def _(z, x, x_dot):
    return 2.0 * x * x_dot


@tangent(np.where, when=lambda i: all(_ndim(i, n) == 0 for n in ("c", "x", "y")))
def _(z, c, x, y, c_dot, x_dot, y_dot):
    return x_dot if c else y_dot


@tangent(np.where, select)
def _(z, c, x, y, c_dot, x_dot, y_dot):
    return select(c, x_dot, y_dot)


@tangent(np.copy)
def _(z, x, x_dot):
    return np.copy(x_dot)


@tangent(np.float64)
def _(z, x, x_dot):
    return np.float64(x_dot)


@tangent(np.float32)
def _(z, x, x_dot):
    return np.float32(x_dot)


# -- reductions ------------------------------------------------------------------
@tangent(np.sum, np.mean, np.prod, np.max, np.amax, np.min, np.amin,
         when=lambda i: i.types.get("x") is not None and _ndim(i, "x") == 0)
def _(z, x, x_dot, axis=None):      # a reduction of a number is the number
    return x_dot


@tangent(np.sum, when=_full)
def _(z, x, x_dot, axis=None):
    return np.sum(x_dot)


@tangent(np.sum, when=_axis)
def _(z, x, x_dot, axis=None):
    return np.sum(x_dot, axis)


@tangent(np.mean, when=_full)
def _(z, x, x_dot, axis=None):
    return np.mean(x_dot)


@tangent(np.mean, when=_axis)
def _(z, x, x_dot, axis=None):
    return np.sum(x_dot, axis) / x.shape[axis]


@tangent(np.prod, when=_full)
def _(z, x, x_dot, axis=None):
    return np.sum(x_dot * prod_others(x))


@tangent(np.prod, when=_axis)
def _(z, x, x_dot, axis=None):
    return np.sum(x_dot * prod_others_along(x, axis), axis)


@tangent(np.max, np.amax, np.min, np.amin, when=_full)   # ties share, as JAX
def _(z, x, x_dot, axis=None):
    return np.sum(x_dot * share_ties(x, z))


@tangent(np.max, np.amax, np.min, np.amin, when=_axis)
def _(z, x, x_dot, axis=None):
    return np.sum(x_dot * share_ties_along(x, z, axis), axis)


# -- products ------------------------------------------------------------------
@tangent(np.dot, np.matmul, when=lambda i: _ndim(i, "x") > 0 and _ndim(i, "y") > 0)
def _(z, x, y, x_dot, y_dot):
    return np.dot(x_dot, y) + np.dot(x, y_dot)


@tangent(np.dot, when=lambda i: _ndim(i, "x") == 0 or _ndim(i, "y") == 0)
def _(z, x, y, x_dot, y_dot):
    return x_dot * y + x * y_dot


@tangent(np.outer)
def _(z, x, y, x_dot, y_dot):
    return np.outer(x_dot, y) + np.outer(x, y_dot)


@tangent(np.expand_dims, when=lambda i: _ndim(i, "x") == 0)
def _(z, x, x_dot, axis=None):     # of a number: a one-element array
    return np.full(1, x_dot)


@tangent(np.expand_dims)
def _(z, x, x_dot, axis=None):
    return np.expand_dims(x_dot, axis)
