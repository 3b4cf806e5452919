"""Re-run instead of store: what each reverse iteration of a loop recomputes.

At the start of each reverse iteration of a loop, the adjoint can re-run
statements of the loop's body instead of reading their values back from a
tape.  :func:`choose` picks them, top-level statements of the body in order:

* a scalar assignment that reads only the loop index, values the loop does
  not change, values re-run before it, loop-carried scalars restored at the
  start of the iteration, numbers the body sets once before it (put back
  after the reverse of their last reader, ``_set_once_at_top``), or an
  element ``a[i]`` stored earlier in the same iteration at the same index;
* a whole nested loop nest of counted loops (scalar assignments and element
  stores only) whose reads are available in the same sense, and whose
  writes are private to one iteration: every array it writes is written
  whole in each iteration (``for j in range(n): a[j] = ...`` into an
  ``a = np.zeros(n)``) before anything reads it, nothing outside the loop
  reads it, and the reverse sweep reads it only after the iteration's last
  write to it; every scalar it writes is read nowhere outside the loop.

A re-run nest replaces the tape of everything it overwrites: the forward
sweep stores none of it.  Whether a nest is re-run is decided by cost: the
operations it repeats against the tape traffic of the saves it removes
(:func:`pays`).  Statements inside a re-run nest keep their own saves and
undos, which its reverse needs from one inner iteration to the next.

What re-running the nests gives the reverse iteration is their arrays and
numbers as the iteration leaves them (nothing else writes them, and their
element stores save nothing).  Where the nests repeat more work than that
state holds values (a triangular product over a row: d * d / 2 operations for
d values, ADBench's GMM), the state may be *kept* instead (:func:`_keep`): the
forward sweep copies each array and number into a row of a tape after its
last writer, one row per iteration, and the reverse iteration reads the row
in place of the array; nothing is re-run.  The planner keeps them only where
the rows hold one iteration of a fused loop (``Planner.kept_tapes``); else
the nests are re-run.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

from .. import ir
from ..rules import registry
from .astutil import (
    LIKE,
    SHAPE_ATTRIBUTES,
    free_names,
    index_offset,
    is_costly,
    maker_shape,
    nodes,
    stored_names,
    walk,
)
from .buffers import store_base
from .tape import counted, nest_facts, plan_indexed_tapes, steps_by_one

# calls free to repeat in a choice's branches (``abs(a) < abs(b)`` in a limiter)
_CHEAP_CALLS = (abs, min, max, math.fabs, math.copysign)

# cost units of :func:`pays`: one arithmetic operation or store is 1
CALL_COST = 10       # a math or NumPy function of one element (abs, floor, min ...)
TAPE_COST = 20       # one value stored in the forward sweep and read back in reverse
# a transcendental function of one element (astutil.is_costly: exp, log, sin ...):
# dearer than storing its value and reading it back (a softmax's row of exps
# re-run in each reverse step took 1.43 ms where its tape took 1.17)
COSTLY_COST = 30
TRIPS = 8            # assumed trip count of a nested loop (only relative depths matter)
# one value a kept nest leaves (see ``_keep``): copied into its tape row in the
# forward sweep, read from it in reverse; a copy of contiguous values, but at
# memory speed when the rows outgrow the cache
KEPT_COST = 4


@dataclass
class Rerun:
    """What the reverse iteration of one loop re-runs."""
    stmts: list = field(default_factory=list)     # in body order
    reads: dict = field(default_factory=dict)     # id(stmt) -> names it needs from before it
    writes: dict = field(default_factory=dict)    # id(stmt) -> names it (re)defines
    arrays: set = field(default_factory=set)      # arrays re-run whole: no element tape
    scalars: set = field(default_factory=set)     # (id(top-level assignment), var): no save
    finals: set = field(default_factory=set)      # arrays whose elements are read again
    restored: set = field(default_factory=set)    # numbers set before, put back (_set_once_at_top)
    settled: set = field(default_factory=set)     # numbers read at their last value (_settled)
    # id(nest) -> k: the nest is re-run just before the reverse of body[k]
    # instead of at the start of the reverse iteration (see ``_late``)
    late: dict = field(default_factory=dict)
    # id(if) -> its branches' assignments re-run at the start of the reverse of
    # the branch they are in (see ``_branch_values``)
    branches: dict = field(default_factory=dict)
    # id(nest) -> the arrays and numbers kept as it leaves them (its last writer
    # among the nests), see ``_keep``; ``kept_nests``: all nests, none re-run
    kept: dict = field(default_factory=dict)
    kept_nests: set = field(default_factory=set)


def choose(plan, loop, carried: dict) -> Rerun:
    """The statements of ``loop``'s body re-run in each of its reverse
    iterations (``plan``: the passes/planner.py Planner being built)."""
    banned: set = set()
    while True:
        out = _select(plan, loop, carried, banned)
        bad = _invalid(plan, loop, out)
        if not bad:
            _keep(plan, loop, out)
            return out
        banned |= bad


def _select(plan, loop, carried, banned) -> Rerun:
    written = plan.assigned_in(loop)
    ok = {loop.target.id} if isinstance(loop, ast.For) else set()
    covered: set = set()
    late_needs: dict = {}        # id(late nest) -> what it reads that is not re-run early
    out = Rerun()
    once = _set_once_at_top(plan, loop, carried, banned)
    derived: set = set()         # re-run from such numbers, directly or not
    # in a while loop, or in a loop inside one, a stored value goes on a list:
    # a push and a pop cost more than a division
    listed = any(isinstance(x, ast.While) for x in [loop, *plan.around.get(id(loop), [])])
    # (numbers some adjoint reads whatever is re-run: their values are put back anyway)
    read_anyway = _derivative_reads(plan, walk(loop.body))
    written_from = _suffix_writes(loop.body)     # k -> names body[k:] assigns
    slotted = _slot_per_iteration(plan, loop)
    for idx, s in enumerate(loop.body):
        if ir.KIND(s) == ir.Kind.ASSIGN:
            z = s.targets[0].id
            names = free_names(s.value) - {"np", "math"}
            if ir.PRIM(s.value)[0] == "call":
                names -= free_names(s.value.func)
            if z in banned or z in carried or not _simple_assign(plan, s, loop, idx):
                continue
            if id(loop) in plan.prefer_store and is_costly(s.value) and names & written:
                # stored, not computed again (but a costly value the loop does not
                # change is: one slot per iteration for the same number would cost
                # more); restored in reverse after its last use, it holds this
                # iteration's value when the reverse iteration starts, for the
                # values re-run from it
                ok.add(z)
                continue
            final = {n for n in names & written - ok if _final(plan, s, n)}
            restored = {n for n in names & written - ok if once.get(n, idx) < idx}
            settled = {n for n in names & written - ok - final - restored
                       if _settled(plan, loop, n, carried, written_from[idx])} & read_anyway \
                if plan.types[z].kind == "float" else set()
            # (a quotient or a call from them, directly or through values re-run from
            # them, stays stored in an array: a division costs more than the slot,
            # and what it reads need not be restored for it)
            if (restored or settled or names & derived) and _dear(s.value) and not listed:
                continue
            if all(n in ok or n in final or n in restored or n in settled or
                   n not in written or carried.get(n, -1) > idx or
                   _stored_before(loop, idx, s.value, n) or
                   not slotted and _unwritten_after(loop, idx, s.value, n)
                   for n in names):
                ok.add(z)
                out.finals |= final
                out.restored |= restored
                out.settled |= settled
                if restored or settled or names & derived:
                    derived.add(z)
                out.stmts.append(s)
                out.reads[id(s)] = names
                out.writes[id(s)] = {z}
                out.scalars.add((id(s), z))
        elif isinstance(s, ast.If) and \
                (branched := _branch_reruns(plan, loop, idx, s, written, carried, banned)) is not None:
            for test, values in branched:
                out.branches[id(test)] = values
                out.scalars |= {(id(st), st.targets[0].id) for st in values}
        elif isinstance(s, ast.If) and _choice_ok(plan, s, loop, idx):
            # if c: z = a else: z = b (scalars assigned in both branches)
            names = _choice_reads(s)
            targets = assigned_scalars(s)
            if targets & (banned | set(carried)):
                continue
            if all(n in ok or n not in written or carried.get(n, -1) > idx for n in names):
                ok |= targets
                out.stmts.append(s)
                out.reads[id(s)] = names
                out.writes[id(s)] = targets
                out.scalars |= {(id(st), st.targets[0].id) for st in walk([s])
                                if ir.KIND(st) == ir.Kind.ASSIGN}
        elif isinstance(s, ast.For) and _nest_ok(plan, s) and not reads_stored(plan, s):
            needs, arrays, scalars = exposed([s]), stored_arrays(s), assigned_scalars(s)
            if (arrays | scalars) & (banned | set(carried) | set(plan.params)) or \
                    plan.ret_name in arrays | scalars:
                continue
            covers = {a for a in arrays if _covers(plan, s, a)}
            if not arrays <= covered | covers or not pays(plan, s, arrays):
                continue
            if all(n in ok or n in covered or n not in written or carried.get(n, -1) > idx
                   for n in needs):
                covered |= covers
                ok |= scalars
            else:
                late_needs[id(s)] = needs - ok - covered
                at = _late(plan, loop, idx, late_needs[id(s)], arrays | scalars, carried)
                moved = None if at is None else _upstream(plan, loop, out, late_needs, s, at)
                if moved is None or not arrays <= covers:
                    continue
                out.late.update(moved)
                out.late[id(s)] = at
            out.stmts.append(s)
            out.reads[id(s)] = needs
            out.writes[id(s)] = arrays | scalars
            out.arrays |= arrays
    return out


def _keep(plan, loop, out: Rerun):
    """Offer to keep what the re-run nests of ``loop`` leave instead of re-running
    them, where that costs less: ``KEPT_COST`` per value against the nests' work
    (taken where a fused loop holds the rows, ``Planner.kept_tapes``).
    The arrays (``_covers``: 1-d, made once with a length known before the
    loops) and the numbers a nest leaves for what follows (read after it, or
    carried through its loops: a counter ``entry += 1`` undone in reverse)
    get a row per iteration of the loops around the nest
    (``tape.plan_indexed_tapes``: counted loops only).  Not in checkpointed
    programs (a segment's re-run fills its own tapes), nor where a statement
    outside the nests reads an array other than element by element, or a
    kept number before its nest (it would read the number the nest changes)."""
    nests = [s for s in out.stmts if isinstance(s, ast.For)]
    if not nests or plan.checkpointed or \
            any(_length(plan, a) is None for a in out.arrays):
        return
    inside = {id(st) for n in nests for st in walk([n])}
    for st in walk(loop.body):
        if id(st) in inside:
            continue
        if store_base(st) in out.arrays or _whole_reads(st) & out.arrays:
            return
    position = {id(top): k for k, top in enumerate(loop.body)}
    kept: dict = {}
    for nest in nests:
        counters = {f.target.id for f in walk([nest]) if isinstance(f, ast.For)}
        after = plan.liveness.after.get(id(nest), set())
        numbers = {v for v in assigned_scalars(nest) - counters
                   if v in after or v in exposed([nest])}
        for v in numbers:
            t = plan.types.get(v)
            if t is None or not t.is_scalar or any(
                    v in _loads([st]) for st in loop.body[:position[id(nest)]]
                    if v not in _written([st])):
                return
        for name in out.writes[id(nest)] & out.arrays | numbers:
            kept[name] = nest        # (the last writer wins: nests are in body order)
    if not kept:
        return
    replay = sum(work(n) for n in nests)
    values = sum(TRIPS if name in out.arrays else 1 for name in kept)
    if KEPT_COST * values >= replay:
        return
    if "nest_facts" not in plan.memo:
        plan.memo["nest_facts"] = nest_facts(plan.fn)
    facts = plan.memo["nest_facts"]
    for name, nest in kept.items():
        dtype = plan.types[name].dtype
        if id(nest) not in plan_indexed_tapes(plan.fn, [(nest, name)], lambda _st, dtype=dtype: dtype,
                                              facts=facts):
            return
    out.kept_nests = {id(n) for n in nests}
    for name, nest in sorted(kept.items()):
        out.kept.setdefault(id(nest), []).append(name)


def _whole_reads(st) -> set:
    """Arrays ``st`` reads other than as an element ``a[...]`` (whole, or a row)."""
    subs = {id(n.value) for n in nodes(st) if isinstance(n, ast.Subscript)}
    return {n.id for n in nodes(st) if isinstance(n, ast.Name) and
            isinstance(n.ctx, ast.Load) and id(n) not in subs}


def kept_length(plan, array):
    """The length of a kept array (an expression computable before the loops)."""
    return _length(plan, array)


def _branches(plan, loop, idx, top, written, carried, banned, inner=None) -> list:
    """``(if, values)`` for the ``if`` ``loop.body[idx]`` and the ``if`` statements nested
    in its branches (``if q < 1.0`` inside ``if j != i``): the values re-run at
    the start of the reverse of each branch (:func:`_branch_values`).  A nested
    branch's values read only the loop index, values re-run before them (in it
    or in the branches around it) and names the loop never writes: the reverse
    of the statements after the nested ``if`` in its enclosing branch may
    restore others.  ``inner``: (the nested ``if``, the loads of everything
    around it in the enclosing branches, the values re-run there)."""
    test, around, above = inner if inner is not None else (top, set(), frozenset())
    out, chosen = [], []
    for branch in (test.body, test.orelse):
        values = _branch_values(plan, loop, idx, test, branch, written, carried, banned,
                                (around, above) if inner is not None else None)
        chosen += values
        made = above | {st.targets[0].id for st in values}
        for k, st in enumerate(branch):
            if isinstance(st, ast.If) and not _choice_ok(plan, st, loop, idx):
                rest = _loads(branch[:k] + branch[k + 1:]) | _loads([test.test]) | \
                    _loads(test.orelse if branch is test.body else test.body)
                out += _branches(plan, loop, idx, top, written, carried, banned,
                                 (st, around | rest, made))
    return ([(test, chosen)] if chosen else []) + out


def _branch_reruns(plan, loop, idx, s, written, carried, banned):
    """The ``if`` ``s``'s values re-run in the reverse of their branches
    (``_branches``), or None where the ``if`` is re-run whole (a choice,
    ``_choice_ok``, whose values are not read only there: ``_in_branches``)."""
    if not _choice_ok(plan, s, loop, idx):
        return _branches(plan, loop, idx, s, written, carried, banned)
    return _in_branches(plan, loop, idx, s, written, carried, banned)


def _in_branches(plan, loop, idx, choice, written, carried, banned):
    """The values of the ``if``/``else`` ``choice`` (``_choice_ok``) re-run at the
    start of the reverse of their own branch (``_branches``), when that is all
    the reverse sweep reads of it: no derivative outside the ``if`` reads what
    it assigns, and each value a derivative inside it reads is re-run so.  Else
    None: the whole ``if`` is re-run at the start of the reverse iteration.

    Burgers' upwinding ``if u[i] > 0.0: adv = u[i] * (u[i] - u[i - 1]) / dx
    else: ...`` is read in reverse only through the factors of each branch's
    product; re-run where their adjoint is, as by hand, the branch is not taken
    twice, and no value of one branch lives on through the other: Numba merges
    a name one branch sets with what it held before, and that merge, reaching
    back through the reverse loop into the forward sweep, kept LLVM from
    vectorizing the forward loop (the gradient 3.2 -> 2.1 ms for 1,500 steps
    of 400 points, with ``restore_loops.save_before_loops`` leaving the saves
    of a loop with branches in place)."""
    inside = {id(st) for st in walk([choice])}
    others = [st for st in walk(loop.body) if id(st) not in inside]
    if _computed_from(others, assigned_scalars(choice)) & _derivative_reads(plan, others):
        return None
    branched = _branches(plan, loop, idx, choice, written, carried, banned)
    rerun = {st.targets[0].id for _test, values in branched for st in values}
    needed = _derivative_reads(plan, [st for st in walk([choice]) if st is not choice])
    if not branched or not needed & assigned_scalars(choice) <= rerun:
        return None
    return branched


def _computed_from(stmts, names) -> set:
    """``names`` and what ``stmts`` (in order) compute from them, directly or
    not: the numbers assigned and the arrays stored into from them, and what
    reads those (a value of them the reverse reads must come from them)."""
    out = set(names)
    for st in stmts:
        if isinstance(st, (ast.Assign, ast.AugAssign)) and free_names(st.value) & out:
            out |= stored_names(st) | {store_base(st)} - {None}
    return out


def _branch_values(plan, loop, idx, test, branch, written, carried, banned,
                   nested=None) -> list:
    """The assignments of ``branch`` (of the ``if`` ``loop.body[idx]``) re-run at the
    start of the reverse of that branch instead of stored (a loop body under a
    ``continue`` is such a branch: ``_t15 = x[i]`` in ``swx += w * x[i]``).

    Each is a number assigned only there and read only after it in the
    branch, computed from what the reverse of the branch finds as the forward
    iteration left it: the loop index, values the loop does not change,
    numbers assigned in the body before the ``if`` and nowhere from it on (the
    reverse of the statements after the ``if`` restores nothing of theirs;
    not a loop-carried snapshot), and values re-run before it in the branch.
    A value the same in every iteration (computed from nothing the loop
    changes) is left out: it needs neither a tape nor a re-run."""
    body = loop.body
    index = {loop.target.id} if isinstance(loop, ast.For) else set()
    candidates = [st for st in branch if ir.KIND(st) == ir.Kind.ASSIGN and
                  isinstance(st.targets[0], ast.Name)]
    if not candidates:
        return []
    later = _written(body[idx:])
    other = test.orelse if branch is test.body else test.body
    key = ("loads outside", id(loop))
    if key not in plan.memo:
        plan.memo[key] = loads_outside(plan.fn, loop)
    outside = plan.memo[key] | _loads([test.test]) | _statement_loads(plan, body[:idx]) | \
        _statement_loads(plan, body[idx + 1:]) | _statement_loads(plan, other)
    chosen, available = [], set()
    if nested is not None:
        # (a nested ``if``: what its enclosing branches read, and re-run)
        outside |= nested[0]
        available |= nested[1]
    for k, st in enumerate(branch):
        if ir.KIND(st) != ir.Kind.ASSIGN or not isinstance(st.targets[0], ast.Name):
            continue
        z = st.targets[0].id
        t = plan.types.get(z)
        head = ir.PRIM(st.value)[0]
        if t is None or not t.is_scalar or z in banned or z in carried or \
                z in plan.params or z in plan.counters or z in outside or \
                head in ("user", "method", "tuple", "global") or \
                head == "call" and not _scalar_math(st.value, plan, loop) or \
                reads_stored(plan, st.value) or \
                [site.stmt for site in plan.sites.get(z, [])] != [st] or \
                z in _loads(branch[:k]) or _loads([st]) & {z}:
            continue
        names = free_names(st.value) - {"np", "math"}
        if plan.same_in_every_iteration(plan.sites[z][0]):
            # the same in every iteration of all its loops: neither stored nor
            # recomputed (Planner.invariant), and intact where the branch's reverse starts
            available.add(z)
            continue
        # (the same in every iteration of this loop but not of an outer one,
        # ``xi = x[i, 0]`` in a pair loop's ``if j != i``: re-run too, else it is
        # saved before each overwrite, in every inner iteration)
        # (a loop-carried number is read as the iteration found it, as its
        # snapshot gives it back at the start of the reverse iteration, where
        # nothing before ``st`` in the iteration assigns it)
        if all(n in index or n in available or n not in written or
               (nested is None and n not in later and n not in carried and
                plan.types.get(n) is not None and plan.types[n].is_scalar) or
               (nested is None and n in carried and n not in _written(body[:idx] + branch[:k]))
               for n in names):
            chosen.append(st)
            available.add(z)
    return chosen


def _scalar_math(value, plan, loop) -> bool:
    """A call re-run in a branch's reverse: a math function one instruction
    computes (``math.sqrt(r2)``, ``_INSTRUCTIONS``: cheaper than a value's
    tape), unless the loop's costly values are stored (``plan.prefer_store``:
    a fused loop, whose tape holds one iteration).  (``exp`` and ``log`` are
    library calls: a CTC cell's three exps and a log re-run cost more than
    their tape, 1.5 -> 2.1 ms.)"""
    prim = ir.PRIM(value, ("",))
    return prim[0] == "call" and isinstance(value, ast.Call) and not value.keywords and \
        any(prim[1] is f for f in _INSTRUCTIONS) and id(loop) not in plan.prefer_store \
        and all(isinstance(a, (ast.Name, ast.Constant)) and
                (not isinstance(a, ast.Name) or plan.types.get(a.id) is not None and
                 plan.types[a.id].is_scalar) for a in value.args)


# math functions of numbers a single instruction computes: the cheap calls and a
# few more (``int(t)``: the conversion of a cell index, ``i = int(math.floor(x))``)
_INSTRUCTIONS = _CHEAP_CALLS + (math.sqrt, math.floor, math.ceil, int, float)


def _upstream(plan, loop, out, late_needs, nest, at):
    """The late nests ``nest`` reads from, re-placed so that each is re-run no later in
    the reverse iteration than ``nest`` (at ``at`` or after it in the body: the reverse
    meets later statements first), transitively: ``ytmp[i] = y[i] + h * k1[i]`` re-run
    before ``k2[i] = f(ytmp[i - 1], ytmp[i])``, both before the reverse of the last
    statement reading ``k2``.  {id(nest): new place}, or None when one of them cannot
    move there (something between it and there writes what it reads)."""
    body = loop.body
    moved: dict = {}
    pending = [(nest, at)]
    while pending:
        reader, place = pending.pop()
        needs = late_needs.get(id(reader), set())
        for producer in out.stmts:
            k = out.late.get(id(producer))
            if k is None or not out.writes[id(producer)] & needs:
                continue
            k = moved.get(id(producer), k)
            if k >= place:
                continue
            idx = body.index(producer)
            if any(late_needs[id(producer)] & _written([body[j]])
                   for j in range(idx + 1, place + 1)):
                return None
            moved[id(producer)] = place
            pending.append((producer, place))
    return moved


def _late(plan, loop, idx, needs, outputs, carried):
    """Where in the reverse iteration the nest ``loop.body[idx]`` can be re-run
    when what it reads is not available at the start of it: just before the
    reverse of the last body statement ``k`` reading what it writes, provided
    nothing from ``idx`` to ``k`` writes what it reads.  By then the reverse of
    the statements after ``k`` has restored what they overwrote (the nest's
    reads are reads of the reverse sweep, so the planner keeps those), and
    the arrays hold what the nest read in the forward sweep:

        for i in range(n): slope[i] = minmod(u[i] - u[i - 1], ...)   # re-run
        for i in range(n): flux[i] = f(u[i], slope[i], ...)          # k
        for i in range(n): u[i] -= c * (flux[i] - flux[i - 1])       # restores u

    Returns ``k``, or None."""
    body = loop.body
    readers = [k for k in range(idx + 1, len(body)) if outputs & exposed([body[k]])]
    if not readers or needs & (set(carried) | outputs):
        return None
    at = readers[-1]
    if any(needs & _written([body[k]]) for k in range(idx + 1, at + 1)):
        return None
    return at


def _written(stmts) -> set:
    """Names (scalars, loop targets, arrays written into) ``stmts`` assign."""
    out = set()
    for st in walk(stmts):
        if isinstance(st, ast.For):
            out |= free_names(st.target)
        elif store_base(st) is not None:
            out.add(store_base(st))
        elif isinstance(st, (ast.Assign, ast.AugAssign)):
            for t in (st.targets if isinstance(st, ast.Assign) else [st.target]):
                out |= free_names(t)
    return out


def reads_stored(plan, value) -> bool:
    """Whether ``value`` reads an element of an array whose reads the plan
    stores instead of re-running (``Planner.stored_reads``)."""
    return bool(plan.stored_reads) and any(
        isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and
        n.value.id in plan.stored_reads for n in nodes(value))


def _simple_assign(plan, s, loop, idx) -> bool:
    """A scalar (or a view of an array: free to re-take) whose value the
    re-run gives: assigned only here, or here and in nested loops re-run
    after it, and read neither outside the loop nor before this in its body."""
    z = s.targets[0].id
    t = plan.types.get(z)
    head = ir.PRIM(s.value)[0]
    if t is None or not (t.is_scalar or (t.is_array and head == "subscript")) \
            or z in plan.params or z in plan.counters or reads_stored(plan, s.value):
        return False
    if head in ("user", "method", "tuple", "global"):
        return False
    if head == "call":
        prim = registry.get_primitive(ir.PRIM(s.value)[1])
        if prim is not None and prim.rules and prim.rules[0].call is not None:
            return False
    sites = plan.sites.get(z, [])
    if len(sites) == 1:
        return True
    # several sites: the others inside nested loops of this body, after it
    if t.is_scalar and all(loop in st.loops and st.stmt is not s for st in sites[1:]) \
            and sites[0].stmt is s and z not in _loads(loop.body[:idx]) \
            and z not in loads_outside(plan.fn, loop):
        return True
    # several sites: this one the loop's only, the others outside it, where nothing
    # reads the number for a derivative (``dE = 1.0`` before a Newton ``while`` loop,
    # read there by its first test only): the reverse sweep never needs the value
    # the re-run leaves behind
    if t.is_scalar and [st.stmt for st in sites if loop in st.loops] == [s] and \
            z not in _loads(loop.body[:idx]) and \
            not _read_for_derivative_outside(plan, loop, z):
        return True
    return t.is_scalar and _local_to_each_loop(plan, z, sites)


def _read_for_derivative_outside(plan, loop, z) -> bool:
    """A statement outside ``loop`` reads ``z`` other than into a number with
    no derivative (``_t11 = abs(dE)`` for a test), or a test does."""
    inside = {id(x) for x in walk([loop])}
    for st in walk(plan.fn.body):
        if id(st) in inside:
            continue
        heads = [st.iter] if isinstance(st, ast.For) else \
            [st.test] if isinstance(st, (ast.If, ast.While)) else None
        if heads is not None:
            if z in free_names(heads[0]):
                return True
            continue
        if z in _loads([st]) and not (ir.KIND(st) == ir.Kind.ASSIGN and
                                      isinstance(st.targets[0], ast.Name) and
                                      st.targets[0].id not in plan.active):
            return True
    return False


def _local_to_each_loop(plan, z, sites) -> bool:
    """Each site of ``z`` is at the top level of its own ``for`` loop's body,
    before any read of ``z`` there, and nothing outside those loops reads it
    (``im1 = i - 1 if i > 0 else n - 1`` in two sibling loops of a time step):
    every iteration of each sets it before reading it, and the reverse of each
    re-runs its own (not a slot per iteration of each, put back)."""
    homes = []
    for st in sites:
        home = st.loops[-1] if st.loops else None
        if not isinstance(home, ast.For):
            return False
        k = next((k for k, b in enumerate(home.body) if b is st.stmt), None)
        if k is None or z in _loads(home.body[:k]):
            return False
        homes.append(home)
    inside = {id(n) for home in homes for n in nodes(home)}
    return not any(isinstance(n, ast.Name) and n.id == z and isinstance(n.ctx, ast.Load)
                   and id(n) not in inside for n in nodes(plan.fn))


def _choice_ok(plan, s, loop, idx) -> bool:
    """``s`` is an ``if``/``else`` whose branches only assign scalars (or hold
    ``if``/``else`` statements that do, ``elif``), the same ones in both (each
    then holds a value of this iteration whichever branch ran) but for
    temporaries read only in their branch, with operations that are free to
    repeat, and those scalars are assigned nowhere else and read neither
    outside the loop nor before ``s`` in its body."""
    if not _choices(s):
        return False
    inside = {id(st) for st in walk([s])}
    outside = loads_outside(plan.fn, loop)
    for st in walk([s]):
        if isinstance(st, ast.If):
            # a name one branch alone assigns is a temporary of that branch
            one, other = _assigned_plainly(st.body), _assigned_plainly(st.orelse)
            if (one ^ other) & loads_outside(plan.fn, st):
                return False
            continue
        z = st.targets[0].id
        t = plan.types.get(z)
        prim = ir.PRIM(st.value)
        cheap = prim[0] == "call" and len(prim) > 1 and any(prim[1] is f for f in _CHEAP_CALLS)
        if t is None or not t.is_scalar or z in plan.params or z in plan.counters or \
                prim[0] in ("user", "method", "tuple", "global", "call") and not cheap or \
                reads_stored(plan, st.value):
            return False
        if any(id(site.stmt) not in inside for site in plan.sites.get(z, [])) or \
                z in outside or z in _loads(loop.body[:idx]):
            return False
    return True


def _choices(s) -> bool:
    """``s`` is an ``if``/``else`` whose branches hold assignments and such
    ``if``/``else`` statements only (``if/elif/else``: a slope limiter written
    inline)."""
    return bool(s.orelse) and all(
        ir.KIND(st) == ir.Kind.ASSIGN or isinstance(st, ast.If) and _choices(st)
        for block in (s.body, s.orelse) for st in block)


def _assigned_plainly(block) -> set:
    """Names every path through ``block`` (of a ``_choices`` ``if``) assigns."""
    out = set()
    for st in block:
        if isinstance(st, ast.If):
            out |= _assigned_plainly(st.body) & _assigned_plainly(st.orelse)
        else:
            out.add(st.targets[0].id)
    return out


def _choice_reads(s) -> set:
    """Names an ``if``/``else`` of assignments (and of such ``if``/``else``
    statements) reads from before it."""
    out = free_names(s.test)
    for block in (s.body, s.orelse):
        defined = set()
        for st in block:
            if isinstance(st, ast.If):
                out |= _choice_reads(st) - defined - {"np", "math"}
                defined |= _assigned_plainly([st])
                continue
            out |= free_names(st.value) - defined - {"np", "math"}
            defined.add(st.targets[0].id)
    return out


def _set_once_at_top(plan, loop, carried, banned) -> dict:
    """Floats set once in the loop, by a statement of its body's top level, and
    read in it only after (not carried from one iteration to the next): name ->
    the place of that statement (not integers: an index computed from them,
    ``mid = (lo + hi) // 2``, is stored, or not needed at all), and read by
    the reverse of some statement of the loop anyway.  Restored, whether stored or re-run, after
    the reverse of its last reader, such a number holds this iteration's value
    where the reverse iteration starts: what is computed from it can be re-run
    (``_t9 = d * d`` from ``d = tmp[k]``, stored since ``tmp[k]`` is overwritten
    after it)."""
    counts: dict = {}
    for st in walk(loop.body):
        for n in nodes(st):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                counts[n.id] = counts.get(n.id, 0) + 1
    out = {}
    derivative_reads = _derivative_reads(plan, walk(loop.body))
    loaded: set = set()          # what the statements before this one read
    for k, st in enumerate(loop.body):
        here = _loads([st])
        if ir.KIND(st) == ir.Kind.ASSIGN and isinstance(st.targets[0], ast.Name):
            z = st.targets[0].id
            t = plan.types.get(z)
            if counts.get(z) == 1 and t is not None and t.kind == "float" and \
                    z not in carried and z not in banned and z not in plan.params and \
                    z not in plan.counters and z not in loaded and z not in here and \
                    z in derivative_reads:
                out[z] = k
        loaded |= here
    return out


def _dear(value) -> bool:
    """A division, power or call: dearer to run again than to read back."""
    return any(isinstance(n, ast.Call) or isinstance(n, ast.BinOp) and
               isinstance(n.op, (ast.Div, ast.Pow, ast.Mod, ast.FloorDiv))
               for n in nodes(value))


def _derivative_reads(plan, stmts) -> set:
    """The names the reverse of some statement of ``stmts`` reads anyway: the
    derivative of a product by ``z`` of an active value (``_t9 = d * d``), of a
    quotient by ``z``, of a power or a function of an active ``z`` -- not a sum,
    a comparison, ``2.0 * z`` (then re-running what is computed from ``z``
    would store it for nothing)."""
    active = plan.active
    out = set()

    def name(e):
        return e.id if isinstance(e, ast.Name) else None

    for st in stmts:
        if ir.KIND(st) != ir.Kind.ASSIGN or st.targets[0].id not in active:
            continue
        v = st.value
        if isinstance(v, ast.BinOp) and isinstance(v.op, ast.Mult):
            left, right = name(v.left), name(v.right)
            if left and right in active:
                out.add(left)
            if right and left in active:
                out.add(right)
        elif isinstance(v, ast.BinOp) and isinstance(v.op, (ast.Div, ast.Pow)):
            left, right = name(v.left), name(v.right)
            out |= {right} - {None}
            if left and (right in active or isinstance(v.op, ast.Pow)):
                out.add(left)
        elif isinstance(v, ast.Call):
            out |= {name(a) for a in v.args} & active
    return out


def _final(plan, s, name) -> bool:
    """``s`` reads ``name[...]``, an element no later write changes
    (passes/dependence.py): the array still holds it in reverse."""
    value = s.value
    return isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and \
        value.value.id == name and plan.final_read(s, value.slice, name)


def _suffix_writes(body) -> list:
    """``out[k]``: the names ``body[k:]`` assigns (``_written``), for every ``k``."""
    out = [set()]
    for s in reversed(body):
        out.append(out[-1] | _written([s]))
    return out[::-1]


def _settled(plan, loop, name, carried, written_later) -> bool:
    """``name`` is a number the body assigns only before ``loop.body[idx]``
    (``written_later``: what ``body[idx:]`` assigns; ``A = math.exp(-beta *
    gap) * (1.0 + A)`` before ``lam = mu + c * A``): what ``body[idx]`` reads is its value at the end of the iteration, which it holds
    again when the reverse iteration starts (the reverse of each later iteration
    puts back what that iteration overwrote), so a value computed from it is
    computed again there instead of stored."""
    t = plan.types.get(name)
    if t is None or not t.is_scalar or t.kind != "float" or name in carried or \
            name in plan.counters or \
            name in plan.params or isinstance(loop, ast.For) and name == loop.target.id:
        return False
    return name not in written_later


def _stored_before(loop, idx, value, name) -> bool:
    """``value`` is ``name[i]`` (``i`` the loop index), and every write into
    ``name`` in the loop is a ``name[i] = ...`` earlier in its body: the
    element still holds what this iteration stored when the reverse
    iteration starts."""
    if not (isinstance(loop, ast.For) and isinstance(value, ast.Subscript) and
            isinstance(value.value, ast.Name) and value.value.id == name and
            isinstance(value.slice, ast.Name) and value.slice.id == loop.target.id):
        return False
    writes = [(k, st) for k, top in enumerate(loop.body) for st in walk([top])
              if store_base(st) == name]
    return bool(writes) and all(k < idx and st is loop.body[k] and ir.KIND(st) == ir.Kind.STORE
                                and ast.dump(st.targets[0].slice) == ast.dump(value.slice)
                                for k, st in writes)


def _slot_per_iteration(plan, loop) -> bool:
    """``loop`` and the loops around it count over ranges whose bounds none of
    them changes: a value stored in it gets a slot per iteration, where it is
    computed (passes/tape.py), which the forward loop writes without a value
    carried from one iteration to the next and the reverse reads in order.
    There an element read (``u[i + 1]`` of an in-place sweep) is stored so
    rather than read again from the array put back element by element: 3.4
    against 3.7-4.0 ms for 200 sweeps of 4,000 points."""
    loops = [x for x in plan.around.get(id(loop), []) if isinstance(x, (ast.For, ast.While))]
    loops.append(loop)
    changed = stored_names(loops[0])
    return all(steps_by_one(x) and not free_names(x.iter) & changed
               for x in loops)


def _unwritten_after(loop, idx, value, name) -> bool:
    """``value`` is ``name[i + c]`` (``i`` the loop index, ``c`` an int constant),
    every write into ``name`` in the loop is a ``name[i + c'] = ...`` at the top
    level of its body, and none after ``body[idx]`` stores at the element read
    (``c' != c``): the element holds what ``body[idx]`` read when the reverse
    iteration starts (the reverse of each later iteration puts back what that
    iteration overwrote).  ``V[i + 1]`` read before ``V[i] = ...``: a binomial
    tree's level, re-read instead of stored."""
    if not (isinstance(loop, ast.For) and isinstance(value, ast.Subscript) and
            isinstance(value.value, ast.Name) and value.value.id == name):
        return False
    index = loop.target.id
    c = index_offset(value.slice, index)
    writes = [(k, st) for k, top in enumerate(loop.body) for st in walk([top])
              if store_base(st) == name]
    if c is None or not writes:
        return False
    for k, st in writes:
        if st is not loop.body[k] or ir.KIND(st) != ir.Kind.STORE:
            return False
        at = index_offset(st.targets[0].slice, index)
        if at is None or k > idx and at == c:
            return False
    return True


def _nest_ok(plan, nest) -> bool:
    """Counted loops of scalar assignments and element stores only, and branches
    between them (``left = y[i - 1] if i > 0 else 0.0``)."""
    for st in walk([nest]):
        kind = ir.KIND(st)
        if isinstance(st, ast.If):
            continue
        if isinstance(st, ast.For):
            if counted(st) is None:
                return False
        elif kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE):
            t = plan.types.get(st.targets[0].id)
            if t is None or not t.is_scalar or ir.ARRAY(st):
                return False
            head = ir.PRIM(st.value)[0] if kind == ir.Kind.ASSIGN else None
            if head in ("method", "tuple", "global") or \
                    head == "user" and not _scalar_call(plan, st.value):
                return False
        elif kind in (ir.Kind.STORE, ir.Kind.AUGSTORE):
            target = st.targets[0] if kind == ir.Kind.STORE else st.target
            t = plan.types.get(target.value.id)
            if t is None or not t.is_array or not isinstance(target.slice, (ast.Name, ast.Tuple)) \
                    or any(isinstance(e, ast.Slice) for e in nodes(target.slice)) \
                    or _index_count(target.slice) != t.ndim:
                return False
        else:
            return False
    return True


def _scalar_call(plan, call) -> bool:
    """A helper called on numbers only: it cannot write into anything, so
    calling it again gives the same number."""
    return all(isinstance(a, ast.Constant) or isinstance(a, ast.Name) and
               plan.types.get(a.id) is not None and plan.types[a.id].is_scalar
               for a in call.args)


def _index_count(index) -> int:
    """How many indices ``a[index]`` takes (one element: the array's ndim)."""
    return len(index.elts) if isinstance(index, ast.Tuple) else 1


def stored_arrays(nest) -> set:
    return {a for a in map(store_base, walk([nest])) if a is not None}


def assigned_scalars(nest) -> set:
    out = set()
    for st in walk([nest]):
        if isinstance(st, ast.For):
            out.add(st.target.id)
        elif ir.KIND(st) in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE):
            out.add(st.targets[0].id)
    return out


def exposed(stmts) -> set:
    """Names ``stmts`` read before writing them (arrays: an element not stored
    earlier in the same iteration at the same index)."""
    out: set = set()
    _exposed(stmts, set(), out)
    return out


def _exposed(stmts, defined, out, stored=None):
    stored = set() if stored is None else set(stored)   # (array, index) stored earlier
    for s in stmts:
        if isinstance(s, ast.For):
            out |= free_names(s.iter) - defined
            _exposed(s.body, defined | {s.target.id}, out)
            continue
        if isinstance(s, (ast.If, ast.While)):
            # a branch sees what came before it; what it defines may not happen, but
            # what both branches of an if define does (``_t = a[i - 1] if i > 0 else 0.0``)
            out |= free_names(s.test) - defined
            body, orelse = set(defined), set(defined)
            _exposed(s.body, body, out, stored)
            _exposed(s.orelse, orelse, out, stored)
            if isinstance(s, ast.If):
                defined |= body & orelse
            continue
        if not isinstance(s, (ast.Assign, ast.AugAssign)):
            out |= free_names(s) - defined
            continue
        kind = ir.KIND(s)
        value = s.value
        target = s.targets[0] if isinstance(s, ast.Assign) else s.target
        reads = _element_reads(value)
        names = free_names(value) - {"np", "math"}
        if kind == ir.Kind.ASSIGN and ir.PRIM(value)[0] == "call":
            names -= free_names(value.func)
        if isinstance(target, ast.Subscript):
            names |= free_names(target.slice)
            if kind == ir.Kind.AUGSTORE:
                reads.append((target.value.id, ast.dump(target.slice)))
        names -= {a for a, _ in reads}
        out |= names - defined
        out |= {a for a, key in reads if (a, key) not in stored}
        if kind == ir.Kind.STORE:
            stored.add((target.value.id, ast.dump(target.slice)))
        elif kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE):
            defined.add(target.id)      # (``z += v`` read z above: its value is ``z + v``)


