"""A loop whose body picks an index by testing the loop index against one end
of its range runs the iterations at that end apart, and the rest without
the test.

Periodic stencils name their neighbours with such tests::

    for j in range(n):
        jp = j + 1 if j < n - 1 else 0
        jm = j - 1 if j > 0 else n - 1
        lap = u[i, jp] + u[i, jm] - 2.0 * u[i, j]

In the reverse sweep the adds into ``du[i, jp]`` and ``du[i, jm]`` go through
an index LLVM cannot follow, so the loop stays scalar and each iteration
waits on the last one's store.  Only ``j = 0`` and ``j = n - 1`` take the other
branch; between them ``jp`` is ``j + 1`` and ``jm`` is ``j - 1``.  So the
sweep runs::

    for j in range(min(n, 1)):              # as written
        ...
    for j in range(1, n - 1):               # jp, jm without the test
        lap = u[i, j + 1] + u[i, j - 1] - 2.0 * u[i, j]
        ...
    for j in range(max(n - 1, 1), n):       # as written
        ...

and the middle loop's adds are ones ``rolling_sums`` and ``split_adds`` carry
and vectorize (``sourcediff bench programs:wave``, a periodic 2-D wave
equation: value and gradient 13.2 -> 6.3 ms, 8.2x -> 3.8x its primal, with
``ascending`` turning the loop over rows round; its remainder style 12.1 ->
8.7 ms).  The loops run the iterations in the same order as before, so any
body keeps its meaning; taken for innermost loops of the reverse sweep with
a step of 1 or -1, no ``break``/``continue``/``return``, and at most two
iterations apart at each end.

A remainder ``(j + c) % n`` (or ``(j + c + n) % n``) is ``j + c`` itself
between the ends too (the range shows ``j + c`` not below 0 where ``c`` is
above, and below ``n`` where it is below 0), and is read as a test at
``n - 1 - c`` (or at ``-c``).

A test that reads what another test decided (``im2 = im - 1 if im > 0 else
n - 1`` after ``im = i - 1 if i > 0 else n - 1``) is read once the branches
of the first are in place: ``im`` is ``i - 1`` there, so ``im > 0`` is ``i > 1``
and the first two iterations run apart (a new user's MUSCL advection: 17.3
-> 9.7 ms, 4.4x -> 2.6x its primal).

A test is one ``loop_index.LoopIndex.compare`` reads: the index against a
whole number (the first iterations) or against a length the loop does not
set plus a whole number (the last ones), of an ``if`` or of ``a if test else
b`` at the top of the body (the loop between the ends runs the branch
taken).  Its value between the ends is known from the range alone; what the
branches compute does not matter (they need not wrap around).
"""
from __future__ import annotations

import ast
import copy

from .. import ir
from .astutil import add_int, int_of, nodes, range_step, rewrite_loops
from .loop_index import LoopIndex, set_once

MOST_APART = 2     # iterations run apart at each end, at most
MOST_ROUNDS = 3    # tests read after the branches of others are taken


def peel_ends(stmts: list, live_out=frozenset()) -> list:
    """``stmts`` (a reverse sweep, or a forward sweep: its reads through a
    remainder ``x[(j + 1) % n]`` divide in every iteration, and between the
    ends they are ``x[j + 1]``: a periodic 2-D wave's gradient 0.82 -> 0.58
    ms, Burgers' with a minmod limiter 4.1 -> 3.15 ms) with such loops split at
    their ends; ``live_out``: the names read after it."""
    counts: dict = {}
    for n in (n for s in stmts for n in nodes(s)):
        if isinstance(n, ast.Name):
            counts[n.id] = counts.get(n.id, 0) + 1
    for name in live_out:                  # read after: never left out
        counts[name] = counts.get(name, 0) + 1
    return rewrite_loops(stmts, lambda loop: _Peel(loop, counts).loops())


