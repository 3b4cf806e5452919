"""A reverse loop whose iterations are independent of one another counts up.

The reverse of ``for i in range(n)`` runs ``for i in range(n - 1, -1, -1)``:
iteration ``i`` of the reverse sweep may need what iteration ``i + 1``
restored or added.  Often it needs nothing of the kind -- Burgers' flux
loop reads the primal arrays, which the loop does not change, and adds into
adjoint buffers::

    for i in range(n - 1, -1, -1):
        ...
        _dt25 = dflux[i]
        dflux[i] = 0.0
        ...
        dslope[ip] += _dt14
        du[ip] += _dt13

and then the order of its iterations changes nothing but the rounding of
the sums, and counting up, as a hand-written adjoint does, is faster (the
Burgers gradient ran 14.2 -> 11.2 ms with its three such loops counting up).

An outer loop matters more: the reverse of a 2-D stencil's loop over rows,
``for i in range(ny - 2, 0, -1)``, around the loop over columns kept the
inner loop scalar.  LLVM checks once, before the outer loop, that the arrays
the inner loop reads and writes do not overlap, and that check gives up on a
row pointer that moves backwards; the inner loop then runs its scalar
version every time (the nonlinear heat stencil's reverse: 0.80 ms counting
down, 0.27 ms counting up, the same inner loop).

Taken, on the reverse sweep as emitted, for a ``for`` over
``range(a, b, -1)`` with no ``while`` inside and no calls that may write (a
list's ``pop``, a helper given an array) when:

* every array the loop writes is an adjoint buffer shared with no other
  name (``invariant_sums``' plain buffers) or another array written only at
  elements whose index holds ``i`` in one place (``u[i, j]``, a restore);
  such an array either no other name holds (``buffers.sole_arrays``), or is
  the only one and the loop reads no other array but tapes and plain buffers;
  a buffer read (or set) at all is read and set only so, and added to there
  too if at all; other buffers are only added to (``dX[idx] += ...``);
* every scalar the loop assigns (an inner loop's index included) is either
  only added to (``d += ...``, read nowhere else in it) or set in each
  iteration before any read of it -- at the top level of the body, in both
  branches of an ``if`` there (a select: ``jp = j + 1 if j < n - 1 else 0``; the
  periodic 2-D wave's reverse over rows ran 9.9 -> 6.9 ms counting up), or in
  each iteration of an inner loop that sets it first and after which it is
  not read --, and not read after the loop before being set again.

An innermost loop that reads a tape at its counter counts up too, reading
each row of the tape forwards while the rows come last first: it kept
counting down, reading the tape as one stream, until LLVM's overlap checks
were left where each loop starts (``backends/loop_checks.py``); since then the
loops counting down were the slower ones, LLVM leaving a loop counting down
that adds into an element it read scalar inside a loop nest (``burgers``
3.2 -> 1.9 ms, ``diffusion`` 1.9-2.1 -> 1.4-1.5 ms, ``option_fd`` 3.6 -> 2.5 ms,
the heat equation 0.52 -> 0.45 ms copying back).
"""
from __future__ import annotations

import ast
import copy

from .. import ir
from .astutil import counting_up, descending_range, free_names, index_offset, nodes
from .invariant_sums import shared_buffers
from .sink import Adjoints


def ascend_independent_loops(stmts: list, adjoints: Adjoints, types: dict,
                             live_out=frozenset(), before=(), sole=frozenset()) -> list:
    """``stmts`` (a reverse sweep) with each such loop counting up; ``types``:
    the primal's (which names are arrays); ``live_out``: names read after it;
    ``before``: the statements before it (the forward sweep), where an adjoint
    buffer may be bound to a view of another one too; ``sole``: the primal's
    arrays whose buffer no other name holds (buffers.sole_arrays)."""
    plain = adjoints.arrays - shared_buffers(list(before) + list(stmts), adjoints)
    arrays = set(adjoints.arrays) | {n for n, t in types.items() if t is not None and t.is_array}
    return _Rewriter(plain, set(live_out), arrays, set(sole)).block(stmts, [])


