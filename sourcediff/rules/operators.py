"""Rules for Python's operators (``z = x + y`` ...), keyed by operator name."""
import numpy as np

from ..passes.types import BOOL, F64, INT, T, array, promote
from ..runtime.batched_products import (
    batched_matmul,
    batched_transposed,
    summed_left_transposed,
    summed_right_transposed,
)
from ..runtime.helpers import outer_product, transposed
from .registry import nondifferentiable, result_type, rule, tangent


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


# a stack of matrices on one side or both (3-d: NumPy's matmul, one product per matrix)
@rule("MatMult", np.matmul, batched_matmul,
      when=lambda i: _ndim(i, "x") == 3 and _ndim(i, "y") == 3)
def _(z, x, y, dz):
    return batched_matmul(dz, batched_transposed(y)), batched_matmul(batched_transposed(x), dz)


@rule("MatMult", np.matmul, batched_matmul,
      when=lambda i: _ndim(i, "x") == 3 and _ndim(i, "y") == 2)
def _(z, x, y, dz):
    return batched_matmul(dz, transposed(y)), summed_left_transposed(x, dz)


@rule("MatMult", np.matmul, batched_matmul,
      when=lambda i: _ndim(i, "x") == 2 and _ndim(i, "y") == 3)
def _(z, x, y, dz):
    return summed_right_transposed(dz, y), batched_matmul(transposed(x), dz)


# the helpers those adjoints call, differentiated again (second derivatives)
@tangent(batched_matmul)
def _(z, x, y, x_dot, y_dot):
    return batched_matmul(x_dot, y) + batched_matmul(x, y_dot)


@rule(batched_transposed)
def _(z, x, dz):
    return batched_transposed(dz)


@tangent(batched_transposed)
def _(z, x, x_dot):
    return batched_transposed(x_dot)


@rule(summed_left_transposed)        # z = sum_k a[k].T @ g[k]
def _(z, a, g, dz):
    return batched_matmul(g, transposed(dz)), batched_matmul(a, dz)


@tangent(summed_left_transposed)
def _(z, a, g, a_dot, g_dot):
    return summed_left_transposed(a_dot, g) + summed_left_transposed(a, g_dot)


@rule(summed_right_transposed)       # z = sum_k g[k] @ b[k].T
def _(z, g, b, dz):
    return batched_matmul(dz, b), batched_matmul(transposed(dz), g)


@tangent(summed_right_transposed)
def _(z, g, b, g_dot, b_dot):
    return summed_right_transposed(g_dot, b) + summed_right_transposed(g, b_dot)


@result_type(batched_matmul)
def _(args, kw, consts):
    return matmul_type(args[0], args[1])


@result_type(batched_transposed)
def _(args, kw, consts):
    return args[0]


@result_type(summed_left_transposed, summed_right_transposed)
def _(args, kw, consts):
    return array(np.result_type(args[0].dtype, args[1].dtype), 2)


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


def matmul_type(a: T, b: T, stacks=True) -> T:
    """The type of ``a @ b`` (``np.matmul``); ``stacks``: a 3-d operand is a stack
    of matrices (not for ``np.dot``, whose product of 3-d arrays is another one)."""
    if not (a.is_array and b.is_array):
        raise TypeError("matrix product needs two arrays")
    dt = np.result_type(a.dtype, b.dtype)
    ndim = {(1, 1): 0, (2, 1): 1, (1, 2): 1, (2, 2): 2,
            **({(3, 3): 3, (3, 2): 3, (2, 3): 3} if stacks else {})}.get((a.ndim, b.ndim))
    if ndim is None:
        raise TypeError(f"matrix product of {a.ndim}-d and {b.ndim}-d arrays is not supported")
    return T("float", dt) if ndim == 0 else array(dt, ndim)


__all__ = ["INT", "matmul_type"]
