"""Values the reverse sweep would restore from a tape and never read.

The reverse sweep puts back the value each taped assignment overwrote, so
that the reverse of the statements before it sees what they saw.  Whether
anything there reads it depends on the emitted reverse code, not on the name:
in a bisection search ::

    hi = n - 1                      # taped: the reverse of the previous query reads hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if xs[mid] > x:
            hi = mid                # taped today: put back in a reverse loop
        else:
            lo = mid
    w = (x - xs[lo]) / (xs[hi] - xs[lo])

the reverse of ``w`` reads the final ``lo`` and ``hi``; the reverse of the
search would put back each ``hi`` it overwrote, and the next thing the
reverse sweep does with ``hi`` is to restore it again, for ``hi = n - 1``.
Those puts-back are dead, and with them the flags of the search and its trip
count: the reverse sweep then has no loop for the search at all, and the
forward sweep stores nothing inside it.

``dead_restores`` finds them with a liveness analysis of the emitted reverse
sweep (passes/buffers.py, over names, conservative); the planner then stores
nothing for those sites (``Planner.drop_dead_restores``), and the reverse
sweep is emitted again, which may leave more restores dead (the flags once
their ``if`` has no reverse code).  Each round only removes definitions of
names dead after them, so no name read elsewhere becomes dead or live.
"""
from __future__ import annotations

import ast

from .buffers import Liveness


def dead_restores(stmts: list, restores: dict, live_out: set) -> set:
    """The ``(id(site), var)`` of ``restores`` (id(statement) -> (statement,
    (id(site), var)): the statement of ``stmts``, a reverse sweep, that puts
    ``var`` back for the save at ``site``, by a tape or by inverting an
    update, ``n -= 1``) whose value nothing reads before ``var`` is bound
    again or the sweep ends (``live_out``: names read after it).

    An inverse update reads the value it changes: the inverses of one name
    are taken as doing nothing, and are dead together when the name is dead
    after each of them (a search's ``j -= 1`` in a reverse loop whose only
    reader of ``j`` is the next ``j -= 1``)."""
    inverses = {k for k, (node, _) in restores.items() if isinstance(node, ast.AugAssign)}
    live = Liveness(ast.Module(body=stmts, type_ignores=[]), live_out, skip=inverses)
    out, undone, kept = set(), set(), set()
    for k, (node, key) in restores.items():
        after = live.after.get(id(node))
        dead = after is not None and key[1] not in after
        if k in inverses:
            (undone if dead else kept).add(key)
        elif dead:
            out.add(key)
    names_kept = {var for _, var in kept}
    return out | {key for key in undone if key[1] not in names_kept}
