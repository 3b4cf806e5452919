"""Tape planning: what the reverse sweep stores, recomputes, undoes or fuses.

Decide, then emit.  :class:`Planner` looks at one normalized, typed function
and decides, for every value the reverse sweep reads, how it gets there:

* *recomputed* in each reverse iteration when it is computed in a loop body
  from the loop index, values the loop does not change, loop-carried
  scalars restored at the start of the iteration and numbers set before it
  in the body, stored or recomputed themselves (``find_recomputable``);
* *undone* when it is an integer counter updated by a constant step
  (``invertible``), or a permutation of buffers (``plan_permutations``);
* *stored* before each overwrite otherwise (``decide_saves``, the TBR rule:
  to be recorded only if overwritten and needed) -- in arrays allocated once
  where a counted loop nest bounds the number of saves (``plan_indexed_tapes``,
  ``choose_array_tapes``), else in a list;
* *checkpointed* loops re-run segment by segment (``select_checkpointed``);
* a final accumulation loop whose reverse iterations commute is *fused* with
  its forward iterations (``fusion_candidates``), moved last when the
  statements after it do not depend on it.

What the reverse sweep reads is known only once its statements are made, so
``ReverseTransformer.run`` iterates: plan, emit the reverse sweep, collect
its reads, plan again, until the reads stop growing.  passes/reverse.py
follows the plan; passes/plan_report.py prints it.
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from ..rules import registry
from ..rules.registry import ELEMENTWISE_OPS
from . import rerun
from .activity import diff_operands
from .astutil import add_int, blocks, free_names, nodes, simplify, stored_names, walk
from .astutil import is_const as _is_const
from .buffers import (
    Liveness,
    find_moves,
    find_permutations,
    sole_arrays,
    store_base,
    unwritten_arrays,
    value_flow,
)
from .dependence import Dependence
from .fresh_arrays import first_writes, stored_before_read
from .placeholders import exposed_reads
from .rulecall import rule_inputs
from .shapes import axis_lengths, shape_axes, shape_keys
from .sites import collect_sites
from .tape import (
    enclosing,
    invariant_length,
    invariant_value,
    longest_slice,
    nest_facts,
    plan_indexed_tapes,
    plan_stack_tapes,
    stack_sites,
)
from .types import scalar
from .views import check_views, is_view


class Planner:
    """The store/recompute/undo/fuse decisions for the adjoint of ``fn``."""

    def __init__(self, fn: ast.FunctionDef, types: dict, params: list, active: set,
                 ret_name, mode: str, checkpoint=None, error=None, name_of=None,
                 prefer_store=frozenset(), same_shape=None, param_shapes=None,
                 same_axes=None, stored_reads=frozenset(), rows=None, growable=True):
        self.fn = fn
        # stacks may grow where a ``while`` loop's trip starts (not in a batch's element)
        self.growable = growable
        # parameter -> (ndim, length) of a last axis the compiled code is specialized on
        self.rows = rows or {}
        # arrays whose element reads are stored where the reverse sweep needs
        # what is computed from them, not re-run from the array put back
        # element by element (passes/rerun.py; chosen by cost in program.py)
        self.stored_reads = stored_reads
        # parameter -> an earlier parameter of its shape, in the call specialized on
        self.same_shape = same_shape or {}
        # the same as ``shapes.axis_lengths`` takes it (``shapes.parameter_axes``)
        self.same_axes = same_axes or {}
        self.memo: dict = {}       # analyses of the fixed tree, computed once (rerun.py)
        self.param_shapes = param_shapes or {}      # parameter -> its (specialized) shape
        # id(loop): loops whose costly values are stored, not recomputed (they
        # run fused: their tapes hold one iteration, cheaper than an exp)
        self.prefer_store = prefer_store
        self.types = types
        self.params = params
        self.active = active
        self.ret_name = ret_name
        self.mode = mode                  # 'grad' (seed 1.0) or 'vjp' (seed argument)
        # checkpoint: None, True (segments of about sqrt(trip count) iterations) or an int
        # (a snapshot every that many iterations) for the top-level ``for`` loops
        self.checkpoint = checkpoint
        self.checkpointed: dict = {}      # id(loop) -> the state it snapshots
        self.error = error
        self.name_of = name_of            # (base, key) -> a name of the emitted code

    def analyze(self):
        """The decisions that do not depend on what the reverse sweep reads."""
        # arrays written through a view: their values are read
        # (view, array): array written while the view, consumed, still shares it
        self.alias_pairs = check_views(self.fn, self.types, self.error)
        self.alias_taped = {array for _, array in self.alias_pairs}
        self.around = enclosing(self.fn.body)
        self.collect_sites()
        # arrays whose shape the reverse sweep may read whenever (passes/shapes.py)
        self.shape_keys = shape_keys(self.types, self.params, self.sites, self.same_shape,
                                     self.param_shapes)
        self.fixed_shapes = set(self.shape_keys)
        # lengths of axes known to be equal (for periodic indices, passes/rolling_sums.py)
        self.lengths = axis_lengths(self.types, self.params, self.sites, self.same_axes)
        # (x, y): the values of array x are those of y under another name
        self.liveness = Liveness(self.fn)
        self.value_flow = value_flow(self.fn, self.types, is_view, find_moves(
            self.fn, self.types, self.params, self.liveness))
        self.permutations = self.plan_permutations()
        # arrays whose buffer no other name holds at the same time
        self.sole = sole_arrays(self.fn, self.types, self.params, self.permutations, is_view)
        # first writes into the elements of an np.empty array: nothing to put back
        shared = self.alias_taped | {name for pair in self.value_flow for name in pair}
        self.fresh_writes = first_writes(self.fn, self.sites, self.params, shared)
        # arrays made by np.empty whose elements are stored before they are read:
        # their adjoints need no reset where they are made
        self.stored_first = stored_before_read(self.fn, self.sites, self.params, shared)
        self.select_checkpointed()
        self.dependence = Dependence(self.fn, self.stmt_loops)
        self.invariants_of: dict = {}      # id(loop) -> loop_invariants(loop)
        self.find_recomputable()
        self.count_contributions()
        self.moves = self.plan_moves()
        self.needed: set = set()
        self.per_iteration: set = set()   # id(loop): fused, its tapes hold one iteration
        # values read, not only shapes (zeroing a buffer like x): writes into
        # such an array are taped element by element
        self.value_needed: set = set()
        # arrays whose overwritten elements the reverse sweep, as emitted, puts
        # back where nothing reads them any more: not stored
        self.unread_items: set = set()
        # (id(site), var): saves whose value the reverse sweep puts back unread
        self.dead_restores: set = set()

    def decide(self, reads: set, shape_reads: set, names: set, read_at=None) -> bool:
        """Storage for the values the reverse sweep reads (``reads``; of
        ``shape_reads`` only the shape; ``read_at``: name -> ids of the
        statements of the function body whose reverse reads it); false once
        that changes nothing."""
        final = self.read_final_only(read_at or {})
        new_needed = (((reads - final) | (shape_reads - self.fixed_shapes)) & names) | self.needed
        values = (reads & names) | self.value_needed
        while True:        # an array's values are needed under each name it had
            more = {y for x, y in self.value_flow + sorted(self.alias_pairs)
                    if x in values} - values
            if not more:
                break
            values |= more
        if new_needed == self.needed and values == self.value_needed:
            return False
        self.needed, self.value_needed = new_needed, values
        self.storage()
        return True

    def read_final_only(self, read_at) -> set:
        """Names the reverse sweep reads only where they hold their last value:
        in the reverse of statements of the function body after every statement
        that binds them (``return np.sum(x * x)`` after the loop re-binding
        ``x``): the reverse of what follows a statement runs before its own,
        so their bindings need no tape for those reads."""
        if not hasattr(self, "_top_of"):
            self._top_of = {id(s): k for k, top in enumerate(self.fn.body) for s in walk([top])}
        out = set()
        for name, tops in read_at.items():
            sites = self.sites.get(name)
            if not sites or name in self.params or None in tops:
                continue
            last = max(self._top_of.get(id(st.stmt), len(self.fn.body)) for st in sites)
            if all(self._top_of.get(t, -1) > last for t in tops):
                out.add(name)
        return out

    def storage(self):
        self.saved_vars: set = set()
        self.decide_saves()
        self.choose_array_tapes()
        self.plan_indexed_tapes()
        self.plan_stacks()

    def fusion_candidates(self):
        """``(nest, loop, before, tail, dropped)`` for each top-level loop nest
        that can run last, the most work first: its innermost loop (where forward and
        reverse iterations would be fused), the statements the adjoint runs
        before it, the scalar statements after it that read what it computes
        (``tail``: the adjoint runs their reverse first, for the loop's seeds,
        and them after the loop), and the saves fusion makes unnecessary.
        Statements after the loop that neither read nor write what it writes,
        nor write what it reads, run before it instead."""
        body = self.fn.body
        if self.mode != "grad" or len(body) < 2:
            return
        # one loop runs fused: the one with the most work, of those that can
        order = sorted(range(len(body) - 1), key=lambda k: (-rerun.work(body[k]), -k))
        for k in order:
            top = body[k]
            if not isinstance(top, ast.For) or ir.COUNT(top):
                continue
            split = self.split_after(top, body[k + 1:-1])
            if split is not None:
                found = self.fusion_candidate(top, body[:k] + split[0])
                if found is not None:
                    nest, loop, before, dropped = found
                    yield nest, loop, before, split[1], dropped

    def split_after(self, top, later):
        """``(independent, tail)``: the statements of ``later`` that do not
        depend on ``top``, and the scalar assignments that read its results
        (directly or through each other); None when some statement is
        neither."""
        tail, written = [], stored_names(top)
        # the loop's results the tail may read: values it only adds to (their
        # adjoint is the same in every iteration); another active value's seed
        # would belong to its last iteration alone
        accumulated = {v for v in written if all(
            ir.KIND(st.stmt) == ir.Kind.ACCUMULATE for st in self.sites.get(v, [])
            if top in st.loops)}
        for st in later:
            if not stored_names(st) and not isinstance(st, ast.Assign):
                return None
            if free_names(st) & written and ir.KIND(st) in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE) \
                    and self.types.get(st.targets[0].id) is not None \
                    and self.types[st.targets[0].id].is_scalar:
                if any(v in self.active and v not in accumulated
                       for v in free_names(st) & stored_names(top)):
                    return None
                tail.append(st)
                written = written | stored_names(st)
        independent = [st for st in later if st not in tail]
        # each moves before the loop and before the tail statements it followed
        for st in independent:
            passed = [t for t in tail if later.index(t) < later.index(st)]
            if not self.independent(top, st) or \
                    not all(self.independent(st, t) for t in passed):
                return None
        return independent, tail

    def companion(self, loop, later, tail):
        """Whether top-level ``loop`` can run fused just before the fused
        loop (the last of ``later``, the statements after it): the scalar
        assignments of ``later`` that read its results (directly or through
        each other) may run after the fused loops, before ``tail``; every
        other statement of ``later`` commutes with the loop and with them.
        Of the loop's results they and the tail read only values it adds to.
        Those assignments (to join the tail), or None."""
        written = stored_names(loop)
        accumulated = {v for v in written if all(
            ir.KIND(st.stmt) == ir.Kind.ACCUMULATE for st in self.sites.get(v, [])
            if loop in st.loops) and any(loop in st.loops for st in self.sites.get(v, []))}
        joins, others, reached = [], [], set(written)
        for st in later[:-1]:
            t = self.types.get(st.targets[0].id) if ir.KIND(st) == ir.Kind.ASSIGN else None
            if free_names(st) & reached and t is not None and t.is_scalar:
                if free_names(st) & written - accumulated:
                    return None
                joins.append(st)
                reached |= stored_names(st)
            else:
                others.append(st)
        if any(free_names(st) & written - accumulated for st in tail):
            return None
        for st in others + later[-1:]:
            if not self.independent(loop, st) or \
                    not all(self.independent(j, st) for j in joins):
                return None
        return joins

    def fusion_candidate(self, top, before):
        # a perfect nest (the body one loop, ...) fuses at its innermost body
        nest = [top]
        while len(nest[-1].body) == 1 and isinstance(nest[-1].body[0], ast.For) and \
                not ir.COUNT(nest[-1].body[0]):
            nest.append(nest[-1].body[0])
        loop = nest[-1]
        if any((id(n), n.target.id) in self.save_at or n is not loop and
               self.snapshot_vars_of(n) for n in nest):
            return None
        # fused, an iteration's reverse runs before the next iteration overwrites
        # the values of its iteration-local variables: they need no tape
        after = self.fn.body[-1:]
        once = iteration_locals(loop, after) & assigned_once(loop.body) | \
            final_value_locals(loop, after, self.active)
        # (a name the statements before the loop read keeps its tape: their
        # reverse, after the fused loop, needs the value it had before the loop)
        once -= {n.id for st in before for n in nodes(st)
                 if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        inside = {id(st) for st in walk(loop.body)}
        dropped = {(sid, v) for sid, v in self.save_at if v in once and sid in inside}
        dropped |= self._first_bindings(loop, [st for st in self.fn.body if st is not top])
        # an array each iteration writes whole before reading it, by one store: the
        # elements it overwrote were the last iteration's, whose reverse has run
        for array in self.iteration_arrays(loop, after):
            stores = [st for st in walk(loop.body) if store_base(st) == array]
            if len(stores) == 1:
                dropped |= {(sid, v) for sid, v in self.save_at
                            if v == array + "[]" and sid == id(stores[0])}
        if id(top) in self.checkpointed and any(
                sid in inside for sid, _ in self.save_at - dropped):
            return None     # its tapes are laid out for segments
        return nest, loop, before, dropped

    def _first_bindings(self, loop, outside) -> set:
        """The saves fused ``loop`` needs not at the statement that first binds a
        name in its body (``p = 0.0`` before a Horner loop that updates ``p``):
        the value it overwrote is the last iteration's, which nothing in this
        iteration's reverse reads (no statement before it mentions the name),
        the next iteration binds afresh, and nothing outside the loop reads."""
        read_outside = {n.id for st in outside for n in nodes(st) if isinstance(n, ast.Name)}
        first, mentioned = {}, set()
        for st in loop.body:
            if ir.KIND(st) == ir.Kind.ASSIGN and isinstance(st.targets[0], ast.Name) and \
                    st.targets[0].id not in mentioned:
                first[st.targets[0].id] = id(st)
            mentioned |= {n.id for n in nodes(st) if isinstance(n, ast.Name)}
        locals_ = iteration_locals(loop, self.fn.body[-1:]) - read_outside
        return {(sid, v) for sid, v in self.save_at if v in locals_ and first.get(v) == sid}

    def restores_only_iteration_state(self, loop, after) -> bool:
        """Every value a reverse iteration of ``loop`` restores (from a tape,
        a snapshot or by undoing an update) is one the next iteration sets
        before reading it: a scalar assigned first in the body, or an array
        the body writes whole first, or binds to a new array first that no
        other name holds (the elements put back are in the array of the
        iteration that wrote them, which nothing reads again).
        Run fused, the next forward iteration then never sees a restored value."""
        local = iteration_locals(loop, after) | inner_iteration_locals(loop, after)
        inside = {id(st) for st in walk(loop.body)}
        restored = {v for sid, v in self.save_at | self.inverted | self.inverted_carried
                    if sid in inside}
        for inner in walk(loop.body):
            if isinstance(inner, (ast.For, ast.While)):
                restored |= set(self.snapshot_vars_of(inner))
        arrays = self.iteration_arrays(loop, after)
        return all(v[:-2] in arrays or v[:-2] in local and v[:-2] in self.sole
                   if v.endswith("[]") else v in local for v in restored)

    def iteration_arrays(self, loop, after) -> set:
        """Arrays each iteration of ``loop`` writes whole before reading them,
        unread after it: an iteration's values (and adjoints) are its own."""
        names = {st.targets[0].value.id for st in walk(loop.body)
                 if ir.KIND(st) == ir.Kind.STORE}
        return {a for a in names if not any(a in free_names(st) for st in after)
                and (rerun.written_whole_first(self, loop, a) or self.inner_scratch(loop, a))}

    def inner_scratch(self, loop, array) -> bool:
        """Only one loop nested in ``loop`` touches ``array``, and each of its
        iterations writes it whole first (a row buffer of the inner loop):
        each iteration of ``loop`` then has its own values too."""
        touching = [st for st in walk(loop.body) if array in free_names(st)]
        for inner in walk(loop.body):
            if isinstance(inner, ast.For) and rerun.written_whole_first(self, inner, array):
                nested = {id(st) for st in walk([inner])}
                return all(id(st) in nested for st in touching)
        return False

    def independent(self, a, b) -> bool:
        """Statements ``a`` and ``b`` give the same results in either order:
        neither writes a name the other reads or writes (loop counters, which
        every loop sets again, aside), and neither calls user code."""
        def reads(s):
            return {n.id for n in nodes(s) if isinstance(n, ast.Name) and
                    isinstance(n.ctx, ast.Load)}

        def writes(s):
            return stored_names(s) | {n.value.id for n in nodes(s)
                                      if isinstance(n, ast.Subscript) and
                                      isinstance(n.ctx, ast.Store) and
                                      isinstance(n.value, ast.Name)}
        for s in (a, b):
            if any(ir.KIND(st) in (ir.Kind.ASSIGN, ir.Kind.UNPACK) and
                   ir.PRIM(st.value)[0] in ("user", "method") for st in walk([s])):
                return False
        shared = writes(a) & (reads(b) | writes(b)) | writes(b) & reads(a)
        return all(self.loop_index_only(v) for v in shared)

    def tapes_per_iteration(self, loops) -> set:
        """Fused ``loops`` keep one iteration in their tapes (each reverse
        iteration reads back what its forward one saved before the next
        overwrites it); what ``tapes_per_iteration`` needs to undo that."""
        old = set(self.per_iteration)
        self.per_iteration |= {id(lp) for lp in loops}
        self.storage_layout()
        return old

    def storage_layout(self):
        """Where the saves go (after the saves themselves changed)."""
        self.plan_indexed_tapes()
        self.plan_stacks()

    def drop_saves(self, dropped, unsnapshotted=()) -> tuple:
        """Take the saves ``dropped`` out of the plan (and the snapshots of the
        numbers ``unsnapshotted``, already out of ``carried``); what
        ``keep_saves`` needs to put them back."""
        kept = (set(dropped), self.saved_vars, self.placeholders)
        self.save_at -= dropped
        # (a number also saved at the start of each iteration of a loop keeps its tape)
        snapshotted = {v for vs in self.carried.values() for v in vs if v in self.snapshot_vars}
        unsaved = ({v for _, v in dropped} | set(unsnapshotted)) - {v for _, v in self.save_at}
        self.saved_vars = self.saved_vars - (unsaved - snapshotted)
        self.placeholders = self.placeholders - unsaved
        return kept

    def keep_saves(self, kept):
        dropped, self.saved_vars, self.placeholders = kept
        self.save_at |= dropped

    def collect_sites(self):
        self.sites, self.stmt_loops = collect_sites(self.fn)
        self.counters = {ir.COUNT(s) for s in walk(self.fn.body)} - {None}

    def plan_permutations(self) -> dict:
        """Swaps and rotations of array buffers (passes/buffers.py) whose names
        are all active or all inactive, each bound at the top level before the
        permutation's statement there (so their adjoint buffers exist in the
        forward sweep, which permutes them too)."""
        found = find_permutations(self.fn, self.types, self.params)
        top = {id(s): k for k, s in enumerate(self.fn.body)}
        out = {}
        for sid, perm in found.items():
            first = perm.stmts[0]
            outer = (self.around.get(id(first)) or [first])[0]
            before = self.fn.body[:top[id(outer)]]
            bound = set()
            for st in before:
                if ir.KIND(st) in (ir.Kind.ASSIGN, ir.Kind.UNPACK):
                    bound |= set(self.targets_of(st))
            active = {x in self.active for x in perm.names}
            if len(active) == 1 and set(perm.names) <= bound:
                out[sid] = perm
        return out

    def plan_moves(self) -> set:
        """Moves ``x = y`` (passes/buffers.py) between active arrays whose
        adjoints are buffers (not direct temporaries): ``dy`` is zero there
        (``y`` is dead after), so the adjoints trade buffers instead of
        ``dy += dx`` and a fresh ``dx``."""
        if self.checkpointed:
            return set()
        found = find_moves(self.fn, self.types, self.params, Liveness(self.fn))
        return {sid for sid in found
                if all(v in self.active and v not in self.direct and v not in self.params
                       for v in self.move_names(sid))}

    def move_names(self, sid) -> tuple:
        s = next(st for st in walk(self.fn.body) if id(st) == sid)
        return s.targets[0].id, s.value.id

    def same_in_every_iteration(self, site) -> bool:
        """``site`` (the one assignment of a scalar, in a loop) computes the
        same value every time it runs (:meth:`loop_invariants`).  Its variable
        then holds that value from its first assignment on, whenever the
        reverse sweep reads it: nothing to store or recompute."""
        return bool(site.loops) and site.var in self.loop_invariants(site.loops[0])

    def loop_invariants(self, outer) -> set:
        """The scalars (not parameters) assigned once in the whole function, inside ``outer``, by
        a plain primitive of names and arrays that nothing in ``outer``
        changes, or of other such scalars (``r = p[0]`` and ``ar = a * r`` in
        a ``while`` loop's inlined helper)."""
        cache = self.invariants_of
        if id(outer) in cache:
            return cache[id(outer)]
        changed = self.assigned_in(outer) | ({outer.target.id} if isinstance(outer, ast.For)
                                             else set())
        candidates = {}
        for st in walk(outer.body):
            if ir.KIND(st) == ir.Kind.ASSIGN and st.targets[0].id not in self.params \
                    and len(self.sites.get(st.targets[0].id, [])) == 1 \
                    and (ir.PRIM(st.value) or ("?",))[0] in (
                        "binop", "unary", "subscript", "attr", "call", "const", "copy"):
                t = self.types.get(st.targets[0].id)
                if t is not None and t.is_scalar:
                    candidates[st.targets[0].id] = free_names(st.value)
        out: set = set()
        while True:
            more = {v for v, reads in candidates.items()
                    if v not in out and not reads & (changed - out)}
            if not more:
                cache[id(outer)] = out
                return out
            out |= more

    def assigned_in(self, loop) -> set:
        names = set()
        for s in walk(loop.body):
            kind = ir.KIND(s)
            if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE):
                names.add(s.targets[0].id)
            elif kind == ir.Kind.UNPACK:
                names |= {e.id for e in s.targets[0].elts}
            elif kind == ir.Kind.STORE:
                names.add(s.targets[0].value.id)
            elif kind == ir.Kind.AUGSTORE:
                names.add(s.target.value.id)
            elif isinstance(s, ast.For):
                names.add(s.target.id)
        return names

    def find_recomputable(self):
        """Per loop, what each reverse iteration re-runs instead of reading it
        back from a tape (passes/rerun.py).

        Loop-carried scalars (``x`` in ``x += h * f(x)``, assigned once in the
        body, after every read of it) are saved once per iteration, at its
        start, and restored at the start of the reverse iteration: everything
        the body computes from them is then recomputed instead of taped.
        """
        self.recompute: dict[int, list] = {}     # id(loop) -> statements re-run
        self.rerun: dict = {}                    # id(loop) -> rerun.Rerun
        self.recomputed_sites: set = set()       # (id(assignment), var): no save
        self.rerun_stores: set = set()           # id(element store): no save
        self.carried: dict[int, list] = {}       # id(loop) -> carried vars (snapshot)
        self.carried_sites: set = set()          # (id(site stmt), var) replaced by snapshots
        self.carried_stmt: dict = {}             # id(loop) -> {carried var: its assignment}
        self.branch_rerun: dict = {}             # id(if) -> assignments re-run in its reverse
        for loop in [s for s in walk(self.fn.body) if isinstance(s, (ast.For, ast.While))]:
            carried = self.carried_vars(loop)
            chosen = rerun.choose(self, loop, carried)
            self.rerun[id(loop)] = chosen
            self.recompute[id(loop)] = chosen.stmts
            self.recomputed_sites |= chosen.scalars
            self.branch_rerun.update(chosen.branches)
            self.rerun_stores |= {id(st) for st in walk(loop.body)
                                  if store_base(st) in chosen.arrays}
            self.carried[id(loop)] = sorted(carried)
            for var, st in self.carried_stmt[id(loop)].items():
                self.carried_sites.add((id(st), var))
        self.unread_sums = self.find_unread_sums()

    def find_unread_sums(self) -> set:
        """``(id(s), v)`` of running sums ``v += e`` whose old values no reverse
        statement reads: the sum is the only mention of ``v`` in its loop, and
        the statement before the loop that last mentions ``v`` sets it afresh
        (``total = 0.0``), so whatever reads ``v`` before the loop finds it
        restored by that statement's own save.  No tape, no snapshot."""
        out = set()
        for block in blocks(self.fn.body):
            for k, loop in enumerate(block):
                if not isinstance(loop, (ast.For, ast.While)):
                    continue
                for st in loop.body:
                    if ir.KIND(st) != ir.Kind.ACCUMULATE:
                        continue
                    v = st.targets[0].id
                    t = self.types.get(v)
                    mentions = sum(isinstance(n, ast.Name) and n.id == v
                                   for n in nodes(loop))
                    if t is None or not t.is_scalar or not _additive(st, v) or mentions != 2:
                        continue
                    before = next((b for b in reversed(block[:k]) if v in free_names(b) or
                                   v in stored_names(b)), None)
                    if before is not None and ir.KIND(before) == ir.Kind.ASSIGN and \
                            before.targets[0].id == v and v not in free_names(before.value):
                        out.add((id(st), v))
        return out

    def carried_vars(self, loop) -> dict:
        """Scalars assigned exactly once in the loop, by an operation whose
        adjoint does not read the new value, and read after that assignment
        within the body only by statements without an adjoint: ``{var: index of
        the top-level statement that assigns it}``.

        The assignment may sit in an ``if`` (``x = xn`` under the flag a
        ``break`` leaves behind): the snapshot holds the value the iteration
        started with either way.  A read after it by a statement whose target is
        not active (the ``while`` test ``t < tmax`` at the end of the body, a
        counter) has no adjoint to read the restored value in its place."""
        out, self.carried_stmt[id(loop)] = {}, {}
        body = loop.body
        for idx, top in enumerate(body):
            for s, after in _assignments_with_rest(top, body[idx + 1:]):
                kind = ir.KIND(s)
                if kind not in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE):
                    continue
                z = s.targets[0].id
                t = self.types.get(z)
                if t is None or not t.is_scalar or z in self.counters:
                    continue
                in_loop = [st for st in self.sites.get(z, []) if loop in st.loops]
                # (a parameter is bound before the loop by the call)
                if len(in_loop) != 1 or len(self.sites[z]) + (z in self.params) < 2:
                    continue
                if kind == ir.Kind.ASSIGN and ir.PRIM(s.value) not in (
                        ("copy",), ("binop", "Add"), ("binop", "Sub"), ("binop", "Mult")):
                    continue
                if any(_reads_with_adjoint(later, z, self.active) for later in after):
                    continue
                relaxed = s is not top or any(z in free_names(later) for later in after)
                if relaxed and (self.invertible(s, z) or
                                not _feeds_adjoint(loop.body, z, self.active)):
                    # a counter stepped under a flag is undone where it is stepped,
                    # under the same flag, not at the start of the reverse iteration;
                    # a search's bounds, read by nothing with an adjoint, need no
                    # snapshot (their restores are dead: passes/dead_restores.py)
                    continue
                out[z] = idx
                self.carried_stmt[id(loop)][z] = s
        return out

    def select_checkpointed(self):
        """Top-level ``for i in range(lo, hi)`` loops run without a tape in the
        forward sweep, keeping a snapshot of the state they change every
        ``every`` iterations; the reverse sweep handles one segment at a time,
        last first: restore its snapshot, re-run its iterations with the tape,
        reverse them.  Memory: (trip count / every) snapshots plus one
        segment's tape; time: one more primal run of the loop."""
        self.checkpoint_skipped: list = []   # (line, why) of loops kept on the full tape
        self.checkpoint_placeholders: set = set()   # state first bound inside its loop
        if not self.checkpoint:
            return
        for s in self.fn.body:
            if isinstance(s, ast.If) and any(isinstance(st, ast.While) for st in s.body):
                s = next(st for st in s.body if isinstance(st, ast.While))   # tested at the end
            if isinstance(s, ast.While) or ir.COUNT(s):
                why = "a while loop" if isinstance(s, ast.While) else \
                    "a loop left by break or return"
                self.checkpoint_skipped.append((ir.LINE(s), why))
                continue
            if not isinstance(s, ast.For):
                continue
            args = s.iter.args
            if len(args) == 3 and not _is_const(args[2], 1):
                self.checkpoint_skipped.append((ir.LINE(s),
                                                "a loop with a step"))
                continue
            if not any(v in self.active for v in self.assigned_in(s)):
                continue
            order = next(st.order for st in self.sites[s.target.id] if st.stmt is s)
            state, carried = [], _carried_from_inside(s)
            for v in sorted(self.assigned_in(s) - {s.target.id}):
                t = self.types.get(v)
                if t is None or not (t.is_scalar or t.is_array):
                    continue
                if v in self.params or any(st.order < order for st in self.sites.get(v, [])):
                    state.append(v)
                elif v in carried:
                    # first bound inside the loop, read in a later iteration
                    # (``if t > 0: s += prev``): in the snapshot too, bound to a
                    # placeholder before the loop
                    if t.is_array:
                        state = None
                        break
                    state.append(v)
                    self.checkpoint_placeholders.add(v)
            if state is None:
                self.checkpoint_skipped.append((ir.LINE(s), (
                    "an array first bound inside the loop and read in a later iteration")))
                continue
            self.checkpointed[id(s)] = state

    def count_contributions(self):
        """Scalar temporaries with one definition and one adjoint contribution
        get ``_dt = ...`` instead of ``_dt += ...`` and no reset."""
        counts: dict[str, int] = {}
        # the branch or loop body each statement sits in: a direct adjoint is set
        # where its contribution is made and read where its variable is defined,
        # which must be the same block (else another path reads it unset)
        context, where = {}, {}

        def blocks(stmts, ctx):
            for st in stmts:
                context[id(st)] = ctx
                for f in ("body", "orelse"):
                    if getattr(st, f, None):
                        blocks(getattr(st, f), ctx + ((id(st), f),))
        blocks(self.fn.body, ())
        for s in walk(self.fn.body):
            kind = ir.KIND(s)
            if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE, ir.Kind.UNPACK) and \
                    any(t in self.active for t in self.targets_of(s)):
                for n in self.contribution_targets(s):
                    counts[n] = counts.get(n, 0) + 1
                    where[n] = context[id(s)]
                if kind == ir.Kind.ASSIGN and ir.PRIM(s.value)[0] == "subscript" and \
                        isinstance(s.value.value, ast.Name):
                    # dA[i] += ... writes part of the adjoint: it must exist whole
                    counts[s.value.value.id] = 2
            elif kind in (ir.Kind.STORE, ir.Kind.AUGSTORE):
                base = s.targets[0].value.id if kind == ir.Kind.STORE else s.target.value.id
                if base in self.active and isinstance(s.value, ast.Name):
                    counts[s.value.id] = counts.get(s.value.id, 0) + 1
                    where[s.value.id] = context[id(s)]
        self.direct = set()
        for var, n in counts.items():
            t = self.types.get(var)
            if n == 1 and var.startswith("_") and var not in self.params \
                    and len(self.sites.get(var, [])) == 1 and t is not None \
                    and where.get(var) == context.get(id(self.sites[var][0].stmt)) \
                    and var != self.ret_name \
                    and (t.kind in ("float", "tuple") or
                         (t.is_array and self.broadcast_safe(var))):
                self.direct.add(var)

    def broadcast_safe(self, var) -> bool:
        """An array temporary whose adjoint may be held as any value that
        broadcasts to its shape (a scalar seed from ``np.sum``, say): true when
        the rule of its own definition only uses its adjoint elementwise."""
        s = self.sites[var][0].stmt
        if ir.KIND(s) != ir.Kind.ASSIGN:
            return False
        key = ir.PRIM(s.value)
        if key[0] != "subscript":
            # one array operand, shaped like the result: its adjoint is the result's,
            # elementwise.  With two, either may have been broadcast and the adjoint
            # is summed down, which needs the full shape.
            zt = self.types[var]
            arrays = [n.id for n in nodes(s.value) if isinstance(n, ast.Name)
                      and self.types.get(n.id) is not None and self.types[n.id].is_array]
            if len(set(arrays)) > 1 or any(self.types[n].ndim != zt.ndim for n in arrays):
                return False
            if any(n in self.active and not self.types[n].is_array
                   for n in diff_operands(s.value)):
                return False   # a scalar operand's adjoint is a sum over the result
        if key[0] == "binop":
            return key[1] in ELEMENTWISE_OPS
        if key[0] == "subscript":      # a gather's adjoint reads dz[k] for each index
            return not index_arrays(s.value.slice, self.types)
        if key[0] == "copy" or key == ("unary", "USub"):
            return True
        return key[0] == "call" and registry.is_elementwise(key[1])

    def targets_of(self, s):
        if ir.KIND(s) == ir.Kind.UNPACK:
            return [e.id for e in s.targets[0].elts]
        return [s.targets[0].id]

    def contribution_targets(self, s):
        out = []
        if ir.KIND(s) == ir.Kind.ACCUMULATE:
            r = s.value.right
            return [r.id] if isinstance(r, ast.Name) and r.id in self.active else []
        v = s.value
        if isinstance(v, ast.BinOp) and isinstance(v.op, ast.Mult) and \
                isinstance(v.left, ast.Name) and isinstance(v.right, ast.Name) and \
                v.left.id == v.right.id:
            # ``x * x``: its rule (rules/operators.py) makes one contribution
            return [v.left.id] if v.left.id in self.active else []
        for n in diff_operands(s.value):
            if n in self.active:
                out.append(n)
        return out

    def loop_index_only(self, var) -> bool:
        """``var`` is only ever a ``for`` target and read only inside loops over
        it: every reverse loop sets it again, nothing needs its old value."""
        sites = self.sites.get(var, [])
        if not sites or not all(isinstance(st.stmt, ast.For) for st in sites):
            return False
        inside = set()
        for loop in walk(self.fn.body):
            if isinstance(loop, ast.For) and loop.target.id == var:
                for st in loop.body:
                    inside |= {id(n) for n in nodes(st)}
        return all(id(n) in inside for n in nodes(self.fn)
                   if isinstance(n, ast.Name) and n.id == var and isinstance(n.ctx, ast.Load))

    def invertible(self, s, var) -> bool:
        """``n += 1`` on an int: the reverse sweep undoes it (``n -= 1``)
        instead of taping the old value."""
        if ir.KIND(s) != ir.Kind.ACCUMULATE or ir.ARRAY(s):
            return False
        t = self.types.get(var)
        if t is None or t.kind != "int" or not isinstance(s.value.op, (ast.Add, ast.Sub)):
            return False
        step = s.value.right
        if isinstance(step, ast.Constant):
            return isinstance(step.value, int) and not isinstance(step.value, bool)
        # a step that keeps its value: a parameter or a variable set once at the top
        if isinstance(step, ast.Name):
            st = self.types.get(step.id)
            sites = self.sites.get(step.id, [])
            return st is not None and st.kind == "int" and (
                (step.id in self.params and not sites) or
                (len(sites) == 1 and sites[0].top_level and step.id not in self.params))
        return False

    def decide_saves(self):
        self.save_at: set = set()       # id(site stmt), var
        self.inverted: set = set()      # id(site stmt), var: undone by the inverse update
        self.inverted_carried: set = set()  # the same, for a loop-carried counter
        self.placeholders: set = set()
        self.snapshot_vars: set = set()
        self.invariant: set = set()     # id(site stmt), var: the same value in every iteration
        for var, sites in self.sites.items():
            if var not in self.needed:
                continue
            if self.loop_index_only(var):
                continue
            # a permutation of buffers is undone by its inverse, not a tape; a
            # re-run assignment needs none (but see below)
            rerun_here = [st for st in sites if (id(st.stmt), var) in self.recomputed_sites
                          and id(st.stmt) not in self.permutations and st.loops]
            sites = [st for st in sites if id(st.stmt) not in self.permutations
                     and (id(st.stmt), var) not in self.recomputed_sites
                     and (id(st.stmt), var) not in self.unread_sums]
            if not sites:
                continue
            dead = set()
            if var in self.counters:
                sites = [st for st in sites if ir.KIND(st.stmt) != ir.Kind.ACCUMULATE]
            else:
                for st in sites:
                    if self.invertible(st.stmt, var):
                        if (id(st.stmt), var) in self.dead_restores:
                            dead.add(id(st.stmt))       # nothing reads what it undoes
                        elif (id(st.stmt), var) in self.carried_sites:
                            # undone at the start of each reverse iteration, where
                            # a snapshot would be restored
                            self.inverted_carried.add((id(st.stmt), var))
                        else:
                            self.inverted.add((id(st.stmt), var))
                sites = [st for st in sites if (id(st.stmt), var) not in self.inverted
                         and (id(st.stmt), var) not in self.inverted_carried
                         and id(st.stmt) not in dead]
                if not sites:
                    continue
            first = min(sites, key=lambda st: st.order)
            is_param = var in self.params
            if not is_param and len(self.sites[var]) == 1 and \
                    self.same_in_every_iteration(first):
                self.invariant.add((id(first.stmt), var))
                continue
            for st in sites:
                if st.loops or len(sites) > 1 or is_param:
                    if st is first and st.top_level and not is_param:
                        continue
                    if (id(st.stmt), var) in self.carried_sites:
                        # saved once per iteration instead, at its start
                        self.snapshot_vars.add(var)
                        self.saved_vars.add(var)
                        definite = first.top_level and not isinstance(first.stmt, ast.For)
                        if not is_param and not definite:
                            self.placeholders.add(var)
                        continue
                    if (id(st.stmt), var) in self.dead_restores:
                        continue
                    self.save_at.add((id(st.stmt), var))
                    self.saved_vars.add(var)
                    definite = first.top_level and not isinstance(first.stmt, ast.For)
                    if not is_param and not definite:
                        self.placeholders.add(var)
            self.save_where_rerun(var, sites, rerun_here)
        # an array of fixed shape made in a loop (a new one each iteration, or a
        # row ``a = X[q]`` of a fixed array): with a placeholder before the loop,
        # its adjoint buffer is made once, after the loop, not in every iteration
        # (see hoisted_loop)
        for var in self.fixed_shapes & self.active - self.direct - set(self.params):
            sites = self.sites.get(var, [])
            if sites and all(st.loops for st in sites) and all(
                    ir.PRIM(getattr(st.stmt, "value", None), ("",))[0] != "subscript" or
                    _row_of_fixed(st.stmt.value, self.types, self.fixed_shapes)
                    for st in sites):
                self.placeholders.add(var)
        for s in walk(self.fn.body):
            kind = ir.KIND(s)
            if kind in (ir.Kind.STORE, ir.Kind.AUGSTORE):
                base = s.targets[0].value.id if kind == ir.Kind.STORE else s.target.value.id
                if base in self.value_needed and id(s) not in self.rerun_stores \
                        and id(s) not in self.fresh_writes and base not in self.unread_items \
                        and not self.reads_final(base):
                    self.save_at.add((id(s), base + "[]"))
        self.recovered = self.values_read_back()
        self.save_at -= {(self.recovered_site[sid], var) for sid, var in self.recovered.items()}

    def save_where_rerun(self, var, sites, rerun_here) -> None:
        """Re-run sites of ``var`` (``rerun_here``) that save what they overwrite
        all the same: where another site's value, outside the re-run site's loop,
        is put back from a save, the reverse finds that value by undoing every
        later overwrite, the re-run site's too (two loops of a time step setting
        one name, one re-run, the other saved: the re-run loop's reverse left its
        own value where the other's restores had to find the previous step's)."""
        restored = [sv for sv in sites if (id(sv.stmt), var) in self.save_at]
        outside = [st for st in rerun_here
                   if any(st.loops[-1] not in sv.loops for sv in restored)]
        if not outside:
            return
        for st in outside:
            self.save_at.add((id(st.stmt), var))
        self.saved_vars.add(var)
        if var not in self.params:
            self.placeholders.add(var)

    def values_read_back(self) -> dict:
        """id(store) -> ``v``: a number ``v = E`` saved at its overwrite whose value
        the body then stores, ``X[idx] = v``, into an array whose elements that
        store saves and puts back.  Its reverse reads ``v = X[idx]`` before it
        puts the element back: ``X[idx]`` holds ``v`` there (every later write
        into ``X`` was undone before), so ``v`` needs no slot of its own (a state
        updated in place, ``h[j] = tanh(z_j)``, kept its elements and, again,
        each ``tanh`` value).  Only where ``v`` is read nowhere but between the
        two statements and the store is the only statement writing into ``X``.
        The same where the store is the first write into its element of an
        ``np.empty`` array (``fresh_writes``: nothing to put back) whose binding
        is put back in reverse or happens once: a softmax's row buffer ``e[j] =
        _e_value``, ``_e_value = np.exp(...)`` read back from ``e[j]``; or where
        the store's loop is re-run at the start of the reverse iteration
        (``rerun_stores``): ``X[idx]`` holds ``v`` again there."""
        self.recovered_site: dict = {}          # id(store) -> id(v's assignment)
        writes: dict = {}
        readers: dict = {}                      # name -> ids of the statements reading it
        for s in walk(self.fn.body):
            if ir.KIND(s) in (ir.Kind.STORE, ir.Kind.AUGSTORE):
                base = s.targets[0].value.id if ir.KIND(s) == ir.Kind.STORE else \
                    s.target.value.id
                writes[base] = writes.get(base, 0) + 1
            for name in _own_reads(s):
                readers.setdefault(name, set()).add(id(s))
        out = {}
        for block in blocks(self.fn.body):
            for q, store in enumerate(block):
                if ir.KIND(store) != ir.Kind.STORE or not isinstance(store.value, ast.Name):
                    continue
                base, var = store.targets[0].value.id, store.value.id
                sites = self.sites.get(var, [])
                t = self.types.get(var)
                if not ((id(store), base + "[]") in self.save_at or
                        id(store) in self.rerun_stores or
                        id(store) in self.fresh_writes and self.holds_its_array(base)) or \
                        writes.get(base) != 1 or \
                        t is None or t.kind != "float" or len(sites) != 1 or \
                        (id(sites[0].stmt), var) not in self.save_at:
                    continue
                p = next((k for k in range(q) if block[k] is sites[0].stmt), None)
                inside = {id(x) for x in walk(block[p + 1:q + 1])} if p is not None else set()
                # (a sum of it after the store, ``total += v``, reads it in forward only)
                inside |= {id(x) for x in block[q + 1:] if _adds(x, var)}
                if p is None or not readers.get(var, set()) <= inside:
                    continue
                out[id(store)] = var
                self.recovered_site[id(store)] = id(sites[0].stmt)
        return out

    def holds_its_array(self, array) -> bool:
        """In reverse, ``array`` holds, until the reverse of its binding, the
        array that binding made: it is bound once, and that binding is put back
        (saved before it) or runs once (at the top level)."""
        sites = self.sites.get(array, [])
        return len(sites) == 1 and ((id(sites[0].stmt), array) in self.save_at or
                                    sites[0].top_level)

    def drop_dead_restores(self, sites: set) -> bool:
        """Store nothing for the ``(id(site), var)`` of ``sites``: the reverse
        sweep, as emitted, puts those values back where nothing reads them
        (passes/dead_restores.py); false when that changes nothing."""
        if sites <= self.dead_restores:
            return False
        self.dead_restores |= sites
        self.storage()
        return True

    def drop_dead_snapshots(self, snapshots: set) -> bool:
        """Take no snapshot for the ``(id(loop), var)`` of ``snapshots``: the
        reverse sweep, as emitted, restores them where nothing reads them (a
        running sum ``a += W[i, j] * h[j]``, snapshotted in each trip of its
        loop); its assignment in the loop is then saved, or not, as any other
        (passes/dead_restores.py finds those puts-back dead in turn); false when
        that changes nothing."""
        changed = False
        for loop_id, var in snapshots:
            if var in self.carried.get(loop_id, ()):
                self.carried[loop_id] = [v for v in self.carried[loop_id] if v != var]
                st = self.carried_stmt.get(loop_id, {}).pop(var, None)
                if st is not None:
                    self.carried_sites.discard((id(st), var))
                changed = True
        if changed:
            self.storage()
        return changed

    def drop_unread_items(self, arrays: set) -> bool:
        """Store no overwritten element of ``arrays`` (the reverse sweep reads
        none of them once it would put them back); false when that changes
        nothing."""
        if arrays <= self.unread_items:
            return False
        self.unread_items |= arrays
        self.storage()
        return True

    def reads_final(self, array) -> bool:
        """No element of ``array`` is stored: every read of its values
        anywhere in the function is final (passes/dependence.py: no later write
        can change what it read), or comes after its last write.  Never when
        the adjoint of an assignment of ``array`` reads the value assigned
        (``G = np.exp(w)``: ``dw += dG * G``) and elements of ``array`` are
        written: that read must see them as they were made."""
        if any(self.reads_own_result(st.stmt) for st in self.sites.get(array, [])):
            return False
        if self.read_after_last_write(array):
            return True
        return self.tracks_elements(array) and self.dependence.all_final(array)

    def final_read(self, stmt, index, array) -> bool:
        """The read ``array[index]`` in ``stmt`` can be taken again in reverse."""
        writes = [s for s in walk(self.fn.body) if store_base(s) == array]
        return self.tracks_elements(array) and self.dependence.final(stmt, index, writes)

    def tracks_elements(self, array) -> bool:
        """``array`` is written only element by element under its own name:
        bound once at the top level, not an argument, no view of it or alias,
        no write in a checkpointed loop (re-run from a snapshot in reverse)."""
        if array in self.params or array in self.alias_taped or \
                any(array in pair for pair in self.value_flow):
            return False
        sites = self.sites.get(array, [])
        t = self.types.get(array)
        if t is None or not t.is_array or len(sites) != 1 or not sites[0].top_level:
            return False
        return not any(id(loop) in self.checkpointed for s in walk(self.fn.body)
                       if store_base(s) == array for loop in self.stmt_loops[id(s)])

    @staticmethod
    def reads_own_result(stmt) -> bool:
        """The adjoint rule of assignment ``stmt`` reads the value it assigns."""
        if ir.KIND(stmt) != ir.Kind.ASSIGN or \
                ir.PRIM(stmt.value)[0] not in ("binop", "unary", "attr", "method", "call"):
            return False
        return registry.may_read_result(rule_inputs(stmt.value)[0])

    def read_after_last_write(self, array) -> bool:
        """Every statement reading ``array``'s values comes after (at the top
        level of the function) every statement writing into it: the reverse
        sweep reads them before undoing any write, so the final values are
        the ones it needs and no element is stored."""
        if array in self.params or array in self.alias_taped or \
                any(array in pair for pair in self.value_flow):
            return False
        writes, reads = [], []
        for k, top in enumerate(self.fn.body):
            for st in walk([top]):
                kind = ir.KIND(st)
                if kind in (ir.Kind.STORE, ir.Kind.AUGSTORE):
                    target = st.targets[0] if kind == ir.Kind.STORE else st.target
                    if target.value.id == array:
                        writes.append(k)
            if _reads_values(top, array):
                reads.append(k)
        sites = self.sites.get(array, [])
        return bool(writes) and len(sites) == 1 and sites[0].top_level and \
            all(r > max(writes) for r in reads)

    def snapshot_vars_of(self, loop) -> list:
        return [v for v in self.carried.get(id(loop), []) if v in self.snapshot_vars]

    def choose_array_tapes(self):
        """Snapshots of a top-level ``for`` loop over a range with step 1 go
        into an array of one slot per iteration, allocated before the loop
        (its trip count is known there), instead of a growing list."""
        self.array_tapes: dict = {}      # id(loop) -> vars
        saved_elsewhere = {v for _, v in self.save_at}
        for loop in self.fn.body:
            if not isinstance(loop, ast.For) or ir.COUNT(loop) or \
                    id(loop) in self.checkpointed:
                continue
            args = loop.iter.args
            if len(args) == 3 and not _is_const(args[2], 1):
                continue
            chosen = [v for v in self.snapshot_vars_of(loop)
                      if v not in saved_elsewhere and self.types[v].is_scalar
                      and sum(v in self.carried.get(id(other), ()) and v in self.snapshot_vars
                              for other in walk(self.fn.body)
                              if isinstance(other, (ast.For, ast.While))) == 1]
            if chosen:
                self.array_tapes[id(loop)] = chosen

    def plan_indexed_tapes(self):
        """Element saves inside counted loop nests go into preallocated arrays
        (passes/tape.py).  In a checkpointed loop, each segment's re-run fills
        its own block of slots, which its reverse reads back while they are
        still in cache."""
        self.indexed: dict = {}            # id(store) -> IndexedTape
        self.indexed_base: dict = {}       # id(store) -> the array written into
        self.indexed_scalars: dict = {}    # (id(assignment), var) -> IndexedTape
        sites = []
        for st in walk(self.fn.body):
            kind = ir.KIND(st)
            if kind in (ir.Kind.STORE, ir.Kind.AUGSTORE):
                target = st.targets[0] if kind == ir.Kind.STORE else st.target
                if (id(st), target.value.id + "[]") in self.save_at:
                    sites.append((st, target.value.id))

        def element_dtype(st):
            target = st.targets[0] if isinstance(st, ast.Assign) else st.target
            bt = self.types.get(target.value.id)
            if bt is None or not bt.is_array or has_slice(target.slice) or \
                    index_ndim(bt, target.slice, self.types) != 0:
                return None
            return bt.dtype
        facts = nest_facts(self.fn)
        self.indexed = plan_indexed_tapes(self.fn, sites, element_dtype, self.segments(),
                                          self.per_iteration, facts, self.bound_value)
        self.indexed_base = {id(st): base for st, base in sites if id(st) in self.indexed}
        # scalars overwritten inside counted loop nests: one slot per iteration too
        stmts = {id(st): st for st in walk(self.fn.body)}
        for sid, var in self.save_at:
            st, t = stmts.get(sid), self.types.get(var)
            if var.endswith("[]") or isinstance(st, (ast.For, ast.While)) or st is None \
                    or t is None or not t.is_scalar or t.dtype.kind not in "fi":
                continue
            plan = plan_indexed_tapes(self.fn, [(st, var)], lambda _st, dtype=t.dtype: dtype,
                                      self.segments(), self.per_iteration, facts,
                                      self.bound_value)
            if sid in plan:
                self.indexed_scalars[(sid, var)] = plan[sid]
        self.stored_at_def = self.values_stored_where_computed(stmts)
        self.read_from_saves = self.numbers_read_from_saves(stmts)
        # what kept nests leave (passes/rerun.py ``_keep``): a row per iteration
        # of the loops around them inside a fused loop, whose tapes hold one of its
        # iterations (cache-sized; rows for every iteration of a loop that is not
        # fused would stream through memory: a Burgers step's slopes, re-run
        # 2.0 ms, kept 4.3 ms)
        self.kept_tapes: dict = {}         # (id(nest), name) -> IndexedTape
        self.kept_loops: set = set()       # id(loop): its nests are kept, not re-run
        for lid, chosen in self.rerun.items():
            for nid, kept in chosen.kept.items():
                outer = next(x for x in self.around[nid] if isinstance(x, (ast.For, ast.While)))
                if id(outer) not in self.per_iteration:
                    continue
                self.kept_loops.add(lid)
                for name in kept:
                    dtype = self.types[name].dtype
                    plan = plan_indexed_tapes(self.fn, [(stmts[nid], name)],
                                              lambda _st, dtype=dtype: dtype,
                                              self.segments(), self.per_iteration, facts)
                    self.kept_tapes[nid, name] = plan[nid]

    def numbers_read_from_saves(self, stmts) -> dict:
        """``(id(assignment), var) -> id(store)`` for numbers stored where
        computed that are an element the same iteration overwrites later, at
        the same index, with nothing written into an array in between (but
        into another array that shares no buffer with it, ``Planner.sole``)::

            Vn_j = Vn[j]                   # the reverse needs Vn_j
            Vn[j] = np.maximum(Vn_j, p_j)  # the old element is saved for put-back

        The element's save holds the number already, in a slot of the same
        shape: the number is not stored a second time, and its reverse
        iteration loads it from the element's tape (an American put's
        exercise step stored each level twice)."""
        out = {}
        for (sid, var), loop in self.stored_at_def.items():
            st = stmts[sid]
            read = st.value
            if ir.KIND(st) != ir.Kind.ASSIGN or not isinstance(read, ast.Subscript) or \
                    not isinstance(read.value, ast.Name):
                continue
            k = next(k for k, top in enumerate(loop.body) if top is st)
            for later in loop.body[k + 1:]:
                base = store_base(later)
                if base == read.value.id and ir.KIND(later) == ir.Kind.STORE and \
                        ast.dump(later.targets[0].slice) == ast.dump(read.slice):
                    mine, theirs = self.indexed_scalars[sid, var], self.indexed.get(id(later))
                    if theirs is not None and theirs.outer is mine.outer and \
                            ast.dump(theirs.index) == ast.dump(mine.index) and \
                            ast.dump(theirs.capacity) == ast.dump(mine.capacity) and \
                            theirs.dtype == mine.dtype and \
                            sum(store_base(x) == base for x in walk(loop.body)) == 1:
                        out[sid, var] = id(later)
                    break
                # (in between: numbers computed by operations that write nothing, and
                # stores into another array no name shares with this one: an SGD step's
                # U[u, q] = ... between vq = V[i, q] and V[i, q] = ...)
                if ir.KIND(later) in (ir.Kind.STORE, ir.Kind.AUGSTORE) and base is not None \
                        and base != read.value.id and {base, read.value.id} <= self.sole:
                    continue
                t = self.types.get(later.targets[0].id) \
                    if ir.KIND(later) == ir.Kind.ASSIGN else None
                if t is None or not t.is_scalar or \
                        (ir.PRIM(later.value) or ("",))[0] in ("user", "method"):
                    break
        return out

    def values_stored_where_computed(self, stmts) -> dict:
        """``(id(assignment), var) -> loop`` for numbers with a slot per iteration
        that are their iteration's own: assigned once, at the top level of
        the innermost loop's body, before any read of them there, and read
        nowhere outside the loop.  The forward sweep stores each value after
        computing it and the reverse iteration loads it where it starts: no
        value carried from one iteration to the next (a store of the value
        before, as for other overwrites, would be), so the forward loop
        vectorizes (a heat equation's stencil: 0.55 -> 0.32 ms)."""
        out = {}
        if self.checkpointed:
            return out
        own: dict = {}          # id(loop) -> its iteration locals, where it carries no number
        for (sid, var) in self.indexed_scalars:
            st = stmts[sid]
            around = self.around.get(sid) or []
            loop = around[-1] if around else None
            if not isinstance(loop, ast.For) or not any(b is st for b in loop.body) or \
                    len(self.sites.get(var, [])) != 1 or var in self.params or \
                    any(id(x) in self.per_iteration for x in around):
                continue
            if id(loop) not in own:
                # (once per loop: per value, a program of many values took seconds)
                inside = {id(x) for x in walk([loop])}
                outside = [x for x in walk(self.fn.body) if id(x) not in inside and
                           not isinstance(x, (ast.For, ast.While, ast.If))]
                own[id(loop)] = set() if self.carries_numbers(loop) else \
                    iteration_locals(loop, outside)
            if var in own[id(loop)]:
                out[(sid, var)] = loop
        return out

    def carries_numbers(self, loop) -> bool:
        """Whether ``loop``'s body carries a number from one iteration to the
        next (reads it before it sets it: a recurrence, a running sum).  Such a
        loop does not vectorize whatever its tapes do, and its values are saved
        before their overwrite: a store right after a costly value is computed
        (an ``exp`` in a Hawkes likelihood's recurrence) waits for it, and the
        gradient measured 9% slower that way."""
        key = ("carries numbers", id(loop))
        if key not in self.memo:
            read_first = rerun.exposed(loop.body)
            self.memo[key] = any(
                v in read_first and self.types.get(v) is not None and self.types[v].is_scalar
                for v in self.assigned_in(loop) - {getattr(loop.target, "id", None)})
        return self.memo[key]

    def needs_placeholder(self, var) -> bool:
        """Whether ``var`` (in ``placeholders``) is bound before the forward
        sweep: not when its only saves store the values it is assigned."""
        at_def = {v for _, v in self.stored_at_def} | {v for _, v in self.peeked}
        return var not in at_def or any(v == var and (sid, v) not in self.stored_at_def
                                        and (sid, v) not in self.peeked
                                        for sid, v in self.save_at)

    def segments(self) -> dict:
        """id(loop) -> the names of its segment start and length, for each
        checkpointed loop (``name_of``: the emitter's names)."""
        return {sid: (self.name_of("_start", ("start", sid)), self.name_of("_every", ("every", sid)))
                for sid in self.checkpointed}

    def plan_stacks(self):
        """Numbers saved neither in an indexed tape nor in a loop's array go
        on stacks sized by a bound on their pushes (passes/tape.py); not with
        checkpointing, whose bound would count every segment."""
        self.stacks: dict = {}     # ("saved", var) / ("_items", base) -> StackTape
        if not self.checkpointed:
            self.stacks = plan_stack_tapes(self.fn, self.around, stack_sites(self),
                                           self.per_iteration, self.while_trips,
                                           self.bound_value, self.longest_value,
                                           open_ended=self.growable)
        moved = self._moved_and_written() if self.stacks else set()   # (one walk)
        for key, tape in list(self.stacks.items()):
            t = self.types.get(key[1])
            if key[0] != "saved" or t is None or not t.is_array:
                continue
            axes = shape_axes(self.shape_keys.get(key[1]), t.ndim, self.types)
            # (an array handed to another name that is stored into, ``P = _t1`` then
            # ``P[1] = P[0]``, changes after its copy would be pushed: the list keeps the
            # array, which the reverse sweep's put-back of P restores before it is read)
            if key[1] in moved:
                del self.stacks[key]
                continue
            # (an array no other name holds, made anew at each binding, leaves its old
            # buffer to no one: nothing writes into what was saved, as for an array
            # never written: a helper's cp = np.empty(n) filled each call)
            if axes is None or key[1] not in self._unwritten_from(tape.top) and \
                    key[1] not in self.sole or \
                    not self.known_before(axes, tape.top) or \
                    key[1] in self.placeholders and not self._bound_only_in(key[1], tape.top):
                del self.stacks[key]
            else:
                tape.row = tuple(axes)
        self.peeked = self.numbers_peeked_from_stacks()
        for _sid, var in self.peeked:
            del self.stacks["saved", var]

    def numbers_peeked_from_stacks(self) -> dict:
        """``(id(assignment), var) -> ("_items", base)`` for numbers saved before
        each overwrite on a stack of their own that are an element the same
        iteration overwrites later, at the same index, where that element's save
        is the last push onto the array's stack in the iteration::

            _p_j2 = p[j]                 # saved before each overwrite
            _p_value = r[j] + beta * _p_j2
            p[j] = _p_value              # the old element is pushed for its put-back

        The top of the element's stack holds the number where the reverse
        iteration starts: it is read from there (``_saved_p_items[_saved_p_items_top
        - 1]``), not pushed a second time (a conjugate-gradient step's direction,
        a binomial tree's level).  The stack version of
        :meth:`numbers_read_from_saves`: both statements at the top level of the
        innermost loop's body, the number assigned only there and read only in
        that body after it."""
        out: dict = {}
        stmts = {id(st): st for st in walk(self.fn.body)}
        mentions = None         # name -> ids of its Name nodes (one walk, when first needed)
        for sid, var in self.save_at:
            st = stmts.get(sid)
            if ("saved", var) not in self.stacks or st is None or \
                    ir.KIND(st) != ir.Kind.ASSIGN or len(self.sites.get(var, [])) != 1:
                continue
            read, t = st.value, self.types.get(var)
            if not isinstance(read, ast.Subscript) or not isinstance(read.value, ast.Name) or \
                    t is None or not t.is_scalar or t.kind != "float":
                continue
            around = [x for x in self.around.get(sid, []) if isinstance(x, (ast.For, ast.While))]
            loop = around[-1] if around else None
            k = next((k for k, top in enumerate(loop.body) if top is st), None) \
                if loop is not None else None
            if k is None or var in _names_read(loop.body[:k]):
                continue
            if mentions is None:
                mentions = {}
                for n in nodes(self.fn):
                    if isinstance(n, ast.Name):
                        mentions.setdefault(n.id, []).append(id(n))
            inside = {id(n) for n in nodes(loop)}
            if any(m not in inside for m in mentions.get(var, ())):
                continue
            base = read.value.id
            store = self._later_store(loop, k, read)
            if store is None or (id(store), base + "[]") not in self.save_at or \
                    ("_items", base) not in self.stacks or \
                    self.stacks["_items", base].row or \
                    np.dtype(self.types[base].dtype) != np.dtype(t.dtype or np.float64):
                continue
            j = next(j for j, top in enumerate(loop.body) if top is store)
            if any((id(x), base + "[]") in self.save_at for x in walk(loop.body[j + 1:])):
                continue            # (another push onto the stack after it)
            out[sid, var] = ("_items", base)
        return out

    def _later_store(self, loop, k, read):
        """The statement of ``loop.body`` after ``body[k]`` that first writes the
        array ``read`` reads, where it stores at the same index, with nothing
        between but numbers computed by operations that write nothing and stores
        into other arrays no name shares with it; else None."""
        base = read.value.id
        for later in loop.body[k + 1:]:
            written = store_base(later)
            if written == base:
                return later if ir.KIND(later) == ir.Kind.STORE and \
                    ast.dump(later.targets[0].slice) == ast.dump(read.slice) else None
            if ir.KIND(later) in (ir.Kind.STORE, ir.Kind.AUGSTORE) and written is not None \
                    and {written, base} <= self.sole:
                continue
            t = self.types.get(later.targets[0].id) \
                if ir.KIND(later) == ir.Kind.ASSIGN else None
            if t is None or not t.is_scalar or \
                    (ir.PRIM(later.value) or ("",))[0] in ("user", "method") or \
                    base in free_names(later.targets[0]):
                return None
        return None

    def _moved_and_written(self) -> set:
        """Arrays bound to another name (``P = _t1``) that some statement stores
        into, by element or slice, and arrays stored into that a view is taken of
        (``_t1 = u[1:-1]``, then ``u[1:-1] = ...``: the put-back must reach the
        buffer the view shows, not a copy).  Their values go in lists."""
        stmts = list(walk(self.fn.body))
        written = {store_base(st) for st in stmts} - {None}
        out, moves = set(), []
        for st in stmts:
            if ir.KIND(st) != ir.Kind.ASSIGN or not isinstance(st.targets[0], ast.Name):
                continue
            if isinstance(st.value, ast.Name):
                moves.append((st.targets[0].id, st.value.id))
            t = self.types.get(st.targets[0].id)
            base = is_view(st.value, self.types) if t is not None and t.is_array else None
            if base is not None and base in written:
                out.add(base)
        # (through the temporaries of a swap, ``_t5 = b; a = _t5``: b's array
        # reaches the stored-into a)
        reach = set(written)
        while True:
            moved = {v for t, v in moves if t in reach}
            if moved <= reach:
                return out | moved
            reach |= moved

    def bound_value(self, name, varying):
        """An expression of ``name``'s value (or of a length ``x.shape[k]``, an
        expression) computable before the statement that assigns ``varying``
        (passes/tape.py: a loop bound), or None: a name
        assigned once, by arithmetic, ``int``, ``len``, ``min``, ``max``, ``abs``
        of numbers and of such names (``nmax = int(2.0 / dt) + 2`` in a ray's
        loop), or an axis of an array whose every value has the axis of a
        parameter (``n = x.shape[0]`` in a time step re-binding ``x``)."""
        if isinstance(name, ast.expr):
            return invariant_length(name, varying, self.sites, self.types, self.bound_lengths())
        return invariant_value(name, varying, self.sites, self.types, self.bound_lengths())

    def bound_lengths(self) -> dict:
        """``shapes.axis_lengths`` as the bounds read it (computed once)."""
        if not hasattr(self, "_bound_lengths"):
            self._bound_lengths = axis_lengths(self.types, self.params, self.sites,
                                               self.same_axes, self.rows)
        return self._bound_lengths

    def longest_value(self, name, varying):
        """:meth:`bound_value` of the most a slice's length ``name`` can be
        (passes/tape.py ``longest_slice``), or None."""
        return longest_slice(name, varying, self.sites, self.types, self.bound_lengths())

    def row_dtype(self, var):
        """The dtype of ``var``'s elements when its values may go on a stack of
        rows (passes/tape.py): an array whose every value has one shape, whose
        lengths the shape's key gives (passes/shapes.py); else None (its values
        go in a list).  ``plan_stacks`` keeps the stack only where nothing
        writes into its buffer once its values are saved (a copy read back is
        then as good as the array)."""
        t = self.types.get(var)
        if t is None or not t.is_array or t.dtype is None or t.dtype.kind not in "fiub":
            return None
        if shape_axes(self.shape_keys.get(var), t.ndim, self.types) is None:
            return None
        # a view (``X.T``, ``x[i]``) costs nothing to make, a copy of it as much as
        # the array it shows: a list keeps the view
        if any(ir.KIND(st.stmt) == ir.Kind.ASSIGN and not isinstance(st.stmt.value, ast.Name)
               and is_view(st.stmt.value, self.types) for st in self.sites.get(var, [])):
            return None
        return np.dtype(t.dtype)

    def _bound_only_in(self, var, top) -> bool:
        """Every binding of ``var`` is inside top-level statement ``top``: its
        placeholder may be given the rows' shape right before ``top`` (a value
        bound by an earlier statement must not be replaced)."""
        inside = {id(s) for s in walk([top])} if top is not None else set()
        return all(id(st.stmt) in inside for st in self.sites.get(var, []))

    def _unwritten_from(self, top) -> set:
        """The arrays whose buffers nothing writes from top-level statement
        ``top`` on (passes/buffers.py)."""
        if not hasattr(self, "_unwritten"):
            # (the moves, found once: the tree does not change while the plan is made)
            self._unwritten = {"moves": find_moves(self.fn, self.types, self.params,
                                                   self.liveness)}
        if id(top) not in self._unwritten:
            self._unwritten[id(top)] = unwritten_arrays(
                self.fn, self.types, is_view, self._unwritten["moves"], after=top)
        return self._unwritten[id(top)]

    def known_before(self, axes, top) -> bool:
        """Can ``axes`` be computed before top-level statement ``top`` (None: before
        everything)?  Each name they read is a parameter never re-bound, or a
        name bound once, by a top-level statement before ``top``."""
        body = self.fn.body
        for n in (n for a in axes for n in nodes(a)):
            if not isinstance(n, ast.Name):
                continue
            sites = self.sites.get(n.id, [])
            if n.id in self.params and not sites:
                continue
            if top is None or len(sites) != 1 or not sites[0].top_level or \
                    not any(s is sites[0].stmt for s in body[:body.index(top)]):
                return False
        return True

    def while_trips(self, loop):
        """A bound on the trips of a ``while`` loop whose test keeps an int
        counter below a limit (``ir.TRIP_LIMIT``): the limit less the counter's
        lowest value, where every assignment of the counter in the function sets
        an int constant or adds a positive one (then the counter never falls
        below the least of those constants); None otherwise.  The loop must still
        read the counter and the limit's names (a later pass that renamed one
        leaves the fact unusable, not wrong)."""
        fact = ir.TRIP_LIMIT(loop)
        if fact is None:
            fact = self._indexing_counter(loop)
        if fact is None:
            return None
        counter, limit, inclusive, step = fact
        t = self.types.get(counter)
        if t is None or t.kind != "int" or counter in self.params:
            return None
        read = {n.id for n in nodes(loop) if isinstance(n, ast.Name)
                and isinstance(n.ctx, ast.Load)}
        mentioned = [n for n in nodes(self.fn) if isinstance(n, ast.Name)]
        shaped = {id(n.value) for n in nodes(limit) if isinstance(n, ast.Attribute)}
        for n in nodes(limit):
            if not isinstance(n, ast.Name):
                continue
            # the loop reads it (its test), or it is one variable (set once at most,
            # still there: no pass gave a part of it another name)
            one = any(m.id == n.id for m in mentioned) and sum(
                m.id == n.id and isinstance(m.ctx, ast.Store) for m in mentioned) <= 1
            if not (n.id in read or one) or id(n) not in shaped and (
                    self.types.get(n.id) is None or self.types[n.id].kind != "int"):
                return None
        lows = []
        for n in nodes(self.fn):
            if isinstance(n, ast.Assign) and any(isinstance(x, ast.Name) and x.id == counter
                                                 for x in n.targets):
                if len(n.targets) != 1:
                    return None
                if isinstance(n.value, ast.Constant) and type(n.value.value) is int:
                    lows.append(n.value.value)
                elif _adds_to(n.value, counter) is None:
                    return None
            elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name) and \
                    n.target.id == counter:
                if _adds_to(ast.BinOp(left=n.target, op=n.op, right=n.value), counter) is None:
                    return None
            elif isinstance(n, (ast.For, ast.comprehension)) and counter in {
                    x.id for x in nodes(n.target) if isinstance(x, ast.Name)} or isinstance(n, ast.NamedExpr) and n.target.id == counter:
                return None
        if not lows or counter not in read:
            return None
        span = add_int(ir.clone(limit), (1 if inclusive else 0) - min(lows))
        trips = ast.Call(func=ast.Name(id="max", ctx=ast.Load()),
                         args=[span, ast.Constant(0)], keywords=[])
        if step != 1:
            trips = ast.BinOp(left=add_int(trips, step - 1), op=ast.FloorDiv(),
                              right=ast.Constant(step))
        return simplify(trips)

    def _indexing_counter(self, loop):
        """``(counter, limit, False, 1)`` for a ``while`` loop whose test is on
        something else (``while t < T``) but whose body, with no ``break`` or
        ``continue``, adds 1 to an int counter once per trip (``k += 1``, a
        statement of the body itself) and reads ``x[k]`` of an array parameter
        never re-bound in a statement of the body itself: a run without an
        IndexError ends before ``k`` reaches ``x.shape[0]`` (an adaptive
        Euler-Maruyama loop reading ``noise[k]``), so that bounds its trips as a
        test ``k < x.shape[0]`` would (the counter's other assignments are checked
        as for one); None otherwise."""
        # (the statements before the first that may leave the trip: a test moved to
        # the end of the body, ``while True: ...; if not t < T: break``, comes after)
        body = []
        for st in loop.body:
            if any(isinstance(n, (ast.Break, ast.Continue)) for n in nodes(st)):
                break
            body.append(st)
        counters = [st.targets[0].id for st in body if isinstance(st, ast.Assign)
                    and isinstance(st.targets[0], ast.Name)
                    and _adds_to(st.value, st.targets[0].id) == 1]
        counters += [st.target.id for st in body if isinstance(st, ast.AugAssign)
                     and isinstance(st.target, ast.Name)
                     and _adds_to(ast.BinOp(left=st.target, op=st.op, right=st.value),
                                  st.target.id) == 1]
        for k in counters:
            if sum(k in stored_names(st) for st in loop.body) != 1:
                continue
            for st in body:
                if not (isinstance(st, ast.Assign) and isinstance(st.value, ast.Subscript)):
                    continue
                x, index = st.value.value, st.value.slice
                if isinstance(x, ast.Name) and isinstance(index, ast.Name) and \
                        index.id == k and x.id in self.params and not self.sites.get(x.id) \
                        and self.types.get(x.id) is not None and self.types[x.id].is_array:
                    limit = ast.Subscript(
                        value=ast.Attribute(value=ast.Name(id=x.id, ctx=ast.Load()),
                                            attr="shape", ctx=ast.Load()),
                        slice=ast.Constant(0), ctx=ast.Load())
                    return (k, limit, False, 1)
        return None

    def item_type(self, base, index):
        """The type of ``base[index]`` when it is one element (pushed on an item tape)."""
        t = self.types.get(base)
        if t is None or not t.is_array or has_slice(index) or index_ndim(t, index, self.types) != 0:
            return None
        return scalar(t.dtype)

    def saved_ndim(self, base, index) -> int:
        """The number of dimensions of ``base[index]`` as a store saves it (0: an
        element; a row and a block of one array go on tapes of their own)."""
        t = self.types.get(base)
        if self.item_type(base, index) is not None or t is None or not t.is_array:
            return 0
        return max(index_ndim(t, index, self.types), 1)

    def listed_vars(self) -> set:
        """Saved variables with a list tape: some save of theirs is not indexed."""
        return {v for v in self.saved_vars if v in self.snapshot_vars or any(
            v == var and (sid, var) not in self.indexed_scalars and (sid, var) not in self.peeked
            for sid, var in self.save_at)}


