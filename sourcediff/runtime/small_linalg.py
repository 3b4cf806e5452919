"""Determinant, inverse, solve and cofactors of matrices up to 3x3 in closed
form; larger ones by LAPACK.

Generated code calls these instead of ``np.linalg.det/inv/solve`` on 2-d
float arrays (``passes/numba_calls.py``).  Numba's ``np.linalg`` functions copy
the matrix to Fortran order and call LAPACK every time: 160-270 ns for a 2x2,
where the formula takes a few nanoseconds, and a Kalman filter calls three of
them and their adjoints each step.  The closed forms are the cofactor
(adjugate) formulas, which for n <= 3 have the same forward error bound as a
pivoted LU (a multiple of cond(a) times the unit roundoff); as Numba does, they
refuse a matrix with a NaN or an infinity and a singular one (determinant 0).
"""
from __future__ import annotations

import numpy as np

from .declare import jitable, numba_overload, runtime_helper


@jitable
def _small(a):
    """Whether ``a`` is a square matrix of at most 3 rows."""
    return a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] <= 3


@jitable
def _finite(a):
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            if not np.isfinite(a[i, j]):
                raise np.linalg.LinAlgError("Array must not contain infs or NaNs.")


@jitable
def _closed_cofactors(a):
    """The cofactor matrix ``c`` of a matrix ``a`` of at most 3 rows:
    ``c[i, j]`` is (-1)^(i+j) times the minor without row i and column j, so
    ``a @ c.T = det(a) I``.  Of a 3x3, row i is the cross product of the other
    two rows in cyclic order."""
    n = a.shape[0]
    c = np.empty((n, n))
    if n == 1:
        c[0, 0] = 1.0
    elif n == 2:
        c[0, 0] = a[1, 1]
        c[0, 1] = -a[1, 0]
        c[1, 0] = -a[0, 1]
        c[1, 1] = a[0, 0]
    elif n == 3:
        for i in range(3):
            p = (i + 1) % 3
            q = (i + 2) % 3
            c[i, 0] = a[p, 1] * a[q, 2] - a[p, 2] * a[q, 1]
            c[i, 1] = a[p, 2] * a[q, 0] - a[p, 0] * a[q, 2]
            c[i, 2] = a[p, 0] * a[q, 1] - a[p, 1] * a[q, 0]
    return c


@jitable
def _closed_det(a, c):
    """det(a) from its first row and cofactors."""
    d = 0.0
    for j in range(a.shape[0]):
        d += a[0, j] * c[0, j]
    return d


@jitable
def _nonsingular(d):
    if d == 0.0:
        raise np.linalg.LinAlgError("Matrix is singular to machine precision.")


@jitable
def _svd_cofactors(a):
    """The cofactors of any square ``a`` from its singular value decomposition
    ``a = u diag(s) vt``: ``det(u) det(vt) u diag(c) vt``, ``c[i]`` the product
    of the other singular values (defined where ``a`` is singular)."""
    u, s, vt = np.linalg.svd(a)
    n = s.shape[0]
    c = np.ones(n)
    for i in range(n):
        for j in range(n):
            if j != i:
                c[i] *= s[j]
    return np.linalg.det(u) * np.linalg.det(vt) * np.dot(u * c, vt)


@runtime_helper(jit=True, of="np.linalg.det")
def cofactors(a):
    """The cofactor matrix of a square ``a``: ``det(a) inv(a).T`` where ``a`` is
    invertible, and defined where it is not (the derivative of ``det``, which
    JAX gives at a singular matrix too; ``inv`` raises there).  In closed form
    up to 3x3, else from the singular value decomposition."""
    if _small(a):
        return small_cofactors(a)
    return _svd_cofactors(a)


@runtime_helper(jit=True)
def determinant(a):
    """``np.linalg.det(a)`` of a matrix."""
    if _small(a):
        return small_determinant(a)
    return np.linalg.det(a)


