"""Rules for Python's operators (``z = x + y`` ...), keyed by operator name."""
import numpy as np

from ..passes.types import BOOL, F64, INT, T, array, promote
from ..runtime.helpers import outer_product, transposed
from .registry import nondifferentiable, result_type, rule


def _ndim(info, name):
    t = info.types.get(name)
    return t.ndim if t is not None and t.is_array else 0


@rule("Add")
def _(z, x, y, dz):
    return dz, dz


@rule("Sub")
def _(z, x, y, dz):
    return dz, -dz


@rule("Mult", when=lambda i: i.same("x", "y"))      # x * x: one contribution, as x ** 2
def _(z, x, y, dz):
    return dz * 2.0 * x, None


@rule("Mult")
def _(z, x, y, dz):
    return dz * y, dz * x


@rule("Div")      # one division: d/dy (x / y) = -(x / y) / y = -z / y
def _(z, x, y, dz):
    dx = dz / y
    return dx, -dx * z


@rule("Pow", when=lambda i: i.is_nonzero_const("y"))
def _(z, x, y, dz):
    return dz * y * x ** (y - 1), dz * z * np.log(x)


def int_power(info) -> bool:
    """``x ** n``, ``x`` a float and ``n`` an integer variable: n x^(n-1) stays
    an integer power (repeated multiplication), not a float ``pow``."""
    x, y = info.types.get("x"), info.types.get("y")
    return x is not None and x.kind == "float" and y is not None and y.kind == "int"


@rule("Pow", when=int_power)    # at n == 0 the exponent is 0, not -1: no 0 * inf at x == 0
def _(z, x, y, dz):
    return dz * y * x ** (y - 1 + (y == 0)), dz * z * np.log(x + (x == 0.0))


@rule("Pow")      # at base 0, as JAX: no 0 * inf when y == 0, no log(0) times z == 0
def _(z, x, y, dz):
    return dz * y * np.power(x, y - 1.0 + (y == 0.0)), dz * z * np.log(x + (x == 0.0))


@rule("Mod")  # z = x - y * floor(x / y)
def _(z, x, y, dz):
    return dz, -dz * ((x - z) / y)


@rule("USub")
def _(z, x, dz):
    return -dz


@rule("copy", "UAdd", np.positive)    # (+x on an array is a new array)
def _(z, x, dz):
    return dz


@rule("MatMult", np.dot, np.matmul, when=lambda i: _ndim(i, "x") == 1 and _ndim(i, "y") == 1)
def _(z, x, y, dz):
    return dz * y, dz * x


@rule("MatMult", np.dot, np.matmul, when=lambda i: _ndim(i, "x") == 2 and _ndim(i, "y") == 1)
def _(z, x, y, dz):
    # x.T @ dz, not dz @ x: the matrix-vector product of the transposed layout,
    # which the primal often has already (A.T @ r), where dz @ x is a vector-matrix
    # product Numba compiles again for each layout (0.15-0.3 s each)
    return outer_product(dz, y), x.T @ dz


@rule("MatMult", np.dot, np.matmul, when=lambda i: _ndim(i, "x") == 1 and _ndim(i, "y") == 2)
def _(z, x, y, dz):
    return y @ dz, outer_product(x, dz)


@rule("MatMult", np.dot, np.matmul, when=lambda i: _ndim(i, "x") == 2 and _ndim(i, "y") == 2)
def _(z, x, y, dz):
    return dz @ transposed(y), transposed(x) @ dz


nondifferentiable("FloorDiv", "Not", "compare", "BitAnd", "BitOr", "BitXor", "Invert",
                  "LShift", "RShift")


@result_type("Add", "Sub", "Mult", "Mod", "Pow", "FloorDiv", "BitAnd", "BitOr", "BitXor")
def _(args, kw, consts):
    return promote(*args)


@result_type("Div")
def _(args, kw, consts):
    t = promote(*args)
    if t.is_array and t.dtype.kind != "f":
        return array(np.float64, t.ndim)
    return F64 if t.kind in ("int", "bool") else t


@result_type("USub", "UAdd", "copy", "Invert")
def _(args, kw, consts):
    return args[0]


@result_type("Not", "compare")
def _(args, kw, consts):
    t = promote(*args)
    return array(np.bool_, t.ndim) if t.is_array else BOOL


@result_type("MatMult")
def _(args, kw, consts):
    return matmul_type(args[0], args[1])


def matmul_type(a: T, b: T) -> T:
    if not (a.is_array and b.is_array):
        raise TypeError("matrix product needs two arrays")
    dt = np.result_type(a.dtype, b.dtype)
    ndim = {(1, 1): 0, (2, 1): 1, (1, 2): 1, (2, 2): 2}.get((a.ndim, b.ndim))
    if ndim is None:
        raise TypeError(f"matrix product of {a.ndim}-d and {b.ndim}-d arrays is not supported")
    return T("float", dt) if ndim == 0 else array(dt, ndim)


__all__ = ["INT", "matmul_type"]
