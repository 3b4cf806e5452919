"""Reads that pick along one axis with an index array, the other axes whole.

``x[:, idx]`` (``x[idx, :]``, ``x[:, :, idx]``) takes the slices of ``x`` at
the positions ``idx`` along one axis.  The reverse pass and the planner know
gathers of rows (``x[idx]``: repeated indices add up in the adjoint), so the
read becomes one, on a view with that axis first::

    y = x[:, idx]    ->   _x_axis1 = np.swapaxes(x, 0, 1)
                          _t = _x_axis1[idx]
                          y = np.swapaxes(_t, 0, 1)

(``x[idx, :]`` is ``x[idx]``.)  ``np.swapaxes`` has a rule (the adjoint swaps
back).  Writes through such an index (``Y[:, idx] = v``) are the index
writes of the reverse pass (NumPy's last write among repeats).
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from ..names import Namer
from .astutil import replace_statements
from .types import axis_gather


def _call(fn, args, stmt):
    call = ast.Call(func=ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()),
                                       attr=fn.__name__, ctx=ast.Load()),
                    args=args, keywords=[])
    return ir.mark(ast.copy_location(call, stmt), ("call", fn))


def _bind(name, value, stmt):
    bind = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value)
    ir.tag(bind, ir.LINE(stmt, None), ir.Kind.ASSIGN)
    return ast.fix_missing_locations(ast.copy_location(bind, stmt))


def _axis_read(s, env):
    """``(array name, index name, axis)`` of ``y = x[:, idx]``, else None."""
    if ir.KIND(s, None) != ir.Kind.ASSIGN or not isinstance(s.value, ast.Subscript) \
            or not isinstance(s.value.value, ast.Name) or not isinstance(s.value.slice, ast.Tuple):
        return None
    t = env.get(s.value.value.id)
    parts = s.value.slice.elts
    axis = axis_gather(parts, lambda p: env.get(p.id, _NOT_ARRAY) if isinstance(p, ast.Name)
                       else _NOT_ARRAY)
    if t is None or not t.is_array or axis is None:
        return None
    return s.value.value.id, parts[axis].id, axis


class _NotArray:
    is_array = False


_NOT_ARRAY = _NotArray()


def read_axis_gathers(fn: ast.FunctionDef, env: dict, used_names: set) -> bool:
    """Rewrite ``fn`` in place; whether anything changed."""
    def replace(s):
        found = _axis_read(s, env)
        if found is None:
            return None
        x, idx, axis = found
        if axis == 0:
            s.value.slice = ast.copy_location(ast.Name(id=idx, ctx=ast.Load()), s.value.slice)
            return [s]
        namer = Namer(used_names)
        moved, picked = namer.fresh(f"_{x.lstrip('_')}_axis{axis}"), namer.fresh("_picked")
        swap = [ast.Constant(0), ast.Constant(axis)]
        gather = ir.mark(ast.copy_location(ast.Subscript(
            value=ast.Name(id=moved, ctx=ast.Load()), slice=ast.Name(id=idx, ctx=ast.Load()),
            ctx=ast.Load()), s), ("subscript",))
        before = [_bind(moved, _call(np.swapaxes, [ast.Name(id=x, ctx=ast.Load())] + swap, s), s),
                  _bind(picked, gather, s)]
        s.value = _call(np.swapaxes, [ast.Name(id=picked, ctx=ast.Load())] + list(swap), s)
        return before + [s]
    return replace_statements(fn, replace)
