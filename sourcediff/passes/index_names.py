"""An array-valued part of an index gets a name of its own.

``x[idx2d[0]]`` reads ``x`` at the integers of the row ``idx2d[0]``: fancy
indexing with an index array.  The normalizer keeps integer arithmetic inside
an index inline (the reverse sweep re-evaluates it), so it cannot tell this
read from ``x[idx[k]]`` (one element of ``idx``, an integer); type inference
can, and when it finds such a part (``idx2d[0]``, ``idx + 1`` with ``idx``
an array) it asks for it to be named here: the statement gets ``_ix1 =
idx2d[0]`` just before it and reads ``x[_ix1]``, which the index-array rules
differentiate (repeated indices included). Types are then inferred again.
"""
from __future__ import annotations

import ast
import builtins

from .. import ir
from ..names import Namer
from .astutil import nodes

# integer builtins an index may call (the normalizer resolved them: len(x), min(a, b))
INT_CALLS = ("len", "min", "max", "abs", "int")


def name_index_array(fn: ast.FunctionDef, part: ast.expr, used: set) -> bool:
    """Rewrite ``fn`` in place; False when ``part`` is not inside a statement
    of a block (a loop's bounds, a branch's test) or is not made of reads and
    arithmetic: the caller then reports it."""
    found = _find(fn.body, part)
    if found is None:
        return False
    block, k, parent, field, position = found
    stmts = []
    replacement = _named(part, stmts, Namer(used), ir.LINE(block[k]))
    if replacement is None:
        return False
    if position is None:
        setattr(parent, field, replacement)
    else:
        getattr(parent, field)[position] = replacement
    for stmt in reversed(stmts):
        block.insert(k, ast.fix_missing_locations(ast.copy_location(stmt, block[k])))
    return True


def expand_tuple_index(fn: ast.FunctionDef, index: ast.Name, length: int) -> bool:
    """``K[ij]`` with ``ij`` a tuple of ``length`` integers is ``K[ij[0], ij[1]]``
    (NumPy takes a tuple index as one index per axis); the elements are then
    named like any other index part.  False unless ``ij`` is the whole index
    of a subscript."""
    found = _find(fn.body, index)
    if found is None:
        return False
    _, _, parent, field, position = found
    if not (isinstance(parent, ast.Subscript) and field == "slice" and position is None):
        return False
    parent.slice = ast.Tuple(elts=[ast.Subscript(value=ast.Name(id=index.id, ctx=ast.Load()),
                                                 slice=ast.Constant(k), ctx=ast.Load())
                                   for k in range(length)], ctx=ast.Load())
    return True


def _named(e, stmts, namer, line):
    """``e`` as an atom, its reads and operations assigned to names in ``stmts``
    (``idx + 1``: ``_ix1 = idx + 1``; ``2 * idx2d[k]``: ``_ix1 = idx2d[k]``,
    ``_ix2 = 2 * _ix1``; ``len(x)`` too); None for anything else."""
    if isinstance(e, (ast.Name, ast.Constant)):
        return e
    if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name):
        value, prim = ast.Subscript(value=e.value, slice=e.slice, ctx=ast.Load()), \
            ("subscript",)
    elif isinstance(e, ast.BinOp):
        left, right = _named(e.left, stmts, namer, line), _named(e.right, stmts, namer, line)
        if left is None or right is None:
            return None
        value, prim = ast.BinOp(left=left, op=e.op, right=right), ("binop", type(e.op).__name__)
    elif isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and \
            e.func.id in INT_CALLS and not e.keywords:
        args = [_named(a, stmts, namer, line) for a in e.args]
        if any(a is None for a in args):
            return None
        value = ast.Call(func=ast.Name(id=e.func.id, ctx=ast.Load()), args=args, keywords=[])
        prim = ("call", getattr(builtins, e.func.id))
    elif isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        operand = _named(e.operand, stmts, namer, line)
        if operand is None:
            return None
        value, prim = ast.UnaryOp(op=e.op, operand=operand), ("unary", "USub")
    else:
        return None
    name = namer.numbered("_ix")
    ir.PRIM.set(value, prim)
    stmt = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value)
    ir.tag(stmt, line, ir.Kind.ASSIGN)
    stmts.append(stmt)
    return ast.Name(id=name, ctx=ast.Load())


def _find(stmts, part):
    """(block, position in it, parent of ``part``, field, list position)."""
    for k, s in enumerate(stmts):
        if isinstance(s, (ast.If, ast.For, ast.While)):
            for field in ("body", "orelse"):
                found = _find(getattr(s, field), part)
                if found is not None:
                    return found
            continue
        for parent in nodes(s):
            for field, value in ast.iter_fields(parent):
                if value is part:
                    return stmts, k, parent, field, None
                if isinstance(value, list) and any(v is part for v in value):
                    return stmts, k, parent, field, [id(v) for v in value].index(id(part))
    return None


def read_whole(fn: ast.FunctionDef, name: str) -> bool:
    """Every ``name[k]`` read in ``fn`` becomes ``name``: the value
    ``np.add.at(y, idx, v)`` adds per item (``v[k]``, passes/normalize.py),
    when ``v`` turns out to be a number.  False when there is none."""
    changed = False
    for s in nodes(fn):
        if ir.KIND(s) in (ir.Kind.AUGSTORE, ir.Kind.ASSIGN) and \
                isinstance(s.value, ast.Subscript) and isinstance(s.value.value, ast.Name) \
                and s.value.value.id == name:
            s.value = ir.mark(ast.Name(id=name, ctx=ast.Load()), ("copy",))
            changed = True
    return changed
