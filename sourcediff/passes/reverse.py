"""Reverse mode: from a normalized, typed function to its adjoint.

The generated function runs a *forward sweep* (the normalized primal, plus
saves of values the reverse sweep needs but that get overwritten, on the
tapes passes/tape.py lays out: arrays with a slot per iteration, stacks,
lists) and a *reverse sweep* (the statements in reverse order, each followed
by the restoring read or pop).  Invariant: when the reverse sweep reaches a
statement, every variable it reads holds the value it had when the forward
sweep ran that statement.

What is stored (and where: an array, a stack or a list), recomputed,
undone, checkpointed or fused is the plan of passes/planner.py; this module
follows it statement by statement.  The choices left here are local to the
code being emitted: which rule a statement's adjoint applies, where an
adjoint buffer is made (``hoisted_loop``), and whether a fusion the plan
proposes holds for the emitted reverse iteration (``fuse_loop``).
"""
from __future__ import annotations

import ast
import copy
import itertools
import keyword
from dataclasses import dataclass

import numpy as _np

from .. import ir
from ..names import Namer
from ..rules import registry
from ..rules.arrayfuncs import VIEW_NAMES
from ..rules.registry import ELEMENTWISE_OPS
from . import kept_rows
from .activity import analyze_activity, diff_operands
from .array_loops import fuse_array_statements
from .ascending import ascend_independent_loops
from .astutil import (
    SHAPE_ATTRIBUTES,
    add_int,
    free_names,
    is_costly,
    nodes,
    simplify,
    stored_names,
    substitute,
    walk,
)
from .astutil import assign as _assign
from .astutil import aug as _aug
from .astutil import call as _call
from .astutil import const as _const
from .astutil import is_const as _is_const
from .astutil import name as _name
from .buffers import (
    forward_assignment,
    inverse_assignment,
)
from .copies import drop_needless_copies
from .dead_restores import dead_restores
from .first_adds import assign_first_adds
from .hoist_adjoints import (
    hoist_adjoint_inits,
    reuse_loop_adjoint_buffers,
    sink_adjoint_zeroings,
)
from .invariant_sums import sum_invariant_adds
from .invariant_transposes import hoist_reverse_transposes
from .numba_calls import lower_for_numba
from .partial_sums import sum_inner_loops
from .peel_ends import peel_ends
from .plan_report import plan_lines
from .planner import (
    Planner,
    has_slice,
    index_arrays,
    index_ndim,
    inner_iteration_locals,
    iteration_locals,
)
from .products import match_product_layouts
from .rerun import kept_length
from .restore_loops import restore_after_loops, save_before_loops, unread_puts_back
from .rolling_sums import roll_neighbour_adds
from .rulecall import RuleInfo, bind_template, constants_of, rule_inputs
from .selects import number_kind, select_branches
from .shapes import shape_axes
from .sink import Adjoints, sink_adjoints
from .small_linalg_calls import call_small_forms, small_matrices
from .split_adds import split_neighbour_adds
from .stack_tops import reset_stack_tops
from .tape import STACK_START, tape_traffic
from .types import T
from .unbroadcasts import drop_same_shape_unbroadcasts
from .unread_resets import drop_unread_resets
from .view_adjoints import bind_view_adjoints

# calls of generated code that read only the shape of the arguments at these
# positions (the dtype too, fixed by the types)
SHAPE_ARGUMENTS = {"unbroadcast": (1,), "reuse_zeros": (1,), "np.zeros_like": (0,),
                   "np.empty_like": (0,), "np.ones_like": (0,)}


def _leaving(stmts, flag) -> list:
    """``stmts`` with each ``break`` of theirs (not of a loop inside them) first
    setting ``flag``."""
    out = []
    for st in stmts:
        if isinstance(st, ast.Break):
            out.append(_assign(flag, _const(True), ir.LINE(st)))
        elif isinstance(st, ast.If):
            st.body, st.orelse = _leaving(st.body, flag), _leaving(st.orelse, flag)
        out.append(st)
    return out


def _tape(stmt, role, tape, item=None):
    """Mark a generated statement as an operation on a tape (``ir.TAPE``)."""
    ir.TAPE.set(stmt, ir.TapeOp(role, tape, item))
    return stmt


def _zeroed(adj, var, line):
    """``adj = np.zeros_like(var)``, marked as an adjoint buffer (``ir.ADJOINT_INIT``)."""
    s = _assign(adj, _call("np.zeros_like", _name(var)), line)
    ir.ADJOINT_INIT.set(s, adj)
    return s




def _wrapped(plan, fused, nest):
    """``fused`` (the innermost loop of ``nest``, fused) inside copies of the
    loops around it in the nest."""
    for outer in reversed(nest[:-1]):
        wrapper = copy.copy(outer)
        wrapper.body = [fused]
        plan.checkpointed.pop(id(outer), None)
        fused = wrapper
    return fused


@dataclass
class Fused:
    """The adjoint's parts around a fused loop, in the order they run: the
    ``forward`` sweep, the reverse of the statements after the loop that
    give its seeds (``seeds``), the fused loops (``companions``, then
    ``loop``), those statements (``tail``), the ``reverse`` sweep of the
    statements before them."""
    forward: list
    loop: ast.For
    reverse: list
    moved: list              # statements that follow the loop in the source
    seeds: list
    tail: list
    companions: list         # (source loop, fused loop): others fused, run just before


