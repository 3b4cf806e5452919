"""More elementwise functions: NumPy ufuncs and their ``math`` counterparts.

A function found in both modules shares one rule (``@rule(np.arcsinh,
math.asinh)``): the templates call NumPy, which takes Python floats as well
as arrays.  (``np.true_divide`` is ``np.divide`` and ``np.remainder`` is
``np.mod``: one object, one rule, each.)  A denominator that vanishes inside
the domain (``arctanh`` at +-1, ``cbrt`` at 0, the divisor of ``mod``) is
written ``np.divide(a, b)``: it gives inf/nan as NumPy does on every target,
where ``a / b`` of two floats raises ZeroDivisionError (in Python, and under
Numba's default error model).

All are elementwise (``registry.is_elementwise``: the ufuncs as such,
``np.sinc`` and ``np.real`` declared): an operand broadcast against another
has its adjoint summed back to its shape, and an adjoint that only flows
elementwise may stay a scalar seed.
"""
import math

import numpy as np

from ..passes.types import F64, array, promote, scalar
from ..runtime.array_helpers import select
from .checks import numbers
from .registry import elementwise, get_primitive, nondifferentiable, result_type, rule, tangent


def _math(*names):
    """The ``math`` functions of these names that this Python has (``exp2``
    and ``cbrt`` are new in 3.11)."""
    return tuple(getattr(math, n) for n in names if hasattr(math, n))


# -- exponentials, logarithms, roots -------------------------------------------
@rule(np.exp2, *_math("exp2"))              # z = 2 ** x
def _(z, x, dz):
    return dz * z * 0.6931471805599453


@tangent(np.exp2, *_math("exp2"))
def _(z, x, x_dot):
    return z * 0.6931471805599453 * x_dot


# z = log(exp(x) + exp(y)): the weights of x and y are the softmax of the two,
# exp(x - z) and exp(y - z), written 1 / (1 + exp(y - x)) so that two equal
# arguments (-inf and -inf: log 0 + log 0, an unreachable state of a recursion
# in log space) get half each, not exp(nan); the same for logaddexp2
@rule(np.logaddexp, when=numbers("x", "y"))
def _(z, x, y, dz):
    return (dz * (0.5 if x == y else 1.0 / (1.0 + np.exp(y - x))),
            dz * (0.5 if x == y else 1.0 / (1.0 + np.exp(x - y))))


@rule(np.logaddexp)
def _(z, x, y, dz):
    return (dz * select(x == y, 0.5, 1.0 / (1.0 + np.exp(y - x))),
            dz * select(x == y, 0.5, 1.0 / (1.0 + np.exp(x - y))))


@tangent(np.logaddexp, when=numbers("x", "y"))
def _(z, x, y, x_dot, y_dot):
    return (0.5 if x == y else 1.0 / (1.0 + np.exp(y - x))) * x_dot + \
        (0.5 if x == y else 1.0 / (1.0 + np.exp(x - y))) * y_dot


@tangent(np.logaddexp)
def _(z, x, y, x_dot, y_dot):
    return select(x == y, 0.5, 1.0 / (1.0 + np.exp(y - x))) * x_dot + \
        select(x == y, 0.5, 1.0 / (1.0 + np.exp(x - y))) * y_dot


@rule(np.logaddexp2, when=numbers("x", "y"))   # z = log2(2 ** x + 2 ** y)
def _(z, x, y, dz):
    return (dz * (0.5 if x == y else 1.0 / (1.0 + np.exp2(y - x))),
            dz * (0.5 if x == y else 1.0 / (1.0 + np.exp2(x - y))))


@rule(np.logaddexp2)
def _(z, x, y, dz):
    return (dz * select(x == y, 0.5, 1.0 / (1.0 + np.exp2(y - x))),
            dz * select(x == y, 0.5, 1.0 / (1.0 + np.exp2(x - y))))


@tangent(np.logaddexp2, when=numbers("x", "y"))
def _(z, x, y, x_dot, y_dot):
    return (0.5 if x == y else 1.0 / (1.0 + np.exp2(y - x))) * x_dot + \
        (0.5 if x == y else 1.0 / (1.0 + np.exp2(x - y))) * y_dot