def _adds_to(e, var):
    """``c`` where ``e`` is ``var + c`` (or ``c + var``) for a positive int constant
    ``c``, else None."""
    if not (isinstance(e, ast.BinOp) and isinstance(e.op, ast.Add)):
        return None
    for a, b in ((e.left, e.right), (e.right, e.left)):
        if isinstance(a, ast.Name) and a.id == var and isinstance(b, ast.Constant) and \
                type(b.value) is int and b.value > 0:
            return b.value
    return None


def _row_of_fixed(value, types, fixed) -> bool:
    """``X[i]`` / ``X[i, j]``: whole-number indices (names or constants) into an
    array of one shape, leaving at least one axis."""
    if not (isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name)
            and value.value.id in fixed):
        return False
    elts = value.slice.elts if isinstance(value.slice, ast.Tuple) else [value.slice]
    t = types.get(value.value.id)
    return t is not None and len(elts) < t.ndim and all(
        isinstance(e, ast.Constant) and type(e.value) is int or
        isinstance(e, ast.Name) and types.get(e.id) is not None and types[e.id].kind == "int"
        for e in elts)


def has_slice(index) -> bool:
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return any(isinstance(p, ast.Slice) for p in parts)


def index_arrays(index, types, kinds="iub") -> list:
    """The index arrays of a subscript (of dtype kind in ``kinds``): ``[idx]``
    for ``x[idx]``, ``[rows, cols]`` for ``Z[rows, cols]``, ``[cols]`` for
    ``Z[i, cols]``; empty for basic indexing."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return [p for p in parts if isinstance(p, ast.Name) and types.get(p.id) is not None
            and types[p.id].is_array and types[p.id].dtype.kind in kinds]


def index_ndim(base_t, index, types) -> int:
    """The number of dimensions ``base[index]`` has (at least 1 with an index
    array: ``G[idx]`` is several elements, never one)."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    if index_arrays(index, types):
        return max(1, base_t.ndim - len(parts) + 1)
    ints = sum(1 for p in parts if not isinstance(p, ast.Slice))
    return base_t.ndim - ints



