"""Tape layout: where the reverse sweep finds values the forward sweep overwrote.

The reverse pass decides *what* to save (``save_at``); this planner decides
*where*.  An array element overwritten inside a nest of counted loops
(``for`` over ``range`` with step 1, bounds that do not change inside the
nest) goes into an array allocated before the nest, one slot per iteration,
indexed by the loop counters -- ``_saved_u_items[t * (n - 2) + (i - 1)]`` --
instead of a growing list: no append or pop per element, and the batched and
CUDA lowering sees a tape of known size.  Everything else keeps its list.
"""
from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

import numpy as np

from .. import ir


@dataclass
class IndexedTape:
    """A tape array for one store site: allocated before ``outer`` with
    ``capacity`` slots of ``dtype``; the site's slot is ``index``."""
    outer: ast.For
    capacity: ast.expr
    index: ast.expr
    dtype: np.dtype


def enclosing(stmts, stack=()) -> dict:
    """id(statement) -> the compound statements around it, outermost first."""
    out = {}
    for s in stmts:
        out[id(s)] = list(stack)
        for f in ("body", "orelse"):
            if getattr(s, f, None):
                out.update(enclosing(getattr(s, f), (*stack, s)))
    return out


def counted(loop):
    """``(lo, hi)`` of ``for i in range(lo, hi)`` with step 1, else None."""
    if not isinstance(loop, ast.For) or ir.COUNT(loop):
        return None
    it = loop.iter
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
            and not it.keywords and 1 <= len(it.args) <= 3):
        return None
    if len(it.args) == 3 and not (isinstance(it.args[2], ast.Constant) and it.args[2].value == 1):
        return None
    return (ast.Constant(0), it.args[0]) if len(it.args) == 1 else (it.args[0], it.args[1])


def _trips(lo, hi):
    if isinstance(lo, ast.Constant) and isinstance(hi, ast.Constant):
        return ast.Constant(max(hi.value - lo.value, 0))
    span = ast.BinOp(left=copy.deepcopy(hi), op=ast.Sub(), right=copy.deepcopy(lo))
    if isinstance(lo, ast.Constant) and lo.value == 0:
        span = copy.deepcopy(hi)
    return ast.Call(func=ast.Name(id="max", ctx=ast.Load()), args=[span, ast.Constant(0)],
                    keywords=[])


def plan_indexed_tapes(fn, sites, element_dtype) -> dict:
    """For each store site ``(stmt, base)`` in ``sites``, an :class:`IndexedTape`
    where its loop nest allows one.  Each site has a tape of its own (a site
    runs once per iteration of its nest, so its slots never collide), also
    when other sites write into the same array."""
    around = enclosing(fn.body)
    plan = {}
    for stmt, _base in sites:
        dtype = element_dtype(stmt)
        loops = [s for s in around[id(stmt)] if isinstance(s, (ast.For, ast.While))]
        if dtype is None or not loops or any(isinstance(s, ast.While) for s in loops):
            continue
        bounds = [counted(loop) for loop in loops]
        if any(b is None for b in bounds):
            continue
        written = {n.id for n in ast.walk(loops[0])
                   if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        used = {n.id for lo, hi in bounds for e in (lo, hi) for n in ast.walk(e)
                if isinstance(n, ast.Name)}
        if used & written:
            continue        # a bound that changes inside the nest (a triangular loop)
        capacity, index = None, None
        for loop, (lo, hi) in zip(loops, bounds):
            trips = _trips(lo, hi)
            capacity = trips if capacity is None else ast.BinOp(left=capacity, op=ast.Mult(),
                                                                right=trips)
            step = ast.Name(id=loop.target.id, ctx=ast.Load())
            if not (isinstance(lo, ast.Constant) and lo.value == 0):
                step = ast.BinOp(left=step, op=ast.Sub(), right=copy.deepcopy(lo))
            index = step if index is None else ast.BinOp(
                left=ast.BinOp(left=index, op=ast.Mult(), right=copy.deepcopy(trips)),
                op=ast.Add(), right=step)
        plan[id(stmt)] = IndexedTape(loops[0], capacity, index, dtype)
    return plan
