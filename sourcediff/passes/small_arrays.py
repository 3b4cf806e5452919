"""Small arrays of a fixed shape become one scalar per element.

A Kalman filter, a rotation or a 3-vector integrator keeps its state in
arrays of two, three or four elements (``x = F @ x``, ``P = F @ P @ F.T +
Q``, ``K = P[:, 0] / S``, ``P = P - np.outer(K, P[0, :])``).  As arrays, every
step allocates each intermediate, the adjoint tapes whole arrays in lists,
and Numba compiles a matrix-product routine per operand layout (seconds of
first call).  Written out by hand, the same filter is scalar code::

    x_0 = F_00 * x_0 + F_01 * x_1 ...

which is what this pass produces, on normalized and typed code, so the
scalar techniques (recompute, fusion, typed tapes) apply and nothing is
allocated per step.

Where the line is drawn, and why:

* An array qualifies when every statement binding it gives one shape known
  when the function is transformed (literal sizes: ``np.array`` of numbers,
  ``np.zeros(3)``, ``np.zeros((2, 2))``, ``np.ones``, ``np.eye``, ``np.empty`` filled by
  element stores (a helper's ``out = np.empty(2); out[0] = ...``), and what
  arithmetic, elementwise ufuncs, ``@``, ``.T``, ``np.outer``, ``np.cross``
  of 3-vectors, ``np.linalg.inv`` and ``solve`` of matrices up to 3x3
  (adjugate and Cramer's rule, the formulas one writes by hand at that size;
  ``solve`` of a vector or of a matrix of right-hand sides: a Kalman gain
  ``np.linalg.solve(S, H @ P).T``), reductions along an axis, slices with
  constant bounds, copies and ``np.zeros_like`` make of such arrays, and a
  row ``obs[t]`` of a parameter of many rows whose rows' length the compiled
  code is specialized on (backends/row_lengths.py), read element by element),
  with at most ``SMALL`` elements,
  float64, one or two dimensions, and it is a local.  A parameter keeps its
  array (its shape is the caller's) unless the transform specialized on its
  shape: one copied into a loop's state (``y = y0.copy()``, ``shape_seeds``),
  small when called, never written; its elements are read once at the
  start, and each shape is an entry of the transform's cache (the tests call
  one gradient with states of several lengths).  ``SMALL`` is 16 (a 4x4
  matrix): a product of two written out is 64 multiplications; at 10x10 it
  would be 1,000 statements per product, which Numba compiles slower than
  it runs a loop.
* Every use must be one the pass writes element by element: the statements
  above, an element read with constant indices (``P[0, 0]``, ``x[-1]``), a
  reduction over all elements (``np.sum``, ``np.mean``, ``np.prod``,
  ``np.max``, ``np.min``), ``np.dot`` / ``@`` giving a number,
  ``np.linalg.norm`` and ``det``, and element stores with constant indices.
  An array passed to a function, returned, indexed by a variable, compared,
  or read through ``.shape`` keeps its array, and so does every array
  computed with it.
* Arrays are values after the rewrite (each element a variable), so the pass
  must not change what a store is seen through: a store is taken only where
  it fills a new array (right after its allocation, as ``np.array([...])``
  is normalized) or into an array that no copy, slice or transpose shares.
"""
from __future__ import annotations

import ast
import itertools
import math

import numpy as np

from .. import ir
from ..names import Namer
from ..rules import registry
from ..runtime.helpers import copy_into, empty_grid, empty_stack
from .astutil import nodes, walk
from .views import is_view

SMALL = 16                       # most elements of an array written as scalars
# most iterations of a loop over such an array written out: as many as the
# elements written as scalars (at 4, a five-species rate vector refilled in
# each step stayed an array, re-made from its scalars for the loop over the
# species and kept on a list of arrays in every trip: 30x the primal; 2.8x
# written out)
UNROLL = SMALL
ELEMENTWISE_OPS = {"Add", "Sub", "Mult", "Div", "Pow"}
ALIASING = {"copy", "subscript", "attr"}        # prims whose result may share memory
ZEROS, ONES, EYE, EMPTY = id(np.zeros), id(np.ones), id(np.eye), id(np.empty)
ZEROS_LIKE, ONES_LIKE, EMPTY_LIKE = id(np.zeros_like), id(np.ones_like), id(np.empty_like)
DOT, OUTER, CROSS, TRACE = id(np.dot), id(np.outer), id(np.cross), id(np.trace)
INV, DET, SOLVE, NORM = (id(np.linalg.inv), id(np.linalg.det), id(np.linalg.solve),
                         id(np.linalg.norm))
FORMULA_SIZE = 3                 # inv, det, solve of at most 3x3 written as formulas
# reductions over all elements: the operation that combines two of them
REDUCTIONS = {id(np.sum): "Add", id(np.prod): "Mult", id(np.mean): "mean",
              id(np.max): max, id(np.amax): max, id(np.min): min, id(np.amin): min}


# -- entry -------------------------------------------------------------------
def scalarize_small_arrays(fn: ast.FunctionDef, env: dict, used_names: set,
                           param_shapes: dict | None = None, rows: dict | None = None) -> bool:
    """Rewrite ``fn`` in place; returns whether anything changed.  ``used_names``
    gets the new names.  ``param_shapes``: parameter -> the shape the
    transform specialized on (``shape_seeds``); ``rows``: parameter -> ``(ndim,
    length)`` of a last axis the compiled code is specialized on (a row
    ``obs[t]`` of such a parameter, never re-bound, is read element by element:
    ``obs[t, 0]``, ``obs[t, 1]``)."""
    unrolled = _unrolled(fn, env, param_shapes or {}, rows or {})
    if unrolled is not None:
        # (decided already on the written-out body, which fn now takes)
        fn.body, facts, seeds, (shapes, escapes) = unrolled
    else:
        facts = _Facts(fn, env, rows)
        seeds = _seeds(facts, param_shapes or {})
        shapes, escapes = decide(facts, seeds)
        if not shapes:
            return False
    names = {v: _element_names(v, shape, used_names) for v, shape in shapes.items()}
    writer = _Writer(shapes, names, facts, used_names)
    writer.escapes = escapes
    fn.body = writer.block(fn.body)
    # a parameter's elements, read once at the start (it is never written)
    line = ir.LINE(fn.body[0]) if fn.body else 0
    fn.body = [_assign(name, ir.mark(ast.Subscript(value=_load(p), slice=_index(idx),
                                                   ctx=ast.Load()), ("subscript",)),
                       ir.Kind.ASSIGN, line)
               for p in sorted(set(seeds) & set(shapes))
               for idx, name in names[p].items()] + fn.body
    _drop_unread(fn, writer.made)
    _propagate_copies(fn, writer.made)
    return True


def _unrolled(fn, env, param_shapes, rows):
    """``fn``'s body with each ``for i in range(C)`` (``C`` at most ``UNROLL``)
    that indexes an array with ``i`` written out, ``i`` a constant in each
    copy (``y[0] += dt * k[0]``, then ``y[1] += ...``), where that lets the
    pass write the array as scalars (an element loop over a two-element
    state), with the facts, seeds and decision made on it: ``(body, facts,
    seeds, (shapes, escapes))``; None where it would not.  Only loops of plain statements (no
    nested loop, ``break``, ``continue``, ``return``) whose index is not bound
    in the body nor read after the loop."""
    trial = ir.clone(fn)
    indexed = set()
    # names read only inside loops that bind them (``i`` of several ``for i in``)
    loads, inside = {}, {}
    for n in nodes(trial):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            loads[n.id] = loads.get(n.id, 0) + 1
        if isinstance(n, ast.For) and isinstance(n.target, ast.Name):
            inside.setdefault(n.target.id, set()).update(
                id(m) for m in nodes(n) if isinstance(m, ast.Name) and
                m.id == n.target.id and isinstance(m.ctx, ast.Load))
    local = {name for name, found in inside.items() if len(found) == loads.get(name, 0)}

    def block(stmts):
        out, changed = [], False
        for s in stmts:
            for f in ("body", "orelse"):
                if getattr(s, f, None):
                    inner, c = block(getattr(s, f))
                    setattr(s, f, inner)
                    changed |= c
            copies = _written_out(s, local, indexed)
            if copies is None:
                out.append(s)
            else:
                out.extend(copies)
                changed = True
        return out, changed

    body, changed = block(trial.body)
    if not changed:
        return None
    trial.body = body
    facts = _Facts(trial, env, rows)
    seeds = _seeds(facts, param_shapes)
    decided = decide(facts, seeds)
    return (body, facts, seeds, decided) if indexed & set(decided[0]) else None


