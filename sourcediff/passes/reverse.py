"""Reverse mode: from a normalized, typed function to its adjoint.

The generated function runs a *forward sweep* (the normalized primal, plus
saves of values the reverse sweep needs but that get overwritten, on the
tapes passes/tape.py lays out: arrays with a slot per iteration, stacks,
lists) and a *reverse sweep* (the statements in reverse order, each followed
by the restoring read or pop).  Invariant: when the reverse sweep reaches a statement,
every variable it reads holds the value it had when the forward sweep ran
that statement.

What gets taped (the TBR rule: to be recorded only if overwritten *and*
needed):
* a variable is *needed* when the reverse sweep reads it (a rule reads an
  operand, an index, a branch condition, a loop bound);
* a needed variable is saved before an assignment that overwrites it (it has
  several assignments, or the assignment is in a loop);
* an array element is saved before ``a[i] = ...`` when ``a`` is needed
  (element, not array);
* scalar values computed in a loop body from the loop index, loop-invariant
  values and arrays the loop does not write are recomputed at the start of
  each reverse iteration instead of being taped.
"""
from __future__ import annotations

import ast
import copy
import itertools

import numpy as _np

from .. import ir
from ..names import Namer
from ..rules import registry
from ..rules.arrayfuncs import VIEW_NAMES
from ..rules.registry import ELEMENTWISE_OPS
from .activity import analyze_activity
from .astutil import assign as _assign
from .astutil import aug as _aug
from .astutil import call as _call
from .astutil import const as _const
from .astutil import free_names, simplify, stored_names, substitute, walk
from .astutil import is_const as _is_const
from .astutil import name as _name
from .buffers import (
    Liveness,
    find_moves,
    find_permutations,
    forward_assignment,
    inverse_assignment,
    value_flow,
)
from .numba_calls import lower_for_numba
from .plan_report import plan_lines
from .rulecall import RuleInfo, bind_template, constants_of, rule_inputs
from .tape import enclosing, plan_indexed_tapes, plan_stack_tapes, stack_sites
from .types import T, scalar
from .views import check_views, is_view


def _tape(stmt, role, tape, item=None):
    """Mark a generated statement as an operation on a tape (``ir.TAPE``)."""
    ir.TAPE.set(stmt, ir.TapeOp(role, tape, item))
    return stmt


def _zeroed(adj, var, line):
    """``adj = np.zeros_like(var)``, marked as an adjoint buffer (``ir.ADJOINT_INIT``)."""
    s = _assign(adj, _call("np.zeros_like", _name(var)), line)
    ir.ADJOINT_INIT.set(s, adj)
    return s




class Site:
    def __init__(self, stmt, var, loops, top_level, order):
        self.stmt = stmt
        self.var = var
        self.loops = loops          # enclosing loop statements, outermost first
        self.top_level = top_level  # directly in the function body
        self.order = order


