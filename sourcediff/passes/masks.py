"""Reads through a boolean mask of two or more dimensions, flattened.

``x[mask]`` with ``mask`` of ``x``'s shape picks the elements where the mask
is true, in C order, as a 1-d array.  Numba indexes with one 1-d array only,
and the adjoint of a gather is written for that case, so the read becomes
the same read of the flattened arrays::

    y = x[mask]          ->   _x_flat = np.ravel(x)
                              _mask_flat = np.ravel(mask)
                              y = _x_flat[_mask_flat]

``np.ravel`` has a rule (its adjoint is reshaped back to ``x``'s shape), and
the mask is a boolean array: no derivative.  Writes through such a mask stay
refused by type inference.
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from ..names import Namer
from .astutil import walk


def _masked_read(s, env):
    """``(array name, mask name)`` of a statement ``y = x[mask]`` with an n-d mask."""
    if ir.KIND(s, None) != ir.Kind.ASSIGN or not isinstance(s.value, ast.Subscript):
        return None
    x, m = s.value.value, s.value.slice
    if not (isinstance(x, ast.Name) and isinstance(m, ast.Name)):
        return None
    tx, tm = env.get(x.id), env.get(m.id)
    if tx is None or tm is None or not (tx.is_array and tm.is_array):
        return None
    if tm.dtype.kind != "b" or tm.ndim < 2 or tm.ndim != tx.ndim:
        return None
    return x.id, m.id


def _ravel(name, new, stmt):
    call = ir.mark(ast.Call(func=ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()),
                                               attr="ravel", ctx=ast.Load()),
                            args=[ast.Name(id=name, ctx=ast.Load())], keywords=[]),
                   ("call", np.ravel))
    bind = ast.Assign(targets=[ast.Name(id=new, ctx=ast.Store())], value=call)
    ir.tag(bind, ir.LINE(stmt, None), ir.Kind.ASSIGN)
    return ast.fix_missing_locations(ast.copy_location(bind, stmt))


def flatten_masks(fn: ast.FunctionDef, env: dict, used_names: set) -> bool:
    """Rewrite ``fn`` in place; whether anything changed."""
    changed = False
    blocks = [fn.body] + [getattr(s, f) for s in walk(fn.body) for f in ("body", "orelse")
                          if isinstance(getattr(s, f, None), list)]
    for block in blocks:
        k = 0
        while k < len(block):
            s = block[k]
            found = _masked_read(s, env)
            if found is None:
                k += 1
                continue
            namer = Namer(used_names)
            x, m = found
            xf, mf = namer.fresh(f"_{x.lstrip('_')}_flat"), namer.fresh(f"_{m.lstrip('_')}_flat")
            s.value.value = ast.copy_location(ast.Name(id=xf, ctx=ast.Load()), s.value.value)
            s.value.slice = ast.copy_location(ast.Name(id=mf, ctx=ast.Load()), s.value.slice)
            block[k:k] = [_ravel(x, xf, s), _ravel(m, mf, s)]
            k += 3
            changed = True
    return changed