class _Rewriter:
    def __init__(self, plain, live_at_end, arrays, sole):
        self.plain, self.live_at_end, self.arrays, self.sole = plain, live_at_end, arrays, sole
        self.summaries: dict = {}        # id(statement) -> ((reads, sets), statement)

    def block(self, stmts, conts) -> list:
        out = []
        for k, s in enumerate(stmts):
            after = [stmts[k + 1:], *conts]
            if isinstance(s, ast.For):
                turned = self.counter_forwards(s, after)
                if turned is not None:
                    _drop_last_set(out, turned[0].targets[0].id)
                    out += turned
                    continue
                s = copy.copy(s)
                s.body = self.block(s.body, [_Again(s.body), *after])
                if self.independent(s, after):
                    s.iter = counting_up(s.iter)
            elif isinstance(s, ast.If):
                s = copy.copy(s)
                s.body = self.block(s.body, after)
                s.orelse = self.block(s.orelse, after)
            elif isinstance(s, ast.While):
                s = copy.copy(s)
                s.body = self.block(s.body, [_Again(s.body), *after])
            out.append(s)
        return out

    def counter_forwards(self, loop, after):
        """A loop nest that undoes a counter step by step (``entry -= 1`` first in
        the loops holding its updates) from the value its forward nest left,
        where the emitter knows the value the counter started from
        (``ir.COUNTS_FROM``): ``[counter = start, the nest counting up]``, each
        update forwards at the end of its loop's body, when every loop around an
        update is independent but for the counter, and the counter is not read
        after the nest (it ends where the forward nest did).  GMM's triangular
        product: ``icf[c, entry]`` counting up from ``entry = d`` (a start LLVM
        knows is not negative) 24.5 -> 20.5 ms.  Else None."""
        starts = ir.COUNTS_FROM(loop)
        if not starts or len(starts) != 1 or descending_range(loop.iter) is None:
            return None
        (v, start), = starts.items()
        holders = [x for x in _loops([loop]) if x.body and _undo(x.body[0], v) is not None]
        if not holders or any(free_names(_undo(x.body[0], v)) & _written_names([loop])
                              for x in holders):
            return None
        undos = {id(x.body[0]) for x in holders}
        if any(v in _own_writes(st) for st in _statements([loop]) if id(st) not in undos) \
                or v in self.live(after):
            return None
        chain = {id(x) for x in _loops([loop])
                 if any(h is x or any(h is y for y in _loops(x.body)) for h in holders)}
        if not self.chain_independent([loop], after, chain, v):
            return None
        return [_assign_at(v, start, loop), _forwards(loop, chain, undos, v)]

    def chain_independent(self, stmts, conts, chain, v) -> bool:
        """Each loop of ``chain`` in ``stmts`` counts down and is independent but
        for the counter ``v``."""
        for k, s in enumerate(stmts):
            after = [stmts[k + 1:], *conts]
            if isinstance(s, ast.For) and id(s) in chain:
                if not self.independent(s, after, ignore=v) or \
                        not self.chain_independent(s.body, [_Again(s.body), *after], chain, v):
                    return False
            elif isinstance(s, ast.If) and not (
                    self.chain_independent(s.body, after, chain, v) and
                    self.chain_independent(s.orelse, after, chain, v)):
                return False
        return True

    def independent(self, loop, after, ignore=None) -> bool:
        if descending_range(loop.iter) is None or loop.orelse:
            return False
        i = loop.target.id
        body = loop.body
        found = [n for s in body for n in nodes(s)]
        if any(isinstance(n, ast.While) for n in found):
            return False
        if any(isinstance(n, ast.Call) and _may_write(n, self.arrays) for n in found):
            return False
        return self.arrays_independent(body, i) and \
            self.scalars_independent(body, i, after, ignore)

    def arrays_independent(self, body, i) -> bool:
        """Each array the loop writes is touched by no two of its iterations,
        or only added to; a primal array it writes (a restore) hides no other."""
        added, other = set(), set()
        at: dict = {}            # array -> the index positions its uses pick [i] at
        for s in _statements(body):
            for n, how in _array_uses(s):
                base = n.value.id
                if how == "add":
                    added.add(base)
                    at.setdefault(base, set()).add(("add", _position(n.slice, i)))
                elif _position(n.slice, i) is None:
                    other.add(base)
                else:
                    at.setdefault(base, set()).add(("use", _position(n.slice, i)))
            if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Subscript) and \
                    not isinstance(s.targets[0].value, ast.Name):
                return False
        exact = {a for a, uses in at.items() if any(how == "use" for how, _ in uses)}
        written = {n.value.id for s in _statements(body) for n, how in _array_uses(s)
                   if how in ("add", "set")}
        for a in written & self.plain:
            # read or set: always at [i] in one place; added to as well: there too
            if a in other or a in exact and len({p for _, p in at[a]}) > 1:
                return False
        primal_written = written - self.plain
        for a in primal_written:
            if a in added or a in other or len({p for _, p in at[a]}) > 1:
                return False
        if primal_written <= self.sole:
            return True          # no other name holds a buffer the loop writes
        if len(primal_written) > 1:
            return False
        a = next(iter(primal_written))
        return all(r == a or r in self.plain or r.startswith("_saved")
                   for r in exact | other | added)

    def scalars_independent(self, body, i, after, ignore=None) -> bool:
        """Every number the loop sets (but ``ignore``) is only added to, or set in
        each iteration before it is read, and not read after the loop."""
        accumulated, assigned = set(), set()
        for s in _statements(body):
            for w, how in _writes(s):
                (accumulated if how == "add" else assigned).add(w)
            if isinstance(s, ast.For) and isinstance(s.target, ast.Name):
                assigned.add(s.target.id)
        checked = set()
        names = _name_sets()
        for name in (accumulated | assigned) - {i, ignore}:
            only_added = name not in assigned and name not in _loads_except_adds(body, name)
            if only_added:
                continue
            if not _set_first(body, name, names):
                return False
            checked.add(name)
        return not checked & self.live(after)

    def live(self, conts) -> set:
        """The names that the statements which may run next (``conts``, in
        order) may read before they surely set them, and those read after."""
        exposed, killed = set(), set()
        for stmts in conts:
            if isinstance(stmts, _Again):
                # the loop's next iteration, which may not come: what it sets
                # may still be read after the loop
                self.expose(stmts, set(killed), exposed)
            else:
                self.expose(stmts, killed, exposed)
        return exposed | (self.live_at_end - killed)

    def expose(self, stmts, killed, exposed):
        for s in stmts:
            reads, sets = self.summary(s)
            exposed |= reads - killed
            if isinstance(s, ast.If):
                k1, k2 = set(killed), set(killed)
                self.expose(s.body, k1, exposed)
                self.expose(s.orelse, k2, exposed)
                killed |= k1 & k2
            elif isinstance(s, ast.For):     # its body reads the target it sets
                self.expose(s.body, killed | {n.id for n in nodes(s.target)
                                              if isinstance(n, ast.Name)}, exposed)
            elif isinstance(s, ast.While):
                self.expose(s.body, set(killed), exposed)
            else:
                killed |= sets

    def summary(self, s):
        """(names ``s`` itself reads -- a compound statement's header --,
        names it sets), computed once per statement."""
        got = self.summaries.get(id(s))
        if got is None:
            if isinstance(s, (ast.For, ast.While)):
                header = s.iter if isinstance(s, ast.For) else s.test
                got = ({n.id for n in nodes(header) if isinstance(n, ast.Name)}, set())
            else:
                got = (set(_reads(s)), {w for w, how in _writes(s) if how == "set"})
            self.summaries[id(s)] = (got, s)
            return got
        return got[0]


