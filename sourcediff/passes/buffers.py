"""Array buffers that change names: swaps, rotations and moves.

Code that keeps time levels in a few arrays rebinds names instead of copying
data: ``u, unew = unew, u`` (a swap), ``a, b, c = b, c, a`` (a rotation), or
``u = unew`` after ``unew = np.empty(n)`` (a move of a fresh array).  This
pass decides, before anything is emitted, how the reverse sweep treats each:

* a **permutation** -- consecutive ``x = y`` statements between array names
  that, once the normalizer's temporaries are dropped, permute a set of names
  -- needs no tape: the reverse sweep applies the inverse permutation to the
  names, and the same permutation to their adjoint buffers (the adjoint of
  ``new x = old y`` is ``d old y = d new x``, and ``d old y`` is zero there
  because ``y`` is overwritten).  The forward sweep permutes the adjoint
  buffers too, so each buffer keeps the shape of the array it pairs with.
* a **move** ``x = y`` whose source ``y`` is dead afterwards (rebound before
  any use): the two names never see the array at the same time, so writing
  into it later is no aliasing, and ``y``'s adjoint buffer, zero there, is
  reused for ``x`` instead of a fresh ``np.zeros_like`` (``reuse_zeros``).

Liveness here is over names, conservative (a ``break`` keeps everything
live), for normalized code.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from .. import ir
from .astutil import blocks, nodes, walk


@dataclass
class Permutation:
    """Statements ``stmts`` (consecutive, one block) whose net effect is
    ``new[x] = old[source[x]]`` for the user names ``x`` in ``source``."""
    stmts: list
    source: dict                       # name -> the name whose old array it gets
    temps: set = field(default_factory=set)

    @property
    def names(self) -> list:
        return list(self.source)


# -- liveness ------------------------------------------------------------------

def _loads(node) -> set:
    return {n.id for n in nodes(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)}


def _uses_defs(s):
    """Names a simple statement reads (a store's base array included) and binds."""
    if isinstance(s, ast.Assign):
        defs, uses = set(), _loads(s.value)
        for t in s.targets:
            if isinstance(t, ast.Name):
                defs.add(t.id)
            elif isinstance(t, ast.Tuple):
                defs |= {e.id for e in t.elts if isinstance(e, ast.Name)}
            else:                          # x[i] = ...: reads (and writes into) x
                uses |= {n.id for n in nodes(t) if isinstance(n, ast.Name)}
        return uses, defs
    if isinstance(s, ast.AugAssign):
        names = {n.id for n in nodes(s.target) if isinstance(n, ast.Name)}
        return names | _loads(s.value), set()
    return _loads(s), set()


class Liveness:
    """``after[id(stmt)]``: the names that may be read after ``stmt`` before
    being rebound (an over-approximation)."""

    def __init__(self, fn, live_out=frozenset(), skip=frozenset()):
        """``fn``: a function (or any node with a ``body``); ``live_out``:
        names read after its body; ``skip``: ids of simple statements taken
        as doing nothing."""
        self.after: dict = {}
        self.head: dict = {}      # id(loop) -> the names live at its head
        self.skip = skip
        self.uses_defs: dict = {}  # id(simple stmt) -> _uses_defs (loops revisit them)
        self.block(fn.body, set(live_out), (set(live_out), set(live_out)))

    def block(self, stmts, out: set, loop: tuple) -> set:
        live = set(out)
        for s in reversed(stmts):
            live = self.stmt(s, live, loop)
        return live

    def stmt(self, s, out: set, loop: tuple) -> set:
        """Live before ``s``; ``loop`` is (live at the enclosing loop's head,
        live after it): where ``continue`` and ``break`` go."""
        self.after[id(s)] = set(out)
        if isinstance(s, ast.If):
            return _loads(s.test) | self.block(s.body, out, loop) | \
                self.block(s.orelse, out, loop)
        if isinstance(s, (ast.For, ast.While)):
            head = set(out)
            reads = _loads(s.iter if isinstance(s, ast.For) else s.test)
            target = {s.target.id} if isinstance(s, ast.For) and \
                isinstance(s.target, ast.Name) else set()
            while True:
                body_in = self.block(s.body, head, (head, out))
                new = out | reads | (body_in - target) | \
                    (body_in if isinstance(s, ast.While) else set())
                if new == head:
                    self.head[id(s)] = new
                    return new
                head = new
        if isinstance(s, ast.Continue):
            return set(loop[0])
        if isinstance(s, ast.Break):
            return set(loop[1])
        if isinstance(s, ast.Return):
            return _loads(s)
        if id(s) in self.skip:
            return set(out)
        found = self.uses_defs.get(id(s))
        if found is None:
            found = self.uses_defs[id(s)] = _uses_defs(s)
        uses, defs = found
        return uses | (out - defs)


# -- permutations --------------------------------------------------------------

def _is_move(s, types) -> bool:
    """``x = y`` between two array names (the normalizer's ``copy``)."""
    if ir.KIND(s) != ir.Kind.ASSIGN or not isinstance(s.value, ast.Name) or \
            ir.PRIM(s.value) != ("copy",):
        return False
    xt, yt = types.get(s.targets[0].id), types.get(s.value.id)
    return xt is not None and yt is not None and xt.is_array and yt.is_array


def _name_counts(fn) -> tuple[dict, dict]:
    loads, stores = {}, {}
    for n in nodes(fn):
        if isinstance(n, ast.Name):
            table = loads if isinstance(n.ctx, ast.Load) else stores
            table[n.id] = table.get(n.id, 0) + 1
    return loads, stores


def _as_permutation(run, loads, stores, params) -> Permutation | None:
    env: dict = {}
    assigned = []
    for s in run:
        x, y = s.targets[0].id, s.value.id
        env[x] = env.get(y, y)
        assigned.append(x)
    # temporaries: bound once in the whole function, read only inside the run
    read_here: dict = {}
    for s in run:
        read_here[s.value.id] = read_here.get(s.value.id, 0) + 1
    temps = {x for x in assigned if stores.get(x, 0) == 1 and
             loads.get(x, 0) == read_here.get(x, 0)}
    source = {x: env[x] for x in dict.fromkeys(assigned) if x not in temps and env[x] != x}
    names = set(source)
    if not names or set(source.values()) != names or len(set(source.values())) != len(names):
        return None
    if names & set(params) or any(read_here.get(t, 0) != 1 for t in temps):
        return None
    return Permutation(list(run), source, temps)


def find_permutations(fn: ast.FunctionDef, types: dict, params) -> dict:
    """``id(stmt) -> Permutation`` for every statement of a run of array
    rebindings that permutes user names (a swap, a rotation)."""
    loads, stores = _name_counts(fn)
    out = {}
    for block in blocks(fn.body):
        k = 0
        while k < len(block):
            if not _is_move(block[k], types):
                k += 1
                continue
            end = k
            while end < len(block) and _is_move(block[end], types):
                end += 1
            perm = _as_permutation(block[k:end], loads, stores, params)
            if perm is not None:
                for s in perm.stmts:
                    out[id(s)] = perm
            k = end
    return out


def inverse_assignment(perm: Permutation, rename=lambda name: name) -> ast.Assign:
    """``old names = new names`` undoing ``perm`` (``unew, u = u, unew``), on the
    names ``rename`` gives (the adjoint buffers' names, say)."""
    targets = [ast.Name(id=rename(perm.source[x]), ctx=ast.Store()) for x in perm.names]
    values = [ast.Name(id=rename(x), ctx=ast.Load()) for x in perm.names]
    return ast.Assign(targets=[ast.Tuple(elts=targets, ctx=ast.Store())],
                      value=ast.Tuple(elts=values, ctx=ast.Load()))


def forward_assignment(perm: Permutation, rename=lambda name: name) -> ast.Assign:
    """``new names = old names`` of ``perm`` (``du, dunew = dunew, du``)."""
    targets = [ast.Name(id=rename(x), ctx=ast.Store()) for x in perm.names]
    values = [ast.Name(id=rename(perm.source[x]), ctx=ast.Load()) for x in perm.names]
    return ast.Assign(targets=[ast.Tuple(elts=targets, ctx=ast.Store())],
                      value=ast.Tuple(elts=values, ctx=ast.Load()))


# -- aliasing ------------------------------------------------------------------

_TEMPORARY = re.compile(r"_[a-z]+\d+")


def is_temporary(name: str) -> bool:
    """A name the normalizer made (``_t12``), not one the user wrote."""
    return _TEMPORARY.fullmatch(name) is not None

@dataclass
class AliasWrite:
    """A write into an array while another live name shares its memory:
    ``name`` was bound to share memory with ``other`` at ``where``."""
    where: ast.stmt
    name: str
    other: str


def store_base(s):
    """The array a statement stores into (``a[i] = v``, ``a[i] += v``), else None."""
    kind = ir.KIND(s)
    if kind == ir.Kind.STORE:
        return s.targets[0].value.id
    if kind == ir.Kind.AUGSTORE:
        return s.target.value.id
    return None


class _Aliases:
    """May-alias classes of array names along normalized code (a class: names
    whose arrays may share memory), checking each write into an array."""

    def __init__(self, fn, types, view_base, live: Liveness):
        self.types, self.view_base, self.live = types, view_base, live
        self.fn = fn
        self.params = {a.arg for a in fn.args.args}
        self.origin: dict = {}        # name -> the statement that made it an alias
        self.found: AliasWrite | None = None
        self.exits: list = []         # per enclosing loop: states at break/continue
        # (dead name, array): the array is written while a name no longer
        # read in the forward sweep shares it
        self.taped: set = set()
        # name -> names that held its array before they were bound to another
        # (``b = a; a = a * x``: b's array is a's old value, which the reverse
        # sweep may read from the tape); flow-insensitive, so at worst a write
        # is taped that need not be
        self.former: dict = {}
        # a swap's temporaries (``_t10 = un; _t11 = u; u = _t10; un = _t11``), read
        # only inside it, leave the classes where it ends: kept, a swap in an inner
        # loop and one in the outer loop would join both buffers into one class
        self.swap_ends: dict = {}
        for perm in find_permutations(fn, types, self.params).values():
            if perm.temps:
                self.swap_ends[id(perm.stmts[-1])] = frozenset(perm.temps)
        # a parameter's array is the caller's: it stays visible after the call
        self.block(fn.body, frozenset())

    def bind(self, state, z, base, s):
        for c in state:
            if z in c:
                for other in c - {z}:
                    self.former.setdefault(other, set()).add(z)
        classes = [c - {z} for c in state]
        if base is None:
            self.origin.pop(z, None)
            return frozenset(c for c in classes if len(c) > 1)
        joined = {z, base}
        rest = []
        for c in classes:
            if base in c:
                joined |= c
            else:
                rest.append(c)
        self.origin[z] = s
        return frozenset([*(c for c in rest if len(c) > 1), frozenset(joined)])

    def made_later(self, a, b) -> bool:
        """``a`` was made an alias (``origin``) after ``b`` was, or ``b`` never was."""
        if a not in self.origin:
            return False
        if b not in self.origin:
            return True
        if not hasattr(self, "_order"):
            self._order = {id(st): k for k, st in enumerate(walk(self.fn.body))}
        return self._order.get(id(self.origin[a]), -1) > self._order.get(id(self.origin[b]), -1)

    def check_store(self, state, s, x, params=True, rebound=None):
        """``params=False``: an in-place ``x += y``, reported where it is written;
        ``rebound``: the name ``s`` binds anew (``_t = x * c`` of ``x *= c``: its
        old array, ``x``'s since the last iteration's ``x = _t``, is not read
        again under that name)."""
        after = self.live.after.get(id(s), set())
        sharing = set().union(*(c for c in state if x in c)) | {x}
        for name in sharing:
            self.taped |= {(old, x) for old in self.former.get(name, ()) if old != x}
        for c in state:
            if x not in c:
                continue
            for w in sorted(c - {x, rebound}):
                if not params and w in self.params and w not in after:
                    continue
                # a name no later statement reads before binding it again may be
                # excused: a view the code consumed before the write, or the name a
                # fresh array had before the state took it over (``x = xn``, ``xn``
                # made afresh before its next read); the reverse sweep may still read
                # it, so the write is taped (``taped``) and undone before it does
                if w not in after and w not in self.params:
                    self.taped.add((w, x))
                elif self.found is None and not params:
                    self.found = AliasWrite(s, x, w)
                elif self.found is None:
                    # (the name made an alias last, where it was made: a view ``e =
                    # d[1:3]`` or ``y = x``, not ``d``'s literal ``np.array``, a move)
                    name, other = (w, x) if self.made_later(w, x) else (x, w)
                    self.found = AliasWrite(self.origin.get(name, s), name, other)

    def simple(self, s, state):
        x = store_base(s)
        if x is not None:
            self.check_store(state, s, x)
        elif ir.KIND(s) == ir.Kind.ACCUMULATE and ir.AUGMENTED(s) and \
                self.types.get(s.targets[0].id) is not None and \
                self.types[s.targets[0].id].is_array and not ir.GENERATED(self.fn):
            # ``x += y`` on an array writes in place: another local name for the
            # array would see it (the transform binds a new array, so refuse);
            # a parameter's array, updated in the caller, is not read again here
            self.check_store(state, s, s.targets[0].id, params=False)
        elif ir.KIND(s) == ir.Kind.ASSIGN:
            x = _updated_in_place(s, self.types)
            if x is not None and not ir.GENERATED(self.fn):
                # ``x *= c``: ``_t = x * c`` then ``x = _t``; NumPy writes into x
                self.check_store(state, s, x, params=False, rebound=s.targets[0].id)
            z = s.targets[0].id
            zt = self.types.get(z)
            if zt is not None and zt.is_array:
                state = self.bind(state, z, self.view_base(s.value, self.types), s)
        else:
            for n in nodes(s):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    state = self.bind(state, n.id, None, s)
            if ir.KIND(s) == ir.Kind.UNPACK and isinstance(s.value, ast.Call):
                # ``r, o = f'(k, x)`` then ``k = o``: f writes into k's array, which
                # another name may share (a view made before the call)
                for k in ir.INPLACE(s.value) or ():
                    a = s.value.args[k]
                    if isinstance(a, ast.Name) and not is_temporary(a.id):
                        self.check_store(state, s, a.id)
        return state

    def block(self, stmts, state):
        for s in stmts:
            state = self.stmt(s, state)
        return state

    def stmt(self, s, state):
        if isinstance(s, ast.If):
            return _join(self.block(s.body, state), self.block(s.orelse, state))
        if isinstance(s, (ast.Break, ast.Continue)):
            self.exits[-1].append(state)
            return state
        if isinstance(s, (ast.For, ast.While)):
            head = state
            while True:
                inner = head
                if isinstance(s, ast.For):
                    inner = self.bind(inner, s.target.id, None, s)
                self.exits.append([])
                inner = self.block(s.body, inner)
                # (a name dead at the head, a view consumed in the body, joins no
                # two classes there: ``d = u[:, j]`` before and ``u, un = un, u``
                # after would otherwise make u and un one array; it stays in each
                # class it was in, for the writes it must see taped)
                live = self.live.head.get(id(s))
                dead = frozenset() if live is None else \
                    frozenset(n for c in inner for n in c) - self.params - live
                new = _join(head, inner, *self.exits.pop(), dead=dead)
                if new == head:
                    return new
                head = new
        state = self.simple(s, state)
        temps = self.swap_ends.get(id(s))
        if temps:
            state = frozenset(c - temps for c in state if len(c - temps) > 1)
        return state


def number_update_message(fname: str, param: str, op: ast.operator) -> str:
    """What ``param op= ...`` in the called function ``fname`` says where its
    argument is a number: the caller's value stays as it was."""
    symbol = ast.unparse(ast.AugAssign(target=ast.Name(param), op=op,
                                       value=ast.Name("v"))).split()[1]
    return (f"'{fname}' updates its argument '{param}' with '{param} {symbol} ...', but "
            f"'{param}' is a number here: Python binds the function's own '{param}' to the "
            f"new value and the caller's stays as it was; return the new value instead")


class _CallAliases(_Aliases):
    """Only the writes of called functions into their arguments and the
    in-place updates ``x += y``, ``x *= c`` (forward mode mirrors views, so
    stores through a shared array are followed; those two bind new arrays)."""

    def check_store(self, state, s, x, params=True, rebound=None):
        if ir.KIND(s) == ir.Kind.UNPACK or not params:
            super().check_store(state, s, x, params, rebound)


def find_call_alias(fn: ast.FunctionDef, types: dict, view_base) -> AliasWrite | None:
    """A call writing into an argument array that a live view shares (``k0 =
    k[0:1]; fill(k, x)``): the call's copy-in, copy-out would leave the view on
    the old array; or an in-place update of an array another live name shares
    (``Q = P; P *= c``), which the transform writes as a new array."""
    return _CallAliases(fn, types, view_base, Liveness(fn)).found


def _updated_in_place(s, types):
    """``x`` when ``s`` computes the new value of ``x *= y`` (``x /= y``, ...) on an
    array: the normalizer writes it ``_t = x * y; x = _t``."""
    v = s.value
    if not isinstance(v, ast.BinOp) or not ir.AUGMENTED(v) or not isinstance(v.left, ast.Name):
        return None
    t = types.get(v.left.id)
    return v.left.id if t is not None and t.is_array else None


def _join(*states, dead=frozenset()):
    """Union of may-alias classes (overlapping classes merge).  ``dead``: names
    no one reads before binding them again; they merge no classes, and each
    joins every class made from one it was in."""
    classes: list = []
    for state in states:
        for c in state:
            c = set(c) - dead
            keep = []
            for other in classes:
                if other & c:
                    c |= other
                else:
                    keep.append(other)
            classes = keep + [c]
    if dead:
        for state in states:
            for c in state:
                for k, joined in enumerate(classes):
                    if c & dead and joined & c:
                        classes[k] = joined | (c & dead)
    return frozenset(frozenset(c) for c in classes if c)


def check_aliases(fn: ast.FunctionDef, types: dict, view_base) -> tuple:
    """``(first true alias write or None, pairs (dead name, array))``: see
    :func:`find_alias_write`; an array written while a temporary the code no
    longer reads views it (``np.sin(y[1:3])`` then ``y[1] = ...``) is no error,
    but if the reverse sweep reads that view's values, the write is undone."""
    found = _Aliases(fn, types, view_base, Liveness(fn))
    return found.found, found.taped


def find_alias_write(fn: ast.FunctionDef, types: dict, view_base) -> AliasWrite | None:
    """The first write into an array through one name while another name that
    may share its memory is still read later (or is a parameter), with the
    names the user wrote.  ``view_base(prim, types)`` says which array a
    value may share memory with (reverse.is_view).  A buffer moved to a new
    name (``u = unew``) and rebound before its next write (``unew =
    np.empty(n)``) is no alias."""
    return _Aliases(fn, types, view_base, Liveness(fn)).found


# -- moves ---------------------------------------------------------------------

def find_moves(fn: ast.FunctionDef, types: dict, params, live: Liveness) -> set:
    """``id(stmt)`` of each ``x = y`` between arrays whose source ``y`` is
    dead afterwards (rebound before any use) and not a parameter: the array
    changes names, and so can its adjoint buffer."""
    out = set()
    for block in blocks(fn.body):
        for s in block:
            if _is_move(s, types) and s.value.id not in params and \
                    s.value.id not in live.after.get(id(s), set()):
                out.add(id(s))
    return out


def value_flow(fn: ast.FunctionDef, types: dict, view_base, moves: set) -> list:
    """``(x, y)`` for each ``x = y`` between arrays across which a need for
    the array's *values* in the reverse sweep flows back from ``x`` to ``y``
    (writes through ``y`` must then be taped).  Not across a move whose source
    is only ever bound to fresh arrays (``unew = np.empty(n)`` ... ``u = unew``):
    the array leaves ``y`` for good, and ``y``'s later writes go elsewhere."""
    fresh_only, plain = {}, set()
    for s in nodes(fn):
        if ir.KIND(s) == ir.Kind.ASSIGN and isinstance(s.targets[0], ast.Name):
            z = s.targets[0].id
            plain.add(id(s.targets[0]))
            made = view_base(s.value, types) is None and \
                (ir.PRIM(s.value) or ("?",))[0] not in ("user", "global", "copy")
            fresh_only[z] = fresh_only.get(z, True) and made
    for n in nodes(fn):      # bound otherwise (unpacked, a loop target): not known fresh
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and id(n) not in plain:
            fresh_only[n.id] = False
    out = []
    for block in blocks(fn.body):
        for s in block:
            if _is_move(s, types) and not (id(s) in moves and fresh_only.get(s.value.id)):
                out.append((s.targets[0].id, s.value.id))
    return out


def sole_arrays(fn: ast.FunctionDef, types: dict, params, permutations: dict, view_base) -> set:
    """Local arrays whose buffer no other name holds while they do: every
    binding makes a new array (``np.empty(n)``, ``u0.copy()``, arithmetic) or
    is a statement of a swap or rotation among such arrays (``permutations``:
    ``id(stmt) -> Permutation``; it hands their buffers round, one name each
    after it), and nothing else takes the array whole -- no ``y = x``, no view
    bound to a name, no tuple or user function given it.  A write into one of
    them cannot change what another name reads."""
    out = {x for x, t in types.items() if t is not None and t.is_array} - set(params)
    bound_in: dict = {}      # name -> the permutations binding it
    plain = set()            # the Name nodes bound by the statements looked at
    for s in nodes(fn):
        if not isinstance(s, ast.stmt):
            continue
        perm = permutations.get(id(s))
        if perm is not None:
            for x in (s.targets[0].id, s.value.id):
                if x not in perm.temps:
                    bound_in.setdefault(x, []).append(perm)
            plain.add(id(s.targets[0]))
            continue
        if ir.KIND(s) == ir.Kind.ASSIGN and isinstance(s.targets[0], ast.Name):
            plain.add(id(s.targets[0]))
            t = types.get(s.targets[0].id)
            made = t is None or not t.is_array or \
                not isinstance(s.value, ast.Name) and view_base(s.value, types) is None and \
                (ir.PRIM(s.value) or ("?",))[0] not in ("user", "global", "copy")
            if not made:
                out.discard(s.targets[0].id)
                base = view_base(s.value, types) if not isinstance(s.value, ast.Name) \
                    else s.value.id
                out.discard(base)
        heads = [getattr(s, f) for f in ("test", "iter") if getattr(s, f, None) is not None] \
            if hasattr(s, "body") else [s]
        # (a user function whose result is a number keeps no array it is given:
        # ``tc = first_crossing(y, level, dt)``)
        number_call = s.value if _gives_number(s, types) else None
        for n in (n for h in heads for n in nodes(h)):
            if isinstance(n, (ast.Tuple, ast.List)) and isinstance(n.ctx, ast.Load) or \
                    isinstance(n, ast.Call) and (ir.PRIM(n) or ("?",))[0] in ("user", "global") \
                    and n is not number_call:
                elts = n.elts if isinstance(n, (ast.Tuple, ast.List)) else n.args
                out -= {e.id for e in elts if isinstance(e, ast.Name)}
    for n in nodes(fn):      # bound otherwise (unpacked, a loop target)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and id(n) not in plain:
            out.discard(n.id)
    while True:                 # a permutation among sole arrays only
        drop = {x for x, perms in bound_in.items() if x in out and
                any(not set(p.source) <= out for p in perms)}
        if not drop:
            return out
        out -= drop


def _gives_number(s, types) -> bool:
    """``x = f(...)`` binding a number."""
    if not isinstance(s, ast.Assign) or len(s.targets) != 1 or \
            not isinstance(s.targets[0], ast.Name):
        return False
    t = types.get(s.targets[0].id)
    return t is not None and t.is_scalar


def unwritten_arrays(fn: ast.FunctionDef, types: dict, view_base, moves=frozenset(),
                     after=None) -> set:
    """Array names no element of whose buffer is ever written, under any name
    that may share it: no name bound to the same array (``y = x``, a swap, a
    view ``x[i]``, ``x.T``, a loop over its rows) is stored into or given to a
    user function.  (``x += y`` is no write: on an array, the normalized code
    computes ``x = x + y``, a new array.)  Their values may be copied and the
    copy read back in their stead (a tape of rows, passes/tape.py): nothing
    could tell the copy from the array.  A move (``moves``: ``id`` of each
    ``x = y`` after which ``y`` is dead, ``find_moves``) hands the array on
    (``new`` filled, then ``alpha = new``; ``new`` made again before it is
    written), and writes before top-level statement ``after`` do not count
    (``alpha = np.empty(K)`` filled before the loop that saves its values)."""
    arrays = {x for x, t in types.items() if t is not None and t.is_array}
    counted = {id(n) for top in fn.body[_index(fn.body, after):] for n in nodes(top)}
    parent: dict = {}

    def find(x):
        while x in parent:
            x = parent[x]
        return x

    def join(a, b):
        if a in arrays and b in arrays and find(a) != find(b):
            parent[find(a)] = find(b)

    written, unpacked = set(), set()
    for s in nodes(fn):
        if isinstance(s, ast.Assign) and id(s) not in moves:
            value = s.value
            pairs = [(t, value) for t in s.targets]
            for target, v in list(pairs):
                if isinstance(target, ast.Tuple) and isinstance(v, ast.Tuple) and \
                        len(target.elts) == len(v.elts):
                    pairs += list(zip(target.elts, v.elts))
                elif isinstance(target, ast.Tuple):
                    # unpacked from something else: may share anything
                    unpacked |= {n.id for n in nodes(target) if isinstance(n, ast.Name)}
            for target, v in pairs:
                if isinstance(target, ast.Name):
                    base = v.id if isinstance(v, ast.Name) else \
                        view_base(v, types) if isinstance(v, ast.expr) else None
                    if base is not None:
                        join(target.id, base)
        elif isinstance(s, ast.For):
            rows = s.iter.id if isinstance(s.iter, ast.Name) else None
            for n in nodes(s.target):
                if isinstance(n, ast.Name) and rows is not None:
                    join(n.id, rows)
        if isinstance(s, ast.stmt) and id(s) in counted:
            base = store_base(s)
            if base is not None:
                written.add(base)
            if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
                written.add(s.target.id)
        if isinstance(s, ast.Call) and id(s) in counted and \
                (ir.PRIM(s) or ("?",))[0] in ("user", "global"):
            written |= {a.id for a in s.args if isinstance(a, ast.Name)}
    bad = {find(x) for x in written if x in arrays}
    return {x for x in arrays if find(x) not in bad and x not in unpacked}


def _index(body, stmt) -> int:
    return next((k for k, s in enumerate(body) if s is stmt), 0)