def _element_reads(value) -> list:
    """``(array, dump of index)`` of each ``a[...]`` read in ``value``; a bare
    array name read whole counts as an element never stored."""
    out = []
    for n in nodes(value):
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name):
            out.append((n.value.id, ast.dump(n.slice)))
    return out


def _covers(plan, nest, array) -> bool:
    """``nest`` is ``for j in range(n)`` whose body stores ``array[j] = ...``
    unconditionally, and ``array`` is made once as ``np.zeros(n)`` (or
    ``np.empty``, ``np.ones``) with ``n`` unchanged since; or, for a matrix
    made as ``np.zeros((n, m))``, ``for j in range(n)`` with a loop ``for k in
    range(m)`` at the top of its body storing ``array[j, k] = ...``
    unconditionally (a convolution's feature map filled per sample)."""
    lengths = _lengths(plan, array)
    if lengths is None:
        return False
    loops, body = [], [nest]
    for length in lengths:
        inner = [st for st in body if isinstance(st, ast.For) and _runs_over(plan, st, length)]
        if not inner:
            return False
        loops.append(inner[0])
        body = inner[0].body
    index = [ast.Name(id=loop.target.id, ctx=ast.Load()) for loop in loops]
    want = ast.dump(index[0] if len(index) == 1 else ast.Tuple(elts=index, ctx=ast.Load()))
    return any(ir.KIND(st) == ir.Kind.STORE and st.targets[0].value.id == array and
               ast.dump(st.targets[0].slice) == want for st in body)


