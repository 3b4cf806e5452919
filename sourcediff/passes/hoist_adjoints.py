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


def reuse_loop_adjoint_buffers(rev: list, body: list, axes_of) -> list:
    """``rev`` (the reverse sweep, fused loops included) with each adjoint
    allocation inside a loop made once before the loop, and zeroed in place
    where it was (``dh = np.zeros_like(h)`` -> ``dh[:] = 0.0``): the same
    values, without a new array per iteration.  Only for a buffer bound by
    that allocation alone, whose array is bound only to new C-contiguous
    arrays with lengths known from the parameters, and whose memory no other
    name ever holds (no view, swap or copy-free helper result of it bound to
    a name), so no old buffer is read after being zeroed."""
    every = body + rev
    bindings: dict = {}
    for s in ast.walk(ast.Module(body=every, type_ignores=[])):
        if isinstance(s, ast.Assign):
            for t in s.targets:
                for n in t.elts if isinstance(t, ast.Tuple) else [t]:
                    if isinstance(n, ast.Name):
                        bindings.setdefault(n.id, []).append(s)
    shared = shared_buffers(every)
    out = []
    for top in rev:
        moved = []
        if isinstance(top, (ast.For, ast.While, ast.If)):
            _zero_in_place(top, False, moved, bindings, shared, axes_of)
        section = ir.SECTION(top, None)
        for init in moved:
            ir.SECTION.set(init, "init" if section == "fused" else section)
        out.extend(moved)
        out.append(top)
    return out


def _zero_in_place(stmt, in_loop, moved, bindings, shared, axes_of):
    inner = in_loop or isinstance(stmt, (ast.For, ast.While))
    for field in ("body", "orelse"):
        block = getattr(stmt, field, None)
        if not block:
            continue
        kept = []
        for k, s in enumerate(block):
            adj = ir.ADJOINT_INIT(s, None) if inner else None
            init = None
            if adj is not None and adj not in shared and len(bindings.get(adj, [])) == 1:
                init = _hoisted(s, {adj: 1}, bindings, axes_of)
            if init is not None:
                moved.append(init)
                if not _zeroed_last(adj, block[k + 1:]):
                    kept.append(_reset(adj, s))
                continue      # (else zero when the block ends, so when it starts again)
            if isinstance(s, (ast.For, ast.While, ast.If)):
                _zero_in_place(s, inner, moved, bindings, shared, axes_of)
            kept.append(s)
        setattr(stmt, field, kept or [ast.Pass()])


def _reset(adj, s):
    """``adj[:] = 0.0`` in the place of ``s``."""
    reset = ast.Assign(targets=[ast.Subscript(value=ast.Name(id=adj, ctx=ast.Load()),
                                              slice=ast.Slice(), ctx=ast.Store())],
                       value=ast.Constant(0.0), lineno=0)
    ast.copy_location(reset, s)
    ir.LINE.set(reset, ir.LINE(s, None))
    return reset


def _zeroed_last(adj, later) -> bool:
    """The last of ``later`` (the rest of a loop's body) to mention ``adj``
    sets it all to zero (``adj[:] = 0.0``), and no ``continue`` skips it."""
    if any(isinstance(n, ast.Continue) for s in later for n in ast.walk(s)):
        return False
    last = next((s for s in reversed(later) if any(
        isinstance(n, ast.Name) and n.id == adj for n in ast.walk(s))), None)
    return isinstance(last, ast.Assign) and isinstance(last.targets[0], ast.Subscript) and \
        isinstance(last.targets[0].value, ast.Name) and last.targets[0].value.id == adj and \
        isinstance(last.targets[0].slice, ast.Slice) and last.targets[0].slice.lower is None \
        and last.targets[0].slice.upper is None and last.targets[0].slice.step is None and \
        isinstance(last.value, ast.Constant) and last.value.value == 0.0


def shared_buffers(stmts) -> set:
    """Names whose array another name may come to hold: read in the value of
    an assignment to a name other than as an element or an operand of
    arithmetic (``v = d[1:]``, ``t = d``, ``a, b = b, a``, ``g = unbroadcast(d, x)``)."""
    out = set()

    def visit(node, parent_ok):
        if isinstance(node, ast.Name):
            if not parent_ok:
                out.add(node.id)
            return
        if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Compare)):
            for child in ast.iter_child_nodes(node):
                visit(child, True)
            return
        if isinstance(node, ast.Subscript):
            parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            element = not any(isinstance(p, ast.Slice) for p in parts)
            visit(node.value, parent_ok or element)
            visit(node.slice, True)
            return
        if isinstance(node, ast.Attribute):
            visit(node.value, parent_ok or node.attr in ("shape", "size", "ndim"))
            return
        for child in ast.iter_child_nodes(node):
            visit(child, parent_ok and not isinstance(node, ast.Call))

    for s in ast.walk(ast.Module(body=stmts, type_ignores=[])):
        if isinstance(s, ast.Assign) and not ir.ADJOINT_INIT.has(s):
            visit(s.value, False)
    return out
