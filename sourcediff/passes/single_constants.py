"""Number constants beside float32 values written as float32.

NumPy keeps a float32 array float32 when it meets a Python float (``1.0 + a``);
Numba makes it float64. The types the passes infer follow NumPy, so a tape or
a variable of a loop typed float32 would be given a float64 array by the
compiled code (a Numba typing error: "cannot unify array(float32) and
array(float64)"). Each float constant that is an operand of an arithmetic
operation or of a ufunc with a float32 operand becomes ``np.float32(c)``, the
same value NumPy computes with, and the type Numba infers.

A float64 *variable* beside a float32 array (``lr = 0.5`` or a float
argument, in ``w - lr * g``) is cast the same way, into a new name bound just
before the statement (``_lr32 = np.float32(lr)``; the cast has a rule, so a
gradient with respect to ``lr`` flows through it): the passes type a float
number beside a float32 array as NumPy types a Python float there.
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from ..names import Namer
from .astutil import nodes


def _is_float32(node, env) -> bool:
    if not isinstance(node, ast.Name):
        return False
    t = env.get(node.id)
    return t is not None and getattr(t, "dtype", None) == np.float32


def _single(c):
    call = ast.Call(func=ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()), attr="float32",
                                       ctx=ast.Load()), args=[ast.Constant(float(c.value))],
                    keywords=[])
    return ast.copy_location(call, c)


def _float_constant(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, float)


def _is_float32_array(node, env) -> bool:
    return _is_float32(node, env) and getattr(env.get(node.id), "kind", None) == "array"


def _is_float64_number(node, env) -> bool:
    t = env.get(node.id) if isinstance(node, ast.Name) else None
    return t is not None and t.kind == "float" and t.dtype == np.float64


class _Casts:
    """The float32 casts of float64 numbers one statement needs, bound before it."""

    def __init__(self, stmt, used_names):
        self.stmt, self.used_names, self.before = stmt, used_names, []

    def cast(self, name: ast.Name) -> ast.Name:
        new = Namer(self.used_names).fresh(f"_{name.id.lstrip('_')}32")
        call = ir.mark(ast.Call(func=ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()),
                                                   attr="float32", ctx=ast.Load()),
                                args=[ast.Name(id=name.id, ctx=ast.Load())], keywords=[]),
                       ("call", np.float32))
        bind = ast.Assign(targets=[ast.Name(id=new, ctx=ast.Store())], value=call)
        ir.tag(bind, ir.LINE(self.stmt, None), ir.Kind.ASSIGN)
        self.before.append(ast.fix_missing_locations(ast.copy_location(bind, self.stmt)))
        ast.copy_location(call, name)
        return ast.copy_location(ast.Name(id=new, ctx=ast.Load()), name)


def _operands(node):
    """The operand slots of an arithmetic operation or a ufunc call: (holder, field, index)."""
    if isinstance(node, ast.BinOp):
        return [(node, "left", None), (node, "right", None)]
    if isinstance(node, ast.Call) and isinstance(ir.PRIM(node, ("", None))[-1], np.ufunc):
        return [(node, "args", k) for k in range(len(node.args))]
    return []


def _get(holder, field, k):
    v = getattr(holder, field)
    return v if k is None else v[k]


def _put(holder, field, k, value):
    if k is None:
        setattr(holder, field, value)
    else:
        getattr(holder, field)[k] = value


def _statement(stmt, env, casts) -> bool:
    changed = False
    for node in nodes(stmt):
        slots = _operands(node)
        values = [_get(*slot) for slot in slots]
        if not any(_is_float32(v, env) for v in values):
            continue
        with_array = any(_is_float32_array(v, env) for v in values)
        for slot, v in zip(slots, values):
            if _float_constant(v):
                _put(*slot, _single(v))
                changed = True
            elif with_array and _is_float64_number(v, env):
                _put(*slot, casts.cast(v))
                changed = True
    return changed


def _block(stmts, env, used_names) -> bool:
    changed = False
    k = 0
    while k < len(stmts):
        s = stmts[k]
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                changed = _block(inner, env, used_names) or changed
        casts = _Casts(s, used_names)
        if not isinstance(s, (ast.For, ast.While, ast.If)):
            changed = _statement(s, env, casts) or changed
        elif isinstance(s, (ast.If, ast.While)):
            changed = _statement(s.test, env, casts) or changed
        stmts[k:k] = casts.before
        k += len(casts.before) + 1
    return changed


def single_constants(fn, env, used_names=None) -> bool:
    """Rewrite ``fn`` in place; whether anything changed."""
    return _block(fn.body, env, set() if used_names is None else used_names)