def _runs_over(plan, loop, length) -> bool:
    """``loop`` is ``for j in range(n)`` with ``n`` the length ``length``."""
    bounds = counted(loop)
    if bounds is None or not (isinstance(bounds[0], ast.Constant) and bounds[0].value == 0):
        return False
    if ast.dump(length) == ast.dump(bounds[1]):
        return True
    extent = _extent(plan, length)
    return extent is not None and extent == _extent(plan, bounds[1])


def _lengths(plan, array):
    """The lengths of a vector's (``_length``) or a matrix's axes, made once as
    ``np.zeros((n, m))`` (the shape maybe a tuple bound once before, ``_t4 = C,
    Lc``) of names set once before it or parameters; else None."""
    t = plan.types.get(array)
    if t is None or not t.is_array:
        return None
    if t.ndim == 1:
        length = _length(plan, array)
        return None if length is None else [length]
    sites = plan.sites.get(array, [])
    if t.ndim != 2 or len(sites) != 1 or ir.KIND(sites[0].stmt) != ir.Kind.ASSIGN:
        return None
    shape = maker_shape(sites[0].stmt.value)
    if isinstance(shape, ast.Name):
        made = plan.sites.get(shape.id, [])
        if len(made) != 1 or not made[0].top_level or made[0].order > sites[0].order or \
                ir.KIND(made[0].stmt) != ir.Kind.ASSIGN:
            return None
        shape = made[0].stmt.value
    if not isinstance(shape, ast.Tuple) or len(shape.elts) != 2:
        return None
    for n in shape.elts:
        if isinstance(n, ast.Name):
            n_sites = plan.sites.get(n.id, [])
            if not (not n_sites and n.id in plan.params or len(n_sites) == 1 and
                    n_sites[0].top_level and n_sites[0].order < sites[0].order):
                return None
        elif not isinstance(n, ast.Constant):
            return None
    return list(shape.elts)


