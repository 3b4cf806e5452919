"""Where each variable of a normalized function is assigned.

The tape planner (passes/planner.py) decides per assignment; the shape
analysis (passes/shapes.py) and the hoisting of size reads (passes/hoist.py)
read the same list.
"""
from __future__ import annotations

import ast
import itertools

from .. import ir


class Site:
    """One assignment of ``var``: the statement, where it sits, its order."""

    def __init__(self, stmt, var, loops, top_level, order):
        self.stmt = stmt
        self.var = var
        self.loops = loops          # enclosing loop statements, outermost first
        self.top_level = top_level  # directly in the function body
        self.order = order


def collect_sites(fn: ast.FunctionDef) -> tuple[dict, dict]:
    """``(sites, stmt_loops)``: name -> its :class:`Site` list in program
    order (a ``for`` loop assigns its target), and id(statement) -> the loops
    around it, outermost first."""
    sites: dict[str, list] = {}
    stmt_loops: dict[int, list] = {}
    order = itertools.count()

    def add(var, stmt, loops, top):
        sites.setdefault(var, []).append(Site(stmt, var, list(loops), top, next(order)))

    def visit(stmts, loops, top):
        for s in stmts:
            stmt_loops[id(s)] = list(loops)
            kind = ir.KIND(s)
            if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE):
                add(s.targets[0].id, s, loops, top)
            elif kind == ir.Kind.UNPACK:
                for e in s.targets[0].elts:
                    add(e.id, s, loops, top)
            elif isinstance(s, ast.For):
                add(s.target.id, s, loops, top)
                visit(s.body, loops + [s], False)
            elif isinstance(s, ast.While):
                visit(s.body, loops + [s], False)
            elif isinstance(s, ast.If):
                visit(s.body, loops, False)
                visit(s.orelse, loops, False)
            else:
                next(order)
    visit(fn.body, [], True)
    return sites, stmt_loops