def _own_reads(st) -> set:
    """Names a statement reads itself (a compound statement: its test or range)."""
    if isinstance(st, (ast.If, ast.While)):
        part = [st.test]
    elif isinstance(st, ast.For):
        part = [st.iter]
    else:
        part = [st]
    return {n.id for p in part for n in nodes(p) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)}


def _own_targets(st) -> set:
    if isinstance(st, (ast.If, ast.While)):
        return set()
    if isinstance(st, ast.For):
        return {st.target.id}
    return {n.id for n in nodes(st) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def final_value_locals(loop, after, active) -> set:
    """Variables of a loop body (indices, flags, trip counters: a bisection's
    ``lo``/``hi``; running sums) that a fused iteration needs no tape for: each
    is assigned before any read in the body's program order, unused after the
    loop, and every statement with adjoint code that reads it comes after its
    last assignment (at the body's top level), so the reverse part only ever
    reads its final value."""
    flat = list(walk(loop.body))
    reads = {id(x): _own_reads(x) for x in flat}
    targets = {id(x): _own_targets(x) for x in flat}
    first_seen, read_first = set(), set()
    for st in flat:
        read_first |= reads[id(st)] - first_seen
        first_seen |= reads[id(st)] | targets[id(st)]
    assigned = set().union(*targets.values())
    used_after = {n.id for st in after for n in nodes(st) if isinstance(n, ast.Name)}
    candidates = assigned - read_first - used_after - {loop.target.id}
    # an active one only when every assignment's reverse leaves its old value
    # unread: ``v = e`` not reading v, or ``v += e`` (a running sum)
    kept_old = set()
    for x in flat:
        for v in targets[id(x)] & candidates & active:
            if not (_additive(x, v) or ir.KIND(x) == ir.Kind.ASSIGN and v not in reads[id(x)]):
                kept_old.add(v)
    candidates -= kept_old
    # each top-level statement of the body with the statements nested in it
    tops = [list(walk([st])) for st in loop.body]
    top_targets = [set().union(*(targets[id(x)] for x in sub)) for sub in tops]
    with_adjoint = [any(targets[id(x)] & active or ir.KIND(x) in
                        (ir.Kind.STORE, ir.Kind.AUGSTORE) for x in sub) for sub in tops]
    # per top-level statement: the candidates it assigns, and those it reads
    # other than as a running sum's own operand (statements with adjoint code only)
    last, first_reader = {}, {}
    for k, sub in enumerate(tops):
        for v in top_targets[k] & candidates:
            last[v] = k
        if not with_adjoint[k]:
            continue
        for x in sub:
            for v in reads[id(x)] & candidates:
                if v not in first_reader and not _additive(x, v):
                    first_reader[v] = k
    # the trip counter of a loop nested in another loop of the body: each run of
    # the outer one sets it afresh, and the reverse of each run replays that
    # run's trips (a step-halving ``while`` in a Newton ``while`` per data point)
    repeated = {ir.COUNT(inner) for outer in flat if isinstance(outer, (ast.For, ast.While))
                for inner in walk(outer.body) if isinstance(inner, (ast.For, ast.While))} - {None}
    return {v for v in candidates if first_reader.get(v, len(tops)) > last[v]} - repeated


def _additive(st, v) -> bool:
    """``v += e`` / ``v -= e`` (e not v): its adjoint does not read v."""
    return ir.KIND(st) == ir.Kind.ACCUMULATE and st.targets[0].id == v and \
        isinstance(st.value.op, (ast.Add, ast.Sub)) and v not in free_names(st.value.right)


def assigned_once(stmts) -> set:
    """Names assigned by exactly one statement of ``stmts`` (nested ones included)."""
    counts: dict = {}
    for st in walk(stmts):
        if ir.KIND(st) in (ir.Kind.ASSIGN, ir.Kind.UNPACK, ir.Kind.ACCUMULATE):
            targets = st.targets[0].elts if isinstance(st.targets[0], ast.Tuple) \
                else st.targets
            for t in targets:
                if isinstance(t, ast.Name):
                    counts[t.id] = counts.get(t.id, 0) + 1
    return {v for v, c in counts.items() if c == 1}


def _adds(stmt, var) -> bool:
    """``stmt`` is ``total += var`` or ``total -= var`` (normalized: ``total =
    total + var``), whose adjoint does not read ``var``."""
    if isinstance(stmt, ast.AugAssign):
        op, value = stmt.op, stmt.value
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
            isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.BinOp) and \
            isinstance(stmt.value.left, ast.Name) and stmt.value.left.id == stmt.targets[0].id:
        op, value = stmt.value.op, stmt.value.right
    else:
        return False
    return isinstance(op, (ast.Add, ast.Sub)) and isinstance(value, ast.Name) and \
        value.id == var


