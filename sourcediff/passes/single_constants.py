"""Number constants beside float32 values written as float32.

NumPy keeps a float32 array float32 when it meets a Python float (``1.0 + a``);
Numba makes it float64. The types the passes infer follow NumPy, so a tape or
a variable of a loop typed float32 would be given a float64 array by the
compiled code (a Numba typing error: "cannot unify array(float32) and
array(float64)"). Each float constant that is an operand of an arithmetic
operation or of a ufunc with a float32 operand becomes ``np.float32(c)``, the
same value NumPy computes with, and the type Numba infers.
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir


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


def single_constants(fn, env) -> bool:
    """Rewrite ``fn`` in place; whether anything changed."""
    changed = False
    for node in ast.walk(fn):
        if isinstance(node, ast.BinOp):
            if _float_constant(node.left) and _is_float32(node.right, env):
                node.left, changed = _single(node.left), True
            elif _float_constant(node.right) and _is_float32(node.left, env):
                node.right, changed = _single(node.right), True
        elif isinstance(node, ast.Call) and isinstance(ir.PRIM(node, ("", None))[-1], np.ufunc) \
                and any(_is_float32(a, env) for a in node.args):
            new = [_single(a) if _float_constant(a) else a for a in node.args]
            if any(a is not b for a, b in zip(new, node.args)):
                node.args, changed = new, True
    return changed
