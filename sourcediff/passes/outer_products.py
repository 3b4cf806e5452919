"""``np.outer(a, b)`` of two vectors inside a loop becomes ``a[:, None] * b[None, :]``.

NumPy's outer product of 1-d arrays is that broadcast product, element for
element.  Written so, it is what passes/lower.py reads element by element: a
rank-one update in a time step (Hebbian learning's ``W = W + eta * np.outer(y,
x)``, a perceptron's, a Kalman gain's ``K @ ...`` rank-one form) then runs as the
loop over ``(j, k)`` one writes by hand, reading ``y[j]`` and ``x[k]``, with no
matrix made in the step and none kept for the reverse sweep.  Where the loop
is not lowered, the broadcast product is the same array code (its adjoint sums
over the broadcast axis, as the outer product's does).

On typed, normalized code: ``t = np.outer(a, b)`` in a loop body, ``a`` and ``b``
names of float64 vectors, no keywords.  Outside loops the call stays (it runs
once).
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from ..names import Namer
from .astutil import replace_statements


def outer_products_as_broadcasts(fn: ast.FunctionDef, env: dict, used_names: set) -> bool:
    """Rewrite ``fn`` in place; whether any product changed (the new names'
    types are then inferred again)."""
    def rewrite(s):
        return _as_broadcast(s, used_names) if _vector_outer(s, env) else None
    return replace_statements(fn, rewrite, in_loops_only=True)


def _vector_outer(s, env) -> bool:
    v = getattr(s, "value", None)
    if not (isinstance(s, ast.Assign) and ir.KIND(s) == ir.Kind.ASSIGN and
            isinstance(s.targets[0], ast.Name) and isinstance(v, ast.Call) and
            ir.PRIM(v, ("",))[:2] == ("call", np.outer) and len(v.args) == 2 and
            not v.keywords):
        return False
    for a in v.args:
        t = env.get(a.id) if isinstance(a, ast.Name) else None
        if t is None or not t.is_array or t.ndim != 1 or t.dtype != np.float64:
            return False
    return True


def _as_broadcast(s, used_names) -> list:
    """``column = np.expand_dims(a, 1)``, ``row = np.expand_dims(b, 0)``, then
    ``t = column * row`` (the statement itself, its value replaced)."""
    namer = Namer(used_names)
    line = ir.LINE(s)
    out = []
    names = []
    for arg, axis, hint in zip(s.value.args, (1, 0), ("column", "row")):
        name = namer.fresh(f"_{arg.id.lstrip('_')}_{hint}")
        call = ir.mark(ast.Call(func=ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()),
                                                   attr="expand_dims", ctx=ast.Load()),
                                args=[ast.Name(id=arg.id, ctx=ast.Load()), ast.Constant(axis)],
                                keywords=[]), ("call", np.expand_dims))
        made = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=call)
        out.append(ir.tag(made, line, "assign"))
        names.append(name)
    s.value = ir.mark(ast.BinOp(left=ast.Name(id=names[0], ctx=ast.Load()), op=ast.Mult(),
                                right=ast.Name(id=names[1], ctx=ast.Load())), ("binop", "Mult"))
    out.append(s)
    return out
