"""Rules for ``np.linalg`` functions that Numba compiles (its LAPACK comes
from SciPy): determinant, inverse, linear solve, the default norm.

For ``z = det(A)``: ``dA = dz * z * inv(A).T``; for ``Z = inv(A)``:
``dA = -Z.T dZ Z.T``; for ``z = solve(A, b)``: ``db = solve(A.T, dz)`` and
``dA = -db z.T``.  Each primitive's adjoint, tangent and result type are
declared together.
"""
import numpy as np

from ..passes.types import F64, array
from ..runtime.array_helpers import one_d_array
from ..runtime.helpers import (
    as_vector,
    cholesky_adjoint,
    cholesky_adjoint_tangent,
    cholesky_tangent,
    eigh_values,
    eigh_values_adjoint,
    eigh_values_adjoint_along_v,
    eigh_values_tangent,
    eigh_vectors,
    eigh_vectors_adjoint,
    eigh_vectors_adjoint_along_v,
    eigh_vectors_adjoint_along_w,
    eigh_vectors_tangent,
    logabsdet,
    outer_product,
    slogdet_sign,
    transposed,
)
from ..runtime.small_linalg import (
    cofactors,
    determinant,
    inverse,
    small_cofactors,
    small_determinant,
    small_inverse,
    small_solve,
    solve_linear,
)
from .registry import nondifferentiable, result_type, rule, tangent


def _ndim(info, name):
    t = info.types.get(name)
    return t.ndim if t is not None and t.is_array else 0


# On Numba targets generated code calls determinant, inverse and solve_linear
# (passes/numba_calls.py: closed forms up to 3x3), and their small_ forms where
# the matrix is known to be that small (passes/small_linalg_calls.py); they share
# the rules of the np.linalg functions they stand for, and the rules call them too.
@rule(np.linalg.det, determinant, small_determinant)   # the cofactors: det(a) inv(a).T, also where a is singular
def _(z, a, dz):
    return dz * cofactors(a)


@tangent(np.linalg.det, determinant, small_determinant)
def _(z, a, a_dot):
    return np.sum(cofactors(a) * a_dot)


@tangent(cofactors, small_cofactors)           # of det(a) inv(a).T (an invertible a: second derivatives)
def _(z, a, a_dot):
    return np.sum(inverse(a).T * a_dot) * z - z @ a_dot.T @ inverse(a).T


@result_type(cofactors, small_cofactors)
def _(args, kw, consts):
    return array(np.float64, 2)


@result_type(np.linalg.det, determinant, small_determinant)
def _(args, kw, consts):
    return F64


@rule(np.linalg.inv, inverse, small_inverse)
def _(z, a, dz):
    zt = transposed(z)
    return -((zt @ dz) @ zt)


@tangent(np.linalg.inv, inverse, small_inverse)
def _(z, a, a_dot):
    return -np.dot(np.dot(z, a_dot), z)


# (A.T as a C-contiguous copy, transposed(a): Numba compiles np.linalg.solve once
# per memory layout, 0.5 s each, and copies its matrix for LAPACK either way;
# outer_product's loops compile in 0.1 s, np.outer in 1.5 s)
@rule(np.linalg.solve, solve_linear, small_solve, when=lambda i: _ndim(i, "b") == 1)
def _(z, a, b, dz):
    db = solve_linear(transposed(a), dz)
    return -outer_product(db, z), db


@rule(np.linalg.solve, solve_linear, small_solve)
def _(z, a, b, dz):
    db = solve_linear(transposed(a), dz)
    return -np.dot(db, z.T), db


@tangent(np.linalg.solve, solve_linear, small_solve)
def _(z, a, b, a_dot, b_dot):
    return solve_linear(a, b_dot) - solve_linear(a, np.dot(a_dot, z))


@result_type(np.linalg.inv, np.linalg.solve, inverse, solve_linear, small_inverse,
             small_solve)
def _(args, kw, consts):
    return array(np.float64, args[-1].ndim)


@rule(np.linalg.norm)       # the default: 2-norm of the flattened array
def _(z, x, dz):
    return dz * x / z


@tangent(np.linalg.norm)
def _(z, x, x_dot):
    return np.sum(x * x_dot) / z


@result_type(np.linalg.norm)
def _(args, kw, consts):
    if kw or len(args) > 1:
        raise TypeError("np.linalg.norm is supported without ord (or ord='fro'): the 2-norm "
                        "of the flattened array, and with an axis for ord None, 1, 2 or "
                        "np.inf (vector norms along it)")
    return F64


# np.linalg.norm(x, ord) without an axis: the norm along axis 0 of as_vector(x), x itself;
# one_d_array(x) likewise x itself (np.gradient's and np.convolve's templates): identities
# whose type rules refuse arrays that are not 1-d, each with its own message
@rule(as_vector, one_d_array)
def _(z, x, dz):
    return dz


@tangent(as_vector, one_d_array)
def _(z, x, x_dot):
    return x_dot