def _length(plan, array):
    t = plan.types.get(array)
    sites = plan.sites.get(array, [])
    if t is None or not t.is_array or t.ndim != 1 or len(sites) != 1 or \
            ir.KIND(sites[0].stmt) != ir.Kind.ASSIGN:
        return None
    value = sites[0].stmt.value
    n = maker_shape(value)
    if n is None:
        return None
    if isinstance(n, ast.Constant):
        return n
    if isinstance(n, ast.Name):
        n_sites = plan.sites.get(n.id, [])
        if not n_sites and n.id in plan.params or len(n_sites) == 1 and n_sites[0].top_level \
                and n_sites[0].order < sites[0].order:
            return n
    if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Attribute) and \
            n.value.attr == "shape" and isinstance(n.value.value, ast.Name) and \
            n.value.value.id in plan.params and not plan.sites.get(n.value.value.id) and \
            isinstance(n.slice, ast.Constant):
        return n            # (``np.empty(X.shape[1])``: a row buffer, passes/lower.py)
    return None


def _extent(plan, e, depth=0):
    """A canonical text of the length ``e`` when it is fixed once computed: an integer
    constant, a parameter, a name assigned once outside loops to such a length, or
    ``a.shape[0]`` of a 1-d array ``a`` whose length is fixed (a parameter never
    re-bound; made once, outside loops, by ``np.zeros(n)`` and the like,
    ``np.zeros_like(b)`` or ``b.copy()``).  So ``range(n2)`` with ``n2 =
    ytmp.shape[0]`` (a helper's own length, inlined) covers ``k1 = np.empty(n)``
    when ``ytmp`` was made as ``np.empty(n)``: two lengths are equal when their
    texts are.  None when unknown."""
    if depth > 12:
        return None
    if isinstance(e, ast.Constant):
        return repr(e.value) if isinstance(e.value, int) and not isinstance(e.value, bool) \
            else None
    if isinstance(e, ast.Name):
        value = _once(plan, e.id)
        if value is None:
            return e.id if e.id in plan.params and not plan.sites.get(e.id) else None
        return _extent(plan, value, depth + 1)
    if isinstance(e, ast.Subscript) and isinstance(e.slice, ast.Constant) and \
            e.slice.value == 0:
        shape = _once(plan, e.value.id) if isinstance(e.value, ast.Name) else e.value
        if isinstance(shape, ast.Attribute) and shape.attr == "shape" and \
                isinstance(shape.value, ast.Name):
            return _array_extent(plan, shape.value.id, depth + 1)
    return None