def _written_out(loop, local, indexed):
    """The statements of ``loop`` once per iteration, or None (``_unrolled``)."""
    if not isinstance(loop, ast.For) or loop.orelse or not isinstance(loop.target, ast.Name):
        return None
    it = loop.iter
    count = _int_const(it.args[0]) if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) \
        and it.func.id == "range" and len(it.args) == 1 and not it.keywords else None
    i = loop.target.id
    if count is None or not 0 < count <= UNROLL or i not in local:
        return None
    inner = [n for s in loop.body for n in nodes(s)]
    if any(isinstance(n, (ast.For, ast.While, ast.Break, ast.Continue, ast.Return, ast.If))
           for n in inner) or \
            any(isinstance(n, ast.Name) and n.id == i and not isinstance(n.ctx, ast.Load)
                for n in inner):
        return None
    bases = {n.value.id for n in inner if isinstance(n, ast.Subscript)
             and isinstance(n.value, ast.Name) and any(
                 isinstance(p, ast.Name) and p.id == i
                 for p in (n.slice.elts if isinstance(n.slice, ast.Tuple) else [n.slice]))}
    if not bases:
        return None
    indexed |= bases
    out = []
    for k in range(count):
        for s in loop.body:
            copy = ir.clone(s)
            if isinstance(getattr(copy, "value", None), ast.Name) and copy.value.id == i:
                copy.value = ir.mark(ast.Constant(k), ("const",))
            for n in nodes(copy):
                for f, v in ast.iter_fields(n):
                    if isinstance(v, ast.Name) and v.id == i:
                        setattr(n, f, ast.Constant(k))
                    elif isinstance(v, list):
                        setattr(n, f, [ast.Constant(k) if isinstance(x, ast.Name) and x.id == i
                                       else x for x in v])
            out.append(copy)
    return out


def shape_seeds(tree: ast.FunctionDef) -> tuple:
    """Positions of the parameters whose shape, when they are small, the
    transform specializes on (part of its cache key): a parameter read whole
    (``y = y0.copy()``, ``np.array(y0)``, ``y0 + 0.0``) to bind, outside any
    loop, a local that a loop rebinds or stores into -- an integrator's state;
    or, in a loop, with a state made of a constant small shape (``m =
    np.zeros(2)``, ``P = np.eye(2)``), to compute the names the loop binds
    (``mp, Pp = predict(m, P, F, Q)`` of a Kalman filter's transition matrix
    ``F``: unknown, its shape kept the filter's 2x2 matrices arrays, ten of
    them on lists in every step, 63 ms a gradient over 20,000 steps against
    0.85 ms with it known).  (Not any small argument a loop reads: a test's
    4x3 stand-in for a data matrix stays the array it stands for.)
    With the shape known, that local and what is computed from it qualify;
    without it they stay arrays (a list tape of two-element arrays per
    step: 10-40x slower than ``np.array([y0[0], y0[1]])``, the same math).
    Only parameters the function never rebinds or stores into, and those a loop
    binds again whole (an integrator's state under the argument's name)."""
    params = [a.arg for a in tree.args.args]
    in_loops, written, into = set(), set(), set()
    for n in nodes(tree):
        if isinstance(n, (ast.Assign, ast.AugAssign, ast.For)):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            names = {m.id for t in targets for m in nodes(t) if isinstance(m, ast.Name)}
            written |= names
            if not isinstance(n, ast.Assign):
                into |= names
            into |= {m.id for t in targets for m in nodes(t)
                     if isinstance(m, ast.Name) and not isinstance(m.ctx, ast.Store)}
        if isinstance(n, (ast.For, ast.While)):
            for m in nodes(n):
                if isinstance(m, (ast.Assign, ast.AugAssign)):
                    for t in (m.targets if isinstance(m, ast.Assign) else [m.target]):
                        in_loops |= {x.id for x in nodes(t) if isinstance(x, ast.Name)}
    made_small = _small_states(tree, in_loops)
    seeds = []
    for k, p in enumerate(params):
        if p in written:
            # a state given as the argument and stepped under its name (``q = q + h *
            # p``; passes/rebound_params.py steps it in a copy of its own)
            if p in in_loops and p not in into:
                seeds.append(k)
            continue
        if any(isinstance(st, ast.Assign) and len(st.targets) == 1 and
               _bound_names(st.targets[0]) & in_loops and _read_whole(st.value, p) and
               (st in tree.body or _reads_any_whole(st.value, made_small))
               for st in nodes(tree)) or \
                any(isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name) and
                    st.target.id in in_loops and _read_whole(st.value, p) and
                    _reads_any_whole(st.value, made_small) for st in nodes(tree)):
            seeds.append(k)
    return tuple(seeds)


def _small_states(tree, in_loops) -> set:
    """Locals bound before any loop by a constructor of a constant small shape
    (``np.zeros(2)``, ``np.eye(2)``, ``np.array([1.0, 0.0])``) and re-bound or
    stored into by a loop: a state the pass writes as numbers."""
    out = set()
    for st in nodes(tree):
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and \
                isinstance(st.targets[0], ast.Name) and st.targets[0].id in in_loops and \
                _constant_small(st.value):
            out.add(st.targets[0].id)
    return out


def _constant_small(value) -> bool:
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and
            isinstance(value.func.value, ast.Name) and value.func.value.id == "np"):
        return False
    what, args = value.func.attr, value.args
    if what == "array":
        return len(args) == 1 and isinstance(args[0], (ast.List, ast.Tuple)) and \
            0 < len(args[0].elts) <= SMALL
    if what not in ("zeros", "ones", "empty", "eye", "identity") or not args:
        return False
    dims = args[0].elts if isinstance(args[0], ast.Tuple) else [args[0]]
    if what == "eye" and len(args) > 1:
        dims = [args[0], args[1]]
    if not all(isinstance(d, ast.Constant) and type(d.value) is int for d in dims):
        return False
    size = math.prod(d.value for d in dims) * (dims[0].value if what in ("eye", "identity")
                                               and len(dims) == 1 else 1)
    return 0 < size <= SMALL


def _reads_any_whole(expr, names) -> bool:
    return any(_read_whole(expr, n) for n in names)