class ReverseTransformer:
    """Builds the adjoint of one normalized function."""

    def __init__(self, fn: ast.FunctionDef, types: dict, wrt: list, mode: str, names: set,
                 callee_adjoint=None, error=None, checkpoint=None):
        self.fn = fn
        # checkpoint: None, True (segments of about sqrt(trip count) iterations) or an int
        # (a snapshot every that many iterations) for the top-level ``for`` loops
        self.checkpoint = checkpoint
        self.checkpointed: dict = {}      # id(loop) -> segment bookkeeping names
        self._plain = False               # forward sweep without tape (checkpointed loop)
        self._in_segment = False          # re-run of a checkpointed segment
        self.error = error
        self.types = types
        self.wrt = wrt
        self.mode = mode                  # 'grad' (seed 1.0) or 'vjp' (seed argument)
        self.params = [a.arg for a in fn.args.args]
        self.used = set(names) | set(self.params) | {
            n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}
        self.namer = Namer(self.used)     # x, x2, x3, ...
        self.callee_adjoint = callee_adjoint  # f(pyfunc, argtypes) -> (vjp name, diff flags)
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
        self.adj_names: dict[str, str] = {}
        self.tmp = itertools.count(1)
        self.helpers_used: set = set()

    # -- names -----------------------------------------------------------
    def fresh(self, base):
        return self.namer.fresh(base)

    def adj(self, var) -> str:
        name = self.adj_names.get(var)
        if name is None:
            base = "_d" + var[1:] if var.startswith("_") else "d" + var
            if base in self.used:
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
    def collect_sites(self):
        self.sites: dict[str, list] = {}
        self.loop_of: dict[int, list] = {}
        self.stmt_loops: dict[int, list] = {}
        order = itertools.count()

        def add(var, stmt, loops, top):
            self.sites.setdefault(var, []).append(Site(stmt, var, list(loops), top, next(order)))

        def visit(stmts, loops, top):
            for s in stmts:
                self.stmt_loops[id(s)] = list(loops)
                kind = ir.KIND(s)
                if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE):
                    add(s.targets[0].id, s, loops, top)
                elif kind == ir.Kind.UNPACK:
                    for e in s.targets[0].elts:
                        add(e.id, s, loops, top)
                elif isinstance(s, ast.For):
                    add(s.target.id, s, loops, top)
                    visit(s.body, loops + [s], False)
                elif isinstance(s, ast.While):
                    visit(s.body, loops + [s], False)
                elif isinstance(s, ast.If):
                    visit(s.body, loops, False)
                    visit(s.orelse, loops, False)
                else:
                    next(order)
        visit(self.fn.body, [], True)
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

    def forward_permutation(self, s) -> list:
        """The primal's rebinding as one tuple assignment (its temporaries are
        read nowhere else), the adjoint buffers following it."""
        perm = self.permutations[id(s)]
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
        perm = self.permutations[id(s)]
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

    def moved_back(self, s):
        """``dy, dx = dx, dy``: the array goes back to ``y`` with its adjoint."""
        x, y = s.targets[0].id, s.value.id
        swap = ast.Assign(targets=[ast.Tuple(elts=[_name(self.adj(y), True),
                                                   _name(self.adj(x), True)], ctx=ast.Store())],
                          value=ast.Tuple(elts=[_name(self.adj(x)), _name(self.adj(y))],
                                          ctx=ast.Load()))
        ir.LINE.set(swap, ir.LINE(s))
        return swap

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
        """Per loop, the scalar statements re-evaluated in each reverse iteration.

        Loop-carried scalars (``x`` in ``x += h * f(x)``, assigned once in the
        body, after every read of it) are saved once per iteration, at its
        start, and restored at the start of the reverse iteration: everything
        the body computes from them is then recomputed instead of taped.
        """
        self.recompute: dict[int, list] = {}
        self.recomputed_vars: set = set()
        self.carried: dict[int, list] = {}       # id(loop) -> carried vars (snapshot)
        self.carried_sites: set = set()          # (id(site stmt), var) replaced by snapshots
        for loop in [s for s in walk(self.fn.body) if isinstance(s, (ast.For, ast.While))]:
            written = self.assigned_in(loop)
            carried = self.carried_vars(loop)
            ok = set()
            if isinstance(loop, ast.For):
                ok.add(loop.target.id)
            chosen = []
            for idx, s in enumerate(loop.body):
                if ir.KIND(s) != ir.Kind.ASSIGN:
                    continue
                z = s.targets[0].id
                t = self.types.get(z)
                head = ir.PRIM(s.value)[0]
                # scalars, and views of arrays (free to re-take)
                if t is None or not (t.is_scalar or (t.is_array and head == "subscript")) \
                        or len(self.sites.get(z, [])) != 1 \
                        or z in self.params or z in self.counters:
                    continue
                if head in ("user", "method", "tuple", "global"):
                    continue
                if head == "call" and registry.get_primitive(ir.PRIM(s.value)[1]) is not None \
                        and registry.get_primitive(ir.PRIM(s.value)[1]).rules \
                        and registry.get_primitive(ir.PRIM(s.value)[1]).rules[0].call is not None:
                    continue
                names = free_names(s.value) - {"np", "math"}
                if head == "call":
                    names -= free_names(s.value.func)
                if all(n in ok or n not in written or carried.get(n, -1) > idx for n in names):
                    ok.add(z)
                    chosen.append(s)
            self.recompute[id(loop)] = chosen
            self.recomputed_vars |= {s.targets[0].id for s in chosen}
            self.carried[id(loop)] = sorted(carried)
            for var, idx in carried.items():
                self.carried_sites.add((id(loop.body[idx]), var))

    def carried_vars(self, loop) -> dict:
        """Scalars assigned exactly once in the loop, at the top of its body, by an
        operation whose adjoint does not read the new value, and not read after
        that assignment within the body: ``{var: index of the assignment}``."""
        out = {}
        body = loop.body
        for idx, s in enumerate(body):
            kind = ir.KIND(s)
            if kind not in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE):
                continue
            z = s.targets[0].id
            t = self.types.get(z)
            if t is None or not t.is_scalar or z in self.counters:
                continue
            in_loop = [st for st in self.sites.get(z, []) if loop in st.loops]
            if len(in_loop) != 1 or len(self.sites[z]) < 2:
                continue
            if kind == ir.Kind.ASSIGN and ir.PRIM(s.value) not in (
                    ("copy",), ("binop", "Add"), ("binop", "Sub"), ("binop", "Mult")):
                continue
            if any(z in free_names(later) for later in body[idx + 1:]):
                continue
            out[z] = idx
        return out

    # -- checkpointing ---------------------------------------------------
    def select_checkpointed(self):
        """Top-level ``for i in range(lo, hi)`` loops run without a tape in the
        forward sweep, keeping a snapshot of the state they change every
        ``every`` iterations; the reverse sweep handles one segment at a time,
        last first: restore its snapshot, re-run its iterations with the tape,
        reverse them.  Memory: (trip count / every) snapshots plus one
        segment's tape; time: one more primal run of the loop."""
        self.checkpoint_skipped: list = []   # (line, why) of loops kept on the full tape
        if not self.checkpoint:
            return
        for s in self.fn.body:
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
            state = []
            for v in sorted(self.assigned_in(s) - {s.target.id}):
                t = self.types.get(v)
                if t is None or not (t.is_scalar or t.is_array):
                    continue
                if v in self.params or any(st.order < order for st in self.sites.get(v, [])):
                    state.append(v)
            self.checkpointed[id(s)] = state

    def checkpoint_every(self, lo, hi):
        if self.checkpoint is True:
            # about sqrt(trip count) iterations per segment
            n = ast.BinOp(left=copy.deepcopy(hi), op=ast.Sub(), right=copy.deepcopy(lo))
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
        if (id(s), s.target.id) in self.save_at:
            out += self.push(s.target.id, line)
        pos = _name(s.target.id) if _is_const(lo, 0) else ast.BinOp(
            left=_name(s.target.id), op=ast.Sub(), right=copy.deepcopy(lo))
        test = ast.Compare(left=ast.BinOp(left=pos, op=ast.Mod(), right=_name(every)),
                           ops=[ast.Eq()], comparators=[_const(0)])
        snaps = []
        for v in self.checkpointed[id(s)]:
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
        self.reads |= inputs - self.assigned_in(s)
        # the last segment starts at lo + every * ((hi - lo - 1) // every)
        span = ast.BinOp(left=ast.BinOp(left=copy.deepcopy(hi), op=ast.Sub(),
                                        right=copy.deepcopy(lo)), op=ast.Sub(), right=_const(1))
        last = ast.BinOp(left=ast.BinOp(left=simplify(span), op=ast.FloorDiv(),
                                        right=_name(every)), op=ast.Mult(), right=_name(every))
        if not _is_const(lo, 0):
            last = ast.BinOp(left=copy.deepcopy(lo), op=ast.Add(), right=last)
        stop_lo = ast.BinOp(left=copy.deepcopy(lo), op=ast.Sub(), right=_const(1))
        segs = ast.Call(func=_name("range"),
                        args=[simplify(last), simplify(stop_lo),
                              ast.UnaryOp(op=ast.USub(), operand=_name(every))], keywords=[])
        body = [_assign(stop, _call("min", ast.BinOp(left=_name(start), op=ast.Add(),
                                                      right=_name(every)),
                                    copy.deepcopy(hi)), line)]
        for v in reversed(self.checkpointed[id(s)]):
            pop = ast.Call(func=ast.Attribute(value=_name(self.checkpoint_stack(v)), attr="pop",
                                              ctx=ast.Load()), args=[], keywords=[])
            body.append(_tape(_assign(v, pop, line), "pop", self.checkpoint_stack(v)))
        saved_iter, saved_target_save = s.iter, (id(s), s.target.id) in self.save_at
        s.iter = ast.Call(func=_name("range"), args=[_name(start), _name(stop)], keywords=[])
        self.save_at.discard((id(s), s.target.id))
        self._in_segment = True
        try:
            body += self.forward_stmt(s)
            body += self.reverse_loop(s)
        finally:
            self._in_segment = False
            s.iter = saved_iter
            if saved_target_save:
                self.save_at.add((id(s), s.target.id))
        loop = ast.For(target=_name(start, True), iter=segs, body=body, orelse=[],
                       type_comment=None)
        ir.LINE.set(loop, line)
        ir.NOTE.set(loop, "checkpointed: each segment, last first: restore its snapshot, "
                    "re-run with tape, reverse")
        out = [loop]
        if saved_target_save:
            out += self.restore(s.target.id, line)
        return out

    # -- entry -----------------------------------------------------------
    def run(self, fname: str) -> ast.FunctionDef:
        self.alias_taped = check_views(self.fn, self.types, self.error)
        self.around = enclosing(self.fn.body)
        self.hoisted: dict = {}          # id(loop) -> {var: line}: adjoint buffers made after it
        self._fusing = False
        self.collect_sites()
        self.permutations = self.plan_permutations()
        self.opaque_tests, self.opaque_consts = foldable_conditions(self.fn)
        self.select_checkpointed()
        self.find_recomputable()
        self.count_contributions()
        self.moves = self.plan_moves()
        self.value_flow = value_flow(self.fn, self.types, is_view, find_moves(
            self.fn, self.types, self.params, Liveness(self.fn)))
        # needed/saved is a fixpoint: restores read indices, which may need saving
        self.needed: set = set()
        # values read, not only shapes (zeroing a buffer like x): writes into
        # such an array are taped element by element
        self.value_needed: set = set(self.alias_taped)
        while True:
            self.saved_vars: set = set()
            self.saved_items: set = set()
            self.decide_saves()
            self.choose_array_tapes()
            self.plan_indexed_tapes()
            self.plan_stacks()
            self.reads: set = set()
            self.shape_reads: set = set()
            reverse = self.reverse_block(self.fn.body)
            new_needed = ((self.reads | self.shape_reads) & self.primal_names()) | self.needed
            values = (self.reads & self.primal_names()) | self.value_needed
            while True:        # an array's values are needed under each name it had
                more = {y for x, y in self.value_flow if x in values} - values
                if not more:
                    break
                values |= more
            if new_needed == self.needed and values == self.value_needed:
                break
            self.needed, self.value_needed = new_needed, values
        fused = self.try_fuse()
        if fused is not None:
            forward, loop, reverse = fused
            return ir.PLAN.set(self.assemble(fname, forward, reverse, fused_loop=loop),
                               plan_lines(self, loop))
        forward = self.forward_block(self.fn.body)
        return ir.PLAN.set(self.assemble(fname, forward, reverse), plan_lines(self))

    def try_fuse(self):
        """Run a final accumulation loop's reverse iteration right after its
        forward iteration (the order of a hand-written adjoint).

        Allowed when the loop is the last statement before ``return``, nothing
        in it is taped, and its reverse iterations are independent: array
        adjoints are only accumulated into, and scalar adjoints are either
        read-only (like the seed ``ds``) or temporaries of one iteration.
        """
        body = self.fn.body
        k = len(body) - 2
        if self.mode != "grad" or k < 0 or not isinstance(body[k], ast.For) or \
                ir.COUNT(body[k]):
            return None
        # a perfect nest (the body one loop, ...) fuses at its innermost body
        nest = [body[k]]
        while len(nest[-1].body) == 1 and isinstance(nest[-1].body[0], ast.For) and \
                not ir.COUNT(nest[-1].body[0]):
            nest.append(nest[-1].body[0])
        loop = nest[-1]
        if any((id(n), n.target.id) in self.save_at or n is not loop and
               self.snapshot_vars_of(n) for n in nest):
            return None
        # fused, an iteration's reverse runs before the next iteration overwrites
        # the values of its iteration-local variables: they need no tape
        once = iteration_locals(loop, body[k + 1:]) & assigned_once(loop.body) | \
            final_value_locals(loop, body[k + 1:], self.active)
        inside = {id(st) for st in walk(loop.body)}
        dropped = {(sid, v) for sid, v in self.save_at if v in once and sid in inside}
        kept = (self.saved_vars, self.placeholders)
        self.save_at -= dropped
        untaped = {v for _, v in dropped} - {v for _, v in self.save_at}
        self.saved_vars = self.saved_vars - untaped
        self.placeholders = self.placeholders - untaped
        fused = self.fuse_loop(loop, body[k + 1:])
        if fused is None:
            self.save_at |= dropped
            self.saved_vars, self.placeholders = kept
            return None
        for outer in reversed(nest[:-1]):
            wrapper = copy.copy(outer)
            wrapper.body = [fused]
            self.checkpointed.pop(id(outer), None)
            fused = wrapper
        forward = self.forward_block(body[:k])
        reverse = self.reverse_block(body[:k])
        return forward, fused, reverse

    def fuse_loop(self, loop, after):
        """The fused loop (forward then reverse body), or None when its reverse
        iterations are not independent."""
        self._fusing = True
        try:
            fwd = self.forward_block(loop.body)
        finally:
            self._fusing = False
        rev = self.reverse_block(loop.body)
        if not rev:
            return None
        for node in ast.walk(ast.Module(body=fwd + rev, type_ignores=[])):
            if isinstance(node, ast.Attribute) and node.attr in ("append", "pop") or \
                    isinstance(node, ast.stmt) and ir.TAPE(node) is not None:
                return None
        inside = {id(st) for st in walk(loop.body)}
        if any(sid in inside for sid in self.indexed) or any(
                key in self.save_at and key[0] in inside for key in self.indexed_scalars):
            return None
        # state restored per reverse iteration (snapshots, undone counters)
        # needs the reverse iterations in reverse order
        if self.snapshot_vars_of(loop) or any(
                (id(st), v) in self.inverted or (id(st), v) in self.inverted_carried
                for st in walk(loop.body)
                if ir.KIND(st) in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE, ir.Kind.UNPACK)
                for v in self.targets_of(st)):
            return None
        adjoint_of = {v: k2 for k2, v in self.adj_names.items()}
        # adjoints of temporaries of one iteration (direct ones, and variables
        # the body assigns before any read, unused after the loop) start at
        # zero and are reset within each reverse iteration: they commute too
        local = self.direct | iteration_locals(loop, after) | inner_iteration_locals(loop, after)
        direct = {self.adj_names[v] for v in local if v in self.adj_names}
        arrays = {a for a, v in adjoint_of.items() if self.types[v].is_array and v not in local}
        for st in walk(rev):
            # an inner loop (an element loop of passes/lower.py, a scalar loop
            # over a row) runs whole within its outer iteration: its
            # statements are checked like the others
            if isinstance(st, (ast.If, ast.While)) or isinstance(st, ast.For) and \
                    ir.COUNT(st):
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
                        and (isinstance(st.target, ast.Subscript) or any(
                            isinstance(n, ast.Name) and n.id == tgt.id and
                            isinstance(n.ctx, ast.Load) for r in rev for n in ast.walk(r))):
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
        # reset at the end of the reverse part
        zeroed = {ast.dump(st) for st in fwd if _is_zeroing(st)}
        rev = [st for st in rev if not (_is_zeroing(st) and ast.dump(st) in zeroed)]
        fused = copy.copy(loop)
        fused.body = fwd + rev
        self.checkpointed.pop(id(loop), None)    # nothing taped: nothing to checkpoint
        return fused

    def primal_names(self) -> set:
        return set(self.types) | set(self.params)

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
                    and (t.kind == "float" or (t.is_array and self.broadcast_safe(var))):
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
            arrays = [n.id for n in ast.walk(s.value) if isinstance(n, ast.Name)
                      and self.types.get(n.id) is not None and self.types[n.id].is_array]
            if len(set(arrays)) > 1 or any(self.types[n].ndim != zt.ndim for n in arrays):
                return False
            from .activity import diff_operands
            if any(n in self.active and not self.types[n].is_array
                   for n in diff_operands(s.value)):
                return False   # a scalar operand's adjoint is a sum over the result
        if key[0] == "binop":
            return key[1] in ELEMENTWISE_OPS
        if key[0] in ("subscript", "copy") or key == ("unary", "USub"):
            return True
        return key[0] == "call" and registry.is_elementwise(key[1])

    def targets_of(self, s):
        if ir.KIND(s) == ir.Kind.UNPACK:
            return [e.id for e in s.targets[0].elts]
        return [s.targets[0].id]

    def contribution_targets(self, s):
        from .activity import diff_operands
        out = []
        if ir.KIND(s) == ir.Kind.ACCUMULATE:
            r = s.value.right
            return [r.id] if isinstance(r, ast.Name) and r.id in self.active else []
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
                    inside |= {id(n) for n in ast.walk(st)}
        return all(id(n) in inside for n in ast.walk(self.fn)
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
        for var, sites in self.sites.items():
            if var not in self.needed or var in self.recomputed_vars:
                continue
            if self.loop_index_only(var):
                continue
            # a permutation of buffers is undone by its inverse, not a tape
            sites = [st for st in sites if id(st.stmt) not in self.permutations]
            if not sites:
                continue
            if var in self.counters:
                sites = [st for st in sites if ir.KIND(st.stmt) != ir.Kind.ACCUMULATE]
            else:
                for st in sites:
                    if self.invertible(st.stmt, var):
                        if (id(st.stmt), var) in self.carried_sites:
                            # undone at the start of each reverse iteration, where
                            # a snapshot would be restored
                            self.inverted_carried.add((id(st.stmt), var))
                        else:
                            self.inverted.add((id(st.stmt), var))
                sites = [st for st in sites if (id(st.stmt), var) not in self.inverted
                         and (id(st.stmt), var) not in self.inverted_carried]
                if not sites:
                    continue
            first = min(sites, key=lambda st: st.order)
            is_param = var in self.params
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
                    self.save_at.add((id(st.stmt), var))
                    self.saved_vars.add(var)
                    definite = first.top_level and not isinstance(first.stmt, ast.For)
                    if not is_param and not definite:
                        self.placeholders.add(var)
        for s in walk(self.fn.body):
            kind = ir.KIND(s)
            if kind in (ir.Kind.STORE, ir.Kind.AUGSTORE):
                base = s.targets[0].value.id if kind == ir.Kind.STORE else s.target.value.id
                if base in self.value_needed:
                    self.save_at.add((id(s), base + "[]"))

    def stack(self, var) -> str:
        return self.fresh_cached("_saved_" + var.lstrip("_"), ("saved", var))

    def item_type(self, base, index):
        """The type of ``base[index]`` when it is one element (pushed on an item tape)."""
        t = self.types.get(base)
        if t is None or not t.is_array or _has_slice(index) or _index_ndim(t, index) != 0:
            return None
        return scalar(t.dtype)

    def item_stack(self, var, sliced=False) -> str:
        kind = "_slices" if sliced else "_items"
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
        """Save ``value`` on ``tape``: a stack (``self.stacks[key]``) or a list."""
        if key in self.stacks:
            top = self.stack_top(tape)
            slot = ast.Subscript(value=_name(tape), slice=_name(top), ctx=ast.Store())
            return [_tape(_assign(slot, value, line), "push", tape, item),
                    _aug(top, ast.Add(), _const(1), line)]
        return [_tape(ast.Expr(value=ast.Call(
            func=ast.Attribute(value=_name(tape), attr="append", ctx=ast.Load()),
            args=[value], keywords=[])), "push", tape, item)]

    def pop_from(self, key, tape, target, line) -> list:
        """Restore ``target`` from the top of ``tape`` (a stack or a list)."""
        if key in self.stacks:
            top = self.stack_top(tape)
            value = ast.Subscript(value=_name(tape), slice=_name(top), ctx=ast.Load())
            return [_aug(top, ast.Sub(), _const(1), line),
                    _tape(_assign(target, value, line), "pop", tape)]
        pop = ast.Call(func=ast.Attribute(value=_name(tape), attr="pop", ctx=ast.Load()),
                       args=[], keywords=[])
        return [_tape(_assign(target, pop, line), "pop", tape)]

    def stack_top(self, tape) -> str:
        return self.fresh_cached(tape + "_top", ("top", tape))

    def stack_name(self, key) -> str:
        return self.stack(key[1]) if key[0] == "saved" else self.item_stack(key[1])

    def stack_allocations(self, top) -> list:
        """The stacks allocated before top-level statement ``top`` (None: first of all)."""
        out = []
        line = ir.LINE(top) if top is not None else ir.LINE(self.fn)
        for key, tape in sorted(self.stacks.items()):
            if tape.top is top:
                name = self.stack_name(key)
                out.append(_tape(_assign(name, ast.Call(
                    func=ast.parse("np.empty", mode="eval").body,
                    args=[copy.deepcopy(tape.capacity),
                          ast.parse("np.bool_" if tape.dtype.kind == "b" else
                                    f"np.{tape.dtype.name}", mode="eval").body],
                    keywords=[]), line), "array", name, tape.dtype))
                out.append(_assign(self.stack_top(name), _const(0), line))
        return out

    def snapshot_vars_of(self, loop) -> list:
        return [v for v in self.carried.get(id(loop), []) if v in self.snapshot_vars]

    def snapshot_pushes(self, loop) -> list:
        line = ir.LINE(loop)
        out = []
        for v in self.snapshot_vars_of(loop):
            if v in self.array_tapes.get(id(loop), ()):
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
                                                     right=copy.deepcopy(lo))

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

    def hoisted_loop(self, s, var):
        """The top-level loop after which the adjoint buffer of ``var``, defined
        by ``s`` inside it, is allocated once (instead of once per iteration):
        ``var`` is a parameter or defined before the loop, so it exists there
        even after no iteration.  None where the buffer stays at ``s`` (fused or
        checkpointed loops, which use each iteration's buffer)."""
        if self._fusing or self.checkpointed:
            return None
        around = self.around.get(id(s), [])
        if not around or not isinstance(around[0], ast.For):
            return None
        outer = around[0]
        body = self.fn.body
        if outer not in body:
            return None
        before = body[:body.index(outer)]
        # (a placeholder made before the forward sweep counts: an array made
        # afresh in each iteration, ``unew = np.empty(n)``)
        defined = var in self.params or var in self.placeholders or any(
            ir.KIND(st) in (ir.Kind.ASSIGN, ir.Kind.UNPACK) and var in self.targets_of(st)
            for st in before)
        return outer if defined else None

    def plan_indexed_tapes(self):
        """Element saves inside counted loop nests go into preallocated arrays
        (passes/tape.py); not with checkpointing, whose segments re-run."""
        self.indexed: dict = {}            # id(store) -> IndexedTape
        self.indexed_base: dict = {}       # id(store) -> the array written into
        self.indexed_scalars: dict = {}    # (id(assignment), var) -> IndexedTape
        if self.checkpointed:
            return
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
            if bt is None or not bt.is_array or _has_slice(target.slice) or \
                    _index_ndim(bt, target.slice) != 0:
                return None
            return bt.dtype
        self.indexed = plan_indexed_tapes(self.fn, sites, element_dtype)
        self.indexed_base = {id(st): base for st, base in sites if id(st) in self.indexed}
        # scalars overwritten inside counted loop nests: one slot per iteration too
        stmts = {id(st): st for st in walk(self.fn.body)}
        for sid, var in self.save_at:
            st, t = stmts.get(sid), self.types.get(var)
            if var.endswith("[]") or isinstance(st, (ast.For, ast.While)) or st is None \
                    or t is None or not t.is_scalar or t.dtype.kind not in "fi":
                continue
            plan = plan_indexed_tapes(self.fn, [(st, var)], lambda _st, dtype=t.dtype: dtype)
            if sid in plan:
                self.indexed_scalars[(sid, var)] = plan[sid]

    def plan_stacks(self):
        """Numbers saved neither in an indexed tape nor in a loop's array go
        on stacks sized by a bound on their pushes (passes/tape.py); not with
        checkpointing, whose segments push again in the reverse sweep."""
        self.stacks: dict = {}     # ("saved", var) / ("_items", base) -> StackTape
        if not self.checkpointed:
            self.stacks = plan_stack_tapes(self.fn, self.around, stack_sites(self))

    def scalar_tape(self, sid, var) -> str:
        return self.fresh_cached("_saved_" + var.lstrip("_"), ("indexed", sid, var))

    def listed_vars(self) -> set:
        """Saved variables with a list tape: some save of theirs is not indexed."""
        return {v for v in self.saved_vars if v in self.snapshot_vars or any(
            v == var and (sid, var) not in self.indexed_scalars for sid, var in self.save_at)}

    def indexed_tape(self, st):
        return self.indexed_tape_of(id(st))

    def indexed_tape_of(self, sid):
        base = self.indexed_base[sid]
        return self.fresh_cached("_saved_" + base.lstrip("_") + "_items", ("_items", base, sid))

    def indexed_allocations(self, loop) -> list:
        out = []
        named = [(tape, self.indexed_tape_of, sid) for sid, tape in self.indexed.items()]
        named += [(tape, self.scalar_tape, *key) for key, tape in self.indexed_scalars.items()
                  if key in self.save_at]
        for tape, name_of, *key in named:
            if tape.outer is loop:
                name = name_of(*key)
                out.append(_tape(_assign(name, ast.Call(
                    func=ast.parse("np.empty", mode="eval").body,
                    args=[copy.deepcopy(tape.capacity),
                          ast.parse(f"np.{tape.dtype.name}", mode="eval").body],
                    keywords=[]), ir.LINE(loop)),
                    "array", name, _np.dtype(tape.dtype.name)))
        return out

    def array_tape_allocations(self, loop) -> list:
        out = []
        args = loop.iter.args
        lo, hi = (_const(0), args[0]) if len(args) == 1 else (args[0], args[1])
        count = simplify(ast.BinOp(left=copy.deepcopy(hi), op=ast.Sub(), right=copy.deepcopy(lo)))
        for v in self.array_tapes.get(id(loop), ()):
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
        for v in reversed(self.snapshot_vars_of(loop)):
            if v in self.array_tapes.get(id(loop), ()):
                out.append(_assign(v, ast.Subscript(value=_name(self.stack(v)),
                                                    slice=self.iteration(loop),
                                                    ctx=ast.Load()), line))
            else:
                out += self.restore(v, line)
        for s in loop.body:
            for v in self.carried.get(id(loop), []):
                if (id(s), v) in self.inverted_carried:
                    # back to the value at the start of the iteration
                    inverse = ast.Sub() if isinstance(s.value.op, ast.Add) else ast.Add()
                    out.append(_aug(v, inverse, copy.deepcopy(s.value.right), line))
                    self.read(s.value.right)
        return out

    def forward_stmt(self, s) -> list:
        if id(s) in self.permutations:
            return self.forward_permutation(s)
        kind = ir.KIND(s)
        line = ir.LINE(s)
        pre, post = [], []
        if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE, ir.Kind.UNPACK):
            for var in self.targets_of(s):
                if (id(s), var) in self.indexed_scalars and (id(s), var) in self.save_at \
                        and not self._plain:
                    slot = ast.Subscript(value=_name(self.scalar_tape(id(s), var)), ctx=ast.Store(),
                                         slice=copy.deepcopy(self.indexed_scalars[id(s), var].index))
                    pre.append(_assign(slot, _name(var), line))
                elif (id(s), var) in self.save_at and not self._plain:
                    pre += self.push(var, line)
                t = self.types.get(var)
                if var in self.active and t is not None and t.is_array and kind != ir.Kind.ACCUMULATE \
                        and var not in self.direct and not self._in_segment:
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
            if (id(s), base + "[]") in self.save_at and not self._plain and id(s) in self.indexed:
                item = ast.Subscript(value=_name(base), slice=copy.deepcopy(target.slice),
                                     ctx=ast.Load())
                slot = ast.Subscript(value=_name(self.indexed_tape(s)),
                                     slice=copy.deepcopy(self.indexed[id(s)].index),
                                     ctx=ast.Store())
                pre.append(_assign(slot, item, line))
            elif (id(s), base + "[]") in self.save_at and not self._plain:
                item = ast.Subscript(value=_name(base), slice=copy.deepcopy(target.slice),
                                     ctx=ast.Load())
                if _has_slice(target.slice):
                    item = ast.Call(func=ast.Attribute(value=item, attr="copy", ctx=ast.Load()),
                                    args=[], keywords=[])
                sliced = _has_slice(target.slice)
                pre += self.push_onto(None if sliced else ("_items", base),
                                      self.item_stack(base, sliced), item,
                                      self.item_type(base, target.slice), line)
            return pre + [s]
        if isinstance(s, ast.If):
            new = copy.copy(s)
            new.body = self.forward_block(s.body) or [ast.Pass()]
            new.orelse = self.forward_block(s.orelse)
            return [new]
        if isinstance(s, ast.For):
            if id(s) in self.checkpointed and not self._plain and not self._in_segment:
                return self.checkpointed_forward(s)
            if (id(s), s.target.id) in self.save_at and not self._plain:
                pre += self.push(s.target.id, line)
            if not self._plain:
                pre += self.array_tape_allocations(s) + self.indexed_allocations(s)
            new = copy.copy(s)
            snaps = [] if self._plain else self.snapshot_pushes(s)
            new.body = snaps + self.forward_block(s.body) or [ast.Pass()]
            inits = [_zeroed(self.adj(v), v, at)
                     for v, at in self.hoisted.pop(id(s), {}).items()]
            return pre + [new] + inits
        if isinstance(s, ast.While):
            new = copy.copy(s)
            body = self.forward_block(s.body)
            # a while body starts with the trip counter: the snapshot follows it
            snaps = [] if self._plain else self.snapshot_pushes(s)
            new.body = body[:1] + snaps + body[1:] or [ast.Pass()]
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
    def read(self, *nodes):
        for n in nodes:
            if n is not None:
                self.reads |= free_names(n)

    def reverse_block(self, stmts) -> list:
        out = []
        for s in reversed(stmts):
            out.extend(self.reverse_stmt(s))
        return merge_scatters(out)

    def restore(self, var, line) -> list:
        return self.pop_from(("saved", var), self.stack(var), _name(var, True), line)

    def reset(self, var, line):
        t = self.types[var]
        if t.is_array:
            return _zeroed(self.adj(var), var, line)
        return _assign(self.adj(var), _const(0.0), line)

    def needs_reset(self, var, s):
        if var not in self.active or var in self.direct:
            return False
        sites = self.sites.get(var, [])
        first = min(sites, key=lambda st: st.order) if sites else None
        if first is not None and first.stmt is s and first.top_level and var not in self.params:
            return False   # nothing before the first definition reads the adjoint
        return len(sites) > 1 or bool(self.stmt_loops.get(id(s))) or var in self.params

    def accumulate(self, var, expr, line, sub=False):
        """``dvar += expr`` (or ``dvar = expr`` for a direct temporary)."""
        if var in self.direct:
            value = simplify(ast.UnaryOp(op=ast.USub(), operand=expr) if sub else expr)
            if self.types[var].is_array and _may_be_a_view(value) and not self.is_scalar_adjoint(value):
                value = _call("fresh", value)
            return _assign(self.adj(var), value, line)
        return _aug(self.adj(var), ast.Sub() if sub else ast.Add(), simplify(expr), line)

    def is_scalar_adjoint(self, expr) -> bool:
        """``expr`` names the adjoint of a scalar variable."""
        if not isinstance(expr, ast.Name):
            return False
        for var, name in self.adj_names.items():
            if name == expr.id:
                return self.types[var].is_scalar
        return False

    def reverse_stmt(self, s) -> list:
        if id(s) in self.permutations:
            return self.reverse_permutation(s)
        kind = ir.KIND(s)
        line = ir.LINE(s)
        out = []
        if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE, ir.Kind.UNPACK):
            targets = self.targets_of(s)
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
                elif id(s) in self.moves:
                    out.append(self.moved_back(s))
                else:
                    out += self.adjoint_assign(s)
            resets = []
            for var in targets:
                if (id(s), var) in self.save_at and (id(s), var) in self.indexed_scalars:
                    index = self.indexed_scalars[id(s), var].index
                    out.append(_assign(var, ast.Subscript(
                        value=_name(self.scalar_tape(id(s), var)), slice=copy.deepcopy(index),
                        ctx=ast.Load()), line))
                    self.read(index)
                elif (id(s), var) in self.save_at:
                    out += self.restore(var, line)
                elif (id(s), var) in self.inverted:
                    inverse = ast.Sub() if isinstance(s.value.op, ast.Add) else ast.Add()
                    out.append(_aug(var, inverse, copy.deepcopy(s.value.right), line))
                    self.read(s.value.right)
                if id(s) in self.moves and self.needs_reset(var, s):
                    # the buffer the array's source left (zero) serves its old value
                    dx = _name(self.adj(var), True)
                    resets.append(_assign(dx, _call("reuse_zeros", _name(self.adj(var)),
                                                     _name(var)), line))
                    self.shape_reads.add(var)
                elif kind != ir.Kind.ACCUMULATE and self.needs_reset(var, s):
                    resets.append(self.reset(var, line))
                    if self.types[var].is_array:
                        self.shape_reads.add(var)
            return out + resets
        if kind in (ir.Kind.STORE, ir.Kind.AUGSTORE):
            target = s.targets[0] if kind == ir.Kind.STORE else s.target
            base = target.value.id
            if base in self.active:
                out += self.adjoint_store(s, target, kind)
            if (id(s), base + "[]") in self.save_at and id(s) in self.indexed:
                index = self.indexed[id(s)].index
                sub = ast.Subscript(value=_name(base), slice=copy.deepcopy(target.slice),
                                    ctx=ast.Store())
                out.append(_assign(sub, ast.Subscript(value=_name(self.indexed_tape(s)),
                                                      slice=copy.deepcopy(index),
                                                      ctx=ast.Load()), line))
                self.read(target.slice, index)
            elif (id(s), base + "[]") in self.save_at:
                sliced = _has_slice(target.slice)
                sub = ast.Subscript(value=_name(base), slice=copy.deepcopy(target.slice),
                                    ctx=ast.Store())
                out += self.pop_from(None if sliced else ("_items", base),
                                     self.item_stack(base, sliced), sub, line)
                self.read(target.slice)
            return out
        if isinstance(s, ast.If):
            if ir.CONTROL_ONLY(s):
                return []
            body = self.reverse_block(s.body)
            orelse = self.reverse_block(s.orelse)
            if not body and not orelse:
                return []
            self.read(s.test)
            node = ast.If(test=copy.deepcopy(s.test), body=body or [ast.Pass()], orelse=orelse)
            ir.LINE.set(node, line)
            if not body:
                node = ast.If(test=_negate(s.test), body=orelse, orelse=[])
                ir.LINE.set(node, line)
            return [node]
        if isinstance(s, (ast.For, ast.While)):
            return self.reverse_loop(s)
        return []

    def reverse_loop(self, s) -> list:
        if id(s) in self.checkpointed and not self._in_segment:
            return self.checkpointed_reverse(s)
        line = ir.LINE(s)
        body = self.reverse_block(s.body)
        out = []
        is_for = isinstance(s, ast.For)
        undo = any((id(b), v) in self.inverted_carried for b in s.body
                   for v in self.carried.get(id(s), []))
        if body or self.snapshot_vars_of(s) or undo:
            recompute = self.snapshot_pops(s) + self.needed_recomputation(s)
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
            out.append(loop)
        if is_for and (id(s), s.target.id) in self.save_at:
            out += self.restore(s.target.id, line)
        return out

    def needed_recomputation(self, loop) -> list:
        chosen = self.recompute.get(id(loop), [])
        if not chosen:
            return []
        want = set()
        by_var = {st.targets[0].id: st for st in chosen}
        # closure over what the reverse sweep reads
        stack = [v for v in by_var if v in self.reads or v in self.needed]
        while stack:
            v = stack.pop()
            if v in want:
                continue
            want.add(v)
            for n in free_names(by_var[v].value):
                if n in by_var and n not in want:
                    stack.append(n)
        out = []
        for st in chosen:
            if st.targets[0].id in want:
                new = copy.copy(st)
                new.value = self.primal_value(st)
                out.append(new)
                self.read(st.value)
        return out

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
            self.read(operand)
            return _call("unbroadcast", expr, _name(operand.id))
        return expr

    def is_int_array(self, index) -> bool:
        t = self.types.get(index.id) if isinstance(index, ast.Name) else None
        return t is not None and t.is_array and t.dtype.kind in "iu"

    def scatter_add(self, base, idx, dz, line):
        """Adjoint of a gather ``z = x[idx]``: ``dx[idx[k]] += dz[k]`` one index at a
        time, so repeated indices add up (``dx[idx] += dz`` would keep one)."""
        k = self.fresh("_k")
        body = _aug(ast.Subscript(value=_name(self.adj(base)), slice=ast.Subscript(
            value=copy.deepcopy(idx), slice=_name(k), ctx=ast.Load()), ctx=ast.Store()),
            ast.Add(), ast.Subscript(value=dz, slice=_name(k), ctx=ast.Load()), line)
        loop = ast.For(target=_name(k, True), iter=_call("range", ast.Subscript(
            value=ast.Attribute(value=copy.deepcopy(idx), attr="shape", ctx=ast.Load()),
            slice=_const(0), ctx=ast.Load())), body=[body], orelse=[])
        ir.LINE.set(loop, line)
        return loop

    def adjoint_assign(self, s) -> list:
        z = s.targets[0].id
        prim = s.value
        head = ir.PRIM(prim)[0]
        line = ir.LINE(s)
        dz = _name(self.adj(z))
        from .activity import diff_operands
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
            if self.is_int_array(prim.slice):
                return [self.scatter_add(base.id, prim.slice, dz, line)]
            target = ast.Subscript(value=_name(self.adj(base.id)), slice=copy.deepcopy(prim.slice),
                                   ctx=ast.Store())
            return [_aug(target, ast.Add(), dz, line)]
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
                        constants_of(inputs))
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
        call = ast.Call(func=_name(rule.name), args=[_name(z)] + [copy.deepcopy(a) for a in args]
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
        targets = self.targets_of(s)
        args = call.args
        argtypes = [self.type_or_const(a) for a in args]
        vjp_name, diff = self.callee_adjoint(ir.PRIM(call)[1], argtypes,
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
        self.read(*args)
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
        vcall = ast.Call(func=_name(vjp_name), args=[copy.deepcopy(a) for a in args] + [seed],
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
        da_item = ast.Subscript(value=_name(self.adj(base)), slice=copy.deepcopy(target.slice),
                                ctx=ast.Load())
        out = []
        if self.is_active(v):
            vt = self.types[v.id]
            item_is_array = _has_slice(target.slice) or _index_ndim(self.types[base], target.slice) > 0
            contrib = da_item
            if item_is_array and not vt.is_array:
                contrib = _call("np.sum", da_item)
            elif item_is_array and vt.is_array:
                contrib = _call("unbroadcast", da_item, _name(v.id))
                self.read(_name(v.id))
            sub = kind == ir.Kind.AUGSTORE and isinstance(s.op, ast.Sub)
            out.append(self.accumulate(v.id, contrib, line, sub=sub))
        if kind == ir.Kind.STORE:
            zero = ast.Subscript(value=_name(self.adj(base)), slice=copy.deepcopy(target.slice),
                                 ctx=ast.Store())
            out.append(_assign(zero, _const(0.0), line))
        return out

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
    def assemble(self, fname, forward, reverse, fused_loop=None) -> ast.FunctionDef:
        line = ir.LINE(self.fn)
        body = []
        for var in sorted(self.placeholders):
            body.append(_assign(var, placeholder(self.types[var]), line))
        in_arrays = set().union(*self.array_tapes.values())
        tapes = [self.stack(var) for var in sorted(self.listed_vars() - in_arrays)
                 if ("saved", var) not in self.stacks]
        tapes += [self.item_stack(var, sliced) for var, sliced in sorted(self.saved_items)
                  if sliced or ("_items", var) not in self.stacks]
        tapes += [self.checkpoint_stack(var) for state in self.checkpointed.values()
                  for var in state]
        for tape in tapes:
            body.append(_tape(_assign(tape, ast.List(elts=[], ctx=ast.Load()), line),
                              "list", tape))
        body += self.stack_allocations(None)
        for s in body:
            ir.SECTION.set(s, "setup")
        ret = self.ret.value
        restored = set(self.saved_vars).union(*self.checkpointed.values())
        keep_value = []
        if self.ret_name is not None and self.ret_name in restored:
            # the reverse sweep restores the variable: keep the result aside
            # (after the fused last loop, which still computes it)
            keep = self.fresh("value")
            keep_value = [_assign(keep, _name(self.ret_name), ir.LINE(self.ret))]
            if fused_loop is None:
                forward = forward + keep_value
            ret = _name(keep)
        for s in forward:
            ir.SECTION.set(s, "forward")
        body += forward
        rev = []
        # adjoint initialisation
        seed = _const(1.0) if self.mode == "grad" else _name(self.seed_name())
        for var in sorted(self.active):
            t = self.types[var]
            if var == self.ret_name:
                continue
            if t.kind == "float" and var not in self.direct:
                rev.append(_assign(self.adj(var), _const(0.0), line))
            elif t.is_array and var in self.params:
                rev.append(_zeroed(self.adj(var), var, line))
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
        if fused_loop is not None:
            # the seed and adjoint initialisations come before the fused loop
            ir.SECTION.set(fused_loop, "fused")
            for s in reverse:
                ir.SECTION.set(s, "reverse")
            for s in keep_value:
                ir.SECTION.set(s, "fused")
            rev = rev + [fused_loop] + (keep_value if fused_loop is not None else []) + reverse
        else:
            for s in reverse:
                ir.SECTION.set(s, "reverse")
            rev += reverse
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
        gtuple = ast.Tuple(elts=grads, ctx=ast.Load())
        result = ast.Tuple(elts=[copy.deepcopy(ret), gtuple], ctx=ast.Load())
        ret_stmt = ast.Return(value=result)
        ir.LINE.set(ret_stmt, ir.LINE(self.ret))
        ir.SECTION.set(ret_stmt, "result")
        params = list(self.params) + ([self.seed_name()] if self.mode == "vjp" else [])
        args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in params], vararg=None,
                             kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
        fn = ast.FunctionDef(name=fname, args=args, body=body + rev + [ret_stmt],
                             decorator_list=[], returns=None, type_comment=None, type_params=[])
        ir.REVERSE.set(fn, rev)
        for n in ast.walk(fn):
            if isinstance(n, ast.Name):
                self.helpers_used.add(n.id)
        return fn

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


def _is_zeroing(st) -> bool:
    """``dx = np.zeros_like(x)``."""
    return isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name) and \
        isinstance(st.value, ast.Call) and isinstance(st.value.func, ast.Attribute) and \
        st.value.func.attr == "zeros_like"


def _own_reads(st) -> set:
    """Names a statement reads itself (a compound statement: its test or range)."""
    if isinstance(st, (ast.If, ast.While)):
        part = [st.test]
    elif isinstance(st, ast.For):
        part = [st.iter]
    else:
        part = [st]
    return {n.id for p in part for n in ast.walk(p) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)}


