"""Constants stored into an adjoint buffer that nothing reads afterwards are
not stored.

The reverse of a table's initialization (``D[i, j] = 1e30`` for every cell,
``D[0, 0] = 0.0``) resets the adjoint's elements, ``dD[i, j] = 0.0``: the
reverse of a store zeroes the adjoint of the element it overwrote.  When that
initialization is the first thing the program does, its reverse runs last and
nothing reads ``dD`` after it (``dD`` is no gradient the adjoint returns): a
loop nest of stores into a buffer about to be dropped, dead code a person
would not write (dynamic time warping's 400 x 380 table: a tenth of its
reverse sweep's stores).

Taken for a buffer of ``adjoints.arrays`` that the adjoint mentions only as
``dX[...]`` or ``dX.shape`` besides its allocation (no other name can see its
elements), not read after the sweep; a store of a constant into it at an index
that reads no such buffer is dropped where liveness (the stores themselves
counted as reading nothing) shows no later read of the buffer; a loop or
branch left empty goes with them when it binds nothing read after it.
"""
from __future__ import annotations

import ast

from .astutil import nodes
from .buffers import Liveness


def drop_unread_resets(body: list, rev: list, arrays, live_out) -> list:
    """``rev`` (the reverse sweep after forward sweep ``body``) without such
    stores; ``arrays``: the adjoint buffers; ``live_out``: names read after."""
    private = _private(body + rev, set(arrays) - set(live_out))
    if not private:
        return rev
    holder = ast.Module(body=rev, type_ignores=[])
    while True:
        resets = {id(s): s.targets[0].value.id for s in nodes(holder) if _reset(s, private)}
        if not resets:
            return holder.body
        live = Liveness(holder, live_out=frozenset(live_out), skip=frozenset(resets))
        dead = {k for k, x in resets.items() if x not in live.after.get(k, {x})}
        if not dead:
            return holder.body
        holder.body = _without(holder.body, dead, live)


def _private(stmts, arrays) -> set:
    """The buffers of ``arrays`` mentioned only as ``x[...]``, ``x.shape`` or
    bound by an assignment of a fresh allocation (``np.zeros_like(...)``)."""
    ok = set(arrays)
    seen_as_element = set()
    for n in nodes(ast.Module(body=stmts, type_ignores=[])):
        for child in ast.iter_child_nodes(n):
            if not (isinstance(child, ast.Name) and child.id in ok):
                continue
            if isinstance(n, ast.Subscript) and n.value is child:
                seen_as_element.add(child.id)
            elif not (isinstance(n, ast.Attribute) and n.value is child and n.attr == "shape"
                      or isinstance(n, ast.Assign) and child in n.targets and _fresh(n.value)):
                ok.discard(child.id)
    return ok & seen_as_element


def _fresh(value) -> bool:
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and \
        isinstance(value.func.value, ast.Name) and value.func.value.id == "np" and \
        value.func.attr in ("zeros_like", "zeros", "empty_like", "empty")


def _reset(s, private) -> bool:
    """``x[index] = constant`` into a private buffer, the index reading none."""
    if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and
            isinstance(s.targets[0], ast.Subscript) and isinstance(s.value, ast.Constant)):
        return False
    target = s.targets[0]
    return isinstance(target.value, ast.Name) and target.value.id in private and \
        not any(isinstance(n, ast.Name) and n.id in private for n in nodes(target.slice))


def _without(stmts, dead, live) -> list:
    out = []
    for s in stmts:
        if id(s) in dead:
            continue
        if isinstance(s, (ast.For, ast.While, ast.If)):
            s.body = _without(s.body, dead, live)
            s.orelse = _without(s.orelse, dead, live)
            if not s.body and not s.orelse and _drops(s, live):
                continue
            if not s.body:
                s.body = [ast.Pass()]
        out.append(s)
    return out


def _drops(s, live) -> bool:
    """An emptied ``for`` over ``range`` whose variable nothing reads after it,
    or an emptied ``if`` on a name or a comparison, does nothing."""
    if isinstance(s, ast.For):
        it = s.iter
        return isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and \
            it.func.id == "range" and isinstance(s.target, ast.Name) and \
            s.target.id not in live.after.get(id(s), {s.target.id})
    return isinstance(s, ast.If) and isinstance(s.test, (ast.Name, ast.Compare))
