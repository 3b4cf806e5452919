"""Tuple arguments become one scalar variable per element.

``def f(p, x): a, b = p`` reads ``p[0]`` and ``p[1]``; after this pass those
reads are copies of ``p_0`` and ``p_1``, defined once at the top, so each
element gets its own adjoint and the gradient with respect to ``p`` is the
tuple ``(dp_0, dp_1)`` — as JAX returns for a tuple argument.
"""
from __future__ import annotations

import ast


def scalarize_tuple_params(fn: ast.FunctionDef, arg_types: dict, used: set) -> dict:
    """Rewrite ``fn`` in place; returns ``{param: [element names]}`` and marks
    params still used as a whole in ``fn.sd_tuple_whole``."""
    mapping = {}
    whole = set()
    for p, t in arg_types.items():
        if t is None or t.kind != "tuple" or not t.elts:
            continue
        names = []
        for k in range(len(t.elts)):
            name = f"{p}_{k}"
            while name in used:
                name = "_" + name
            used.add(name)
            names.append(name)
        mapping[p] = names
    if not mapping:
        fn.sd_tuple_whole = whole
        return mapping

    def rewrite(stmts):
        for s in stmts:
            for f in ("body", "orelse"):
                if getattr(s, f, None):
                    rewrite(getattr(s, f))
            value = getattr(s, "value", None)
            if getattr(s, "sd_kind", None) == "assign" and _is_element(value, mapping):
                k = value.slice.value
                new = ast.Name(id=mapping[value.value.id][k], ctx=ast.Load())
                new.sd_prim = ("copy",)
                s.value = new
            for node in ast.walk(s):
                if isinstance(node, ast.Name) and node.id in mapping and \
                        isinstance(node.ctx, ast.Load):
                    whole.add(node.id)
    rewrite(fn.body)
    line = getattr(fn, "sd_line", None)
    prologue = []
    for p, names in mapping.items():
        for k, name in enumerate(names):
            sub = ast.Subscript(value=ast.Name(id=p, ctx=ast.Load()), slice=ast.Constant(k),
                                ctx=ast.Load())
            sub.sd_prim = ("subscript",)
            s = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=sub)
            s.sd_kind, s.sd_line = "assign", line
            prologue.append(s)
    fn.body[:0] = prologue
    fn.sd_tuple_whole = whole
    return mapping


def _is_element(value, mapping) -> bool:
    return isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and \
        value.value.id in mapping and isinstance(value.slice, ast.Constant) and \
        isinstance(value.slice.value, int) and \
        0 <= value.slice.value < len(mapping[value.value.id])
