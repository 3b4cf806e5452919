"""The first contribution to a scalar adjoint known to be zero is a plain
assignment: ``da = e`` instead of ``da += e``.

``da += e`` on a zero ``da`` computes ``0.0 + e``.  The compiler may not drop
that addition (it changes the sign of a zero result), so every first
contribution of a reverse iteration costs an addition, and ``da`` stays a
value carried from one iteration to the next, as in::

    da += _dt7 * _t6          # da is 0.0 here: the reset of the last iteration
    da += _dt6 * 100.0
    ...
    da = 0.0

Where the known-zero analysis of passes/sink.py proves ``da`` zero, the
first ``+=`` becomes ``=`` (a ``-=``, ``= -e``), and a ``da = 0.0`` just
before it in the same block goes (nothing reads it any more): the same math written with
one-line expressions had no such additions (Rosenbrock with temporaries ran
1.3x slower than its one-line form).  Only in loop bodies: outside them the
addition runs once, and rewriting there was measured to slow a program down
(the barrier option, 2.0x -> 2.3x the primal, through the code Numba made).  Only the sign of a zero gradient can
change: ``-0.0`` where ``0.0 + -0.0`` gave ``0.0``.
"""
from __future__ import annotations

import ast
import copy

from .. import ir
from .astutil import is_const, names_in, remembered
from .sink import Adjoints, loop_entry, zero_after

_LOOPS = (ast.For, ast.While)


def assign_first_adds(stmts: list, adjoints: Adjoints) -> list:
    """``stmts`` (a reverse sweep, after passes/sink.py) with each ``dx += e``
    in a loop body on a scalar adjoint known to be zero written ``dx = e``.
    (Outside loops the addition runs once: the statements stay as they are.)
    An element of an adjoint array set to zero and then added to at the same
    index in the same block, nothing between mentioning the array or changing
    the index (``dv[i, j] = 0.0`` after reading it, then ``dv[i, j] += e``:
    the reverse of ``v[i, j] = ... v[i, j] ...``), is set: ``dv[i, j] = e``."""
    stmts = _block(stmts, frozenset(), adjoints, False, remembered(names_in))[0]
    return _element_firsts(stmts, adjoints, False)


def _element_firsts(stmts: list, adjoints: Adjoints, looped) -> list:
    out = []
    for s in stmts:
        if getattr(s, "body", None):
            # (a copy of a block only: a statement itself keeps its id, which the
            # later passes know it by: passes/restore_loops.py's put-backs)
            s = copy.copy(s)
            for f in ("body", "orelse"):
                if getattr(s, f, None):
                    setattr(s, f, _element_firsts(getattr(s, f), adjoints,
                                                  looped or isinstance(s, _LOOPS)))
        out.append(s)
    k = 0
    while k < len(out):
        s = out[k]
        if looped and isinstance(s, ast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], ast.Subscript) and \
                isinstance(s.targets[0].value, ast.Name) and \
                s.targets[0].value.id in adjoints.arrays and is_const(s.value, 0):
            later = _first_add_at(out, k, s.targets[0], adjoints)
            if later is not None:
                add = out[later]
                value = add.value if isinstance(add.op, ast.Add) else \
                    ast.UnaryOp(op=ast.USub(), operand=add.value)
                new = ast.Assign(targets=[add.target], value=value)
                ir.copy_facts(add, new)
                out[later] = new
                del out[k]
                continue
        k += 1
    return out


def _first_add_at(stmts, k, target, adjoints):
    """The index of ``A[i] += e`` (or ``-=``) after ``stmts[k]`` (``A[i] = 0.0``,
    ``target`` its ``A[i]``) with nothing between mentioning ``A`` or binding a
    name of ``i``, and ``e`` not reading ``A``; between them no element of an
    adjoint array is set (one may be a view of another); else None."""
    array = target.value.id
    index = {n.id for n in ast.walk(target.slice) if isinstance(n, ast.Name)}
    want = ast.dump(target.slice)
    for j in range(k + 1, len(stmts)):
        t = stmts[j]
        if isinstance(t, ast.AugAssign) and isinstance(t.op, (ast.Add, ast.Sub)) and \
                isinstance(t.target, ast.Subscript) and isinstance(t.target.value, ast.Name) \
                and t.target.value.id == array and ast.dump(t.target.slice) == want and \
                array not in names_in(t.value):
            return j
        mentioned = names_in(t)
        bound = {n.id for n in ast.walk(t) if isinstance(n, ast.Name) and
                 isinstance(n.ctx, ast.Store)}
        targets = t.targets if isinstance(t, ast.Assign) else [getattr(t, "target", None)]
        if array in mentioned or bound & index or not all(
                isinstance(x, ast.Name) or isinstance(x, ast.Subscript) and
                isinstance(x.value, ast.Name) and x.value.id not in adjoints.arrays
                for x in targets):
            return None
    return None


def _block(stmts, zero: frozenset, adjoints: Adjoints, looped, names) -> tuple[list, frozenset]:
    out = []
    for s in stmts:
        if isinstance(s, ast.If):
            new = copy.copy(s)
            new.body, body_zero = _block(s.body, zero, adjoints, looped, names)
            new.orelse, else_zero = _block(s.orelse, zero, adjoints, looped, names)
            zero = body_zero & else_zero
            out.append(new)
            continue
        if isinstance(s, _LOOPS):
            zero = loop_entry(s, zero, adjoints)
            new = copy.copy(s)
            new.body = _block(s.body, zero, adjoints, True, names)[0]
            out.append(new)
            continue
        if looped and isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name) and \
                s.target.id in zero and s.target.id in adjoints.scalars and \
                isinstance(s.op, (ast.Add, ast.Sub)):
            value = s.value if isinstance(s.op, ast.Add) else \
                ast.UnaryOp(op=ast.USub(), operand=s.value)
            new = ast.Assign(targets=[ast.Name(id=s.target.id, ctx=ast.Store())], value=value)
            ir.copy_facts(s, new)
            s = new
            _drop_zeroing(out, s.targets[0].id, names)
        zero = zero_after([s], zero, adjoints)
        out.append(s)
    return out, zero


def _drop_zeroing(out: list, name: str, names):
    """The last statement of ``out`` mentioning ``name``, when it is ``name =
    0.0`` (an initialisation, a reset): now overwritten before any read, gone."""
    for j in range(len(out) - 1, -1, -1):
        if name in names(out[j]):
            st = out[j]
            if isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name) and \
                    is_const(st.value, 0):
                del out[j]
            return