def _array_extent(plan, array, depth):
    t = plan.types.get(array)
    if t is None or not t.is_array or t.ndim != 1:
        return None
    value = _once(plan, array)
    if value is None:
        return f"len({array})" if array in plan.params and not plan.sites.get(array) else None
    if not isinstance(value, ast.Call) or value.keywords:
        return None
    func = ast.unparse(value.func)
    if maker_shape(value) is not None:
        return _extent(plan, value.args[0], depth + 1)
    if func in LIKE and len(value.args) == 1 and isinstance(value.args[0], ast.Name):
        return _array_extent(plan, value.args[0].id, depth + 1)
    if isinstance(value.func, ast.Attribute) and value.func.attr == "copy" and \
            not value.args and isinstance(value.func.value, ast.Name):
        return _array_extent(plan, value.func.value.id, depth + 1)
    return None


def _once(plan, name):
    """The value ``name`` is assigned when that is its only assignment, outside loops."""
    sites = plan.sites.get(name, [])
    if len(sites) != 1 or sites[0].loops or ir.KIND(sites[0].stmt) != ir.Kind.ASSIGN or \
            name in plan.params:
        return None
    return sites[0].stmt.value


def pays(plan, nest, arrays) -> bool:
    """Re-running ``nest`` costs less than storing what it overwrites."""
    ops, saved = _cost(nest, arrays, 1)
    return ops <= saved * TAPE_COST