class ReverseTransformer:
    """Builds the adjoint of one normalized function."""

    def __init__(self, fn: ast.FunctionDef, types: dict, wrt: list, mode: str, names: set,
                 callee_adjoint=None, error=None, checkpoint=None, prefer_store=frozenset(),
                 same_shape=None, param_shapes=None, scratch=True, same_axes=None,
                 stored_reads=frozenset(), growable=True, rows=None):
        self.fn = fn
        # scratch arrays of the adjoint's own (split_adds' rows): not in a CUDA kernel
        self.scratch = scratch
        # stacks sized by a while loop's bound start small and grow (StackTape.grows):
        # not in a batch's element, whose tapes the driver allocates
        self.growable = growable
        # checkpoint: None, True (segments of about sqrt(trip count) iterations) or an int
        # (a snapshot every that many iterations) for the top-level ``for`` loops
        self.checkpoint = checkpoint
        self._plain = False               # forward sweep without tape (checkpointed loop)
        self._in_segment = False          # re-run of a checkpointed segment
        self.error = error
        self.types = types
        self.wrt = wrt
        self.mode = mode                  # 'grad' (seed 1.0) or 'vjp' (seed argument)
        self.params = [a.arg for a in fn.args.args]
        self.used = set(names) | set(self.params) | {
            n.id for n in nodes(fn) if isinstance(n, ast.Name)}
        self.namer = Namer(self.used)     # x, x2, x3, ...
        # f(pyfunc, argtypes) -> (vjp name, diff flags, element-read flags)
        self.callee_adjoint = callee_adjoint
        self.ret = fn.body[-1]
        self.ret_name = self.ret.value.id if isinstance(self.ret.value, ast.Name) else None
        self.tuple_params = ir.TUPLE_PARAMS(fn, {})
        expanded = []
        for p in wrt:
            if p in self.tuple_params:
                if p in ir.TUPLE_WHOLE(fn, set()):
                    raise error(fn, f"tuple argument '{p}' can be differentiated only when it "
                                    "is unpacked or indexed with constants")
                expanded += self.tuple_params[p]
            else:
                expanded.append(p)
        self.active = analyze_activity(fn, types, expanded,
                                       [self.ret_name] if self.ret_name else [])
        self.plan = Planner(fn, types, self.params, self.active, self.ret_name, mode,
                            checkpoint, error, self.fresh_cached, prefer_store, same_shape,
                            param_shapes, same_axes, stored_reads, rows, growable)
        self.adj_names: dict[str, str] = {}
        self.tmp = itertools.count(1)
        self.helpers_used: set = set()
        # the locals of rules applied to numbers only (``_dx = dz / y``): number
        # adjoints for passes/sink.py, like the adjoints of variables
        self.number_locals: set = set()
        self.kept_read: set = set()      # kept nests' tapes the adjoint reads (_drop_unread_kept)

    # -- names -----------------------------------------------------------
    def fresh(self, base):
        return self.namer.fresh(base)

    def adj(self, var) -> str:
        name = self.adj_names.get(var)
        if name is None:
            base = "_d" + var[1:] if var.startswith("_") else "d" + var
            if base in self.used or keyword.iskeyword(base):      # ``el``: ``d_el``, not ``del``
                base = "d_" + var.lstrip("_")
            name = self.adj_names[var] = self.fresh(base)
        return name

    def is_active(self, atom) -> bool:
        return isinstance(atom, ast.Name) and atom.id in self.active

    def type(self, atom) -> T | None:
        if isinstance(atom, ast.Name):
            return self.types.get(atom.id)
        return None

    # -- analysis --------------------------------------------------------
    def forward_permutation(self, s) -> list:
        """The primal's rebinding as one tuple assignment (its temporaries are
        read nowhere else), the adjoint buffers following it."""
        perm = self.plan.permutations[id(s)]
        if s is not perm.stmts[-1]:
            return []
        out = [forward_assignment(perm)]
        # (a checkpointed segment's re-run finds the buffers paired with the
        # names at its end already: they stay)
        if perm.names[0] in self.active and not self._in_segment:
            out.append(forward_assignment(perm, self.adj))
        for st in out:
            ir.LINE.set(st, ir.LINE(s))
        return out

    def reverse_permutation(self, s) -> list:
        """The inverse permutation of the names and of their adjoint buffers
        (once, at the permutation's last statement)."""
        perm = self.plan.permutations[id(s)]
        if s is not perm.stmts[-1]:
            return []
        line = ir.LINE(s)
        self.read(*[_name(x) for x in perm.names])
        out = [inverse_assignment(perm)]
        if perm.names[0] in self.active:
            out.append(inverse_assignment(perm, self.adj))
        for st in out:
            ir.LINE.set(st, line)
        return out

    def moved_back(self, s):
        """``dy, dx = dx, dy``: the array goes back to ``y`` with its adjoint."""
        x, y = s.targets[0].id, s.value.id
        swap = ast.Assign(targets=[ast.Tuple(elts=[_name(self.adj(y), True),
                                                   _name(self.adj(x), True)], ctx=ast.Store())],
                          value=ast.Tuple(elts=[_name(self.adj(x)), _name(self.adj(y))],
                                          ctx=ast.Load()))
        ir.LINE.set(swap, ir.LINE(s))
        return swap

    # -- checkpointing ---------------------------------------------------
    def checkpoint_every(self, lo, hi):
        if self.checkpoint is True:
            # about sqrt(trip count) iterations per segment
            n = ast.BinOp(left=ir.clone(hi), op=ast.Sub(), right=ir.clone(lo))
            root = _call("math.sqrt", _call("max", simplify(n), _const(1)))
            return _call("int", root)
        return _const(int(self.checkpoint))

    def loop_bounds(self, s):
        args = s.iter.args
        return (_const(0), args[0]) if len(args) == 1 else (args[0], args[1])

    def checkpointed_forward(self, s) -> list:
        line = ir.LINE(s)
        lo, hi = self.loop_bounds(s)
        every = self.fresh_cached("_every", ("every", id(s)))
        out = [_assign(every, self.checkpoint_every(lo, hi), line)]
        ir.NOTE.set(out[0], "checkpointed: no tape, a snapshot of the loop's state every "
                    f"{every} iterations")
        out += self.indexed_allocations(s)       # filled segment by segment in reverse
        if (id(s), s.target.id) in self.plan.save_at:
            out += self.push(s.target.id, line)
        pos = _name(s.target.id) if _is_const(lo, 0) else ast.BinOp(
            left=_name(s.target.id), op=ast.Sub(), right=ir.clone(lo))
        test = ast.Compare(left=ast.BinOp(left=pos, op=ast.Mod(), right=_name(every)),
                           ops=[ast.Eq()], comparators=[_const(0)])
        snaps = []
        for v in self.plan.checkpointed[id(s)]:
            value = _name(v)
            if self.types[v].is_array:
                value = ast.Call(func=ast.Attribute(value=value, attr="copy", ctx=ast.Load()),
                                 args=[], keywords=[])
            snaps.append(_tape(ast.Expr(value=ast.Call(
                func=ast.Attribute(value=_name(self.checkpoint_stack(v)), attr="append",
                                   ctx=ast.Load()), args=[value], keywords=[])),
                "push", self.checkpoint_stack(v), self.types.get(v)))
        self._plain = True
        try:
            body = self.forward_block(s.body)
        finally:
            self._plain = False
        new = copy.copy(s)
        new.body = ([ast.If(test=test, body=snaps, orelse=[])] if snaps else []) + body
        return out + [new]

    def checkpoint_stack(self, var) -> str:
        return self.fresh_cached("_ckpt_" + var.lstrip("_"), ("ckpt", var))

    def checkpointed_reverse(self, s) -> list:
        line = ir.LINE(s)
        lo, hi = self.loop_bounds(s)
        every = self.fresh_cached("_every", ("every", id(s)))
        start = self.fresh_cached("_start", ("start", id(s)))
        stop = self.fresh_cached("_stop", ("stop", id(s)))
        self.read(*s.iter.args)
        # the re-run reads the loop's inputs: they must hold their values then
        inputs = set()
        for n in s.body:
            inputs |= free_names(n)
        self.reads |= inputs - self.plan.assigned_in(s)
        for name in inputs - self.plan.assigned_in(s):
            self.read_at.setdefault(name, set()).add(id(self._top))
        # the last segment starts at lo + every * ((hi - lo - 1) // every)
        span = ast.BinOp(left=ast.BinOp(left=ir.clone(hi), op=ast.Sub(),
                                        right=ir.clone(lo)), op=ast.Sub(), right=_const(1))
        last = ast.BinOp(left=ast.BinOp(left=simplify(span), op=ast.FloorDiv(),
                                        right=_name(every)), op=ast.Mult(), right=_name(every))
        if not _is_const(lo, 0):
            last = ast.BinOp(left=ir.clone(lo), op=ast.Add(), right=last)
        stop_lo = ast.BinOp(left=ir.clone(lo), op=ast.Sub(), right=_const(1))
        segs = ast.Call(func=_name("range"),
                        args=[simplify(last), simplify(stop_lo),
                              ast.UnaryOp(op=ast.USub(), operand=_name(every))], keywords=[])
        body = [_assign(stop, _call("min", ast.BinOp(left=_name(start), op=ast.Add(),
                                                      right=_name(every)),
                                    ir.clone(hi)), line)]
        for v in reversed(self.plan.checkpointed[id(s)]):
            pop = ast.Call(func=ast.Attribute(value=_name(self.checkpoint_stack(v)), attr="pop",
                                              ctx=ast.Load()), args=[], keywords=[])
            body.append(_tape(_assign(v, pop, line), "pop", self.checkpoint_stack(v)))
        saved_iter, saved_target_save = s.iter, (id(s), s.target.id) in self.plan.save_at
        s.iter = ast.Call(func=_name("range"), args=[_name(start), _name(stop)], keywords=[])
        self.plan.save_at.discard((id(s), s.target.id))
        self._in_segment = True
        try:
            body += self.forward_stmt(s)
            body += self.segment_buffers(s)
            body += self.reverse_loop(s)
        finally:
            self._in_segment = False
            s.iter = saved_iter
            if saved_target_save:
                self.plan.save_at.add((id(s), s.target.id))
        loop = ast.For(target=_name(start, True), iter=segs, body=body, orelse=[],
                       type_comment=None)
        ir.LINE.set(loop, line)
        ir.NOTE.set(loop, "checkpointed: each segment, last first: restore its snapshot, "
                    "re-run with tape, reverse")
        out = [loop]
        if saved_target_save:
            out += self.restore(s.target.id, line)
        return out

    def segment_buffers(self, s) -> list:
        """The adjoint buffers of the arrays a segment's iterations make, sized
        for its last iteration.  Reversing an iteration restores the value each
        had before it and sizes the buffer from that; at the first iteration of
        a segment that value is not of the previous iteration (no snapshot holds
        it), so when the arrays can change shape from one iteration to the next
        (``u = u[1:] * dt + u[:-1]``) the next segment would start with buffers
        of the wrong shape.  Arrays read after the loop are left alone (their
        buffers hold what the code after the loop gave them)."""
        state = set(self.plan.checkpointed[id(s)])
        body = self.plan.fn.body
        after = set()
        for st in body[body.index(s) + 1:] if s in body else []:
            after |= free_names(st)
        out = []
        for var in sorted(self.plan.assigned_in(s) - state - after - self.plan.fixed_shapes):
            t = self.types.get(var)
            if var in self.active and t is not None and t.is_array and var not in self.plan.direct:
                out.append(_zeroed(self.adj(var), var, ir.LINE(s)))
        return out

    # -- entry -----------------------------------------------------------
    def run(self, fname: str) -> ast.FunctionDef:
        """The adjoint, following the plan (passes/planner.py)."""
        self.hoisted: dict = {}          # id(loop) -> {var: line}: adjoint buffers made after it
        self.inner_fused: set = set()    # id(emitted loop): fused inside a fused loop
        self._fusing = False
        self.opaque_tests, self.opaque_consts = foldable_conditions(self.fn)
        self.plan.analyze()
        self.plan.storage()
        self.element_saves: dict = {}        # ``tape[slot] = a[i]``, by id (kept)
        # the plan follows what the reverse sweep reads, which may need saving in turn
        while True:
            self.saved_items: set = set()
            # id -> statement (kept, so no other statement takes its id)
            self.element_restores: dict = {}     # ``a[i] = tape[slot]``
            self.element_pops: dict = {}         # ``a[i] = stack[top]`` / ``.pop()``
            self.scalar_restores: dict = {}      # ``x = tape[slot]`` / ``.pop()``
            self.snapshot_restores: dict = {}    # the same of snapshots: (id(loop), var)
            self.reversed_loops: set = set()     # id(loop): its reverse loop is emitted
            self.reads: set = set()
            self.read_at: dict = {}      # name -> id(statements of the body) whose reverse reads it
            self._top = None
            self.shape_reads: set = set()
            reverse = self.reverse_block(self.fn.body)
            if self.plan.decide(self.reads, self.shape_reads, self.primal_names(), self.read_at):
                continue
            dead = dead_restores(reverse, {**self.scalar_restores, **self.snapshot_restores},
                                 free_names(self.gradients()))
            snapshots = dead & {key for _, key in self.snapshot_restores.values()}
            if self.plan.drop_dead_snapshots(snapshots) or \
                    self.plan.drop_dead_restores(dead - snapshots):
                continue
            if not self.plan.drop_unread_items(unread_puts_back(
                    reverse, {**self.element_restores, **self.element_pops}, self.plan.sole,
                    [set(p.names) for p in self.plan.permutations.values()],
                    free_names(self.gradients()))):
                break
        fused = self.try_fuse()
        if fused is not None:
            return ir.PLAN.set(self.assemble(fname, fused.forward, fused.reverse, fused),
                               plan_lines(self.plan, self, fused.loop, fused.moved,
                                          fused.tail, [c for c, _ in fused.companions]))
        forward = self.forward_block(self.fn.body)
        return ir.PLAN.set(self.assemble(fname, forward, reverse),
                           plan_lines(self.plan, self))

    def element_saved_arrays(self) -> frozenset:
        """The arrays whose elements the forward sweep saves before loops
        overwrite them, with every name their values go by (a buffer swap):
        candidates for ``stored_reads``."""
        saved = {var[:-2] for _, var in self.plan.save_at if var.endswith("[]")}
        for x, y in self.plan.value_flow:
            if x in saved or y in saved:
                saved |= {x, y}
        return frozenset(saved)

    def tape_traffic(self, fn) -> int:
        """The memory traffic of ``fn``'s tapes (passes/tape.py)."""
        tapes = {n for n in self.namer.made.values() if n.startswith("_saved")}
        return tape_traffic(fn, tapes)

    def costly_recomputed(self, every_loop=True) -> frozenset:
        """The loops whose reverse iterations recompute a costly value (an
        ``exp``) from values the loop changes: built again with these in
        ``prefer_store``, the value is stored instead: on a tape holding one
        iteration in a fused loop, in a slot per iteration (an array allocated
        once) elsewhere, an 8-byte store and load against an ``exp``.
        ``every_loop=False``: the fused loops (and the loops inside) only."""
        loops = [s for s in walk(self.fn.body) if id(s) in self.plan.per_iteration]
        inside = {id(s) for lp in loops for s in walk([lp]) if isinstance(s, ast.For)}
        # (a value a branch's reverse re-runs is stored only where the tape holds one
        # iteration: elsewhere, a tape of every inner iteration (an SPH pair loop's
        # sqrt, N * N values a step) costs more than the call; passes/rerun.py)
        fused = set(inside)
        if every_loop:
            inside |= {id(s) for s in walk(self.fn.body) if isinstance(s, ast.For)}
        loops = {id(s): s for s in walk(self.fn.body) if isinstance(s, ast.For)}
        return frozenset(i for i in inside if any(
            ir.KIND(st) == ir.Kind.ASSIGN and is_costly(st.value) and
            free_names(st.value) & self.plan.assigned_in(loops[i])
            for st in self.recomputation_read(i) + (self.branch_recomputed(i) if i in fused
                                                     else [])))

    def branch_recomputed(self, loop_id) -> list:
        """The assignments re-run where the reverse of a branch of the loop's
        body starts (passes/rerun.py ``_branch_values``)."""
        chosen = self.plan.rerun.get(loop_id)
        return [st for values in chosen.branches.values() for st in values] if chosen else []

    def recomputation_read(self, loop_id) -> list:
        """The statements the plan re-runs in each reverse iteration of a loop
        whose values the reverse sweep reads (directly or through others)."""
        chosen = self.plan.rerun.get(loop_id)
        if chosen is None:
            return []
        makers: dict = {}
        kept = self.kept_nests(chosen, loop_id)
        for st in chosen.stmts:
            if id(st) in kept:
                # (no statement before a kept nest reads what it keeps: passes/rerun.py)
                for v in chosen.kept.get(id(st), ()):
                    makers[v] = [st]
                continue
            for v in self.rerun_outputs(chosen, st):
                makers.setdefault(v, []).append(st)
        wanted, want = set(), set()
        stack = [v for v in makers if v in self.reads or v in self.plan.needed]
        while stack:
            v = stack.pop()
            if v in wanted:
                continue
            wanted.add(v)
            for st in makers[v]:
                if id(st) not in want:
                    want.add(id(st))
                    if id(st) not in kept:
                        stack += [n for n in chosen.reads[id(st)] if n in makers]
        return [st for st in chosen.stmts if id(st) in want]

    def rerun_outputs(self, chosen, st) -> set:
        """What re-running ``st`` provides: of a loop nest, the arrays it writes
        and the numbers read after it (its iterations' own temporaries are
        recomputed or restored by its own reverse iterations)."""
        writes = chosen.writes[id(st)]
        if not isinstance(st, ast.For):
            return writes
        after = self.plan.liveness.after.get(id(st), set())
        return {v for v in writes if v in chosen.arrays or v in after}

    def try_fuse(self):
        """Run a final accumulation loop's reverse iteration right after its
        forward iteration (the order of a hand-written adjoint), where the plan
        proposes it (``Planner.fusion_candidates``) and the emitted reverse
        iteration commutes with the others (``fuse_loop``).  Scalar statements
        after the loop that read its results (the return expression) have
        their reverse run first, for the loop's seeds: allowed when that
        reverse reads nothing the loop or they compute."""
        for nest, loop, before, tail, dropped in self.plan.fusion_candidates():
            seeds = self.seeds_of(nest[0], tail)
            if seeds is None:
                continue
            fused = self.fuse_nest(nest, loop, dropped)
            if fused is None:
                continue
            # statements that followed the loop in the source and now run before it
            moved = before[self.fn.body.index(nest[0]):]
            companions, before, tail, seeds = self.fuse_companions(nest[0], before, tail, seeds)
            moved = [st for st in moved if not any(st is t for t in tail)]
            # (tapes of values one iteration overwrites are made before the loop)
            forward = self.forward_block(before)
            for top in [c for c, _ in companions] + [nest[0]]:
                forward += self.indexed_allocations(top) + self.stack_allocations(top)
            return Fused(forward, fused, self.reverse_block(before), moved, seeds,
                         self.forward_block(tail), companions)
        return None

    def fuse_companions(self, top, before, tail, seeds):
        """Other loops of ``before`` that run fused too, just before ``top``'s:
        loops that commute with every statement after them (up to ``top``),
        scalar statements reading their results aside: those join the
        ``tail``, and the tail's reverse (the ``seeds``, computed first) must
        read none of the values the loops and the tail compute.
        ``([(loop, fused)], before, tail, seeds)`` without them."""
        companions = []
        for k in range(len(before) - 1, -1, -1):
            cand = before[k]
            if not isinstance(cand, ast.For) or ir.COUNT(cand):
                continue
            split = self.plan.companion(cand, before[k + 1:] + [top], tail)
            if split is None:
                continue
            joined = split + tail
            found_seeds = self.seeds_of(cand, joined)
            if found_seeds is None or self._seed_reads & stored_names(top):
                continue
            rest = [st for st in before[:k] + before[k + 1:] if st not in split]
            found = self.plan.fusion_candidate(cand, rest)
            if found is None:
                continue
            nest, loop, _, dropped = found
            fused = self.fuse_nest(nest, loop, dropped)
            if fused is None:
                continue
            companions.insert(0, (cand, fused))
            before, tail, seeds = rest, joined, found_seeds
        return companions, before, tail, seeds

    def fuse_nest(self, nest, loop, dropped):
        """``nest`` fused at its innermost ``loop`` without the saves
        ``dropped`` and with tapes holding one iteration, or None (the plan
        as it was) when its reverse iterations are not independent."""
        kept = self.plan.drop_saves(dropped)
        before_fusion = self.plan.tapes_per_iteration(nest)
        fused = self.fuse_loop(loop, self.fn.body[-1:])
        if fused is None:
            self.plan.keep_saves(kept)
            self.plan.per_iteration = before_fusion
            self.plan.storage_layout()
            return None
        # fused, a reverse iteration may put back values nothing reads any more
        # (the next forward iteration binds the name afresh): drop those saves
        # and emit the loop again, until none is left
        while dead := self.dead_in_fused(fused, nest[0]):
            saves, snapshots = dead
            carried = dict(self.plan.carried)
            for loop_id, var in snapshots:
                self.plan.carried[loop_id] = [v for v in carried[loop_id] if v != var]
            more = self.plan.drop_saves(saves, {var for _, var in snapshots})
            self.plan.storage_layout()
            again = self.fuse_loop(loop, self.fn.body[-1:])
            if again is None:
                self.plan.keep_saves(more)
                self.plan.carried = carried
                self.plan.storage_layout()
                break
            fused = again
        return _wrapped(self.plan, fused, nest)

    def dead_in_fused(self, fused, top) -> tuple | None:
        """``(saves, snapshots)`` whose puts-back in ``fused`` (the fused loop
        emitted for ``top``) nothing reads, or None: the saves as ``(id(site),
        var)``, the snapshots of loop-carried numbers (an inner loop's, saved at
        the start of each of its iterations) as ``(id(loop), var)``.
        passes/dead_restores.py over the loop, with every name mentioned outside
        ``top`` or in the gradients live after it (conservative)."""
        inside = {id(n) for n in nodes(fused)}
        restores = {k: v for k, v in {**self.scalar_restores, **self.snapshot_restores}.items()
                    if k in inside}
        if not restores:
            return None
        outside = {n.id for st in self.fn.body if st is not top for n in nodes(st)
                   if isinstance(n, ast.Name)}
        dead = dead_restores([fused], restores, outside | free_names(self.gradients()))
        snapshots = {key for _, key in self.snapshot_restores.values()} & dead
        saves = dead & self.plan.save_at
        return (saves, snapshots) if saves or snapshots else None

    def seeds_of(self, top, tail):
        """The reverse of ``tail`` where it reads none of the values ``top`` and
        ``tail`` compute and restores nothing; else None."""
        reads, self.reads = self.reads, set()
        try:
            seeds = self.reverse_block(tail)
            tail_reads = self.reads
        finally:
            self.reads = reads | self.reads
        self._seed_reads = tail_reads
        computed = stored_names(top).union(*[stored_names(st) for st in tail])
        if tail_reads & computed or any(ir.TAPE(n) is not None for st in seeds
                                        for n in nodes(st)):
            return None
        return seeds

    def fuse_loop(self, loop, after):
        """The fused loop (forward then reverse body), or None when its reverse
        iterations are not independent."""
        fwd = self.fused_forward(loop.body)
        rev = self.reverse_block(loop.body)
        if not rev or _rebinds_carried(rev, loop.body, after):
            return None
        # state restored in a reverse iteration (from a tape, by an undo) must be
        # state the next forward iteration sets afresh before reading it
        if self.plan.snapshot_vars_of(loop) or \
                not self.plan.restores_only_iteration_state(loop, after):
            return None
        adjoint_of = {v: k2 for k2, v in self.adj_names.items()}
        # adjoints of temporaries of one iteration (direct ones, and variables
        # the body assigns before any read, unused after the loop) start at
        # zero and are reset within each reverse iteration: they commute too
        local = self.plan.direct | iteration_locals(loop, after) | \
            inner_iteration_locals(loop, after) | self.plan.iteration_arrays(loop, after)
        direct = {self.adj_names[v] for v in local if v in self.adj_names}
        arrays = {a for a, v in adjoint_of.items() if self.types[v].is_array and v not in local}
        read_in_rev = {n.id for r in rev for n in nodes(r)
                       if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        for st in walk(rev):
            # an inner loop (an element loop of passes/lower.py, a scalar loop
            # over a row) runs whole within its outer iteration, a branch reads
            # the iteration's own primal values: their statements are checked
            # like the others
            if isinstance(st, ast.If):
                continue
            if isinstance(st, ast.While):
                return None
            if isinstance(st, ast.AugAssign):
                tgt = st.target.value if isinstance(st.target, ast.Subscript) else st.target
                if isinstance(tgt, ast.Name) and tgt.id in arrays:
                    if free_names(st.value) & arrays or (isinstance(st.target, ast.Subscript)
                                                         and free_names(st.target.slice) & arrays):
                        return None
                    continue
                # accumulating into a scalar adjoint commutes if nothing reads it here
                if isinstance(tgt, ast.Name) and tgt.id in adjoint_of and tgt.id not in direct \
                        and (isinstance(st.target, ast.Subscript) or tgt.id in read_in_rev):
                    return None
                # reading an array adjoint another iteration adds to (the reverse of
                # ``r[0] += d``: ``dd += dr[0]``) does not
                if free_names(st.value) & arrays:
                    return None
            elif isinstance(st, ast.Assign):
                names = free_names(st.targets[0])
                if names & arrays or (names & set(adjoint_of)) - direct:
                    return None
                if free_names(st.value) & arrays:
                    return None
            elif not isinstance(st, ast.For):
                return None
        # an array adjoint the forward part zeroes afresh each iteration needs no
        # reset at the end of the reverse part (where nothing after it in the
        # reverse part reads it: a reset between two bindings, ``v = a * t``
        # then ``v = v * v + a``, starts the older value's adjoint)
        zeroed = {_zeroing_target(st) for st in fwd} - {None}
        rev = [st for k, st in enumerate(rev) if _zeroing_target(st) not in zeroed or
               _zeroing_target(st) in {n.id for later in rev[k + 1:] for n in nodes(later)
                                       if isinstance(n, ast.Name)}]
        fused = copy.copy(loop)
        fused.body = self.fused_inner(loop) or fwd + rev
        self.plan.checkpointed.pop(id(loop), None)    # nothing taped: nothing to checkpoint
        return fused

    def fused_inner(self, loop):
        """The body of fused ``loop`` when its last loop's own reverse
        iterations are independent: that loop fused too (a row loop of a point
        loop, as a hand-written adjoint runs it), between the forward and the
        reverse of the statements before it.  Scalar statements after it that
        read what it adds up (``s += t_sum``, ``planner.split_after``) have
        their reverse run first, for its seeds, when that reverse reads
        nothing they or the loop compute; they run after it.  Else None."""
        k = max((j for j, st in enumerate(loop.body) if isinstance(st, ast.For)), default=None)
        if k is None:
            return None
        inner, head, tail = loop.body[k], loop.body[:k], loop.body[k + 1:]
        if ir.COUNT(inner) or id(inner) in self.plan.checkpointed:
            return None
        seeds = []
        if tail:
            split = self.plan.split_after(inner, tail)
            if split is None or split[0]:
                return None
            seeds = self.seeds_of(inner, tail)
            if seeds is None:
                return None
        # (the next iteration of ``loop`` runs ``head`` after it, then the return)
        fused = self.fuse_loop(inner, tail + head + self.fn.body[-1:])
        if fused is None:
            return None
        self.inner_fused.add(id(fused))
        fwd, after = self.fused_forward(head), self.fused_forward(tail)
        return fwd + seeds + [fused] + after + self.reverse_block(head)

    def fused_forward(self, stmts) -> list:
        """``stmts`` as the forward part of a fused loop's body runs them (each
        iteration's adjoint buffers its own, see ``hoisted_loop``)."""
        fusing, self._fusing = self._fusing, True
        try:
            return self.forward_block(stmts)
        finally:
            self._fusing = fusing

    def primal_names(self) -> set:
        return set(self.types) | set(self.params)

    def stack(self, var) -> str:
        return self.fresh_cached("_saved_" + var.lstrip("_"), ("saved", var))

    def item_stack(self, var, sliced=0) -> str:
        """The list of elements (``sliced`` 0) or of copies of ``sliced``-d parts
        of array ``var`` its stores overwrite (a row and a block apart)."""
        kind = "_items" if not sliced else "_slices" if sliced == self.types[var].ndim \
            else f"_slices_{sliced}d"
        self.saved_items.add((var, sliced))
        return self.fresh_cached("_saved_" + var.lstrip("_") + kind, (kind, var))

    def fresh_cached(self, base, key=None):
        """A fresh name made once per ``key`` (``t2`` and ``_t2`` each get a stack)."""
        return self.namer.once(base, key)

    # -- forward sweep ---------------------------------------------------
    def forward_block(self, stmts) -> list:
        out = []
        for s in stmts:
            out.extend(self.stack_allocations(s))
            out.extend(self.forward_stmt(s))
        return out

    def push(self, var, line) -> list:
        return self.push_onto(("saved", var), self.stack(var), _name(var), self.types.get(var),
                              line)

    def push_onto(self, key, tape, value, item, line) -> list:
        """Save ``value`` on ``tape``: a stack (``self.plan.stacks[key]``) or a list."""
        if key in self.plan.stacks:
            top = self.stack_top(tape)
            if self.plan.stacks[key].row:      # an array: copied in by element loops
                store = ast.Expr(value=_call("store_row", _name(tape), _name(top), value))
                ir.LINE.set(store, line)
            else:
                store = _assign(ast.Subscript(value=_name(tape), slice=_name(top),
                                              ctx=ast.Store()), value, line)
            return [_tape(store, "push", tape, item),
                    _aug(top, ast.Add(), _const(1), line)]
        return [_tape(ast.Expr(value=ast.Call(
            func=ast.Attribute(value=_name(tape), attr="append", ctx=ast.Load()),
            args=[value], keywords=[])), "push", tape, item)]

    def pop_from(self, key, tape, target, line) -> list:
        """Restore ``target`` from the top of ``tape`` (a stack or a list)."""
        if key in self.plan.stacks:
            top = self.stack_top(tape)
            value = ast.Subscript(value=_name(tape), slice=_name(top), ctx=ast.Load())
            return [_aug(top, ast.Sub(), _const(1), line),
                    _tape(_assign(target, value, line), "pop", tape)]
        pop = ast.Call(func=ast.Attribute(value=_name(tape), attr="pop", ctx=ast.Load()),
                       args=[], keywords=[])
        return [_tape(_assign(target, pop, line), "pop", tape)]

    def basic_index(self, index) -> bool:
        """``index`` (a subscript's) holds slices, constants and ints only: the
        subscript is a view of its array (no index array, no mask)."""
        parts = index.elts if isinstance(index, ast.Tuple) else [index]
        for p in parts:
            if isinstance(p, (ast.Slice, ast.Constant)):
                continue
            t = self.types.get(p.id) if isinstance(p, ast.Name) else None
            if t is None or t.is_array or t.kind != "int":
                return False
        return True

    def grows(self, key) -> bool:
        """Whether stack ``key`` starts small and grows (``StackTape.grows``)."""
        return self.growable and bool(self.plan.stacks[key].grows)

    def room_for_a_trip(self, loop) -> list:
        """Where each trip of ``loop`` (a ``while``) starts: the stacks its trip
        pushes onto grown to room for what one trip pushes, if they lack it (once
        a trip: a check at every push cost a value iteration 3x its gradient)."""
        out = []
        for key, tape in sorted(self.plan.stacks.items()):
            for lp, pushes in tape.grows if self.grows(key) else ():
                if lp is loop:
                    name = self.stack_name(key)
                    need = ast.BinOp(left=_name(self.stack_top(name)), op=ast.Add(),
                                     right=ir.clone(pushes))
                    # (re-bound only when it grows: a rebinding in every trip counts
                    # references, 17 stacks of an adaptive integrator 3.6 -> 9.5 ms)
                    grow = ast.If(test=ast.Compare(
                        left=need, ops=[ast.Gt()],
                        comparators=[ast.parse(f"{name}.shape[0]", mode="eval").body]),
                        body=[_assign(name, _call("room_for", _name(name), ir.clone(need)),
                                      ir.LINE(loop))], orelse=[])
                    ir.LINE.set(grow, ir.LINE(loop))
                    out.append(grow)
        if out:
            ir.NOTE.set(out[0], "room for what one trip pushes (stacks sized by the loop's "
                                "bound start small)")
        return out

    def trips_per_chunk(self, loop):
        """How many trips of ``loop`` (a ``while True``) run between two checks
        of room on the stacks they push onto, when each trip pushes a constant
        number of values onto each (else None: a check where each trip starts).
        A stack grown inside a loop is a name bound again there, and Numba then
        counts references at every push: a ray march's two stacks, grown where
        each trip starts, 1.70 ms, grown before each 1,024 trips 0.66 ms, never
        grown 0.59 ms."""
        each = [pushes for key, tape in self.plan.stacks.items() if self.grows(key)
                for lp, pushes in tape.grows if lp is loop]
        if not each or not (isinstance(loop.test, ast.Constant) and loop.test.value is True) or \
                not all(isinstance(p, ast.Constant) and type(p.value) is int and p.value > 0
                        for p in each):
            return None
        return max(1, STACK_START // max(p.value for p in each))

    def chunked_trips(self, loop, new, body, chunk):
        """``new`` (the forward ``loop``) run ``chunk`` trips at a time: before
        each run its stacks are grown to room for them; a ``break`` of a trip
        leaves both loops."""
        line = ir.LINE(loop)
        grow = []
        for key, tape in sorted(self.plan.stacks.items()):
            for lp, pushes in tape.grows if self.grows(key) else ():
                if lp is loop:
                    name = self.stack_name(key)
                    need = ast.BinOp(left=_name(self.stack_top(name)), op=ast.Add(),
                                     right=_const(chunk * pushes.value))
                    grow.append(ast.If(test=ast.Compare(
                        left=need, ops=[ast.Gt()],
                        comparators=[ast.parse(f"{name}.shape[0]", mode="eval").body]),
                        body=[_assign(name, _call("room_for", _name(name), ir.clone(need)),
                                      line)], orelse=[]))
                    ir.LINE.set(grow[-1], line)
        ir.NOTE.set(grow[0], f"room for what the next {chunk} trips push, then those trips")
        left = self.fresh("_left")
        trips = ast.For(target=_name(self.fresh("_trip"), store=True),
                        iter=_call("range", _const(chunk)), body=_leaving(body, left),
                        orelse=[], type_comment=None)
        ir.LINE.set(trips, line)
        stop = ast.If(test=_name(left), body=[ast.Break()], orelse=[])
        ir.LINE.set(stop, line)
        new.body = grow + [_assign(left, _const(False), line), trips, stop]
        return new

    def stack_top(self, tape) -> str:
        return self.fresh_cached(tape + "_top", ("top", tape))

    def stack_name(self, key) -> str:
        return self.stack(key[1]) if key[0] == "saved" else self.item_stack(key[1])

    def stack_allocations(self, top) -> list:
        """The stacks allocated before top-level statement ``top`` (None: first of all)."""
        out = []
        line = ir.LINE(top) if top is not None else ir.LINE(self.fn)
        for key, tape in sorted(self.plan.stacks.items()):
            if tape.top is top:
                name = self.stack_name(key)
                size = ir.clone(tape.capacity)
                if self.grows(key) and not tape.open_ended:
                    size = _call("min", size, _const(STACK_START))
                if tape.row:        # a stack of arrays: a row per push
                    size = ast.Tuple(elts=[size, *map(ir.clone, tape.row)], ctx=ast.Load())
                out.append(_tape(_assign(name, ast.Call(
                    func=ast.parse("np.empty", mode="eval").body,
                    args=[size, ast.parse("np.bool_" if tape.dtype.kind == "b" else
                                          f"np.{tape.dtype.name}", mode="eval").body],
                    keywords=[]), line), "rows" if tape.row else "array", name, tape.dtype))
                if tape.row and key[1] in self.plan.placeholders:
                    # its first push takes the placeholder: give it the rows' shape
                    out.append(_assign(key[1], placeholder(self.types[key[1]], tape.row),
                                       line))
                out.append(_assign(self.stack_top(name), _const(0), line))
        return out

    def snapshot_pushes(self, loop) -> list:
        line = ir.LINE(loop)
        out = []
        for v in self.plan.snapshot_vars_of(loop):
            if v in self.plan.array_tapes.get(id(loop), ()):
                out.append(_assign(ast.Subscript(value=_name(self.stack(v)),
                                                 slice=self.iteration(loop), ctx=ast.Store()),
                                   _name(v), line))
            else:
                out += self.push(v, line)
        return out

    def iteration(self, loop):
        """The iteration number of ``for i in range(lo, ...)``: ``i - lo``."""
        lo = loop.iter.args[0] if len(loop.iter.args) > 1 else _const(0)
        i = _name(loop.target.id)
        return i if _is_const(lo, 0) else ast.BinOp(left=i, op=ast.Sub(),
                                                     right=ir.clone(lo))

    def hoisted_loop(self, s, var):
        """The top-level loop after which the adjoint buffer of ``var``, defined
        by ``s`` inside it, is allocated once (instead of once per iteration):
        ``var`` is a parameter or defined before the loop, so it exists there
        even after no iteration.  None where the buffer stays at ``s`` (fused or
        checkpointed loops, which use each iteration's buffer)."""
        if self._fusing or self.plan.checkpointed:
            return None
        around = self.plan.around.get(id(s), [])
        if not around or not isinstance(around[0], ast.For):
            return None
        outer = around[0]
        body = self.fn.body
        if outer not in body:
            return None
        before = body[:body.index(outer)]
        # (a placeholder made before the forward sweep counts: an array made
        # afresh in each iteration, ``unew = np.empty(n)``)
        defined = var in self.params or var in self.plan.placeholders or any(
            ir.KIND(st) in (ir.Kind.ASSIGN, ir.Kind.UNPACK) and var in self.plan.targets_of(st)
            for st in before)
        return outer if defined else None

    def scalar_tape(self, sid, var) -> str:
        return self.fresh_cached("_saved_" + var.lstrip("_"), ("indexed", sid, var))

    def indexed_tape(self, st):
        return self.indexed_tape_of(id(st))

    def indexed_tape_of(self, sid):
        base = self.plan.indexed_base[sid]
        return self.fresh_cached("_saved_" + base.lstrip("_") + "_items", ("_items", base, sid))

    def kept_by(self, nest) -> list:
        """What ``nest`` keeps where the plan keeps it (``Planner.kept_tapes``)."""
        around = self.plan.around.get(id(nest))
        lid = id(around[-1]) if around else None
        if lid not in self.plan.kept_loops:
            return []
        return self.plan.rerun[lid].kept.get(id(nest), [])

    def kept_nests(self, chosen, loop_id) -> set:
        """The nests of ``loop_id`` (its re-run ``chosen``) whose state is kept."""
        return chosen.kept_nests if loop_id in self.plan.kept_loops else set()

    def kept_tape(self, nid, name) -> str:
        return self.fresh_cached("_kept_" + name.lstrip("_"), ("kept", nid, name))

    def kept_allocations(self, loop) -> list:
        """The tapes of kept nests inside ``loop`` (passes/rerun.py ``_keep``)."""
        out = []
        for (nid, name), tape in sorted(self.plan.kept_tapes.items(),
                                        key=lambda kv: self.kept_tape(*kv[0])):
            if tape.outer is loop:
                length = kept_length(self.plan, name) if self.types[name].is_array else None
                out.append(kept_rows.allocation(self.kept_tape(nid, name), tape, length,
                                                ir.LINE(loop)))
        return out

    def kept_copies(self, nest) -> list:
        """After a kept nest in the forward sweep: what it keeps, into its rows."""
        out = []
        for name in self.kept_by(nest):
            length = kept_length(self.plan, name) if self.types[name].is_array else None
            out.append(kept_rows.copy_in(self.kept_tape(id(nest), name),
                                         self.plan.kept_tapes[id(nest), name], name, length,
                                         self.fresh("_q") if length is not None else None,
                                         ir.LINE(nest)))
        return out

    def kept_loads(self, nest) -> list:
        """At the start of a reverse iteration, for a kept nest: the numbers it
        leaves that the reverse sweep reads (its arrays are read from their rows
        in place, ``read_kept``)."""
        return [kept_rows.load(self.kept_tape(id(nest), name), self.plan.kept_tapes[id(nest), name],
                               name, ir.LINE(nest))
                for name in self.kept_by(nest) if not self.types[name].is_array and
                (name in self.reads or name in self.plan.needed)]

    def read_kept(self, loop, stmts) -> list:
        """``stmts`` (the reverse iteration of ``loop``) reading the arrays its kept
        nests leave from their rows."""
        chosen = self.plan.rerun.get(id(loop))
        if chosen is None or id(loop) not in self.plan.kept_loops:
            return stmts
        return kept_rows.read_rows(stmts, {
            name: (self.kept_tape(nid, name), self.plan.kept_tapes[nid, name])
            for nid, names in chosen.kept.items() for name in names
            if self.types[name].is_array})

    def indexed_allocations(self, loop) -> list:
        out = self.kept_allocations(loop)
        named = [(tape, self.indexed_tape_of, sid) for sid, tape in self.plan.indexed.items()]
        named += [(tape, self.scalar_tape, *key) for key, tape in self.plan.indexed_scalars.items()
                  if key in self.plan.save_at and key not in self.plan.read_from_saves]
        # (in the order of their names: the same source, and cache entry, every run)
        mine = sorted((name_of(*key), tape) for tape, name_of, *key in named
                      if tape.outer is loop)
        for name, tape in mine:
            dtype = "bool_" if _np.dtype(tape.dtype).kind == "b" else _np.dtype(tape.dtype).name
            out.append(_tape(_assign(name, ast.Call(
                func=ast.parse("np.empty", mode="eval").body,
                args=[ir.clone(tape.capacity), ast.parse(f"np.{dtype}", mode="eval").body],
                keywords=[]), ir.LINE(loop)),
                "array", name, _np.dtype(tape.dtype)))
        return out

    def array_tape_allocations(self, loop) -> list:
        out = []
        args = loop.iter.args
        lo, hi = (_const(0), args[0]) if len(args) == 1 else (args[0], args[1])
        count = simplify(ast.BinOp(left=ir.clone(hi), op=ast.Sub(), right=ir.clone(lo)))
        for v in self.plan.array_tapes.get(id(loop), ()):
            t = self.types[v]
            dtype = {"float": f"np.{t.dtype.name}" if getattr(t, "dtype", None) is not None
                     else "np.float64", "int": "np.int64", "bool": "np.bool_"}.get(
                t.kind, "np.float64")
            size = _const(max(count.value, 0)) if isinstance(count, ast.Constant) else \
                _call("max", count, _const(0))
            out.append(_tape(_assign(self.stack(v), ast.Call(
                func=ast.parse("np.empty", mode="eval").body,
                args=[size, ast.parse(dtype, mode="eval").body],
                keywords=[]), ir.LINE(loop)),
                "array", self.stack(v), _np.dtype(dtype[3:])))
            self.read(*args)
        return out

    def snapshot_pops(self, loop) -> list:
        line = ir.LINE(loop)
        out = []
        for v in reversed(self.plan.snapshot_vars_of(loop)):
            if v in self.plan.array_tapes.get(id(loop), ()):
                out.append(_assign(v, ast.Subscript(value=_name(self.stack(v)),
                                                    slice=self.iteration(loop),
                                                    ctx=ast.Load()), line))
            else:
                out += self.restore(v, line)
            self.snapshot_restores[id(out[-1])] = (out[-1], (id(loop), v))
        for s in loop.body:
            for v in self.plan.carried.get(id(loop), []):
                if (id(s), v) in self.plan.inverted_carried:
                    # back to the value at the start of the iteration
                    inverse = ast.Sub() if isinstance(s.value.op, ast.Add) else ast.Add()
                    out.append(_aug(v, inverse, ir.clone(s.value.right), ir.LINE(s)))
                    self.read(s.value.right)
        return out

    def forward_stmt(self, s) -> list:
        if id(s) in self.plan.permutations:
            return self.forward_permutation(s)
        kind = ir.KIND(s)
        line = ir.LINE(s)
        pre, post = [], []
        if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE, ir.Kind.UNPACK):
            for var in self.plan.targets_of(s):
                if (id(s), var) in self.plan.read_from_saves or (id(s), var) in self.plan.peeked:
                    pass            # loaded from the element's save (Planner.read_from_saves)
                elif (id(s), var) in self.plan.indexed_scalars and (id(s), var) in self.plan.save_at \
                        and not self._plain:
                    slot = ast.Subscript(value=_name(self.scalar_tape(id(s), var)), ctx=ast.Store(),
                                         slice=ir.clone(self.plan.indexed_scalars[id(s), var].index))
                    # (the value computed, or the one it overwrites)
                    (post if (id(s), var) in self.plan.stored_at_def else pre).append(
                        _assign(slot, _name(var), line))
                elif (id(s), var) in self.plan.save_at and not self._plain:
                    pre += self.push(var, line)
                t = self.types.get(var)
                if var in self.active and t is not None and t.is_array and kind != ir.Kind.ACCUMULATE \
                        and var not in self.plan.direct and not self._in_segment:
                    # (a checkpoint segment's re-run must not wipe live adjoints)
                    outer = self.hoisted_loop(s, var)
                    if outer is not None:    # only the last version's buffer is used
                        self.hoisted.setdefault(id(outer), {})[var] = line
                    else:
                        post.append(_zeroed(self.adj(var), var, line))
            new = copy.copy(s)
            new.value = self.primal_value(s)
            if kind == ir.Kind.ACCUMULATE and not ir.ARRAY(s):
                new = _aug(s.targets[0].id, s.value.op, s.value.right, line)
            return pre + [new] + post
        if kind in (ir.Kind.STORE, ir.Kind.AUGSTORE):
            target = s.targets[0] if kind == ir.Kind.STORE else s.target
            base = target.value.id
            if (id(s), base + "[]") in self.plan.save_at and not self._plain and id(s) in self.plan.indexed:
                item = ast.Subscript(value=_name(base), slice=ir.clone(target.slice),
                                     ctx=ast.Load())
                slot = ast.Subscript(value=_name(self.indexed_tape(s)),
                                     slice=ir.clone(self.plan.indexed[id(s)].index),
                                     ctx=ast.Store())
                save = _assign(slot, item, line)
                self.element_saves[id(save)] = save
                pre.append(save)
            elif (id(s), base + "[]") in self.plan.save_at and not self._plain:
                item = ast.Subscript(value=_name(base), slice=ir.clone(target.slice),
                                     ctx=ast.Load())
                # more than one element (a slice, a row, an index array): a copy
                sliced = self.plan.saved_ndim(base, target.slice)
                if sliced:
                    item = ast.Call(func=ast.Attribute(value=item, attr="copy", ctx=ast.Load()),
                                    args=[], keywords=[])
                pre += self.push_onto(None if sliced else ("_items", base),
                                      self.item_stack(base, sliced), item,
                                      self.plan.item_type(base, target.slice), line)
            return pre + [s]
        if isinstance(s, ast.If):
            new = copy.copy(s)
            new.body = self.forward_block(s.body) or [ast.Pass()]
            new.orelse = self.forward_block(s.orelse)
            return [new]
        if isinstance(s, ast.For):
            if id(s) in self.plan.checkpointed and not self._plain and not self._in_segment:
                return self.checkpointed_forward(s)
            if (id(s), s.target.id) in self.plan.save_at and not self._plain:
                pre += self.push(s.target.id, line)
            if not self._plain and not self._in_segment:
                pre += self.array_tape_allocations(s) + self.indexed_allocations(s)
            new = copy.copy(s)
            snaps = [] if self._plain else self.snapshot_pushes(s)
            new.body = snaps + self.forward_block(s.body) or [ast.Pass()]
            inits = [_zeroed(self.adj(v), v, at)
                     for v, at in self.hoisted.pop(id(s), {}).items()]
            kept = [] if self._plain or self._in_segment else self.kept_copies(s)
            return pre + [new] + kept + inits
        if isinstance(s, ast.While):
            new = copy.copy(s)
            body = self.forward_block(s.body)
            # a while body starts with the trip counter: the snapshot follows it
            snaps = [] if self._plain else self.snapshot_pushes(s)
            chunk = None if self._plain else self.trips_per_chunk(s)
            if chunk is not None:
                return [self.chunked_trips(s, new, body[:1] + snaps + body[1:], chunk)]
            room = [] if self._plain else self.room_for_a_trip(s)
            new.body = body[:1] + snaps + room + body[1:] or [ast.Pass()]
            return [new]
        if isinstance(s, ast.Return):
            return []
        return [s]

    def primal_value(self, s):
        """The value a primal assignment computes, as the generated code writes it."""
        value = lower_for_numba(s.value, self.types)
        if id(s) in self.opaque_tests or (ir.KIND(s) == ir.Kind.ASSIGN and ir.PRIM(s.value) == ("const",)
                                          and s.targets[0].id in self.opaque_consts):
            value = opaque(value, self.types.get(s.targets[0].id))
        return value

    # -- reverse sweep ---------------------------------------------------
    def read(self, *exprs):
        """The reverse sweep reads the names of ``exprs``: their values, or only
        the shape of an array it passes where just the shape counts
        (``unbroadcast(g, x)``, ``np.zeros_like(x)``, ``x.shape``), which needs no
        element of it stored."""
        for n in exprs:
            if n is None:
                continue
            shape_only = set()
            for sub in nodes(n):
                if isinstance(sub, ast.Call):
                    spots = SHAPE_ARGUMENTS.get(ast.unparse(sub.func), ())
                    shape_only |= {id(sub.args[k]) for k in spots if k < len(sub.args)}
                elif isinstance(sub, ast.Attribute) and sub.attr in SHAPE_ATTRIBUTES:
                    shape_only.add(id(sub.value))
            for sub in nodes(n):
                if sub.__class__ is ast.Name:
                    if id(sub) in shape_only:
                        self.shape_reads.add(sub.id)
                    else:
                        self.reads.add(sub.id)
                        self.read_at.setdefault(sub.id, set()).add(id(self._top))

    def reverse_block(self, stmts) -> list:
        out = []
        top = stmts is self.fn.body
        for s in reversed(stmts):
            if top:
                self._top = s       # the statement of the function body reversed now
            out.extend(self.reverse_stmt(s))
        return merge_scatters(out)

    def restore(self, var, line, site=None) -> list:
        """Put ``var`` back from its tape (``site``: the statement whose save
        this undoes, for ``dead_restores``)."""
        out = self.pop_from(("saved", var), self.stack(var), _name(var, True), line)
        if site is not None:
            self.restored(out[-1], site, var)
        return out

    def restored(self, node, site, var):
        """``node`` puts back the value of ``var`` saved at ``site``."""
        self.scalar_restores[id(node)] = (node, (id(site), var))
        return node

    def reset(self, var, line):
        t = self.types[var]
        if t.is_array and self.resets_in_place(var):
            # ``dz[:] = 0.0``: its shape never changes, no new buffer
            sub = ast.Subscript(value=_name(self.adj(var)), slice=ast.Slice(),
                                ctx=ast.Store())
            return _assign(sub, _const(0.0), line)
        if t.is_array:
            return _zeroed(self.adj(var), var, line)
        if t.kind == "tuple":
            return _assign(self.adj(var), self.zero_tuple(var, t), line)
        return _assign(self.adj(var), _const(0.0), line)

    def resets_in_place(self, var) -> bool:
        """The adjoint buffer of ``var`` can be zeroed where it is instead of
        replaced: ``var`` has one shape (passes/shapes.py), is not a
        parameter, and no other name holds its values (a move, a view), so
        no other adjoint holds its buffer."""
        plan = self.plan
        return var in plan.fixed_shapes and var not in self.params and \
            self.types[var].ndim >= 1 and \
            var not in plan.direct and not plan.checkpointed and \
            not any(var in pair for pair in plan.value_flow) and var not in plan.alias_taped

    def needs_reset(self, var, s):
        if var not in self.active or var in self.plan.direct:
            return False
        sites = self.plan.sites.get(var, [])
        first = min(sites, key=lambda st: st.order) if sites else None
        if first is not None and first.stmt is s and first.top_level and var not in self.params:
            return False   # nothing before the first definition reads the adjoint
        return len(sites) > 1 or bool(self.plan.stmt_loops.get(id(s))) or var in self.params

    def accumulate(self, var, expr, line, sub=False):
        """``dvar += expr`` (or ``dvar = expr`` for a direct temporary)."""
        if var in self.plan.direct:
            value = simplify(ast.UnaryOp(op=ast.USub(), operand=expr) if sub else expr)
            if self.types[var].is_array and _may_be_a_view(value) and not self.is_scalar_adjoint(value):
                value = _call("fresh", value)
            return _assign(self.adj(var), value, line)
        t = self.types[var]
        if not sub and t.is_array and t.ndim == 2 and _outer_of_names(expr):
            return self.add_outer(self.adj(var), *expr.args, line)
        if t.kind == "tuple":
            # element by element (``+`` of tuples would join them)
            op = ast.Sub() if sub else ast.Add()
            parts = [ast.BinOp(left=ast.Subscript(value=_name(self.adj(var)), slice=_const(k),
                                                  ctx=ast.Load()), op=op,
                               right=expr.elts[k] if isinstance(expr, ast.Tuple) else
                               ast.Subscript(value=ir.clone(expr), slice=_const(k),
                                             ctx=ast.Load()))
                     for k in range(len(t.elts))]
            return _assign(self.adj(var), ast.Tuple(elts=parts, ctx=ast.Load()), line)
        return _aug(self.adj(var), ast.Sub() if sub else ast.Add(), simplify(expr), line)

    def zero_tuple(self, var, t):
        """A tuple of zeros shaped like the tuple ``var`` of type ``t``."""
        return ast.Tuple(elts=[
            _call("np.zeros_like", ast.Subscript(value=_name(var), slice=_const(k),
                                                 ctx=ast.Load())) if e.is_array else _const(0.0)
            for k, e in enumerate(t.elts)], ctx=ast.Load())

    def add_outer(self, target, a, b, line):
        """``dW += outer_product(a, b)`` (the adjoint of ``W @ x`` for ``W``) as
        two loops adding into ``dW`` in place: no matrix allocated for each
        product (in a loop over time steps, that allocation was a third of the
        gradient's time)."""
        row, col = self.namer.once("row", "outer row"), self.namer.once("col", "outer col")
        add = _aug(ast.Subscript(value=_name(target), slice=ast.Tuple(
            elts=[_name(row), _name(col)], ctx=ast.Load()), ctx=ast.Store()), ast.Add(),
            ast.BinOp(left=ast.Subscript(value=_name(a.id), slice=_name(row), ctx=ast.Load()),
                      op=ast.Mult(),
                      right=ast.Subscript(value=_name(b.id), slice=_name(col), ctx=ast.Load())),
            line)
        inner = ast.For(target=_name(col, True), iter=_over_axis(b.id, 0), body=[add],
                        orelse=[], type_comment=None)
        outer = ast.For(target=_name(row, True), iter=_over_axis(a.id, 0), body=[inner],
                        orelse=[], type_comment=None)
        for loop in (inner, outer):
            ir.LINE.set(loop, line)
        return outer

    def is_scalar_adjoint(self, expr) -> bool:
        """``expr`` names the adjoint of a scalar variable."""
        if not isinstance(expr, ast.Name):
            return False
        for var, name in self.adj_names.items():
            if name == expr.id:
                return self.types[var].is_scalar
        return False

    def reverse_stmt(self, s) -> list:
        if id(s) in self.plan.permutations:
            return self.reverse_permutation(s)
        kind = ir.KIND(s)
        line = ir.LINE(s)
        out = []
        if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE, ir.Kind.UNPACK):
            targets = self.plan.targets_of(s)
            if kind != ir.Kind.ACCUMULATE and set(targets) & free_names(s.value):
                # normalize guarantees this never happens; refuse rather than be wrong
                raise NotImplementedError(
                    f"internal: '{', '.join(targets)}' is both assigned and read by one "
                    "statement")
            if any(t in self.active for t in targets):
                if kind == ir.Kind.ACCUMULATE:
                    out += self.adjoint_accumulate(s)
                elif kind == ir.Kind.UNPACK or ir.PRIM(s.value)[0] == "user":
                    out += self.adjoint_user_call(s)
                elif id(s) in self.plan.moves:
                    out.append(self.moved_back(s))
                else:
                    out += self.adjoint_assign(s)
            resets = []
            for var in targets:
                out += self.put_back(s, var, line)
                if id(s) in self.plan.moves and self.needs_reset(var, s):
                    # the buffer the array's source left (zero) serves its old value
                    dx = _name(self.adj(var), True)
                    resets.append(_assign(dx, _call("reuse_zeros", _name(self.adj(var)),
                                                     _name(var)), line))
                    self.shape_reads.add(var)
                elif kind != ir.Kind.ACCUMULATE and self.needs_reset(var, s) and \
                        var not in self.plan.stored_first:
                    resets.append(self.reset(var, line))
                    if self.types[var].is_array and not self.resets_in_place(var):
                        self.shape_reads.add(var)
                elif kind == ir.Kind.ACCUMULATE and var in self.active and \
                        self.types[var].is_array and var not in self.plan.fixed_shapes:
                    # ``x = x + y`` may have broadcast x to a larger shape: the
                    # adjoint of the old x is summed down to its shape
                    adj = self.adj(var)
                    resets.append(_assign(adj, _call("unbroadcast", _name(adj), _name(var)),
                                          line))
                    self.shape_reads.add(var)
            return out + resets
        if kind in (ir.Kind.STORE, ir.Kind.AUGSTORE):
            target = s.targets[0] if kind == ir.Kind.STORE else s.target
            base = target.value.id
            if base in self.active:
                out += self.adjoint_store(s, target, kind)
            if id(s) in self.plan.recovered:
                # the number stored here, read back before the element is put back
                # (planner.values_read_back): no slot of its own
                out.append(_assign(self.plan.recovered[id(s)], ast.Subscript(
                    value=_name(base), slice=ir.clone(target.slice), ctx=ast.Load()), line))
                self.read(target.value, target.slice)
            if (id(s), base + "[]") in self.plan.save_at and id(s) in self.plan.indexed:
                index = self.plan.indexed[id(s)].index
                sub = ast.Subscript(value=_name(base), slice=ir.clone(target.slice),
                                    ctx=ast.Store())
                put_back = _assign(sub, ast.Subscript(value=_name(self.indexed_tape(s)),
                                                      slice=ir.clone(index),
                                                      ctx=ast.Load()), line)
                self.element_restores[id(put_back)] = put_back
                out.append(put_back)
                # the binding is read too: put back into the array the store wrote
                # (the name may hold another array by now)
                self.read(target.value, target.slice, index)
            elif (id(s), base + "[]") in self.plan.save_at:
                sliced = self.plan.saved_ndim(base, target.slice)
                sub = ast.Subscript(value=_name(base), slice=ir.clone(target.slice),
                                    ctx=ast.Store())
                pops = self.pop_from(None if sliced else ("_items", base),
                                     self.item_stack(base, sliced), sub, line)
                if sliced and self.basic_index(target.slice):
                    # a copy put back into a view: printed copy_into(u[1:-1], ...), a loop
                    # (Numba's slice assignment compiles its error message, 1.4 s); not
                    # through index arrays, whose G[idx] is a copy, not a view
                    ir.INTO_VIEW.set(pops[-1], True)
                self.element_pops[id(pops[-1])] = pops[-1]
                out += pops
                self.read(target.value, target.slice)
            return out
        if isinstance(s, ast.If):
            return self.reverse_if(s, line)
        if isinstance(s, (ast.For, ast.While)):
            return self.reverse_loop(s)
        return []

    def put_back(self, s, var, line) -> list:
        """What gives ``var`` its value from before assignment ``s`` again, after
        the reverse of ``s``: its slot or stack read back, or the update undone
        (nothing for a value loaded where the reverse iteration starts)."""
        key = (id(s), var)
        if key in self.plan.stored_at_def or key in self.plan.peeked:
            return []          # loaded where the reverse iteration starts (reverse_loop)
        if key in self.plan.save_at and key in self.plan.indexed_scalars:
            index = self.plan.indexed_scalars[key].index
            self.read(index)
            return [self.restored(_assign(var, ast.Subscript(
                value=_name(self.scalar_tape(id(s), var)), slice=ir.clone(index),
                ctx=ast.Load()), line), s, var)]
        if key in self.plan.save_at:
            return self.restore(var, line, s)
        if key in self.plan.inverted:
            inverse = ast.Sub() if isinstance(s.value.op, ast.Add) else ast.Add()
            self.read(s.value.right)
            return [self.restored(_aug(var, inverse, ir.clone(s.value.right), line), s, var)]
        return []

    def reverse_if(self, s, line) -> list:
        """The branches reversed under the same test (values the plan re-runs in a
        branch first: ``branch_recomputation``)."""
        if ir.CONTROL_ONLY(s):
            return []
        body = self.reverse_block(s.body)
        orelse = self.reverse_block(s.orelse)
        body = self.branch_recomputation(s, s.body, body) + body
        orelse = self.branch_recomputation(s, s.orelse, orelse) + orelse
        if not body and not orelse:
            return []
        self.read(s.test)
        node = ast.If(test=ir.clone(s.test), body=body or [ast.Pass()], orelse=orelse)
        ir.LINE.set(node, line)
        if not body:
            node = ast.If(test=_negate(s.test), body=orelse, orelse=[])
            ir.LINE.set(node, line)
        return [node]

    def reverse_loop(self, s) -> list:
        if id(s) in self.plan.checkpointed and not self._in_segment:
            return self.checkpointed_reverse(s)
        line = ir.LINE(s)
        body = self.reverse_body(s)
        out = []
        is_for = isinstance(s, ast.For)
        if is_for and s.target.id in self.active and self.types[s.target.id].is_scalar:
            # the name also holds a differentiated number elsewhere: each iteration
            # sets it to a count, which takes nothing from what it held before
            body.append(_assign(self.adj(s.target.id), _const(0.0), line))
        undo = any((id(b), v) in self.plan.inverted_carried for b in s.body
                   for v in self.plan.carried.get(id(s), []))
        if body or self.plan.snapshot_vars_of(s) or undo:
            self.reversed_loops.add(id(s))
            recompute = self.snapshot_pops(s) + self.needed_recomputation(s)
            recompute = self.stored_loads(s, recompute + body) + recompute
            body = self.read_kept(s, body)
            recompute = self.read_kept(s, recompute)
            count = ir.COUNT(s)
            if count:
                self.read(_name(count))
            if is_for:
                args = s.iter.args
                self.read(*args)
                lo, hi, st = (args + [None, None])[:3] if len(args) > 1 else \
                    (_const(0), args[0], None)
                rng = reversed_range(lo, hi, st, _name(count) if count else None)
                loop = ast.For(target=_name(s.target.id, True), iter=rng,
                               body=recompute + body, orelse=[], type_comment=None)
            else:
                k = self.fresh("_k")
                loop = ast.For(target=_name(k, True), iter=_call("range", _name(count)),
                               body=recompute + body, orelse=[], type_comment=None)
            ir.LINE.set(loop, line)
            starts = self.counter_starts(s)
            if starts:
                ir.COUNTS_FROM.set(loop, starts)
            out.append(loop)
        if is_for and (id(s), s.target.id) in self.plan.save_at:
            out += self.restore(s.target.id, line, s)
        return out

    def counter_starts(self, nest) -> dict:
        """``{counter: expression}`` for the counters a kept nest keeps whose updates
        inside it are undone step by step in reverse, and which a statement of the
        enclosing loop's body sets before the nest from values that loop does not
        change (GMM's ``entry = d``): the nest's reverse may count up from there
        (passes/ascending.py)."""
        kept = self.kept_by(nest)
        if not kept:
            return {}
        loop = self.plan.around[id(nest)][-1]
        inside = [x for x in walk([nest]) if isinstance(x, (ast.For, ast.While))]
        inverted = {v for x in inside for b in walk(x.body)
                    for v in self.plan.carried.get(id(x), []) if (id(b), v) in self.plan.inverted_carried}
        changed = self.plan.assigned_in(loop)
        out = {}
        for v in kept:
            if v not in inverted:
                continue
            k = next(j for j, top in enumerate(loop.body) if top is nest)
            last = next((st for st in reversed(loop.body[:k]) if v in stored_names(st)), None)
            if last is not None and ir.KIND(last) == ir.Kind.ASSIGN and \
                    not free_names(last.value) & changed:
                out[v] = ir.clone(self.primal_value(last))
                self.read(last.value)
        return out

    def reverse_body(self, loop) -> list:
        """The reverse of ``loop``'s body, with the nests the plan re-runs late
        (passes/rerun.py ``_late``) replayed just before the reverse of the
        last statement reading what they write."""
        chosen = self.plan.rerun.get(id(loop))
        if chosen is None or not set(chosen.late) - self.kept_nests(chosen, id(loop)):
            return self.reverse_block(loop.body)
        parts = [(k, self.reverse_stmt(st)) for k, st in reversed(list(enumerate(loop.body)))]
        out = []
        for k, code in parts:
            # the nests placed here, last first: one is re-run when the reverse sweep or a
            # nest re-run after it reads what it writes; they run in the body's order
            kept = []
            for nest in reversed([n for n in chosen.stmts if chosen.late.get(id(n)) == k
                                  and id(n) not in self.kept_nests(chosen, id(loop))]):
                if self.rerun_outputs(chosen, nest) & (self.reads | self.plan.needed):
                    kept.insert(0, nest)
                    self.read(*[_name(n) for n in sorted(chosen.reads[id(nest)])])
            for nest in kept:
                out += self.replay(nest)
            out += code
        return merge_scatters(out)

    def stored_loads(self, loop, reverse) -> list:
        """The numbers of ``loop``'s iteration stored where computed
        (``Planner.stored_at_def``), loaded where its reverse iteration starts,
        as far as ``reverse`` reads them."""
        reads = {n.id for st in reverse for n in nodes(st) if isinstance(n, ast.Name)}
        order = {id(st): k for k, st in enumerate(walk(loop.body))}
        out = []
        for (sid, var), lp in sorted(self.plan.stored_at_def.items(),
                                     key=lambda kv: (order.get(kv[0][0], -1), kv[0][1])):
            if lp is loop and (sid, var) in self.plan.save_at and var in reads:
                store = self.plan.read_from_saves.get((sid, var))
                if store is None:
                    tape, index = self.scalar_tape(sid, var), self.plan.indexed_scalars[sid, var].index
                else:        # the element it read, saved before its overwrite
                    tape, index = self.indexed_tape_of(store), self.plan.indexed[store].index
                out.append(_assign(var, ast.Subscript(value=_name(tape), slice=ir.clone(index),
                                                      ctx=ast.Load()), ir.LINE(loop)))
                self.read(index)
        # (the top of the stack of the element it read, saved before its overwrite:
        # Planner.peeked)
        for (sid, var), key in sorted(self.plan.peeked.items(),
                                      key=lambda kv: (order.get(kv[0][0], -1), kv[0][1])):
            if any(id(top) == sid for top in loop.body) and var in reads:
                tape = self.stack_name(key)
                out.append(_assign(var, ast.Subscript(
                    value=_name(tape), ctx=ast.Load(), slice=ast.BinOp(
                        left=_name(self.stack_top(tape)), op=ast.Sub(), right=_const(1))),
                    ir.LINE(loop)))
        return out

    def needed_recomputation(self, loop) -> list:
        """What the plan re-runs at the start of each reverse iteration of
        ``loop``, as far as the reverse sweep reads it."""
        chosen = self.plan.rerun.get(id(loop))
        if chosen is None or not chosen.stmts:
            return []
        out = []
        for st in self.recomputation_read(id(loop)):
            if id(st) in self.kept_nests(chosen, id(loop)):
                out += self.kept_loads(st)
                continue
            if id(st) in chosen.late:
                continue
            if isinstance(st, (ast.For, ast.If)):
                out += self.replay(st)
            else:
                new = copy.copy(st)
                new.value = self.primal_value(st)
                out.append(new)
            self.read(*[_name(n) for n in sorted(chosen.reads[id(st)])])
        return out

    def branch_recomputation(self, test, branch, reverse) -> list:
        """What the plan re-runs at the start of the reverse of ``branch`` (of the
        ``if`` ``test``) instead of storing it, as far as ``reverse`` (the
        branch's reverse) reads it."""
        chosen = [st for st in self.plan.branch_rerun.get(id(test), [])
                  if any(st is b for b in branch)]
        if not chosen or not reverse:
            return []
        needed = {n.id for st in reverse for n in nodes(st) if isinstance(n, ast.Name)}
        want = []
        for st in reversed(chosen):
            if st.targets[0].id in needed:
                want.append(st)
                needed |= free_names(st.value)
        out = []
        for st in reversed(want):
            new = copy.copy(st)
            new.value = self.primal_value(st)
            out.append(new)
            self.read(st.value)
        return out

    def replay(self, nest) -> list:
        """``nest`` as the forward sweep runs it, without its saves."""
        plain, self._plain = self._plain, True
        try:
            return self.forward_block([nest])
        finally:
            self._plain = plain

    # -- adjoints of the statement kinds -----------------------------------
    def adjoint_accumulate(self, s) -> list:
        z = s.targets[0].id
        a = s.value.right
        if not self.is_active(a):
            return []
        contrib = _name(self.adj(z))
        contrib = self.fit(contrib, self.types[z], a, same_ndim=True)
        return [self.accumulate(a.id, contrib, ir.LINE(s), sub=isinstance(s.value.op, ast.Sub))]

    def fit(self, expr, result_t: T, operand, same_ndim=False):
        """Adapt an adjoint contribution shaped like the result to ``operand``:
        summed over the axes the operand was broadcast along.  ``same_ndim``:
        another array operand may have broadcast this one's size-1 axes."""
        ot = self.type(operand)
        if ot is None:
            return expr
        if result_t.is_array and not ot.is_array:
            return _call("np.sum", expr)
        if result_t.is_array and ot.is_array and (ot.ndim < result_t.ndim or same_ndim):
            self.shape_reads.add(operand.id)
            return _call("unbroadcast", expr, _name(operand.id))
        return expr

    def is_basic_index(self, index) -> bool:
        """Slices and integers only: ``x[index]`` is a view (when it is an array)."""
        parts = index.elts if isinstance(index, ast.Tuple) else [index]
        return all(isinstance(p, ast.Slice) or self.is_number_expression(p) for p in parts)

    def is_number_expression(self, e) -> bool:
        """A constant, a name of a number, or arithmetic of them (``j - 1``)."""
        if isinstance(e, ast.Constant):
            return True
        if isinstance(e, ast.Name):
            return self.types.get(e.id) is not None and not self.types[e.id].is_array
        if isinstance(e, ast.BinOp):
            return self.is_number_expression(e.left) and self.is_number_expression(e.right)
        if isinstance(e, ast.UnaryOp):
            return self.is_number_expression(e.operand)
        return False

    def scatter_add(self, base, idx, dz, line):
        """Adjoint of a gather ``z = x[idx]`` (or ``Z[rows, cols]``):
        ``dx[idx[k]] += dz[k]`` one index at a time, so repeated indices add
        up (``dx[idx] += dz`` would keep one)."""
        k = self.fresh("_k")
        arrays = index_arrays(idx, self.types, "iu")

        def at_k(p):
            if any(p is a for a in arrays):
                return ast.Subscript(value=ir.clone(p), slice=_name(k), ctx=ast.Load())
            return ir.clone(p)
        where = ast.Tuple(elts=[at_k(p) for p in idx.elts], ctx=ast.Load()) \
            if isinstance(idx, ast.Tuple) else at_k(idx)
        rest = self.types[base].ndim - 1 if not isinstance(idx, ast.Tuple) else 0
        if rest:
            # a row of ``dx`` (``dU[users[k]] += g[k]``): element by element, as by
            # hand (a row stored back as a slice costs Numba over a second to
            # compile; added in place, four times the loops' time for rows of 8)
            js = [self.fresh("_j") for _ in range(rest)]
            where = ast.Tuple(elts=[where] + [_name(j) for j in js], ctx=ast.Load())
            at = ast.Tuple(elts=[_name(k)] + [_name(j) for j in js], ctx=ast.Load())
        else:
            at = _name(k)
        body = _aug(ast.Subscript(value=_name(self.adj(base)), slice=where, ctx=ast.Store()),
                    ast.Add(), ast.Subscript(value=dz, slice=at, ctx=ast.Load()), line)
        ir.KIND.set(body, ir.Kind.AUGSTORE)
        if isinstance(idx, ast.Tuple) and self.types[base].ndim > len(idx.elts):
            ir.ARRAY.set(body, True)        # rows of D[rows, cols] of a 3-d D: add_into
        for t in range(rest, 0, -1):
            body = ast.For(target=_name(js[t - 1], True), iter=_over_axis(self.adj(base), t),
                           body=[body], orelse=[])
            ir.LINE.set(body, line)
        loop = ast.For(target=_name(k, True), iter=_over_axis(arrays[0], 0), body=[body],
                       orelse=[])
        ir.LINE.set(loop, line)
        return loop

    def masked_add(self, base, mask, dz, line) -> list:
        """Adjoint of ``z = x[mask]`` (a vector by a mask of its length): the
        elements of ``dz`` added where ``mask`` holds, in order.  A loop, not
        ``dx[mask] += dz``: Numba compiles that masked store with an error path
        that formats the shapes into a message (over a second, the first time)."""
        k, j = self.fresh("_k"), self.fresh("_j")
        add = _aug(ast.Subscript(value=_name(self.adj(base)), slice=_name(k), ctx=ast.Store()),
                   ast.Add(), ast.Subscript(value=dz, slice=_name(j), ctx=ast.Load()), line)
        ir.KIND.set(add, ir.Kind.AUGSTORE)
        step = _aug(_name(j, True), ast.Add(), _const(1), line)
        ir.KIND.set(step, ir.Kind.ACCUMULATE)
        test = ast.If(test=ast.Subscript(value=_name(mask), slice=_name(k), ctx=ast.Load()),
                      body=[add, step], orelse=[])
        ir.tag(test, line, ir.Kind.IF)
        loop = ast.For(target=_name(k, True), iter=_over_axis(mask, 0), body=[test], orelse=[])
        ir.LINE.set(loop, line)
        start = _assign(j, _const(0), line)
        ir.KIND.set(start, ir.Kind.ASSIGN)
        return [start, loop]

    def adjoint_assign(self, s) -> list:
        z = s.targets[0].id
        prim = s.value
        head = ir.PRIM(prim)[0]
        line = ir.LINE(s)
        dz = _name(self.adj(z))
        if not any(n in self.active for n in diff_operands(prim)):
            return []
        if head == "subscript":
            base = prim.value
            if not self.is_active(base):
                return []
            if self.types[base.id].kind == "tuple":
                # tuples read element-wise are split into one variable per element
                # (passes/tuples.py); what is left has no element-wise adjoint
                raise self.error(s, f"cannot differentiate through an element of the tuple "
                                    f"'{base.id}' here: unpack it into names where it is made")
            self.read(prim.slice)
            if index_arrays(prim.slice, self.types, "iu"):
                return [self.scatter_add(base.id, prim.slice, dz, line)]
            mask = self.type(prim.slice) if isinstance(prim.slice, ast.Name) else None
            if mask is not None and mask.is_array and mask.dtype.kind == "b" and \
                    mask.ndim == 1 and self.types[base.id].ndim == 1:
                return self.masked_add(base.id, prim.slice.id, dz, line)
            target = ast.Subscript(value=_name(self.adj(base.id)), slice=ir.clone(prim.slice),
                                   ctx=ast.Store())
            into = _aug(target, ast.Add(), dz, line)
            # an addition into a view (emitted as add_into: see its doc)
            zt = self.types.get(z)
            return [ir.ARRAY.set(into, zt is not None and zt.is_array
                                 and self.is_basic_index(prim.slice))]
        if head == "tuple":
            out = []
            for k, e in enumerate(prim.elts):
                if self.is_active(e):
                    out.append(self.accumulate(e.id, ast.Subscript(value=dz, slice=_const(k),
                                                                   ctx=ast.Load()), line))
            return out
        key, inputs, keywords = rule_inputs(prim)
        info = RuleInfo({p: self.type_or_const(a) for p, a in inputs},
                        {k: self.type_or_const(v) for k, v in keywords.items()},
                        constants_of(inputs),
                        {p: a.id for p, a in inputs if isinstance(a, ast.Name)})
        rule = registry.find_rule(key, info)
        if rule is None:
            raise self.error(s, missing_rule_message(key, prim, [
                self.type_or_const(a) for a in getattr(prim, "args", [])]))
        if rule.call is not None:
            return self.adjoint_user_rule(s, rule, [a for _, a in inputs], dz)
        tpl = rule.template
        mapping = {tpl.result: _name(z), tpl.adjoint: dz}
        bound = bind_template(tpl, inputs, keywords)
        mapping.update(bound)
        elementwise = (head == "binop" and ir.PRIM(prim)[1] in ELEMENTWISE_OPS) or \
            (head == "call" and registry.is_elementwise(ir.PRIM(prim)[1]))
        others = [a for _, a in inputs]
        numbers = not self.types[z].is_array and not any(
            self.type(a) is not None and self.type(a).is_array for a in others)
        out, local_map = [], {}
        used_exprs = []
        for pname, expr in zip(tpl.inputs, tpl.outputs):
            atom = bound.get(pname)
            if expr is None or not self.is_active(atom):
                continue
            used_exprs.append((atom, expr))
        needed_locals = set()
        for _, expr in used_exprs:
            needed_locals |= free_names(expr)
        for stmt in tpl.body:
            tname = stmt.targets[0].id
            if tname in needed_locals:
                needed_locals |= free_names(stmt.value)
        for stmt in tpl.body:
            tname = stmt.targets[0].id
            if tname not in needed_locals:
                continue
            local = self.fresh("_" + tname)
            if numbers:
                self.number_locals.add(local)
            value = substitute(stmt.value, {**mapping, **local_map})
            local_map[tname] = _name(local)
            self.read(value)
            out.append(_assign(local, simplify(value), line))
        for atom, expr in used_exprs:
            e = substitute(expr, {**mapping, **local_map})
            self.read(e)
            # another array operand (not this same variable) may broadcast this one
            array_others = any(self.type(o) is not None and self.type(o).is_array
                               and o.id != atom.id for o in others if o is not atom)
            zt = self.types[z]
            if elementwise and (array_others or not (self.type(atom) or zt).is_array):
                e = self.fit(e, zt, atom, same_ndim=array_others)
            elif elementwise and zt.is_array and not self.type(atom).is_array:
                e = _call("np.sum", e)
            out.append(self.accumulate(atom.id, e, line))
        self.helpers_used |= {n for o in out for n in free_names(o)}
        return out

    def adjoint_user_rule(self, s, rule, args, dz) -> list:
        z = s.targets[0].id
        line = ir.LINE(s)
        tmp = self.fresh("_adj")
        call = ast.Call(func=_name(rule.name), args=[_name(z)] + [ir.clone(a) for a in args]
                        + [dz], keywords=[])
        self.read(call)
        out = [_assign(tmp, call, line)]
        active = [(k, a) for k, a in enumerate(args) if self.is_active(a)]
        for k, a in active:
            part = _name(tmp) if len(args) == 1 else ast.Subscript(value=_name(tmp),
                                                                   slice=_const(k), ctx=ast.Load())
            out.append(self.accumulate(a.id, part, line))
        # by identity: two user functions may share a name (and so a rule name)
        self.user_rules_used = {**getattr(self, "user_rules_used", {}), rule.name: rule}
        return out

    def adjoint_user_call(self, s) -> list:
        line = ir.LINE(s)
        call = s.value
        targets = self.plan.targets_of(s)
        args = call.args
        argtypes = [self.type_or_const(a) for a in args]
        vjp_name, diff, values = self.callee_adjoint(ir.PRIM(call)[1], argtypes,
                                                     ir.INPLACE(call))
        if ir.KIND(s) == ir.Kind.UNPACK:
            parts = []
            for t in targets:
                if t in self.active:
                    parts.append(_name(self.adj(t)))
                elif self.types[t].is_array:
                    parts.append(_call("np.zeros_like", _name(t)))
                else:
                    parts.append(_const(0.0))
            seed = ast.Tuple(elts=parts, ctx=ast.Load())
        else:
            seed = _name(self.adj(targets[0]))
        # (a buffer the callee fills without reading what it holds: its shape)
        self.read(*[a for a, v in zip(args, values) if v])
        self.shape_reads |= {a.id for a, v in zip(args, values)
                             if not v and isinstance(a, ast.Name)}
        outs = []
        names = []
        for k, a in enumerate(args):
            if not diff[k] and self.is_active(a):
                raise self.error(s, f"cannot pass '{a.id}' ({self.types[a.id]}) to "
                                    f"'{call.func.id}' and differentiate through it; pass its "
                                    "elements as separate arguments")
            if diff[k]:
                nm = self.fresh("_d" + (a.id.lstrip("_") if isinstance(a, ast.Name) else "arg"))
                names.append(nm)
                if self.is_active(a):
                    outs.append((a, nm))
            else:
                names.append(None)
        tgt_names = [n for n in names if n is not None]
        if not tgt_names:
            return []
        vcall = ast.Call(func=_name(vjp_name), args=[ir.clone(a) for a in args] + [seed],
                         keywords=[])
        target = ast.Tuple(elts=[_name(n, True) for n in tgt_names], ctx=ast.Store())
        grads = ast.Subscript(value=vcall, slice=_const(1), ctx=ast.Load())
        out = [_assign(target, grads, line)]
        for a, nm in outs:
            out.append(self.accumulate(a.id, _name(nm), line))
        return out

    def adjoint_store(self, s, target, kind) -> list:
        line = ir.LINE(s)
        base = target.value.id
        v = s.value
        self.read(target.slice)
        da_item = ast.Subscript(value=_name(self.adj(base)), slice=ir.clone(target.slice),
                                ctx=ast.Load())
        out = []
        if self.is_active(v):
            vt = self.types[v.id]
            item_is_array = has_slice(target.slice) or \
                index_ndim(self.types[base], target.slice, self.types) > 0
            contrib = da_item
            writes = index_arrays(target.slice, self.types, kinds="iu")
            if writes:
                contrib = self.last_writes_only(s, contrib, target, writes)
            if item_is_array and not vt.is_array:
                contrib = _call("np.sum", contrib)
            elif item_is_array and vt.is_array:
                contrib = _call("unbroadcast", contrib, _name(v.id))
                self.read(contrib)
            sub = kind == ir.Kind.AUGSTORE and isinstance(s.op, ast.Sub)
            out.append(self.accumulate(v.id, contrib, line, sub=sub))
        if kind == ir.Kind.STORE:
            zero = ast.Subscript(value=_name(self.adj(base)), slice=ir.clone(target.slice),
                                 ctx=ast.Store())
            out.append(_assign(zero, _const(0.0), line))
        return out

    def last_writes_only(self, s, contrib, target, writes):
        """``dy[idx]`` where ``y[idx] = v`` wrote: an element written by several
        positions of ``idx`` keeps the last value, so only the last position's
        part of ``v`` gets its adjoint."""
        parts = target.slice.elts if isinstance(target.slice, ast.Tuple) else [target.slice]
        idx = writes[0]
        if len(writes) > 2 or any(self.types[w.id].ndim != 1 for w in writes):
            raise self.error(s, f"cannot differentiate a write through "
                                f"{'more than two index arrays' if len(writes) > 2 else 'an index array of more than one dimension'}"
                                f" ({ast.unparse(target)}): write it as a loop over its elements")
        def length(axis):
            return ast.Subscript(value=ast.Attribute(value=_name(self.adj(target.value.id)),
                                                     attr="shape", ctx=ast.Load()),
                                 slice=_const(axis), ctx=ast.Load())
        if len(writes) == 2:
            # Z[rows, cols] (every axis indexed): one element per position
            axes = [k for k, p in enumerate(parts) if any(p is w for w in writes)]
            mask = _call("last_pair_writes", _name(writes[0].id), _name(writes[1].id),
                         length(axes[0]), length(axes[1]))
            return ast.BinOp(left=contrib, op=ast.Mult(), right=mask)
        axis = next(k for k, p in enumerate(parts) if p is idx)
        after = sum(isinstance(p, ast.Slice) for p in parts[axis + 1:]) + \
            self.types[target.value.id].ndim - len(parts)
        mask = _call("last_writes", _name(idx.id), length(axis))
        if after:
            shape = ast.Tuple(elts=[_const(-1)] + [_const(1)] * after, ctx=ast.Load())
            mask = ast.Call(func=ast.Attribute(value=mask, attr="reshape", ctx=ast.Load()),
                            args=[shape], keywords=[])
        return ast.BinOp(left=contrib, op=ast.Mult(), right=mask)

    def type_or_const(self, a):
        if isinstance(a, ast.Constant):
            from .types import const_type
            return const_type(a.value)
        if ir.PRIM.has(a) and ir.PRIM(a)[0] == "dtype":
            return T("dtype", ir.PRIM(a)[1])
        if isinstance(a, ast.Name):
            return self.types.get(a.id)
        return None

    # -- assembly ----------------------------------------------------------
    def assemble(self, fname, forward, reverse, fused=None) -> ast.FunctionDef:
        line = ir.LINE(self.fn)
        body = []
        for var in sorted(self.plan.placeholders | self.plan.checkpoint_placeholders):
            if var in self.plan.checkpoint_placeholders or self.plan.needs_placeholder(var):
                body.append(_assign(var, placeholder(self.types[var]), line))
        in_arrays = set().union(*self.plan.array_tapes.values())
        tapes = [self.stack(var) for var in sorted(self.plan.listed_vars() - in_arrays)
                 if ("saved", var) not in self.plan.stacks]
        tapes += [self.item_stack(var, sliced) for var, sliced in sorted(self.saved_items)
                  if sliced or ("_items", var) not in self.plan.stacks]
        # one stack per variable, shared by the checkpointed loops that change it
        tapes += sorted({self.checkpoint_stack(var) for state in self.plan.checkpointed.values()
                         for var in state})
        for tape in tapes:
            body.append(_tape(_assign(tape, ast.List(elts=[], ctx=ast.Load()), line),
                              "list", tape))
        body += self.stack_allocations(None)
        for s in body:
            ir.SECTION.set(s, "setup")
        ret = self.ret.value
        restored = set(self.plan.saved_vars).union(*self.plan.checkpointed.values())
        keep_value = []
        if self.ret_name is not None and self.ret_name in restored:
            # the reverse sweep restores the variable: keep the result aside
            # (after the fused last loop, which still computes it)
            keep = self.fresh("value")
            keep_value = [_assign(keep, _name(self.ret_name), ir.LINE(self.ret))]
            if fused is None:
                forward = forward + keep_value
            ret = _name(keep)
        for s in forward:
            ir.SECTION.set(s, "forward")
        body += forward
        rev = self.adjoint_inits(line)
        seed = _const(1.0) if self.mode == "grad" else _name(self.seed_name())
        if self.ret_name in self.active:
            rt = self.types[self.ret_name]
            if rt.is_array:
                if self.ret_name in self.params:
                    rev.append(_zeroed(self.adj(self.ret_name), self.ret_name, line))
                rev.append(_aug(self.adj(self.ret_name), ast.Add(), seed, line))
            else:
                rev.append(_assign(self.adj(self.ret_name), seed, line))
        for s in rev:
            ir.SECTION.set(s, "init")
        if fused is not None:
            # the seed and adjoint initialisations come before the fused loop
            for s in fused.seeds:
                ir.SECTION.set(s, "init")
            loops = [f for _, f in fused.companions] + [fused.loop]
            for s in loops:
                ir.SECTION.set(s, "fused")
            for s in reverse:
                ir.SECTION.set(s, "reverse")
            for s in fused.tail + keep_value:
                ir.SECTION.set(s, "value")
            rev = rev + fused.seeds + loops + fused.tail + keep_value + reverse
        else:
            for s in reverse:
                ir.SECTION.set(s, "reverse")
            rev += reverse
        result = ast.Tuple(elts=[ir.clone(ret), self.gradients()], ctx=ast.Load())
        ret_stmt = ast.Return(value=result)
        ir.LINE.set(ret_stmt, ir.LINE(self.ret))
        ir.SECTION.set(ret_stmt, "result")
        body, rev = self.polish(body, rev, live_out=free_names(ret_stmt))
        body, rev, self.kept_read = kept_rows.drop_unread_rows(body, rev)
        params = list(self.params) + ([self.seed_name()] if self.mode == "vjp" else [])
        primal_of = {a: v for v, a in self.adj_names.items()}
        if self.mode == "vjp":
            primal_of[self.seed_name()] = self.ret_name
        body, rev = select_branches([body, rev], params,
                                    lambda v: number_kind(self.types.get(primal_of.get(v, v))),
                                    live_out=free_names(ret_stmt))
        args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in params], vararg=None,
                             kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
        fn = ast.FunctionDef(name=fname, args=args, body=body + rev + [ret_stmt],
                             decorator_list=[], returns=None, type_comment=None, type_params=[])
        ir.REVERSE.set(fn, rev)
        for n in nodes(fn):
            if isinstance(n, ast.Name):
                self.helpers_used.add(n.id)
        return fn

    def gradients(self) -> ast.Tuple:
        """The tuple of the ``wrt`` arguments' gradients the adjoint returns."""
        grads = []
        for p in self.wrt:
            t = self.types[p]
            if p in self.tuple_params:
                grads.append(ast.Tuple(elts=[self.gradient_of(e) for e in self.tuple_params[p]],
                                       ctx=ast.Load()))
            elif p in self.active:
                grads.append(_name(self.adj(p)))
            elif t.is_array:
                grads.append(_call("np.zeros_like", _name(p)))
            elif t.kind == "tuple":
                grads.append(ast.Tuple(elts=[_const(0.0) for _ in t.elts], ctx=ast.Load()))
            else:
                grads.append(_const(0.0))
        return ast.Tuple(elts=grads, ctx=ast.Load())

    def polish(self, body, rev, live_out) -> tuple:
        """``(body, rev)``, the forward and reverse sweeps, rewritten by the
        passes that follow the emitted code; ``live_out``: names read after."""
        adjoints = self.adjoint_variables()
        # statements that do nothing unless a branch was taken go into it
        rev = sink_adjoints(rev, adjoints, live_out=live_out)
        rev = assign_first_adds(rev, adjoints)
        rev = sum_invariant_adds(rev, adjoints, before=body)
        rev = ascend_independent_loops(rev, adjoints, self.types, live_out=live_out, before=body,
                                       sole=self.plan.sole)
        rev = peel_ends(rev, live_out)
        # (the forward sweep's reads through a remainder, x[(j + 1) % n], divide
        # in every iteration: between the ends they are x[j + 1])
        body = peel_ends(body, set(live_out).union(*(free_names(s) for s in rev)))
        if self.scratch:
            rev = split_neighbour_adds(rev, adjoints, self.buffer_ndims(), before=body,
                                       lengths=self.buffer_lengths())
        rev = roll_neighbour_adds(rev, adjoints, self.buffer_ndims(), before=body,
                                  lengths=self.buffer_lengths())
        rev = restore_after_loops(rev, self.element_restores, self.plan.sole)
        body = save_before_loops(body, self.element_saves, self.plan.sole)
        body, rev = bind_view_adjoints(
            body, rev, lambda v, e, line: self.add_outer(v, *e.args, line)
            if _outer_of_names(e) else None)
        keyed = self.keyed_arrays_and_numbers()
        rev = drop_same_shape_unbroadcasts(rev, *keyed)
        known_axes = self.arrays_of_known_axes()
        rev = drop_same_shape_unbroadcasts(rev, known_axes, keyed[1])
        rev = fuse_array_statements(rev, body + rev, *keyed, adjoints.arrays, self.fresh,
                                    self.direct_adjoint_keys(), known_axes)
        body = sum_inner_loops(body, self.float64_numbers(), before=rev)
        rev = sum_inner_loops(rev, self.float64_numbers(), before=body)
        body, rev = reset_stack_tops(body, rev)
        body = hoist_adjoint_inits(body, self.axes_from_parameters)
        rev = reuse_loop_adjoint_buffers(rev, body, self.axes_from_parameters)
        body = sink_adjoint_zeroings(body, adjoints.arrays)
        rev = sink_adjoint_zeroings(rev, adjoints.arrays)
        small = small_matrices(self.plan.shape_keys)
        body, rev = call_small_forms(body, small), call_small_forms(rev, small)
        primal_of = {a: v for v, a in self.adj_names.items()}
        rev = match_product_layouts(body, rev, lambda n: self.ndim_of(primal_of.get(n, n)))
        rev = hoist_reverse_transposes(body, rev)
        rev = drop_unread_resets(body, rev, adjoints.arrays, live_out)
        return body, drop_needless_copies(rev)

    def ndim_of(self, var):
        """The number of dimensions of primal array ``var`` (None: not an array)."""
        t = self.types.get(var)
        return t.ndim if t is not None and t.is_array else None

    def axes_from_parameters(self, var):
        """``(lengths, dtype name)`` of float array ``var`` where every value it is
        bound to has one shape whose lengths read only parameters never re-bound
        (passes/shapes.py), else None."""
        t = self.types.get(var)
        if t is None or not t.is_array or t.dtype not in (_np.float64, _np.float32):
            return None
        axes = shape_axes(self.plan.shape_keys.get(var), t.ndim, self.types)
        if axes is None or not self.plan.known_before(axes, None):
            return None
        return axes, _np.dtype(t.dtype).name

    def adjoint_inits(self, line) -> list:
        """The adjoints that start at zero where the reverse sweep starts (the
        result's seed aside)."""
        out = []
        for var in sorted(self.active):
            t = self.types[var]
            if var == self.ret_name:
                continue
            if t.kind == "float" and var not in self.plan.direct:
                out.append(_assign(self.adj(var), _const(0.0), line))
            elif t.kind == "tuple" and var not in self.plan.direct and \
                    not any(e.is_array for e in t.elts):
                # (a tuple holding arrays has no zero before it is assigned: such
                # temporaries are direct, their one contribution sets them)
                out.append(_assign(self.adj(var), self.zero_tuple(var, t), line))
            elif t.is_array and var in self.params:
                out.append(_zeroed(self.adj(var), var, line))
            elif t.is_array and self.reshaped_later(var):
                # its adjoint buffer, made with its first value, may have the
                # wrong shape for its last
                out.append(_zeroed(self.adj(var), var, line))
        return out

    def reshaped_later(self, var) -> bool:
        """An array defined first at the top of the function whose adjoint
        buffer, made there, may not fit its last value: an ``x = x + y`` later
        may broadcast it to another shape (passes/shapes.py).  (Other
        assignments make a buffer of their own in the forward sweep.)"""
        sites = self.plan.sites.get(var, [])
        return var not in self.plan.fixed_shapes and var not in self.plan.direct and \
            len(sites) > 1 and min(sites, key=lambda st: st.order).top_level and \
            any(ir.KIND(st.stmt) == ir.Kind.ACCUMULATE for st in sites)

    def adjoint_variables(self) -> Adjoints:
        kinds = {v: self.types.get(v) for v in self.adj_names}
        return Adjoints(
            frozenset(a for v, a in self.adj_names.items() if kinds[v] and kinds[v].is_scalar)
            | self.number_locals,
            frozenset(a for v, a in self.adj_names.items() if kinds[v] and kinds[v].is_array))

    def keyed_arrays_and_numbers(self) -> tuple:
        """``(arrays, numbers)`` for passes/array_loops.py: the float64 arrays of
        the primal with a shape key (``shapes.shape_keys``), and their adjoint
        buffers (not those of direct temporaries), each with its number of
        dimensions and key; the names of numbers, the primal's and their
        adjoints."""
        arrays, numbers = {}, set()
        for v, t in self.types.items():
            if t is None:
                continue
            if t.is_array and t.dtype == _np.float64 and v in self.plan.shape_keys:
                arrays[v] = (t.ndim, self.plan.shape_keys[v])
                if v in self.adj_names and v not in self.plan.direct:
                    # (a direct temporary's adjoint is assigned, and may be a number
                    # standing for an array of it)
                    arrays[self.adj_names[v]] = arrays[v]
            elif t.kind in ("float", "int", "bool"):
                numbers.add(v)
                if v in self.adj_names and t.kind == "float":
                    numbers.add(self.adj_names[v])
        return arrays, numbers

    def direct_adjoint_keys(self) -> dict:
        """The adjoints of direct temporaries that are float64 arrays with a shape
        key, each with its number of dimensions and key: arrays of that shape
        where assigned an expression reading an array of it (passes/array_loops.py
        checks), else maybe numbers."""
        return {self.adj_names[v]: (t.ndim, self.plan.shape_keys[v])
                for v, t in self.types.items()
                if t is not None and t.is_array and t.dtype == _np.float64 and
                v in self.plan.shape_keys and v in self.adj_names and v in self.plan.direct}

    def arrays_of_known_axes(self) -> dict:
        """The float64 arrays of the primal whose every axis has a length key
        (``shapes.axis_lengths``) and their adjoint buffers (not those of direct
        temporaries), each with its number of dimensions and keys."""
        arrays = {}
        for v, t in self.types.items():
            keys = self.plan.lengths.get(v)
            if t is None or not t.is_array or t.dtype != _np.float64 or keys is None or \
                    len(keys) != t.ndim or None in keys:
                continue
            arrays[v] = (t.ndim, keys)
            if v in self.adj_names and v not in self.plan.direct:
                arrays[self.adj_names[v]] = arrays[v]
        return arrays

    def float64_numbers(self) -> set:
        """The float64 numbers of the primal and their adjoints."""
        out = {v for v, t in self.types.items()
               if t is not None and t.kind == "float" and t.dtype == _np.float64}
        return out | {a for v, a in self.adj_names.items() if v in out}

    def buffer_ndims(self) -> dict:
        """The number of dimensions of each adjoint buffer of real numbers."""
        return {a: self.types[v].ndim for v, a in self.adj_names.items()
                if self.types.get(v) is not None and self.types[v].is_array
                and self.types[v].dtype.kind == "f"}

    def buffer_lengths(self) -> dict:
        """``shapes.axis_lengths`` of the primal's whole numbers and of the
        adjoint buffers (those of their arrays)."""
        lengths = self.plan.lengths
        out = {v: k for v, k in lengths.items() if v not in self.adj_names}
        out.update({a: lengths[v] for v, a in self.adj_names.items() if v in lengths})
        return out

    def gradient_of(self, var):
        if var in self.active:
            return _name(self.adj(var))
        if self.types[var].is_array:
            return _call("np.zeros_like", _name(var))
        return _const(0.0)

    def seed_name(self):
        if not hasattr(self, "_seed"):
            self._seed = self.fresh("cotangent")
        return self._seed


