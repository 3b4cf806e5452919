"""Adds into neighbouring elements of an adjoint buffer, in a loop LLVM can
vectorize, go through one row per element and are added in after the loop.

The reverse of a 2-D stencil adds into five elements of ``du`` each iteration::

    for j in range(nx - 2, 0, -1):
        ...                          # 60 operations on numbers
        du[i + 1, j] += _dt40
        du[i - 1, j] += _dt36
        du[i, j - 1] += _dt32
        du[i, j + 1] += _dt28
        du[i, j] += duc

Adds into one row at neighbouring offsets (``du[i, j - 1]``, ``du[i, j]``,
``du[i, j + 1]``) are carried in locals from one iteration to the next
(``rolling_sums``), and LLVM vectorizes that recurrence.  Adds into other rows
of the same buffer in the same loop stop it: it cannot tell that
``du[i + 1, j]`` of one iteration is not ``du[i, j + 1]`` of another.  So
the loop writes the sums for each other row into a row of its own and adds
those in after it, each in a loop of its own::

    for j in range(nx - 2, 0, -1):
        ...
        du_i_plus_1_j[j - 1] = _dt40
        du_i_minus_1_j[j - 1] = _dt36
        ...
    for j in range(nx - 2, 0, -1):
        du[i + 1, j] += du_i_plus_1_j[j - 1]
    ...

and all of them vectorize (the nonlinear heat stencil's gradient: 0.98 ->
0.42 ms; splitting the carried row too: 0.46 ms; the Rosenbrock sum, one row,
carried: 4.8 us, split: 8.9 us).  The rows are allocated once, before the
reverse sweep.

Taken where that is what limits the loop: its body is straight-line numbers
(assignments only, calls only to functions LLVM has vector forms of: ``abs``,
``min``, ``max``, ``math.sqrt``; not ``math.exp``, which stays a call per element
without SVML), it reads arrays only at elements the loop index plus a constant
picks in the last place (unit strides) or names it does not set pick, and every mention of the buffer is an add the
loop makes in every iteration (``rolling_sums.AddGroups``) into at least two
rows; the row added into at the most offsets stays.  The rows' length, the
loop's trip count, must be known before the reverse sweep (its bounds read
nothing the sweep sets).
"""
from __future__ import annotations

import ast
import copy

from .. import ir
from ..names import Namer
from .astutil import add_int, call, counting_up, nodes, range_step, rewrite_loops
from .invariant_sums import shared_buffers
from .loop_index import trips_at_most
from .plan_report import line_ref
from .rolling_sums import AddGroups
from .sink import Adjoints

# calls LLVM turns into vector instructions (intrinsics), without a vector math library
# (NumPy's spellings of them on numbers lower to the same intrinsics in Numba)
VECTOR_CALLS = {"abs", "min", "max", "float", "math.sqrt", "math.fabs", "math.copysign",
                "np.sqrt", "np.abs", "np.absolute", "np.fabs", "np.copysign"}