def _one_d_only(why):
    """The type rule of an identity that takes 1-d arrays only: ``why(t)`` says why
    another ``t`` is refused."""
    def result(args, kw, consts):
        if not (args[0].is_array and args[0].ndim == 1):
            raise TypeError(why(args[0]))
        return args[0]
    return result


result_type(as_vector)(_one_d_only(lambda t: (
    f"np.linalg.norm with ord 1, 2 or np.inf and no axis is supported for 1-d arrays "
    f"(vector norms), not {t}: the matrix norms these ord name are not; pass axis= for "
    "vector norms along an axis")))
result_type(one_d_array)(_one_d_only(lambda t: (
    f"np.gradient and np.convolve are supported for 1-d arrays, not {t} (of more axes "
    "np.gradient is a list of arrays, one per axis; np.convolve takes 1-d arrays only)")))


# -- log|det| and Cholesky ---------------------------------------------------------
# np.linalg.slogdet(a) is normalized to (slogdet_sign(a), logabsdet(a)).
@rule(logabsdet)
def _(z, a, dz):
    return dz * inverse(a).T


@tangent(logabsdet)
def _(z, a, a_dot):
    return np.sum(inverse(a).T * a_dot)


nondifferentiable(slogdet_sign, result=lambda args, kw, consts: F64)


@result_type(logabsdet)
def _(args, kw, consts):
    return F64


@rule(np.linalg.cholesky)   # a = l l^T: l^-T phi(l^T dl) l^-1 (lower part, half diagonal), symmetrized
def _(z, a, dz):
    return cholesky_adjoint(z, dz)


@tangent(cholesky_adjoint)   # linear in dl; along l: runtime/helpers.py
def _(z, l, dl, l_dot, dl_dot):
    return cholesky_adjoint_tangent(l, dl, l_dot) + cholesky_adjoint(l, dl_dot)


@result_type(cholesky_adjoint, cholesky_adjoint_tangent)
def _(args, kw, consts):
    return array(np.float64, 2)


@tangent(np.linalg.cholesky)   # dl = l phi(l^-1 da l^-T)
def _(z, a, a_dot):
    return cholesky_tangent(z, a_dot)


@result_type(np.linalg.cholesky)
def _(args, kw, consts):
    return array(np.float64, 2)


@result_type(cholesky_tangent)
def _(args, kw, consts):
    return array(np.float64, 2)


# -- the symmetric eigendecomposition ----------------------------------------------
# np.linalg.eigh(a) is normalized to (eigh_values(a), eigh_vectors(a)) and
# np.linalg.eigvalsh(a) to eigh_values(a).  Both read only a's lower triangle, as
# NumPy does: the adjoint of a is 0 above the diagonal (runtime/helpers.py).
@rule(eigh_values)          # w: dw -> v diag(dw) v^T, folded onto the lower triangle
def _(z, a, dz):
    return eigh_values_adjoint(eigh_vectors(a), dz)


@tangent(eigh_values)       # w_dot[i] = v_i^T a_dot v_i (a_dot's lower triangle, symmetric)
def _(z, a, a_dot):
    return eigh_values_tangent(eigh_vectors(a), a_dot)


@rule(eigh_vectors)         # v: dv -> v (f * (v^T dv)) v^T folded, f = 1 / eigenvalue gaps
def _(z, a, dz):
    return eigh_vectors_adjoint(eigh_values(a), z, dz)


@tangent(eigh_vectors)      # v_dot = v (f * (v^T a_dot v))
def _(z, a, a_dot):
    return eigh_vectors_tangent(eigh_values(a), z, a_dot)


@tangent(eigh_values_adjoint)      # (second derivatives) linear in dw
def _(z, v, dw, v_dot, dw_dot):
    return eigh_values_adjoint_along_v(v, dw, v_dot) + eigh_values_adjoint(v, dw_dot)


@tangent(eigh_vectors_adjoint)     # linear in dv
def _(z, w, v, dv, w_dot, v_dot, dv_dot):
    return (eigh_vectors_adjoint_along_w(w, v, dv, w_dot)
            + eigh_vectors_adjoint_along_v(w, v, dv, v_dot)
            + eigh_vectors_adjoint(w, v, dv_dot))


def _square_matrix(args):
    a = args[0]
    if not (a.is_array and a.ndim == 2):
        raise TypeError(f"np.linalg.eigh and np.linalg.eigvalsh are differentiated for a "
                        f"matrix (a 2-d array; not a stack of them), not {a}")


@result_type(eigh_values)
def _(args, kw, consts):
    _square_matrix(args)
    return array(np.float64, 1)


@result_type(eigh_vectors)
def _(args, kw, consts):
    _square_matrix(args)
    return array(np.float64, 2)


@result_type(eigh_values_tangent)
def _(args, kw, consts):
    return array(np.float64, 1)


@result_type(eigh_vectors_tangent, eigh_values_adjoint, eigh_vectors_adjoint,
             eigh_values_adjoint_along_v, eigh_vectors_adjoint_along_w,
             eigh_vectors_adjoint_along_v)
def _(args, kw, consts):
    return array(np.float64, 2)
