"""Element stores that overwrite nothing: the first write into each element
of an array just made by ``np.empty``.

A scratch array made afresh in each iteration and filled by a loop::

    for t in range(steps):
        ytmp = np.empty(n)
        for i in range(n):
            if s > 0:
                ytmp[i] = y[i] + h * k[i]
            else:
                ytmp[i] = y[i]
        ...

had every element stored before each write, so that the reverse sweep could
put back what the write overwrote: the uninitialised memory ``np.empty``
returned. Nothing correct reads it. A read of an element in the forward
sweep comes after its one write (its value) or before it (the program read
uninitialised memory); the reverse sweep reads an element where the forward
sweep did, so after the write (the reverse of the write comes later) it sees
the written value without the restore. The stores here need no tape.

Taken when all of these hold for an array ``a`` (else its stores are taped as
before):

* ``a`` is bound once, by ``a = np.empty(...)`` or ``np.empty_like(...)`` (a
  row buffer of passes/lower.py), is not a parameter, and no
  view or other name shares its memory (``views``: the planner's);
* every store into ``a`` is a plain ``a[i] = v`` (not ``+=``) in the body of
  one ``for i in range(...)`` loop, outside any loop nested in it, indexed by
  that loop's variable alone; that loop follows the binding in the same
  block, so it runs once per array made and writes each element at most once;
* two stores of that loop are never both run in one iteration: they sit in
  the two branches of an ``if``.

``np.zeros`` arrays are not taken: a program may read their zeros before
writing, and the reverse sweep must then see them again.
"""
from __future__ import annotations

import ast

from .. import ir
from .astutil import walk
from .buffers import store_base


def first_writes(fn: ast.FunctionDef, sites: dict, params, shared: set) -> set:
    """``id`` of the element stores of ``fn`` that write into an element of
    an ``np.empty`` array for the first time (``sites``: the planner's
    assignment sites per name; ``shared``: arrays aliased or viewed)."""
    blocks = _blocks(fn.body)
    stores: dict = {}
    for s in walk(fn.body):
        base = store_base(s)
        if base is not None:
            stores.setdefault(base, []).append(s)
    out = set()
    for base, its in stores.items():
        if base in params or base in shared or len(sites.get(base, [])) != 1:
            continue
        binding = sites[base][0].stmt
        if not _made_empty(binding, ("np.empty", "np.empty_like")) or \
                any(ir.KIND(s) != ir.Kind.STORE for s in its):
            continue
        loop = _filling_loop(binding, its, blocks)
        if loop is not None and _exclusive(loop, its):
            out |= {id(s) for s in its}
    return out


def stored_before_read(fn: ast.FunctionDef, sites: dict, params, shared: set) -> set:
    """Arrays every binding of which is ``np.empty`` or ``np.empty_like``
    (``shared``: arrays aliased or viewed; no parameter), written only by
    element or slice stores: each element a correct program reads was stored
    first, and the reverse of that store zeroes the element's adjoint after
    the reverse of its reads.  The reverse of the binding then finds the
    adjoint buffer zero already, and needs no reset (a time step's
    ``_t6 = np.empty_like(_t4)`` filled by an element loop: its reverse loop
    zeroes each element it reads, and a whole ``_dt6[:] = 0.0`` after it,
    once per step, did nothing)."""
    out, handed = set(), _handed_to_calls(fn)
    for name, its in sites.items():
        if name in params or name in shared or not its or \
                not all(_made_empty(st.stmt, ("np.empty", "np.empty_like")) for st in its):
            continue
        if all(ir.KIND(s) in (ir.Kind.STORE, ir.Kind.AUGSTORE) for s in walk(fn.body)
               if store_base(s) == name) and name not in handed:
            out.add(name)
    return out


def _handed_to_calls(fn) -> set:
    """Names passed to a function of the user's (which may write into them)."""
    out = set()
    for n in ast.walk(fn):
        if isinstance(n, ast.Call) and ir.PRIM(n, ("",))[0] in ("user", "method"):
            out |= {a.id for a in n.args if isinstance(a, ast.Name)}
    return out


def _made_empty(stmt, makers=("np.empty",)) -> bool:
    if ir.KIND(stmt) != ir.Kind.ASSIGN or not isinstance(stmt.value, ast.Call):
        return False
    return ast.unparse(stmt.value.func) in makers


def _blocks(stmts, out=None) -> dict:
    """``id(statement) -> (its block, the loop whose body that block is or is
    in, None at the top)``."""
    out = {} if out is None else out
    _visit(stmts, None, out)
    return out


def _visit(stmts, loop, out):
    for s in stmts:
        out[id(s)] = (stmts, loop)
        if isinstance(s, (ast.For, ast.While)):
            _visit(s.body, s, out)
        elif isinstance(s, ast.If):
            _visit(s.body, loop, out)
            _visit(s.orelse, loop, out)


def _filling_loop(binding, stores, blocks):
    """The ``for i in range(...)`` loop all ``stores`` are in, indexed by ``i``,
    when it follows ``binding`` in its block; else None."""
    loops = {id(blocks[id(s)][1]): blocks[id(s)][1] for s in stores}
    if len(loops) != 1:
        return None
    loop = next(iter(loops.values()))
    if not isinstance(loop, ast.For) or not isinstance(loop.target, ast.Name) or \
            not (isinstance(loop.iter, ast.Call) and isinstance(loop.iter.func, ast.Name)
                 and loop.iter.func.id == "range"):
        return None
    for s in stores:
        index = s.targets[0].slice
        if not (isinstance(index, ast.Name) and index.id == loop.target.id):
            return None
    block, _ = blocks[id(binding)]
    if id(loop) not in blocks or blocks[id(loop)][0] is not block:
        return None
    if block.index(loop) < block.index(binding):
        return None
    if any(isinstance(t, ast.Name) and t.id == loop.target.id
           for s in walk(loop.body) for t in _targets(s)):
        return None
    return loop


def _targets(s) -> list:
    """The names ``s`` binds (not those in the index of an element it stores)."""
    if isinstance(s, ast.Assign):
        targets = s.targets
    elif isinstance(s, (ast.AugAssign, ast.For)):
        targets = [s.target]
    else:
        return []
    out = []
    for t in targets:
        out += t.elts if isinstance(t, ast.Tuple) else [t]
    return out


def _exclusive(loop, stores) -> bool:
    """No two of ``stores`` run in one iteration of ``loop``."""
    paths = {id(s): _path(loop.body, s) for s in stores}
    ids = list(paths)
    for k, a in enumerate(ids):
        for b in ids[k + 1:]:
            if not _branches_apart(paths[a], paths[b]):
                return False
    return True


def _path(stmts, target, prefix=()):
    """The ``(id(if), branch)`` steps from ``stmts`` down to ``target``."""
    for s in stmts:
        if s is target:
            return prefix
        if isinstance(s, ast.If):
            for branch, body in (("body", s.body), ("orelse", s.orelse)):
                found = _path(body, target, prefix + ((id(s), branch),))
                if found is not None:
                    return found
    return None


def _branches_apart(p, q) -> bool:
    for (a, x), (b, y) in zip(p, q):
        if a != b:
            return False
        if x != y:
            return True
    return False
