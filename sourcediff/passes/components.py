"""Arrays whose last axis is a point's few coordinates: one array per coordinate.

Array-style particle and cloth code computes with ``(n, 3)`` or ``(N, N, 3)``
arrays whose last axis holds a point's coordinates::

    d = x[:, 1:, :] - x[:, :-1, :]
    r = np.sqrt(np.sum(d * d, axis=2))
    s = k * (r - L0) / r
    fs = s[:, :, None] * d
    F[:, :-1, :] += fs

The sum along the coordinates and the broadcast ``s[:, :, None]`` mix arrays
of two ranks, which the element loops of passes/lower.py do not take: each
statement stays a whole-array operation, allocating per time step, and the
adjoint keeps every such array on a list (a new user's cloth: 9x its primal).
Where the coordinate axis has a length known to the code being compiled (a
constant, ``np.zeros((n, 3))``, or a parameter's row length the compiled code
is specialized on: backends/row_lengths.py), this pass writes each such
temporary as one array per coordinate, the way one writes it by hand::

    d_0 = x[:, 1:, 0] - x[:, :-1, 0]        (and d_1, d_2)
    r = np.sqrt(d_0 * d_0 + d_1 * d_1 + d_2 * d_2)
    fs_0 = s * d_0                          (and fs_1, fs_2)
    F[:, :-1, 0] += fs_0                    (and 1, 2)

after which every statement is elementwise over arrays of one rank and
passes/lower.py makes one element loop of them (the cloth: 30 -> 7.7 ms).

What is split (on normalized, typed code; inside loops only, where the
allocations repeat): a float64 temporary of two or more dimensions, bound
once, by a slice keeping the whole last axis (``x[:, 1:, :]``) or elementwise
arithmetic (``+ - * / **``, unary ``-``, NumPy's elementwise functions), whose
last axis has the known length of at most ``MAX_COORDINATES``.  Its
operands: other such temporaries, numbers, a broadcast ``np.expand_dims(u,
last)`` (``s[:, :, None]``: ``u`` in every coordinate), arrays of its rank
whose last axis is known to have that length (read a coordinate at a time:
``v[:, :, 0]``) and vectors of that length (``c[0]``).  Its every use: the
operand of another split temporary, a sum (or mean) along the last axis (the
coordinates added), or a store or update into a slice keeping the last axis
whole of an array whose last axis is known to have that length (``F[:, :-1,
:] += fs``; NumPy would raise for another length).  Anything else keeps the
array.  A group of temporaries connected by their uses is split only where it
holds such a sum or broadcast: without one, passes/lower.py takes the arrays
as they are.
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from ..names import Namer
from ..rules import registry
from .astutil import bound_names, nodes, own_reads, takes_all
from .shapes import axis_lengths

# the longest coordinate axis written out (points in 2-d and 3-d, quaternions)
MAX_COORDINATES = 4
ARITHMETIC = {"Add", "Sub", "Mult", "Div", "Pow"}


class _Site:
    """An assignment of a name, as ``shapes.axis_lengths`` reads it."""

    def __init__(self, stmt):
        self.stmt = stmt


def split_coordinates(fn: ast.FunctionDef, env: dict, used_names: set, rows: dict,
                      same_axes=None) -> bool:
    """Split ``fn``'s coordinate temporaries in place (see the module); whether
    any was.  ``rows``: parameter -> ``(ndim, row length)`` the compiled code is
    specialized on; ``same_axes``: ``shapes.parameter_axes``."""
    params = [a.arg for a in fn.args.args]
    places = []                          # (block, statement, in a loop)
    _collect(fn.body, False, places)
    binds, readers, sites = {}, {}, {}
    for _, s, _ in places:
        for n in bound_names(s):
            binds[n] = binds.get(n, 0) + 1
            sites.setdefault(n, []).append(_Site(s))
        for n in own_reads(s):
            readers.setdefault(n, []).append(s)
    lengths = axis_lengths(env, params, sites, same_axes, rows)

    # ``_t1 = x[i]``: a row keeping the last axis of ``x``, of its length
    rows_of = {s.targets[0].id: s.value.value.id for _, s, _ in places
               if _assigned(s, env, binds) and ir.PRIM(s.value, ("",))[0] == "subscript"
               and _whole_last(s.value, env)}

    def count(name, seen=()):
        """The known length of array ``name``'s last axis, or None."""
        t = env.get(name)
        keys = lengths.get(name) or ()
        if t is None or not t.is_array:
            return None
        if len(keys) == t.ndim and isinstance(keys[-1], int):
            return keys[-1]
        if name in rows_of and name not in seen:
            return count(rows_of[name], (*seen, name))
        return None

    # ``s[:, :, None]`` is ``_t11 = s[:, :]`` and ``np.expand_dims(_t11, 2)``: ``s`` itself
    views = {s.targets[0].id: s.value.value.id for _, s, _ in places if _whole_view(s, env, binds)}
    spreads = {s.targets[0].id: views.get(s.value.args[0].id, s.value.args[0].id)
               for _, s, _ in places if _spread(s, env, binds)}
    plan = _candidates(places, env, binds, count, spreads)
    plan = _settle(plan, places, readers, env, count, spreads)
    if not plan:
        return False
    namer = Namer(used_names)
    names = {t: [namer.fresh(f"{t}_{k}") for k in range(c)] for t, c in plan.items()}
    rewritten = {}
    for _, s, _ in places:
        new = _rewritten(s, plan, names, spreads, env, namer, count)
        if new is not None:
            rewritten[id(s)] = new
    # a broadcast every use of which now reads its operand goes too, and then the
    # view it was made of
    for made in (spreads, views):
        for b in made:
            if all(id(r) in rewritten for r in readers.get(b, [])):
                for _, s, _ in places:
                    if bound_names(s) == [b] and (_spread(s, env, binds) or
                                             _whole_view(s, env, binds)):
                        rewritten[id(s)] = []
    _replace(fn.body, rewritten)
    return True