def _own_targets(st) -> set:
    if isinstance(st, (ast.If, ast.While)):
        return set()
    if isinstance(st, ast.For):
        return {st.target.id}
    return {n.id for n in ast.walk(st) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def final_value_locals(loop, after, active) -> set:
    """Inactive variables of a loop body (indices, flags, trip counters: a
    bisection's ``lo``/``hi``) that a fused iteration needs no tape for: each
    is assigned before any read in the body's program order, unused after the
    loop, and every statement with adjoint code that reads it comes after its
    last assignment (at the body's top level), so the reverse part only ever
    reads its final value."""
    first_seen, read_first = set(), set()
    for st in walk(loop.body):
        read_first |= _own_reads(st) - first_seen
        first_seen |= _own_reads(st) | _own_targets(st)
    assigned = {v for st in walk(loop.body) for v in _own_targets(st)}
    used_after = {n.id for st in after for n in ast.walk(st) if isinstance(n, ast.Name)}
    candidates = assigned - read_first - used_after - active - {loop.target.id}

    def has_adjoint(st) -> bool:
        return any(_own_targets(x) & active or ir.KIND(x) in
                   (ir.Kind.STORE, ir.Kind.AUGSTORE) for x in walk([st]))
    out = set()
    for v in candidates:
        last = max(k for k, st in enumerate(loop.body)
                   if any(v in _own_targets(x) for x in walk([st])))
        readers = [k for k, st in enumerate(loop.body)
                   if any(v in _own_reads(x) for x in walk([st])) and has_adjoint(st)]
        if all(k > last for k in readers):
            out.add(v)
    return out


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


def iteration_locals(loop, after) -> set:
    """Scalar variables that ``loop``'s body assigns at its top level before any
    read of them, and that nothing after the loop reads: each iteration's value
    is its own (no loop-carried dependence)."""
    assigned, read_first = set(), set()
    for st in loop.body:
        kind = ir.KIND(st)
        reads = {n.id for n in ast.walk(st.value if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE) else st)
                 if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        read_first |= reads - assigned
        if kind == ir.Kind.ASSIGN and isinstance(st.targets[0], ast.Name):
            assigned.add(st.targets[0].id)
        elif kind == ir.Kind.ACCUMULATE:
            read_first.add(st.targets[0].id)
    used_after = {n.id for st in after for n in ast.walk(st) if isinstance(n, ast.Name)}
    return assigned - read_first - used_after - {loop.target.id}


def inner_iteration_locals(loop, after) -> set:
    """The iteration locals (``iteration_locals``) of the ``for`` loops nested in
    ``loop``'s body, unread after them: local to an outer iteration as well.
    Only adjoints may rely on this: the inner loop overwrites these values
    from one of its iterations to the next."""
    out = set()
    for k, st in enumerate(loop.body):
        if isinstance(st, ast.For):
            rest = loop.body[k + 1:] + list(after)
            out |= iteration_locals(st, rest) | inner_iteration_locals(st, rest)
    return out


def _negate(test):
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return copy.deepcopy(test.operand)
    return ast.UnaryOp(op=ast.Not(), operand=copy.deepcopy(test))


def _has_slice(index) -> bool:
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return any(isinstance(p, ast.Slice) for p in parts)


def _index_ndim(base_t, index) -> int:
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    ints = sum(1 for p in parts if not isinstance(p, ast.Slice))
    return base_t.ndim - ints


def reversed_range(lo, hi, st, count):
    """``range`` visiting the forward loop's indices backwards."""
    one = _const(1)
    if st is None or _is_const(st, 1):
        if count is not None:
            start = ast.BinOp(left=ast.BinOp(left=copy.deepcopy(lo), op=ast.Add(), right=count),
                              op=ast.Sub(), right=one)
        else:
            start = ast.BinOp(left=copy.deepcopy(hi), op=ast.Sub(), right=one)
        stop = ast.BinOp(left=copy.deepcopy(lo), op=ast.Sub(), right=one)
        if _is_const(lo, 0):
            stop = _const(-1)
        return ast.Call(func=_name("range"), args=[simplify(start), simplify(stop), _const(-1)],
                        keywords=[])
    if _is_const(st, -1) and count is None:
        start = ast.BinOp(left=copy.deepcopy(hi), op=ast.Add(), right=one)
        stop = ast.BinOp(left=copy.deepcopy(lo), op=ast.Add(), right=one)
        return ast.Call(func=_name("range"), args=[simplify(start), simplify(stop)], keywords=[])
    n = count if count is not None else ast.Call(
        func=_name("len"), args=[ast.Call(func=_name("range"), args=[copy.deepcopy(lo),
                                                                      copy.deepcopy(hi),
                                                                      copy.deepcopy(st)],
                                          keywords=[])], keywords=[])
    start = ast.BinOp(left=copy.deepcopy(lo), op=ast.Add(), right=ast.BinOp(
        left=ast.BinOp(left=n, op=ast.Sub(), right=one), op=ast.Mult(), right=copy.deepcopy(st)))
    stop = ast.BinOp(left=copy.deepcopy(lo), op=ast.Sub(), right=copy.deepcopy(st))
    step = ast.UnaryOp(op=ast.USub(), operand=copy.deepcopy(st))
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
                        or stored_names(t) & free_names(s.target.slice) \
                        or stored_names(t) & free_names(s.value):
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


def placeholder(t: T):
    if t.kind == "float":
        if t.dtype == _np.float32:
            return _call("np.float32", _const(0.0))
        return _const(0.0)
    if t.kind == "int":
        return _const(0)
    if t.kind == "bool":
        return _const(False)
    if t.is_array:
        shape = ast.Tuple(elts=[_const(0)] * t.ndim, ctx=ast.Load())
        return ast.Call(func=ast.parse("np.empty", mode="eval").body,
                        args=[shape, ast.parse(f"np.{t.dtype.name}", mode="eval").body],
                        keywords=[])
    raise NotImplementedError(f"cannot tape a {t}")