def work(stmt) -> int:
    """A rough count of the operations ``stmt`` runs (nested loops weighted)."""
    return _cost(stmt, set(), 1)[0]


def _cost(stmts, arrays, weight) -> tuple:
    ops = saved = 0
    for s in stmts if isinstance(stmts, list) else [stmts]:
        if isinstance(s, ast.For):
            o, v = _cost(s.body, arrays, weight * TRIPS)
            ops, saved = ops + o, saved + v
            continue
        if isinstance(s, (ast.If, ast.While)):
            o, v = _cost(s.body + s.orelse, arrays, weight)
            ops, saved = ops + o + weight, saved + v
            continue
        value = getattr(s, "value", None)
        if value is None:
            continue
        work = sum(isinstance(n, (ast.BinOp, ast.UnaryOp, ast.Compare)) for n in nodes(value))
        work += CALL_COST * sum(isinstance(n, ast.Call) for n in nodes(value))
        if is_costly(value):
            work += COSTLY_COST - CALL_COST
        if store_base(s) is not None:
            work += 1
            if store_base(s) in arrays:
                saved += weight
        ops += weight * work
    return ops, saved


def _invalid(plan, loop, out: Rerun) -> set:
    """Names whose re-run would not restore what the reverse sweep reads."""
    bad = set()
    chosen = {id(s) for s in out.stmts}
    inside = {id(st) for st in walk(loop.body)}
    top_of = {id(st): k for k, top in enumerate(loop.body) for st in walk([top])}
    defined = set().union(*out.writes.values()) if out.writes else set()
    outside = loads_outside(plan.fn, loop)
    for var in defined - out.arrays:
        if plan.loop_index_only(var):
            continue            # a loop target: every loop over it sets it again
        sites = [st for st in plan.sites.get(var, []) if id(st.stmt) in inside]
        if any(id(loop.body[top_of[id(st.stmt)]]) not in chosen for st in sites):
            bad.add(var)
        elif var in outside and not any((id(st.stmt), var) in out.scalars for st in sites):
            bad.add(var)        # (a value assigned once, re-taken, may be read later)
    for nest in out.stmts:
        if id(nest) not in out.late:
            continue
        # what a late nest reads must not be re-run (not restored) later in the body
        k = loop.body.index(nest)
        after = set().union(*(out.writes[id(st)] for st in out.stmts
                              if loop.body.index(st) > k))
        if out.reads[id(nest)] & after:
            bad |= out.writes[id(nest)]
    for array in out.arrays:
        if array in outside or array in plan.alias_taped or \
                any(array in pair for pair in plan.value_flow):
            bad.add(array)
            continue
        writers = sorted({top_of[id(st)] for st in walk(loop.body) if store_base(st) == array})
        if any(id(loop.body[k]) not in chosen for k in writers):
            bad.add(array)
            continue
        last = writers[-1]
        if any(_reads_other_than_augment(loop.body[k], array) for k in range(last)) or \
                not _last_writer_ok(loop.body[last], array):
            bad.add(array)
    return bad


