"""Adjoint statements that only matter when a branch was taken move into it.

In the reverse sweep, the reverse of the statements before an ``if`` comes
after the reverse of the ``if``::

    if _c7:
        dr += _dr3                    # the only statement that adds to dr
    _dt5 = dr * np.sign(_t5)          # the reverse of r = abs(_t5)
    dr = 0.0
    dx[i] += _dt5

Where ``dr`` is known to be zero on the path that skips the branch, the
statements after it add zeros and reset what is zero already: they run at
the end of the branch instead, so a loop whose branch is rarely taken skips
their work, as a hand-written adjoint does.

The decision comes from a *known-zero* analysis of the scalar adjoints
(``zero_after``): an adjoint is zero after ``dX = 0.0`` (its initialisation,
an iteration's reset) or after being set to an expression that is zero
because an adjoint in it is (``dr * np.sign(t)``); it stops being known zero
where anything non-zero is added to it. A statement after an ``if`` moves
into one arm (``movable``) when, on the path through the other arm, all it
does is add a zero to an adjoint, reset an adjoint that is zero, or set a
scalar adjoint that only moved statements read; it keeps its order among
the moved statements and passes no statement it shares a variable with.
Zero times a non-finite value counts as zero, as with JAX's symbolic zeros.

Generic over the reverse code: it knows adjoint variables only by the names
the caller gives (``Adjoints``).
"""
from __future__ import annotations

import ast
import copy
from collections import Counter
from dataclasses import dataclass

from .. import ir
from .astutil import free_names, is_const, nodes, own_jumps, stored_names

_LOOPS = (ast.For, ast.While)
_JUMPS = (ast.Break, ast.Continue, ast.Return)
_PURE_BUILTINS = frozenset({"abs", "min", "max", "float", "int", "bool", "len", "round"})
# NumPy functions that write into an argument
_NUMPY_WRITERS = frozenset({"copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis"})


@dataclass(frozen=True)
class Adjoints:
    """The adjoint variables of a reverse sweep, by the kind of their primal."""
    scalars: frozenset     # tracked by the known-zero analysis
    arrays: frozenset      # buffers: targets of scatter-adds and in-place sums


def sink_adjoints(stmts: list, adjoints: Adjoints, live_out=frozenset()) -> list:
    """``stmts`` (a reverse sweep) with the statements after each ``if`` that
    do nothing unless it was taken moved into it; ``live_out``: names read
    after ``stmts``."""
    return _Sinker(stmts, adjoints, live_out).block(stmts, frozenset())[0]


# -- the known-zero analysis ---------------------------------------------------


def is_zero(e, zero) -> bool:
    """``e`` is 0 when the names in ``zero`` are."""
    if is_const(e, 0):
        return True
    if isinstance(e, ast.Name):
        return e.id in zero
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        return is_zero(e.operand, zero)
    if isinstance(e, ast.BinOp):
        if isinstance(e.op, ast.Mult):
            return is_zero(e.left, zero) or is_zero(e.right, zero)
        if isinstance(e.op, ast.Div):
            return is_zero(e.left, zero)
        if isinstance(e.op, (ast.Add, ast.Sub)):
            return is_zero(e.left, zero) and is_zero(e.right, zero)
    if isinstance(e, ast.IfExp):        # (dr if x >= 0.0 else -dr): the rules for numbers
        return is_zero(e.body, zero) and is_zero(e.orelse, zero)
    return False


def zero_after(stmts, zero: frozenset, adjoints: Adjoints) -> frozenset:
    """The scalar adjoints known to be zero after ``stmts``, given ``zero`` before."""
    for s in stmts:
        if isinstance(s, ast.If):
            zero = zero_after(s.body, zero, adjoints) & zero_after(s.orelse, zero, adjoints)
        elif isinstance(s, _LOOPS):
            zero = loop_entry(s, zero, adjoints)
        elif isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and \
                s.targets[0].id in adjoints.scalars:
            n = s.targets[0].id
            zero = zero | {n} if is_zero(s.value, zero) else zero - {n}
        elif not (isinstance(s, ast.AugAssign) and _adds_zero(s, zero)):
            zero = zero - stored_names(s)
    return zero


