"""Rows of kept nests: where the forward sweep copies what a scratch nest leaves
and where the reverse sweep reads it (passes/rerun.py ``_keep`` decides which
nests are kept; ``Planner.kept_tapes`` lays out their tapes).

A kept array ``a`` of a nest inside ``for c in range(k)`` gets a tape with a row
per iteration of the loops around the nest (but a fused loop's: its tape holds
one of its iterations) and the array's length: ``_kept_a = np.empty((max(k, 0),
d), np.float64)``; after the nest the forward sweep copies ``a`` into row ``c``,
and the reverse iteration reads ``_kept_a[c, j]`` where it read ``a[j]``.  A
kept number is a slot per iteration, stored after the nest and loaded where
the reverse iteration starts.
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from .astutil import assign, call, const, is_const, name, nodes, walk
from .tape import IndexedTape


def _axes(tape: IndexedTape, field: str) -> list:
    """The tape's axes (``field``: "capacity" or "index"); none for a single slot
    (every loop around the nest fused)."""
    if is_const(tape.capacity, 1) and is_const(tape.index, 0):
        return []
    e = getattr(tape, field)
    return [ir.clone(a) for a in (e.elts if isinstance(e, ast.Tuple) else [e])]


def _tuple(axes: list, empty) -> ast.expr:
    if not axes:
        return empty
    return axes[0] if len(axes) == 1 else ast.Tuple(elts=axes, ctx=ast.Load())


def row_slot(tape: IndexedTape, element=None) -> ast.expr:
    """The current iteration's row of ``tape`` (with ``element``: that element)."""
    return _tuple(_axes(tape, "index") + ([element] if element is not None else []), const(0))


def allocation(tname: str, tape: IndexedTape, length, line) -> ast.stmt:
    """``tname = np.empty(shape, dtype)``: a row per iteration, of ``length``
    (None for a number), marked as an array tape (``ir.TAPE``)."""
    axes = _axes(tape, "capacity") + ([ir.clone(length)] if length is not None else [])
    dtype = np.dtype(tape.dtype)
    kind = "bool_" if dtype.kind == "b" else dtype.name
    out = assign(tname, ast.Call(func=ast.parse("np.empty", mode="eval").body,
                                 args=[_tuple(axes, const(1)),
                                       ast.parse(f"np.{kind}", mode="eval").body],
                                 keywords=[]), line)
    ir.TAPE.set(out, ir.TapeOp("array", tname, dtype))
    return out


def copy_in(tname: str, tape: IndexedTape, var: str, length, counter: str, line) -> ast.stmt:
    """After the nest: ``var`` into its row (an array: a loop over ``length``
    with ``counter``), marked ``ir.TAPE`` role ``keep``."""
    if length is None:
        out = assign(ast.Subscript(value=name(tname), slice=row_slot(tape), ctx=ast.Store()),
                     name(var), line)
    else:
        out = ast.For(target=name(counter, True), iter=call("range", ir.clone(length)),
                      body=[assign(ast.Subscript(value=name(tname),
                                                 slice=row_slot(tape, name(counter)),
                                                 ctx=ast.Store()),
                                   ast.Subscript(value=name(var), slice=name(counter),
                                                 ctx=ast.Load()), line)],
                      orelse=[], type_comment=None)
        ir.LINE.set(out, line)
        ir.NOTE.set(out, f"'{var}' as this iteration leaves it, kept for the reverse sweep "
                         f"(cheaper than re-running the loops)")
    ir.TAPE.set(out, ir.TapeOp("keep", tname, None))
    return out


def load(tname: str, tape: IndexedTape, var: str, line) -> ast.stmt:
    """``var = tname[slot]``: a kept number back where the reverse iteration starts."""
    return assign(var, ast.Subscript(value=name(tname), slice=row_slot(tape), ctx=ast.Load()),
                  line)


def read_rows(stmts: list, rows: dict) -> list:
    """``stmts`` reading each array of ``rows`` (array -> (tape name, IndexedTape))
    from its row: ``a[j]`` becomes ``_kept_a[c, j]``.  Nothing writes a kept
    array in reverse (its stores save nothing: it is written only by the nests)."""
    if not rows:
        return stmts

    class Rows(ast.NodeTransformer):
        def visit_Subscript(self, node):
            self.generic_visit(node)
            if isinstance(node.value, ast.Name) and node.value.id in rows:
                if not isinstance(node.ctx, ast.Load):
                    raise AssertionError(f"a kept array is written in reverse: {node.value.id}")
                tname, tape = rows[node.value.id]
                return ast.Subscript(value=name(tname), slice=row_slot(tape, node.slice),
                                     ctx=ast.Load())
            return node
    return [Rows().visit(st) for st in stmts]


def drop_unread_rows(body, rev) -> tuple:
    """``(body, rev, read)``: without the rows of kept nests that nothing reads (a
    fused loop's reverse iteration reads its arrays as the forward one left
    them; a counter counting forwards again), nor their tapes; ``read``: the
    kept tapes read."""
    marked = [(st, ir.TAPE(st)) for st in walk(body + rev) if ir.TAPE(st) is not None]
    kept = {op.tape for _, op in marked if op.role == "keep"}
    read = {n.value.id for n in nodes(ast.Module(body=body + rev, type_ignores=[]))
            if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load)
            and isinstance(n.value, ast.Name) and n.value.id in kept}
    unread = kept - read
    if not unread:
        return body, rev, read
    drop = {id(st) for st, op in marked if op.tape in unread and op.role in ("keep", "array")}

    def without(stmts):
        out = []
        for st in stmts:
            if id(st) in drop:
                continue
            for f in ("body", "orelse"):
                if getattr(st, f, None):
                    setattr(st, f, without(getattr(st, f)) or [ast.Pass()])
            out.append(st)
        return out
    return without(body), without(rev), read