def _bound_names(target) -> set:
    """The names ``target`` binds: a name, or the names of a tuple of them."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
        return {e.id for e in target.elts}
    return set()


def _read_whole(expr, name) -> bool:
    """``expr`` reads array ``name`` whole, not only its elements or its size."""
    parents = {id(c): n for n in nodes(expr) for c in ast.iter_child_nodes(n)}
    for n in nodes(expr):
        if not (isinstance(n, ast.Name) and n.id == name):
            continue
        up = parents.get(id(n))
        if isinstance(up, ast.Subscript) and up.value is n or \
                isinstance(up, ast.Attribute) and up.attr in ("shape", "size", "ndim", "dtype") or \
                isinstance(up, ast.Call) and isinstance(up.func, ast.Name) and up.func.id == "len":
            continue
        return True
    return False


def _seeds(facts, param_shapes) -> dict:
    """The parameters of a known small shape the pass may read element by
    element: float64, never rebound nor stored into."""
    stored = {b for s in facts.statements for b in _stores_into(s)}
    return {p: tuple(shape) for p, shape in param_shapes.items()
            if p in facts.params and facts.array(p) and len(shape) == facts.env[p].ndim
            and 0 < math.prod(shape) <= SMALL and p not in facts.binds and p not in stored}


def _index(idx):
    return ast.Tuple(elts=[ast.Constant(i) for i in idx], ctx=ast.Load()) if len(idx) > 1 \
        else ast.Constant(idx[0])


def _propagate_copies(fn, made: set):
    """``t = y`` that the rewrite wrote (a transpose's or a slice's elements,
    ``M_00 = _a2_00`` after ``np.array``) goes, and ``t``'s reads read ``y``,
    when ``t`` is bound once, read only later in the same block, and ``y`` is
    not bound again before its last read: fewer statements for Numba to
    compile (the first call of a filter with 2x2 matrices is mostly that)."""
    binds, loads = {}, {}
    for n in nodes(fn):
        if isinstance(n, ast.Name):
            table = binds if isinstance(n.ctx, ast.Store) else loads
            table[n.id] = table.get(n.id, 0) + 1

    def block(stmts):
        for s in stmts:
            for f in ("body", "orelse"):
                if getattr(s, f, None):
                    setattr(s, f, block(getattr(s, f)))
        out = list(stmts)
        k = 0
        while k < len(out):
            s = out[k]
            t = _target(s)
            v = getattr(s, "value", None)
            if t in made and binds.get(t) == 1 and isinstance(v, ast.Name) and \
                    ir.PRIM(v, ("",)) == ("copy",) and ir.KIND(s) == ir.Kind.ASSIGN:
                uses = [j for j in range(k + 1, len(out)) if t in _loaded(out[j])]
                # (nor by the last read: ``g_0 = t`` would become ``g_0 = g_0``,
                # a statement reading the name it binds)
                if uses and sum(_loaded(out[j]).count(t) for j in uses) == loads.get(t, 0) and \
                        not any(v.id in _stored(out[j]) for j in range(k + 1, uses[-1] + 1)):
                    for j in uses:
                        _rename_loads(out[j], t, v.id)
                    del out[k]
                    continue
            k += 1
        return out
    fn.body = block(fn.body)


def _loaded(node) -> list:
    return [n.id for n in nodes(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]


def _stored(node) -> set:
    return {n.id for n in nodes(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _rename_loads(node, old, new):
    for n in nodes(node):
        if isinstance(n, ast.Name) and n.id == old and isinstance(n.ctx, ast.Load):
            n.id = new


def _drop_unread(fn, made: set):
    """Remove what the rewrite wrote and nothing reads: an element of a result
    no one reads (``np.exp(u)[0]`` needs one exponential), a fill that a store
    overwrites before any read (``np.zeros(2)``, then ``z[0] = a``)."""
    def block(stmts, loads):
        out, removed = [], False
        for k, s in enumerate(stmts):
            for f in ("body", "orelse"):
                if getattr(s, f, None):
                    inner, gone = block(getattr(s, f), loads)
                    setattr(s, f, inner)
                    removed |= gone
        facts = [_name_uses(s) for s in stmts]         # (once: a walk per name was quadratic)
        for k, s in enumerate(stmts):
            target = _target(s)
            last = k == len(stmts) - 1 and not out      # a body must keep a statement
            if target in made and not last and (target not in loads or
                                                _overwritten(target, stmts[k + 1:],
                                                             facts[k + 1:])):
                removed = True
                continue
            out.append(s)
        return out, removed

    while True:
        loads = {n.id for n in nodes(fn) if isinstance(n, ast.Name)
                 and isinstance(n.ctx, ast.Load)}
        fn.body, removed = block(fn.body, loads)
        if not removed:
            return


def _name_uses(s) -> tuple:
    """(the names ``s`` reads, the names it mentions)."""
    names = [n for n in nodes(s) if isinstance(n, ast.Name)]
    return {n.id for n in names if isinstance(n.ctx, ast.Load)}, {n.id for n in names}


def _overwritten(name, rest, uses) -> bool:
    """The statements after one binding ``name`` bind it again before reading it
    (``uses``: :func:`_name_uses` of each)."""
    for s, (reads, mentions) in zip(rest, uses):
        if name in reads:
            return False
        if _target(s) == name:
            return True
        if isinstance(s, (ast.For, ast.While, ast.If)) and name in mentions:
            return False
    return False


class _Facts:
    """What the decision reads about the whole function."""

    def __init__(self, fn, env, rows=None):
        self.env = env
        self.params = {a.arg for a in fn.args.args}
        self.statements = list(walk(fn.body))
        self.blocks = {}                         # id(stmt) -> (block, position)
        self.tuples = {}                         # name -> tuple of ints, bound once
        binds, dims = {}, {}

        self.loops = {}                          # id(stmt) -> ids of the loops around it

        def index(stmts, loops):
            for k, s in enumerate(stmts):
                self.blocks[id(s)] = (stmts, k)
                self.loops[id(s)] = loops
                inner = loops | {id(s)} if isinstance(s, (ast.For, ast.While)) else loops
                for f in ("body", "orelse"):
                    index(getattr(s, f, None) or [], inner)
        index(fn.body, frozenset())
        for s in self.statements:
            for n in _binds(s):
                binds[n] = binds.get(n, 0) + 1
            if ir.PRIM(getattr(s, "value", None), ("",)) == ("tuple",):
                dims[s.targets[0].id] = tuple(_int_const(e) for e in s.value.elts)
                if all(d is not None for d in dims[s.targets[0].id]):
                    self.tuples[s.targets[0].id] = dims[s.targets[0].id]
        self.binds = binds
        # local arrays made by np.zeros / np.empty / np.ones: the lengths of their
        # axes that are constants (None where not), bound once
        self.made_with = {}
        for s in self.statements:
            v = getattr(s, "value", None)
            prim = ir.PRIM(v, ("",))
            if _target(s) is not None and binds.get(_target(s)) == 1 and prim[0] == "call" and \
                    id(prim[1]) in (ZEROS, EMPTY, ONES) and len(v.args) == 1 and not v.keywords:
                a = v.args[0]
                found = (_int_const(a),) if _int_const(a) is not None else \
                    dims.get(a.id) if isinstance(a, ast.Name) and binds.get(a.id) == 1 else None
                if found is not None:
                    self.made_with[_target(s)] = found
        self.loads = {}         # name -> how many times it is read (not written into)
        stored = {id(n.value) for n in nodes(fn)
                  if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store)}
        for n in nodes(fn):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in stored:
                self.loads[n.id] = self.loads.get(n.id, 0) + 1
        self.tuples = {k: v for k, v in self.tuples.items() if binds.get(k) == 1}
        # parameters of a known row length, never re-bound: their rows are read
        self.rows = {p: r for p, r in (rows or {}).items()
                     if p in self.params and not binds.get(p) and 0 < r[1] <= SMALL}

    def array(self, name) -> bool:
        t = self.env.get(name)
        return t is not None and t.is_array and t.dtype == np.float64 and t.ndim in (1, 2)

    def scalar(self, atom) -> bool:
        if isinstance(atom, ast.Constant):
            return isinstance(atom.value, (int, float)) and not isinstance(atom.value, bool)
        t = self.env.get(atom.id) if isinstance(atom, ast.Name) else None
        return t is not None and t.kind in ("int", "float") and not t.is_array


def _binds(s):
    if isinstance(s, ast.For):
        return [n.id for n in nodes(s.target) if isinstance(n, ast.Name)]
    if isinstance(s, ast.Assign):
        return [n.id for t in s.targets for n in nodes(t)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    return []


def _int_const(node):
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int_const(node.operand)
        return None if inner is None else -inner
    return None


# -- decide ------------------------------------------------------------------
def decide(facts, seeds=None) -> tuple[dict, dict]:
    """Name -> shape of every array written as scalars, and id(statement) -> the
    ones made arrays again just before it (its use of them is not one the pass
    writes, and reads them only).  ``seeds``: parameters of a known shape
    (``_seeds``); a read-only use the pass does not write reads the parameter
    itself, unchanged."""
    seeds = dict(seeds or {})
    candidates = {n for s in facts.statements for n in _binds(s)
                  if facts.array(n) and n not in facts.params}
    # a name bound otherwise than by ``name = value`` (a loop, an unpacking) stays
    candidates -= {n for s in facts.statements for n in _binds(s) if _target(s) != n}
    # a parameter's row (``obs[t]``) is read element by element only where no use
    # needs it whole (made again, it would be copied: the view is free)
    rows = {_target(s) for s in facts.statements if isinstance(s, ast.Assign) and
            ir.PRIM(s.value, ("",)) == ("subscript",) and _row_read(s.value, facts)}
    # name -> the rows it is computed from (an array made from a row that is made
    # again is no better: its row stays a row too)
    sources = {r: {r} for r in rows}
    for _ in range(len(facts.statements) + 1):
        grown = False
        for s in facts.statements:
            t = _target(s)
            if t is None or not isinstance(s, ast.Assign):
                continue
            found = set().union(*(sources.get(n.id, set()) for n in nodes(s.value)
                                  if isinstance(n, ast.Name)))
            if not found <= sources.get(t, set()):
                sources[t] = sources.get(t, set()) | found
                grown = True
        if not grown:
            break
    bound_in = {}                 # name -> loops around its bindings and element stores
    for s in facts.statements:
        for n in set(_binds(s)) | _stores_into(s):
            bound_in[n] = bound_in.get(n, frozenset()) | facts.loops[id(s)]
    while True:
        shapes = _shapes(facts, candidates, seeds)
        bad = {n for n in candidates if n not in shapes}
        escapes = {}
        for s in facts.statements:
            rejected = _rejected(s, shapes, facts)
            if rejected and _read_only_use(s, shapes, facts):
                target = _target(s)
                # made again before the outermost loop around s that does not
                # bind it (once, not once per iteration of loops that leave it)
                escapes.setdefault(id(s), set())        # s itself is left as it is
                for x in rejected:
                    bad |= sources.get(x, set())
                for x in rejected - {target} - set(seeds) - rows:
                    outside = facts.loops[id(s)] - bound_in.get(x, frozenset())
                    at = min(outside, key=lambda lp: len(facts.loops[lp])) if outside \
                        else id(s)
                    escapes.setdefault(at, set()).add(x)
                rejected = rejected & {target}
            bad |= rejected
        if not bad & (candidates | set(seeds)):
            return shapes, escapes
        candidates -= bad
        seeds = {p: shape for p, shape in seeds.items() if p not in bad}


def _stores_into(s) -> set:
    """The array an element store ``x[...] = v`` / ``x[...] += v`` changes."""
    if ir.KIND(s) in (ir.Kind.STORE, ir.Kind.AUGSTORE):
        t = s.targets[0] if isinstance(s, ast.Assign) else s.target
        if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
            return {t.value.id}
    return set()


def _read_only_use(s, shapes, facts) -> bool:
    """``s`` only reads the arrays it names (``np.sum(x, ...)`` with keywords the
    pass does not take, ``x - target`` with a parameter, ``return x``): each can
    be an array again just before it, a new array holding the current
    elements.  Not when the value may share memory with one (``y = x``, a
    slice, ``np.ravel``), nor when a function writes into one."""
    if isinstance(s, ast.Return):
        return True
    if not isinstance(s, ast.Assign) or ir.KIND(s) != ir.Kind.ASSIGN or _target(s) is None:
        return False
    v = s.value
    if isinstance(v, ast.BinOp) and ir.AUGMENTED(v):
        return False                      # ``x *= c``: a write into x
    element = ir.PRIM(v, ("",)) == ("subscript",) and facts.scalar(s.targets[0])
    if not element and is_view(v, facts.env) is not None or \
            ir.PRIM(v, ("",))[0] in ("copy", "user"):
        return False
    written = ir.INPLACE(v) if isinstance(v, ast.Call) else None
    return not written


def _shapes(facts, candidates, seeds) -> dict:
    """The one shape each candidate is bound with (absent: unknown or several)."""
    shapes, conflict = dict(seeds), set()
    for _ in range(len(facts.statements) + 2):
        changed = False
        for s in facts.statements:
            target = _target(s)
            if target not in candidates or target in conflict:
                continue
            shape = _result_shape(s.value, shapes, facts) \
                if ir.KIND(s) == ir.Kind.ASSIGN or ir.KIND(s) == ir.Kind.ACCUMULATE else None
            if shape is None:
                continue
            if target in shapes and shapes[target] != shape:
                conflict.add(target)
                del shapes[target]
                changed = True
            elif target not in shapes and 0 < int(np.prod(shape)) <= SMALL:
                shapes[target] = shape
                changed = True
        if not changed:
            break
    # every binding must give the shape (one whose operands are unknown does not)
    for s in facts.statements:
        target = _target(s)
        if target in shapes and \
                _result_shape(s.value, shapes, facts) != shapes[target]:
            del shapes[target]
    return shapes


def _target(s):
    if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
        return s.targets[0].id
    return None


def _operand_shape(a, shapes, facts):
    """() for a number, the shape of a candidate array, None otherwise."""
    if facts.scalar(a):
        return ()
    if isinstance(a, ast.Name) and a.id in shapes:
        return shapes[a.id]
    return None


def _result_shape(v, shapes, facts):
    """The shape of an array-valued statement's value, when the pass can write it."""
    prim = ir.PRIM(v, ("",))
    along = _axis_reduction(v, prim, shapes)
    if along is not None:
        return along[1]
    if prim[0] == "call" and not v.keywords:
        f = id(prim[1])
        size = _size_arg(v.args[0], facts) if len(v.args) == 1 else None
        if f in (ZEROS, ONES, EMPTY) and size is not None:
            return size
        if f == EYE and size is not None and len(size) == 1:
            return size * 2
        if f in (ZEROS_LIKE, ONES_LIKE, EMPTY_LIKE) and len(v.args) == 1:
            return _operand_shape(v.args[0], shapes, facts) or None
        if prim[1].__name__ in ("empty_grid", "empty_stack") and \
                all(_int_const(a) is not None for a in v.args[:-1]):
            return tuple(_int_const(a) for a in v.args[:-1])
        if f == CROSS and len(v.args) == 2:
            a, b = (_operand_shape(x, shapes, facts) for x in v.args)
            return a if a == b == (3,) else None
        if f == INV and len(v.args) == 1:
            a = _operand_shape(v.args[0], shapes, facts)
            return a if _square(a) else None
        if f == SOLVE and len(v.args) == 2:
            a, b = (_operand_shape(x, shapes, facts) for x in v.args)
            # a vector right-hand side, or a matrix of them (a column each)
            return b if _square(a) and b and 1 <= len(b) <= 2 and b[0] == a[0] else None
        if f == OUTER and len(v.args) == 2:
            a, b = (_operand_shape(x, shapes, facts) for x in v.args)
            return (a[0], b[0]) if a and b and len(a) == len(b) == 1 else None
        if f == DOT and len(v.args) == 2:
            return _matmul_shape(*(_operand_shape(x, shapes, facts) for x in v.args))
        if isinstance(prim[1], np.ufunc) and registry.is_elementwise(prim[1]):
            return _broadcast([_operand_shape(a, shapes, facts) for a in v.args])
        return None
    if prim[0] == "binop" and prim[1] in ELEMENTWISE_OPS:
        return _broadcast([_operand_shape(v.left, shapes, facts),
                           _operand_shape(v.right, shapes, facts)])
    if prim == ("binop", "MatMult"):
        return _matmul_shape(_operand_shape(v.left, shapes, facts),
                             _operand_shape(v.right, shapes, facts))
    if prim[0] == "unary" and prim[1] in ("USub", "UAdd"):
        shape = _operand_shape(v.operand, shapes, facts)
        return shape or None
    if prim == ("copy",):
        return _operand_shape(v, shapes, facts) or None
    if prim == ("method", "copy") and not v.args:
        return _operand_shape(v.func.value, shapes, facts) or None
    if prim == ("attr", "T"):
        shape = _operand_shape(v.value, shapes, facts)
        return tuple(reversed(shape)) if shape else None
    if prim == ("subscript",):
        picked = _picked(v, shapes)
        if picked is None and _row_read(v, facts):
            return (facts.rows[v.value.id][1],)
        return picked[0] if picked and picked[0] else None
    return None