def split_neighbour_adds(stmts: list, adjoints: Adjoints, ndims: dict, before=(),
                         lengths=None) -> list:
    """``stmts`` (a reverse sweep) with such adds going through rows; ``ndims``:
    the number of dimensions of each adjoint buffer; ``before``: the forward
    sweep; ``lengths``: the keys of ``shapes.axis_lengths``."""
    names = {n.id for s in list(before) + list(stmts) for n in nodes(s)
             if isinstance(n, ast.Name)}
    plain = adjoints.arrays - shared_buffers(list(before) + list(stmts), adjoints)
    set_in_sweep = {n.id for s in stmts for n in nodes(s)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    splitter = _Splitter({x: ndims[x] for x in plain if x in ndims}, Namer(names),
                         lengths or {}, set_in_sweep)
    out = rewrite_loops(stmts, splitter.loop)
    if out and ir.SECTION.has(out[0]):
        for s in splitter.rows:
            ir.SECTION.set(s, ir.SECTION(out[0]))
    return splitter.rows + out


class _Splitter:
    def __init__(self, ndims, namer, lengths, set_in_sweep):
        self.ndims, self.namer, self.lengths = ndims, namer, lengths
        self.set_in_sweep = set_in_sweep
        self.rows: list = []         # the allocations, before the sweep

    def loop(self, loop) -> list:
        step = range_step(loop)
        if step is None or loop.orelse or not _vector_body(loop.body) or \
                (trips_at_most(loop) or 0) in (1, 2):   # an end peel_ends runs apart
            return [loop]
        i = loop.target.id
        lo, hi = _bounds(loop.iter, step)
        if {n.id for e in (lo, hi) for n in nodes(e) if isinstance(n, ast.Name)} & \
                self.set_in_sweep:
            return [loop]
        assigned = {i} | {n.id for s in loop.body for n in nodes(s)
                          if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        if not _affine_reads(loop, i, assigned):
            return [loop]
        branches = any(isinstance(s, ast.If) for s in loop.body)
        split = self.branch_adds(loop, i, assigned) if branches else \
            self.buffers_to_split(loop, i, assigned)
        if not split:
            return [loop]
        length = _minus(hi, lo)
        if not (isinstance(lo, ast.Constant) and lo.value == 0 and _a_length(hi)):
            length = ast.Call(func=ast.Name(id="max", ctx=ast.Load()),
                              args=[length, ast.Constant(0)], keywords=[])
        slot = _minus(ast.Name(id=i, ctx=ast.Load()), lo)
        if branches:
            return self.through_locals(loop, split, length, slot)
        rows, rewritten, flushes = {}, {}, []
        for s, x, element in split:
            first = (x, element) not in rows
            if first:
                rows[(x, element)] = self.namer.fresh(_label(s.target))
            row = rows[(x, element)]
            target = ast.Subscript(value=ast.Name(id=row, ctx=ast.Load()),
                                   slice=ir.clone(slot), ctx=ast.Store())
            if first:
                flushes.append(self.row(loop, s, row, length, slot))
                value = s.value if isinstance(s.op, ast.Add) else \
                    ast.UnaryOp(op=ast.USub(), operand=s.value)
                new = ast.Assign(targets=[target], value=value)
            else:
                new = ast.AugAssign(target=target, op=s.op, value=s.value)
            ir.copy_facts(s, new)
            ir.KIND.set(new, ir.Kind.STORE if isinstance(new, ast.Assign) else ir.Kind.AUGSTORE)
            rewritten[id(s)] = new
        return self.finished(loop, [rewritten.get(id(s), s) for s in loop.body], split,
                             flushes)

    def row(self, loop, add, row, length, slot):
        """Allocates ``row`` (before the sweep) for the element ``add`` adds into;
        returns the loop after ``loop`` that adds the row into that element."""
        line = ir.LINE(loop)
        self.rows.append(ir.tag(ast.Assign(targets=[ast.Name(id=row, ctx=ast.Store())],
                                           value=call("np.empty", ir.clone(length))),
                                line, ir.Kind.ASSIGN))
        flush = ast.AugAssign(target=ir.clone(add.target), op=ast.Add(),
                              value=ast.Subscript(value=ast.Name(id=row, ctx=ast.Load()),
                                                  slice=ir.clone(slot), ctx=ast.Load()))
        ir.copy_facts(add, flush)
        ir.LINE.set(flush, line)
        return _loop_like(loop, [flush])

    def branch_adds(self, loop, i, assigned) -> list:
        """``[(add, buffer, element key), ...]`` in a loop with branches: every add
        of each buffer some add of which is inside a branch (the sums an
        iteration carries to the next would be selected by the branch, which
        LLVM does not vectorize: Burgers' upwinded flux adds into ``du[i - 1]``
        or ``du[i + 1]`` by the sign of ``u[i]``), where ``AddGroups`` would carry
        them (the smallest and the largest offset added into in every iteration:
        each row's element exists at every index of the loop)."""
        groups = AddGroups(loop, i, assigned, self.ndims, self.lengths)
        top = {id(s) for s in loop.body}
        out = []
        for (x, place, fixed), adds in groups.groups.items():
            if any(wrap is not None for _, _, wrap in adds) or \
                    all(id(s) in top for s, _, _ in adds):
                continue
            out += [(s, x, (place, fixed, c)) for s, c, _ in adds]
        return out

    def through_locals(self, loop, split, length, slot) -> list:
        """``loop`` with the adds ``split`` summed in one local per element in each
        iteration, the locals stored into rows at its end, and the rows added
        in after it, each in a loop of its own::

            for i in range(1, n - 1):
                du_i = 0.0
                du_i_minus_1 = 0.0
                ...
                if _c5:
                    du_i_minus_1 += _dt8
                ...
                du_i_row[i - 1] = du_i
                du_i_minus_1_row[i - 1] = du_i_minus_1
            for i in range(1, n - 1):
                du[i] += du_i_row[i - 1]
            ...
        """
        line = ir.LINE(loop)
        sums, rewritten, flushes, stores, starts = {}, {}, [], [], []
        for s, x, element in split:
            if (x, element) not in sums:
                label = _label(s.target)
                total, row = self.namer.fresh(label), self.namer.fresh(f"{label}_row")
                sums[(x, element)] = total
                flushes.append(self.row(loop, s, row, length, slot))
                starts.append(ir.tag(ast.Assign(targets=[ast.Name(id=total, ctx=ast.Store())],
                                                value=ast.Constant(0.0)), line, ir.Kind.ASSIGN))
                stores.append(ir.tag(ast.Assign(
                    targets=[ast.Subscript(value=ast.Name(id=row, ctx=ast.Load()),
                                           slice=ir.clone(slot), ctx=ast.Store())],
                    value=ast.Name(id=total, ctx=ast.Load())), line, ir.Kind.STORE))
            new = ast.AugAssign(target=ast.Name(id=sums[(x, element)], ctx=ast.Store()),
                                op=s.op, value=s.value)
            ir.copy_facts(s, new)
            ir.KIND.set(new, ir.Kind.ACCUMULATE)
            rewritten[id(s)] = new
        return self.finished(loop, starts + _replaced(loop.body, rewritten) + stores, split,
                             flushes)

    def finished(self, loop, body, split, flushes) -> list:
        """``loop`` with ``body``, then the loops ``flushes`` adding its rows in
        (the last ``len(flushes)`` allocations), with notes saying why."""
        buffers = ", ".join(f"'{x}'" for x in dict.fromkeys(x for _, x, _ in split))
        ir.NOTE.set(self.rows[-len(flushes)], f"rows of the adds into {buffers} of the loop at "
                                              f"{line_ref(ir.LINE(loop))}, so that it vectorizes")
        ir.NOTE.set(flushes[0], f"the rows added into {buffers}, each in a loop of its own")
        new_loop = copy.copy(loop)
        new_loop.body = body
        for f in flushes:
            ir.SECTION.set(f, ir.SECTION(loop))
        return [new_loop] + flushes

    def buffers_to_split(self, loop, i, assigned) -> list:
        """``[(add, buffer, element key), ...]``: the adds of each buffer every
        mention of which in the loop is an add the loop makes in every
        iteration into an element it picks by the index plus a constant, at
        least two different elements."""
        groups = AddGroups(loop, i, assigned, self.ndims, self.lengths)
        found: dict = {}
        for k, s in enumerate(loop.body):
            if isinstance(s, ast.AugAssign):
                key = groups.add(s, k, self.ndims)
                if key is not None and key[1][1] is None:      # not periodic
                    (x, place, fixed), (c, _) = key
                    found.setdefault(x, []).append((s, x, (place, fixed, c)))
        mentions: dict = {}
        for n in nodes(ast.Module(body=loop.body, type_ignores=[])):
            if isinstance(n, ast.Name) and n.id in found:
                mentions[n.id] = mentions.get(n.id, 0) + 1
        out = []
        for x, adds in found.items():
            rows: dict = {}
            for add in adds:
                rows.setdefault(add[2][:2], set()).add(add[2][2])
            if mentions[x] != len(adds) or len(rows) < 2:
                continue
            # the row added into at the most offsets stays, its sums carried in locals
            kept = max(rows, key=lambda r: len(rows[r]))
            out += [add for add in adds if add[2][:2] != kept]
        return sorted(out, key=lambda a: loop.body.index(a[0]))


def _vector_body(body) -> bool:
    """Straight-line numbers: assignments, element reads, arithmetic, and calls
    LLVM has vector forms of; and ``if``/``else`` on a name between such blocks
    (LLVM turns their assignments into selects)."""
    for s in body:
        if isinstance(s, ast.If) and isinstance(s.test, ast.Name):
            if not (_vector_body(s.body) and _vector_body(s.orelse)):
                return False
            continue
        if not isinstance(s, (ast.Assign, ast.AugAssign)) or ir.ARRAY(s):
            return False
        for n in nodes(s):
            if isinstance(n, ast.Call) and _called(n) not in VECTOR_CALLS:
                return False
            if isinstance(n, (ast.Slice, ast.Lambda, ast.ListComp, ast.Tuple)) and \
                    not (isinstance(n, ast.Tuple) and _in_index(s, n)):
                return False
    return True


def _replaced(stmts, new: dict) -> list:
    """``stmts`` with the statements ``new`` maps (by id) replaced, in branches too."""
    out = []
    for s in stmts:
        if isinstance(s, ast.If):
            s = copy.copy(s)
            s.body, s.orelse = _replaced(s.body, new), _replaced(s.orelse, new)
        out.append(new.get(id(s), s))
    return out


def _affine_reads(loop, i, assigned) -> bool:
    """Every element the body touches is picked by the loop index plus a
    constant in the last place, or by names the loop does not set: unit
    strides, no gather (a loop down the rows of ``X[i, 0]``, ``X[i + 1, 0]`` of
    an ``(n, 3)`` array stays scalar: the polymer chain's bonds ran 1.63 ->
    2.01 ms split)."""
    for n in (n for s in loop.body for n in nodes(s)):
        if isinstance(n, ast.Subscript):
            parts = n.slice.elts if isinstance(n.slice, ast.Tuple) else [n.slice]
            for k, p in enumerate(parts):
                mentioned = {m.id for m in nodes(p) if isinstance(m, ast.Name)}
                if mentioned & assigned and not (_index_plus_constant(p, i) and
                                                 k == len(parts) - 1):
                    return False
    return True


def _index_plus_constant(e, i) -> bool:
    if isinstance(e, ast.Name):
        return e.id == i
    return isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub)) and \
        isinstance(e.right, ast.Constant) and isinstance(e.right.value, int) and \
        _index_plus_constant(e.left, i)


