"""A number an inner loop adds to in every iteration is summed in a local of
that loop, added once after it.

k-means' loss over the rows of ``X`` adds each row's squared distances into
the one running sum::

    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            t = X[i, j] - C[c, j]
            s += t * t
            ...

A derivative's sums may be reassociated (transforms/base.py), so LLVM adds
the ``j`` loop's terms several at a time; but each row's total still waits
for the last row's, ``s`` one chain through the whole loop nest.  Summed per
row, as the same loss written with ``np.sum(d * d)`` of a row temporary is::

    for i in range(X.shape[0]):
        s_j = 0.0
        for j in range(X.shape[1]):
            t = X[i, j] - C[c, j]
            s_j += t * t
            ...
        s += s_j

the rows' sums run side by side (0.45 -> 0.28 ms; the heat equation's
``dkappa`` over each time step's grid the same way).

Taken when: the loop sits inside another loop; the add is a statement of its
body (``s += e`` or ``s -= e``) into a float64 number (``scalars``); nothing
else in the loop mentions ``s`` (no read of the running value, no other write,
no save to a tape) and no statement before it in its block sets it (it is
a sum of this run already); the loop has no ``break``, ``continue``,
``return`` or ``else``.  Only the rounding of the sum can differ (each loop's terms are
added together first), as reassociation allows.
"""
from __future__ import annotations

import ast
import copy

from .. import ir
from ..names import Namer
from .astutil import nodes


def sum_inner_loops(stmts: list, scalars: set, before=()) -> list:
    """``stmts`` with the adds into ``scalars`` (float64 numbers) of each inner
    loop summed per run of that loop; ``before``: statements that come before
    them (their names are taken)."""
    names = {n.id for s in list(before) + list(stmts) for n in nodes(s)
             if isinstance(n, ast.Name)}
    return _Rewriter(set(scalars), Namer(names)).block(stmts, 0)


class _Rewriter:
    def __init__(self, scalars, namer):
        self.scalars, self.namer = scalars, namer

    def block(self, stmts, depth) -> list:
        out = []
        for s in stmts:
            inner = depth + isinstance(s, (ast.For, ast.While))
            for f in ("body", "orelse"):
                if getattr(s, f, None):
                    s = copy.copy(s)
                    setattr(s, f, self.block(getattr(s, f), inner))
            out.extend(self.loop(s, out) if isinstance(s, ast.For) and depth > 0 else [s])
        return out

    def loop(self, loop, earlier) -> list:
        """``earlier``: the statements before the loop in its block."""
        if loop.orelse or any(isinstance(n, (ast.Break, ast.Continue, ast.Return))
                              for s in loop.body for n in nodes(s)):
            return [loop]
        mentions: dict = {}
        for n in nodes(loop):
            if isinstance(n, ast.Name):
                mentions[n.id] = mentions.get(n.id, 0) + 1
        adds = {}
        for s in loop.body:
            if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name) and \
                    isinstance(s.op, (ast.Add, ast.Sub)) and s.target.id in self.scalars \
                    and mentions[s.target.id] == 1 and not ir.ARRAY(s) \
                    and not _set_in(s.target.id, earlier):
                adds[s.target.id] = s
        if not adds:
            return [loop]
        line = ir.LINE(loop)
        before, after, rewritten = [], [], {}
        for x, s in adds.items():
            local = self.namer.fresh(f"{x}_{loop.target.id}" if isinstance(loop.target, ast.Name)
                                     else f"{x}_sum")
            new = ir.copy_facts(s, ast.AugAssign(target=ast.Name(id=local, ctx=ast.Store()),
                                                 op=s.op, value=s.value))
            rewritten[id(s)] = new
            before.append(_tag(ast.Assign(targets=[ast.Name(id=local, ctx=ast.Store())],
                                          value=ast.Constant(0.0)), line, loop))
            after.append(_tag(ast.AugAssign(target=ast.Name(id=x, ctx=ast.Store()), op=ast.Add(),
                                            value=ast.Name(id=local, ctx=ast.Load())),
                              line, loop, ir.Kind.ACCUMULATE))
        new_loop = copy.copy(loop)
        new_loop.body = [rewritten.get(id(s), s) for s in loop.body]
        return before + [new_loop] + after


def _set_in(x, stmts) -> bool:
    """``x`` is set (``x = ...``) in ``stmts``: already a sum of this run of
    the loop (``t4_sum = 0.0`` just before it)."""
    return any(isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == x
                                                 for t in s.targets) for s in stmts)


def _tag(s, line, loop, kind=ir.Kind.ASSIGN):
    ir.tag(s, line, kind)
    if ir.SECTION.has(loop):
        ir.SECTION.set(s, ir.SECTION(loop))
    return s