def _reads_other_than_augment(stmt, array) -> bool:
    for st in walk([stmt]):
        if isinstance(st, ast.For):
            if array in free_names(st.iter):
                return True
            continue
        if isinstance(st, (ast.If, ast.While)):
            if array in free_names(st.test):
                return True
            continue
        if not isinstance(st, (ast.Assign, ast.AugAssign)):
            if array in free_names(st):
                return True
            continue
        value = st.value
        target = st.targets[0] if isinstance(st, ast.Assign) else st.target
        if array in free_names(value) or isinstance(target, ast.Subscript) and \
                array in free_names(target.slice):
            return True
    return False


def _last_writer_ok(nest, array) -> bool:
    """In the last statement writing ``array``: either only ``array[...] +=``
    (whose adjoints do not read it), or its one covering store ``array[j] =``
    read back only as ``array[j]`` later in the same loop body."""
    writes = [st for st in walk([nest]) if store_base(st) == array]
    if all(ir.KIND(st) == ir.Kind.AUGSTORE for st in writes):
        return not _reads_other_than_augment(nest, array)
    if len(writes) != 1 or not isinstance(nest, ast.For):
        return False
    store = writes[0]
    body = next((st.body for st in walk([nest]) if isinstance(st, ast.For) and store in st.body),
                None)
    if body is None:
        return False
    key = ast.dump(store.targets[0].slice)
    after = body[body.index(store) + 1:]
    for st in walk([nest]):
        if st is store or isinstance(st, ast.For):
            continue
        if isinstance(st, ast.If):
            if array in free_names(st.test):
                return False
            continue        # (what its branches read: walked; not in ``after``)
        reads = [k for a, k in _element_reads(st.value) if a == array]
        if array in free_names(st.value) and (st not in after or any(k != key for k in reads)
                                              or not reads):
            return False
    return True


