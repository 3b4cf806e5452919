"""Elements put back from a tape in a reverse loop go back in a loop of their own.

The reverse of a stencil step into a second buffer (``unew[i] = u[i] +
kappa * (u[i - 1] - 2 * u[i] + u[i + 1])``) puts back the element of
``unew`` the step overwrote, in the same loop that reads ``u``::

    for i in range(n - 2, 0, -1):
        _t8 = u[i - 1] - 2.0 * u[i] + u[i + 1]
        _dt10 = dunew[i]
        dunew[i] = 0.0
        unew[i] = _saved_unew_items[t * (n - 2) + (i - 1)]
        dkappa += _dt10 * _t8
        ...

``u`` and ``unew`` are two buffers (a swap exchanges them), but LLVM cannot
know that a write into ``unew[i]`` does not change the ``u[i + 1]`` the next
iteration reads, so it runs the iterations one at a time.  Nothing else in the
loop mentions ``unew``: putting its elements back after the loop, in a loop of
their own over the same range, changes no value, and the loop left does the
arithmetic several iterations at once (the heat equation's gradient took
1.8 ms instead of 1.1 ms with its sums reassociated).

Taken when: the statement is an element put back from a tape (the reverse pass
names them), directly in the body of a ``for`` loop without ``break``,
``continue``, ``return`` or ``else``; the array is mentioned by no other
statement of the loop and no other name holds its buffer while it does (it is made fresh, or
exchanged with such arrays by a swap; never bound to another name, viewed or
passed to a function: ``sole_arrays`` in passes/buffers.py); the tape is not written in the
loop; the loop's bounds and the indices read nothing the loop assigns.
"""
from __future__ import annotations

import ast
import copy

from .. import ir
from .astutil import names_in, rewrite_loops


def restore_after_loops(stmts: list, restores: dict, sole: set) -> list:
    """``stmts`` (a reverse sweep) with such puts-back moved out of their loops;
    ``restores``: the statements putting an element back from a tape, by id; ``sole``: arrays whose buffer no other name holds at the same time
    (passes/buffers.py)."""
    if not restores:
        return stmts
    return rewrite_loops(stmts, lambda loop: _split(loop, restores, sole))


def _split(loop, restores, sole) -> list:
    if loop.orelse or not isinstance(loop.target, ast.Name) or \
            any(isinstance(n, (ast.Break, ast.Continue, ast.Return))
                for s in loop.body for n in ast.walk(s)):
        return [loop]
    names = {n.id for s in loop.body for n in ast.walk(s)
             if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    assigned = names | {n.value.id for s in loop.body for n in ast.walk(s)
                        if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store)
                        and isinstance(n.value, ast.Name)}
    if loop.target.id in names or names_in(loop.iter) & assigned:
        return [loop]
    moved = []
    for s in loop.body:
        if restores.get(id(s)) is not s:
            continue
        array, tape = s.targets[0].value.id, s.value.value.id
        others = [o for o in loop.body if o is not s and o not in moved]
        if array not in sole or tape in assigned or \
                any(array in names_in(o) for o in others) or \
                (names_in(s.targets[0].slice) | names_in(s.value.slice)) & \
                (assigned - {array}):
            continue
        moved.append(s)
    kept = [s for s in loop.body if all(s is not m for m in moved)]
    if not moved or not kept:
        return [loop]
    first = copy.copy(loop)
    first.body = kept
    second = ir.copy_facts(loop, ast.For(target=ir.clone(loop.target), iter=ir.clone(loop.iter),
                                         body=moved, orelse=[], type_comment=None))
    arrays = ", ".join(dict.fromkeys(f"'{m.targets[0].value.id}'" for m in moved))
    ir.NOTE.set(second, f"{arrays} put back after the loop above (which then vectorizes)")
    return [first, second]


def unread_puts_back(stmts: list, restores: dict, sole: set, groups=()) -> set:
    """The arrays of ``sole`` whose elements ``stmts`` (a reverse sweep) puts
    back (``restores``: those statements, by id) where no statement reads the
    array from the first of them on: from the top-level statement holding the
    first, nothing but the puts-back mentions the array (a loop's later
    iterations run its earlier statements again).  ``groups``: sets of arrays
    a swap or a rotation exchanges (the reverse sweep's ``unew, u = u, unew``
    hands the buffer to another name, which must not be read either).
    Storing their elements is wasted: the reverse of ``u[i] = math.sin(u[0] *
    w) * u[i]`` reads the values stored for it, not ``u``."""
    first: dict = {}
    for k, top in enumerate(stmts):
        for n in ast.walk(top):
            if restores.get(id(n)) is n:
                first.setdefault(n.targets[0].value.id, k)
    out = set()
    for array, k in first.items():
        names = {array}.union(*(g for g in groups if array in g))
        if names <= sole and not any(
                names & names_in(n) for top in stmts[k:] for n in _statements(top)
                if restores.get(id(n)) is not n and not _renames(n, names)):
            out.add(array)
    return out


def _renames(s, names) -> bool:
    """``s`` binds names of ``names`` to each other's arrays (``a, b = b, a``)."""
    if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and
            isinstance(s.targets[0], ast.Tuple) and isinstance(s.value, ast.Tuple)):
        return False
    new = [e.id if isinstance(e, ast.Name) else None for e in s.targets[0].elts]
    old = [e.id if isinstance(e, ast.Name) else None for e in s.value.elts]
    return None not in new and None not in old and set(new) == set(old) and set(new) <= names


def _statements(top):
    """The simple statements in ``top`` and the heads of its compound ones."""
    if isinstance(top, (ast.For, ast.While, ast.If)):
        yield from (ast.Expr(value=h) for h in (getattr(top, "iter", None),
                                                 getattr(top, "test", None),
                                                 getattr(top, "target", None)) if h is not None)
        for s in top.body + top.orelse:
            yield from _statements(s)
    else:
        yield top
