"""Loops over a few coordinates written out: ``for a in range(3)`` as three copies.

Scientists write a point's three coordinates either one by one (``dx =
X[j, 0] - X[i, 0]`` ...) or as a loop over them (``for a in range(3): d =
X[j, a] - X[i, a]``).  The same math; but the loop's adjoint keeps what it
carries between the rows of an outer loop (the next row's ``dX[i + 1, a]``)
in a small buffer indexed by ``a``, which the compiled code loads and stores
in every iteration, and the outer loop runs one row at a time: a polymer's
bond energy, 0.39 ms as a coordinate loop against 0.10 ms written out.  A
hand-written adjoint writes the coordinates out.

So a loop over a constant range of at most ``MAX_TRIPS`` trips, with a small
body of no loops and no slices (a few time steps of a loop nest, or of
whole-array statements, stay a loop: those become element loops) that neither
leaves the loop early (``break``, ``continue``, ``return``) nor assigns its
counter, becomes one copy of its body per trip,
the counter replaced by the trip's number (``X[j, 0]``, ``X[j, 1]``, ...).
Each copy keeps the user's lines.  Where the counter is read after the loop,
it is set to its last value after the copies, as the loop leaves it.  Inner
loops first, so that ``for a in range(2): for b in range(2)`` becomes four
copies, within ``MAX_STATEMENTS`` statements written in all.

A name each trip sets before reading it, mentioned nowhere else, gets a name
per copy (``d``, ``d_v2``, ``d_v3``): the copies do not overwrite each
other's values (which the reverse sweep would otherwise keep on a tape).
Run on the normalized function, before names get a web each (passes/webs.py).
"""
from __future__ import annotations

import ast
from collections import Counter

from .. import ir
from ..names import Namer
from .astutil import nodes

# the longest loop written out (three or four coordinates, a 2x2 block)
MAX_TRIPS = 4
# and the most statements its copies may hold in all
MAX_STATEMENTS = 48


