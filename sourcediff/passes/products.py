"""Matrix-vector products of the adjoint spelt as the primal spells them.

Numba compiles ``@`` once per combination of operand layouts (0.15-0.3 s
each, the first time in a process).  The adjoint of ``y = A @ x`` for ``x``
is a vector-matrix product ``dy @ A`` or, the same numbers, a matrix-vector
product of the transpose ``A.T @ dy``: the first is the combination of a
primal that writes ``r @ A``, the second that of a primal that writes
``A.T @ r``.  The rule emits ``A.T @ dy``; where the forward sweep has no
product of that combination but has the other, this pass writes ``dy @ A``
instead (and ``dy @ B.T`` for ``B.T.T @ dy``), so the gradient compiles no
product the primal does not.

Layouts are read off the code: ``M.T`` of a matrix, or a name bound to one,
is transposed (two transposes are not); any other matrix is taken as
contiguous.
"""
from __future__ import annotations

import ast

from .astutil import nodes


def match_product_layouts(body: list, rev: list, ndim_of) -> list:
    """``rev`` with its ``M.T @ v`` products written ``v @ M`` where only that
    combination occurs in ``body`` (the forward sweep); ``ndim_of(name)``:
    the number of dimensions of a name's values, or None."""
    transposed = {s.targets[0].id for s in _assignments(body + rev)
                  if _transpose_of(s.value) is not None}
    forward = {_combination(n, ndim_of, transposed) for n in _products(body)}
    if (2, True, 1) in forward or (1, False, 2) not in forward and \
            (1, True, 2) not in forward:
        return rev
    for node in _products(rev):
        if _combination(node, ndim_of, transposed) != (2, True, 1):
            continue
        matrix = _transpose_of(node.left)
        if matrix is None:
            continue
        want = (1, _is_transposed(matrix, transposed), 2)
        if want in forward:
            node.left, node.right = node.right, matrix
    return rev


def _assignments(stmts):
    for s in nodes(ast.Module(body=stmts, type_ignores=[])):
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], ast.Name):
            yield s


def _products(stmts) -> list:
    return [n for n in nodes(ast.Module(body=stmts, type_ignores=[]))
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult)]


def _transpose_of(expr):
    """``M`` of ``M.T``, else None."""
    if isinstance(expr, ast.Attribute) and expr.attr == "T":
        return expr.value
    return None


def _is_transposed(expr, transposed) -> bool:
    inner = _transpose_of(expr)
    if inner is not None:
        return not _is_transposed(inner, transposed)
    return isinstance(expr, ast.Name) and expr.id in transposed


def _ndim(expr, ndim_of):
    inner = _transpose_of(expr)
    if inner is not None:
        return _ndim(inner, ndim_of)
    return ndim_of(expr.id) if isinstance(expr, ast.Name) else None


def _combination(node, ndim_of, transposed) -> tuple:
    """``(ndim of the left operand, whether the matrix is transposed, ndim of
    the right)`` of a product of a matrix and a vector; ``()`` otherwise."""
    left, right = _ndim(node.left, ndim_of), _ndim(node.right, ndim_of)
    if (left, right) == (2, 1):
        return 2, _is_transposed(node.left, transposed), 1
    if (left, right) == (1, 2):
        return 1, _is_transposed(node.right, transposed), 2
    return ()
