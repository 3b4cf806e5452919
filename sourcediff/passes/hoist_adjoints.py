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

In the reverse sweep and in a loop whose forward and reverse iterations are
fused (:func:`reuse_loop_adjoint_buffers`), the allocation inside the loop
becomes ``dh[:] = 0.0`` on the buffer allocated before it (nothing at all
where the iteration ends by zeroing it): the same values, no new array per
iteration.

Taken only where nothing else could see the difference (the forward sweep):

* the allocation is inside a loop of the forward sweep (not in a loop whose
  forward and reverse iterations are fused: there the forward part's
  allocation is what zeroes the buffer for the reverse part);
* the forward sweep mentions the buffer nowhere else (no swap of buffers, no
  move, no view of it bound there);
* the array is a vector, or every binding of it in the forward sweep (the
  tape's placeholders included) is arithmetic, a ufunc, a matrix product or a
  new array (C-contiguous results, as ``np.zeros`` makes), and its lengths (``shape_axes`` of its shape key) read only parameters that
  are never re-bound.
"""
from __future__ import annotations

import ast
import copy

import numpy as np

from .. import ir
from .astutil import nodes

# NumPy functions whose result is a new C-contiguous array, besides the ufuncs
NEW_ARRAYS = {"dot", "matmul", "outer", "zeros", "ones", "empty", "full", "zeros_like",
              "ones_like", "empty_like"}


def hoist_adjoint_inits(body: list, axes_of) -> list:
    """``body`` (the forward sweep) with the adjoint allocations of its loops
    that may be, allocated before the loop; ``axes_of(var)``: expressions
    for the lengths of ``var``'s axes, readable anywhere, and its dtype name,
    or None."""
    mentions: dict = {}
    for n in nodes(ast.Module(body=body, type_ignores=[])):
        if isinstance(n, ast.Name):
            mentions[n.id] = mentions.get(n.id, 0) + 1
    bindings = _bindings(body)

    def moved(s, rest):
        init = _hoisted(s, mentions, bindings, axes_of)
        return None if init is None else (init, [])
    return _before_loops(body, moved, lambda section: section)


def _bindings(stmts) -> dict:
    """name -> the assignments that bind it (tuple targets included)."""
    out: dict = {}
    for s in nodes(ast.Module(body=stmts, type_ignores=[])):
        if isinstance(s, ast.Assign):
            for t in s.targets:
                for n in t.elts if isinstance(t, ast.Tuple) else [t]:
                    if isinstance(n, ast.Name):
                        out.setdefault(n.id, []).append(s)
    return out


def _before_loops(stmts, take, section_of) -> list:
    """``stmts`` with the allocations ``take(s, rest)`` takes out of the loops
    of each compound top-level statement put before it (``rest``: what follows
    ``s`` in its block; ``take`` returns the allocation and what stays in
    ``s``'s place, or None), in the section ``section_of`` gives for the
    statement's own."""
    out = []
    for top in stmts:
        moved: list = []
        if isinstance(top, (ast.For, ast.While, ast.If)):
            _take(top, False, moved, take)
        for init in moved:
            ir.SECTION.set(init, section_of(ir.SECTION(top, None)))
        out.extend(moved)
        out.append(top)
    return out


def _take(stmt, in_loop, moved, take):
    """What ``take`` takes out of the loops under ``stmt``, into ``moved``."""
    inner = in_loop or isinstance(stmt, (ast.For, ast.While))
    for field in ("body", "orelse"):
        block = getattr(stmt, field, None)
        if not block:
            continue
        kept = []
        for k, s in enumerate(block):
            taken = take(s, block[k + 1:]) if inner else None
            if taken is not None:
                moved.append(taken[0])
                kept.extend(taken[1])
                continue
            if isinstance(s, (ast.For, ast.While, ast.If)):
                _take(s, inner, moved, take)
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
    found = axes_of(var)
    if not sites or found is None:
        return None
    axes, dtype = found
    # (a vector's zeros_like is contiguous whatever it is of: a row X[i] too)
    if len(axes) > 1 and not all(_new_contiguous(b.value) for b in sites):
        return None
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
    bindings, shared = _bindings(body + rev), shared_buffers(body + rev)

    def moved(s, rest):
        adj = ir.ADJOINT_INIT(s, None)
        if adj is None or adj in shared or len(bindings.get(adj, [])) != 1:
            return None
        init = _hoisted(s, {adj: 1}, bindings, axes_of)
        if init is None:
            return None
        # (not zeroed at all where the iteration ends by zeroing it)
        return init, [] if _zeroed_last(adj, rest) else [_reset(adj, s)]
    # (before a fused loop: with the other adjoints made where the reverse sweep starts)
    return _before_loops(rev, moved, lambda section: "init" if section == "fused" else section)


def sink_adjoint_zeroings(stmts: list, adjoint_arrays) -> list:
    """``stmts`` (a sweep) with each zeroing of an adjoint buffer that a loop's
    body makes in every iteration and nothing else in the loop mentions (``dx2
    = np.zeros_like(x2)``, ``_dt3[:] = 0.0`` in the forward part of a step
    whose reverse runs after the whole loop: a neural ODE's RK4 stages) made
    once, right after the loop: the buffer ends the loop as the last
    iteration's zeroing left it (the array it is shaped like is not bound
    after it in the body), and no iteration reads it.  (A loop of no
    iteration then zeroes it too: an adjoint buffer is zero wherever nothing
    has added into it yet, which is the case where the forward part runs.)"""
    out = []
    for s in stmts:
        if isinstance(s, (ast.For, ast.While, ast.If)):
            s = copy.copy(s)
            s.body = sink_adjoint_zeroings(s.body, adjoint_arrays)
            s.orelse = sink_adjoint_zeroings(s.orelse, adjoint_arrays)
        after = []
        if isinstance(s, (ast.For, ast.While)) and not s.orelse:
            kept = []
            for k, st in enumerate(s.body):
                adj = _zeroing_of(st, adjoint_arrays)
                if adj is not None and _only_mention(s, st, adj) and \
                        not _bound_after(s.body[k + 1:], st):
                    if ir.SECTION.has(s):
                        ir.SECTION.set(st, ir.SECTION(s))     # (the loop's sweep)
                    after.append(st)
                else:
                    kept.append(st)
            if after:
                s.body = kept or [ast.Pass()]
        out.append(s)
        out.extend(after)
    return out


def _zeroing_of(st, adjoint_arrays):
    """The buffer ``st`` zeroes whole (``dx = np.zeros_like(x)``, ``dx[:] = 0.0``)."""
    if not isinstance(st, ast.Assign) or len(st.targets) != 1:
        return None
    t, v = st.targets[0], st.value
    if isinstance(t, ast.Name) and ir.ADJOINT_INIT(st, None) == t.id and \
            isinstance(v, ast.Call) and ast.unparse(v.func) == "np.zeros_like" and \
            len(v.args) == 1 and isinstance(v.args[0], ast.Name):
        return t.id
    if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and \
            t.value.id in adjoint_arrays and isinstance(t.slice, ast.Slice) and \
            t.slice.lower is None and t.slice.upper is None and t.slice.step is None and \
            isinstance(v, ast.Constant) and v.value == 0.0:
        return t.value.id
    return None


def _only_mention(loop, st, adj) -> bool:
    return sum(isinstance(n, ast.Name) and n.id == adj for n in nodes(loop)) == \
        sum(isinstance(n, ast.Name) and n.id == adj for n in nodes(st))


def _bound_after(later, st) -> bool:
    """What ``st`` shapes its zeros like is bound by a statement of ``later``."""
    like = {a.id for a in getattr(st.value, "args", []) if isinstance(a, ast.Name)}
    return any(isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id in like
               for x in later for n in nodes(x))


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
    if any(isinstance(n, ast.Continue) for s in later for n in nodes(s)):
        return False
    last = next((s for s in reversed(later) if any(
        isinstance(n, ast.Name) and n.id == adj for n in nodes(s))), None)
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

    for s in nodes(ast.Module(body=stmts, type_ignores=[])):
        if isinstance(s, ast.Assign) and not ir.ADJOINT_INIT.has(s):
            visit(s.value, False)
    return out
