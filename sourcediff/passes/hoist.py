"""Sizes read inside a loop from arrays the loop never rebinds move before it.

A helper inlined into a time loop brings its own ``hidden = h.shape[0]``::

    for t in range(steps):
        _t6 = h.shape
        hidden2 = _t6[0]
        for j in range(hidden2):
            ...
            c[j] = f_gate * c[j] + i_gate * g

The inner loop's bound is then a value the outer loop assigns, so the tape
planner knows no bound on the inner loop before the nest runs (the saves
of ``c[j]`` went to lists, and ``hidden2`` itself to a tape).  An array's
shape changes only when its name is rebound (not by ``x += y``, which
writes into it); so, on normalized and typed
code, a statement at the top level of a loop body that reads the shape of
an array the loop never rebinds (``_t6 = h.shape``), an element of such
a shape (``hidden2 = _t6[0]``, ``n = h.shape[0]``) or its length (``n =
len(h)``), and binds a name bound nowhere else, moves before the loop -- out of each enclosing loop in turn,
while it stays invariant.  Reading a shape has no effect and cannot fail,
so doing it when the loop runs no iteration changes nothing.  So does the
transpose of an array nothing in the function writes into and the loop never
rebinds (``_t3 = X.T`` of a gradient step ``X.T @ r``), made once, as a
C-contiguous copy (``transposed(X)``: its products and the rank-1 updates of
its adjoint run along rows; a kernel Sinkhorn's gradient 0.80 -> 0.67 ms),
that needs no tape (the reverse sweep kept one per iteration) and whose
adjoint is added into ``X``'s once, after the reverse loop.  So does a view of
all of such an array (``c[None, :]``, normalized ``_t5 = c[:]; _t6 =
np.expand_dims(_t5, 0)``): the reverse sweep kept the view of each iteration
on a list.  An array the
loop re-binds with values of one shape (passes/shapes.py: ``p = r + beta *
p`` of a conjugate-gradient step) counts as not re-bound when it is bound
before the loop: its shape there is its shape in every iteration.

So does a small array made again from numbers the loop does not change
(passes/small_arrays.py writes a 4x4 ``F`` as sixteen numbers, and makes the
array again where a product with an array needs it: ``F.T`` in ``P = F @ P @
F.T + Q``, ``np.eye(4)`` in ``(np.eye(4) - K @ H) @ P``): its allocation, the
stores that fill it, and the constants among its elements (bound once, in
the loop) move before the loop, where nothing else writes into the array.
Made in each step, it was a new array to keep on the tape in each (a Kalman
filter's reverse sweep read back three such matrices a step).
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from ..runtime.helpers import empty_grid, empty_stack, transposed
from .astutil import bound_names, free_names, insert_before, nodes, stored_names, takes_all, walk
from .shapes import fixed_shapes
from .sites import collect_sites


def hoist_shape_reads(fn: ast.FunctionDef, env: dict) -> bool:
    """Rewrite ``fn`` in place; returns whether a statement moved."""
    binds: dict = {}
    for s in walk(fn.body):
        for n in bound_names(s):
            binds[n] = binds.get(n, 0) + 1
    params = [a.arg for a in fn.args.args]
    sites, _ = collect_sites(fn)
    # arrays whose every value has one shape (passes/shapes.py): re-bound in a
    # loop, they keep the shape they had before it
    one_shape = fixed_shapes(env, params, sites)
    # arrays written into somewhere (their views show the writes)
    written = {n.value.id for n in nodes(fn) if isinstance(n, ast.Subscript) and
               isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name)}
    return insert_before(fn, lambda s: _invariant_sizes(s, binds, env, sites, one_shape,
                                                        written, fn)
                         if isinstance(s, (ast.For, ast.While)) else [])


def _invariant_sizes(loop, binds, env, sites, one_shape, written=frozenset(), fn=None) -> list:
    """The statements of ``loop``'s body that move before it (taken out of it)."""
    # (``x += y`` on an array writes into it: its shape stays)
    in_place = {s.targets[0].id for s in walk(loop.body) if ir.KIND(s) == ir.Kind.ACCUMULATE
                and ir.AUGMENTED(s) and env.get(s.targets[0].id) is not None
                and env[s.targets[0].id].is_array}
    other = {n for s in walk(loop.body) if not (ir.KIND(s) == ir.Kind.ACCUMULATE and
                                                ir.AUGMENTED(s)) for n in bound_names(s)}
    rebound = stored_names(loop) - (in_place - other) - _bound_before(loop, sites, one_shape)
    shapes: set = set()              # names bound to a shape tuple that moved
    moved, kept = [], []
    fixed = written | stored_names(loop)        # (a transpose needs the values too)
    grids = _invariant_grids(fn, loop, binds) if fn is not None else set()
    for s in loop.body:
        if id(s) in grids:
            moved.append(s)
            continue
        name = _size_read(s, rebound, shapes, binds, env, fixed)
        if name is None:
            kept.append(s)
            continue
        if ir.PRIM(s.value, ("",)) == ("attr", "T") and env[s.value.value.id].ndim == 2:
            # made once: a C-contiguous copy, whose products and adjoint buffer run
            # along its rows (a kernel Sinkhorn's reverse adds a rank-1 update into
            # the transpose's adjoint in every iteration: across rows of a view)
            s.value = ir.mark(ast.Call(func=ast.Name(id="transposed", ctx=ast.Load()),
                                       args=[s.value.value], keywords=[]),
                              ("call", transposed))
        moved.append(s)
        rebound.discard(name)
        fixed.discard(name)         # (a view of a view moved: ``np.expand_dims(c[:], 0)``)
        if env.get(name) is not None and env[name].kind == "tuple":
            shapes.add(name)
    if not kept:
        return []            # (a loop of nothing but size reads: left as it is)
    loop.body = kept
    return moved


