"""Adds into neighbouring elements of an adjoint buffer are carried in locals
from one iteration of their loop to the next.

The reverse of the Rosenbrock term ``s += 100*(x[i+1] - x[i]**2)**2 + ...``
adds into ``dx[i]`` and ``dx[i + 1]`` in every iteration::

    for i in range(n - 1):
        ...
        dx[i] += _dt4 + _dt2
        dx[i + 1] += _dt1

Iteration ``i + 1`` adds into the element iteration ``i`` just stored, so
each iteration waits for the last one's store to be read back (the gradient
ran at 2.7x the primal).  Element ``i + 1`` is done being added to one
iteration later, so its sum can wait in a local, as by hand::

    dx_i = 0.0
    dx_i_plus_1 = 0.0
    for i in range(n - 1):
        ...
        dx_i += _dt4 + _dt2
        dx_i_plus_1 += _dt1
        dx[i] += dx_i
        dx_i = dx_i_plus_1
        dx_i_plus_1 = 0.0
    if n - 1 > 0:
        dx[n - 1] += dx_i

(2.0x the primal).  In general: in a ``for`` over ``range`` with step 1 (-1),
the adds ``dX[..., i + c, ...] += e`` into one buffer, ``c`` a constant and the
other indices fixed in the loop, use one local per ``c`` from the smallest to
the largest offset; after each iteration the element the loop will not add
into again (the smallest offset, counting up; the largest, counting down) is
added into the buffer and the locals move one place.  What is left after the
last iteration is added into the buffer after the loop, at the loop's stop,
if the loop ran (every such element was added to in the loop, so its index
exists).

Taken only when it cannot change a value: the smallest and the largest offset
are those of adds the loop's body makes in every iteration (not inside a branch
or an inner loop: ``if i < n - 1: dx[i + 1] += e`` has no element to flush
into at the last ``i``); the buffer is an adjoint buffer
shared with no other name (``invariant_sums``' plain buffers) that nothing in
the loop mentions but these adds of numbers (not rows); the loop has no
``break``, ``continue``, ``return`` or ``else``; neither the fixed indices nor
the loop's bounds read a name the loop assigns.  An index may be a name set
once in the body, before the adds, to ``i + c``.  Since nothing in the loop
reads the buffer, when its elements get their sums does not matter; only the
rounding of the sums can differ (an element's terms are added together first).

A periodic index, ``(i + c) % n`` with ``n`` the buffer's length along that
axis (``shapes.axis_lengths`` proves it: ``n = len(u)``, ``du`` of the same
shape), names the element ``i + c`` does where that is an index at all (an
index the primal read, in ``[-n, n)``), so both kinds of add join one group:
Burgers' flux adjoint adds into ``du[i]`` and ``du[(i + 1) % n]``.  Its
element ``i + c`` is flushed at ``(i + c) % n`` (at ``i + c`` where an add in
every iteration uses that index plainly) and after the loop at
``(stop + c) % n``.
"""
from __future__ import annotations

import ast
import copy
import itertools

from .. import ir
from ..names import Namer
from .astutil import add_int, int_of, nodes, range_ran, range_step, rewrite_loops
from .invariant_sums import shared_buffers
from .loop_index import LoopIndex, negated, trips_at_most
from .sink import Adjoints


def roll_neighbour_adds(stmts: list, adjoints: Adjoints, ndims: dict, before=(),
                        lengths=None) -> list:
    """``stmts`` (a reverse sweep) with such adds carried in locals; ``ndims``:
    the number of dimensions of each adjoint buffer; ``before``: the
    statements before it (the forward sweep); ``lengths``: the keys of
    ``shapes.axis_lengths`` of adjoint buffers and whole numbers."""
    names = {n.id for s in list(before) + list(stmts) for n in nodes(s)
             if isinstance(n, ast.Name)}
    plain = adjoints.arrays - shared_buffers(list(before) + list(stmts), adjoints)
    return _Rewriter({x: ndims[x] for x in plain if x in ndims}, Namer(names),
                     lengths or {}).block(stmts)


