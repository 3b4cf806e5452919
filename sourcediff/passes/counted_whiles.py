"""A ``while`` loop that counts an integer up to a fixed limit is the ``for``
loop it is.

A queue's waiting times written with a counter::

    k = 0
    while k < n:
        w = w + scale * base[k] - a[k]
        ...
        k += 1

run the same trips as ``for k in range(n)``, but a ``while`` loop's trips are
known only as they run: its tapes grow as it goes, the values it reads at
``base[k]`` are saved rather than read again in reverse (``k`` is a variable
the loop carries, not its index), and the gradient ran at 9.9x the primal
against 2.1x for the same body in a ``for``.  Written as the loop it is::

    for k in range(k, n):
        w = w + scale * base[k] - a[k]
        ...

the tape planner sees the trip count before the loop and the index of each
trip.  The value the ``for`` loop leaves in ``k`` is not the ``while`` loop's
(``n - 1``, not ``n``), so the loop is taken only where nothing reads ``k``
after it: no read outside the loop, and inside another loop, ``k`` bound
afresh before it in the same block (``j = i`` before an inner loop).  (A
``k = max(k, n)`` after the loop gave the right values in the primal, but a
fused reverse loop over the same index rebinds ``k`` before the next trip
of the outer loop reads it: a wrong value, and gradient, in a first version.)

Taken when the loop cannot leave or skip otherwise and ``k`` is an integer:
the test is the one comparison ``k < limit`` (or ``k <= limit``, or written
the other way round); one statement of the body's own is ``k += 1`` and no
other writes ``k`` (the statements after it read ``k + 1`` where they read
``k``: ``t += 1; if t % stride == 0:`` is ``if (t + 1) % stride == 0:``); the body writes no name ``limit`` reads, and has no
``break`` or ``continue`` of its own, no ``return``, no ``else``; ``limit`` is
made of integer constants, parameters that are integers, ``len``, ``.shape``
reads, ``+ - * //`` and names the function binds only to such values (and so
is ``k``'s every binding, with ``+=`` / ``-=`` of such).
"""
from __future__ import annotations

import ast
import copy
import dataclasses

from .astutil import nodes

_INT_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv)
_INT_CALLS = {"len", "int", "min", "max", "abs"}


def count_whiles(src, int_params=()):
    """``src`` (a ``FunctionSource``) with each counting ``while`` loop
    written as its ``for`` loop; ``int_params``: the parameters that are
    integers."""
    tree = src.tree
    loops = [n for n in nodes(tree) if isinstance(n, ast.While)]
    if not loops:
        return src
    ints = integer_names(tree, set(int_params))
    tree = copy.deepcopy(tree)
    return dataclasses.replace(src, tree=_Rewriter(ints, tree).visit(tree))


def integer_names(tree, known: set) -> set:
    """The names ``tree`` binds only to integers (``known`` among them)."""
    bindings: dict = {}
    for n in nodes(tree):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                _bind(t, n.value, bindings)
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            op = n.op if isinstance(n.op, _INT_OPS) else None
            bindings.setdefault(n.target.id, []).append(n.value if op else None)
        elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name):
            bindings.setdefault(n.target.id, []).append(n.value)
        elif isinstance(n, (ast.For, ast.comprehension)):
            ranged = isinstance(n.iter, ast.Call) and isinstance(n.iter.func, ast.Name) \
                and n.iter.func.id == "range"
            for t in nodes(n.target):
                if isinstance(t, ast.Name):
                    bindings.setdefault(t.id, []).append(
                        ast.Constant(0) if ranged and isinstance(n.target, ast.Name) else None)
        elif isinstance(n, (ast.With, ast.NamedExpr)):
            for t in nodes(n):
                if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store):
                    bindings.setdefault(t.id, []).append(None)
    params = {a.arg for a in tree.args.args}
    ints = {p for p in known if p not in bindings}
    candidates = {name for name in bindings if name not in params or name in known}
    changed = True
    while changed:
        changed = False
        for name in sorted(candidates - ints):
            if all(v is not None and is_integer(v, ints) for v in bindings[name]):
                ints.add(name)
                changed = True
    return ints