def _row_read(v, facts) -> bool:
    """``P[i]`` (``P[t, i]``, ``P[idx[k]]``): a whole row of a parameter whose
    rows' length is known, at whole-number indices."""
    if not isinstance(v.value, ast.Name) or v.value.id not in facts.rows:
        return False
    parts = list(v.slice.elts) if isinstance(v.slice, ast.Tuple) else [v.slice]
    return len(parts) == facts.rows[v.value.id][0] - 1 and all(
        _whole_number(p, facts) for p in parts)


def _whole_number(p, facts) -> bool:
    """An int constant, an int name, an element of an int array at such indices
    (``cams[cam_idx[o]]``: the row of an observation's camera) or arithmetic of
    them: each element read repeats it."""
    if _int_const(p) is not None:
        return True
    if isinstance(p, ast.Name):
        return facts.scalar(p) and facts.env[p.id].kind == "int"
    if isinstance(p, ast.BinOp) and isinstance(p.op, (ast.Add, ast.Sub, ast.Mult, ast.Mod,
                                                      ast.FloorDiv)):
        return _whole_number(p.left, facts) and _whole_number(p.right, facts)
    if isinstance(p, ast.Subscript) and isinstance(p.value, ast.Name):
        t = facts.env.get(p.value.id)
        parts = list(p.slice.elts) if isinstance(p.slice, ast.Tuple) else [p.slice]
        return t is not None and t.is_array and t.dtype.kind in "iu" and \
            len(parts) == t.ndim and all(_whole_number(q, facts) for q in parts)
    return False