def _invariant_grids(fn, loop, binds) -> set:
    """The ids of the statements of ``loop``'s body that make a small array from
    numbers the loop does not change (an ``empty_grid`` or ``empty_stack`` and
    the element stores right after it, with the constant assignments, bound
    once, of its elements), where the array is bound once, nothing else
    stores into it, and it is read only as an operand (no other name, view or
    callee holds it: one array for every iteration changes nothing)."""
    body = loop.body
    assigned = {n for st in walk(body) for n in bound_names(st)}
    constants = {st.targets[0].id: st for st in body
                 if ir.KIND(st) == ir.Kind.ASSIGN and isinstance(st.targets[0], ast.Name)
                 and isinstance(st.value, ast.Constant) and binds.get(st.targets[0].id) == 1}
    stores = {}              # array -> the statements storing into it
    for st in walk(body):
        if ir.KIND(st) in (ir.Kind.STORE, ir.Kind.AUGSTORE):
            t = st.targets[0] if isinstance(st, ast.Assign) else st.target
            if isinstance(t.value, ast.Name):
                stores.setdefault(t.value.id, []).append(st)
    out = set()
    for k, st in enumerate(body):
        if not (isinstance(st, ast.Assign) and len(st.targets) == 1 and
                isinstance(st.targets[0], ast.Name) and
                ir.PRIM(st.value, ("",)) in (("call", empty_grid), ("call", empty_stack))):
            continue
        name = st.targets[0].id
        fills = body[k + 1:k + 1 + len(stores.get(name, []))]
        if binds.get(name) != 1 or [id(x) for x in fills] != \
                [id(x) for x in stores.get(name, [])] or \
                any(ir.KIND(x) != ir.Kind.STORE or free_names(x.targets[0].slice) for x in fills):
            continue
        reads = free_names(st.value) | {n for x in fills for n in free_names(x.value)}
        if (reads - set(constants)) & assigned or not _operand_only(fn, name, len(fills)):
            continue
        out |= {id(st)} | {id(x) for x in fills} | \
            {id(constants[n]) for n in reads if n in constants}
    return out