def _outer_of_names(expr) -> bool:
    """``outer_product(a, b)`` of two named vectors."""
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and \
        expr.func.id == "outer_product" and len(expr.args) == 2 and \
        all(isinstance(a, ast.Name) for a in expr.args)


def _rebinds_carried(rev, body, after) -> bool:
    """An inner loop of the reverse part ``rev`` runs over an index the primal
    reads after the iteration before binding it again: ``for k in range(k, n):
    ...; k = max(k, n)`` in ``body`` (the next trip reads ``k``), or in
    ``after``.  Run again in reverse, the loop would leave another value in it."""
    targets = {st.target.id for st in walk(rev)
               if isinstance(st, ast.For) and isinstance(st.target, ast.Name)}
    return any(_read_first(body, name) or _read_first(after, name) for name in targets)


def _read_first(stmts, name) -> bool:
    """``stmts`` may read ``name`` before they bind it (a ``for`` loop's target,
    an assignment's name, at their own level)."""
    def reads(node):
        return name in {n.id for n in nodes(node) if isinstance(n, ast.Name) and
                        isinstance(n.ctx, ast.Load)}
    for st in stmts:
        if isinstance(st, (ast.For, ast.Assign)):
            if reads(st.iter if isinstance(st, ast.For) else st):
                return True
            bound = st.target if isinstance(st, ast.For) else st.targets[0]
            if isinstance(bound, ast.Name) and bound.id == name:
                return False
        elif reads(st) or isinstance(st, ast.AugAssign) and \
                isinstance(st.target, ast.Name) and st.target.id == name:
            return True
    return False


