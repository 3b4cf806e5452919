"""Copies of adjoint arrays that nothing needs: ``_dt4 = fresh(unbroadcast(dh, _t4))``
becomes ``_dt4 = unbroadcast(dh, _t4)`` where the copy cannot be observed.

The reverse sweep gives a temporary the adjoint ``dh`` of another value
(``h + _t4`` hands its adjoint to both operands) through ``fresh``, a copy,
because ``dh`` goes on being accumulated into while ``_dt4`` may still be
read. In a loop over time steps over small arrays (a neural ODE, a recurrent
cell), that is an allocation and a copy per step for nothing when ``_dt4``
is read at once, as in::

    _dt4 = fresh(unbroadcast(dh, _t4))
    h = _saved_h.pop()
    dh = unbroadcast(dh, h)
    _dt3 += _dt4 * dt          # the last read of _dt4: dh not yet written

The copy goes when all of this holds, checked on the finished reverse sweep:
``_dt4`` is assigned once; every read of it follows that assignment in the
same block; each read is an operand of arithmetic (which makes a new array,
so no other name ever holds ``_dt4``'s memory); and every statement from the
assignment up to the last read assigns plain names only (no ``+=``, no
element or slice store, no loop or branch): nothing can write the memory
``_dt4`` shares before it is read for the last time.
"""
from __future__ import annotations

import ast

from .astutil import blocks, nodes

_ARITHMETIC = (ast.BinOp, ast.UnaryOp)


def drop_needless_copies(stmts: list) -> list:
    """``stmts`` (a finished reverse sweep) with each ``x = fresh(e)`` that
    the rules above allow written ``x = e``; the statements are changed in
    place and returned."""
    loads, stores = {}, {}
    for n in nodes(ast.Module(body=stmts, type_ignores=[])):
        if isinstance(n, ast.Name):
            counts = loads if isinstance(n.ctx, ast.Load) else stores
            counts[n.id] = counts.get(n.id, 0) + 1
    for block in blocks(stmts):
        for k, s in enumerate(block):
            copied = _copied_value(s)
            if copied is None:
                continue
            x = s.targets[0].id
            if stores.get(x) == 1 and _unobserved(x, block[k + 1:], loads.get(x, 0)):
                s.value = copied
    return stmts


def _copied_value(s):
    """``e`` when ``s`` is ``name = fresh(e)``."""
    if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
            and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Name) \
            and s.value.func.id == "fresh" and len(s.value.args) == 1 and not s.value.keywords:
        return s.value.args[0]
    return None


def _unobserved(x: str, after: list, reads: int) -> bool:
    """Every one of the ``reads`` reads of ``x`` is in ``after``, as an
    operand of arithmetic, and nothing up to the last one writes in place."""
    seen = 0
    for s in after:
        if seen == reads:
            return True
        here = _operand_reads(s, x)
        if here is None:
            return False
        seen += here
        if seen < reads and not _assigns_names_only(s):
            return False
    return seen == reads and reads > 0


def _operand_reads(s, x: str):
    """How many times ``s`` reads ``x``, or None when one of them is not an
    operand of arithmetic in a simple assignment."""
    found = [n for n in nodes(s) if isinstance(n, ast.Name) and n.id == x and
             isinstance(n.ctx, ast.Load)]
    if not found:
        return 0
    if not isinstance(s, (ast.Assign, ast.AugAssign)):
        return None
    operands = set()
    for n in nodes(s.value):
        if isinstance(n, ast.BinOp):
            operands.update(id(v) for v in (n.left, n.right))
        elif isinstance(n, ast.UnaryOp):
            operands.add(id(n.operand))
    if all(id(n) in operands for n in found):
        return len(found)
    return None


_PURE_HELPERS = {"unbroadcast", "reshape_like", "fresh"}
_WRITING_NUMPY = {"copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis"}


def _assigns_names_only(s) -> bool:
    """``s`` binds names, to values of calls that write no array: sourcediff's
    shape helpers, NumPy and math functions, a tape's ``pop``; or moves a
    stack's top (``_saved_h_top -= 1``)."""
    if isinstance(s, ast.AugAssign):
        return isinstance(s.target, ast.Name) and isinstance(s.value, ast.Constant)
    if not isinstance(s, ast.Assign):
        return False
    if not all(isinstance(n, ast.Name) for t in s.targets for n in nodes(t)
               if isinstance(n, (ast.Name, ast.Subscript, ast.Attribute, ast.Starred))):
        return False
    return all(_pure_call(n) for n in nodes(s.value) if isinstance(n, ast.Call))


def _pure_call(call) -> bool:
    f = call.func
    if isinstance(f, ast.Name):
        return f.id in _PURE_HELPERS
    if isinstance(f, ast.Attribute):
        return f.attr == "pop" and not call.args or \
            isinstance(f.value, ast.Name) and f.value.id in ("np", "math") and \
            f.attr not in _WRITING_NUMPY and not call.keywords
    return False
