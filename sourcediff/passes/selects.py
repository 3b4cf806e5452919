"""Small branches over numbers become selects (if-conversion).

An ``if`` whose arms only compute numbers from numbers, cheaply and without
any way to fail, runs both arms and picks the results::

    if _c3:                           _t4 = min(a, b)
        _t4 = min(a, b)        ->     _retval7 = _t4 if _c3 else _retval7
        _retval7 = _t4

A branch on data (``a * b <= 0.0`` in a slope limiter, the sign tests of
``abs`` and ``max`` adjoints) goes either way at random: a mispredicted
branch costs the processor more than a dozen arithmetic operations, and a
loop with branches in it does not vectorize. Selects cost neither (LLVM
compiles them to conditional moves and blends). The helpers a limiter calls
(``minmod``), their VJPs and the reverse of a user's ``if`` are where such
branches are; a hand-written adjoint flattens them the same way.

What an arm may hold (``_speculable``): assignments to numbers (and ifs of
the same kind, converted first), whose values are made from numbers by
``+ - *``, division by a non-zero constant, comparisons, ``not/and/or``,
conditional expressions and ``min``, ``max``, ``abs``, ``math.copysign``,
``math.fabs``: operations that cannot raise or read memory in Python or in
Numba, so running the arm that was not taken changes nothing but time. No
array element is read (an index the test guards could be out of bounds), no
function is called. The arms together hold at most ``LIMIT`` operations: past
that, running both costs more than a mispredicted branch saves.

A number an arm sets is merged after the arms, ``v = v_then if c else v``,
which reads its value from before the ``if``. That value must exist: ``v``
is set on every path to the ``if`` (definitely assigned), or set nowhere
before it (then the arm's value is taken as it is: a path that skips the arm
could not read ``v`` in Python), or, inside a loop, first set inside that
loop, where ``v = 0`` before the outermost loop keeps the value from the
iteration before, as the branch did (and what Numba reads for a name not yet
bound, as before). Otherwise the ``if`` stays.

Generic: numbers are known by the ``number_kind`` the caller gives (its
types); nothing here knows about derivatives.
"""
from __future__ import annotations

import ast
import itertools
from collections import Counter

import numpy as np

from .. import ir
from .astutil import assign, const, name, nodes

LIMIT = 40

_ARITH = (ast.Add, ast.Sub, ast.Mult)
_COMPARE = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
_UNARY = (ast.USub, ast.UAdd, ast.Not)
_BUILTINS = ("min", "max", "abs")
_MATH = ("copysign", "fabs")
_OPS = (ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.IfExp, ast.Call)
_ZERO = {"float": 0.0, "int": 0, "bool": False}


def select_branches(blocks: list, params, number_kind, live_out=()) -> list:
    """``blocks`` (the statement lists of one function, in the order they
    run) with their small branches over numbers as selects; ``params``: the
    names bound on entry; ``number_kind(name)``: 'float' (float64), 'int',
    'bool' for a number, else None; ``live_out``: names read after the
    blocks."""
    return _Selects(blocks, params, number_kind, live_out).run()


def number_kind(t) -> str | None:
    """``select_branches``' kind of a variable of type ``t`` (passes/types.py)."""
    if t is None or not t.is_scalar:
        return None
    if t.kind == "float" and t.dtype is not None and t.dtype != np.float64:
        return "float32"
    return t.kind