@tangent(np.logaddexp2)
def _(z, x, y, x_dot, y_dot):
    return select(x == y, 0.5, 1.0 / (1.0 + np.exp2(y - x))) * x_dot + \
        select(x == y, 0.5, 1.0 / (1.0 + np.exp2(x - y))) * y_dot


@rule(np.cbrt, *_math("cbrt"))               # z = x ** (1/3): infinite slope at 0
def _(z, x, dz):
    return np.divide(dz, 3.0 * z * z)


@tangent(np.cbrt, *_math("cbrt"))
def _(z, x, x_dot):
    return np.divide(x_dot, 3.0 * z * z)


@rule(np.reciprocal)                         # z = 1 / x
def _(z, x, dz):
    return -dz * z * z


@tangent(np.reciprocal)
def _(z, x, x_dot):
    return -z * z * x_dot


@rule(np.float_power)    # x ** y in float64; at x = 0 the slope in y is 0, as JAX's
def _(z, x, y, dz):
    return dz * y * np.float_power(x, y - 1.0), dz * z * np.log(x + (x == 0.0))


@tangent(np.float_power)
def _(z, x, y, x_dot, y_dot):
    return x_dot * y * np.float_power(x, y - 1.0) + y_dot * z * np.log(x + (x == 0.0))


# -- inverse hyperbolic functions ---------------------------------------------
@rule(np.arcsinh, math.asinh)     # operators only: also in CUDA kernels (never singular)
def _(z, x, dz):
    return dz / (x * x + 1.0) ** 0.5


@tangent(np.arcsinh, math.asinh)
def _(z, x, x_dot):
    return x_dot / (x * x + 1.0) ** 0.5


@rule(np.arccosh, math.acosh)                # 1 / sqrt(x**2 - 1): infinite at x = 1
def _(z, x, dz):
    return np.divide(dz, np.sqrt(x - 1.0) * np.sqrt(x + 1.0))


@tangent(np.arccosh, math.acosh)
def _(z, x, x_dot):
    return np.divide(x_dot, np.sqrt(x - 1.0) * np.sqrt(x + 1.0))


@rule(np.arctanh, math.atanh)                # 1 / (1 - x**2): poles at x = +-1
def _(z, x, dz):
    return np.divide(dz, (1.0 - x) * (1.0 + x))


@tangent(np.arctanh, math.atanh)
def _(z, x, x_dot):
    return np.divide(x_dot, (1.0 - x) * (1.0 + x))


# -- angles ----------------------------------------------------------------------
@rule(np.deg2rad, np.radians, math.radians)  # z = x * pi / 180
def _(z, x, dz):
    return dz * 0.017453292519943295


@tangent(np.deg2rad, np.radians, math.radians)
def _(z, x, x_dot):
    return 0.017453292519943295 * x_dot


@rule(np.rad2deg, np.degrees, math.degrees)  # z = x * 180 / pi
def _(z, x, dz):
    return dz * 57.29577951308232


@tangent(np.rad2deg, np.degrees, math.degrees)
def _(z, x, x_dot):
    return 57.29577951308232 * x_dot


# -- sinc ------------------------------------------------------------------------
# z = sin(pi x) / (pi x) has the slope (cos(pi x) - z) / x, a difference that
# cancels as x -> 0.  Near 0 (|pi x| < 0.1) the Taylor series of the slope
# -(pi**2 x / 3) (1 - t/10 + t**2/280 - t**3/15120), t = (pi x)**2, is exact to
# rounding; elsewhere the quotient, evaluated at a point moved away from 0 where
# the series is used so that neither branch makes a NaN the other must hide.
@rule(np.sinc)
def _(z, x, dz):
    near = np.abs(x) < 0.03
    far = np.abs(x) >= 0.03
    t = 9.869604401089358 * x * x
    series = -3.289868133696453 * x * (1.0 - t / 10.0 + t * t / 280.0 - t * t * t / 15120.0)
    xs = x + near
    quotient = (np.cos(3.141592653589793 * xs) - np.sinc(xs)) / xs
    return dz * (near * series + far * quotient)