def _undo(s, v):
    """The step of ``v -= step`` (or ``v += step``), else None."""
    if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name) and s.target.id == v \
            and isinstance(s.op, (ast.Add, ast.Sub)):
        return s.value
    return None


def _loops(stmts):
    return [x for s in stmts for x in nodes(s) if isinstance(x, ast.For)]


def _written_names(stmts) -> set:
    return {n.id for s in stmts for n in nodes(s)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} | \
        {s.target.id for s in _statements(stmts)
         if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name)}


def _own_writes(s) -> set:
    """The names ``s`` itself assigns (a loop: its target)."""
    if isinstance(s, ast.For):
        return {n.id for n in nodes(s.target) if isinstance(n, ast.Name)}
    if isinstance(s, (ast.If, ast.While)):
        return set()
    return {w for w, _ in _writes(s)} | {n.id for n in nodes(s) if isinstance(n, ast.Name)
                                         and isinstance(n.ctx, ast.Store)}


def _assign_at(v, value, where):
    out = ast.Assign(targets=[ast.Name(id=v, ctx=ast.Store())], value=ir.clone(value))
    ir.LINE.set(out, ir.LINE(where))
    return out


def _forwards(loop, chain, undos, v):
    """``loop`` with the loops of ``chain`` counting up and each undo of ``v`` (the
    first statement of its loop's body) turned into the update it undid, at
    the end of the body."""
    new = copy.copy(loop)
    body = [_forwards(s, chain, undos, v) if isinstance(s, (ast.For, ast.If)) else s
            for s in loop.body]
    if isinstance(loop, ast.If):
        new.body = body
        new.orelse = [_forwards(s, chain, undos, v) if isinstance(s, (ast.For, ast.If)) else s
                      for s in loop.orelse]
        return new
    if id(loop) not in chain:
        new.body = body
        return new
    new.iter = counting_up(loop.iter)
    if body and id(loop.body[0]) in undos:
        undo = loop.body[0]
        step = ast.AugAssign(target=ast.Name(id=v, ctx=ast.Store()),
                             op=ast.Add() if isinstance(undo.op, ast.Sub) else ast.Sub(),
                             value=ir.clone(undo.value))
        ir.LINE.set(step, ir.LINE(undo))
        body = body[1:] + [step]
    new.body = body or [ast.Pass()]
    return new