def _size_arg(a, facts):
    if _int_const(a) is not None:
        return (_int_const(a),)
    if isinstance(a, ast.Name) and a.id in facts.tuples:
        return facts.tuples[a.id]
    return None


def _broadcast(shapes):
    if any(s is None for s in shapes):
        return None
    ndim = max(len(s) for s in shapes)
    if ndim == 0:
        return None
    out = []
    for k in range(ndim):
        sizes = {s[k - ndim + len(s)] for s in shapes if k - ndim + len(s) >= 0} - {1}
        if len(sizes) > 1:
            return None
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _matmul_shape(a, b):
    if not a or not b or a[-1] != b[0]:
        return None
    return tuple(a[:-1]) + tuple(b[1:]) or None


def _picked(v, shapes):
    """(result shape, element index function) of ``A[consts and full slices]``."""
    if not isinstance(v.value, ast.Name) or v.value.id not in shapes:
        return None
    shape = shapes[v.value.id]
    parts = list(v.slice.elts) if isinstance(v.slice, ast.Tuple) else [v.slice]
    if len(parts) > len(shape):
        return None
    picks = []                          # per axis: an index, or the indices a slice takes
    for p, n in zip(parts, shape):
        if isinstance(p, ast.Slice):
            bounds = [None if b is None else _int_const(b) for b in (p.lower, p.upper, p.step)]
            if any(b is None and given is not None
                   for b, given in zip(bounds, (p.lower, p.upper, p.step))) or bounds[2] == 0:
                return None
            picks.append(list(range(*slice(*bounds).indices(n))))
        elif _int_const(p) is not None and -n <= _int_const(p) < n:
            picks.append(_int_const(p) % n)
        else:
            return None
    picks += [list(range(n)) for n in shape[len(parts):]]
    result = tuple(len(p) for p in picks if isinstance(p, list))
    if 0 in result:
        return None

    def element(idx):
        it = iter(idx)
        return tuple(p[next(it)] if isinstance(p, list) else p for p in picks)
    return result, element


def _rejected(s, shapes, facts) -> set:
    """Candidates that must stay arrays because of how ``s`` uses them."""
    if _row_store(s, shapes, facts) is not None:
        return set()
    reads = {n.id for n in nodes(s) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Load) and n.id in shapes}
    if isinstance(s, (ast.For, ast.While, ast.If)):
        own = {n.id for part in (getattr(s, "iter", None), getattr(s, "test", None))
               if part is not None for n in nodes(part) if isinstance(n, ast.Name)}
        return own & set(shapes)
    if not reads and not (isinstance(s, ast.Assign) and _target(s) in shapes):
        return set()
    kind = ir.KIND(s)
    if kind in (ir.Kind.STORE, ir.Kind.AUGSTORE):
        t = s.targets[0] if isinstance(s, ast.Assign) else s.target
        base = t.value.id if isinstance(t.value, ast.Name) else None
        value = s.value
        ok = base in shapes and _stored_element(t, shapes) is not None and \
            (facts.scalar(value)) and (_filling(s, base, facts) or _unshared(base, shapes, facts))
        return reads | ({base} & set(shapes)) if not ok else set()
    target = _target(s)
    # ``x *= y`` (normalized ``_t = x * y; x = _t``) writes into x in place
    v = getattr(s, "value", None)
    if isinstance(v, ast.BinOp) and ir.AUGMENTED(v) and isinstance(v.left, ast.Name) and \
            v.left.id in shapes and not _unshared(v.left.id, shapes, facts):
        return reads | {v.left.id}
    if target in shapes:
        # ``x += y`` writes in place, seen through every name sharing ``x``
        in_place = kind == ir.Kind.ACCUMULATE and (ir.AUGMENTED(s) or ir.AUGMENTED(s.value)) and \
            not _unshared(target, shapes, facts)
        if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE) and not in_place and \
                _result_shape(s.value, shapes, facts) == shapes[target]:
            return set()
        return reads | {target}
    if target is not None and kind == ir.Kind.ASSIGN and facts.scalar(ast.Name(id=target)) \
            and _scalar_form(s.value, shapes, facts):
        return set()
    return reads


def _row_store(s, shapes, facts):
    """``(base, index, source)`` when ``s`` stores a small array whole into a
    row of a local array (``Ph[t] = P``, ``Ph[t, :, :] = P``, or ``copy_into(Ph[t], P)``)
    that was made with that row's shape (``np.zeros((T, 2, 2))``) and is bound
    once, at integer indices: the pass writes it as one store per element
    (``Ph[t, 0, 1] = P_01``); else None."""
    v = getattr(s, "value", None)
    if isinstance(s, ast.Assign) and ir.KIND(s) == ir.Kind.STORE:
        dest, src = s.targets[0], v
    elif isinstance(s, ast.Expr) and ir.PRIM(v, ("", None))[:2] == ("call", copy_into) and \
            len(v.args) == 2 and not v.keywords:
        dest, src = v.args
    else:
        return None
    if not (isinstance(src, ast.Name) and src.id in shapes and isinstance(dest, ast.Subscript)
            and isinstance(dest.value, ast.Name)):
        return None
    base = dest.value.id
    index = list(dest.slice.elts) if isinstance(dest.slice, ast.Tuple) else [dest.slice]
    while index and isinstance(index[-1], ast.Slice) and \
            index[-1].lower is None and index[-1].upper is None and index[-1].step is None:
        index.pop()                 # ``Ph[t, :, :] = P`` is ``Ph[t] = P``
    made, shape = facts.made_with.get(base), shapes[src.id]
    if base in shapes or base in facts.params or made is None or \
            len(made) != len(index) + len(shape) or tuple(made[len(index):]) != tuple(shape):
        return None
    if not all(_int_const(i) is not None or isinstance(i, ast.Name) and
               facts.env.get(i.id) is not None and facts.env[i.id].kind == "int" and
               not facts.env[i.id].is_array for i in index):
        return None
    return base, index, src.id


def _scalar_form(v, shapes, facts) -> bool:
    """``s = A[i, j]``, ``np.sum(A)``, ``a @ b`` / ``np.dot(a, b)`` of vectors."""
    prim = ir.PRIM(v, ("",))
    if prim == ("subscript",):
        picked = _picked(v, shapes)
        return picked is not None and picked[0] == ()
    if _whole_reduction(v, prim) is not None:
        return _operand_shape(v.args[0], shapes, facts) not in (None, ())
    if prim[0] == "call" and not v.keywords and len(v.args) == 1 and \
            id(prim[1]) in (DET, NORM, TRACE):
        shape = _operand_shape(v.args[0], shapes, facts)
        if id(prim[1]) == TRACE:     # (the sum of the diagonal, of a square matrix)
            return shape is not None and len(shape) == 2 and shape[0] == shape[1]
        return _square(shape) if id(prim[1]) == DET else shape not in (None, ())
    pair = [v.left, v.right] if prim == ("binop", "MatMult") else \
        list(v.args) if prim[0] == "call" and id(prim[1]) == DOT and not v.keywords else None
    if pair is None or len(pair) != 2:
        return False
    a, b = (_operand_shape(x, shapes, facts) for x in pair)
    return a is not None and b is not None and len(a) == len(b) == 1 and a == b