def _collect(stmts, in_loop, out):
    for s in stmts:
        out.append((stmts, s, in_loop))
        for f in ("body", "orelse"):
            inner = getattr(s, f, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                _collect(inner, in_loop or isinstance(s, (ast.For, ast.While)), out)


def _replace(stmts, rewritten):
    out = []
    for s in stmts:
        for f in ("body", "orelse"):
            inner = getattr(s, f, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                setattr(s, f, _replace(inner, rewritten) or [ast.Pass()])
        out.extend(rewritten.get(id(s), [s]))
    stmts[:] = out
    return stmts


def _array(env, name, ndim=None) -> bool:
    t = env.get(name)
    return t is not None and t.is_array and t.dtype == np.float64 and \
        (ndim is None or t.ndim == ndim)


def _number(env, a) -> bool:
    if isinstance(a, ast.Constant):
        return isinstance(a.value, (int, float)) and not isinstance(a.value, bool)
    t = env.get(a.id) if isinstance(a, ast.Name) else None
    return t is not None and t.is_scalar and t.kind in ("int", "float")


def _assigned(s, env, binds):
    """The name a plain assignment binds (once, to a float64 array), or None."""
    if ir.KIND(s) != ir.Kind.ASSIGN or not isinstance(s, ast.Assign) or \
            not isinstance(s.targets[0], ast.Name):
        return None
    t = s.targets[0].id
    return t if binds.get(t) == 1 and _array(env, t) else None


def _spread(s, env, binds) -> bool:
    """``b = np.expand_dims(u, u.ndim)``: ``u`` broadcast along a new last axis."""
    b = _assigned(s, env, binds)
    v = s.value if b is not None else None
    return b is not None and ir.PRIM(v, ("",))[:2] == ("call", np.expand_dims) and \
        len(v.args) == 2 and not v.keywords and isinstance(v.args[0], ast.Name) and \
        _array(env, v.args[0].id) and isinstance(v.args[1], ast.Constant) and \
        v.args[1].value in (env[v.args[0].id].ndim, -1)


def _whole_view(s, env, binds) -> bool:
    """``u = s[:, :]``: a view of all of ``s``."""
    u = _assigned(s, env, binds)
    v = s.value if u is not None else None
    if v is None or ir.PRIM(v, ("",))[0] != "subscript" or not isinstance(v.value, ast.Name) \
            or not _array(env, v.value.id, env[u].ndim):
        return False
    return takes_all(v.slice)


def _parts(sub, ndim):
    """The index parts of ``X[idx]`` padded with whole slices to ``ndim``."""
    parts = list(sub.slice.elts) if isinstance(sub.slice, ast.Tuple) else [sub.slice]
    return parts + [ast.Slice() for _ in range(ndim - len(parts))]


def _whole_last(sub, env):
    """``X[idx]`` keeps ``X``'s last axis whole (``x[:, 1:, :]``, ``x[i]``)."""
    if not isinstance(sub, ast.Subscript) or not isinstance(sub.value, ast.Name) or \
            not _array(env, sub.value.id):
        return False
    ndim = env[sub.value.id].ndim
    parts = _parts(sub, ndim)
    last = parts[-1]
    return len(parts) == ndim and isinstance(last, ast.Slice) and \
        last.lower is None and last.upper is None and last.step is None and \
        all(isinstance(p, ast.Slice) or isinstance(p, ast.Constant) and type(p.value) is int
            or isinstance(p, ast.Name) and env.get(p.id) is not None and env[p.id].is_scalar
            and env[p.id].kind == "int" for p in parts)


def _operands(s):
    v, prim = s.value, ir.PRIM(s.value, ("",))
    if prim[0] == "binop" and prim[1] in ARITHMETIC:
        return [v.left, v.right]
    if prim == ("unary", "USub"):
        return [v.operand]
    if prim[0] == "call" and isinstance(prim[1], np.ufunc) and registry.is_elementwise(prim[1]) \
            and not v.keywords:
        return list(v.args)
    return None


def _candidates(places, env, binds, count, spreads) -> dict:
    """Temporaries that may be split -> their number of coordinates (in order:
    an operand is decided before its uses)."""
    plan: dict = {}
    for _, s, in_loop in places:
        t = _assigned(s, env, binds) if in_loop else None
        if t is None or t in spreads or env[t].ndim < 2:
            continue
        if ir.PRIM(s.value, ("",))[0] == "subscript":
            c = count(s.value.value.id) if _whole_last(s.value, env) and \
                env[s.value.value.id].ndim - sum(not isinstance(p, ast.Slice) for p in _parts(
                    s.value, env[s.value.value.id].ndim)) == env[t].ndim else None
        else:
            c = _elementwise_count(s, t, env, count, spreads, plan)
        if c is not None and 2 <= c <= MAX_COORDINATES:
            plan[t] = c
    return plan


def _elementwise_count(s, t, env, count, spreads, plan):
    operands = _operands(s)
    if operands is None:
        return None
    ndim, found = env[t].ndim, set()
    for a in operands:
        if _number(env, a):
            continue
        if not isinstance(a, ast.Name):
            return None
        if a.id in plan:
            found.add(plan[a.id])
        elif a.id in spreads and env[a.id].ndim == ndim:
            continue
        elif _array(env, a.id, ndim) or _array(env, a.id, 1):
            found.add(count(a.id))
        else:
            return None
    return found.pop() if len(found) == 1 else None


def _use_ok(r, t, plan, env, count) -> bool:
    """Statement ``r`` reads temporary ``t`` in a way the split writes out."""
    name = _assigned(r, env, {n: 1 for n in bound_names(r)}) if isinstance(r, ast.Assign) else None
    if name in plan:
        # an operand of its arithmetic (not the array a slice of it reads)
        return ir.PRIM(r.value, ("",))[0] != "subscript"
    if _last_sum(r, t, env):
        return True
    if ir.KIND(r) in (ir.Kind.STORE, ir.Kind.AUGSTORE):
        target = r.targets[0] if isinstance(r, ast.Assign) else r.target
        if not (isinstance(r.value, ast.Name) and r.value.id == t and _whole_last(target, env)):
            return False
        if any(isinstance(n, ast.Name) and n.id == t for n in nodes(target)):
            return False
        a = target.value.id
        left = env[a].ndim - sum(not isinstance(p, ast.Slice) for p in _parts(target, env[a].ndim))
        return left == env[t].ndim and count(a) == plan[t]
    return False


def _last_sum(r, t, env) -> bool:
    """``r`` is ``y = np.sum(t, axis=last)`` (or ``np.mean``)."""
    if ir.KIND(r) != ir.Kind.ASSIGN or not isinstance(r, ast.Assign):
        return False
    v = r.value
    if ir.PRIM(v, ("",))[:2] not in (("call", np.sum), ("call", np.mean)) or \
            len(v.args) != 1 or not (isinstance(v.args[0], ast.Name) and v.args[0].id == t) or \
            [k.arg for k in v.keywords] != ["axis"]:
        return False
    axis = v.keywords[0].value
    return isinstance(axis, ast.Constant) and axis.value in (-1, env[t].ndim - 1)


def _settle(plan, places, readers, env, count, spreads) -> dict:
    """The candidates whose every use the split writes out, in groups holding a
    sum along the last axis or a broadcast."""
    while True:
        bad = {t for t in plan
               if not readers.get(t) or not all(_use_ok(r, t, plan, env, count)
                                                for r in readers[t])}
        if not bad:
            break
        for t in bad:
            del plan[t]
    # groups: temporaries joined by their uses
    group = {t: t for t in plan}

    def root(t):
        while group[t] != t:
            t = group[t]
        return t
    worth = set()
    for _, s, _ in places:
        t = s.targets[0].id if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) \
            else None
        if t in plan:
            for a in _operands(s) or []:
                if isinstance(a, ast.Name) and a.id in plan:
                    group[root(a.id)] = root(t)
                if isinstance(a, ast.Name) and a.id in spreads:
                    worth.add(t)
        for u in own_reads(s):
            if u in plan and _last_sum(s, u, env):
                worth.add(u)
    keep = {root(t) for t in worth}
    return {t: c for t, c in plan.items() if root(t) in keep}


def _coordinate(a, k, plan, names, spreads, env, namer, line, before):
    """Operand ``a`` at coordinate ``k`` (statements reading it, into ``before``)."""
    if not isinstance(a, ast.Name) or not env.get(a.id) or not env[a.id].is_array:
        return ir.clone(a)
    if a.id in plan:
        return ast.Name(id=names[a.id][k], ctx=ast.Load())
    if a.id in spreads:
        return ast.Name(id=spreads[a.id], ctx=ast.Load())
    ndim = env[a.id].ndim
    index = ast.Constant(k) if ndim == 1 else ast.Tuple(
        elts=[ast.Slice() for _ in range(ndim - 1)] + [ast.Constant(k)], ctx=ast.Load())
    name = namer.fresh(f"{a.id}_{k}")
    read = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())],
                      value=ir.mark(ast.Subscript(value=ast.Name(id=a.id, ctx=ast.Load()),
                                                  slice=index, ctx=ast.Load()), ("subscript",)))
    before.append(ir.tag(read, line, ir.Kind.ASSIGN))
    return ast.Name(id=name, ctx=ast.Load())


