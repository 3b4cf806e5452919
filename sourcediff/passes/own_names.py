"""Fewer variables bound in several places: dead scalar stores go, and a
value a loop computes afresh each iteration gets a name of its own.

Numba rebuilds SSA form one variable at a time: every variable bound in more
than one place costs two walks over the whole function
(``numba.core.ssa._run_ssa``), so its compile time grows with the number of
such variables times the number of statements.  A reverse sweep binds many
names the forward sweep binds too: the values it computes again
(``e0 = obs[t, 0] - mp_0`` in the forward loop and in the reverse loop, each
iteration), and adjoints reset at the end of an iteration that the next one
assigns before reading (``ds = 0.0`` after ``ds = dmp_0``).  A Kalman filter
with 4x4 matrices written as loops had 1,000 such variables in 3,900
statements: 2.7 s of its 7.5 s first call went to that one Numba pass.

Two rewrites, on the finished adjoint (each keeps the values every read sees):

* :func:`drop_dead_stores`: ``x = e`` binding a name no
  statement reads before it is bound again (a liveness analysis over the
  loops, passes/buffers.py), where ``e`` is arithmetic of names and constants
  (no call: a tape's ``pop()`` stays).
* :func:`split_loop_locals`: a name a loop binds, that is not live at the
  loop's head (so each iteration binds it before reading it and nothing after
  the loop reads the loop's value), bound exactly once in that loop and bound
  elsewhere too, is renamed inside that loop (``e0`` -> ``e0_r``): its other
  bindings and the loop's are then different variables.  The first loop (in
  the order of the source) keeps the name where nothing outside such loops
  binds it: the forward sweep reads like the primal, and the reverse loops get
  the new names.  A name is renamed only where that leaves it bound once, and
  loop counters (``for j in ...``) keep theirs.
"""
from __future__ import annotations

import ast

from .. import ir
from ..names import Namer
from .astutil import nodes
from .buffers import Liveness

_PURE = (ast.Constant, ast.Name, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.IfExp,
         ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.expr_context)


def _pure(expr) -> bool:
    return all(isinstance(n, _PURE) for n in nodes(expr))


def _target(s):
    """The name ``s`` binds when it is ``x = e``, else None.  (Not ``x += e``:
    on an array, that writes into memory a view may share.)"""
    if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
        return s.targets[0].id
    return None


def unshared(fn: ast.FunctionDef) -> ast.FunctionDef:
    """``fn`` with each node that occurs more than once in it (a statement the
    reverse sweep runs again is the forward sweep's node) copied, so that the
    rewrites below change one occurrence only."""
    seen: set = set()
    _unshare(fn, seen)
    return fn


def _unshare(node, seen) -> None:
    for field, value in ast.iter_fields(node):
        if isinstance(value, list):
            value = list(value)              # the list too may be another node's
            setattr(node, field, value)
            for k, v in enumerate(value):
                if isinstance(v, ast.AST):
                    if id(v) in seen:
                        v = value[k] = ir.clone(v)
                    seen.add(id(v))
                    _unshare(v, seen)
        elif isinstance(value, ast.AST):
            if id(value) in seen:
                value = ir.clone(value)
                setattr(node, field, value)
            seen.add(id(value))
            _unshare(value, seen)


def drop_dead_stores(fn: ast.FunctionDef) -> ast.FunctionDef:
    """``fn`` (unshared) without the bindings of names not read after them
    (see the module)."""
    while True:
        live = Liveness(fn)
        dead = set()
        for s in nodes(fn):
            x = _target(s)
            if x is not None and x not in live.after.get(id(s), {x}) and _pure(s.value):
                dead.add(id(s))
        if not dead:
            return fn
        drop_statements(fn, dead)