def _zeroing_target(st):
    """``dx`` of ``dx = np.zeros_like(x)`` or ``dx[:] = 0.0``, else None."""
    if not isinstance(st, ast.Assign):
        return None
    t = st.targets[0]
    if isinstance(t, ast.Name) and isinstance(st.value, ast.Call) and \
            isinstance(st.value.func, ast.Attribute) and st.value.func.attr == "zeros_like":
        return t.id
    if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and \
            isinstance(t.slice, ast.Slice) and t.slice.lower is None and \
            t.slice.upper is None and t.slice.step is None and _is_const(st.value, 0):
        return t.value.id
    return None


def _negate(test):
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return ir.clone(test.operand)
    return ast.UnaryOp(op=ast.Not(), operand=ir.clone(test))


def reversed_range(lo, hi, st, count):
    """``range`` visiting the forward loop's indices backwards."""
    one = _const(1)
    if isinstance(st, ast.UnaryOp) and isinstance(st.op, ast.USub) and _is_const(st.operand):
        st = _const(-st.operand.value)       # ``range(n - 2, -1, -1)`` as written
    if st is None or _is_const(st, 1):
        if count is not None:
            start = simplify(ast.BinOp(left=ast.BinOp(left=ir.clone(lo), op=ast.Add(),
                                                      right=count), op=ast.Sub(), right=one))
        else:
            start = add_int(hi, -1)
        return ast.Call(func=_name("range"), args=[start, add_int(lo, -1), _const(-1)],
                        keywords=[])
    if _is_const(st, -1) and count is None:
        start, stop = add_int(hi, 1), add_int(lo, 1)
        return ast.Call(func=_name("range"), args=[stop] if _is_const(start, 0) else [start, stop],
                        keywords=[])
    n = count if count is not None else ast.Call(
        func=_name("len"), args=[ast.Call(func=_name("range"), args=[ir.clone(lo),
                                                                      ir.clone(hi),
                                                                      ir.clone(st)],
                                          keywords=[])], keywords=[])
    start = ast.BinOp(left=ir.clone(lo), op=ast.Add(), right=ast.BinOp(
        left=ast.BinOp(left=n, op=ast.Sub(), right=one), op=ast.Mult(), right=ir.clone(st)))
    stop = ast.BinOp(left=ir.clone(lo), op=ast.Sub(), right=ir.clone(st))
    step = ast.UnaryOp(op=ast.USub(), operand=ir.clone(st))
    return ast.Call(func=_name("range"), args=[simplify(start), simplify(stop), simplify(step)],
                    keywords=[])