def iteration_locals(loop, after) -> set:
    """Scalar variables that ``loop``'s body assigns before any read of them,
    at its top level or in a branch that alone reads them, and that nothing
    after the loop reads: each iteration's value is its own (no
    loop-carried dependence)."""
    return _block_locals(loop.body, after) - {loop.target.id}


def _block_locals(stmts, after) -> set:
    assigned, read_first = set(), set()
    for st in stmts:
        kind = ir.KIND(st)
        reads = {n.id for n in nodes(st.value if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE) else st)
                 if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        read_first |= reads - assigned
        if kind == ir.Kind.ASSIGN and isinstance(st.targets[0], ast.Name):
            assigned.add(st.targets[0].id)
        elif kind == ir.Kind.ACCUMULATE:
            read_first.add(st.targets[0].id)
        elif isinstance(st, ast.If):
            # bound in both branches (``m = a if a > b else b`` written as an if)
            assigned |= _bound_in_block(st.body) & _bound_in_block(st.orelse)
        elif isinstance(st, ast.While) and isinstance(st.test, ast.Constant) and \
                st.test.value is True:
            # a ``while True`` runs its body's first trip: what the body itself
            # binds before anything that may leave it (the exit test at its end)
            # is bound when it ends
            for b in st.body:
                if any(isinstance(n, ast.Break) for n in nodes(b)):
                    break
                if ir.KIND(b) == ir.Kind.ASSIGN and isinstance(b.targets[0], ast.Name):
                    assigned.add(b.targets[0].id)
    used_after = {n.id for st in after for n in nodes(st) if isinstance(n, ast.Name)}
    out = assigned - read_first - used_after
    for k, st in enumerate(stmts):
        if isinstance(st, ast.If):
            # (in a loop body, the statements before the branch run again in the
            # next iteration, after it: they may read what it assigned)
            rest = stmts[k + 1:] + stmts[:k] + list(after)
            out |= _block_locals(st.body, st.orelse + rest) | \
                _block_locals(st.orelse, st.body + rest)
    return out