def drop_statements(node, dead) -> None:
    """``node`` without the statements whose ``id`` is in ``dead`` (a body left
    empty holds ``pass``), at any depth."""
    for field in ("body", "orelse"):
        stmts = getattr(node, field, None)
        if not isinstance(stmts, list):
            continue
        kept = [s for s in stmts if id(s) not in dead]
        if not kept and stmts and field == "body":
            kept = [ast.Pass()]
        setattr(node, field, kept)
        for s in kept:
            drop_statements(s, dead)


def _store_counts(node) -> dict:
    counts: dict = {}
    for n in nodes(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            counts[n.id] = counts.get(n.id, 0) + 1
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            counts[n.target.id] = counts.get(n.target.id, 0) + 1
    return counts


def _local_loops(stmts, live, out, enclosing=frozenset()) -> None:
    """``out[x]``: the outermost loops (in source order) not carrying ``x``
    from one iteration to the next nor out, that bind it."""
    for s in stmts:
        if isinstance(s, (ast.For, ast.While)) and not s.orelse:
            head = live.head.get(id(s))
            here = set()
            if head is not None:
                target = s.target.id if isinstance(s, ast.For) and \
                    isinstance(s.target, ast.Name) else None
                for x in _store_counts(ast.Module(body=s.body, type_ignores=[])):
                    if x not in head and x != target and x not in enclosing:
                        out.setdefault(x, []).append(s)
                        here.add(x)
            _local_loops(s.body, live, out, enclosing | here)
        elif isinstance(s, ast.If):
            _local_loops(s.body, live, out, enclosing)
            _local_loops(s.orelse, live, out, enclosing)


# Numba's SSA pass costs about 0.7 us per statement for each name bound in
# several places (the Kalman filter above: 2.7 s for 1,000 names x 3,900 IR
# statements); below this many (names x statements of the function) the
# renaming would save less than about a tenth of a second, and the reverse
# sweep keeps the names it shares with the forward sweep (``w``, not ``w_r``)
SPLIT_MIN_WORK = 150_000


def split_loop_locals(fn: ast.FunctionDef, taken: set, min_work=None) -> ast.FunctionDef:
    """``fn`` with loop-local names renamed where that leaves them bound once
    (see the module); ``taken``: names in use, shared with the caller.  Only
    where the names to rename times the statements of ``fn`` reach
    ``min_work`` (default ``SPLIT_MIN_WORK``)."""
    live = Liveness(fn)
    loops: dict = {}
    _local_loops(fn.body, live, loops)
    total = _store_counts(fn)
    # a loop's counter keeps its name (``for j in``): readers follow the loops by it
    counters = {n.target.id for n in nodes(fn)
                if isinstance(n, ast.For) and isinstance(n.target, ast.Name)}
    in_loop = {id(L): _store_counts(ast.Module(body=L.body, type_ignores=[]))
               for L in {id(L): L for where in loops.values() for L in where}.values()}
    namer = Namer(taken)
    renames: dict = {}                    # id(loop) -> {old: new}
    for x, where in loops.items():
        if total.get(x, 0) < 2 or x in counters:
            continue
        counts = [in_loop[id(L)].get(x, 0) for L in where]
        kept = total[x] - sum(counts)
        chosen = [L for L, c in zip(where, counts) if c == 1]
        if kept == 0 and chosen:
            chosen = chosen[1:]
            kept = 1
        kept += sum(c for L, c in zip(where, counts) if c != 1)
        if not chosen or kept > 1:
            continue
        for L in chosen:
            renames.setdefault(id(L), {})[x] = namer.fresh(x + "_r")
    work = sum(len(m) for m in renames.values()) * \
        sum(1 for n in nodes(fn) if isinstance(n, ast.stmt))
    if renames and work >= (SPLIT_MIN_WORK if min_work is None else min_work):
        _rename_loops(fn.body, renames)
    return fn


def _rename_loops(stmts, renames) -> None:
    for s in stmts:
        mapping = renames.get(id(s))
        if mapping:
            for part in s.body:
                for n in nodes(part):
                    if isinstance(n, ast.Name) and n.id in mapping:
                        n.id = mapping[n.id]
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list):
                _rename_loops(inner, renames)