class _Peel:
    def __init__(self, loop, counts):
        self.loop, self.counts = loop, counts
        self.offsets: dict = {}      # id of a remainder (i + c) % n -> c

    def loops(self) -> list:
        loop = self.loop
        step = range_step(loop)
        if step is None or loop.orelse or any(
                isinstance(n, (ast.For, ast.While, ast.Break, ast.Continue, ast.Return,
                               ast.Yield, ast.Nonlocal, ast.Global))
                for s in loop.body for n in nodes(s)):
            return [loop]
        i = loop.target.id
        assigned = {n.id for s in loop.body for n in nodes(s)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        if i in assigned:
            return [loop]
        index = LoopIndex(loop, i, assigned | {i})
        low, high = index.span
        if low is None or high is None:
            return [loop]
        # the first index all tests on whole numbers agree from, the last one all
        # tests on high's length agree up to (relative to that length); a test
        # that reads what a test decided (``im2 = im - 1 if im > 0 else n - 1``
        # after ``im = i - 1 if i > 0 else n - 1``) is read in a second round,
        # with the first round's branches in place
        first, last = low[1] if low[0] is None else None, None
        known: dict = {}             # id(statement) or ("remainder", id(node)) -> value
        body = loop.body
        for _ in range(MOST_ROUNDS):
            index.values = set_once(body)
            tests = {k: t for k, t in self.tests(index, body).items() if k not in known}
            found = False
            for k, (kind, (n, c)) in tests.items():
                if n is None and first is not None:
                    edge = c if kind == "ge" else c + 1
                    first = max(first, edge)
                    known[k] = kind in ("ge", "ne")
                    found = True
                elif n is not None and n == high[0]:
                    edge = c if kind == "le" else c - 1
                    last = edge if last is None else min(last, edge)
                    known[k] = kind in ("le", "ne")
                    found = True
            if not found:
                break
            body = self.branches_taken(body, known)
        if not known:
            return [loop]
        head = first is not None and first > low[1]
        tail = last is not None and last < high[1]
        if head and (low[0] is not None or first - low[1] > MOST_APART) or \
                tail and high[1] - last > MOST_APART:
            return [loop]
        middle = self.middle(index, body, known)
        if not (head or tail):
            return [middle]
        return self.split(middle, step, low, high, first if head else None,
                          last if tail else None)

    def tests(self, index, body) -> dict:
        """id of each ``if`` or ``name = a if test else b`` at the top level of
        ``body`` -> its test on the index; ``("remainder", id)`` -> that of each
        remainder."""
        out = {}
        for k, s in enumerate(body):
            index.upto = k
            test = None
            if isinstance(s, ast.If):
                test = index.compare(s.test)
            elif isinstance(s, ast.Assign) and isinstance(s.value, ast.IfExp):
                test = index.compare(s.value.test)
            if test is not None:
                out[id(s)] = test
            for e in nodes(s):
                if _remainder(e):
                    test = self.remainder(index, e)
                    if test is not None:
                        out[("remainder", id(e))] = test
        return out

    def branches_taken(self, body, known) -> list:
        """``body`` with each ``if`` and select in ``known`` replaced by the branch
        it takes (the statements of the ``if``'s, ``name = the value``), and each
        remainder in it by the sum it is."""
        out = []
        for s in body:
            if id(s) not in known:
                out.append(s)
            elif isinstance(s, ast.If):
                out += s.body if known[id(s)] else s.orelse
            else:
                new = copy.copy(s)
                new.value = s.value.body if known[id(s)] else s.value.orelse
                ir.copy_facts(s, new)
                out.append(new)
        i = self.loop.target.id
        sums = {k[1]: add_int(ast.Name(id=i, ctx=ast.Load()), self.offsets[k[1]])
                for k in known if isinstance(k, tuple)}
        return [_without_remainders(s, sums) for s in out]

    def remainder(self, index, e):
        """``(i + c) % n`` as a test: where it is ``i + c`` itself (``0 <= i + c
        < n``), from ``-c`` up (``c`` below 0) or up to ``n - 1 - c``; None where
        the range does not show ``i + c`` to stay in ``[0, n)`` on the other side
        (the loop starting at a whole number not below ``-c``, or ending at ``n - 1``
        or before)."""
        x = index.linear(e.left)
        n = e.right.id
        low, high = index.span
        if x is not None and x[:2] == (1, n):     # (i - 1 + n) % n is (i - 1) % n
            x = (1, None, x[2])
        if x is None or x[:2] != (1, None) or n in index.assigned or \
                low is None or low[0] is not None:
            return None
        c = self.offsets[id(e)] = x[2]
        if c >= 0:
            return ("le", (n, -1 - c)) if low[1] + c >= 0 else None
        if high is None or high[0] != n or high[1] > -1 - c:
            return None
        return "ge", (None, -c)

    def middle(self, index, body, known) -> ast.For:
        """The loop of ``body`` (the branches taken in place of the tests, the
        remainders the sums they are), the index names so set written into the
        elements they pick, and what only the tests read left out."""
        new_loop = copy.copy(self.loop)
        new_loop.body = _drop_unread(_index_plain(body, index), self.loop, self.counts)
        return new_loop

    def split(self, middle, step, low, high, first, last) -> list:
        """The iterations below ``first`` and above ``high``'s length plus ``last``
        in loops of the body as written, around ``middle``; in the loop's order."""
        n = high[0]
        lo = ast.Constant(low[1]) if low[0] is None else _plus(low[0], low[1])
        hi = _plus(n, high[1])                  # the largest index
        start = ast.Constant(first) if first is not None else lo
        end = _plus(n, last) if last is not None else hi
        parts = []
        if first is not None:      # lo .. min(first - 1, hi)
            parts.append(("first", lo, _min(ast.Constant(first - 1), hi)))
        parts.append(("middle", start, end))
        if last is not None:       # max(last + 1, start) .. hi
            parts.append(("last", _max(_plus(n, last + 1), start), hi))
        if step == -1:
            parts.reverse()
        out = []
        for part, a, b in parts:
            loop = middle if part == "middle" else ir.clone(self.loop)
            loop = copy.copy(loop)
            loop.iter = _range(a, b, step)
            ir.copy_facts(self.loop, loop)
            if part != "middle":
                apart = first - low[1] if part == "first" else high[1] - last
                ir.NOTE.set(loop, f"the {part} {apart if apart > 1 else ''}"
                                  f"{' ' if apart > 1 else ''}iteration{'s' if apart > 1 else ''}"
                                  f" apart: the loop between them reads "
                                  f"'{self.loop.target.id}' without the tests on it")
            out.append(loop)
        return out


def _without_remainders(node, sums):
    """``node`` with each remainder whose id is in ``sums`` replaced by the sum
    it is there (``i + c``), as new nodes (the statements as written stay for
    the ends)."""
    if not sums or not any(id(n) in sums for n in nodes(node)):
        return node
    if id(node) in sums:
        return ir.clone(sums[id(node)])
    new = copy.copy(node)
    for field, value in ast.iter_fields(node):
        if isinstance(value, list):
            setattr(new, field, [_without_remainders(v, sums) if isinstance(v, ast.AST) else v
                                 for v in value])
        elif isinstance(value, ast.AST):
            setattr(new, field, _without_remainders(value, sums))
    ir.copy_facts(node, new)
    return new


def _remainder(e) -> bool:
    """``x % n``, ``n`` a name."""
    return isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mod) and \
        isinstance(e.right, ast.Name)