class _Rewriter:
    def __init__(self, ndims, namer, lengths):
        self.ndims, self.namer, self.lengths = ndims, namer, lengths
        self.locals: dict = {}

    def local(self, x, i, c, loop, taken) -> str:
        """The local of ``dx[i + c]``: loops one after another use the same
        ones (each sets them to zero first); a loop inside one using it, or
        another group of the same loop (``taken``), a new one."""
        names = self.locals.setdefault((x, i, c), [])
        mentioned = {n.id for n in nodes(loop) if isinstance(n, ast.Name)}
        name = next((n for n in names if n not in taken and n not in mentioned), None)
        if name is None:
            name = self.namer.fresh(_label(x, i, c))
            names.append(name)
        taken.add(name)
        return name

    def block(self, stmts) -> list:
        return rewrite_loops(stmts, self.loop)

    def loop(self, loop) -> list:
        step = range_step(loop)
        if step is None or loop.orelse or any(isinstance(n, (ast.Break, ast.Continue, ast.Return))
                                              for s in loop.body for n in nodes(s)):
            return [loop]
        if (trips_at_most(loop) or 0) in (1, 2):      # an end peel_ends runs apart
            return [loop]
        i = loop.target.id
        stored = {n.id for s in loop.body for n in nodes(s)
                  if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        if i in stored:              # the body moves its own index
            return [loop]
        assigned = {i} | stored
        stop = loop.iter.args[0] if len(loop.iter.args) == 1 else loop.iter.args[1]
        changed = {n.func.value.id for s in loop.body for n in nodes(s)   # lst.pop()
                   if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                   and isinstance(n.func.value, ast.Name)}
        if _mentions(loop.iter) & (assigned | changed):     # the stop is read again after
            return [loop]
        found = AddGroups(loop, i, assigned, self.ndims, self.lengths)
        groups = found.groups
        if not groups:
            return [loop]
        line = ir.LINE(loop)
        body, before, after, flush = list(loop.body), [], [], []
        rewritten, taken = {}, set()
        for (x, place, _), adds in groups.items():
            offsets = [c for _, c, _ in adds]
            low, high = min(offsets), max(offsets)
            done = low if step == 1 else high          # the element no later iteration adds to
            local = {c: self.local(x, i, c, loop, taken) for c in range(low, high + 1)}
            first = adds[0][0]
            period = next((m for _, _, m in adds if m is not None), None)
            plainly = {c for s, c, m in adds if m is None and s in loop.body}

            def at(index, first=first, place=place, period=period):
                if period is not None and (int_of(index) == 0 or isinstance(index, ast.Name)
                                           and index.id == period):
                    index = ast.Constant(0)     # (n % n: the loop took % n, n is not 0)
                elif period is not None:        # element index % n
                    index = ast.BinOp(left=index, op=ast.Mod(), right=_name(period))
                return _at(first.target, place, index)
            for s, c, _ in adds:
                new = ast.AugAssign(target=_name(local[c], True), op=s.op, value=s.value)
                ir.copy_facts(s, new)
                rewritten[id(s)] = new
            before += [_tag(ast.Assign(targets=[_name(local[c], True)], value=ast.Constant(0.0)),
                            line) for c in sorted(local)]
            # the element's index as the body names it (``jm``), else ``i + c`` (% n)
            named = min((v for v, (oc, _) in found.offsets.items()
                         if oc == (done, period) or oc == (done, None) and done in plainly),
                        key=lambda v: (v.startswith("_"), found.offsets[v][1]), default=None)
            flush.append(_like(first, _at(first.target, place, _name(named)) if named else
                               _at(first.target, place, add_int(_name(i), done))
                               if done in plainly else at(add_int(_name(i), done)),
                               local[done], line))
            order = sorted(local, reverse=step == -1)    # from the done element on
            flush += [_tag(ast.Assign(targets=[_name(local[a], True)], value=_name(local[b])),
                           line) for a, b in itertools.pairwise(order)]
            flush.append(_tag(ast.Assign(targets=[_name(local[order[-1]], True)],
                                         value=ast.Constant(0.0)), line))
            # after the last iteration, local[c] holds element stop + c
            after += [_like(first, at(add_int(ir.clone(stop), c)), local[c], line)
                      for c in order[:-1]]
        new_loop = copy.copy(loop)
        new_loop.body = _replace(body, rewritten) + flush
        ran = [ir.tag(ast.If(test=range_ran(loop.iter, step), body=after, orelse=[]), line,
                      ir.Kind.IF)] if after else []
        for s in before + ran:       # in the loop's part of the adjoint
            ir.SECTION.set(s, ir.SECTION(loop))
        return before + [new_loop] + ran


class AddGroups:
    """The adds that can be carried, by (buffer, place of the loop index in
    the index, the fixed indices): [(statement, offset), ...]."""

    def __init__(self, loop, i, assigned, ndims, lengths):
        self.i, self.assigned, self.lengths = i, assigned, lengths
        self.index = LoopIndex(loop, i, assigned)
        self.offsets = self.index_names(loop.body)
        found: dict = {}
        every: dict = {}      # key -> offsets of adds made in every iteration
        mentioned: dict = {}
        for s, k in ((n, k) for k, top in enumerate(loop.body) for n in nodes(top)):
            if isinstance(s, ast.Name) and s.id in ndims:
                mentioned[s.id] = mentioned.get(s.id, 0) + 1
            if isinstance(s, ast.AugAssign):
                key = self.add(s, k, ndims)
                if key is not None:
                    found.setdefault(key[0], []).append((s, *key[1]))
                    if s is loop.body[k]:
                        every.setdefault(key[0], set()).add(key[1][0])
        by_buffer: dict = {}
        for key, adds in found.items():
            by_buffer.setdefault(key[0], []).append(len(adds))
        # every mention of the buffer is one of its adds, and something is gained:
        # a sum carried to the next iteration, or several adds into one element
        # (the flushes write elements i + c for every offset c between the smallest and
        # the largest, in each iteration and after the loop: their indices exist when adds
        # the body makes in every iteration, not inside a branch or an inner loop, reach
        # both ends; ``if i < n - 1: dy[i + 1] += e`` does not at the last i)
        self.groups = {key: adds for key, adds in found.items()
                       if sum(by_buffer[key[0]]) == mentioned[key[0]]
                       and (len({c for _, c, _ in adds}) > 1 or len(adds) > 1)
                       and {min(c for _, c, _ in adds), max(c for _, c, _ in adds)} <=
                       every.get(key, set())}

    def index_names(self, body) -> dict:
        """Names the body sets once, at its top level, to the loop index plus a
        constant (or that modulo a length): name -> ((constant, length or
        None), position in the body)."""
        out: dict = {}
        for name, (value, k) in sorted(self.index.values.items(), key=lambda item: item[1][1]):
            self.index.upto = k
            c = self.offset(value, out)
            if c is not None:
                out[name] = (c, k)
        return out

    def offset(self, e, names):
        """``(c, None)`` when ``e`` is the loop index plus ``c``, ``(c, n)`` when it
        is ``(i + c) % n`` (either may be a name in ``names`` set to it), else
        None."""
        if isinstance(e, ast.Name):
            if e.id == self.i:
                return 0, None
            return names[e.id][0] if e.id in names else None
        if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mod) and \
                isinstance(e.right, ast.Name) and e.right.id not in self.assigned:
            c = self.offset(e.left, names)
            return None if c is None or c[1] is not None else (c[0], e.right.id)
        if isinstance(e, ast.IfExp):
            return self.wrapped(e, names)
        if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub)):
            if int_of(e.right) is not None:
                c = self.offset(e.left, names)
                k = int_of(e.right)
                return None if c is None or c[1] is not None else \
                    (c[0] + (k if isinstance(e.op, ast.Add) else -k), None)
            if isinstance(e.op, ast.Add) and int_of(e.left) is not None:
                c = self.offset(e.right, names)
                return None if c is None or c[1] is not None else (c[0] + int_of(e.left), None)
        return None

    def wrapped(self, e, names):
        """``(1, n)`` for ``i + 1 if i < n - 1 else 0`` and ``(-1, n)`` for ``i - 1
        if i > 0 else n - 1`` (either way round, the test in any form that means
        the same over the loop's indices: ``i + 1 < n``, ``i != n - 1``, ``i == 0``,
        ...): element ``(i + c) % n`` at every index of the loop, which its range
        shows to stay below ``n`` (counting up to ``n - 1``) or not below 0
        (counting down to 0); else None."""
        test = self.index.compare(e.test)
        if test is None:
            return None
        low, high = self.index.span
        for then, other, chosen in ((e.body, e.orelse, test), (e.orelse, e.body, negated(test))):
            c = self.offset(then, names)
            if c is None or c[1] is not None or c[0] not in (1, -1):
                continue
            wrap = self.index.linear(other)
            if c[0] == 1 and wrap == (0, None, 0) and high is not None and \
                    high[0] is not None and high[1] <= -1:
                n = high[0]             # i + 1 below n - 1, 0 at n - 1
                if chosen in (("le", (n, -2)), ("ne", (n, -1))):
                    return 1, n
            if c[0] == -1 and wrap is not None and wrap[0] == 0 and wrap[1] is not None \
                    and wrap[2] == -1 and low is not None and low[0] is None and low[1] >= 0 \
                    and chosen in (("ge", (None, 1)), ("ne", (None, 0))):
                return -1, wrap[1]       # i - 1 above 0, n - 1 at 0
        return None

    def add(self, s, k, ndims):
        """((buffer, place, fixed indices), offset) of an add that can be carried;
        ``k``: the place in the body of the statement it is in."""
        t = s.target
        if not (isinstance(s.op, (ast.Add, ast.Sub)) and isinstance(t, ast.Subscript) and
                isinstance(t.value, ast.Name) and t.value.id in ndims) or ir.ARRAY(s):
            return None
        x = t.value.id
        parts = t.slice.elts if isinstance(t.slice, ast.Tuple) else [t.slice]
        if len(parts) != ndims[x] or x in _mentions(s.value) or \
                any(isinstance(n, ast.Slice) for p in parts for n in nodes(p)):
            return None
        rolling = [k for k, p in enumerate(parts) if _mentions(p) & self.assigned]
        if len(rolling) != 1:
            return None
        place = rolling[0]
        names = {v: oc for v, oc in self.offsets.items()
                 if v in _mentions(parts[place]) and oc[1] < k}
        self.index.upto = k
        c = self.offset(parts[place], names)
        if c is None or any(_mentions(p) & self.assigned for k, p in enumerate(parts)
                            if k != place):
            return None
        if c[1] is not None and not self.period_of(x, place, c[1]):
            return None
        fixed = tuple(ast.dump(p) for k, p in enumerate(parts) if k != place)
        return (x, place, fixed), c

    def period_of(self, x, place, n) -> bool:
        """``n`` is the length of buffer ``x`` along axis ``place``."""
        axes, length = self.lengths.get(x, ()), self.lengths.get(n, (None,))
        return place < len(axes) and axes[place] is not None and axes[place] == length[0]