class _Selects:
    def __init__(self, blocks, params, number_kind, live_out):
        self.blocks = blocks
        self.params = set(params)
        self.kind_of = number_kind
        self.used = set(self.params) | set(live_out)
        stored = set(self.params)
        for b in blocks:
            for s in b:
                self.used |= {n.id for n in nodes(s) if isinstance(n, ast.Name)}
                stored |= _stores(s)
        self.live_after = {}      # id of an if -> the names live after it
        _live_before([s for b in blocks for s in b], set(live_out), self.live_after)
        self.made = {}            # fresh name -> the name whose value it holds
        self.shadowed = {n for n in stored if n in _BUILTINS or n == "math"}

    def run(self) -> list:
        out = []
        defined, assigned = set(self.params), set(self.params)
        for b in self.blocks:
            new, defined, assigned, _ = self.block(b, defined, assigned, None)
            out.append(new)
        return out

    # -- names -----------------------------------------------------------
    def fresh(self, base, arm) -> str:
        for k in itertools.count(1):
            cand = f"{base}_{arm}" if k == 1 else f"{base}_{arm}{k}"
            if cand not in self.used:
                self.used.add(cand)
                self.made[cand] = base
                return cand

    def kind(self, var):
        base = self.made.get(var, var)
        return base[1:] if base.startswith(":") else self.kind_of(base)

    # -- the walk: definite assignment, and where each statement is --------
    def block(self, stmts, defined, assigned, loop_entry):
        """``(new statements, defined after, assigned after, initialisations
        for the loop around)``; ``loop_entry``: the names assigned before the
        outermost loop around ``stmts`` (None outside loops)."""
        out, inits = [], []
        for s in stmts:
            if isinstance(s, ast.If):
                new = self.convert(s, defined, assigned, loop_entry, inits, nested=False)
                if new is not None:
                    if ir.SECTION.has(s):
                        for x in new:
                            ir.SECTION.set(x, ir.SECTION(s))
                    start = len(out)
                    out += new
                    _fold_copies(out, start)
                    for x in new:
                        defined = defined | _stores(x)
                    assigned = assigned | _stores(s)
                    continue
                s.body, d1, a1, i1 = self.block(s.body, defined, assigned, loop_entry)
                s.orelse, d2, a2, i2 = self.block(s.orelse, defined, a1, loop_entry)
                inits += i1 + i2
                defined = defined | (d1 & d2)
                assigned = a2
                out.append(s)
            elif isinstance(s, (ast.For, ast.While)):
                entry = assigned if loop_entry is None else loop_entry
                inner = defined | (_stores(s.target) if isinstance(s, ast.For) else set())
                s.body, _, assigned, i1 = self.block(s.body, inner, assigned | _stores(s), entry)
                s.orelse, _, assigned, i2 = self.block(s.orelse, defined, assigned, entry)
                if loop_entry is None:
                    out += i1 + i2
                    for x in i1 + i2:
                        ir.LINE.set(x, ir.LINE(s))
                        if ir.SECTION.has(s):
                            ir.SECTION.set(x, ir.SECTION(s))
                else:
                    inits += i1 + i2
                out.append(s)
            else:
                out.append(s)
                defined = defined | _stores(s)
                assigned = assigned | _stores(s)
        return out, defined, assigned, inits

    # -- one if ----------------------------------------------------------
    def convert(self, s, defined, assigned, loop_entry, inits, nested):
        """The statements replacing ``s`` (its arms run, then merged), or None;
        ``nested``: ``s`` is in an arm being converted (its test then runs on
        every path too)."""
        if nested and not self.speculable(s.test, defined):
            return None
        arms, mine = [], []
        for arm, stmts in (("then", s.body), ("else", s.orelse)):
            flat = self.flatten(stmts, defined, assigned, loop_entry, mine)
            if flat is None:
                return None
            arms.append(flat)
        if sum(_cost(x) for arm in arms for x in arm) > LIMIT:
            return None
        line = ir.LINE(s)
        test, pre = s.test, []
        if not isinstance(test, ast.Name) and not self.speculable(test, defined):
            c = self.fresh("cond", "if")
            self.made[c] = ":bool"
            pre = [ir.tag(assign(c, test), line)]
            test = name(c)
        local = _stores(s) - self.live_after[id(s)]
        if loop_entry is None:
            # set in one arm and nowhere before: taken as that arm sets it
            one = set(map(_target, arms[0])) ^ set(map(_target, arms[1]))
            local |= {v for v in one if v not in assigned and v not in self.made}
        renamed, out, order = [{}, {}], [], []
        for k, (arm, stmts) in enumerate(zip(("then", "else"), arms)):
            other = set().union(*(_loads(x) for x in arms[1 - k]))
            for x in stmts:
                var = _target(x)
                if self.kind(var) is None:
                    return None
                value = _renamed(x.value, renamed[k])
                if isinstance(x, ast.AugAssign):
                    value = ast.BinOp(left=name(renamed[k].get(var, var)), op=x.op, right=value)
                if var in self.made or var in local and var not in other:
                    # read in this arm only (a name an inner conversion made, or
                    # one nothing after the ``if`` reads)
                    out.append(ir.tag(assign(var, value), ir.LINE(x)))
                    continue
                if var not in renamed[k]:
                    renamed[k][var] = self.fresh(var, arm)
                    if var not in order:
                        order.append(var)
                out.append(ir.tag(assign(renamed[k][var], value), ir.LINE(x)))
        merges, new_inits = [], []
        for var in order:
            then, other = renamed[0].get(var, var), renamed[1].get(var, var)
            if var in renamed[0] and var in renamed[1] or var in defined:
                merges.append((var, then, other))
            elif var not in assigned and loop_entry is None:
                merges.append((var, then if var in renamed[0] else other, None))
            elif loop_entry is not None and var not in loop_entry and \
                    self.kind(var) in _ZERO:
                new_inits.append(ir.tag(assign(var, const(_ZERO[self.kind(var)])), line))
                merges.append((var, then, other))
            else:
                return None
        inits += mine + new_inits
        new, gone = _inline_once(out, merges, test, line)
        self.used -= gone
        new = pre + new
        if not nested:
            # what the arms set that nothing reads after them (what a branch
            # that was not taken would have set) is not computed
            live = set(self.live_after[id(s)])
            kept = []
            for x in reversed(new):
                var = _target(x)
                if var not in live and self.speculable(x.value, None):
                    continue
                live = (live - {var}) | set(_loads(x.value))
                kept.append(x)
            new = kept[::-1]
        return new

    def flatten(self, stmts, defined, assigned, loop_entry, inits):
        """``stmts`` as straight-line assignments to numbers, or None."""
        out = []
        for x in stmts:
            if isinstance(x, ast.Pass):
                continue
            if isinstance(x, ast.If):
                new = self.convert(x, defined, assigned, loop_entry, inits, nested=True)
                if new is None:
                    return None
                out += new
            elif isinstance(x, (ast.Assign, ast.AugAssign)) and _target(x) is not None and \
                    (isinstance(x, ast.Assign) or isinstance(x.op, _ARITH) and
                     _target(x) in defined) and self.speculable(x.value, defined):
                out.append(x)
            else:
                return None
            defined = defined | _stores(x)
            assigned = assigned | _stores(x)
        return out

    def speculable(self, e, defined) -> bool:
        """Whether ``e`` makes a number from numbers without failing or reading
        memory; ``defined``: the names bound on every path to it (None: any)."""
        if isinstance(e, ast.Name):
            return self.kind(e.id) is not None and (defined is None or e.id in defined)
        if isinstance(e, ast.Constant):
            return type(e.value) in (int, float, bool)
        if isinstance(e, ast.BinOp):
            if isinstance(e.op, ast.Div):
                ok = isinstance(e.right, ast.Constant) and type(e.right.value) in (int, float) \
                    and e.right.value != 0
            else:
                ok = isinstance(e.op, _ARITH)
            return ok and self.speculable(e.left, defined) and self.speculable(e.right, defined)
        if isinstance(e, ast.UnaryOp):
            return isinstance(e.op, _UNARY) and self.speculable(e.operand, defined)
        if isinstance(e, ast.Compare):
            return all(isinstance(op, _COMPARE) for op in e.ops) and \
                self.speculable(e.left, defined) and \
                all(self.speculable(c, defined) for c in e.comparators)
        if isinstance(e, ast.BoolOp):
            return all(self.speculable(v, defined) for v in e.values)
        if isinstance(e, ast.IfExp):
            return self.speculable(e.test, defined) and self.speculable(e.body, defined) and \
                self.speculable(e.orelse, defined)
        if isinstance(e, ast.Call) and not e.keywords and \
                not any(isinstance(a, ast.Starred) for a in e.args):
            f = e.func
            known = (isinstance(f, ast.Name) and f.id in _BUILTINS and f.id not in self.shadowed
                     and (len(e.args) == 2 or f.id == "abs" and len(e.args) == 1)) or \
                (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and
                 f.value.id == "math" and "math" not in self.shadowed and f.attr in _MATH)
            return known and all(self.speculable(a, defined) for a in e.args)
        return False


