"""Elements copied between an array and its tape go in a loop of their own:
saved before the forward loop that overwrites them (``save_before_loops``),
put back after the reverse loop (``restore_after_loops``).

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
from .astutil import names_in, nodes, rewrite_loops
from .buffers import Liveness


def save_before_loops(stmts: list, saves: dict, sole: set) -> list:
    """``stmts`` (a forward sweep) with such saves moved before their loops;
    ``saves``: the statements saving an element into a tape, by id.

    The forward sweep's counterpart of the put-backs above.  The heat step saves
    the element of ``unew`` it overwrites in the loop that computes it::

        for i in range(1, n - 1):
            _t10 = u[i] + kappa * (u[i - 1] - 2.0 * u[i] + u[i + 1])
            _saved_unew_items[t, i - 1] = unew[i]
            unew[i] = _t10

    and the store into the tape keeps LLVM from running the arithmetic several
    iterations at once, as above.  When each iteration writes ``unew`` only at
    the element it saves, and a different element in each iteration, every
    element saved still holds the value it had before the loop: the saves can
    all run first, in a loop of their own over the same range (the heat
    equation's forward sweep, written out by hand both ways: 0.92 -> 0.63 ms for
    5000 steps of 200 points).

    Taken when: the statement is an element saved into a tape (the reverse pass
    names them), directly in the body of a ``for`` loop without ``break``,
    ``continue``, ``return`` or ``else``; the array is in ``sole`` and the loop
    neither binds its name nor mentions it but to read or write one of its
    elements; every element the loop writes is at the saved index, written
    after the save; that index is the loop's index plus or minus a value the
    loop does not change (or a tuple of one such and values free of the index);
    the tape is mentioned by no other statement of the loop; the loop's bounds
    and the slot read nothing the loop assigns; the loop has no ``if``: after
    a loop of saves, LLVM left Burgers' upwinded update (an ``if`` on the sign
    of ``u[i]``) scalar, 1.56 ms for the forward sweep against 0.42 ms with
    each save in the update loop (which LLVM then vectorizes, saves included).
    """
    if not saves:
        return stmts
    return rewrite_loops(stmts, lambda loop: _split_saves(loop, saves, sole))


def _bound_in(loop):
    """The names ``loop``'s body binds, or None for a loop that may stop early,
    has an ``else``, or binds its index (both splits run whole iterations)."""
    if loop.orelse or not isinstance(loop.target, ast.Name) or \
            any(isinstance(n, (ast.Break, ast.Continue, ast.Return))
                for s in loop.body for n in nodes(s)):
        return None
    names = {n.id for s in loop.body for n in nodes(s)
             if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return None if loop.target.id in names else names


def _split_saves(loop, saves, sole) -> list:
    names = _bound_in(loop)
    if names is None or names_in(loop.iter) & (names | _stored_arrays(loop.body)) or \
            any(isinstance(n, ast.If) for s in loop.body for n in nodes(s)):
        return [loop]
    moved = []
    for k, s in enumerate(loop.body):
        if saves.get(id(s)) is not s:
            continue
        tape, array = s.targets[0].value.id, s.value.value.id
        index = ast.dump(s.value.slice)
        others = [o for o in loop.body if o is not s]
        if array not in sole or array in names or \
                any(tape in names_in(o) for o in others) or \
                names_in(s.targets[0].slice) & (names - {loop.target.id}) or \
                not _one_element_each(s.value.slice, loop.target.id, names) or \
                any(array in _stored_arrays([o]) for o in loop.body[:k]) or \
                not _only_elements_at(array, index, loop.body):
            continue
        moved.append(s)
    kept = [s for s in loop.body if all(s is not m for m in moved)]
    if not moved or not kept:
        return [loop]
    first = ir.copy_facts(loop, ast.For(target=ir.clone(loop.target), iter=ir.clone(loop.iter),
                                        body=moved, orelse=[], type_comment=None))
    second = copy.copy(loop)
    second.body = kept
    arrays = ", ".join(dict.fromkeys(f"'{m.value.value.id}'" for m in moved))
    ir.NOTE.set(first, f"{arrays} saved in a loop of its own, before the loop that overwrites it")
    return [first, second]


def _stored_arrays(stmts) -> set:
    """The arrays an element or slice of which ``stmts`` writes."""
    return {n.value.id for s in stmts for n in nodes(s)
            if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store)
            and isinstance(n.value, ast.Name)}


def _only_elements_at(array, index, stmts) -> bool:
    """``stmts`` mention ``array`` only as ``array[...]``, and write it only at
    ``index`` (an ``ast.dump``)."""
    bases = {id(n.value) for s in stmts for n in nodes(s) if isinstance(n, ast.Subscript)}
    for s in stmts:
        for n in nodes(s):
            if isinstance(n, ast.Name) and n.id == array and id(n) not in bases:
                return False
            if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and \
                    n.value.id == array and isinstance(n.ctx, ast.Store) and \
                    ast.dump(n.slice) != index:
                return False
    return True


def _one_element_each(index, var, assigned) -> bool:
    """``index`` picks a different element in each iteration of a loop over
    ``var`` that assigns ``assigned``: ``var``, ``var + c`` or ``var - c`` (``c``
    unchanged by the loop), or a tuple of one such and parts free of ``var``."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    if any(isinstance(p, ast.Slice) for p in parts) or \
            any(names_in(p) & (assigned - {var}) for p in parts):
        return False
    shifted = [p for p in parts if var in names_in(p)]
    if len(shifted) != 1:
        return False
    p = shifted[0]
    if isinstance(p, ast.BinOp) and isinstance(p.op, (ast.Add, ast.Sub)) and \
            isinstance(p.left, ast.Name) and p.left.id == var:
        return var not in names_in(p.right)
    if isinstance(p, ast.BinOp) and isinstance(p.op, ast.Add) and \
            isinstance(p.right, ast.Name) and p.right.id == var:
        return var not in names_in(p.left)
    return isinstance(p, ast.Name) and p.id == var