def loop_entry(loop, zero: frozenset, adjoints: Adjoints) -> frozenset:
    """The adjoints known zero at the start of every iteration of ``loop`` (and
    after it): a fixed point; without one for a loop left by a jump of its
    own (a ``break`` of a loop nested in it leaves that loop only)."""
    if own_jumps(loop.body, _JUMPS) or any(isinstance(n, ast.Return) for n in nodes(loop)):
        return zero - stored_names(loop)
    while True:
        entry = zero & zero_after(loop.body, zero, adjoints)
        if entry == zero:
            return zero
        zero = entry


def _adds_zero(s, zero) -> bool:
    return isinstance(s.op, (ast.Add, ast.Sub)) and is_zero(s.value, zero)


# -- the decision and the rewrite ----------------------------------------------


class _Sinker:
    """Rewrites the blocks of one reverse sweep; knows how often each name is
    read in it (a scalar adjoint a moved statement sets may be read by moved
    statements only) and which names are modules or functions."""

    def __init__(self, stmts, adjoints: Adjoints, live_out):
        self.adjoints = adjoints
        self.reads = Counter(live_out)
        written = set()
        roots = set()                  # names used only as np in np.sign(...), as f in f(...)
        for s in stmts:
            for n in nodes(s):
                if isinstance(n, ast.Name):
                    if isinstance(n.ctx, ast.Load):
                        self.reads[n.id] += 1
                    else:
                        written.add(n.id)
                elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
                    self.reads[n.target.id] += 1      # dx += e reads dx
                if isinstance(n, (ast.Attribute, ast.Call)):
                    root = n.value if isinstance(n, ast.Attribute) else n.func
                    if isinstance(root, ast.Name):
                        roots.add(id(root))
        self.modules = {n.id for s in stmts for n in nodes(s)
                        if isinstance(n, ast.Name) and n.id not in written} - {
            n.id for s in stmts for n in nodes(s)
            if isinstance(n, ast.Name) and id(n) not in roots}
        self.mentions: dict = {}

    def block(self, stmts, zero: frozenset) -> tuple[list, frozenset]:
        """The block rewritten, and the adjoints known zero after it."""
        out, rest = [], list(stmts)
        while rest:
            s = rest.pop(0)
            if isinstance(s, ast.If):
                s, rest = self.sink_into(s, rest, zero)
                s = copy.copy(s)
                s.body, body_zero = self.block(s.body, zero)
                s.orelse, else_zero = self.block(s.orelse, zero)
                zero = body_zero & else_zero
            elif isinstance(s, _LOOPS):
                zero = loop_entry(s, zero, self.adjoints)
                s = copy.copy(s)
                s.body = self.block(s.body, zero)[0]
            else:
                zero = zero_after([s], zero, self.adjoints)
            out.append(s)
        return out, zero

    def sink_into(self, branch: ast.If, rest: list, zero: frozenset):
        """``branch`` with the statements of ``rest`` that do nothing on the
        path through its other arm moved to the end of one arm, and what stays."""
        if any(isinstance(n, _JUMPS) for n in nodes(branch)):
            return branch, rest
        # each arm in turn: an American put's node either exercises (the reverse
        # of the stock price's powers goes into that arm) or holds (the reverse
        # of the hold value's average into the other)
        for arm, other in (("body", "orelse"), ("orelse", "body")):
            skipped = zero_after(getattr(branch, other), zero, self.adjoints)
            # adjoints the arm makes non-zero (none: the statements are idle on both paths)
            fed = skipped - zero_after(getattr(branch, arm), zero, self.adjoints)
            chosen = self.movable(rest, skipped) if fed else []
            if chosen:
                moved = [rest[k] for k in chosen]
                read = fed & set().union(*[free_names(s) for s in moved])
                moved[0] = ir.NOTE.set(copy.copy(moved[0]), _note(read)) if read else moved[0]
                branch = copy.copy(branch)
                setattr(branch, arm, getattr(branch, arm) + moved)
                rest = [s for k, s in enumerate(rest) if k not in chosen]
        return branch, rest

    def movable(self, rest: list, skipped: frozenset) -> list:
        """Indices of the statements of ``rest`` that may move into a branch,
        given the adjoints known zero on the path that skips it."""
        pinned: set = set()
        while True:
            chosen, defines = self.scan(rest, skipped, pinned)
            # a scalar adjoint set by a moved statement keeps its old value on the
            # skipping path: only moved statements may read it
            stale = {k for k, n in defines.items()
                     if sum(_reads(rest[j], n) for j in chosen) != self.reads[n]}
            if not stale:
                return chosen
            pinned |= stale

    def scan(self, rest, zero, pinned) -> tuple[list, dict]:
        """The statements that may move (but those ``pinned``), in order up to
        the first loop or branch, and the adjoints they set.  A statement moves
        past those that stay (a tape's pop among them) when neither writes a
        variable the other mentions."""
        chosen, defines, staying = [], {}, []
        for k, s in enumerate(rest):
            effect = None if k in pinned else self.effect_if_skipped(s, zero)
            if effect is not None and not any(self.conflict(s, t) for t in staying):
                chosen.append(k)
                if effect:
                    defines[k] = effect
            elif isinstance(s, (ast.If, *_LOOPS)):
                break
            else:
                staying.append(s)
            zero = zero_after([s], zero, self.adjoints)
        return chosen, defines

    def effect_if_skipped(self, s, zero):
        """What skipping ``s`` changes when the names in ``zero`` are zero:
        nothing (``""``), the scalar adjoint it sets (to zero), or None when
        it does more."""
        adjoints = self.adjoints
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and \
                s.targets[0].id in adjoints.scalars and is_zero(s.value, zero):
            n = s.targets[0].id
            return "" if n in zero else n
        if isinstance(s, ast.AugAssign) and _adds_zero(s, zero):
            t = s.target.value if isinstance(s.target, ast.Subscript) else s.target
            if isinstance(t, ast.Name) and (t.id in adjoints.arrays or
                                            isinstance(s.target, ast.Name)
                                            and t.id in adjoints.scalars):
                return ""
        return None

    def conflict(self, a, b) -> bool:
        """``a`` or ``b`` writes a variable the other mentions (so they may not
        swap; a loop index or a value both only read does not keep them apart)."""
        (va, wa), (vb, wb) = self.variables(a), self.variables(b)
        return bool(wa & vb or wb & va)

    def variables(self, s) -> tuple[set, set]:
        """The names ``s`` mentions, modules and functions left out, and those it
        may write: names it binds, arrays it stores into, and every name it
        mentions where it calls a function (which may write into its
        arguments).  Memoized: a statement is asked about once per statement
        after it."""
        kept = self.mentions.get(id(s))
        if kept is None or kept[0] is not s:
            names = free_names(s) - self.modules
            if any(isinstance(n, ast.Call) and not self._pure(n) for n in nodes(s)):
                written = names
            else:
                written = stored_names(s) | _stored_into(s)
            kept = self.mentions[id(s)] = (s, (names, written))
        return kept[1]

    def _pure(self, call) -> bool:
        """A call of a module's function that writes into none of its arguments
        (``math.exp``, ``np.sign``; not ``np.copyto``, nor any ``out=``)."""
        f = call.func
        if any(k.arg == "out" for k in call.keywords):
            return False
        if isinstance(f, ast.Name):      # abs(x), min(a, b), float(n)
            return f.id in self.modules and f.id in _PURE_BUILTINS
        return isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and \
            f.value.id in self.modules and f.value.id in ("math", "np", "numpy") and \
            f.attr not in _NUMPY_WRITERS


def _stored_into(s) -> set:
    """The names whose elements or attributes ``s`` assigns (``dx[i] += e``)."""
    out = set()
    for n in nodes(s):
        if isinstance(n, (ast.Subscript, ast.Attribute)) and isinstance(n.ctx, ast.Store):
            base = n
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                out.add(base.id)
    return out


def _note(read) -> str:
    names = ", ".join(sorted(read))
    return f"moved into the branch: {names} {'is' if len(read) == 1 else 'are'} zero unless it runs"


def _reads(s, n) -> int:
    """How many times ``s`` reads ``n`` (``n += e`` reads it too)."""
    count = sum(1 for x in nodes(s) if isinstance(x, ast.Name) and x.id == n
                and isinstance(x.ctx, ast.Load))
    return count + sum(1 for x in nodes(s) if isinstance(x, ast.AugAssign)
                       and isinstance(x.target, ast.Name) and x.target.id == n)