def _bound_in_block(stmts) -> set:
    """Names a block binds whichever way its branches go."""
    out = set()
    for st in stmts:
        if ir.KIND(st) == ir.Kind.ASSIGN and isinstance(st.targets[0], ast.Name):
            out.add(st.targets[0].id)
        elif isinstance(st, ast.If):
            out |= _bound_in_block(st.body) & _bound_in_block(st.orelse)
    return out


def inner_iteration_locals(loop, after) -> set:
    """The iteration locals (``iteration_locals``) of the loops nested in
    ``loop``'s body (in its branches too; a ``while`` loop's test reads
    before its body), unread after them: local to an outer iteration as
    well.  Only adjoints may rely on this: the inner loop overwrites these
    values from one of its iterations to the next."""
    return _nested_locals(loop.body, after)


def _nested_locals(stmts, after) -> set:
    out = set()
    for k, st in enumerate(stmts):
        # (the statements before the inner loop run again in the next
        # iteration of the outer one: they may read the inner loop's last values)
        rest = stmts[k + 1:] + stmts[:k] + list(after)
        if isinstance(st, ast.For):
            out |= iteration_locals(st, rest) | _nested_locals(st.body, rest)
        elif isinstance(st, ast.While):
            rest = rest + [ast.Expr(value=st.test)]
            out |= _block_locals(st.body, rest) | _nested_locals(st.body, rest)
        elif isinstance(st, ast.If):
            out |= _nested_locals(st.body, st.orelse + rest) | \
                _nested_locals(st.orelse, st.body + rest)
    return out