def restore_after_loops(stmts: list, restores: dict, sole: set) -> list:
    """``stmts`` (a reverse sweep) with such puts-back moved out of their loops;
    ``restores``: the statements putting an element back from a tape, by id; ``sole``: arrays whose buffer no other name holds at the same time
    (passes/buffers.py)."""
    if not restores:
        return stmts
    return rewrite_loops(stmts, lambda loop: _split(loop, restores, sole))


def _split(loop, restores, sole) -> list:
    names = _bound_in(loop)
    if names is None:
        return [loop]
    assigned = names | _stored_arrays(loop.body)
    if names_in(loop.iter) & assigned:
        return [loop]
    moved = []
    for s in loop.body:
        if restores.get(id(s)) is not s:
            continue
        array, tape = s.targets[0].value.id, s.value.value.id
        others = [o for o in loop.body if o is not s and o not in moved and
                  not _read_before(o, s, loop)]
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


def _read_before(o, put_back, loop) -> bool:
    """``o`` is ``v = a[idx]`` before ``put_back`` (``a[idx] = tape[...]``) in the
    loop's body, of the same element, which each iteration picks by the loop's
    index (``i``, ``i + 1``): it reads the element before its own iteration puts
    it back, and no other iteration puts that element back (the number a store
    wrote there, read back: planner.values_read_back)."""
    body = loop.body
    if not (isinstance(o, ast.Assign) and isinstance(o.targets[0], ast.Name) and
            isinstance(o.value, ast.Subscript) and isinstance(o.value.value, ast.Name) and
            o.value.value.id == put_back.targets[0].value.id and
            ast.dump(o.value.slice) == ast.dump(put_back.targets[0].slice)):
        return False
    if next(k for k, x in enumerate(body) if x is o) > \
            next(k for k, x in enumerate(body) if x is put_back):
        return False
    i = loop.target.id if isinstance(loop.target, ast.Name) else None
    parts = o.value.slice.elts if isinstance(o.value.slice, ast.Tuple) else [o.value.slice]
    return any(isinstance(p, ast.Name) and p.id == i or
               isinstance(p, ast.BinOp) and isinstance(p.op, (ast.Add, ast.Sub)) and
               isinstance(p.left, ast.Name) and p.left.id == i and
               isinstance(p.right, ast.Constant) for p in parts)


def unread_puts_back(stmts: list, restores: dict, sole: set, groups=(),
                     live_out=frozenset()) -> set:
    """The arrays of ``sole`` whose elements ``stmts`` (a reverse sweep) puts
    back (``restores``: those statements, by id) where nothing reads them:

    * no statement reads the array from the first put-back on: from the
      top-level statement holding the first, nothing but the puts-back
      mentions the array (a loop's later iterations run its earlier
      statements again).  ``groups``: sets of arrays a swap or a rotation
      exchanges (the reverse sweep's ``unew, u = u, unew`` hands the buffer
      to another name, which must not be read either).  Storing their
      elements is wasted: the reverse of ``u[i] = math.sin(u[0] * w) * u[i]``
      reads the values stored for it, not ``u``;
    * or after each put-back the name is bound again before anything reads
      it (``buffers.Liveness``, the puts-back taken as doing nothing;
      ``live_out``: names read after the sweep): a time step's ``du =
      np.zeros_like(u)`` and ``du[:, :-1] += fx``, whose reverse puts back
      the elements of ``du`` and then ``du`` itself, the array of the step
      before.  The array is one no other name holds (``sole``), so the
      elements put back are never seen."""
    first: dict = {}
    at: dict = {}
    for k, top in enumerate(stmts):
        for n in nodes(top):
            if restores.get(id(n)) is n:
                first.setdefault(n.targets[0].value.id, k)
                at.setdefault(n.targets[0].value.id, []).append(n)
    out = set()
    live = None
    for array, k in first.items():
        names = {array}.union(*(g for g in groups if array in g))
        if not names <= sole:
            continue
        if not any(names & names_in(n) for top in stmts[k:] for n in _statements(top)
                   if restores.get(id(n)) is not n and not _renames(n, names)):
            out.add(array)
            continue
        if live is None:
            live = Liveness(ast.Module(body=stmts, type_ignores=[]), live_out,
                            skip=set(restores))
        if all(id(n) in live.after and not names & live.after[id(n)] for n in at[array]):
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