def _may_be_a_view(expr) -> bool:
    """Whether an adjoint expression may be (a view of) an existing array."""
    if isinstance(expr, (ast.Name, ast.Subscript)):
        return True
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and \
            expr.func.id in ("unbroadcast", "reshape_like"):
        return _may_be_a_view(expr.args[0])
    if isinstance(expr, ast.Call) and expr.args and ast.unparse(expr.func) in VIEW_NAMES:
        return _may_be_a_view(expr.args[0])       # np.flip(dz): a view of dz
    return isinstance(expr, ast.Attribute) and expr.attr == "T"


def _written(s) -> set:
    """The names statement ``s`` binds or writes elements of (``_dt3[:] = 0.0``,
    ``add_into(_dt3[:1], a)``: its first argument)."""
    out = stored_names(s)
    for n in nodes(s):
        base = n.targets if isinstance(n, ast.Assign) else [n.target] \
            if isinstance(n, ast.AugAssign) else [n.args[0]] \
            if isinstance(n, ast.Call) and n.args else []
        for b in base:
            while isinstance(b, ast.Subscript):
                b = b.value
            if isinstance(b, ast.Name):
                out.add(b.id)
    return out


def merge_scatters(block: list) -> list:
    """``dx[i] += a`` ... ``dx[i] += b`` -> one ``dx[i] += a + b`` when nothing
    in between touches ``dx`` (one read-modify-write instead of two)."""
    out = list(block)
    k = 0
    while k < len(out):
        s = out[k]
        if isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Add) and \
                isinstance(s.target, ast.Subscript) and isinstance(s.target.value, ast.Name):
            arr = s.target.value.id
            key = ast.dump(s.target.slice)
            for j in range(k + 1, len(out)):
                t = out[j]
                if isinstance(t, ast.AugAssign) and isinstance(t.op, ast.Add) and \
                        isinstance(t.target, ast.Subscript) and \
                        isinstance(t.target.value, ast.Name) and t.target.value.id == arr and \
                        ast.dump(t.target.slice) == key:
                    t.value = ast.BinOp(left=s.value, op=ast.Add(), right=t.value)
                    del out[k]
                    k -= 1
                    break
                if arr in free_names(t) or isinstance(t, (ast.If, ast.For, ast.While)) \
                        or _written(t) & free_names(s.target.slice) \
                        or _written(t) & free_names(s.value):
                    break
        k += 1
    return out


