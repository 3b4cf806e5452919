"""Rules for the ``math`` module and the scalar builtins."""
import math

from ..passes.types import F64, INT, promote
from ..runtime.special import digamma, trigamma
from .checks import numbers
from .registry import elementwise, nondifferentiable, result_type, rule


@rule(math.sin)
def _(z, x, dz):
    return dz * math.cos(x)


@rule(math.cos)
def _(z, x, dz):
    return -dz * math.sin(x)


@rule(math.tan)
def _(z, x, dz):
    return dz * (1.0 + z * z)


@rule(math.asin)
def _(z, x, dz):
    return dz / math.sqrt(1.0 - x * x)


@rule(math.acos)
def _(z, x, dz):
    return -dz / math.sqrt(1.0 - x * x)


@rule(math.atan)
def _(z, x, dz):
    return dz / (1.0 + x * x)


@rule(math.atan2)          # z = atan2(y, x)
def _(z, y, x, dz):
    r2 = x * x + y * y
    return dz * x / r2, -dz * y / r2


@rule(math.sinh)
def _(z, x, dz):
    return dz * math.cosh(x)


@rule(math.cosh)
def _(z, x, dz):
    return dz * math.sinh(x)


@rule(math.tanh)
def _(z, x, dz):
    return dz * (1.0 - z * z)


@rule(math.exp)
def _(z, x, dz):
    return dz * z


@rule(math.expm1)
def _(z, x, dz):
    return dz * (z + 1.0)


@rule(math.log)
def _(z, x, dz):
    return dz / x


@rule(math.log1p)
def _(z, x, dz):
    return dz / (1.0 + x)


@rule(math.log2)
def _(z, x, dz):
    return dz / (x * 0.6931471805599453)


@rule(math.log10)
def _(z, x, dz):
    return dz / (x * 2.302585092994046)


@rule(math.sqrt)
def _(z, x, dz):
    return 0.5 * dz / z


@rule(math.fabs, abs, when=numbers("x"))      # slope 1 at 0 (and -0.0), as JAX
def _(z, x, dz):
    return dz if x >= 0.0 else -dz


@rule(abs)                  # of an array
def _(z, x, dz):
    return dz * (2.0 * (x >= 0.0) - 1.0)


@rule(math.copysign)        # |x| with y's sign: the slope of |x| times that sign; none in y
def _(z, x, y, dz):
    return (dz if x >= 0.0 else -dz) * math.copysign(1.0, y), 0.0 * dz


@rule(math.hypot)           # at (0, 0): zero, as JAX (z is zero only there)
def _(z, x, y, dz):
    return dz * x / (z + (z == 0.0)), dz * y / (z + (z == 0.0))


@rule(math.erf)
def _(z, x, dz):
    return dz * 1.1283791670955126 * math.exp(-x * x)


@rule(math.erfc)
def _(z, x, dz):
    return -dz * 1.1283791670955126 * math.exp(-x * x)


@rule(math.lgamma)          # log |Gamma(x)|: its derivative is digamma, also where Gamma < 0
def _(z, x, dz):
    return dz * digamma(x)


@rule(math.gamma)
def _(z, x, dz):
    return dz * z * digamma(x)


@rule(digamma)             # (what the two rules above emit, for higher derivatives)
def _(z, x, dz):
    return dz * trigamma(x)


elementwise(max, min)


# Python's max(x, y) is x unless y > x (min: unless y < x), so a NaN y loses and a NaN
# x wins, as the value does; ties split the adjoint equally, as JAX's maximum.  The
# share (1 or 0.5) is chosen from the values alone, so a recurrence through the
# adjoint (a DTW table's) waits for one product and one select, not for two of each
# and a sum; the operand that lost gets 0.0 selected (not dz * 0: an infinite dz).
@rule(max)
def _(z, x, y, dz):
    return (0.0 if y > x else dz * (0.5 if x == y else 1.0),
            dz * (0.5 if x == y else 1.0) if y >= x else 0.0)


@rule(min)
def _(z, x, y, dz):
    return (0.0 if y < x else dz * (0.5 if x == y else 1.0),
            dz * (0.5 if x == y else 1.0) if y <= x else 0.0)


@rule(float)
def _(z, x, dz):
    return dz


nondifferentiable(math.floor, math.ceil, math.trunc, int, len, round,
                  result=lambda args, kw, consts: INT)
nondifferentiable(math.isnan, math.isinf, math.isfinite, bool)

FLOAT_FUNCS = [math.sin, math.cos, math.tan, math.asin, math.acos, math.atan, math.atan2,
               math.sinh, math.cosh, math.tanh, math.exp, math.expm1, math.log, math.log1p,
               math.log2, math.log10, math.sqrt, math.fabs, math.copysign, math.hypot, math.erf,
               math.erfc,
               math.lgamma, math.gamma, digamma, trigamma, float]


@result_type(*FLOAT_FUNCS)
def _(args, kw, consts):
    return F64


@result_type(abs)
def _(args, kw, consts):
    return args[0]


@result_type(max, min)
def _(args, kw, consts):
    return promote(*args)


@result_type(math.isnan, math.isinf, math.isfinite, bool)
def _(args, kw, consts):
    from ..passes.types import BOOL
    return BOOL
