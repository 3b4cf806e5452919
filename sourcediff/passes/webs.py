"""One name, several independent uses: a name per use (``dx`` and ``dx_v2``).

Users reuse names: ``dx`` is the x-distance in the force loop before the time
loop and again in the force loop inside it.  The two loops' values never
meet, but as one variable the planner sees a name assigned in two places,
and what it may do for one loop (recompute ``dx`` in each reverse iteration
instead of storing it) it must not do for the other.  This pass, run on the
normalized function before type inference, gives each such use its own
name, so every analysis after it decides per use.

A top-level loop is one use of ``v`` on its own when, inside it, ``v`` is
always assigned before it is read (in each iteration: the first statement of
the body that mentions ``v`` assigns it without reading it, or is an inner
loop or a branch for which the same holds and ``v`` is not read after it),
its header does not read ``v``, and the value it leaves is not read after
it (the next top-level statement that mentions ``v`` assigns it first).
Every such loop but the first use gets a new name; other mentions keep ``v``.
"""
from __future__ import annotations

import ast

from .. import ir
from ..names import Namer
from .astutil import free_names


def _mentions(node, var) -> bool:
    return var in free_names(node)


def _reads(node, var) -> bool:
    return any(isinstance(n, ast.Name) and n.id == var and isinstance(n.ctx, ast.Load)
               for n in ast.walk(node))


def _header(stmt) -> list:
    if isinstance(stmt, ast.For):
        return [stmt.target, stmt.iter]
    if isinstance(stmt, (ast.While, ast.If)):
        return [stmt.test]
    return []


def _assigns_first(stmt, var) -> bool:
    """``stmt`` sets ``var`` before any read of it (on every path through it)."""
    if isinstance(stmt, ast.Assign):
        return len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) and \
            stmt.targets[0].id == var and not _reads(stmt.value, var) and \
            ir.KIND(stmt) != ir.Kind.ACCUMULATE
    if isinstance(stmt, ast.If):
        return not _reads(stmt.test, var) and _defines(stmt.body, var) and \
            _defines(stmt.orelse, var)
    return False


def _defines(block, var) -> bool:
    """The first statement of ``block`` that mentions ``var`` sets it first."""
    first = next((s for s in block if _mentions(s, var)), None)
    return first is not None and _assigns_first(first, var)


def _local(block, var) -> bool:
    """In ``block`` (run once, or once per iteration), ``var`` is never read before
    the block itself assigns it."""
    for k, s in enumerate(block):
        if not _mentions(s, var):
            continue
        if _assigns_first(s, var):
            return True
        return isinstance(s, (ast.For, ast.While, ast.If)) and \
            not any(_reads(h, var) for h in _header(s)) and \
            all(_local(b, var) for b in (s.body, s.orelse) if b) and \
            not any(_reads(rest, var) for rest in block[k + 1:])
    return True


def _own_use(body, k, var) -> bool:
    """Top-level statement ``k`` is a loop that is a use of ``var`` on its own."""
    loop = body[k]
    if not isinstance(loop, (ast.For, ast.While)) or loop.orelse or \
            any(_mentions(h, var) for h in _header(loop)) or not _local(loop.body, var):
        return False
    for later in body[k + 1:]:
        if _mentions(later, var):
            return _assigns_first(later, var) or (
                isinstance(later, (ast.For, ast.While)) and _local([later], var))
    return True


def _rename(node, old, new):
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id == old:
            n.id = new


def split_webs(fn: ast.FunctionDef, taken: set) -> set:
    """Rename, in place, the independent loop uses of reused local names; returns
    the new names (also added to ``taken``)."""
    if ir.GENERATED(fn):
        return set()        # an adjoint transformed again keeps its names
    params = {a.arg for a in fn.args.args}
    iterated = {name for s in ast.walk(fn) if ir.ITERATES(s) for name in ir.ITERATES(s)}
    assigned = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)
                and isinstance(n.ctx, ast.Store)}
    new_names = set()
    for var in sorted(assigned - params - iterated):
        if var.startswith("_"):
            continue        # the normalizer's temporaries are assigned once
        mentioning = [k for k, s in enumerate(fn.body) if _mentions(s, var)]
        own = [k for k in mentioning if _own_use(fn.body, k, var)]
        if len(mentioning) < 2 or not own:
            continue
        # the first use keeps the name; each later loop of its own gets one
        for k in own:
            if k == mentioning[0]:
                continue
            name = Namer(taken).numbered(f"{var}_v", 2)
            new_names.add(name)
            _rename(fn.body[k], var, name)
    return new_names
