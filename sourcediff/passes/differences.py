"""``np.diff(x)`` of a vector inside a loop becomes ``x[1:] - x[:-1]``.

NumPy's first difference of a 1-d array is that difference of two slices,
element for element (empty for fewer than two elements, as both slices are).
Written so, it is what passes/lower.py reads element by element: a mass
chain's spring extensions ``d = np.diff(x)`` in a time step run as the loop
over ``j`` reading ``x[j + 1] - x[j]``, as the same step written with slices
does, with no array made in the step and none kept for the reverse sweep (the
call kept three arrays a step on lists: 0.33 ms a gradient against the sliced
style's 0.057 ms).

On typed, normalized code: ``t = np.diff(x)`` in a loop body, ``x`` a name of a
float64 vector, no other argument.  Outside loops the call stays (it runs once).
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from ..names import Namer
from .astutil import replace_statements


def differences_as_slices(fn: ast.FunctionDef, env: dict, used_names: set) -> bool:
    """Rewrite ``fn`` in place; whether any difference changed (the new names'
    types are then inferred again)."""
    def rewrite(s):
        return _as_slices(s, used_names) if _vector_difference(s, env) else None
    return replace_statements(fn, rewrite, in_loops_only=True)


def _vector_difference(s, env) -> bool:
    v = getattr(s, "value", None)
    if not (isinstance(s, ast.Assign) and ir.KIND(s) == ir.Kind.ASSIGN and
            isinstance(s.targets[0], ast.Name) and isinstance(v, ast.Call) and
            ir.PRIM(v, ("",))[:2] == ("call", np.diff) and len(v.args) == 1 and
            not v.keywords and isinstance(v.args[0], ast.Name)):
        return False
    t = env.get(v.args[0].id)
    return t is not None and t.is_array and t.ndim == 1 and t.dtype == np.float64


def _as_slices(s, used_names) -> list:
    """``upper = x[1:]``, ``lower = x[:-1]``, then ``t = upper - lower`` (the
    statement itself, its value replaced)."""
    namer = Namer(used_names)
    line = ir.LINE(s)
    x = s.value.args[0].id
    out, names = [], []
    for hint, cut in (("upper", ast.Slice(lower=ast.Constant(1))),
                      ("lower", ast.Slice(upper=ast.UnaryOp(op=ast.USub(),
                                                            operand=ast.Constant(1))))):
        name = namer.fresh(f"_{x.lstrip('_')}_{hint}")
        read = ir.mark(ast.Subscript(value=ast.Name(id=x, ctx=ast.Load()), slice=cut,
                                     ctx=ast.Load()), ("subscript",))
        out.append(ir.tag(ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=read),
                          line, "assign"))
        names.append(name)
    s.value = ir.mark(ast.BinOp(left=ast.Name(id=names[0], ctx=ast.Load()), op=ast.Sub(),
                                right=ast.Name(id=names[1], ctx=ast.Load())), ("binop", "Sub"))
    out.append(s)
    return out