def _bind(target, value, bindings):
    if isinstance(target, ast.Name):
        bindings.setdefault(target.id, []).append(value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        # n, m = x.shape: integers; other unpackings: unknown
        shape = isinstance(value, ast.Attribute) and value.attr == "shape"
        for t in target.elts:
            for n in nodes(t):
                if isinstance(n, ast.Name):
                    bindings.setdefault(n.id, []).append(ast.Constant(0) if shape else None)


def is_integer(e, ints) -> bool:
    """Whether ``e`` is an integer: constants, names in ``ints``, lengths and
    shape reads, and integer arithmetic of those."""
    if isinstance(e, ast.Constant):
        return type(e.value) is int
    if isinstance(e, ast.Name):
        return e.id in ints
    if isinstance(e, ast.BinOp):
        return isinstance(e.op, _INT_OPS) and is_integer(e.left, ints) and \
            is_integer(e.right, ints)
    if isinstance(e, ast.UnaryOp):
        return isinstance(e.op, ast.USub) and is_integer(e.operand, ints)
    if isinstance(e, ast.Attribute):
        return e.attr in ("size", "ndim")
    if isinstance(e, ast.Subscript):
        return isinstance(e.value, ast.Attribute) and e.value.attr == "shape" and \
            isinstance(e.slice, (ast.Constant, ast.UnaryOp))
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and not e.keywords:
        if e.func.id in ("len", "int"):
            return len(e.args) == 1
        return e.func.id in _INT_CALLS and all(is_integer(a, ints) for a in e.args)
    return False


class _NextCount(ast.NodeTransformer):
    """Each read of ``k`` as ``(k + 1)``: the count after the body's step."""
    def __init__(self, k):
        self.k = k

    def visit_Name(self, node):
        if node.id != self.k or not isinstance(node.ctx, ast.Load):
            return node
        return ast.copy_location(ast.BinOp(left=node, op=ast.Add(), right=ast.Constant(1)),
                                 node)


class _Rewriter(ast.NodeTransformer):
    def __init__(self, ints, tree):
        self.ints, self.tree = ints, tree
        self.depth = 0          # loops around the node visited

    def visit_Lambda(self, node):
        return node

    def visit_For(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1
        return node

    def visit_While(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1
        counted = self.counted(node)
        if counted is None:
            return node
        k, limit, rest = counted
        loop = ast.copy_location(ast.For(
            target=ast.Name(id=k, ctx=ast.Store()),
            iter=ast.Call(func=ast.Name(id="range", ctx=ast.Load()),
                          args=[ast.Name(id=k, ctx=ast.Load()), limit], keywords=[]),
            body=rest or [ast.Pass()], orelse=[], type_comment=None), node)
        return ast.fix_missing_locations(loop)

    def counted(self, node):
        """``(k, limit)`` (``limit`` one past the last trip) of a counting loop."""
        test = node.test
        if node.orelse or not (isinstance(test, ast.Compare) and len(test.ops) == 1):
            return None
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if isinstance(op, (ast.Gt, ast.GtE)):
            left, right = right, left
            op = ast.Lt() if isinstance(op, ast.Gt) else ast.LtE()
        if not (isinstance(op, (ast.Lt, ast.LtE)) and isinstance(left, ast.Name)):
            return None
        k = left.id
        steps = [i for i, st in enumerate(node.body) if _steps(st, k)]
        if len(steps) != 1:
            return None
        # what comes after the step reads ``k + 1`` (``t += 1; if t % stride == 0:``)
        rest = node.body[:steps[0]] + [_NextCount(k).visit(copy.deepcopy(st))
                                       for st in node.body[steps[0] + 1:]]
        written = {n.id for s in rest for n in nodes(s)
                   if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        if k in written or {n.id for n in nodes(right) if isinstance(n, ast.Name)} & written:
            return None
        if k not in self.ints or not is_integer(right, self.ints) or _leaves(node.body) or \
                self.read_elsewhere(k, node) or self.depth and not self.reset_before(k, node):
            return None
        limit = copy.deepcopy(right)
        if isinstance(op, ast.LtE):
            limit = ast.BinOp(left=limit, op=ast.Add(), right=ast.Constant(1))
        return k, limit, rest

    def reset_before(self, k, node) -> bool:
        """A statement of the block holding ``node``, before it, binds ``k``
        (``j = i`` before an inner loop: each run starts afresh)."""
        for block in (getattr(n, f, None) for n in nodes(self.tree)
                      for f in ("body", "orelse")):
            if isinstance(block, list) and any(st is node for st in block):
                at = next(i for i, st in enumerate(block) if st is node)
                return any(isinstance(st, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == k for t in st.targets)
                    for st in block[:at])
        return False

    def read_elsewhere(self, k, node) -> bool:
        inside = {id(n) for n in nodes(node)}
        return any(isinstance(n, ast.Name) and n.id == k and isinstance(n.ctx, ast.Load)
                   and id(n) not in inside for n in nodes(self.tree))


def _steps(st, k) -> bool:
    """``st`` is ``k += 1``."""
    return isinstance(st, ast.AugAssign) and isinstance(st.op, ast.Add) and \
        isinstance(st.target, ast.Name) and st.target.id == k and \
        isinstance(st.value, ast.Constant) and type(st.value.value) is int and \
        st.value.value == 1


def _leaves(body) -> bool:
    """Whether ``body`` (a loop's) has a ``return``, or a ``break`` or
    ``continue`` of that loop (not of a loop inside it)."""
    for s in body:
        for n in _own_nodes(s):
            if isinstance(n, (ast.Break, ast.Continue, ast.Return)):
                return True
    for n in (m for s in body for m in nodes(s)):
        if isinstance(n, ast.Return):
            return True
    return False


def _own_nodes(node):
    """``node`` and what it holds, not entering loops or function definitions."""
    yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.For, ast.While, ast.FunctionDef, ast.Lambda)):
            continue
        yield from _own_nodes(child)
