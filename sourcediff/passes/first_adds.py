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
    (Outside loops the addition runs once: the statements stay as they are.)"""
    return _block(stmts, frozenset(), adjoints, False, remembered(names_in))[0]


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
