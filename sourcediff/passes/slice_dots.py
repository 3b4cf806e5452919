"""Dot products of slices whose length moves with a loop counter, as loops.

A Cholesky factorization or a triangular solve written with NumPy's dot of
slices takes rows whose length changes from one iteration to the next::

    for i in range(n):
        for j in range(i):
            K[i, j] = (K[i, j] - np.dot(K[i, :j], K[j, :j])) / K[j, j]

The rows ``passes/lower.py`` lowers have lengths fixed by their axis (slices
with constant bounds); these stayed NumPy code: a BLAS call for a few
elements, two views made per iteration, which the plan then stored in lists
("values that are not numbers"), and in reverse two adjoint rows allocated
per iteration.  Here each such product is a sum over an element loop::

    n_k = slice_length(0, j, K.shape[1])
    dot_sum = 0.0
    for k in range(n_k):
        dot_sum = dot_sum + K[i, k] * K[j, k]

which the scalar techniques take from there (element saves in preallocated
tapes, adds into ``dK[i, k]`` that vectorize).  A new user's Gaussian process
written this way: value and gradient 12.4 -> see the thirty-ninth session's
notes in benchmarks/RESULTS.md.

Taken: ``r = a @ b`` or ``r = np.dot(a, b)`` inside a loop, where ``a`` and
``b`` are each bound once, by the statements right before it, to a 1-d view
``X[..., lo:hi, ...]`` of a float64 array (integers on every other axis, a
step of 1 or none) and read by this product only; the view is read at the
product, as NumPy's view is (its elements as they are then).  The lengths are
NumPy's (``slice_length``: negative bounds count from the end, bounds past
the end are clipped), checked equal at run time (``equal_length``: NumPy
raises too) unless both slices cut one axis alike.  The order of the
summation is the loop's (BLAS's may differ in the last bits).
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from ..names import Namer
from ..runtime.helpers import equal_length, slice_length, slice_start
from .astutil import bound_names, nodes, own_reads, walk

_DOT = id(np.dot)


def reduce_slice_dots(fn: ast.FunctionDef, env: dict, used_names: set) -> bool:
    """Rewrite ``fn`` in place; whether anything changed (``used_names`` gets the
    new names)."""
    bound, readers = {}, {}
    for s in walk(fn.body):
        for n in bound_names(s):
            bound[n] = bound.get(n, 0) + 1
        for n in own_reads(s):
            readers[n] = readers.get(n, 0) + 1
    changed = False

    def visit(stmts, in_loop):
        nonlocal changed
        for s in stmts:
            for f in ("body", "orelse"):
                if getattr(s, f, None):
                    setattr(s, f, visit(getattr(s, f), in_loop or isinstance(
                        s, (ast.For, ast.While))))
        if not in_loop:
            return stmts
        out = list(stmts)
        k = 0
        while k < len(out):
            found = _product(out, k, env, bound, readers)
            if found is None:
                k += 1
                continue
            first, views = found
            loop = _as_loop(out[k], views, used_names)
            out[first:k + 1] = loop
            k = first + len(loop)
            changed = True
        return out

    fn.body = visit(fn.body, False)
    return changed


def _product(stmts, k, env, bound, readers):
    """``(index of the first view statement, [(view, base, parts), ...])`` when
    ``stmts[k]`` is a dot product of two views of varying length bound right
    before it; else None."""
    s = stmts[k]
    if ir.KIND(s) != ir.Kind.ASSIGN or not isinstance(s, ast.Assign) or \
            not isinstance(s.targets[0], ast.Name):
        return None
    v, prim = s.value, ir.PRIM(s.value) or ("",)
    if prim == ("binop", "MatMult"):
        operands = [v.left, v.right]
    elif prim[0] == "call" and id(prim[1]) == _DOT and len(v.args) == 2 and not v.keywords:
        operands = list(v.args)
    else:
        return None
    if not all(isinstance(a, ast.Name) for a in operands):
        return None
    names = {a.id for a in operands}       # (one view twice: np.dot(a, a))
    views, first = [], k
    defs = {}
    for j in range(k - 1, max(k - 1 - len(names), -1), -1):   # the statements before it
        d = stmts[j]
        if isinstance(d, ast.Assign) and len(d.targets) == 1 and \
                isinstance(d.targets[0], ast.Name) and d.targets[0].id in names and \
                d.targets[0].id not in defs:
            defs[d.targets[0].id] = (j, d)
        else:
            break
    if len(defs) != len(names):
        return None
    for a in ({a.id: a for a in operands}.values()):
        j, d = defs[a.id]
        view = _view(d, env)
        if view is None or bound.get(a.id) != 1 or readers.get(a.id) != 1:
            return None
        views.append(view)
        first = min(first, j)
    # a name a view's index reads must not be the other view's name
    read = {n.id for _b, parts in views for p in parts for n in nodes(p)
            if isinstance(n, ast.Name)}
    if read & set(defs):
        return None
    # a slice cut by a constant-bound slice is lower.py's (its element loops)
    if all(_constant_cut(_slice_of(parts)) for _b, parts in views):
        return None
    return first, views


def _view(d, env):
    """``(base, parts)`` of ``a = X[parts]``: one slice of step 1, integers elsewhere,
    every axis of a float64 ``X`` named; else None."""
    v = d.value
    if ir.KIND(d) != ir.Kind.ASSIGN or not isinstance(v, ast.Subscript) or \
            not isinstance(v.value, ast.Name):
        return None
    t = env.get(v.value.id)
    if t is None or not t.is_array or t.dtype != np.float64:
        return None
    parts = list(v.slice.elts) if isinstance(v.slice, ast.Tuple) else [v.slice]
    if len(parts) != t.ndim or sum(isinstance(p, ast.Slice) for p in parts) != 1:
        return None
    for p in parts:
        if isinstance(p, ast.Slice):
            if p.step is not None and not (isinstance(p.step, ast.Constant) and
                                           p.step.value == 1):
                return None
            if not all(e is None or _integer(e, env) for e in (p.lower, p.upper)):
                return None
        elif not _integer(p, env):
            return None
    return v.value.id, parts


def _integer(e, env) -> bool:
    if isinstance(e, ast.Constant):
        return type(e.value) is int
    if isinstance(e, ast.Name):
        t = env.get(e.id)
        return t is not None and t.is_scalar and t.kind == "int"
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub, ast.Mult)):
        return _integer(e.left, env) and _integer(e.right, env)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        return _integer(e.operand, env)
    return False


def _slice_of(parts):
    return next(p for p in parts if isinstance(p, ast.Slice))


def _constant_cut(p) -> bool:
    return all(e is None or isinstance(e, ast.Constant) for e in (p.lower, p.upper))


def _axis_length(base, parts):
    axis = next(k for k, p in enumerate(parts) if isinstance(p, ast.Slice))
    return ast.Subscript(value=ir.mark(ast.Attribute(value=ast.Name(id=base, ctx=ast.Load()),
                                                     attr="shape", ctx=ast.Load()),
                                       ("attr", "shape")),
                         slice=ast.Constant(axis), ctx=ast.Load())


def _as_loop(s, views, used_names) -> list:
    namer = Namer(used_names)
    line = ir.LINE(s)
    r = s.targets[0].id

    def fresh(hint):
        name = namer.take(hint) if hint not in namer else namer.numbered(f"_{hint}", 2)
        used_names.add(name)
        return name

    def assign(target, value, kind=ir.Kind.ASSIGN):
        return ir.tag(ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=value),
                      line, kind)

    def call(fn, *args):
        return ir.mark(ast.Call(func=ast.Name(id=fn.__name__, ctx=ast.Load()),
                                args=list(args), keywords=[]), ("call", fn))

    # (one axis cut alike twice: one length, one start; np.dot(a, a): one view)
    views = views * 2 if len(views) == 1 else views
    same = views[0][0] == views[1][0] and \
        _axis_of(views[0][1]) == _axis_of(views[1][1]) and \
        ast.dump(_slice_of(views[0][1])) == ast.dump(_slice_of(views[1][1]))
    out, lengths, starts = [], [], []
    for base, parts in views[:1] if same else views:
        p = _slice_of(parts)
        n_axis = _axis_length(base, parts)
        lo = ir.clone(p.lower) if p.lower is not None else ast.Constant(0)
        hi = ir.clone(p.upper) if p.upper is not None else ir.clone(n_axis)
        length = fresh("n_k")
        out.append(assign(length, call(slice_length, lo, hi, ir.clone(n_axis))))
        lengths.append(length)
        if p.lower is None or isinstance(p.lower, ast.Constant) and p.lower.value == 0:
            starts.append(None)
        else:
            start = fresh("k0")
            out.append(assign(start, call(slice_start, ir.clone(p.lower), ir.clone(n_axis))))
            starts.append(start)
    if same:
        starts.append(starts[0])
    n = lengths[0]
    if not same:
        n = fresh("n_k")
        out.append(assign(n, call(equal_length, ast.Name(id=lengths[0], ctx=ast.Load()),
                                  ast.Name(id=lengths[1], ctx=ast.Load()))))
    acc = fresh(f"{r.lstrip('_')}_sum")
    out.append(assign(acc, ir.mark(ast.Constant(0.0), ("const",))))
    k = fresh("k")
    body, items = [], []
    for (base, parts), start in zip(views[:1] if views[0] is views[1] else views, starts):
        at = ast.Name(id=k, ctx=ast.Load())
        if start is not None:
            at = ir.mark(ast.BinOp(left=ast.Name(id=start, ctx=ast.Load()), op=ast.Add(),
                                   right=at), ("binop", "Add"))
        index = [at if isinstance(p, ast.Slice) else ir.clone(p) for p in parts]
        read = ir.mark(ast.Subscript(value=ast.Name(id=base, ctx=ast.Load()),
                                     slice=index[0] if len(index) == 1 else
                                     ast.Tuple(elts=index, ctx=ast.Load()),
                                     ctx=ast.Load()), ("subscript",))
        item = fresh(f"{base}_k")
        body.append(assign(item, read))
        items.append(item)
    p = fresh("p")
    body.append(assign(p, ir.mark(ast.BinOp(left=ast.Name(id=items[0], ctx=ast.Load()),
                                            op=ast.Mult(),
                                            right=ast.Name(id=items[-1], ctx=ast.Load())),
                                  ("binop", "Mult"))))
    body.append(assign(acc, ir.mark(ast.BinOp(left=ast.Name(id=acc, ctx=ast.Load()),
                                              op=ast.Add(),
                                              right=ast.Name(id=p, ctx=ast.Load())),
                                    ("binop", "Add")), ir.Kind.ACCUMULATE))
    loop = ir.tag(ast.For(target=ast.Name(id=k, ctx=ast.Store()),
                          iter=ast.Call(func=ast.Name(id="range", ctx=ast.Load()),
                                        args=[ast.Name(id=n, ctx=ast.Load())], keywords=[]),
                          body=body, orelse=[], type_comment=None), line, "for")
    out.append(loop)
    out.append(assign(r, ir.mark(ast.Name(id=acc, ctx=ast.Load()), ("copy",))))
    return out


def _axis_of(parts):
    return next(k for k, p in enumerate(parts) if isinstance(p, ast.Slice))
