"""An adjoint element added to in every iteration of an inner loop is summed in
a local variable and added once, after the loop.

The reverse of ``qx[row] += L[entry] * xc[j]`` over ``row`` (the inner loop
of a triangular product) adds to one element of ``dxc`` in every iteration::

    for row in range(d - 1, j, -1):
        ...
        dxc[j] += _dt16 * _t14
        dL[c, entry] += _dt16 * _t15

The compiler must load and store ``dxc[j]`` each time: it cannot prove the
store into ``dL`` leaves it alone.  Written with a local sum, as by hand::

    if d - 1 > j:
        _t15 = xc[j]
        dxc_sum = 0.0
        for row in range(d - 1, j, -1):
            ...
            dxc_sum += _dt16 * _t14
            dL[c, entry] += _dt16 * _t15
        dxc[j] += dxc_sum

the sum stays in a register, and so does ``xc[j]``, read once (the GMM
adjoint ran 4.0x -> 3.5x its primal).  All of it runs only when the loop
runs (the element's index may not exist otherwise).

Taken only when it cannot change a value: the target is an adjoint buffer
(sourcediff allocates those, ``np.zeros_like``; one that is ever bound to
anything else, a view of another one, is left alone), the loop is innermost
and straight-line, its step a constant, the element's index reads nothing
the loop assigns (nor its counter), it adds one element (not a view:
``dx[:2] += g``), and nothing else in the loop mentions the buffer but adds
into its elements (which commute with the sum's: a pair loop's reverse adds
to ``dsn[i]`` and to ``dsn[j]`` in every iteration over ``j``, ``j == i``
included; Kuramoto's sin/cos rows 3.7 -> 1.2 ms, edited by hand).  Then
reads of elements the loop cannot change (the array is
not one the loop writes, which are adjoint buffers only; the index is fixed)
move before the loop too.  Only the rounding of the sum can differ (the
loop's terms are added together first).
"""
from __future__ import annotations

import ast
import copy

from .. import ir
from ..names import Namer
from .astutil import nodes, range_ran, range_step, rewrite_loops
from .sink import Adjoints

ALLOCATIONS = {"zeros_like", "zeros", "reuse_zeros", "empty_like", "empty"}


def sum_invariant_adds(stmts: list, adjoints: Adjoints, before=()) -> list:
    """``stmts`` (a reverse sweep) with each such element summed locally;
    ``before``: the statements before it (the forward sweep), where a buffer
    may be bound to a view of another one too."""
    names = {n.id for s in list(before) + list(stmts) for n in nodes(s)
             if isinstance(n, ast.Name)}
    plain = adjoints.arrays - shared_buffers(list(before) + list(stmts), adjoints)
    return _Rewriter(plain, Namer(names)).block(stmts)


def shared_buffers(stmts, adjoints) -> set:
    """Adjoint buffers that another name may share: bound to anything but a new
    array or a permutation of buffers (``du, dunew = dunew, du``), or read
    whole or sliced by a value bound to a name (``dy = dx[1:]``, ``dy = dx``)."""
    out = set()
    for s in (n for top in stmts for n in nodes(top)):
        if not isinstance(s, ast.Assign):
            continue
        targets = [n.id for t in s.targets if not isinstance(t, ast.Subscript)
                   for n in nodes(t) if isinstance(n, ast.Name)]
        value = s.value
        values = value.elts if isinstance(value, ast.Tuple) else [value]
        allocation = isinstance(value, ast.Call) and _func_name(value) in ALLOCATIONS
        permutation = isinstance(value, ast.Tuple) and \
            all(isinstance(e, ast.Name) for e in values) and \
            sorted(e.id for e in values) == sorted(targets)
        if allocation or permutation:
            continue
        out.update(t for t in targets if t in adjoints.arrays)
        elements = {id(n.value) for n in nodes(value) if isinstance(n, ast.Subscript)
                    and not any(isinstance(p, ast.Slice) for p in nodes(n.slice))}
        out.update(n.id for n in nodes(value) if isinstance(n, ast.Name)
                   and n.id in adjoints.arrays and id(n) not in elements)
    return out


def _func_name(call):
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)


