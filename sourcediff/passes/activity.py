"""Activity analysis: which variables carry a derivative.

A variable is *active* when it depends on a ``wrt`` input through
differentiable operations (varied) and the result depends on it (useful).
Only active variables get adjoint code; ints, bools and index arithmetic
never do.
"""
from __future__ import annotations

import ast

from .. import ir
from ..rules import registry
from .astutil import nodes, walk


def _names(node) -> list:
    return [n.id for n in nodes(node) if isinstance(n, ast.Name)]


def diff_operands(prim) -> list:
    """Names whose derivative flows into the primitive's result."""
    head = ir.PRIM(prim)[0]
    if head in ("const", "global", "dtype", "compare"):
        return []
    if head == "copy":
        return [] if ir.DETACHED(prim) else [prim.id]
    if head == "binop":
        p = registry.get_primitive(ir.PRIM(prim)[1])
        if p is not None and not p.differentiable:
            return []
        return [a.id for a in (prim.left, prim.right) if isinstance(a, ast.Name)]
    if head == "unary":
        if ir.PRIM(prim)[1] == "Not":
            return []
        return [prim.operand.id] if isinstance(prim.operand, ast.Name) else []
    if head == "subscript":
        return [prim.value.id] if isinstance(prim.value, ast.Name) else []
    if head == "attr":
        return [prim.value.id] if ir.PRIM(prim)[1] == "T" else []
    if head == "method":
        return [prim.func.value.id] if isinstance(prim.func.value, ast.Name) else []
    if head == "tuple":
        return [a.id for a in prim.elts if isinstance(a, ast.Name)]
    if head == "call":
        p = registry.get_primitive(ir.PRIM(prim)[1])
        if p is None or not p.differentiable:
            return []
        # (an input given by keyword, np.linspace(0.0, stop=b), is one too)
        return [a.id for a in prim.args + [k.value for k in prim.keywords]
                if isinstance(a, ast.Name)]
    if head == "user":
        return [a.id for a in prim.args if isinstance(a, ast.Name)]
    return []


def analyze_activity(fn: ast.FunctionDef, types: dict, wrt: list, ret_names: list) -> set:
    def floating(name):
        t = types.get(name)
        if t is None:
            return False
        if t.kind == "tuple":
            return any(e.is_float for e in t.elts)
        return t.is_float

    edges = []   # (target, [sources])
    for s in walk(fn.body):
        kind = ir.KIND(s)
        if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE):
            edges.append(([s.targets[0].id], diff_operands(s.value)))
        elif kind == ir.Kind.UNPACK:
            edges.append(([e.id for e in s.targets[0].elts], diff_operands(s.value)))
        elif kind == ir.Kind.STORE:
            v = s.value
            edges.append(([s.targets[0].value.id], [v.id] if isinstance(v, ast.Name) else []))
        elif kind == ir.Kind.AUGSTORE:
            v = s.value
            edges.append(([s.target.value.id], [v.id] if isinstance(v, ast.Name) else []))

    varied = {w for w in wrt if floating(w)}
    changed = True
    while changed:
        changed = False
        for targets, sources in edges:
            if any(src in varied for src in sources):
                for t in targets:
                    if t not in varied and floating(t):
                        varied.add(t)
                        changed = True
    useful = set(ret_names)
    changed = True
    while changed:
        changed = False
        for targets, sources in edges:
            if any(t in useful for t in targets):
                for src in sources:
                    if src not in useful:
                        useful.add(src)
                        changed = True
    return varied & useful