def _square(shape) -> bool:
    return shape is not None and len(shape) == 2 and shape[0] == shape[1] <= FORMULA_SIZE


def _axis_reduction(v, prim, shapes):
    """``(axis, result shape)`` of ``np.sum(A, axis=k)`` (``np.mean``, ``np.max``,
    ...) of a matrix ``A``, or None."""
    if prim[0] != "call" or id(prim[1]) not in REDUCTIONS or len(v.args) != 1 or \
            [k.arg for k in v.keywords] != ["axis"] or \
            not isinstance(v.args[0], ast.Name) or v.args[0].id not in shapes:
        return None
    shape, axis = shapes[v.args[0].id], _int_const(v.keywords[0].value)
    if len(shape) != 2 or axis is None or not -2 <= axis < 2:
        return None
    axis %= 2
    return axis, (shape[1 - axis],)


def _whole_reduction(v, prim):
    """The binary operation that reduces ``np.sum(A)``, ``np.max(A, axis=None)``,
    ... over all elements (``"mean"`` for a mean), or None."""
    if prim[0] != "call" or len(v.args) != 1 or \
            any(k.arg != "axis" or not (isinstance(k.value, ast.Constant) and
                                        k.value.value is None) for k in v.keywords):
        return None
    return REDUCTIONS.get(id(prim[1]))


def _stored_element(t, shapes):
    parts = list(t.slice.elts) if isinstance(t.slice, ast.Tuple) else [t.slice]
    shape = shapes[t.value.id]
    if len(parts) != len(shape):
        return None
    idx = [_int_const(p) for p in parts]
    if any(i is None or not -n <= i < n for i, n in zip(idx, shape)):
        return None
    return tuple(i % n for i, n in zip(idx, shape))


def _filling(s, base, facts) -> bool:
    """``s`` is one of the stores that fill ``base`` after its allocation (with
    only the computation of stored values, which does not read ``base``, between)."""
    block, k = facts.blocks[id(s)]
    for prev in reversed(block[:k]):
        if ir.KIND(prev) == ir.Kind.STORE and isinstance(prev.targets[0].value, ast.Name) \
                and prev.targets[0].value.id == base:
            continue
        if _target(prev) == base:
            return ir.PRIM(prev.value, ("",))[0] == "call"
        if not isinstance(prev, ast.Assign) or _target(prev) is None or \
                base in {n.id for n in nodes(prev) if isinstance(n, ast.Name)}:
            return False
    return False


def _unshared(base, shapes, facts) -> bool:
    """No statement makes another name share ``base``'s memory, nor ``base`` another's.
    (A move ``P = _a25`` of a name bound once and read nowhere else, as
    ``P = np.array([[...]])`` is normalized, shares nothing that is read again.)"""
    pairs = facts.__dict__.get("alias_pairs")
    if pairs is None:       # (the same for every call: asked once per element store)
        pairs = facts.alias_pairs = [
            (_target(s), {n.id for n in nodes(s.value) if isinstance(n, ast.Name)})
            for s in facts.statements if _target(s) is not None and
            ir.PRIM(getattr(s, "value", None), ("",))[0] in ALIASING and not _move(s, facts)]
    for target, sources in pairs:
        if target == base and any(n in shapes for n in sources) or \
                base in sources and target in shapes:
            return False
    return True


def _move(s, facts) -> bool:
    """``P = _a25``, where ``_a25`` is bound once, in the same block before it,
    filled only between the two, and read nowhere else: no later statement
    sees the array through ``_a25``."""
    src = s.value.id if isinstance(s.value, ast.Name) else None
    if src is None or facts.binds.get(src) != 1 or facts.loads.get(src) != 1:
        return False
    block, k = facts.blocks[id(s)]
    made = next((j for j, st in enumerate(block[:k]) if src in _binds(st)), None)
    if made is None:
        return False
    inside = {id(st) for st in block[made:k]}
    return all(id(st) in inside for st in facts.statements if src in _stores_into(st))


# -- emit --------------------------------------------------------------------
def _element_names(v, shape, used_names) -> dict:
    """Index -> variable: ``P_01`` for ``P[0, 1]``, ``x_2`` for ``x[2]``."""
    namer = Namer(used_names)
    sep = "" if max(shape) <= 10 else "_"
    return {idx: namer.prefixed(f"{v}_{sep.join(map(str, idx))}")
            for idx in itertools.product(*(range(n) for n in shape))}


def _index_name(p) -> str:
    """``a_i`` for ``a[i]``, ``idx_k_1`` for ``idx[k, 1]``: the name an index
    read from an array is bound to."""
    parts = list(p.slice.elts) if isinstance(p.slice, ast.Tuple) else [p.slice]
    words = [p.value.id if isinstance(p.value, ast.Name) else "k"]
    words += [q.id if isinstance(q, ast.Name) else str(q.value)
              if isinstance(q, ast.Constant) and type(q.value) is int else "k" for q in parts]
    return "_".join(words)