def _index_plain(body, index) -> list:
    """Elements picked by a name the body set to the loop index plus a whole
    number picked by that sum instead (``u[i, jp]`` -> ``u[i, j + 1]``), so
    that the passes after read the offset."""
    index.values = set_once(body)
    out = []
    for k, s in enumerate(body):
        index.upto = k
        offsets = {}
        for n in nodes(s):
            if isinstance(n, ast.Subscript):
                parts = n.slice.elts if isinstance(n.slice, ast.Tuple) else [n.slice]
                for p in parts:
                    if isinstance(p, ast.Name) and p.id != index.i:
                        lin = index.linear(p)
                        if lin is not None and lin[:2] == (1, None):
                            offsets[p.id] = lin[2]
        out.append(_rename_indices(s, offsets, index.i) if offsets else s)
    return out


def _rename_indices(s, offsets, i):
    """A copy of ``s`` with each index name of ``offsets`` in a subscript
    written ``i + offset``."""
    new = ir.clone(s)

    class _Into(ast.NodeTransformer):
        def visit_Subscript(self, node):
            self.generic_visit(node)
            parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            parts = [add_int(ast.Name(id=i, ctx=ast.Load()), offsets[p.id])
                     if isinstance(p, ast.Name) and p.id in offsets else p for p in parts]
            node.slice = ast.Tuple(elts=parts, ctx=ast.Load()) \
                if isinstance(node.slice, ast.Tuple) else parts[0]
            return node
    return _Into().visit(new)


def _drop_unread(body, loop, counts) -> list:
    """``body`` without assignments of numbers to names set once that nothing
    reads: not the body (after them, or in the next iteration) and not the
    code around the loop."""
    body = list(body)
    while True:
        inside: dict = {}
        for n in (n for s in body for n in nodes(s)):
            if isinstance(n, ast.Name):
                inside[n.id] = inside.get(n.id, 0) + 1
        in_loop: dict = {}
        for n in (n for s in loop.body for n in nodes(s)):
            if isinstance(n, ast.Name):
                in_loop[n.id] = in_loop.get(n.id, 0) + 1
        dead = [s for s in body if isinstance(s, ast.Assign) and len(s.targets) == 1
                and isinstance(s.targets[0], ast.Name)
                and inside[s.targets[0].id] == 1
                and counts.get(s.targets[0].id, 0) == in_loop.get(s.targets[0].id, 0)
                and _pure(s.value)]
        if not dead:
            return body
        body = [s for s in body if not any(s is d for d in dead)]


def _pure(e) -> bool:
    return all(isinstance(n, (ast.Name, ast.Constant, ast.BinOp, ast.Compare, ast.BoolOp,
                              ast.UnaryOp, ast.IfExp, ast.operator, ast.cmpop, ast.boolop,
                              ast.unaryop, ast.expr_context)) for n in nodes(e))


def _plus(n, k):
    return add_int(ast.Name(id=n, ctx=ast.Load()), k)


def _min(a, b):
    return _fold("min", a, b)


def _max(a, b):
    return _fold("max", a, b)


def _fold(f, a, b):
    if int_of(a) is not None and int_of(b) is not None:
        return ast.Constant((min if f == "min" else max)(int_of(a), int_of(b)))
    return ast.Call(func=ast.Name(id=f, ctx=ast.Load()), args=[a, b], keywords=[])


def _range(a, b, step):
    """``range`` over ``a .. b`` (both included), counting up or down."""
    if step == 1:
        args = [a, _shift(b, 1)]
        if int_of(a) == 0:
            args = args[1:]
    else:
        args = [b, _shift(a, -1), ast.UnaryOp(op=ast.USub(), operand=ast.Constant(1))]
    return ast.Call(func=ast.Name(id="range", ctx=ast.Load()), args=args, keywords=[])


def _shift(e, k):
    """``e + k``, into the arguments of ``min`` and ``max``."""
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id in ("min", "max"):
        return _fold(e.func.id, *(_shift(a, k) for a in e.args))
    return add_int(e, k)