def _operand_only(fn, name, stores) -> bool:
    """Every read of array ``name`` in ``fn`` is an operand of arithmetic or of
    a NumPy function (``F @ P``, ``np.linalg.solve(S, b)``), and it is stored
    into ``stores`` times."""
    stored = 0
    for n in nodes(fn):
        for child in ast.iter_child_nodes(n):
            if isinstance(child, ast.Name) and child.id == name and \
                    isinstance(child.ctx, ast.Load):
                if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store):
                    stored += 1
                    continue
                ok = isinstance(n, ast.BinOp) or isinstance(n, ast.Call) and \
                    child in n.args and getattr(ir.PRIM(n, ("",))[1], "__module__", "") \
                    .startswith("numpy")
                if not ok:
                    return False
    return stored == stores


def _whole_view(v, prim) -> bool:
    """``x[:]`` (``x[:, :]``) or ``np.expand_dims(x, a)`` of a constant axis ``a``."""
    if prim == ("subscript",):
        return takes_all(v.slice)
    return prim == ("call", np.expand_dims) and len(v.args) == 2 and not v.keywords and \
        isinstance(v.args[1], ast.Constant) and type(v.args[1].value) is int


def _bound_before(loop, sites, arrays) -> set:
    """The names of ``arrays`` (of one shape) bound before ``loop`` starts: a
    parameter never re-bound, or a name first bound at the top of the
    function before the loop (reading its shape there cannot fail)."""
    inside = {id(s) for s in walk([loop])}
    start = min((st.order for ss in sites.values() for st in ss if id(st.stmt) in inside),
                default=None)
    out = set()
    for name in arrays:
        ss = sites.get(name)
        if not ss:
            out.add(name)              # a parameter never re-bound
            continue
        first = min(ss, key=lambda st: st.order)
        if first.top_level and id(first.stmt) not in inside and start is not None and \
                first.order < start:
            out.add(name)
    return out


def _size_read(s, rebound, shapes, binds, env, changed=frozenset()):
    """The name ``s`` binds when it reads a shape the loop cannot change, or
    transposes or views all of an array of which nothing is ``changed``."""
    if not isinstance(s, ast.Assign) or ir.KIND(s) != ir.Kind.ASSIGN or \
            len(s.targets) != 1 or not isinstance(s.targets[0], ast.Name):
        return None
    name = s.targets[0].id
    if binds.get(name) != 1:
        return None
    v = s.value
    prim = ir.PRIM(v, ("",))
    if prim == ("attr", "shape"):
        base = v.value
        ok = isinstance(base, ast.Name) and base.id not in rebound and \
            env.get(base.id) is not None and env[base.id].is_array
    elif _whole_view(v, prim):
        # a view of all of an array nothing writes into (``c[None, :]``, normalized
        # ``_t5 = c[:]; _t6 = np.expand_dims(_t5, 0)``): the same elements however often
        # it is made, and making it cannot fail (the axis is checked here)
        base = v.value if prim == ("subscript",) else v.args[0]
        ok = isinstance(base, ast.Name) and base.id not in changed and \
            env.get(base.id) is not None and env[base.id].is_array and \
            (prim == ("subscript",) or 0 <= v.args[1].value <= env[base.id].ndim)
    elif prim == ("subscript",):
        base = v.value
        ok = isinstance(v.slice, ast.Constant) and isinstance(v.slice.value, int) and (
            isinstance(base, ast.Name) and base.id in shapes or
            isinstance(base, ast.Attribute) and base.attr == "shape" and
            isinstance(base.value, ast.Name) and base.value.id not in rebound and
            env.get(base.value.id) is not None and env[base.value.id].is_array)
    elif prim == ("call", len) and len(v.args) == 1:         # n = len(h)
        base = v.args[0]
        ok = isinstance(base, ast.Name) and base.id not in rebound and \
            env.get(base.id) is not None and env[base.id].is_array and env[base.id].ndim >= 1
    elif prim == ("attr", "T") or prim == ("call", transposed):
        base = v.value if prim == ("attr", "T") else v.args[0]
        ok = isinstance(base, ast.Name) and base.id not in changed and \
            env.get(base.id) is not None and env[base.id].is_array
    else:
        ok = False
    return name if ok else None