def _reads_values(stmt, array) -> bool:
    """``stmt`` reads elements of ``array`` (its shape aside; ``a[i] += v``
    reads the element too, but its adjoint does not)."""
    shape_of = {id(n.value) for n in nodes(stmt)
                if isinstance(n, ast.Attribute) and n.attr in ("shape", "size", "ndim")}
    aug_targets = {id(n.target.value) for n in nodes(stmt)
                   if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Subscript)}
    store_targets = {id(n.value) for n in nodes(stmt)
                     if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store)}
    return any(isinstance(n, ast.Name) and n.id == array and isinstance(n.ctx, ast.Load)
               and id(n) not in shape_of | aug_targets | store_targets
               for n in nodes(stmt))


def _assignments_with_rest(top, rest):
    """``(statement, what runs after it in the iteration)`` for ``top`` and the
    statements of the ``if`` blocks in it (not of nested loops), ``rest``
    being what follows ``top`` in the loop body."""
    if isinstance(top, ast.If):
        for block in (top.body, top.orelse):
            for k, s in enumerate(block):
                yield from _assignments_with_rest(s, block[k + 1:] + list(rest))
    elif not isinstance(top, (ast.For, ast.While)):
        yield top, list(rest)


def _read_actively(stmts, var, active) -> bool:
    """A statement of ``stmts`` with an active target reads ``var``, other than
    an accumulation into ``var`` itself (``sw += w``: its adjoint reads ``w``'s
    operands, never ``sw``)."""
    for st in walk(stmts):
        if isinstance(st, (ast.If, ast.For, ast.While)) or var not in free_names(st):
            continue
        if ir.KIND(st) == ir.Kind.ACCUMULATE and isinstance(st.targets[0], ast.Name) \
                and st.targets[0].id == var and var not in free_names(st.value.right):
            continue
        targets = getattr(st, "targets", None) or [getattr(st, "target", None)]
        names = {n.id for t in targets if t is not None for n in nodes(t)
                 if isinstance(n, ast.Name)}
        if names & active:
            return True
    return False