class _Rewriter:
    def __init__(self, plain, namer):
        self.plain, self.namer = plain, namer

    def block(self, stmts) -> list:
        return rewrite_loops(stmts, self.loop)

    def loop(self, loop) -> list:
        step = range_step(loop)
        if step is None or loop.orelse or not all(isinstance(s, (ast.Assign, ast.AugAssign))
                                   for s in loop.body):
            return [loop]
        assigned = {loop.target.id} | {n.id for s in loop.body for n in nodes(s)
                                       if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        before, after, body = [], [], list(loop.body)
        for k, s in enumerate(body):
            x = _invariant_add(s, assigned, self.plain)
            if x is None or any(x in _mentions(o) and not _adds_into(o, x)
                                for o in body if o is not s):
                continue
            acc = self.namer.fresh(f"{x}_sum")
            line = ir.LINE(s)
            before.append(ir.tag(ast.Assign(targets=[_store(acc)], value=ast.Constant(0.0)),
                                 line, ir.Kind.ASSIGN))
            new = ast.AugAssign(target=_store(acc), op=s.op, value=s.value)
            ir.copy_facts(s, new)
            body[k] = new
            flush = ast.AugAssign(target=ir.clone(s.target), op=ast.Add(), value=_load(acc))
            ir.copy_facts(s, flush)
            after.append(flush)
        if not before:
            return [loop]
        hoisted = self.hoist(body, assigned)
        new_loop = copy.copy(loop)
        new_loop.body = body
        ran = ast.If(test=range_ran(loop.iter, step), body=hoisted + before + [new_loop] + after,
                     orelse=[])
        ir.tag(ran, ir.LINE(loop), ir.Kind.IF)
        return [ran]

    def hoist(self, body, assigned) -> list:
        """Reads of an element the loop cannot change, taken out of ``body``
        (which writes only into plain adjoint buffers: new arrays, shared with
        nothing the loop reads): ``_t15 = xc[j]`` with ``j`` fixed in the loop."""
        writes = {s.target.value.id if isinstance(s.target, ast.Subscript) else None
                  for s in body if isinstance(s, ast.AugAssign)} | \
            {t.value.id if isinstance(t.value, ast.Name) else None
             for s in body if isinstance(s, ast.Assign) for t in s.targets
             if isinstance(t, ast.Subscript)}
        if not writes - {None} <= self.plain:
            return []
        out, seen = [], set()
        binds = {}
        for s in body:
            for n in nodes(s):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    binds[n.id] = binds.get(n.id, 0) + 1
        for s in list(body):
            v = getattr(s, "value", None)
            if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and \
                    isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name) and \
                    v.value.id not in self.plain and v.value.id not in assigned and \
                    not _mentions(v.slice) & assigned and binds[s.targets[0].id] == 1 and \
                    s.targets[0].id not in seen:
                body.remove(s)
                out.append(s)
            seen |= _mentions(s)
        return out


def _invariant_add(s, assigned, plain):
    """The buffer of ``dX[idx] += e`` with ``idx`` fixed in the loop, else None."""
    if not (isinstance(s, ast.AugAssign) and isinstance(s.op, (ast.Add, ast.Sub)) and
            isinstance(s.target, ast.Subscript) and isinstance(s.target.value, ast.Name)):
        return None
    x = s.target.value.id
    index_names = {n.id for n in nodes(s.target.slice) if isinstance(n, ast.Name)}
    if x not in plain or index_names & assigned or x in _mentions(s.value) or ir.ARRAY(s):
        return None     # (a view's worth, dx[:2] += g, has no number to sum into)
    return x


def _adds_into(other, x) -> bool:
    """``other`` only adds into an element of ``x`` (``dx[k] += e``, ``e`` and ``k``
    not reading ``x``): it commutes with the adds summed locally."""
    return isinstance(other, ast.AugAssign) and isinstance(other.op, (ast.Add, ast.Sub)) and \
        isinstance(other.target, ast.Subscript) and isinstance(other.target.value, ast.Name) \
        and other.target.value.id == x and not ir.ARRAY(other) and \
        x not in _mentions(other.value) and x not in _mentions(other.target.slice)


def _mentions(node) -> set:
    return {n.id for n in nodes(node) if isinstance(n, ast.Name)}


def _load(name):
    return ast.Name(id=name, ctx=ast.Load())


def _store(name):
    return ast.Name(id=name, ctx=ast.Store())
