"""Which reads of an array see the value the array ends the forward sweep with.

A read ``A[e]`` is *final* when no write into ``A`` that runs after it can
store into element ``e``.  The reverse sweep can then read the element again
(it still holds that value when the forward sweep ends) instead of storing it,
and when every read of ``A`` is final, nothing the reverse sweep reads needs
an element of ``A`` that was overwritten: its writes need no tape either.
The backward induction of a binomial tree is the example: row ``k`` reads
row ``k + 1``, written by an earlier iteration and never again.

The test works on affine indices: a loop index plus an integer constant
(``V[k + 1, j]``, or ``ip = k + 1; V[ip, j]``), or an integer constant.  A
write runs after a read either in a later iteration of one of the loops
around both (the outer ones in the same iteration), or in the same iterations
of all of them, later in the body.  Either is ruled out by one dimension of
the index in which the two cannot meet:

* both the index of the same enclosing loop ``v``, plus ``c_r`` (read) and
  ``c_w`` (write): equal iterations of ``v`` never meet when ``c_r != c_w``;
  later iterations of ``v`` (step ``s``) never meet when ``(c_r - c_w) * s <= 0``
  (the write reaches the read's element only in an earlier iteration);
* two different non-negative constants.

A dimension is used only where its index cannot be negative (a negative index
wraps around to the other end of the array): the loop's smallest index is a
constant and adding the offset keeps it non-negative.
"""
from __future__ import annotations

import ast

from .. import ir
from .astutil import int_of, nodes, walk
from .buffers import store_base


class Dependence:
    """Final-value reads of the arrays of one normalized function."""

    def __init__(self, fn: ast.FunctionDef, loops_of: dict):
        self.fn = fn
        self.loops_of = loops_of                   # id(stmt) -> enclosing loops, outermost first
        self.order = {id(s): k for k, s in enumerate(walk(fn.body))}
        self.parent = _parents(fn.body)            # id(stmt) -> compound statement around it
        self.assigned: dict = {}                   # name -> statements assigning it
        for s in walk(fn.body):
            for var in _assigned_names(s):
                self.assigned.setdefault(var, []).append(s)

    def all_final(self, array) -> bool:
        """Every read of ``array``'s values anywhere in the function is final."""
        writes = [s for s in walk(self.fn.body) if store_base(s) == array]
        for s in walk(self.fn.body):
            for node, index in _reads(s, array):
                if not self.final(s, index, writes):
                    return False
        return True

    def final(self, stmt, index, writes) -> bool:
        """The read ``array[index]`` in ``stmt`` (``index`` None: the whole
        array) is final against the statements ``writes`` writing into it."""
        return all(self._never_after(stmt, index, w) for w in writes)

    def _never_after(self, read, index, write) -> bool:
        r_loops, w_loops = self.loops_of[id(read)], self.loops_of[id(write)]
        common = []
        for a, b in zip(r_loops, w_loops):
            if a is not b:
                break
            common.append(a)
        same_iteration_later = self.order[id(write)] >= self.order[id(read)]
        if index is None:
            return not common and not same_iteration_later
        w_index = (write.targets[0] if ir.KIND(write) == ir.Kind.STORE else write.target).slice
        pairs = list(zip(self._affine(read, index), self._affine(write, w_index)))
        for q, loop in enumerate(common):
            if not any(self._separates(r, w, common, q, loop) for r, w in pairs):
                return False
        if same_iteration_later:
            return any(r is not None and w is not None and r[0] in (None, *common)
                       and r[0] is w[0] and r[1] != w[1] for r, w in pairs)
        return True

    @staticmethod
    def _separates(r, w, common, q, loop) -> bool:
        """Dimension (``r``, ``w``) rules out a write in a later iteration of
        ``common[q]`` (``loop``), the loops outside it in the same iteration."""
        if r is None or w is None or r[0] is not w[0]:
            return False
        if r[0] is None:
            return r[1] != w[1]
        if r[0] not in common:
            return False
        level = common.index(r[0])
        if level < q:
            return r[1] != w[1]
        if level == q:
            step = _step(loop)
            return step is not None and (r[1] - w[1]) * step <= 0
        return False

    def _affine(self, stmt, index) -> list:
        """Per dimension of ``index`` read in ``stmt``: (loop, c) for that
        loop's index plus ``c``, (None, c) for a constant ``c``, else None."""
        elts = index.elts if isinstance(index, ast.Tuple) else [index]
        return [self._affine_one(stmt, e) for e in elts]

    def _affine_one(self, stmt, e, depth=0):
        if isinstance(e, ast.Constant) and type(e.value) is int:
            return (None, e.value) if e.value >= 0 else None
        if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub)):
            var, c = (e.left, e.right) if isinstance(e.right, ast.Constant) else (e.right, e.left)
            if not (isinstance(c, ast.Constant) and type(c.value) is int and
                    isinstance(var, ast.Name)) or (isinstance(e.op, ast.Sub) and var is e.right):
                return None
            offset = c.value if isinstance(e.op, ast.Add) else -c.value
            base = self._affine_one(stmt, var, depth)
            return self._shifted(base, offset)
        if not isinstance(e, ast.Name):
            return None
        loop = next((lp for lp in reversed(self.loops_of[id(stmt)])
                     if isinstance(lp, ast.For) and isinstance(lp.target, ast.Name)
                     and lp.target.id == e.id), None)
        if loop is not None:
            return self._loop_index(loop)
        return self._temporary(stmt, e.id, depth)

    def _shifted(self, base, offset):
        if base is None:
            return None
        loop, c = base
        if loop is None:
            return (None, c + offset) if c + offset >= 0 else None
        low = _lowest(loop)
        if low is None or low + c + offset < 0:
            return None
        return (loop, c + offset)

    def _loop_index(self, loop):
        """(loop, 0) when nothing but the loop assigns its index."""
        sites = self.assigned.get(loop.target.id, [])
        inner = {id(s) for s in walk(loop.body)}
        if any(id(s) in inner for s in sites) or _lowest(loop) is None or _lowest(loop) < 0:
            return None
        return (loop, 0)

    def _temporary(self, stmt, var, depth):
        """``var = <affine>`` assigned once, directly in the body of a loop
        around ``stmt``, before it: the same affine index."""
        sites = self.assigned.get(var, [])
        if depth > 4 or len(sites) != 1 or ir.KIND(sites[0]) != ir.Kind.ASSIGN:
            return None
        site = sites[0]
        holder = self.parent.get(id(site))
        if not isinstance(holder, ast.For) or site not in holder.body or \
                holder not in self.loops_of[id(stmt)] or \
                self.order[id(site)] >= self.order[id(stmt)]:
            return None
        return self._affine_one(site, site.value, depth + 1)


