"""NumPy calls on plain scalars become scalar code, once types are known.

``np.mean(s)``, ``np.sum(s)``, ``np.prod(s)``, ``np.max(s)`` and ``np.min(s)``
of a float ``s`` are ``s`` itself, and ``np.where(c, a, b)`` of scalars is an
``if``.  The array rules of these functions read ``x.size`` or ``x.shape``,
and Numba's ``np.where`` of scalars is a 0-d array, so neither fits a scalar.
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from .astutil import replace_statements

SCALAR_IDENTITIES = {id(f) for f in (np.sum, np.mean, np.prod, np.max, np.min, np.amax,
                                     np.amin)}


def scalar_numpy_calls(fn: ast.FunctionDef, env: dict) -> bool:
    """Rewrite ``fn`` in place; returns whether anything changed."""
    def scalar(a) -> bool:
        if isinstance(a, ast.Constant):
            return isinstance(a.value, (int, float, bool))
        t = env.get(a.id) if isinstance(a, ast.Name) else None
        return t is not None and t.is_scalar

    def replace(s):
        v = getattr(s, "value", None)
        if ir.KIND(s) != ir.Kind.ASSIGN or ir.PRIM(v, ("",))[0] != "call" or v.keywords:
            return None
        target = s.targets[0].id
        fn_id = id(ir.PRIM(v)[1])
        if fn_id in SCALAR_IDENTITIES and len(v.args) == 1 and \
                isinstance(v.args[0], ast.Name) and env.get(v.args[0].id) is not None \
                and env[v.args[0].id].kind == "float":
            return [_copy(target, v.args[0], s)]
        if fn_id == id(np.where) and len(v.args) == 3 and all(map(scalar, v.args)):
            return select_statement(target, *v.args, s)
        return None

    return replace_statements(fn, replace)


def _copy(target, atom, like):
    value = ast.Name(id=atom.id, ctx=ast.Load()) if isinstance(atom, ast.Name) else \
        ast.Constant(atom.value)
    ir.PRIM.set(value, ("copy",) if isinstance(atom, ast.Name) else ("const",))
    s = ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=value)
    ir.tag(s, ir.LINE(like), ir.Kind.ASSIGN)
    return s


def select_statement(target, cond, a, b, like) -> list:
    """``target = np.where(cond, a, b)`` of scalars: ``if cond: target = a else: ...``."""
    if isinstance(cond, ast.Constant):
        return [_copy(target, a if cond.value else b, like)]
    node = ast.If(test=ast.Name(id=cond.id, ctx=ast.Load()), body=[_copy(target, a, like)],
                  orelse=[_copy(target, b, like)])
    ir.tag(node, ir.LINE(like), ir.Kind.IF)
    return [node]