def _drop_last_set(out, v):
    """Drop the last statement of ``out`` when it only sets ``v`` (from a tape,
    say) and nothing after it reads ``v``: the counter is set again."""
    for k in range(len(out) - 1, -1, -1):
        s = out[k]
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], ast.Name) and s.targets[0].id == v:
            if v not in free_names(s.value):
                del out[k]
            return
        if any(isinstance(n, ast.Name) and n.id == v for n in nodes(s)):
            return


class _Again(list):
    """A loop's body as what may run after the statements of one iteration."""


def _statements(stmts):
    for s in stmts:
        yield s
        for f in ("body", "orelse"):
            yield from _statements(getattr(s, f, []) or [])


def _may_write(call, arrays) -> bool:
    """A call that may write into an array: anything but NumPy, ``math``,
    builtins, and functions given no array (``minmod_vjp(a, b, g)``)."""
    f = call.func
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and \
            f.value.id in ("math", "np"):
        return False
    if isinstance(f, ast.Name) and f.id in ("min", "max", "abs", "float", "int", "bool", "range",
                                            "len"):
        return False
    if isinstance(f, ast.Name) and not call.keywords:      # a user function, its VJP
        return not all(isinstance(a, ast.Constant) or
                       isinstance(a, ast.Name) and a.id not in arrays for a in call.args)
    return True


def _array_uses(s):
    """(subscript node, "add" | "set" | "read") for each element use of ``s``."""
    out = []
    if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Subscript):
        out.append((s.target, "add"))
        values = [s.value, s.target.slice]
    elif isinstance(s, ast.Assign):
        values = [s.value]
        for t in s.targets:
            if isinstance(t, ast.Subscript):
                out.append((t, "set"))
                values.append(t.slice)
    elif isinstance(s, ast.AugAssign):
        values = [s.value]
    elif isinstance(s, ast.If):
        values = [s.test]
    elif isinstance(s, ast.For):
        values = [s.iter]        # its body's statements come on their own
    else:
        values = [s]
    for v in values:
        for n in nodes(v):
            if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name):
                out.append((n, "read"))
    return [(n, how) for n, how in out if isinstance(n.value, ast.Name)]