def _loads(stmts) -> set:
    return {n.id for s in stmts for n in nodes(s)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _statement_loads(plan, stmts) -> set:
    """``_loads(stmts)``, each statement's walked once per plan (``plan.memo``: the
    tree does not change while it is planned)."""
    out: set = set()
    for st in stmts:
        key = ("loads", id(st))
        if key not in plan.memo:
            plan.memo[key] = _loads([st])
        out |= plan.memo[key]
    return out


def loads_outside(fn, loop) -> set:
    """Names whose values are read anywhere in ``fn`` but inside ``loop`` (``a.shape``
    reads no element: the shape of an array a loop rewrites is the same before it)."""
    inside = {id(n) for n in nodes(loop)}
    inside |= {id(n.value) for n in nodes(fn) if isinstance(n, ast.Attribute) and
               n.attr in SHAPE_ATTRIBUTES and isinstance(n.value, ast.Name)}
    return {n.id for n in nodes(fn) if isinstance(n, ast.Name) and
            isinstance(n.ctx, ast.Load) and id(n) not in inside}


def written_whole_first(plan, loop, array) -> bool:
    """Each iteration of ``loop`` writes every element of ``array`` (a loop
    at the top of its body, see ``_covers``) before any statement reads it:
    nothing one iteration leaves in it reaches the next."""
    for st in loop.body:
        if isinstance(st, ast.For) and _covers(plan, st, array) and \
                not _reads_other_than_store(st, array):
            return True
        if array in _loads([st]):
            return False
    return False


def _reads_other_than_store(nest, array) -> bool:
    """``nest`` reads ``array`` other than as ``array[j]`` right after storing it."""
    return array in exposed([nest])
