"""Stores of an array into a view of another are printed ``copy_into(view, value)``,
additions ``add_into(view, value)``.

A statement ``H[s] = u`` (a row), ``F[1:-1] = out`` (a slice) or a tape's push
``_saved_u[_saved_u_top] = u`` is a slice assignment from an array.  Numba
compiles one with an error message for shapes that do not match, formatted
from the shapes at run time; compiling that formatting (integers to strings,
joins) takes about 2.5 s the first time a process meets such a store, most of
a small program's first call (q04 Gauss-Seidel: 2.6 of 6.8 s, q01 n-body: 4.6
of 15.4 s).  ``runtime.helpers.copy_into`` makes the same store with loops and
a constant message, in a tenth of the time.  An addition into a view,
``out[i] += f`` (a row of forces), is a slice assignment to Numba too (the
view's sum stored back); ``add_into`` adds in place instead.

The decision is made here, on a function whose variables' types are known;
the emitter prints what is marked (``ir.INTO_VIEW``).  A store (an addition
``+=``) is marked when:

* its value is a name whose type is an array (a number stored into a slice,
  ``dx[1:-1] = 0.0``, compiles without the message), or a pop from a tape
  into a view of one dimension or more (``u[1:] = _saved_u_slices.pop()``, the
  put-back of a slice the forward sweep overwrote: the tape holds what was
  there, an array of the view's shape);
* its target is ``x[index]`` of an array with an index of integers and slices
  only, fewer integers than ``x`` has axes, so that ``x[index]`` is a view (a
  store through an index array, ``x[idx] = v``, writes elements a view cannot
  reach, and stays), or the slot of a tape a push writes an array into.
  Integers are names of an integer type, the targets of enclosing ``for`` loops and
  stack counters (``*_top``) of the tapes, and arithmetic of these.
"""
from __future__ import annotations

import ast

from .. import ir


def mark_view_stores(body: list, types: dict) -> list:
    """Mark, in ``body`` (statements, nested blocks included), the stores of an
    array into a view; returns ``body``."""
    _mark(body, types, frozenset())
    return body


def _array(t) -> bool:
    return t is not None and t.is_array and t.ndim >= 1


def _mark(stmts, types, loop_indices) -> None:
    for s in stmts:
        if isinstance(s, ast.For):
            inner = loop_indices | {s.target.id} if isinstance(s.target, ast.Name) \
                else loop_indices
            _mark(s.body, types, inner)
            _mark(s.orelse, types, loop_indices)
        elif isinstance(s, (ast.If, ast.While)):
            _mark(s.body, types, loop_indices)
            _mark(s.orelse, types, loop_indices)
        elif isinstance(s, ast.Assign) and len(s.targets) == 1 and \
                _array_into_view(s, s.targets[0], types, loop_indices):
            ir.INTO_VIEW.set(s, "copy_into")
        elif isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Add) and \
                isinstance(s.value, ast.Name) and _array_into_view(s, s.target, types,
                                                                   loop_indices):
            ir.INTO_VIEW.set(s, "add_into")


def _array_into_view(s, target, types, loop_indices) -> bool:
    if not isinstance(target, ast.Subscript):
        return False
    value = s.value
    if not isinstance(target.value, ast.Name):
        return False
    index = target.slice
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    if not all(_basic(p, types, loop_indices) for p in parts):
        return False
    op = ir.TAPE(s)
    base = types.get(target.value.id)
    if base is None:
        # a tape's slot (untyped, generated): a push of an array is into a row
        return op is not None and op.role == "push" and isinstance(value, ast.Name) \
            and _array(types.get(value.id))
    if not _array(base) or base.ndim <= sum(not isinstance(p, ast.Slice) for p in parts):
        return False      # an element, not a view
    return isinstance(value, ast.Name) and _array(types.get(value.id)) or \
        op is not None and op.role == "pop"


def _basic(part, types, loop_indices) -> bool:
    """An integer or a slice of integers."""
    if isinstance(part, ast.Slice):
        return all(b is None or _integer(b, types, loop_indices)
                   for b in (part.lower, part.upper, part.step))
    return _integer(part, types, loop_indices)


def _integer(e, types, loop_indices) -> bool:
    if isinstance(e, ast.Constant):
        return isinstance(e.value, int) and not isinstance(e.value, bool)
    if isinstance(e, ast.Name):
        t = types.get(e.id)
        if t is not None:
            return t.kind == "int"
        return e.id in loop_indices or e.id.endswith("_top")
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub, ast.Mult,
                                                       ast.FloorDiv, ast.Mod)):
        return _integer(e.left, types, loop_indices) and _integer(e.right, types, loop_indices)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        return _integer(e.operand, types, loop_indices)
    return False