def _in_index(s, tup) -> bool:
    return any(isinstance(n, ast.Subscript) and n.slice is tup for n in nodes(s))


def _called(call) -> str:
    f = call.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        return f"{f.value.id}.{f.attr}"
    return "?"


def _bounds(it, step):
    """``(lo, hi)``: the loop visits ``lo, ..., hi - 1``, in either order."""
    args = it.args
    if step == 1:
        return (ast.Constant(0), args[0]) if len(args) == 1 else (args[0], args[1])
    return add_int(args[1], 1), add_int(args[0], 1)


def _minus(e, lo):
    k = lo.value if isinstance(lo, ast.Constant) and isinstance(lo.value, int) else None
    if k is not None:
        return add_int(e, -k)
    return ast.BinOp(left=ir.clone(e), op=ast.Sub(), right=ir.clone(lo))


def _a_length(e) -> bool:
    """``x.shape[k]`` or ``len(x)``: never negative."""
    return isinstance(e, ast.Subscript) and isinstance(e.value, ast.Attribute) and \
        e.value.attr == "shape" or isinstance(e, ast.Call) and _called(e) == "len"


def _loop_like(loop, body):
    """A loop over the same range as ``loop``, counting up, with ``body``: each
    iteration adds into an element of its own, and LLVM vectorizes an add
    into ``du[i - 1, j]`` from a row in a loop counting down only as the
    function's only loop (in a loop nest it finds the adds "unsafe": the 2-D
    wave's rows stayed scalar).  (The loop's index is not read after a
    reverse loop: ``ascending`` turns loops round too.)"""
    new = ast.For(target=ir.clone(loop.target), iter=counting_up(loop.iter), body=body,
                  orelse=[], type_comment=None)
    ir.copy_facts(loop, new)
    return new


def _label(target) -> str:
    """``du_i_plus_1_j`` for ``du[i + 1, j]`` (``du_i_plus_1_mod_n_j`` for
    ``du[(i + 1) % n, j]``): the buffer and its index, spelled."""
    parts = target.slice.elts if isinstance(target.slice, ast.Tuple) else [target.slice]
    return "_".join([target.value.id] + [_spelled(p) for p in parts])


def _spelled(p) -> str:
    if isinstance(p, ast.Name):
        return p.id
    if isinstance(p, ast.BinOp) and isinstance(p.left, ast.Name) and \
            isinstance(p.right, ast.Constant) and isinstance(p.op, (ast.Add, ast.Sub)):
        return f"{p.left.id}_{'plus' if isinstance(p.op, ast.Add) else 'minus'}_{p.right.value}"
    if isinstance(p, ast.BinOp) and isinstance(p.op, ast.Mod) and isinstance(p.right, ast.Name):
        left = _spelled(p.left)
        return f"{left}_mod_{p.right.id}" if left != "k" else "k"
    if isinstance(p, ast.Constant):
        return str(p.value)
    return "k"