def _at(sub, k, env):
    """``X[idx]`` with its last axis' whole slice replaced by coordinate ``k``."""
    new = ir.clone(sub)
    parts = _parts(new, env[sub.value.id].ndim)
    parts[-1] = ast.Constant(k)
    new.slice = ast.Tuple(elts=parts, ctx=ast.Load())
    return new


def _rewritten(s, plan, names, spreads, env, namer, count):
    """The statements replacing ``s``, or None where it stays."""
    line = ir.LINE(s)
    t = s.targets[0].id if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) \
        else None
    out = []
    if t in plan:
        for k in range(plan[t]):
            new = ir.clone(s)
            new.targets = [ast.Name(id=names[t][k], ctx=ast.Store())]
            if ir.PRIM(s.value, ("",))[0] == "subscript":
                new.value = ir.copy_facts(s.value, _at(s.value, k, env))
            else:
                fields = ("left", "right") if isinstance(new.value, ast.BinOp) else \
                    ("operand",) if isinstance(new.value, ast.UnaryOp) else ()
                for f in fields:
                    setattr(new.value, f, _coordinate(getattr(s.value, f), k, plan, names,
                                                      spreads, env, namer, line, out))
                if isinstance(new.value, ast.Call):
                    new.value.args = [_coordinate(a, k, plan, names, spreads, env, namer,
                                                  line, out) for a in s.value.args]
            out.append(new)
        return out
    summed = next((u for u in own_reads(s) if u in plan and _last_sum(s, u, env)), None)
    if summed is not None:
        parts = names[summed]
        total = ast.Name(id=parts[0], ctx=ast.Load())
        mean = ir.PRIM(s.value, ("",))[1] is np.mean
        for k, p in enumerate(parts[1:], start=2):
            last = k == len(parts) and not mean
            into = t if last else namer.fresh(f"{t}_sum")
            add = ir.mark(ast.BinOp(left=total, op=ast.Add(), right=ast.Name(id=p, ctx=ast.Load())),
                          ("binop", "Add"))
            out.append(ir.tag(ast.Assign(targets=[ast.Name(id=into, ctx=ast.Store())], value=add),
                              line, ir.Kind.ASSIGN))
            total = ast.Name(id=into, ctx=ast.Load())
        if mean:
            div = ir.mark(ast.BinOp(left=total, op=ast.Div(), right=ast.Constant(float(len(parts)))),
                          ("binop", "Div"))
            out.append(ir.tag(ast.Assign(targets=[ast.Name(id=t, ctx=ast.Store())], value=div),
                              line, ir.Kind.ASSIGN))
        return out
    if ir.KIND(s) in (ir.Kind.STORE, ir.Kind.AUGSTORE) and isinstance(s.value, ast.Name) and \
            s.value.id in plan:
        v = s.value.id
        for k in range(plan[v]):
            new = ir.clone(s)
            target = new.targets[0] if isinstance(new, ast.Assign) else new.target
            put = ir.copy_facts(target, _at(target, k, env))
            put.ctx = ast.Store()
            if isinstance(new, ast.Assign):
                new.targets = [put]
            else:
                new.target = put
            new.value = ast.Name(id=names[v][k], ctx=ast.Load())
            out.append(new)
        return out
    return None
