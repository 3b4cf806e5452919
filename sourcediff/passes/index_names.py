"""An array-valued part of an index gets a name of its own.

``x[idx2d[0]]`` reads ``x`` at the integers of the row ``idx2d[0]``: fancy
indexing with an index array.  The normalizer keeps integer arithmetic inside
an index inline (the reverse sweep re-evaluates it), so it cannot tell this
read from ``x[idx[k]]`` (one element of ``idx``, an integer); type inference
can, and when it finds such a part it asks for it to be named here: the
statement gets ``_ix1 = idx2d[0]`` just before it and reads ``x[_ix1]``,
which the index-array rules differentiate. Types are then inferred again.
"""
from __future__ import annotations

import ast

from .. import ir
from ..names import Namer


def name_index_array(fn: ast.FunctionDef, part: ast.Subscript, used: set) -> bool:
    """Rewrite ``fn`` in place; False when ``part`` is not inside a statement
    of a block (a loop's bounds, a branch's test): the caller then reports it."""
    found = _find(fn.body, part)
    if found is None:
        return False
    block, k, parent, field, position = found
    name = Namer(used).numbered("_ix")
    used.add(name)
    read = ast.Subscript(value=part.value, slice=part.slice, ctx=ast.Load())
    ir.PRIM.set(read, ("subscript",))
    stmt = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=read)
    ir.tag(stmt, ir.LINE(block[k]), ir.Kind.ASSIGN)
    replacement = ast.Name(id=name, ctx=ast.Load())
    if position is None:
        setattr(parent, field, replacement)
    else:
        getattr(parent, field)[position] = replacement
    block.insert(k, ast.fix_missing_locations(ast.copy_location(stmt, block[k])))
    return True


def _find(stmts, part):
    """(block, position in it, parent of ``part``, field, list position)."""
    for k, s in enumerate(stmts):
        if isinstance(s, (ast.If, ast.For, ast.While)):
            for field in ("body", "orelse"):
                found = _find(getattr(s, field), part)
                if found is not None:
                    return found
            continue
        for parent in ast.walk(s):
            for field, value in ast.iter_fields(parent):
                if value is part:
                    return stmts, k, parent, field, None
                if isinstance(value, list) and any(v is part for v in value):
                    return stmts, k, parent, field, [id(v) for v in value].index(id(part))
    return None