class _Writer:
    """Statements over the chosen arrays, one scalar statement per operation."""

    def __init__(self, shapes, names, facts, used_names):
        self.shapes, self.names, self.facts = shapes, names, facts
        self.namer = Namer(used_names)
        self.made = {n for table in names.values() for n in table.values()}
        self.dets: dict = {}            # (matrix, statement) -> its determinant's name
        self.pending: list = []         # statements the next formula emits first
        self.escapes: dict = {}         # id(statement) -> arrays made again before it
        self.live: set = set()          # arrays made again, their elements unchanged since
        self.owner = {n: v for v, table in names.items() for n in table.values()}
        self.dropped = {n for n in facts.tuples
                        if all(_reads_only_as_size(r, n, shapes) for r in _readers(n, facts))}

    def block(self, stmts) -> list:
        out = []
        outer, self.live = self.live, set()
        for s in stmts:
            for f in ("body", "orelse"):
                if getattr(s, f, None):
                    setattr(s, f, self.block(getattr(s, f)))
            if isinstance(s, (ast.For, ast.While, ast.If)):
                self.live = set()
            if _target(s) in self.dropped:
                continue
            new = self.statement(s)
            # an array made again stays current until one of its elements changes
            self.live -= {self.owner.get(_target(n)) for n in new}
            out.extend(new)
        self.live = outer
        return out

    def statement(self, s) -> list:
        line = ir.LINE(s)
        self.line = line
        self.current = s
        again = sorted(self.escapes.get(id(s), set()) & set(self.shapes) - self.live)
        if again or id(s) in self.escapes:
            self.live |= set(again)
            return [x for name in again for x in self.as_array(name)] + [s]
        kind = ir.KIND(s)
        row = _row_store(s, self.shapes, self.facts)
        if row is not None:
            base, index, src = row
            out = []
            for idx, element in self.names[src].items():
                at = ast.Tuple(elts=[ir.clone(i) for i in index] +
                               [ast.Constant(i) for i in idx], ctx=ast.Load())
                store = ast.Assign(targets=[ast.Subscript(value=_load(base), slice=at,
                                                          ctx=ast.Store())],
                                   value=_load(element))
                out.append(ir.tag(store, line, ir.Kind.STORE))
            return out
        if kind in (ir.Kind.STORE, ir.Kind.AUGSTORE):
            t = s.targets[0] if isinstance(s, ast.Assign) else s.target
            if not isinstance(t.value, ast.Name) or t.value.id not in self.shapes:
                return [s]
            name = self.names[t.value.id][_stored_element(t, self.shapes)]
            if kind == ir.Kind.STORE:
                return [self.copy(name, s.value)]
            return [self.binop(name, _load(name), "Add", s.value, accumulate=True)]
        target = _target(s)
        if target is None:
            return [s]
        if target in self.shapes:
            return self.array_statement(target, s.value)
        if any(isinstance(n, ast.Name) and n.id in self.shapes for n in nodes(s.value)):
            return self.scalar_statement(target, s.value)
        return [s]

    # -- values of one element ------------------------------------------------
    def element(self, atom, idx, shape):
        """The atom giving element ``idx`` of ``atom`` broadcast to ``shape``."""
        if isinstance(atom, ast.Constant):
            return ast.Constant(atom.value)
        if atom.id not in self.shapes:
            return _load(atom.id)
        own = self.shapes[atom.id]
        at = tuple(0 if n == 1 else i for i, n in zip(idx[len(shape) - len(own):], own))
        return _load(self.names[atom.id][at])

    def array_statement(self, target, v) -> list:
        shape = self.shapes[target]
        prim = ir.PRIM(v, ("",))
        cells = list(itertools.product(*(range(n) for n in shape)))
        out = []
        if prim[0] == "call" and prim[1].__name__ in ("empty_grid", "empty_stack"):
            # the stores after it give every element; zeros until then, for a
            # read of the whole array before them (``np.zeros_like(P)``, its shape)
            return [self.copy(self.names[target][i], ast.Constant(0.0)) for i in cells]
        # (``np.empty``'s elements, never read before the stores that fill them
        # unless the program reads garbage: zeros too)
        if prim[0] == "call" and id(prim[1]) in (ZEROS, ONES, EYE, EMPTY, ZEROS_LIKE, ONES_LIKE,
                                                 EMPTY_LIKE):
            fill = 1.0 if id(prim[1]) in (ONES, ONES_LIKE) else 0.0
            return [self.copy(self.names[target][i], ast.Constant(
                1.0 if id(prim[1]) == EYE and i[0] == i[1] else fill)) for i in cells]
        if prim == ("subscript",) and v.value.id not in self.shapes:
            # a row of a parameter at an index read from an array (``C[a[i]]``):
            # the index read once, not once per element (LLVM reads it again
            # after each store into a float array, which it cannot tell apart)
            out, v = self.bind_read_indices(v)
        reads = {n.id for n in nodes(v) if isinstance(n, ast.Name)}
        elementwise = prim[0] in ("binop", "unary") and prim[1] != "MatMult" or \
            prim[0] == "call" and isinstance(prim[1], np.ufunc)
        # where an element reads other elements of the target, the new values
        # go to fresh names first
        direct = target not in reads or elementwise
        dest = {i: self.names[target][i] if direct else self.fresh(self.names[target][i])
                for i in cells}
        for i in cells:
            out.extend(self.one_element(dest[i], v, prim, i, shape, target))
        if not direct:
            out.extend(self.copy(self.names[target][i], _load(dest[i])) for i in cells)
        return out

    def bind_read_indices(self, v) -> tuple:
        """``(statements, row read)``: the index parts of row read ``v`` that
        read an array, each bound to a name of its own first."""
        parts = list(v.slice.elts) if isinstance(v.slice, ast.Tuple) else [v.slice]
        out, kept = [], []
        for p in parts:
            if isinstance(p, ast.Subscript):
                k = self.namer.prefixed(_index_name(p))     # a_i = a[i]
                self.made.add(k)
                out.append(_assign(k, ir.mark(ir.clone(p), ("subscript",)), ir.Kind.ASSIGN,
                                   self.line))
                p = _load(k)
            kept.append(p)
        if not out:
            return [], v
        index = ast.Tuple(elts=kept, ctx=ast.Load()) if len(kept) > 1 else kept[0]
        return out, ir.mark(ast.Subscript(value=_load(v.value.id), slice=index, ctx=ast.Load()),
                            ("subscript",))

    def one_element(self, dest, v, prim, i, shape, target):
        if prim[0] == "binop" and prim[1] != "MatMult":
            a, b = self.element(v.left, i, shape), self.element(v.right, i, shape)
            acc = prim[1] in ("Add", "Sub") and isinstance(v.left, ast.Name) and \
                v.left.id == target and not (isinstance(v.right, ast.Name) and
                                             v.right.id == target)
            return [self.binop(dest, a, prim[1], b, accumulate=acc)]
        if prim[0] == "unary":
            node = ast.UnaryOp(op=getattr(ast, prim[1])(),
                               operand=self.element(v.operand, i, shape))
            return [_assign(dest, ir.mark(node, prim), ir.Kind.ASSIGN, self.line)]
        if prim[0] == "call" and isinstance(prim[1], np.ufunc):
            node = ast.Call(func=ir.clone(v.func), args=[self.element(a, i, shape) for a in v.args],
                            keywords=[])
            return [_assign(dest, ir.mark(node, prim), ir.Kind.ASSIGN, self.line)]
        if prim == ("copy",):
            return [self.copy(dest, self.element(v, i, shape))]
        if prim == ("method", "copy"):
            return [self.copy(dest, self.element(v.func.value, i, shape))]
        if prim == ("attr", "T"):
            return [self.copy(dest, _load(self.names[v.value.id][tuple(reversed(i))]))]
        if prim == ("subscript",) and (v.value.id not in self.shapes or _picked(
                v, self.shapes) is None and v.value.id in self.facts.params):
            # a row of a parameter: its element read where the row was (also of
            # one whose shape seeds the pass, at an index a loop computes)
            parts = list(v.slice.elts) if isinstance(v.slice, ast.Tuple) else [v.slice]
            read = ast.Subscript(value=_load(v.value.id), slice=ast.Tuple(
                elts=[ir.clone(p) for p in parts] + [ast.Constant(i[0])], ctx=ast.Load()),
                ctx=ast.Load())
            return [_assign(dest, ir.mark(read, ("subscript",)), ir.Kind.ASSIGN, self.line)]
        if prim == ("subscript",):
            _, element = _picked(v, self.shapes)
            return [self.copy(dest, _load(self.names[v.value.id][element(i)]))]
        if prim[0] == "call" and id(prim[1]) == CROSS:
            a, b = (self.names[x.id] for x in v.args)
            j, k = (i[0] + 1) % 3, (i[0] + 2) % 3
            return self.formula(dest, ("Sub", ("Mult", a[(j,)], b[(k,)]),
                                       ("Mult", a[(k,)], b[(j,)])))
        if prim[0] == "call" and id(prim[1]) == INV:
            m = self.names[v.args[0].id]
            n = self.shapes[v.args[0].id][0]
            # the adjugate over the determinant: element (r, c) is cofactor (c, r) / det
            return self.formula(dest, ("Div", _cofactor(m, n, i[1], i[0]), self.det_of(v.args[0])))
        if prim[0] == "call" and id(prim[1]) == SOLVE:
            m, b = self.names[v.args[0].id], self.names[v.args[1].id]
            n = self.shapes[v.args[0].id][0]
            # Cramer's rule: column i of the matrix replaced by the right-hand side
            # (by its column i[1], for a matrix of right-hand sides)
            swapped = {(r, c): b[(r, *i[1:])] if c == i[0] else m[(r, c)]
                       for r in range(n) for c in range(n)}
            return self.formula(dest, ("Div", _determinant(swapped, n),
                                       self.det_of(v.args[0])))
        along = _axis_reduction(v, prim, self.shapes)
        if along is not None:
            m = self.names[v.args[0].id]
            axis = along[0]
            n = self.shapes[v.args[0].id][axis]
            cells = [m[(k, i[0]) if axis == 0 else (i[0], k)] for k in range(n)]
            return self.reduce(dest, cells, REDUCTIONS[id(prim[1])])
        if prim[0] == "call" and id(prim[1]) == OUTER:
            a, b = v.args
            return [self.binop(dest, self.element(a, i[:1], (self.shapes[a.id][0],)),
                               "Mult", self.element(b, i[1:], (self.shapes[b.id][0],)))]
        left, right = (v.left, v.right) if prim == ("binop", "MatMult") else v.args
        return self.dot(dest, self.row(left, i, True), self.row(right, i, False))

    def row(self, atom, i, left):
        """The elements of ``atom`` that element ``i`` of a product sums over."""
        shape = self.shapes[atom.id]
        names = self.names[atom.id]
        if len(shape) == 1:
            return [_load(names[(k,)]) for k in range(shape[0])]
        if left:
            return [_load(names[(i[0], k)]) for k in range(shape[1])]
        return [_load(names[(k, i[-1])]) for k in range(shape[0])]

    def dot(self, dest, xs, ys) -> list:
        out, terms = [], []
        for x, y in zip(xs, ys):
            p = dest if len(xs) == 1 else self.fresh("_p")
            out.append(self.binop(p, x, "Mult", y))
            terms.append(p)
        total = terms[0]
        for k, p in enumerate(terms[1:], 1):
            into = dest if k == len(terms) - 1 else self.fresh("_s")
            out.append(self.binop(into, _load(total), "Add", _load(p)))
            total = into
        return out

    def scalar_statement(self, target, v) -> list:
        prim = ir.PRIM(v, ("",))
        if prim == ("subscript",):
            _, element = _picked(v, self.shapes)
            return [self.copy(target, _load(self.names[v.value.id][element(())]))]
        how = _whole_reduction(v, prim)
        if how is not None:
            return self.reduce(target, list(self.names[v.args[0].id].values()), how)
        if prim[0] == "call" and id(prim[1]) == DET:
            m = v.args[0]
            return self.formula(target, _determinant(self.names[m.id], self.shapes[m.id][0]))
        if prim[0] == "call" and id(prim[1]) == TRACE:
            m = self.names[v.args[0].id]
            return self.reduce(target, [m[(i, i)] for i in range(self.shapes[v.args[0].id][0])],
                               "Add")
        if prim[0] == "call" and id(prim[1]) == NORM:
            squares = [("Mult", n, n) for n in self.names[v.args[0].id].values()]
            total = squares[0]
            for sq in squares[1:]:
                total = ("Add", total, sq)
            return self.formula(target, ("sqrt", total))
        left, right = (v.left, v.right) if prim == ("binop", "MatMult") else v.args
        return self.dot(target, self.row(left, (), True), self.row(right, (), False))

    def as_array(self, name) -> list:
        """``name`` bound to a new array of its current elements, written as the
        normalizer writes ``np.array([...])``: an allocation, then a store each."""
        shape, cells = self.shapes[name], self.names[name]
        first = _load(next(iter(cells.values())))
        make = empty_grid if len(shape) == 2 else empty_stack
        alloc = ir.mark(ast.Call(func=_load(make.__name__),
                                 args=[ast.Constant(n) for n in shape] + [first], keywords=[]),
                        ("call", make))
        out = [_assign(name, alloc, ir.Kind.ASSIGN, self.line)]
        for idx, element in cells.items():
            index = ast.Tuple(elts=[ast.Constant(i) for i in idx], ctx=ast.Load()) \
                if len(idx) > 1 else ast.Constant(idx[0])
            store = ast.Assign(targets=[ast.Subscript(value=_load(name), slice=index,
                                                      ctx=ast.Store())],
                               value=_load(element))
            out.append(ir.tag(store, self.line, ir.Kind.STORE))
        return out

    def reduce(self, dest, names, how) -> list:
        """``dest`` = the elements ``names`` combined by ``how`` (an operator
        name, ``max``/``min``, or ``"mean"``), left to right."""
        mean = how == "mean"
        how = "Add" if mean else how
        out, total = [], names[0]
        if len(names) == 1:
            return [self.copy(dest, _load(total))]
        for k, n in enumerate(names[1:], 1):
            into = dest if k == len(names) - 1 and not mean else self.fresh("_s")
            out.append(self.combine(into, total, how, n))
            total = into
        if mean:
            out.append(self.binop(dest, _load(total), "Div", ast.Constant(float(len(names)))))
        return out

    def det_of(self, matrix) -> str:
        """The name holding the determinant of ``matrix`` in this statement (once)."""
        key = (matrix.id, id(self.current))
        if key not in self.dets:
            name = self.fresh("det")
            self.pending.extend(self.formula(name, _determinant(
                self.names[matrix.id], self.shapes[matrix.id][0])))
            self.dets[key] = name
        return self.dets[key]

    def formula(self, dest, tree) -> list:
        """Statements giving ``dest`` the value of ``tree``: a name, a number, or
        ``(op, operand, ...)`` with op an operator name, ``"USub"`` or ``"sqrt"``."""
        out = list(self.pending)
        self.pending.clear()

        def value(t, into=None):
            if isinstance(t, str):
                return t
            if isinstance(t, float):
                return ast.Constant(t)
            name = into or self.fresh("_f")
            if t[0] == "USub":
                node = ir.mark(ast.UnaryOp(op=ast.USub(), operand=_atom(value(t[1]))),
                               ("unary", "USub"))
                out.append(_assign(name, node, ir.Kind.ASSIGN, self.line))
            elif t[0] == "sqrt":
                func = ast.Attribute(value=_load("math"), attr="sqrt", ctx=ast.Load())
                node = ir.mark(ast.Call(func=func, args=[_atom(value(t[1]))], keywords=[]),
                               ("call", math.sqrt))
                out.append(_assign(name, node, ir.Kind.ASSIGN, self.line))
            else:
                left, right = value(t[1]), value(t[2])
                out.append(self.binop(name, left, t[0], right))
            return name
        result = value(tree, dest)
        if result != dest:
            out.append(self.copy(dest, _atom(result)))
        return out

    # -- statements -----------------------------------------------------------
    def fresh(self, hint):
        name = self.namer.numbered(f"_{hint.lstrip('_')}")
        self.made.add(name)
        return name

    def copy(self, dest, atom):
        if isinstance(atom, ast.Constant):
            value = ir.mark(ast.Constant(atom.value), ("const",))
        else:
            value = ir.mark(_load(atom.id), ("copy",))
        return _assign(dest, value, ir.Kind.ASSIGN, self.line)

    def combine(self, dest, a, how, b):
        """``dest = a + b`` (``how`` an operator name) or ``dest = max(a, b)``."""
        if isinstance(how, str):
            return self.binop(dest, _load(a), how, _load(b))
        node = ir.mark(ast.Call(func=_load(how.__name__), args=[_load(a), _load(b)],
                                keywords=[]), ("call", how))
        return _assign(dest, node, ir.Kind.ASSIGN, self.line)

    def binop(self, dest, a, op, b, accumulate=False):
        node = ir.mark(ast.BinOp(left=_atom(a), op=getattr(ast, op)(), right=_atom(b)),
                       ("binop", op))
        return _assign(dest, node, ir.Kind.ACCUMULATE if accumulate else ir.Kind.ASSIGN,
                       self.line)


