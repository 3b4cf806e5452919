"""Copies into generated names forwarded: ``_t2 = state_0; th1 = _t2`` becomes
``th1 = state_0``, and ``_dt9 = _dt10; dx += _dt9 * _t9`` becomes
``dx += _dt10 * _t9``.

Normalization names every value (``_t2``), the inliner copies a helper's
arguments and results into its own names, and the reverse sweep hands an
adjoint from one name to the next (``_dt9 = _dt10``).  Each copy is a
statement Numba types, lowers and walks in its SSA pass: a double pendulum
whose RK4 right-hand side is a helper had 140 such copies in 1,300 lines, and
its gradient compiled in 5.2-6.0 s with them forwarded against 6.7-7.5 s
without them.  The user's own names stay (``th1 = state_0`` keeps ``th1``):
only a name the transform made up (starting with ``_``) is replaced.

``x = y`` goes, and the reads of ``x`` read ``y``, when all of this holds on
the finished function (the values every read sees are unchanged):

* ``x`` starts with ``_``, is not a parameter and is bound by this statement
  only (no other assignment, ``+=``, loop target);
* every read of ``x`` is in the statements after the copy in its block
  (nested ones included): none before it, none after the block (a loop's next
  iteration, the code after the loop);
* no statement from the copy to the last read binds ``y``, except the last
  one when it is a simple statement (``y = x + 1`` reads before it binds).

``x`` and ``y`` name the same object either way (an array is not copied by
``x = y``), so writes into its elements are seen alike.
"""
from __future__ import annotations

import ast

from .astutil import nodes
from .own_names import drop_statements

_COMPOUND = (ast.For, ast.While, ast.If, ast.With, ast.Try, ast.FunctionDef)


def forward_copies(fn: ast.FunctionDef) -> ast.FunctionDef:
    """``fn`` (its nodes not shared with another tree) with the copies the
    module describes forwarded; changed in place and returned."""
    sites = _Sites(fn)
    params = {a.arg for a in fn.args.args}
    dead = set()
    for path, s in sites.copies:
        x, y = s.targets[0].id, s.value.id
        if x == y or not x.startswith("_") or x in params or len(sites.stores.get(x, ())) != 1:
            continue
        reads = sites.loads.get(x, [])
        depth, k = len(path), path[-1][1]
        if not reads or not all(p[:depth - 1] == path[:-1] and p[depth - 1][0] == path[-1][0]
                                and p[depth - 1][1] > k for p, _ in reads):
            continue
        last = max(p[depth - 1][1] for p, _ in reads)
        block = sites.blocks[path[-1][0]]
        if not _unbound_between(sites.stores.get(y, ()), path, block, k, last):
            continue
        for p, name in reads:
            name.id = y
        sites.loads.setdefault(y, []).extend(reads)
        sites.loads[x] = []
        dead.add(id(s))
    if dead:
        drop_statements(fn, dead)
    return fn


def _unbound_between(stores, path, block, k, last) -> bool:
    """No binding of ``stores`` (paths) in ``block[k + 1 .. last]``, but one
    by ``block[last]`` itself when it is a simple statement."""
    depth = len(path)
    for p in stores:
        # (a binding by a statement enclosing the block, a loop's target, comes
        # before the copy in each iteration)
        if len(p) < depth or p[:depth - 1] != path[:-1] or p[depth - 1][0] != path[-1][0]:
            continue
        j = p[depth - 1][1]
        if k < j < last or j == last and (len(p) > depth or isinstance(block[last], _COMPOUND)):
            return False
    return True


class _Sites:
    """Where each name is read and bound, and the copies ``x = y``: a site's
    path is the ``(block, index)`` of each statement enclosing it, outermost
    first, a block named by its ``id`` (``blocks``: the lists by id)."""

    def __init__(self, fn):
        self.loads: dict = {}
        self.stores: dict = {}
        self.copies: list = []
        self.blocks: dict = {}
        self._block(fn.body, ())

    def _block(self, stmts, outer):
        self.blocks[id(stmts)] = stmts
        for k, s in enumerate(stmts):
            path = outer + ((id(stmts), k),)
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and \
                    isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Name):
                self.copies.append((path, s))
            for n in _own_nodes(s):
                if isinstance(n, ast.Name):
                    table = self.loads if isinstance(n.ctx, ast.Load) else self.stores
                    table.setdefault(n.id, []).append((path, n) if table is self.loads else path)
            for field in ("body", "orelse"):
                inner = getattr(s, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    self._block(inner, path)


def _own_nodes(s):
    """The nodes of ``s`` outside its nested statement lists."""
    if not isinstance(s, _COMPOUND):
        return nodes(s)
    parts = [getattr(s, f) for f in ("target", "iter", "test") if getattr(s, f, None) is not None]
    return [n for p in parts for n in nodes(p)]