def _feeds_adjoint(stmts, var, active) -> bool:
    """A statement of ``stmts`` with an active target reads ``var`` or a value
    computed from it (through assignments of inactive scalars: ``fx = x - i``
    read by ``w = (1.0 - fx) * mu[i, j]``): its adjoint reads what ``var``
    gives, so that a snapshot of ``var`` lets the reverse recompute it."""
    reached, grown = {var}, True
    while grown:
        grown = False
        for name in reached:
            if _read_actively(stmts, name, active):
                return True
        for st in walk(stmts):
            if ir.KIND(st) == ir.Kind.ASSIGN and isinstance(st.targets[0], ast.Name) and \
                    st.targets[0].id not in reached and free_names(st.value) & reached:
                reached.add(st.targets[0].id)
                grown = True
    return False


def _names_read(stmts) -> set:
    """The names ``stmts`` read."""
    return {n.id for st in stmts for n in nodes(st)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _reads_with_adjoint(stmt, var, active) -> bool:
    """``stmt`` (or a statement in it) reads ``var`` and has an adjoint that
    might read it, or is a test that reads it."""
    if isinstance(stmt, (ast.If, ast.While)):
        return var in free_names(stmt.test) or \
            any(_reads_with_adjoint(s, var, active) for s in stmt.body + stmt.orelse)
    if isinstance(stmt, ast.For):
        return var in free_names(stmt.iter) or \
            any(_reads_with_adjoint(s, var, active) for s in stmt.body + stmt.orelse)
    if var not in free_names(stmt):
        return False
    return not (ir.KIND(stmt) == ir.Kind.ASSIGN and isinstance(stmt.targets[0], ast.Name)
                and stmt.targets[0].id not in active)


def _carried_from_inside(loop) -> set:
    """Names a loop's body may read before binding them in the same iteration."""
    return exposed_reads(loop.body)