def _determinant(m: dict, n: int, rows=None, cols=None):
    """A formula for the determinant of ``m`` (index -> name) restricted to
    ``rows`` x ``cols`` (all of an n x n matrix by default), by expansion
    along the first row."""
    rows = list(range(n)) if rows is None else rows
    cols = list(range(n)) if cols is None else cols
    if len(rows) == 1:
        return m[(rows[0], cols[0])]
    total = None
    for k, c in enumerate(cols):
        term = ("Mult", m[(rows[0], c)],
                _determinant(m, n, rows[1:], cols[:k] + cols[k + 1:]))
        total = term if total is None else ("Sub" if k % 2 else "Add", total, term)
    return total


def _cofactor(m: dict, n: int, r: int, c: int):
    """A formula for cofactor (r, c) of the n x n matrix ``m``."""
    if n == 1:
        return 1.0
    minor = _determinant(m, n, [k for k in range(n) if k != r], [k for k in range(n) if k != c])
    return ("USub", minor) if (r + c) % 2 else minor


def _readers(name, facts):
    return [s for s in facts.statements if any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
        for n in nodes(s))]


def _reads_only_as_size(s, name, shapes) -> bool:
    """``s`` reads the size tuple ``name`` only as ``np.zeros(name)`` / ``np.ones``
    of an array written as scalars."""
    v = getattr(s, "value", None)
    if _target(s) not in shapes:
        return False
    prim = ir.PRIM(v, ("",))
    return prim[0] == "call" and id(prim[1]) in (ZEROS, ONES, EMPTY) and len(v.args) == 1 and \
        isinstance(v.args[0], ast.Name) and v.args[0].id == name


def _atom(a):
    if isinstance(a, str):
        return _load(a)
    if isinstance(a, ast.Name):
        return _load(a.id)
    return ast.Constant(a.value)


def _load(name):
    return ast.Name(id=name, ctx=ast.Load())


def _assign(target, value, kind, line):
    stmt = ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=value)
    return ir.tag(stmt, line, kind)
