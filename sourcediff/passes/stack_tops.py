"""A stack that one loop's iterations fill and empty starts each iteration empty.

In a fused loop (its reverse iterations right after their forward ones) an
inner loop pushes a carried value per step and the reverse of the same outer
iteration pops them all again (a Horner evaluation per point)::

    for i in range(n):
        for k in range(deg):
            _saved_num[_saved_num_top] = num
            _saved_num_top += 1
            ...
        for k in range(deg):
            _saved_num_top -= 1
            num = _saved_num[_saved_num_top]

Every iteration of the outer loop leaves the top where it found it, at 0, but
the compiler cannot know that: the counter is carried from one iteration to
the next, and each push's address depends on the iteration before.  Setting
it to 0 where the iteration starts says so (q: Horner's rule per point, 16%
of the gradient's time).

The reset goes at the start of the innermost ``for`` loop holding every push,
every pop and every other use of the counter (its allocation's ``= 0`` aside):
each iteration of that loop then pops what it pushes, as nothing outside the
loop pushes or pops.  Stacks of lists and indexed tapes have no counter.
"""
from __future__ import annotations

import ast

from .. import ir
from .astutil import nodes


def reset_stack_tops(body: list, rev: list) -> tuple:
    """``(body, rev)``, the forward and reverse sweeps, with the counter of each
    stack that one loop's iterations fill and empty set to 0 where each of its
    iterations starts."""
    tops = _stack_counters(body + rev)
    if not tops:
        return body, rev
    uses: dict = {top: [] for top in tops}      # top -> [the loops around each use]
    _collect(body + rev, [], uses)
    resets: dict = {}                           # id(loop) -> (loop, [top])
    for top in sorted(uses):
        loop = _innermost_common(uses[top])
        if loop is not None:
            resets.setdefault(id(loop), (loop, []))[1].append(top)
    for loop, names in resets.values():
        new = [ir.tag(ast.Assign(targets=[ast.Name(id=top, ctx=ast.Store())],
                                 value=ast.Constant(0)), ir.LINE(loop), ir.Kind.ASSIGN)
               for top in names]
        ir.NOTE.set(new[0], "each iteration pops what it pushes: "
                            f"{'its stacks start' if len(new) > 1 else 'the stack starts'} empty")
        loop.body[:0] = new
    # (the ``= 0`` where the stack is allocated is dead now)
    reset = {top for _, names in resets.values() for top in names}
    return _without_inits(body, reset), _without_inits(rev, reset)


def _without_inits(stmts, tops) -> list:
    return [s for s in stmts if not (_is_init(s) and s.targets[0].id in tops)]


def _is_init(s) -> bool:
    return isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) \
        and isinstance(s.value, ast.Constant) and s.value.value == 0


def _stack_counters(stmts) -> set:
    """The top counters of the stacks pushed onto in ``stmts``: the index of a
    push ``X[X_top] = v`` or ``store_row(X, X_top, v)``."""
    out = set()
    for n in nodes(ast.Module(body=stmts, type_ignores=[])):
        op = ir.TAPE(n) if isinstance(n, ast.stmt) else None
        if op is None or op.role != "push":
            continue
        if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Subscript) \
                and isinstance(n.targets[0].slice, ast.Name):
            out.add(n.targets[0].slice.id)
        elif isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) \
                and len(n.value.args) == 3 and isinstance(n.value.args[1], ast.Name):
            out.add(n.value.args[1].id)
    return out


def _collect(stmts, loops, uses) -> None:
    """For each use of a counter, the ``for`` loops around it (outermost first);
    the counter's top-level ``= 0`` (where the stack is allocated) aside."""
    for s in stmts:
        if not loops and _is_init(s) and s.targets[0].id in uses:
            continue
        inner = (s.body, s.orelse) if isinstance(s, (ast.For, ast.While, ast.If)) else ()
        heads = [s.iter, s.target] if isinstance(s, ast.For) else \
            [s.test] if isinstance(s, (ast.While, ast.If)) else [s]
        for head in heads:
            for n in nodes(head):
                if isinstance(n, ast.Name) and n.id in uses:
                    uses[n.id].append(list(loops))
        here = loops + [s] if isinstance(s, ast.For) else \
            loops + [None] if isinstance(s, ast.While) else loops
        for block in inner:
            _collect(block, here, uses)


def _innermost_common(paths):
    """The innermost ``for`` loop around every use, outside any ``while`` loop
    around them (None when there is none)."""
    if not paths:
        return None
    common = None
    for depth in range(min(len(p) for p in paths)):
        loop = paths[0][depth]
        if loop is None or any(p[depth] is not loop for p in paths):
            break
        common = loop
    return common
