"""Reads through a boolean mask of two or more dimensions, flattened.

``x[mask]`` with ``mask`` of ``x``'s shape picks the elements where the mask
is true, in C order, as a 1-d array.  Numba indexes with one 1-d array only,
and the adjoint of a gather is written for that case, so the read becomes
the same read of the flattened arrays::

    y = x[mask]          ->   _x_flat = np.ravel(x)
                              _mask_flat = np.ravel(mask)
                              y = _x_flat[_mask_flat]

``np.ravel`` has a rule (its adjoint is reshaped back to ``x``'s shape), and
the mask is a boolean array: no derivative.  A number written through such a
mask (``h[h < 0] = 0.0``, ``h[mask] += c``) is a ``np.where`` stored into
the whole array, in place (a view's base sees it, as with NumPy)::

    h[mask] = v     ->   _where = np.where(mask, v, h)
                         h[:, :] = _where
    h[mask] += c    ->   _changed = h + c
                         _where = np.where(mask, _changed, h)
                         h[:, :] = _where

A 1-d mask into an array of more dimensions picks rows: an integer gather,
``y = x[np.flatnonzero(mask)]``.

An array written through one (its items in order), and ``*=`` or ``/=``
(normalized into a read and a write of the picked items), stay refused by
type inference.
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from ..names import Namer
from .astutil import replace_statements


def _boolean_read(s, env, fits):
    """``(array name, mask name)`` of a statement ``y = x[mask]`` whose boolean
    mask and array types satisfy ``fits(mask type, array type)``."""
    if ir.KIND(s, None) != ir.Kind.ASSIGN or not isinstance(s.value, ast.Subscript):
        return None
    x, m = s.value.value, s.value.slice
    if not (isinstance(x, ast.Name) and isinstance(m, ast.Name)):
        return None
    tx, tm = env.get(x.id), env.get(m.id)
    if tx is None or tm is None or not (tx.is_array and tm.is_array) or tm.dtype.kind != "b":
        return None
    return (x.id, m.id) if fits(tm, tx) else None


def _masked_read(s, env):
    """``(array name, mask name)`` of a statement ``y = x[mask]`` with an n-d mask."""
    return _boolean_read(s, env, lambda tm, tx: tm.ndim >= 2 and tm.ndim == tx.ndim)


def _row_masked_read(s, env):
    """``(array name, mask name)`` of a statement ``y = x[mask]`` with a 1-d mask
    into an array of two or more dimensions (rows picked)."""
    return _boolean_read(s, env, lambda tm, tx: tm.ndim == 1 and tx.ndim >= 2)


def _masked_write(s, env):
    """``(array name, mask name, operator or None)`` of ``x[mask] = v`` or
    ``x[mask] op= v`` with an n-d mask of ``x``'s dimensions and a number ``v``."""
    kind = ir.KIND(s, None)
    if kind == ir.Kind.STORE:
        target, op = s.targets[0], None
    elif kind == ir.Kind.AUGSTORE:
        target, op = s.target, s.op
    else:
        return None
    if not (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
            and isinstance(target.slice, ast.Name)):
        return None
    tx, tm = env.get(target.value.id), env.get(target.slice.id)
    v = s.value
    tv = env.get(v.id) if isinstance(v, ast.Name) else None
    if tx is None or tm is None or not (tx.is_array and tm.is_array) or \
            tm.dtype.kind != "b" or tm.ndim < 2 or tm.ndim != tx.ndim or \
            tv is not None and tv.is_array:
        return None
    return target.value.id, target.slice.id, op


def _bind(new, value, stmt):
    bind = ast.Assign(targets=[ast.Name(id=new, ctx=ast.Store())], value=value)
    ir.tag(bind, ir.LINE(stmt, None), ir.Kind.ASSIGN)
    return ast.fix_missing_locations(ast.copy_location(bind, stmt))


def _where_written(s, env, used_names) -> list:
    x, m, op = _masked_write(s, env)
    namer = Namer(used_names)
    value = s.value
    out = []
    if op is not None:
        changed = namer.fresh("_changed")
        binop = ir.mark(ast.BinOp(left=ast.Name(id=x, ctx=ast.Load()), op=op, right=value),
                        ("binop", type(op).__name__))
        out.append(_bind(changed, ast.copy_location(binop, s), s))
        value = ast.Name(id=changed, ctx=ast.Load())
    where = namer.fresh("_where")
    call = ir.mark(ast.Call(func=ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()),
                                               attr="where", ctx=ast.Load()),
                            args=[ast.Name(id=m, ctx=ast.Load()), value,
                                  ast.Name(id=x, ctx=ast.Load())], keywords=[]),
                   ("call", np.where))
    out.append(_bind(where, ast.copy_location(call, s), s))
    whole = ast.Tuple(elts=[ast.Slice() for _ in range(env[x].ndim)], ctx=ast.Load())
    store = ast.Assign(targets=[ast.Subscript(value=ast.Name(id=x, ctx=ast.Load()), slice=whole,
                                              ctx=ast.Store())],
                       value=ast.Name(id=where, ctx=ast.Load()))
    ir.tag(store, ir.LINE(s, None), ir.Kind.STORE)
    out.append(ast.fix_missing_locations(ast.copy_location(store, s)))
    return out


def _ravel(name, new, stmt):
    return _call_into(new, np.ravel, "ravel", name, stmt)


def _call_into(new, fn, attr, name, stmt):
    """``new = np.<attr>(name)``, a normalized statement at ``stmt``'s line."""
    call = ir.mark(ast.Call(func=ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()),
                                               attr=attr, ctx=ast.Load()),
                            args=[ast.Name(id=name, ctx=ast.Load())], keywords=[]),
                   ("call", fn))
    bind = ast.Assign(targets=[ast.Name(id=new, ctx=ast.Store())], value=call)
    ir.tag(bind, ir.LINE(stmt, None), ir.Kind.ASSIGN)
    return ast.fix_missing_locations(ast.copy_location(bind, stmt))


def flatten_masks(fn: ast.FunctionDef, env: dict, used_names: set) -> bool:
    """Rewrite ``fn`` in place; whether anything changed."""
    def replace(s):
        if _masked_write(s, env) is not None:
            return _where_written(s, env, used_names)
        rows = _row_masked_read(s, env)
        if rows is not None:        # the rows where the mask is true: an integer gather
            x, m = rows
            picked = Namer(used_names).fresh(f"_{m.lstrip('_')}_rows")
            s.value.slice = ast.copy_location(ast.Name(id=picked, ctx=ast.Load()), s.value.slice)
            return [_call_into(picked, np.flatnonzero, "flatnonzero", m, s), s]
        found = _masked_read(s, env)
        if found is None:
            return None
        namer = Namer(used_names)
        x, m = found
        xf, mf = namer.fresh(f"_{x.lstrip('_')}_flat"), namer.fresh(f"_{m.lstrip('_')}_flat")
        s.value.value = ast.copy_location(ast.Name(id=xf, ctx=ast.Load()), s.value.value)
        s.value.slice = ast.copy_location(ast.Name(id=mf, ctx=ast.Load()), s.value.slice)
        return [_ravel(x, xf, s), _ravel(m, mf, s), s]
    return replace_statements(fn, replace)
