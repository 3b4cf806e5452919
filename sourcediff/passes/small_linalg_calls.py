"""Linear-algebra helpers called on matrices known to be small.

Generated code calls ``determinant``, ``inverse``, ``solve_linear`` and
``cofactors`` (``runtime/small_linalg.py``) for ``np.linalg.det``, ``inv``,
``solve`` and det's derivative: closed forms up to 3x3, LAPACK above, so
Numba compiles the LAPACK calls too (Numba's ``solve`` and the SVD take 1-2.5
s each to compile the first time).  Where the plan's shape keys say the matrix
is square with at most 3 rows (``("const", (2, 2))``: a Kalman filter's
innovation covariance, made by products of matrices of known shapes), the
call is the helper's ``small_`` form, the closed form alone.
"""
from __future__ import annotations

import ast

from ..runtime.small_linalg import SMALL_FORMS
from .astutil import nodes


def small_matrices(shape_keys: dict) -> set:
    """The names whose shape key is that of a square matrix of at most 3 rows."""
    out = set()
    for name, key in shape_keys.items():
        if isinstance(key, tuple) and len(key) == 2 and key[0] == "const":
            shape = key[1]
            if isinstance(shape, tuple) and len(shape) == 2 and shape[0] == shape[1] and \
                    isinstance(shape[0], int) and 1 <= shape[0] <= 3:
                out.add(name)
    return out


def call_small_forms(stmts: list, small: set) -> list:
    """``stmts`` with each helper call on a matrix of ``small`` (or its
    ``transposed`` copy) calling the small form (in place)."""
    if not small:
        return stmts
    for n in (x for st in stmts for x in nodes(st)):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and \
                n.func.id in SMALL_FORMS and n.args and _small(n.args[0], small):
            n.func = ast.Name(id=SMALL_FORMS[n.func.id], ctx=ast.Load())
    return stmts


def _small(arg, small) -> bool:
    if isinstance(arg, ast.Name):
        return arg.id in small
    return isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and \
        arg.func.id == "transposed" and len(arg.args) == 1 and _small(arg.args[0], small)