def _target(x):
    t = x.targets[0] if isinstance(x, ast.Assign) and len(x.targets) == 1 else \
        getattr(x, "target", None)
    return t.id if isinstance(t, ast.Name) else None


def _live_before(stmts, live: set, table: dict, jumps: set = frozenset()) -> set:
    """The names live before ``stmts`` given those ``live`` after; records the
    names live after each ``if`` in ``table``.  A loop's body is taken to a
    fixed point: what its test and its next iteration read is live at the end
    of the body (a temporary each iteration sets before reading it is not);
    ``jumps``: what is live where a ``break`` or ``continue`` goes (both
    places, conservatively)."""
    for s in reversed(stmts):
        if isinstance(s, ast.If):
            table[id(s)] = set(live)
            live = set(_loads(s.test)) | _live_before(s.body, live, table, jumps) | \
                _live_before(s.orelse, live, table, jumps)
        elif isinstance(s, (ast.For, ast.While)):
            live = _live_through_loop(s, live, table)
        elif isinstance(s, (ast.Break, ast.Continue, ast.Return)):
            live = live | set(jumps) | set(_loads(s))
        elif isinstance(s, ast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], ast.Name):
            live = (live - {s.targets[0].id}) | set(_loads(s.value))
        else:
            live = live | set(_loads(s))
    return live


