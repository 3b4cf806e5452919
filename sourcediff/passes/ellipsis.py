"""``...`` in an index written out as the slices it stands for.

``m[..., 0]`` of a 3-d array is ``m[:, :, 0]``: type inference counts the
dimensions the ellipsis fills (passes/types.py), and this pass, once the
types are known, writes them out as full slices, so that every later pass
and the generated code see only integers, slices and index arrays.
"""
from __future__ import annotations

import ast

from .astutil import nodes


def is_ellipsis(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def expand_ellipses(fn: ast.FunctionDef, env: dict) -> bool:
    """Rewrite ``fn`` in place; whether anything changed."""
    changed = False
    for node in nodes(fn):
        if not isinstance(node, ast.Subscript) or not isinstance(node.value, ast.Name):
            continue
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if not any(is_ellipsis(p) for p in parts):
            continue
        t = env.get(node.value.id)
        if t is None or not t.is_array:
            continue
        fill = t.ndim - (len(parts) - 1)
        new = []
        for p in parts:
            new.extend([ast.Slice() for _ in range(fill)] if is_ellipsis(p) else [p])
        node.slice = ast.copy_location(ast.Tuple(elts=new, ctx=ast.Load()) if len(new) != 1
                                       else new[0], node.slice)
        changed = True
    return changed