@tangent(np.sinc)
def _(z, x, x_dot):
    near = np.abs(x) < 0.03
    far = np.abs(x) >= 0.03
    t = 9.869604401089358 * x * x
    series = -3.289868133696453 * x * (1.0 - t / 10.0 + t * t / 280.0 - t * t * t / 15120.0)
    xs = x + near
    quotient = (np.cos(3.141592653589793 * xs) - np.sinc(xs)) / xs
    return (near * series + far * quotient) * x_dot


# -- fmax, fmin: np.maximum/np.minimum where a NaN operand loses --------------------
@rule(np.fmax)             # ties split the adjoint equally, selected as np.maximum's rule
def _(z, x, y, dz):
    return (select((x > y) | (np.isnan(y) > np.isnan(x)), dz, 0.0)
            + select(x == y, 0.5 * dz, 0.0),
            select((y > x) | (np.isnan(x) > np.isnan(y)), dz, 0.0)
            + select(x == y, 0.5 * dz, 0.0))


@tangent(np.fmax)
def _(z, x, y, x_dot, y_dot):
    return (x_dot * ((x > y) + 0.5 * (x == y) + (np.isnan(y) > np.isnan(x)))
            + y_dot * ((y > x) + 0.5 * (x == y) + (np.isnan(x) > np.isnan(y))))


@rule(np.fmin)
def _(z, x, y, dz):
    return (select((x < y) | (np.isnan(y) > np.isnan(x)), dz, 0.0)
            + select(x == y, 0.5 * dz, 0.0),
            select((y < x) | (np.isnan(x) > np.isnan(y)), dz, 0.0)
            + select(x == y, 0.5 * dz, 0.0))


@tangent(np.fmin)
def _(z, x, y, x_dot, y_dot):
    return (x_dot * ((x < y) + 0.5 * (x == y) + (np.isnan(y) > np.isnan(x)))
            + y_dot * ((y < x) + 0.5 * (x == y) + (np.isnan(x) > np.isnan(y))))


# -- remainders ---------------------------------------------------------------------
# z = x - n * y with n an integer: floor(x / y) for np.mod (also named
# np.remainder), trunc(x / y) for fmod, the nearest integer for math.remainder.
# n is read back from z, which is exact, where rounding x / y itself may cross
# an integer.
@rule(np.mod, np.fmod, math.fmod, math.remainder)
def _(z, x, y, dz):
    return dz, -dz * np.rint(np.divide(x - z, y))


@tangent(np.mod, np.fmod, math.fmod, math.remainder)
def _(z, x, y, x_dot, y_dot):
    return x_dot - y_dot * np.rint(np.divide(x - z, y))


# -- real and imaginary parts of real values -------------------------------------------
@rule(np.real)
def _(z, x, dz):
    return dz


@tangent(np.real)
def _(z, x, x_dot):
    return np.real(x_dot)


nondifferentiable(np.imag, result=lambda args, kw, consts: args[0])   # zeros


# -- result types -------------------------------------------------------------------------
FLOAT_RESULT = [np.exp2, np.logaddexp, np.logaddexp2, np.cbrt, np.arcsinh,
                np.arccosh, np.arctanh, np.deg2rad, np.radians, np.rad2deg, np.degrees,
                np.sinc]
SAME_KIND = [np.reciprocal, np.fmax, np.fmin, np.mod, np.fmod]   # ints stay ints
elementwise(np.sinc, np.real)      # not ufuncs

# a float result (float32 stays float32), as the ufuncs of numpyfuncs.FLOAT_UFUNCS
result_type(*FLOAT_RESULT)(get_primitive(np.sin).result_type)


@result_type(*SAME_KIND)
def _(args, kw, consts):
    return promote(*args)


@result_type(np.float_power)
def _(args, kw, consts):
    t = promote(*args)
    return array(np.float64, t.ndim) if t.is_array else scalar(np.float64)


@result_type(np.real)
def _(args, kw, consts):
    return args[0]


@result_type(*_math("asinh", "acosh", "atanh", "fmod", "remainder", "degrees", "radians",
                    "exp2", "cbrt"))
def _(args, kw, consts):
    return F64