def _position(index, i):
    """Where ``i`` stands in an element's index, and the offset added to it
    (``x[i]``: (0, 0), ``x[k, i + 1, j]``: (1, 1)), when it stands there once and
    nowhere else; else None.  Uses at one such place touch one element per
    iteration, a different one in each."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    at = [(k, index_offset(p, i)) for k, p in enumerate(parts) if index_offset(p, i) is not None]
    mentions = sum(isinstance(n, ast.Name) and n.id == i for p in parts for n in nodes(p))
    return at[0] if len(at) == 1 and mentions == 1 else None


def _name_sets():
    """``names(node)``: the names ``node`` mentions, each node walked once (the
    checks below ask it of one statement for every name a loop sets)."""
    seen = {}

    def names(node) -> frozenset:
        got = seen.get(id(node))
        if got is None:
            got = seen[id(node)] = frozenset(free_names(node))
        return got
    return names


def _set_first(block, name, names) -> bool:
    """Each run of ``block`` sets ``name`` before reading it, or touches it only
    in a ``for`` loop each iteration of which does so (and reads it not after);
    ``names``: as ``_name_sets`` gives."""
    for k, s in enumerate(block):
        if name not in names(s):
            continue
        if isinstance(s, ast.For):
            if s.orelse or name in names(s.iter):
                return False
            target = isinstance(s.target, ast.Name) and s.target.id == name
            return (target or _set_first(s.body, name, names)) and \
                not any(name in names(t) for t in block[k + 1:])
        if isinstance(s, ast.If):
            if name in _reads(s):
                return False
            # a select: set in both branches
            if _set_plainly(s.body, name) and _set_plainly(s.orelse, name):
                return True
            # a guard (``if d - 1 > j:`` around a reverse loop and its sums): each
            # branch touching it sets it first, and nothing after the ``if`` reads it
            return _set_first(s.body, name, names) and _set_first(s.orelse, name, names) \
                and not any(name in names(t) for t in block[k + 1:])
        if isinstance(s, ast.While) or name in _reads(s):
            return False
        if (name, "set") in _writes(s):
            return True
    return True


def _set_plainly(block, name) -> bool:
    """Assignments that set ``name`` before any of them reads it."""
    for s in block:
        if not isinstance(s, ast.Assign) or name in _reads(s):
            return False
        if (name, "set") in _writes(s):
            return True
    return False


def _reads(s):
    if isinstance(s, ast.If):
        parts = [s.test]
    elif isinstance(s, ast.Assign):
        parts = [s.value] + [t for t in s.targets if isinstance(t, ast.Subscript)]
    elif isinstance(s, ast.AugAssign):
        parts = [s.value, s.target]
    else:
        parts = [s]
    return [n.id for p in parts for n in nodes(p)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)] + \
        ([s.target.id] if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name)
         else [])


def _writes(s):
    if isinstance(s, ast.Assign):
        return [(n.id, "set") for t in s.targets for n in nodes(t)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
        return [(s.target.id, "add")]
    return []


def _loads_except_adds(body, name) -> set:
    """``{name}`` when the body reads ``name`` other than by adding to it."""
    for s in _statements(body):
        parts = [s.value] if isinstance(s, ast.AugAssign) else \
            [s.test] if isinstance(s, ast.If) else [s.value] if isinstance(s, ast.Assign) \
            else [s.iter] if isinstance(s, ast.For) else [s]
        if isinstance(s, ast.Assign):
            parts += [t.slice for t in s.targets if isinstance(t, ast.Subscript)]
        if any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
               for p in parts for n in nodes(p)):
            return {name}
    return set()
