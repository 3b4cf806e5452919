"""Versions of a variable rebound to another type (``x = np.sum(x)``).

Python lets a name hold an array, then a number; compiled code (and our
types) need one type per name.  When type inference meets such a name, this
pass gives each top-level assignment of it a new version (``x``, then
``x_v2``), and every later read the version it sees, which is exact for
straight-line code.  A name also assigned inside a loop or a branch keeps
one name (the type conflict is then reported to the user).
"""
from __future__ import annotations

import ast

from .. import ir
from ..names import Namer
from .astutil import nodes, stored_names


def version_variable(fn: ast.FunctionDef, var: str) -> bool:
    """Rename the top-level rebindings of ``var`` in ``fn`` (in place); False when
    ``var`` is assigned inside a compound statement, so versions cannot help."""
    for s in fn.body:
        if isinstance(s, (ast.If, ast.For, ast.While)) and var in stored_names(s):
            return False
    taken = {n.id for n in nodes(fn) if isinstance(n, ast.Name)} | {
        a.arg for a in fn.args.args}
    namer = Namer(taken)
    current, renamed = var, False
    for s in fn.body:
        _rename_loads(s, var, current)
        target = s.targets[0] if isinstance(s, ast.Assign) and len(s.targets) == 1 else None
        if ir.KIND(s) == ir.Kind.ASSIGN and isinstance(target, ast.Name) \
                and target.id == var and (current != var or var in taken_before(fn, s, var)):
            current = namer.numbered(f"{var}_v", 2)     # x_v2, x_v3, ...
            target.id = current
            renamed = True
        elif isinstance(target, ast.Name) and target.id == var:
            target.id = current
    return renamed


def taken_before(fn, stmt, var) -> set:
    """``{var}`` when ``var`` is bound before ``stmt`` (a parameter or an earlier
    assignment), else the empty set."""
    if var in {a.arg for a in fn.args.args}:
        return {var}
    for s in fn.body:
        if s is stmt:
            return set()
        if var in stored_names(s):
            return {var}
    return set()


def _rename_loads(stmt, old, new):
    if old == new:
        return
    value_part = [stmt.value] if isinstance(stmt, ast.Assign) else [stmt]
    for part in value_part:
        for n in nodes(part):
            if isinstance(n, ast.Name) and n.id == old and isinstance(n.ctx, ast.Load):
                n.id = new
    if isinstance(stmt, ast.Assign):    # x[i] = ... reads the array x
        for t in stmt.targets:
            if isinstance(t, ast.Subscript):
                for n in nodes(t):
                    if isinstance(n, ast.Name) and n.id == old:
                        n.id = new