def _reads(stmt, array):
    """(node, index) for each read of ``array``'s values by ``stmt`` itself
    (not its nested statements): index None for the whole array."""
    own = [getattr(stmt, f) for f in ("value", "test", "iter") if getattr(stmt, f, None) is not None]
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Subscript):
        own.append(stmt.target.slice)
    elif isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Subscript):
        own.append(stmt.targets[0].slice)
    out = []
    for root in own:
        shape_of = {id(n.value) for n in nodes(root)
                    if isinstance(n, ast.Attribute) and n.attr in ("shape", "size", "ndim")}
        bases = {}
        for n in nodes(root):
            if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name):
                bases[id(n.value)] = n
        for n in nodes(root):
            if isinstance(n, ast.Name) and n.id == array and id(n) not in shape_of:
                sub = bases.get(id(n))
                out.append((n, sub.slice if sub is not None else None))
    return out


def _assigned_names(s) -> set:
    kind = ir.KIND(s)
    if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE):
        return {s.targets[0].id}
    if kind == ir.Kind.UNPACK:
        return {e.id for e in s.targets[0].elts}
    if isinstance(s, ast.For) and isinstance(s.target, ast.Name):
        return {s.target.id}
    return set()


def _parents(stmts, holder=None) -> dict:
    out = {}
    for s in stmts:
        out[id(s)] = holder
        for f in ("body", "orelse"):
            if getattr(s, f, None):
                out.update(_parents(getattr(s, f), s))
    return out


def _range_args(loop):
    it = loop.iter
    if isinstance(loop, ast.For) and not ir.COUNT(loop) and isinstance(it, ast.Call) and \
            isinstance(it.func, ast.Name) and it.func.id == "range" and not it.keywords \
            and 1 <= len(it.args) <= 3:
        return it.args
    return None


def _step(loop):
    args = _range_args(loop)
    if args is None:
        return None
    return 1 if len(args) < 3 else int_of(args[2])


def _lowest(loop):
    """The smallest index ``loop`` can take, where it is a constant."""
    args, step = _range_args(loop), _step(loop)
    if args is None or not step:
        return None
    if step > 0:
        return 0 if len(args) == 1 else int_of(args[0])
    stop = int_of(args[1])
    return None if stop is None else stop + 1
