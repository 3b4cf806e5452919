"""Arithmetic on transposes that reaches a name holding C-ordered arrays is copied.

``X = np.sin(X.T) * 1.1`` in a loop binds ``X`` to a C-ordered array (the
argument) and to arithmetic on a transpose, which Numba makes Fortran-ordered:
the name then has Numba's layout 'A', for which it cannot allocate a new
array, and compiling fails inside Numba ("Don't know how to allocate array
with layout 'A'"; plain ``numba.njit`` fails the same way).  NumPy has no
such limit.  Where elementwise work on transposes only (directly or through
other elementwise results; with one C-ordered operand Numba's result is
C-ordered) is assigned to an array name bound more than once, the
value is made first and the name gets a C-ordered copy (``_f1 = _t3 + 0.1;
X = _f1.copy()``): one copy per step, only in this form; the values, and so
the gradient, are NumPy's.  A transpose itself bound to such a name (``v =
v0.T`` before a time loop rebinding ``v`` to arithmetic) is copied alike.
"""
from __future__ import annotations

import ast

from .. import ir
from ..names import Namer
from ..rules import registry
from ..rules.registry import ELEMENTWISE_OPS
from .astutil import bound_names, nodes, walk


def copy_transposes_into_rebound_names(fn: ast.FunctionDef, env: dict, used: set) -> bool:
    """Rewrite ``fn`` in place; whether it changed."""
    binds: dict = {a.arg: 1 for a in fn.args.args}
    for s in walk(fn.body):
        for n in bound_names(s):
            binds[n] = binds.get(n, 0) + 1

    def rebound(s):
        t = env.get(s.targets[0].id)
        return binds.get(s.targets[0].id, 0) >= 2 and t is not None and t.is_array and \
            t.ndim >= 2
    def arrays(s):
        return {n for n in _operands(s.value) if env.get(n) is not None and env[n].is_array}
    # names that may hold Fortran-ordered arrays: transposes, and elementwise
    # work on such arrays only (Numba's result is C-ordered as soon as one
    # operand is), assigned to names bound once
    assigns = [s for s in walk(fn.body) if ir.KIND(s) == ir.Kind.ASSIGN]
    fortran = {s.targets[0].id for s in assigns if _is_transpose(s.value)}
    while True:
        more = {s.targets[0].id for s in assigns if _elementwise(s.value) and not rebound(s)
                and arrays(s) and arrays(s) <= fortran} - fortran
        if not more:
            break
        fortran |= more
    # (a transpose itself bound to such a name too: ``v = v0.T`` before ``v = v - dv``)
    sites = {id(s) for s in assigns
             if rebound(s) and (_is_transpose(s.value) or
                                _elementwise(s.value) and arrays(s) and arrays(s) <= fortran)}
    if not sites:
        return False
    namer = Namer(used)
    for block in [fn.body] + [getattr(s, f) for s in walk(fn.body)
                              if isinstance(s, (ast.If, ast.For, ast.While))
                              for f in ("body", "orelse") if getattr(s, f, None)]:
        for k, s in reversed(list(enumerate(block))):
            if id(s) not in sites:
                continue
            made = namer.numbered("_f")
            used.add(made)
            first = ast.fix_missing_locations(ast.copy_location(ir.tag(ast.Assign(
                targets=[ast.Name(id=made, ctx=ast.Store())], value=s.value),
                ir.LINE(s), ir.Kind.ASSIGN), s))
            call = ast.Call(func=ast.Attribute(value=ast.Name(id=made, ctx=ast.Load()),
                                               attr="copy", ctx=ast.Load()),
                            args=[], keywords=[])
            s.value = ir.mark(ast.copy_location(call, s.value), ("method", "copy"))
            block.insert(k, first)
    return True


def _operands(value) -> set:
    return {n.id for n in nodes(value) if isinstance(n, ast.Name)}


def _is_transpose(value) -> bool:
    prim = ir.PRIM(value, ("",))
    return prim == ("attr", "T") or prim == ("method", "transpose") or \
        prim[0] == "call" and getattr(prim[1], "__name__", None) == "transpose"


def _elementwise(value) -> bool:
    prim = ir.PRIM(value, ("",))
    return prim[0] == "unary" or prim[0] == "binop" and prim[1] in ELEMENTWISE_OPS or \
        prim[0] == "call" and registry.is_elementwise(prim[1])
