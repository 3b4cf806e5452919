"""A value computed again from the same values is read from where it was
computed first.

Users write a term in each place it enters.  A flux added into one slice and
taken from the next, written out in both updates::

    du[:, :-1] += np.exp(-((u[:, 1:] - u[:, :-1]) / k) ** 2) * (u[:, 1:] - u[:, :-1])
    du[:, 1:] -= np.exp(-((u[:, 1:] - u[:, :-1]) / k) ** 2) * (u[:, 1:] - u[:, :-1])

normalizes to two chains of temporaries computing the same arrays.  Apart,
passes/lower.py makes them two element loops, each with its ``exp``, and the
adjoint differentiates both; read from the first, the second update adds the
flux the first computed, one loop, as when the flux has a name (the Perona-
Malik programs of ``sourcediff bench programs:diffusion``).

In one block of straight-line statements, an array temporary (a name bound
once in the function) whose value is the same pure operation on the same
operands as an earlier temporary's (``+ - * / **``, comparisons, unary ``-``, a slice or
an element ``u[:, 1:]``, ``a[i]``, an elementwise math or NumPy function) is
dropped and its readers read the earlier one.  Taken when:

* the two are in one run of straight-line statements (no loop or branch
  between: passes/lower.py makes the element loops of two groups sharing a
  temporary one loop, which a loop between them reading the first group's
  result would keep apart, leaving both array code), and nothing between
  them binds an operand or the earlier name again, or writes into an array
  either reads (a store, an update, a call of the user's, which may write
  its arguments);
* the later one is read only by statements after it in its block (not by a
  later iteration before it, nor after the loop: a ``break`` between the two
  would leave it another value);
* every reader of either only reads it: arithmetic, an
  elementwise function, a reduction, a number read from it, or the value
  stored or added into another array -- never written into, viewed under a
  name, given to a function of the user's or returned, so that one buffer
  serving both names changes nothing.

The values are the same operations on the same values: bit for bit the same.
Numbers are left alone: LLVM finds the same element read twice itself, and
an adjoint read in two places would be summed where it was assigned.
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from ..rules import registry
from .astutil import nodes, own_reads

PURE = ("binop", "unary", "compare", "subscript")
REDUCTIONS = {id(f) for f in (np.sum, np.mean, np.dot, np.vdot, np.max, np.min, np.prod)}


def eliminate_common_subexpressions(fn: ast.FunctionDef, env: dict) -> bool:
    """Rewrite ``fn`` in place; whether anything changed."""
    bound: dict = {a.arg: 1 for a in fn.args.args}
    for node in nodes(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound[node.id] = bound.get(node.id, 0) + 1
    readers: dict = {}
    for st in nodes(fn):
        if isinstance(st, ast.stmt) and st is not fn:
            for n in own_reads(st):
                readers.setdefault(n, []).append(st)
    facts = (env, bound, readers)
    renames: dict = {}
    fn.body = _block(fn.body, facts, renames)
    if not renames:
        return False
    for node in nodes(fn):
        if isinstance(node, ast.Name) and node.id in renames:
            node.id = renames[node.id]
    return True


def _key(s, facts):
    """``(key, names read, arrays read)`` of a candidate, else None."""
    env, bound, readers = facts
    if ir.KIND(s) != ir.Kind.ASSIGN or not isinstance(s, ast.Assign) or \
            not isinstance(s.targets[0], ast.Name):
        return None
    name = s.targets[0].id
    t = env.get(name)
    if t is None or not t.is_array or bound.get(name) != 1:
        return None
    prim = ir.PRIM(s.value) or ("",)
    if prim[0] == "call":
        if s.value.keywords or not registry.is_elementwise(prim[1]) or \
                any(not isinstance(a, (ast.Name, ast.Constant)) for a in s.value.args):
            return None
    elif prim[0] not in PURE:
        return None
    if prim[0] == "subscript" and not isinstance(s.value.value, ast.Name):
        return None
    if not all(_only_reads(st, name, env) for st in readers.get(name, [])):
        return None
    reads = {n.id for n in nodes(s.value) if isinstance(n, ast.Name)}
    arrays = {n for n in reads if env.get(n) is not None and env[n].is_array}
    return (str(t), ast.dump(s.value)), reads, arrays


def _only_reads(st, name, env) -> bool:
    """``st`` reads array ``name`` without writing it or handing its buffer on."""
    kind = ir.KIND(st)
    if kind in (ir.Kind.STORE, ir.Kind.AUGSTORE):
        target = st.targets[0] if kind == ir.Kind.STORE else st.target
        return isinstance(st.value, ast.Name) and st.value.id == name and \
            name not in {n.id for n in nodes(target) if isinstance(n, ast.Name)}
    if kind not in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE) or not isinstance(st, ast.Assign):
        return False
    prim = ir.PRIM(st.value) or ("",)
    if prim[0] in ("binop", "unary", "compare"):
        return True
    if prim[0] == "call":
        return registry.is_elementwise(prim[1]) or id(prim[1]) in REDUCTIONS
    if prim[0] == "subscript":     # a number read from it (a slice would be a view)
        t = env.get(st.targets[0].id) if isinstance(st.targets[0], ast.Name) else None
        return t is not None and t.is_scalar
    return False


def _writes(s) -> tuple:
    """Names ``s`` binds and arrays it may write (``None``: any array)."""
    names, arrays = set(), set()
    for node in nodes(s):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and \
                isinstance(node.value, ast.Name):
            arrays.add(node.value.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript) and \
                isinstance(node.target.value, ast.Name):
            arrays.add(node.target.value.id)
        elif _calls_user(node) or isinstance(node, ast.stmt) and \
                ir.KIND(node) in (ir.Kind.PUSH, ir.Kind.UNPACK):
            return names, None
    return names, arrays


def _calls_user(node) -> bool:
    """A call of a function of the user's (which may write its arguments)."""
    return isinstance(node, ast.expr) and (ir.PRIM(node) or ("",))[0] in ("user", "global")


def _block(stmts, facts, renames) -> list:
    seen: dict = {}          # key -> (name, names read, arrays read)
    out = []
    for k, s in enumerate(stmts):
        for f in ("body", "orelse"):
            if getattr(s, f, None):
                setattr(s, f, _block(getattr(s, f), facts, renames))
        if renames and not isinstance(s, (ast.For, ast.While, ast.If)):
            for node in nodes(s):     # (read as renamed: its key may match another's)
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and \
                        node.id in renames:
                    node.id = renames[node.id]
        found = _key(s, facts)
        if found is not None and found[0] in seen:
            name = s.targets[0].id
            if _read_after_only(facts[2].get(name, []), stmts[k + 1:]):
                first = seen[found[0]][0]
                renames[name] = renames.get(first, first)
                continue
        if isinstance(s, (ast.For, ast.While, ast.If)):
            seen = {}      # (a run of straight-line statements: see the module's note)
            out.append(s)
            continue
        names, arrays = _writes(s)
        seen = {key: v for key, v in seen.items()
                if not (v[1] | {v[0]}) & names and
                not (arrays is None and v[2] or arrays and v[2] & arrays)}
        if found is not None and found[0] not in seen and s.targets[0].id not in found[1]:
            seen[found[0]] = (s.targets[0].id, found[1], found[2])
        out.append(s)
    return out


def _read_after_only(reading: list, after) -> bool:
    """Every statement reading the name is one of ``after`` (or in one)."""
    inside = {id(st) for top in after for st in nodes(top) if isinstance(st, ast.stmt)}
    return all(id(st) in inside for st in reading)
