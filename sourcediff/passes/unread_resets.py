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
elements) and that the adjoint does not return: a statement of the sweep's
top level made only of stores of constants into such buffers (at indices that
read none of them; in loops over ``range`` and branches on a name or a
comparison) is dropped where no later statement mentions those buffers or the
loops' variables.
"""
from __future__ import annotations

import ast

from .astutil import free_names, nodes


def drop_unread_resets(body: list, rev: list, arrays, live_out) -> list:
    """``rev`` (the reverse sweep after forward sweep ``body``) without such
    statements; ``arrays``: the adjoint buffers; ``live_out``: names read after."""
    candidates = set(arrays) - set(live_out)
    if not candidates or not any(_resets(s, candidates) for s in rev):
        return rev
    private = _private(body + rev, candidates)
    out, later = [], set(live_out)
    for s in reversed(rev):
        reset = _resets(s, private)
        if reset is not None and not reset & later:
            continue
        later |= free_names(s)
        out.append(s)
    return out[::-1]


def _private(stmts, arrays) -> set:
    """The buffers of ``arrays`` mentioned only as ``x[...]``, ``x.shape`` or
    bound by an assignment of a fresh allocation (``np.zeros_like(...)``)."""
    allowed, names, elements = set(), [], set()
    for n in nodes(ast.Module(body=stmts, type_ignores=[])):
        cls = n.__class__
        if cls is ast.Name:
            if n.id in arrays:
                names.append(n)
        elif cls is ast.Subscript and n.value.__class__ is ast.Name:
            allowed.add(id(n.value))
            elements.add(n.value.id)
        elif cls is ast.Attribute and n.attr == "shape" and n.value.__class__ is ast.Name:
            allowed.add(id(n.value))
        elif cls is ast.Assign and _fresh(n.value):
            allowed.update(id(t) for t in n.targets if t.__class__ is ast.Name)
    return (set(arrays) - {n.id for n in names if id(n) not in allowed}) & elements


def _fresh(value) -> bool:
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and \
        isinstance(value.func.value, ast.Name) and value.func.value.id == "np" and \
        value.func.attr in ("zeros_like", "zeros", "empty_like", "empty")


def _resets(s, private):
    """The names ``s`` stores constants into and binds, where that is all it
    does: ``x[index] = constant`` into private buffers, the index reading none,
    in loops over ``range`` and branches on a name or a comparison; else None."""
    if isinstance(s, ast.Assign):
        target = s.targets[0] if len(s.targets) == 1 else None
        if isinstance(target, ast.Subscript) and isinstance(s.value, ast.Constant) and \
                isinstance(target.value, ast.Name) and target.value.id in private and \
                not free_names(target.slice) & private:
            return {target.value.id}
        return None
    if isinstance(s, ast.For) and isinstance(s.iter, ast.Call) and \
            isinstance(s.iter.func, ast.Name) and s.iter.func.id == "range" and \
            isinstance(s.target, ast.Name) and not s.orelse:
        inner = [_resets(st, private) for st in s.body]
        return None if None in inner else {s.target.id}.union(*inner)
    if isinstance(s, ast.If) and isinstance(s.test, (ast.Name, ast.Compare)):
        inner = [_resets(st, private) for st in s.body + s.orelse]
        return None if None in inner else set().union(*inner)
    return None