def unroll_short_loops(fn: ast.FunctionDef, used_names: set) -> bool:
    """Write out ``fn``'s short constant loops in place; whether any was.
    ``used_names``: the names taken (the copies' own names are added)."""
    changed = [False]
    mentions = Counter(n.id for n in nodes(fn) if isinstance(n, ast.Name))

    def block(stmts, after_reads):
        out = []
        for s in stmts:
            for field in ("body", "orelse"):
                inner = getattr(s, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    setattr(s, field, block(inner, after_reads))
            trips = _trips(s)
            if trips is None:
                out.append(s)
                continue
            counter = s.target.id
            own = _own_names(s, mentions)
            for k, value in enumerate(trips):
                names = {v: Namer(used_names).numbered(f"{v}_v", 2) for v in sorted(own)} \
                    if k else {}
                out += [_substituted(ir.clone(t), counter, value, names) for t in s.body]
            changed[0] = True
            if counter in after_reads:
                last = ast.copy_location(ast.Assign(
                    targets=[ast.Name(id=counter, ctx=ast.Store())],
                    value=ast.Constant(trips[-1])), s)
                ast.fix_missing_locations(last)
                if ir.LINE.has(s):
                    ir.LINE.set(last, ir.LINE(s))
                out.append(last)
        return out

    # names read anywhere but in the loops' own bodies: the counter may be
    # read after its loop (set as the loop leaves it)
    reads = set()
    for n in nodes(fn):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            reads.add(n.id)
    fn.body = block(fn.body, reads - _counters_read_only_inside(fn))
    return changed[0]


def _counters_read_only_inside(fn) -> set:
    """Counters of short loops read nowhere but inside their own loop."""
    inside, everywhere = {}, {}
    for n in nodes(fn):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            everywhere[n.id] = everywhere.get(n.id, 0) + 1
    for n in nodes(fn):
        if _trips(n) is not None:
            c = n.target.id
            inside[c] = inside.get(c, 0) + sum(
                1 for m in nodes(ast.Module(body=n.body, type_ignores=[]))
                if isinstance(m, ast.Name) and m.id == c and isinstance(m.ctx, ast.Load))
    return {c for c, k in inside.items() if k == everywhere.get(c, 0)}


def _trips(s):
    """The counter's values of a loop ``unroll_short_loops`` writes out, else None."""
    if not (isinstance(s, ast.For) and isinstance(s.target, ast.Name) and not s.orelse
            and isinstance(s.iter, ast.Call) and isinstance(s.iter.func, ast.Name)
            and s.iter.func.id == "range" and not s.iter.keywords
            and 1 <= len(s.iter.args) <= 3
            and all(isinstance(a, ast.Constant) and type(a.value) is int
                    for a in s.iter.args)):
        return None
    values = list(range(*[a.value for a in s.iter.args]))
    if not 1 <= len(values) <= MAX_TRIPS:
        return None
    body = ast.Module(body=s.body, type_ignores=[])
    statements = sum(1 for n in nodes(body) if isinstance(n, ast.stmt))
    if statements * len(values) > MAX_STATEMENTS:
        return None
    counter = s.target.id
    for n in nodes(body):
        if isinstance(n, (ast.Break, ast.Continue, ast.Return, ast.FunctionDef, ast.Lambda,
                          ast.Global, ast.Nonlocal, ast.For, ast.While, ast.Slice)):
            return None
        if isinstance(n, ast.Name) and n.id == counter and not isinstance(n.ctx, ast.Load):
            return None
    return values


def known_row_loops(fn: ast.FunctionDef, rows: dict) -> bool:
    """Loops over the last axis of a parameter whose length the compiled code is
    specialized on (``rows``: name -> ``(ndim, length)``, backends/row_lengths.py;
    the parameter never re-bound) count to that length: ``for j in
    range(X.shape[1])`` becomes ``for j in range(3)``.  Whether any did."""
    bound_names = {n.id for n in nodes(fn) if isinstance(n, ast.Name)
                   and not isinstance(n.ctx, ast.Load)}
    changed = False
    for n in nodes(fn):
        if not (isinstance(n, ast.For) and isinstance(n.iter, ast.Call)
                and isinstance(n.iter.func, ast.Name) and n.iter.func.id == "range"
                and len(n.iter.args) == 1):
            continue
        bound = n.iter.args[0]
        if isinstance(bound, ast.Subscript) and isinstance(bound.value, ast.Attribute) and \
                bound.value.attr == "shape" and isinstance(bound.value.value, ast.Name) and \
                isinstance(bound.slice, ast.Constant):
            name = bound.value.value.id
            if name in rows and name not in bound_names and \
                    bound.slice.value in (-1, rows[name][0] - 1):
                n.iter.args[0] = ast.copy_location(ast.Constant(rows[name][1]), bound)
                changed = True
    return changed


def _own_names(loop, mentions) -> set:
    """Names each trip of ``loop`` sets before reading them (its first mention in
    the body a plain assignment) and no statement outside it mentions: a name
    per copy keeps the copies apart (``d``, ``d_v2``, ``d_v3``)."""
    inside = Counter(n.id for t in loop.body for n in nodes(t) if isinstance(n, ast.Name))
    out, seen = set(), set()
    for t in loop.body:
        if isinstance(t, ast.Assign):
            reads = {n.id for n in nodes(t.value) if isinstance(n, ast.Name)}
            reads |= {n.id for tg in t.targets for n in nodes(tg)
                      if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            seen |= reads
            for tg in t.targets:
                if isinstance(tg, ast.Name) and tg.id not in seen and \
                        inside[tg.id] == mentions[tg.id]:
                    out.add(tg.id)
        seen |= {n.id for n in nodes(t) if isinstance(n, ast.Name)}
    return out - {loop.target.id}


def _substituted(stmt, counter, value, names):
    """``stmt`` with its reads of ``counter`` replaced by the constant ``value``
    and the names of ``names`` by theirs."""
    class Put(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id == counter and isinstance(node.ctx, ast.Load):
                return ast.copy_location(ast.Constant(value), node)
            if node.id in names:
                node.id = names[node.id]
            return node
    return Put().visit(stmt)