def _live_through_loop(loop, after: set, table: dict) -> set:
    """The names live before ``loop`` given those ``after`` it."""
    head = set(_loads(loop.test if isinstance(loop, ast.While) else loop.iter))
    target = _stores(loop.target) if isinstance(loop, ast.For) else set()
    # live at the end of the body (and where a break or continue goes): after
    # the loop, its test, and the next iteration's start
    end = set(after) | head
    while True:
        start = _live_before(loop.body, end, table, end) - target
        grown = end | start
        if grown == end:
            break
        end = grown
    return end | _live_before(loop.orelse, set(after), table, set(after))


def _loads(s) -> Counter:
    """The names ``s`` reads (the target of ``x += ...`` too), with how often."""
    out = Counter()
    for n in nodes(s):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            out[n.id] += 1
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            out[n.target.id] += 1
    return out


def _stores(s) -> set:
    return {n.id for n in nodes(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _cost(x) -> int:
    return sum(isinstance(n, _OPS) for n in nodes(x)) + isinstance(x, ast.AugAssign)


def _renamed(e, mapping):
    e = ir.clone(e)
    for n in nodes(e):
        if isinstance(n, ast.Name) and n.id in mapping:
            n.id = mapping[n.id]
    return e


def _inline_once(stmts, merges, test, line) -> tuple:
    """The arms' assignments and the merges; an arm's name assigned once to a
    name or a constant and read only by its merge is not made: the name or
    constant goes into the merge (when the merges do not change it).  Nothing
    more: Numba compiles a conditional expression to branches, which LLVM
    turns into a select only when its arms are that cheap (an arm computing a
    sum stayed a branch: a slope limiter's adjoint 4.2 -> 5.7 ms)."""
    targets = [s.targets[0].id for s in stmts]
    reads = {}
    for s in stmts:
        for n in nodes(s.value):
            if isinstance(n, ast.Name):
                reads[n.id] = reads.get(n.id, 0) + 1
    keep, values = [], {}     # (and the names not made, the second result)
    at = {n: k for k, (_, then, other) in enumerate(merges) for n in (then, other)}
    order = {var: k for k, (var, _, _) in enumerate(merges)}
    for k, (s, t) in enumerate(zip(stmts, targets)):
        # what it reads holds the same value at its merge: a name no later
        # statement of the arms sets (``ds_then = dexcess`` before ``dexcess =
        # 0.0``: the merge would read the zero), merged there or later
        later = set(targets[k + 1:])
        if t in at and targets.count(t) == 1 and not reads.get(t) and _atom(s.value) and \
                not any(isinstance(n, ast.Name) and (order.get(n.id, at[t]) < at[t] or
                                                     n.id in later or targets.count(n.id) > 1)
                        for n in nodes(s.value)):
            values[t] = s.value
        else:
            keep.append(s)
    out = keep
    for var, then, other in merges:
        a = values.get(then, name(then))
        if other is None:
            out.append(ir.tag(assign(var, a), line))
            continue
        b = values.get(other, name(other))
        if ast.dump(a) == ast.dump(b):
            out.append(ir.tag(assign(var, a), line))
            continue
        out.append(ir.tag(assign(var, ast.IfExp(test=ir.clone(test), body=a, orelse=b)), line))
    return out, set(values)


def _fold_copies(out, start):
    """A merge ``v = a if c else v`` (``out[start:]`` made from one ``if``) whose
    ``v`` was last bound by a copy ``v = y``, read between only by assignments to
    other names than ``v`` and ``y``: those reads and the merge read ``y`` and the
    copy goes (``h_v2 = h; if t + h > tend: h_v2 = tend - t`` -> ``h_v2 = h_v2_then
    if _c3 else h``), so ``v`` is bound once: a value the planner may recompute
    from ``y``, where a name bound twice was stored before it was overwritten."""
    for m in range(len(out) - 1, start - 1, -1):
        merge = out[m]
        if not (isinstance(merge, ast.Assign) and isinstance(merge.value, ast.IfExp)):
            continue
        var = _target(merge)
        k = m - 1
        while k >= 0 and var not in _stores(out[k]):
            k -= 1
        if k < 0:
            continue
        copy = out[k]
        if not (isinstance(copy, ast.Assign) and isinstance(copy.value, ast.Name)
                and _target(copy) == var) or copy.value.id == var:
            continue
        y = copy.value.id
        between = out[k + 1:m]
        if not all(isinstance(x, ast.Assign) and _target(x) not in (None, var, y)
                   for x in between):
            continue
        for x in between + [merge]:
            for n in nodes(x.value):
                if isinstance(n, ast.Name) and n.id == var:
                    n.id = y
        del out[k]


def _atom(e) -> bool:
    return isinstance(e, (ast.Name, ast.Constant)) or \
        isinstance(e, ast.UnaryOp) and isinstance(e.operand, (ast.Name, ast.Constant))