def _at(template, place, index):
    """``template`` (``dX[..., i + c, ...]``) with ``index`` at ``place``."""
    parts = template.slice.elts if isinstance(template.slice, ast.Tuple) else [template.slice]
    new = [index if k == place else ir.clone(p) for k, p in enumerate(parts)]
    where = ast.Tuple(elts=new, ctx=ast.Load()) if isinstance(template.slice, ast.Tuple) \
        else new[0]
    return ast.Subscript(value=_name(template.value.id), slice=where, ctx=ast.Store())


def _like(add, target, local, line):
    """``target += local``, with the facts of ``add`` (an add into the buffer)
    but the loop's ``line``."""
    s = ast.AugAssign(target=target, op=ast.Add(), value=_name(local))
    ir.copy_facts(add, s)
    ir.LINE.set(s, line)
    return s


def _label(x, i, c) -> str:
    """``dx_i``, ``dx_i_plus_1``, ``dx_i_minus_1``: the local of ``dx[i + c]``."""
    return f"{x}_{i}" if c == 0 else f"{x}_{i}_plus_{c}" if c > 0 else f"{x}_{i}_minus_{-c}"


def _replace(stmts, rewritten) -> list:
    out = []
    for s in stmts:
        if id(s) in rewritten:
            out.append(rewritten[id(s)])
            continue
        for f in ("body", "orelse"):
            if getattr(s, f, None):
                s = copy.copy(s)
                setattr(s, f, _replace(getattr(s, f), rewritten))
        out.append(s)
    return out


def _tag(s, line):
    return ir.tag(s, line, ir.Kind.ASSIGN)


def _mentions(node) -> set:
    return {n.id for n in nodes(node) if isinstance(n, ast.Name)}


def _name(n, store=False):
    return ast.Name(id=n, ctx=ast.Store() if store else ast.Load())

