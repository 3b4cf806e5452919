"""Whole-array statements of the reverse sweep become one element loop.

The reverse of array code in a loop is array code too.  A conjugate-gradient
step (``x += alpha * p``, ``r -= alpha * Ap``, ``p = r + beta * p``) gets,
in every reverse iteration::

    dr += unbroadcast(dp, r)
    _dt22 += unbroadcast(dp, _t22)
    p = _saved_p.pop()
    dp[:] = 0.0
    _dt21 = np.sum(_dt22 * p)
    dp += _dt22 * _t21
    _dt22[:] = 0.0

Each line is a pass over the arrays, and ``_dt22 * p``, ``_dt22 * _t21`` are
arrays allocated and freed in every iteration.  Consecutive statements of
this kind over arrays of one shape become one element loop, as one writes it
by hand (``unbroadcast`` between arrays of one shape does nothing)::

    dr += dp
    _dt22 += dp
    p = _saved_p.pop()
    _dt21 = 0.0
    for j in range(dp.shape[0]):
        dp[j] = 0.0
        _dt21 += _dt22[j] * p[j]
        dp[j] += _dt22[j] * _t21
        _dt22[j] = 0.0

(the CG program's gradient went from 7.5x to 3.3x its primal).

Taken when:

* each statement is ``A += E``, ``A -= E``, ``A *= E``, ``A[:] = c`` (``c`` a
  number), ``s = np.sum(E)``, ``s += np.sum(E)`` or ``s -= np.sum(E)``, with
  ``E`` arithmetic (``+ - * / **``, unary ``-``) of float64 arrays, numbers
  and constants, and ``unbroadcast(X, Y)`` with ``X`` and ``Y`` of one shape
  (which is ``X``);
* every array of the run has one shape: the same shape key
  (``shapes.shape_keys``; an adjoint buffer has its array's), or the same
  keys of its axes' lengths (``shapes.axis_lengths``: ``Xw = X * w[:, None]``
  and ``X``), so every statement touches element ``j`` of each array in step
  ``j``; or it broadcasts into that shape, its axes' keys those of the run's
  last axes but for axes of length 1 (``w[:, None]``, ``(n, 1)``, in a run
  over ``(n, d)``; a vector ``c`` of length ``d``), and is read at its own
  axes' indices, 0 along those of length 1 (``_t7[j, 0]``, ``c[k]``);
* ``A += unbroadcast(E, A)`` (``-=``) of such a broadcast ``A``, where ``E``
  runs over the run's shape, adds element ``(j, k)`` of ``E`` into ``A[j,
  0]``: the sum NumPy's ``unbroadcast`` makes, in another order.  No other
  statement of the run reads or writes ``A`` (it holds its sums only after
  the loop), nor does ``E``;
* every array the run writes is an adjoint buffer only ever bound to an array
  of its own (``np.zeros_like``, arithmetic, ``fresh``, a copy, or another
  such buffer, as in a swap) and never viewed (sliced, transposed, passed to
  a function that may return a view): whatever reads it reads it whole, at
  the same offset, so step ``j`` of a statement reads only what step ``j`` of
  the statements before it wrote, as the statements one after another did;
* a number a reduction of the run computes is read by no other statement of
  the run (it is complete only after the loop), and the run writes no other
  number;
* no statement is a tape operation or an adjoint's first zeroing (kernel
  lowering finds those by their marks).

A run is rewritten when it has two statements or more, or one that
allocates.  Sums are added in order, where ``np.sum`` adds pairwise: the
difference in rounding that passes/lower.py's element loops have too.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .. import ir
from ..rules.arrayfuncs import VIEW_NAMES
from .astutil import nodes
from .shapes import spread_axes

_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_COMPARES = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
_ALLOCATE = ("np.zeros_like", "np.zeros", "np.empty", "np.ones", "np.empty_like",
             "np.ones_like", "fresh")
_ATTRIBUTES = ("shape", "size", "ndim", "dtype", "copy")
_READERS = ("np.sum", "np.zeros_like", "np.empty_like", "np.ones_like", "unbroadcast",
            "fresh", "len", "np.dot", "np.vdot", "np.inner", "np.outer", "np.matmul")
INDEX_NAMES = ("j", "k", "l")


@dataclass
class _Member:
    stmt: ast.stmt
    key: object
    ndim: int
    element: object                     # idx -> the statement for element idx
    writes: set = field(default_factory=set)
    numbers: set = field(default_factory=set)      # numbers read
    total: str | None = None            # the number a reduction adds into
    starts: bool = False                # s = np.sum(...): the total starts at 0
    allocates: bool = False
    local: str | None = None            # T = E of a temporary T of the run (see _Fuser.local)
    sums_into: str | None = None        # A += unbroadcast(E, A) of an A that E broadcasts from


def fuse_array_statements(stmts: list, whole: list, arrays: dict, numbers: set,
                          buffers: set, fresh, maybe_arrays=None, axes=None) -> list:
    """``stmts`` (a reverse sweep) with such runs as element loops.  ``whole``:
    every statement of the function (for the bindings of the buffers);
    ``arrays``: name -> ``(ndim, shape key)`` of the float64 arrays whose shape
    has a key; ``numbers``: names of numbers; ``buffers``: the adjoint
    buffers; ``fresh(name)``: a name not yet used; ``maybe_arrays``: names
    that are arrays of such a ``(ndim, key)`` where an expression reading an
    array of it is assigned to them (adjoints of direct temporaries);
    ``axes``: name -> ``(ndim, keys)`` of the arrays whose every axis has a
    length key (``shapes.axis_lengths``), for the shapes that broadcast
    (``axis_keyed``)."""
    arrays, maybe_arrays = axis_keyed(arrays, maybe_arrays or {}, axes or {})
    arrays = {k: v for k, v in arrays.items() if v[0] >= 1}     # (a 0-d array has no loop)
    maybe = {k: v for k, v in maybe_arrays.items() if v[0] >= 1 and k not in arrays}
    writable, aliases = _writable(whole, set(buffers) & set(arrays))
    if not writable:
        return stmts
    temporaries = _temporaries(whole, set(buffers) & (set(arrays) | set(maybe)))
    known = dict(arrays)
    while True:         # (a temporary of temporaries: ``_dt9 = select(c, _dt10, 0.0)``)
        more = {t: maybe[t] for t, st in temporaries.items() if t not in known and
                _reads_array_of(st.value, known, maybe[t])}
        if not more:
            break
        known.update(more)
    temporaries = {t: st for t, st in temporaries.items() if t in known}
    arrays = known
    return _Fuser(arrays, numbers, writable, fresh, temporaries,
                  _mentions(whole, set(temporaries)), aliases).block(stmts)


def axis_keyed(arrays: dict, maybe: dict, axes: dict) -> tuple:
    """``arrays`` and ``maybe`` with the shape key of each array whose shape
    (or another array of its shape key) has a key per axis replaced by
    ``("axes", keys)``: arrays of different shape keys but the same axes'
    keys (``Xw = X * w[:, None]`` and ``X``) are of one shape, and an array
    whose axes' keys are those of a run's but for axes of length 1 (``w[:,
    None]``'s ``(n, 1)`` in a run over ``(n, d)``) broadcasts into it, read
    at 0 along those axes (``_Fuser.spread``)."""
    canonical: dict = {}                       # (ndim, shape key) -> its axes' keys
    for name in sorted(arrays):
        if name in axes and axes[name][0] == arrays[name][0]:
            canonical.setdefault(arrays[name], tuple(axes[name][1]))

    def keyed(table):
        return {n: (v[0], ("axes", canonical[v])) if v in canonical else v
                for n, v in table.items()}
    return keyed(arrays), keyed(maybe)


def _axes_of(key):
    """The axes' keys of a run's key (``axis_keyed``), or None."""
    return key[1] if isinstance(key, tuple) and len(key) == 2 and key[0] == "axes" else None


def _reads_array_of(value, arrays, shape) -> bool:
    """``value`` has an array of ``shape`` (``(ndim, key)``) among the operands
    of its element arithmetic (not under an attribute, ``_t1.size``, nor in a
    ``select``'s condition): it makes an array of that shape where it is such
    arithmetic (``_Fuser.element_of`` checks)."""
    return any(arrays.get(n) == shape for n in _operands(value))


def _operands(e) -> list:
    """The names whose elements element arithmetic ``e`` combines."""
    if isinstance(e, ast.Name):
        return [e.id]
    if isinstance(e, ast.BinOp):
        return _operands(e.left) + _operands(e.right)
    if isinstance(e, ast.UnaryOp):
        return _operands(e.operand)
    if _select(e):
        return _operands(e.args[1]) + _operands(e.args[2])
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.args and \
            (e.func.id == "fresh" and len(e.args) == 1 or _unbroadcast(e)):
        return _operands(e.args[0])
    return []


def _mentions(whole, names) -> dict:
    """``name -> ids`` of the statements mentioning it: simple statements, and a
    compound statement where its header does (a loop's range, an ``if``'s test)."""
    out: dict = {n: set() for n in names}

    def visit(stmts):
        for st in stmts:
            parts = [st]
            if isinstance(st, (ast.For, ast.While, ast.If)):
                parts = [getattr(st, f) for f in ("target", "iter", "test") if hasattr(st, f)]
                visit(st.body)
                visit(st.orelse)
            for n in (x for part in parts for x in nodes(part)):
                if isinstance(n, ast.Name) and n.id in out:
                    out[n.id].add(id(st))
    visit(whole)
    return out


def _temporaries(whole, candidates) -> dict:
    """``name -> the statement binding it`` for the adjoint arrays of ``candidates``
    bound once, by ``T = E`` (an expression, not a view of another array), and
    otherwise only read, never viewed: a run holding that statement and every
    statement mentioning ``T`` computes ``T`` element by element, as a number
    (``_dt9 = select(_t9 < eps, _dt10, 0.0)``, the adjoint of a ``np.minimum``)."""
    binds: dict = {}
    bad = set()
    for n in (x for st in whole for x in nodes(st)):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                for a in nodes(t):
                    if isinstance(a, ast.Name) and a.id in candidates:
                        if t is a:
                            binds.setdefault(a.id, []).append(n)
                        else:
                            bad.add(a.id)
        elif isinstance(n, (ast.AugAssign, ast.For, ast.comprehension)):
            bad |= {a.id for a in nodes(n.target) if isinstance(a, ast.Name)}
        elif _views(n) or isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name):
            bad.add(n.value.id)
    return {name: its[0] for name, its in binds.items()
            if name not in bad and len(its) == 1 and
            isinstance(its[0].value, (ast.BinOp, ast.UnaryOp, ast.Call)) and
            name not in {n.id for n in nodes(its[0].value) if isinstance(n, ast.Name)}}


class _Fuser:
    def __init__(self, arrays, numbers, writable, fresh, temporaries, mentioned, aliases=None):
        self.arrays, self.numbers, self.writable = arrays, numbers, writable
        self.aliases = aliases or {}        # writable array -> the names of its views
        self._fresh, self.index_names = fresh, []
        self.temporaries, self.mentioned = temporaries, mentioned
        self.scalar_of: dict = {}           # a temporary of the run -> its number's name

    def indices(self, ndim) -> list:
        """Names for the element loops' counters, one per axis (the same in
        every loop this pass writes)."""
        while len(self.index_names) < ndim:
            self.index_names.append(self._fresh(INDEX_NAMES[len(self.index_names)]))
        return self.index_names[:ndim]

    def block(self, stmts) -> list:
        out, run, later = [], [], []
        for s in stmts:
            for f in ("body", "orelse"):
                if isinstance(s, (ast.For, ast.While, ast.If)) and getattr(s, f):
                    setattr(s, f, self.block(getattr(s, f)))
            m = self.member(s)
            if m is not None and run and _joins(run, m) and not _crosses(later, s) and \
                    not self.seen_through(set().union(*(r.writes for r in run + [m])),
                                          set().union(*(_names_of(r.stmt) for r in run + [m]))):
                run.append(m)
                continue
            if m is None and run and _floats(s):
                # a tape's pop between members (``_t9 = _saved_t9[top]``): after the
                # loop, where the members after it read nothing it binds
                later.append(s)
                continue
            out += self.emit(run) + later
            run, later = [], []
            if m is not None:
                run = [m]
            else:
                out.append(s)
        return out + self.emit(run) + later

    # -- one statement ---------------------------------------------------
    def member(self, s):
        m = self._member(s)
        if m is not None and (m.ndim > len(INDEX_NAMES) or
                              self.seen_through(m.writes, _names_of(s))):
            return None         # (loops over up to three axes)
        return m

    def seen_through(self, writes, names) -> bool:
        """``names`` hold a view of an array of ``writes`` (``_dt8 = dXw.T``)."""
        return any(self.aliases.get(w, set()) & names for w in writes)

    def _member(self, s):
        if ir.TAPE(s) is not None or ir.ADJOINT_INIT(s) is not None:
            return None
        if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
            name = s.target.id
            if name in self.writable and isinstance(s.op, (ast.Add, ast.Sub, ast.Mult)):
                return self.update(s, name)
            if name in self.numbers and isinstance(s.op, (ast.Add, ast.Sub)):
                return self.reduction(s, name, starts=False)
            return None
        if not (isinstance(s, ast.Assign) and len(s.targets) == 1):
            return None
        t = s.targets[0]
        if isinstance(t, ast.Name) and t.id in self.numbers:
            return self.reduction(s, t.id, starts=True)
        if isinstance(t, ast.Name) and self.temporaries.get(t.id) is s and t.id in self.arrays:
            return self.local(s, t.id)
        if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and \
                t.value.id in self.writable and _whole_slice(t.slice):
            return self.reset(s, t.value.id)
        return None

    def spread(self, name, ndim, key):
        """How array ``name`` is read in a loop over ``(ndim, key)``: True where
        it is of that shape, a tuple (``shapes.spread_axes``) where it broadcasts
        into it, else None."""
        if self.arrays.get(name) == (ndim, key):
            return True
        own = self.arrays.get(name)
        into = _axes_of(key)
        if own is None or into is None or len(into) != ndim or _axes_of(own[1]) is None:
            return None
        return spread_axes(_axes_of(own[1]), into)

    def space(self, e):
        """``(ndim, key)`` of the loop an array expression ``e`` runs over: that of
        an array it reads into which all the others it reads broadcast; None
        where there is none."""
        found = sorted({self.arrays[n.id] for n in nodes(e)
                        if isinstance(n, ast.Name) and n.id in self.arrays}, key=repr)
        for ndim, key in found:
            if all(self.spread(n.id, ndim, key) is not None for n in nodes(e)
                   if isinstance(n, ast.Name) and n.id in self.arrays):
                return ndim, key
        return None

    def summed(self, s, name):
        """``A += unbroadcast(E, A)`` (or ``-=``, or of another array of ``A``'s
        shape) where ``E`` runs over more elements than ``A`` holds (``_dt7 +=
        unbroadcast(dXw * X, _t7)`` of a ``_t7 = w[:, None]``): element ``(j, k)``
        of ``E`` adds into ``A[j, 0]``.  ``E`` must not read ``A`` (``_joins``
        keeps every other member of the run from reading or writing it)."""
        v = s.value
        if not (_unbroadcast(v) and isinstance(v.args[1], ast.Name) and
                self.arrays.get(v.args[1].id) == self.arrays[name] and
                isinstance(s.op, (ast.Add, ast.Sub))):
            return None
        e = v.args[0]
        where = self.space(e)
        if where is None or where == self.arrays[name] or \
                name in {n.id for n in nodes(e) if isinstance(n, ast.Name)}:
            return None
        spec = self.spread(name, *where)
        value = self.element_of(e, where[1], where[0])
        if not isinstance(spec, tuple) or value is None:
            return None
        make, numbers = value

        def element(idx):
            return ast.AugAssign(target=_spread_at(name, idx, spec, store=True), op=s.op,
                                 value=make(idx))
        return _Member(s, where[1], where[0], element, {name}, numbers, allocates=True,
                       sums_into=name)

    def update(self, s, name):
        ndim, key = self.arrays[name]
        summed = self.summed(s, name)
        if summed is not None:
            return summed
        value = self.element_of(s.value, key, ndim)
        if value is None:
            return None
        make, numbers = value

        def element(idx):
            return ast.AugAssign(target=_at(name, idx, store=True), op=s.op, value=make(idx))
        return _Member(s, key, ndim, element, {name}, numbers,
                       allocates=not isinstance(s.value, ast.Name))

    def local(self, s, name):
        """``T = E`` of a temporary: element ``j`` is the number ``T_j = E_j``
        where the run holds every statement mentioning ``T``, else ``T[j] = E_j``
        into ``T`` made before the loop (``emit``)."""
        ndim, key = self.arrays[name]
        v = s.value
        if isinstance(v, ast.Call) and ast.unparse(v.func) == "fresh" and len(v.args) == 1:
            v = v.args[0]                       # (a copy: element j is the element j)
        value = self.element_of(v, key, ndim)
        if value is None:
            return None
        make, numbers = value

        def element(idx):
            if name in self.scalar_of:
                target = ast.Name(id=self.scalar_of[name], ctx=ast.Store())
            else:
                target = _at(name, idx, store=True)
            return ast.Assign(targets=[target], value=make(idx))
        return _Member(s, key, ndim, element, {name}, numbers, allocates=True, local=name)

    def reset(self, s, name):
        ndim, key = self.arrays[name]
        if not (isinstance(s.value, ast.Constant) and isinstance(s.value.value, (int, float))
                or isinstance(s.value, ast.Name) and s.value.id in self.numbers):
            return None
        numbers = {s.value.id} if isinstance(s.value, ast.Name) else set()

        def element(idx):
            return ast.Assign(targets=[_at(name, idx, store=True)], value=ir.clone(s.value))
        return _Member(s, key, ndim, element, {name}, numbers)

    def reduction(self, s, total, starts):
        v = s.value
        if not (isinstance(v, ast.Call) and ast.unparse(v.func) == "np.sum" and
                len(v.args) == 1 and not v.keywords):
            return None
        where = self.space(v.args[0])
        if where is None:
            return None
        ndim, key = where
        value = self.element_of(v.args[0], key, ndim)
        if value is None:
            return None
        make, numbers = value
        op = s.op if isinstance(s, ast.AugAssign) else ast.Add()

        def element(idx):
            return ast.AugAssign(target=ast.Name(id=total, ctx=ast.Store()), op=op,
                                 value=make(idx))
        return _Member(s, key, ndim, element, set(), numbers, total, starts,
                       allocates=not isinstance(v.args[0], ast.Name))

    def element_of(self, e, key, ndim):
        """``(make, numbers)``: ``make(idx)`` builds element ``idx`` of the
        array expression ``e`` (arrays of shape key ``key`` only); None where
        ``e`` is not such an expression."""
        numbers = set()

        def ok(e) -> bool:
            if isinstance(e, ast.Name):
                if e.id in self.arrays:
                    return self.spread(e.id, ndim, key) is not None
                if e.id in self.numbers:
                    numbers.add(e.id)
                    return True
                return False
            if isinstance(e, ast.Constant):
                return isinstance(e.value, (int, float)) and not isinstance(e.value, bool)
            if isinstance(e, ast.BinOp):
                return isinstance(e.op, _OPS) and ok(e.left) and ok(e.right)
            if isinstance(e, ast.UnaryOp):
                return isinstance(e.op, (ast.USub, ast.UAdd)) and ok(e.operand)
            if _unbroadcast(e):
                y = e.args[1]
                return isinstance(y, ast.Name) and self.arrays.get(y.id) == (ndim, key) and \
                    ok(e.args[0])
            if _select(e):
                c = e.args[0]
                return isinstance(c, ast.Compare) and len(c.ops) == 1 and \
                    isinstance(c.ops[0], _COMPARES) and ok(c.left) and ok(c.comparators[0]) \
                    and ok(e.args[1]) and ok(e.args[2])
            return False

        if not ok(e):
            return None

        def make(idx, e=e):
            if isinstance(e, ast.Name):
                if e.id in self.scalar_of:
                    return ast.Name(id=self.scalar_of[e.id], ctx=ast.Load())
                if e.id not in self.arrays:
                    return ast.Name(id=e.id, ctx=ast.Load())
                spec = self.spread(e.id, ndim, key)
                return _at(e.id, idx) if spec is True else _spread_at(e.id, idx, spec)
            if isinstance(e, ast.Constant):
                return ast.Constant(e.value)
            if isinstance(e, ast.BinOp):
                return ast.BinOp(left=make(idx, e.left), op=e.op, right=make(idx, e.right))
            if isinstance(e, ast.UnaryOp):
                return ast.UnaryOp(op=e.op, operand=make(idx, e.operand))
            if _select(e):                         # select(a < b, x, y): x_j if a_j < b_j else y_j
                c = e.args[0]
                test = ast.Compare(left=make(idx, c.left), ops=[c.ops[0]],
                                   comparators=[make(idx, c.comparators[0])])
                return ast.IfExp(test=test, body=make(idx, e.args[1]),
                                 orelse=make(idx, e.args[2]))
            return make(idx, e.args[0])            # unbroadcast(X, Y) of one shape: X
        return make, numbers

    # -- a run -----------------------------------------------------------
    def emit(self, run) -> list:
        if not run:
            return []
        if len(run) == 1 and not run[0].allocates:
            return [run[0].stmt]
        first = run[0]
        # (the loops' bounds: an array of the run's shape, not a temporary of it nor
        # one it sums into, ``_dt7[j, 0] += ...``, which may be shorter)
        locals_ = {m.local for m in run}
        names = [n for m in run for n in _targets(m.stmt)] + \
            [n for m in run for n in nodes(m.stmt.value)]
        shaped = next((n.id for n in names if isinstance(n, ast.Name) and n.id not in locals_
                       and self.arrays.get(n.id) == (first.ndim, first.key)), None)
        if shaped is None:
            return [r.stmt for r in run]
        idx = self.indices(first.ndim)
        made = []
        members = {id(m.stmt) for m in run}
        for k, m in enumerate(run):
            if m.local is None:
                continue
            if any(m.local in {n.id for n in nodes(r.stmt) if isinstance(n, ast.Name)}
                   for r in run[:k]):
                # (read before it is bound: the last iteration's array)
                return [r.stmt for r in run]
            if self.mentioned[m.local] <= members:
                self.scalar_of[m.local] = self._fresh(f"{m.local.lstrip('_')}_{idx[-1]}")
            else:
                # read after the run too: an array of its own, as before, filled by the loop
                like = next((n.id for r in run for n in nodes(r.stmt.value)
                             if isinstance(n, ast.Name) and n.id not in self.temporaries
                             and self.arrays.get(n.id) == (m.ndim, m.key)), None)
                if like is None:        # (only temporaries read: keep the statements)
                    return [r.stmt for r in run]
                made.append(ir.copy_facts(m.stmt, ast.Assign(
                    targets=[ast.Name(id=m.local, ctx=ast.Store())],
                    value=ast.Call(func=ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()),
                                                      attr="empty_like", ctx=ast.Load()),
                                   args=[ast.Name(id=like, ctx=ast.Load())], keywords=[]))))
        body = [ir.copy_facts(m.stmt, m.element(idx)) for m in run]
        loop = None
        for d in range(first.ndim - 1, -1, -1):
            bound = ast.Subscript(value=ast.Attribute(value=ast.Name(id=shaped, ctx=ast.Load()),
                                                      attr="shape", ctx=ast.Load()),
                                  slice=ast.Constant(d), ctx=ast.Load())
            loop = ast.For(target=ast.Name(id=idx[d], ctx=ast.Store()),
                           iter=ast.Call(func=ast.Name(id="range", ctx=ast.Load()),
                                         args=[bound], keywords=[]),
                           body=body if loop is None else [loop], orelse=[], type_comment=None)
            ir.LINE.set(loop, ir.LINE(first.stmt))
        ir.NOTE.set(loop, "whole-array statements as one loop over their elements")
        starts = []
        for m in run:
            if m.starts:
                st = ast.Assign(targets=[ast.Name(id=m.total, ctx=ast.Store())],
                                value=ast.Constant(0.0))
                starts.append(ir.copy_facts(m.stmt, st))
        return made + starts + [loop]


def _targets(s) -> list:
    """The names a run's member writes (``A`` of ``A += E``, of ``A[:] = c``)."""
    t = s.target if isinstance(s, ast.AugAssign) else s.targets[0]
    return [t if isinstance(t, ast.Name) else t.value]


def _spread_at(name, idx, spec, store=False):
    """Element ``idx`` of a loop read from an array that broadcasts into it
    (``shapes.spread_axes``): its own axes take the last indices, 0 where of length 1."""
    own = idx[len(idx) - len(spec):]
    index = [ast.Name(id=i, ctx=ast.Load()) if runs else ast.Constant(0)
             for i, runs in zip(own, spec)]
    return ast.Subscript(value=ast.Name(id=name, ctx=ast.Load()),
                         slice=index[0] if len(index) == 1 else ast.Tuple(elts=index,
                                                                          ctx=ast.Load()),
                         ctx=ast.Store() if store else ast.Load())


def _select(e) -> bool:
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and \
        e.func.id == "select" and len(e.args) == 3 and not e.keywords


def _floats(s) -> bool:
    """``s`` binds names only and may run after a run's loop, where nothing
    after it in the run reads or binds them (``_crosses``): a tape's pop,
    ``_saved_t9_top -= 1`` and ``_t9 = _saved_t9[_saved_t9_top]``."""
    if isinstance(s, ast.AugAssign):
        return isinstance(s.target, ast.Name) and isinstance(s.value, ast.Constant)
    return ir.TAPE(s) is not None and isinstance(s, ast.Assign) and \
        all(isinstance(t, ast.Name) for t in s.targets)


def _crosses(later, s) -> bool:
    """Statement ``s`` reads or binds a name the statements ``later`` (held back
    to run after the loop) bind, or binds one they read."""
    if not later:
        return False
    bound = set().union(*(_bound_names(x) for x in later))
    read = set().union(*(_read_names(x) for x in later))
    return bool((_read_names(s) | _bound_names(s)) & bound or _bound_names(s) & read)


def _bound_names(s) -> set:
    targets = s.targets if isinstance(s, ast.Assign) else [getattr(s, "target", None)]
    return {n.id for t in targets if t is not None for n in nodes(t)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _read_names(s) -> set:
    return {n.id for n in nodes(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _joins(run, m) -> bool:
    first = run[0]
    if (m.key, m.ndim) != (first.key, first.ndim):
        return False
    # (an array a member sums into holds its sums only after the loop: no other
    # member reads or writes it)
    into = {r.sums_into for r in run + [m] if r.sums_into is not None}
    if into and any(into - ({x.sums_into} if x.sums_into else set()) & _names_of(x.stmt)
                    for x in run + [m]):
        return False
    totals = {r.total for r in run if r.total is not None}
    read = set().union(*(r.numbers for r in run))
    if m.numbers & totals:
        return False          # a sum of the run read before it is complete
    # (a sum read before it in the run, or started twice, would be reset too early)
    return m.total is None or not (m.total in read or m.total in m.numbers or
                                   m.starts and m.total in totals)


def _names_of(s) -> set:
    return {n.id for n in nodes(s) if isinstance(n, ast.Name)}


def _writable(whole, candidates) -> tuple:
    """The names of ``candidates`` only ever bound to an array of their own
    (or to another such name) and never viewed but by a name of the view's
    own (``v = A.T``), and for each such name the names of its views."""
    bound: dict = {}
    viewed = set()
    # ``v = A.T`` or ``v = A[i]`` of a name ``A``: a view under a name of its own
    # (passes/view_adjoints.py binds a transposed buffer so), which a run may not
    # mention where it writes ``A`` (``_Fuser.seen_through``)
    named = {}
    for x in (x for st in whole for x in nodes(st)):
        if isinstance(x, ast.Assign) and len(x.targets) == 1 and \
                isinstance(x.targets[0], ast.Name) and _views(x.value):
            named[id(x.value)] = (x.value.value.id, x.targets[0].id)
    # (a call whose result is copied at once, ``fresh(reshape_like(_dt7, _t6))``,
    # or added into an array, ``_dt6 += reshape_like(_dt7, _t6)``, leaves no view
    # behind)
    copied = {id(a) for s in whole for x in nodes(s) if isinstance(x, ast.Call) and
              ast.unparse(x.func) == "fresh" for a in x.args} | \
        {id(x.value) for s in whole for x in nodes(s) if isinstance(x, ast.AugAssign) and
         isinstance(x.value, ast.Call)}
    for n in (x for s in whole for x in nodes(s)):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Name):
                    bound.setdefault(t.id, []).append(n.value)
                elif isinstance(t, ast.Tuple) and isinstance(n.value, ast.Tuple) and \
                        len(t.elts) == len(n.value.elts):
                    for a, b in zip(t.elts, n.value.elts):
                        if isinstance(a, ast.Name):
                            bound.setdefault(a.id, []).append(b)
                elif isinstance(t, ast.Tuple):
                    for a in t.elts:
                        if isinstance(a, ast.Name):
                            bound.setdefault(a.id, []).append(None)
        elif isinstance(n, (ast.For, ast.comprehension)):
            for a in nodes(n.target):
                if isinstance(a, ast.Name):
                    bound.setdefault(a.id, []).append(None)
        elif _views(n) and id(n) not in named:
            viewed.add(n.value.id)
        elif isinstance(n, ast.Call) and id(n) not in copied:
            func = ast.unparse(n.func)
            if func in VIEW_NAMES or func not in _READERS and not func.startswith("math."):
                viewed |= {a.id for a in n.args if isinstance(a, ast.Name)}

    def own(v) -> bool:
        if isinstance(v, (ast.BinOp, ast.UnaryOp)):
            return True
        if isinstance(v, ast.Call):
            f = ast.unparse(v.func)
            return f in _ALLOCATE or isinstance(v.func, ast.Attribute) and v.func.attr == "copy"
        return False

    out = {c for c in candidates if c not in viewed}
    while True:
        bad = {c for c in out
               if any(not (own(v) or isinstance(v, ast.Name) and v.id in out)
                      for v in bound.get(c, []))}
        if not bad:
            break
        out -= bad
    aliases: dict = {}
    for base, view in named.values():
        aliases.setdefault(base, set()).add(view)
    for _ in range(len(named)):         # (a view of a view sees the array too)
        for base in list(aliases):
            aliases[base] |= set().union(*(aliases.get(v, set()) for v in aliases[base]))
    # a view under a name of its own, of such an array (``dxj = dX[:, j]``), only
    # ever bound so, is written element by element too where the run mentions
    # neither the array nor another view of it: step ``j`` writes element ``j``
    # of the view and reads no other element of the array
    for base, view in named.values():
        if view in candidates and view not in viewed and view not in aliases and \
                base in out and all(_views(v) and v.value.id == base
                                    for v in bound.get(view, [])):
            out.add(view)
            aliases[view] = ({base} | aliases[base]) - {view}
    return out, {a: aliases[a] for a in out if a in aliases}


def _views(n) -> bool:
    """``n`` is a slice or an attribute of a name that may be a view of it."""
    if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name):
        return isinstance(n.ctx, ast.Load) and _sliced(n.slice)
    return isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and \
        n.attr not in _ATTRIBUTES


def _sliced(index) -> bool:
    return any(isinstance(x, ast.Slice) for x in nodes(index))


def _whole_slice(index) -> bool:
    return isinstance(index, ast.Slice) and index.lower is None and index.upper is None and \
        index.step is None


def _unbroadcast(e) -> bool:
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and \
        e.func.id == "unbroadcast" and len(e.args) == 2 and not e.keywords


def _at(name, idx, store=False):
    index = ast.Name(id=idx[0], ctx=ast.Load()) if len(idx) == 1 else \
        ast.Tuple(elts=[ast.Name(id=i, ctx=ast.Load()) for i in idx], ctx=ast.Load())
    return ast.Subscript(value=ast.Name(id=name, ctx=ast.Load()), slice=index,
                         ctx=ast.Store() if store else ast.Load())