def missing_rule_message(key, prim, arg_types) -> str:
    """Why a primitive has no adjoint here, naming it as the user wrote it."""
    from .resolve import canonical_name
    if isinstance(key, str):
        name = f".{key.replace('copy_method', 'copy')}()" if ir.PRIM(prim)[0] == "method" else key
    else:
        name = canonical_name(key) or getattr(key, "__name__", repr(key))
    p = registry.get_primitive(key)
    message = f"no reverse-mode derivative rule for '{name}'"
    if p is not None and p.rules:
        what = ", ".join(str(t) for t in arg_types)
        message += f" with arguments ({what})"
    if p is not None and p.tangents:
        message += "; forward mode (sd.jvp) can differentiate it"
    if not isinstance(key, str):
        message += "; register one with @sourcediff.adjoint"
    return message


def foldable_conditions(fn) -> tuple[set, set]:
    """Branch conditions Numba could fold to a constant at compile time.

    Numba prunes a branch it can decide (``if DEBUG:`` on a global, or
    ``t = -0.787`` then ``if t > 0.15:``).  The adjoint would lose the tape
    appends of the pruned branch (an empty list then has no item type) and,
    when the branch is decided only after SSA, values defined there but read
    by the reverse sweep's copy of the branch are left ``Undefined``: both are
    Numba typing errors.  Returns the ids of comparisons to compute opaquely
    and the names tested directly whose constant definitions must be opaque."""
    defs: dict = {}
    for s in walk(fn.body):
        kind = ir.KIND(s)
        if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE):
            defs.setdefault(s.targets[0].id, []).append(s.value)
    # names that may hold a constant (through copies) where they are read
    maybe_const = set()
    changed = True
    while changed:
        changed = False
        for n, values in defs.items():
            if n not in maybe_const and any(
                    ir.PRIM(v) == ("const",) or (ir.PRIM(v) == ("copy",) and v.id in maybe_const)
                    for v in values):
                maybe_const.add(n)
                changed = True

    def constant(a):
        return isinstance(a, ast.Constant) or (isinstance(a, ast.Name) and a.id in maybe_const)

    tests, consts = set(), set()
    for s in walk(fn.body):
        if ir.KIND(s) == ir.Kind.ASSIGN and ir.PRIM(s.value) == ("compare",):
            if all(constant(a) for a in [s.value.left] + list(s.value.comparators)):
                tests.add(id(s))
        elif isinstance(s, ast.If) and isinstance(s.test, ast.Name) and \
                s.test.id in maybe_const and not ir.CONTROL_ONLY(s):
            consts.add(s.test.id)
    todo = list(consts)
    while todo:                 # through copies, back to the constants
        for v in defs.get(todo.pop(), []):
            if ir.PRIM(v) == ("copy",) and v.id in maybe_const and v.id not in consts:
                consts.add(v.id)
                todo.append(v.id)
    return tests, consts


