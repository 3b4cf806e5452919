"""``np.diff(x)`` inside a loop becomes ``x[1:] - x[:-1]`` (``x[:, 1:] - x[:, :-1]``
along the last axis of a matrix, and so on; ``n`` differences one after another).

NumPy's first difference along an axis is that difference of two slices,
element for element (empty for fewer than two elements, as both slices are;
the ``n``-th difference is the first difference taken ``n`` times).
Written so, it is what passes/lower.py reads element by element: a mass
chain's spring extensions ``d = np.diff(x)`` in a time step run as the loop
over ``j`` reading ``x[j + 1] - x[j]``, as the same step written with slices
does, with no array made in the step and none kept for the reverse sweep (the
call kept three arrays a step on lists: 0.33 ms a gradient against the sliced
style's 0.057 ms).

On typed, normalized code: ``t = np.diff(x)`` in a loop body, ``x`` a name of a
float64 array, ``n`` and ``axis`` (positional or keywords) integer constants if
given.  Outside loops the call stays (it runs once).
"""
from __future__ import annotations

import ast
import math

import numpy as np

from .. import ir
from ..names import Namer
from .astutil import replace_statements


def differences_as_slices(fn: ast.FunctionDef, env: dict, used_names: set) -> bool:
    """Rewrite ``fn`` in place; whether any difference changed (the new names'
    types are then inferred again)."""
    def rewrite(s):
        return _as_slices(s, env, used_names) if _difference(s, env) else None
    return replace_statements(fn, rewrite, in_loops_only=True)


def _difference(s, env):
    """``(x, n, axis)`` where ``s`` is ``t = np.diff(x[, n][, axis])`` of a name of a
    float64 array, ``n`` and ``axis`` integer constants (keywords or positional; ``axis``
    made non-negative), ``n >= 1``; else None."""
    v = getattr(s, "value", None)
    if not (isinstance(s, ast.Assign) and ir.KIND(s) == ir.Kind.ASSIGN and
            isinstance(s.targets[0], ast.Name) and isinstance(v, ast.Call) and
            ir.PRIM(v, ("",))[:2] == ("call", np.diff) and 1 <= len(v.args) <= 3 and
            isinstance(v.args[0], ast.Name)):
        return None
    t = env.get(v.args[0].id)
    if t is None or not t.is_array or t.dtype != np.float64 or t.ndim < 1:
        return None
    given = dict(zip(("n", "axis"), v.args[1:]))
    for k in v.keywords:
        if k.arg not in ("n", "axis") or k.arg in given:
            return None
        given[k.arg] = k.value
    n, axis = (integer_constant(given.get(key), default) for key, default in (("n", 1), ("axis", -1)))
    if n is None or axis is None or n < 1 or not -t.ndim <= axis < t.ndim:
        return None
    return v.args[0].id, n, axis % t.ndim


def integer_constant(node, default):
    """The value of an integer constant ``node`` (``-1`` included), ``default`` where
    ``node`` is None, else None."""
    if node is None:
        return default
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = integer_constant(node.operand, None)
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _cut(ndim, axis, piece):
    """The index taking ``piece`` (a slice) along ``axis`` of an ``ndim``-d array and
    everything along the others: ``x[1:]``, ``x[:, 1:]``."""
    if ndim == 1:
        return piece
    return ast.Tuple(elts=[piece if a == axis else ast.Slice() for a in range(ndim)],
                     ctx=ast.Load())


def terms(n: int) -> list:
    """The ``n``-th difference as a sum of shifted slices: ``(coefficient, lower,
    upper)`` for each ``x[lower:upper]`` (None: that end open), highest shift first
    (``n = 2``: ``x[2:] - 2 x[1:-1] + x[:-2]``).  One pass over the elements reads
    them all; repeated first differences would make an array per difference."""
    return [((-1) ** (n - k) * math.comb(n, k), k or None, (k - n) or None)
            for k in range(n, -1, -1)]


def _as_slices(s, env, used_names) -> list:
    """``x_k = x[..., k:k - n]`` for each term of the ``n``-th difference along the
    axis, then their signed sum, the last bound to ``t`` (the statement itself, its
    value replaced)."""
    x, n, axis = _difference(s, env)
    ndim = env[x].ndim
    namer = Namer(used_names)
    line = ir.LINE(s)
    base = x.lstrip("_")
    out = []

    def bind(hint, value):
        name = namer.fresh(f"_{base}_{hint}")
        out.append(ir.tag(ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value),
                          line, "assign"))
        return name

    def binop(left, op, right):
        return ir.mark(ast.BinOp(left=left, op=op, right=right), ("binop", type(op).__name__))

    total = None
    for coefficient, lower, upper in terms(n):
        piece = ast.Slice(lower=None if lower is None else ast.Constant(lower),
                          upper=None if upper is None else _constant(upper))
        read = bind("upper" if upper is None else "lower" if lower is None else "shift",
                     ir.mark(ast.Subscript(value=ast.Name(id=x, ctx=ast.Load()),
                                           slice=_cut(ndim, axis, piece), ctx=ast.Load()),
                             ("subscript",)))
        term = ast.Name(id=read, ctx=ast.Load())
        if abs(coefficient) != 1:
            term = ast.Name(id=bind("scaled", binop(ast.Constant(abs(coefficient)), ast.Mult(),
                                                    term)), ctx=ast.Load())
        if total is None:
            total = term
            continue
        value = binop(total, ast.Add() if coefficient > 0 else ast.Sub(), term)
        if (lower, upper) == (None, -n):          # the last term: the statement's value
            s.value = value
            out.append(s)
            return out
        total = ast.Name(id=bind("partial", value), ctx=ast.Load())
    raise AssertionError("the last term binds the statement")


def _constant(value: int):
    return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(-value)) if value < 0 \
        else ast.Constant(value)