@runtime_helper(jit=True)
def inverse(a):
    """``np.linalg.inv(a)`` of a matrix."""
    if _small(a):
        return small_inverse(a)     # (Fortran order, as LAPACK's result: one type)
    return np.linalg.inv(a)


@runtime_helper
def solve_linear(a, b):
    """``np.linalg.solve(a, b)`` of a matrix ``a`` and a vector or a matrix ``b``."""
    if _small(a) and b.shape[0] == a.shape[0]:
        return inverse(a) @ b
    return np.linalg.solve(a, b)


@jitable
def _solve_vector(a, b):
    if _small(a) and b.shape[0] == a.shape[0]:
        return _small_solve_vector(a, b)
    return np.linalg.solve(a, b)


@jitable
def _solve_matrix(a, b):
    if _small(a) and b.shape[0] == a.shape[0]:
        return _small_solve_matrix(a, b)
    return np.linalg.solve(a, b)


@numba_overload(solve_linear)
def _(a, b):
    return _solve_vector if b.ndim == 1 else _solve_matrix


# Where the transform knows a matrix is square with at most 3 rows (its shape
# follows from constants: passes/shapes.py), generated code calls these
# instead: the closed forms alone, so that Numba compiles no LAPACK call for
# them (Numba's solve and the SVD compile in 1-2.5 s each the first time).

@jitable
def _small_only(a):
    if not _small(a):
        raise ValueError("a matrix of more than 3 rows where one of at most 3 was known")


@jitable
def _checked_cofactors(a):
    """The cofactors and the determinant of a square ``a`` of at most 3 rows,
    refused where it has a NaN or an infinity or is singular."""
    _small_only(a)
    _finite(a)
    c = _closed_cofactors(a)
    d = _closed_det(a, c)
    _nonsingular(d)
    return c, d


@runtime_helper(jit=True, of="np.linalg.det")
def small_cofactors(a):
    """``cofactors(a)`` of a square ``a`` of at most 3 rows."""
    _small_only(a)
    return _closed_cofactors(a)


@runtime_helper(jit=True)
def small_determinant(a):
    """``np.linalg.det(a)`` of a square ``a`` of at most 3 rows."""
    _small_only(a)
    _finite(a)
    return _closed_det(a, _closed_cofactors(a))


@runtime_helper(jit=True)
def small_inverse(a):
    """``np.linalg.inv(a)`` of a square ``a`` of at most 3 rows."""
    c, d = _checked_cofactors(a)
    return (c / d).T


@runtime_helper
def small_solve(a, b):
    """``np.linalg.solve(a, b)`` of a square ``a`` of at most 3 rows."""
    _small_only(a)
    return solve_linear(a, b)


@jitable
def _small_solve_vector(a, b):
    c, d = _checked_cofactors(a)
    n = a.shape[0]
    if b.shape[0] != n:
        raise ValueError("solve: the right-hand side's length is not the matrix's")
    x = np.empty(n)
    for i in range(n):
        s = 0.0
        for k in range(n):
            s += c[k, i] * b[k]
        x[i] = s / d
    return x


@jitable
def _small_solve_matrix(a, b):
    c, d = _checked_cofactors(a)
    n, m = b.shape
    if n != a.shape[0]:
        raise ValueError("solve: the right-hand side's rows are not the matrix's")
    x = np.empty((m, n)).T
    for i in range(n):
        for j in range(m):
            s = 0.0
            for k in range(n):
                s += c[k, i] * b[k, j]
            x[i, j] = s / d
    return x


@numba_overload(small_solve)
def _(a, b):
    return _small_solve_vector if b.ndim == 1 else _small_solve_matrix


# the helper of a matrix of any size -> the one of a small matrix
SMALL_FORMS = {"determinant": "small_determinant", "inverse": "small_inverse",
               "solve_linear": "small_solve", "cofactors": "small_cofactors"}
