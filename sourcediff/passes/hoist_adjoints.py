"""Adjoint buffers allocated once before a loop, not in every iteration.

The forward sweep binds an array's adjoint buffer after each binding of the
array (``dg = np.zeros_like(g)`` after ``g = A.T @ r``).  In a loop of the
forward sweep that allocates a buffer per iteration, though the reverse sweep
only ever uses the last one: it resets the buffer itself once the reverse of
each iteration has read it (``dg[:] = 0.0``).  Where the array has one shape
in every iteration, known from the parameters, the buffer is allocated once,
before the loop::

    dg = np.zeros((A.shape[1],), np.float64)
    while True:
        ...
        g = _t7 @ _t9

Taken only where nothing else could see the difference:

* the allocation is inside a loop of the forward sweep (not in a loop whose
  forward and reverse iterations are fused: there the forward part's
  allocation is what zeroes the buffer for the reverse part);
* the forward sweep mentions the buffer nowhere else (no swap of buffers, no
  move, no view of it bound there);
* every binding of the array in the forward sweep (the tape's placeholders
  included) is arithmetic, a ufunc, a matrix product or a new array
  (C-contiguous results, as ``np.zeros`` makes), and its lengths (``shape_axes`` of its shape key) read only parameters that
  are never re-bound.
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir

# NumPy functions whose result is a new C-contiguous array, besides the ufuncs
NEW_ARRAYS = {"dot", "matmul", "outer", "zeros", "ones", "empty", "full", "zeros_like",
              "ones_like", "empty_like"}


def hoist_adjoint_inits(body: list, axes_of) -> list:
    """``body`` (the forward sweep) with the adjoint allocations of its loops
    that may be, allocated before the loop; ``axes_of(var)``: expressions
    for the lengths of ``var``'s axes, readable anywhere, and its dtype name,
    or None."""
    mentions: dict = {}
    bindings: dict = {}
    for s in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(s, ast.Name):
            mentions[s.id] = mentions.get(s.id, 0) + 1
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], ast.Name):
            bindings.setdefault(s.targets[0].id, []).append(s)
    out = []
    for top in body:
        if not isinstance(top, (ast.For, ast.While, ast.If)):
            out.append(top)
            continue
        moved = []
        _lift(top, False, moved, mentions, bindings, axes_of)
        for init in moved:          # (in the sweep of the loop it leaves)
            ir.SECTION.set(init, ir.SECTION(top, None))
        out.extend(moved)
        out.append(top)
    return out


def _lift(stmt, in_loop, moved, mentions, bindings, axes_of):
    """Take the hoistable allocations out of the blocks under ``stmt``."""
    inner = in_loop or isinstance(stmt, (ast.For, ast.While))
    for field in ("body", "orelse"):
        block = getattr(stmt, field, None)
        if not block:
            continue
        kept = []
        for s in block:
            init = _hoisted(s, mentions, bindings, axes_of) if inner else None
            if init is not None:
                moved.append(init)
                continue
            if isinstance(s, (ast.For, ast.While, ast.If)):
                _lift(s, inner, moved, mentions, bindings, axes_of)
            kept.append(s)
        setattr(stmt, field, kept or [ast.Pass()])


def _hoisted(s, mentions, bindings, axes_of):
    """The allocation before the loop that replaces ``s``, or None."""
    adj = ir.ADJOINT_INIT(s, None)
    if adj is None or not isinstance(s.value, ast.Call) or not s.value.args or \
            not isinstance(s.value.args[0], ast.Name) or mentions.get(adj) != 1:
        return None
    var = s.value.args[0].id
    sites = bindings.get(var, [])
    if not sites or not all(_new_contiguous(b.value) for b in sites):
        return None
    found = axes_of(var)
    if found is None:
        return None
    axes, dtype = found
    shape = ast.Tuple(elts=list(axes), ctx=ast.Load())
    np_name = ast.Name(id="np", ctx=ast.Load())
    value = ast.Call(func=ast.Attribute(value=np_name, attr="zeros", ctx=ast.Load()),
                     args=[shape, ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()),
                                                attr=dtype, ctx=ast.Load())],
                     keywords=[])
    new = ast.Assign(targets=[ast.Name(id=adj, ctx=ast.Store())], value=value, lineno=0)
    ast.copy_location(new, s)
    ir.copy_facts(s, new)
    return new


def _new_contiguous(value) -> bool:
    """``value`` makes a new C-contiguous array."""
    if isinstance(value, (ast.BinOp, ast.UnaryOp)):
        return True
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and \
            isinstance(value.func.value, ast.Name) and value.func.value.id == "np":
        name = value.func.attr
        return name in NEW_ARRAYS or isinstance(getattr(np, name, None), np.ufunc)
    return False