def opaque(value, t):
    """``value`` computed so that Numba does not fold it (see foldable_conditions)."""
    kind = "bool" if isinstance(value, ast.Compare) or t is None else \
        {"float": "float", "int": "int"}.get(t.kind, "bool")
    if kind == "float" and t.dtype != _np.float64:
        return _call(f"np.{t.dtype.name}", value)
    return _call(kind, value)


def placeholder(t: T, shape=()):
    if t.kind == "float":
        if t.dtype == _np.float32:
            return _call("np.float32", _const(0.0))
        return _const(0.0)
    if t.kind == "int":
        return _const(0)
    if t.kind == "bool":
        return _const(False)
    if t.is_array:
        shape = ast.Tuple(elts=[ir.clone(a) for a in shape] or [_const(0)] * t.ndim,
                          ctx=ast.Load())
        return ast.Call(func=ast.parse("np.empty", mode="eval").body,
                        args=[shape, ast.parse(f"np.{t.dtype.name}", mode="eval").body],
                        keywords=[])
    raise NotImplementedError(f"cannot tape a {t}")


def _over_axis(array, axis: int) -> ast.Call:
    """``range(x.shape[axis])`` for ``array`` (a name or a Name node)."""
    node = _name(array) if isinstance(array, str) else ir.clone(array)
    return _call("range", ast.Subscript(value=ast.Attribute(value=node, attr="shape",
                                                            ctx=ast.Load()),
                                        slice=_const(axis), ctx=ast.Load()))
