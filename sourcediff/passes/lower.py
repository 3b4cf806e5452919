"""Array temporaries inside loops become element loops over scalars.

A loop body such as (k-means, one row temporary per point)::

    for i in range(n):
        d = X[i] - C[a[i]]
        s += np.sum(d * d)

allocates ``d`` and ``d * d`` every iteration, and its adjoint tapes the row
``d`` and allocates adjoint rows.  This pass rewrites it, on normalized and
typed code, to the scalar loop one would write by hand::

    for i in range(n):
        a_i = a[i]
        t4_sum = 0.0
        for j in range(X.shape[1]):
            _t1 = X[i, j]
            _t2 = C[a_i, j]
            d = _t1 - _t2
            _t3 = d * d
            t4_sum += _t3
        _t4 = t4_sum
        s += _t4

so neither the primal nor the adjoint allocates per iteration and the scalar
techniques (recompute, fusion, indexed tapes) apply to what is left.

Where the line is drawn, and why:

* Only inside loops.  Top-level array code runs once; a library call is as
  fast as a loop there and keeps the generated code short.
* A *row* is ``X[idx]`` with integer indices leaving one axis (``X[i]``,
  ``X[i, :]``, ``X[:, k]``, ``T[i, k]`` of a 3-d ``T``), or slices with
  constant bounds, a start at least 0 and a negative stop (``u[1:-1]``,
  ``u[2:]``, ``u[:-2]``: a stop past the end, which NumPy clips, cannot be
  written) and a constant step (``u[1:-1:2]``); its length is that axis less
  what the slice leaves out (``X.shape[axis] - 2``), divided by the step,
  rounded up.  Rows with a step are lowered only where every row of the
  group cuts its axes alike (``x[::2]`` and ``x[1::2]`` are of one length
  only for even lengths: NumPy raises for odd ones).  A *block* is the same with two or three axes left
  (``u[1:-1, 2:]``, ``A[1:, :-1]``, ``W[i]`` of a 3-d ``W``): one element loop
  per axis.  A *temporary* is a float64 local assigned once in the function,
  by a row read or by elementwise arithmetic (``+ - * / **``, unary ``-``,
  the NumPy ufuncs of ``rules.numpyfuncs``, a copy) of temporaries,
  float64/int/bool scalars and float64 arrays of its own number of
  dimensions (read ``w[j]`` element by element; a row and a block never mix:
  that would broadcast), or arrays the lengths' keys show broadcast into it
  as NumPy aligns them, from the last axis (``_spread``: a coefficient per
  column ``c`` or ``c[None, :]`` in ``u - dt * c * ux``, read ``c[k]`` and
  ``_t6[0, k]``; a weight per row ``w[:, None]``, read ``_t3[j, 0]``).
* A *roll* ``np.roll(x, s)`` of a float64 vector ``x`` by a constant ``s`` (or
  an int variable: ``np.roll(phi, L)`` of a lattice stored flat) is
  a row of ``x`` read at ``x[(j - s) % n]`` (a periodic stencil's neighbours:
  ``u = u + c * (np.roll(u, 1) - 2.0 * u + np.roll(u, -1))`` runs as the loop
  one writes with indices).  Its ``x`` must be an array in memory, not a
  temporary of the loop (a roll reads other elements than the loop's own:
  a Runge-Kutta stage's value rolled keeps NumPy's code), and no group
  stores into ``x`` element by element (a time step ``u = u + ...`` of a
  ``u`` it rolls gets a new array each step, as NumPy makes).
* Every use of a temporary is in the same loop body, after it, and is either
  the definition of another temporary, a full *reduction* (``np.sum(t)``,
  ``t.sum()``, ``np.mean(t)``; ``np.dot(t, u)`` / ``t @ u`` of 1-d operands),
  or a *store* of it into a row of a local array (``un[1:-1] = t``,
  ``u[:] = t``).  A temporary returned, passed to a user function, indexed,
  reduced along an axis, used in a later iteration or after the loop is not
  lowered (nor is anything it is computed from, when that would need the
  whole row).  A store of a whole array (``u[:] = un``) is a group by itself.
* Each reduction or store with the temporaries it needs is a group; groups
  sharing temporaries are one loop, unless one needs the other's result (``d /
  np.sum(d)``): then it is a second loop, after, recomputing the shared
  elements (cheaper than a row buffer), except a temporary made by a costly
  function (``is_costly``: a softmax's ``e = np.exp(row - mx)``), which the
  first loop stores in a row buffer (``_Buffer``) as it sums it and the second
  reads back.  A row buffer that its loop fills whole before anything reads
  it, read only element by element or by reductions, is allocated once before
  the loop around it (``_hoist_buffers``).  A group is lowered when it
  reads at least one row or a vector the loop body computes (a matrix-vector
  product ``W @ x``, which stays BLAS, of length ``.shape[0]``): arithmetic
  on whole arrays that are not values of an iteration stays a library call.
* A group's element loop takes the place of its last member.  The
  statements in between (and other groups' loops) must not read the results
  of its earlier members nor write what they read, and none may write into
  an array (it may alias a row the group reads); else the group is left
  alone, with every group sharing a temporary with it.  Where only its
  first member's place is free (a time step rebinding ``u`` between the two
  updates that share ``u * v * v``), the loop runs there, with the numbers
  it needs that are computed in between from names nothing there binds
  (``F + k``) computed before it (``_liftable``).  A number computed in
  between from an earlier member's sum (``A_00 = _t34``: ``A[0, 0] =
  np.sum(...)`` with a small ``A`` as numbers) that no later member reads
  runs after the loop instead (``_sinkable``), so that sums over the same
  residuals share one loop.
* A store into an array of values computed from other elements of it (a
  fixed-boundary stencil's ``u[1:-1, 1:-1] = un``, ``un`` reading
  ``u[:-2, 1:-1]``) has its temporaries read a copy of the array taken
  before the first of them (``_Snapshot``): NumPy computes the whole
  right-hand side first.  A view (``mid = x[1:-1]``) used after a store into
  what it views is not a temporary: its use reads the stored values
  (``_view_changed``).
* A store goes element by element only where NumPy's store, which computes
  the whole right-hand side first, gives the same (``_store_safe``): the
  array stored into is a local no other name shares (every binding of it
  makes a new array or swaps buffers with another such local), the group
  reads it only at the elements it stores (``un[:] = np.maximum(un, p)``,
  not ``u[1:-1] = u[2:] + u[:-2]``) or at elements sure to be others (the
  other colour of a red-black sweep, ``u[1:-1:2]`` from ``u[2::2]``; another
  constant row, ``U[0, :] = U[1, :]``), or through a view bound before to
  exactly the row it stores (``row = R[i]`` then ``R[i] = np.exp(row -
  lse)``: read in ``R`` itself, ``R[i, j]``, element ``j`` before it is
  stored; ``_views_the_stored``), and every other array it reads is a
  parameter, another such local, or a local bound only to new arrays and to
  other names' arrays (``u = unew``), none of them the one stored into; or
  anything at all, when the array stored into was made in the loop body
  before the group and not mentioned since (``un = np.empty(n)`` at the top
  of a time step that ends with ``u = un``).
  Adding into overlapping slices of one array (``du[:, :-1] += fx``,
  ``du[:, 1:] -= fx``) goes element by element too: each element gets the
  same terms, in another order.
* Semantics: scalars broadcast as before; element arithmetic of float64
  values is float64 arithmetic, so values agree bit for bit with NumPy's
  except for the order of the summation (pairwise in NumPy, sequential
  here).  Lengths follow NumPy's broadcasting, where they may differ:

  - rows sure to be of different lengths (``_apart``: one axis cut by
    different slices, ``u[2:] - u[:-1]``; ``v[0:] = u[1:]`` with ``v`` as long
    as ``u``) are not lowered: NumPy broadcasts them where one is of length
    1 and raises otherwise, and the array code does just that;
  - an array read whole that is not known to be as long as the rows (a
    vector the body computes, ``W @ x``, is one; ``shapes.axis_lengths``) is read at
    ``w[j * w_step]``, ``w_step`` 0 where it has one element, and the loop
    runs over the broadcast length (``broadcast_length``: NumPy's ValueError
    where neither is 1), the rows read at ``j * rows_step`` (``X[i]`` of one
    element against a longer ``c``); a store's row is the result's length,
    which the array must broadcast into (``broadcast_into``);
  - rows of different arrays whose lengths are not known to be equal
    (``X[i] - C[a[i]]``, two arguments) are still taken to be as long as
    each other, unchecked.

  Lengths known to be equal need no run-time work: the code is as before.
  The loop takes its length
  from a parameter's row when there is one (a bound known before an outer
  loop, so that the adjoint's tapes are preallocated arrays), else from an
  array bound once, else from the first row.
"""
from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field

import numpy as np

from .. import ir
from ..names import Namer
from ..rules import registry
from ..runtime.array_helpers import select
from ..runtime.helpers import (
    broadcast_into,
    broadcast_length,
    empty_rows,
    equal_length,
    slice_length,
    slice_start,
)
from .astutil import int_of, is_costly, nodes, own_reads, takes_all
from .buffers import find_permutations
from .own_names import drop_statements
from .scalars import select_statement
from .shapes import axis_lengths, grown_key, spread_axes

ARITHMETIC = {"Add", "Sub", "Mult", "Div", "Pow"}
LOOP_NAMES = ("j", "k", "l")     # the element loops' indices: blocks of up to 3 dimensions
UNARY = {"USub", "UAdd"}
SUM_IDS = {id(np.sum), id(np.mean)}
MEAN_IDS = {id(np.mean)}
DOT_IDS = {id(np.dot)}
WHERE_IDS = {id(np.where), id(select)}
ROLL_ID = id(np.roll)


# -- the facts of the intermediate form (sourcediff/ir.py) --------------------
def _kind(stmt):
    return ir.KIND(stmt)


def _prim(node):
    return ir.PRIM(node) or ("",)


def _line(stmt):
    return ir.LINE(stmt)


def _marked(node, prim):
    return ir.mark(node, prim)


def _made(stmt, kind, line):
    return ir.tag(stmt, line, kind)


# -- entry -------------------------------------------------------------------
def lower_array_temporaries(fn: ast.FunctionDef, env: dict, used_names: set,
                            same_axes=None, rows=None) -> bool:
    """Rewrite ``fn`` in place (loops' array temporaries -> element loops);
    returns whether anything changed.  ``used_names`` gets the new names;
    ``same_axes``: the arguments' axes of one length (``shapes.parameter_axes``);
    ``rows``: the arguments' last axes of a length the compiled code is
    specialized on (``shapes.axis_lengths``)."""
    facts = _Facts.of(fn, env, [a.arg for a in fn.args.args], same_axes, rows)
    changed = _stops_from_the_end(fn, facts)

    def visit(stmts, in_loop, hoisted=None):
        """``stmts`` lowered; where ``hoisted`` is a list (``stmts`` is a loop's
        body), row buffers that need not be made in each iteration are made
        once, by statements added to it, to go before the loop."""
        nonlocal changed
        out = []
        for s in stmts:
            loop = isinstance(s, (ast.For, ast.While))
            before = []
            for f in ("body", "orelse"):
                if getattr(s, f, None):
                    setattr(s, f, visit(getattr(s, f), in_loop or loop,
                                        before if loop and f == "body" else None))
            out += before + [s]
        if hoisted is not None:
            # (an allocation made before an inner loop goes before this one too
            # where this loop's body binds nothing it reads)
            bound = _bound_in(out)
            up = [x for x in out if any(x is b for b in made_before) and
                  not own_reads(x) & bound]
            hoisted += up
            out = [x for x in out if not any(x is u for u in up)]
        stmts = out
        if not in_loop:
            return stmts
        snaps = _snapshots(stmts, facts, env, used_names)
        if snaps:
            # (kept where the store's group is taken)
            trial = _with_snapshots(stmts, snaps)
            taken = {id(trial[k]) for g in plan_block(trial, facts) for k in g.members}
            for m in snaps:
                if id(m.store) not in taken:
                    m.undo(facts)
            stmts = _with_snapshots(stmts, [m for m in snaps if id(m.store) in taken])
        made = _materialize(stmts, facts, env, used_names,
                            _carry_in_place(stmts, facts, env, used_names, {}))
        trial = _with_buffers(stmts, made)
        groups = plan_block(trial, facts)
        kept = {y for y, m in made.items() if _buffer_filled(m, groups, trial, facts)}
        if kept != set(made):
            # a temporary whose loop is not taken keeps its array code
            for y in set(made) - kept:
                made.pop(y).undo(facts)
            trial = _with_buffers(stmts, made)
            groups = plan_block(trial, facts)
            if not all(_buffer_filled(m, groups, trial, facts) for m in made.values()):
                for m in made.values():
                    m.undo(facts)
                made, trial = {}, stmts
                groups = plan_block(stmts, facts)
        if not groups:
            return stmts
        changed = True
        lowered = emit_block(trial, groups, env, used_names)
        if hoisted is not None:
            lowered = _hoist_buffers(lowered, made, hoisted, facts)
            made_before.extend(hoisted)
        return lowered

    made_before = []            # the allocations _hoist_buffers moved before a loop
    fn.body = visit(fn.body, False)
    if changed:
        drop_statements(fn, _unread_views(fn, facts))
    return changed


def _unread_views(fn, facts) -> set:
    """The statements binding views given an axis that nothing reads any more
    (the element loops read ``y[j]`` for ``y[:, None]``), and the whole views
    they were made of (``_t1 = y[:]``) left unread with them: ids."""
    dead: set = set()
    while True:
        read = set().union(*(own_reads(s) for s in _statements(fn.body) if id(s) not in dead))
        more = {id(s) for s in _statements(fn.body) if id(s) not in dead and
                _kind(s) == "assign" and isinstance(s.targets[0], ast.Name) and
                s.targets[0].id not in read and facts.env.get(s.targets[0].id) is not None and
                (s.targets[0].id in facts.axis_views or
                 _whole_view(s) in {x for x, _ in facts.axis_views.values()})}
        if not more:
            return dead
        dead |= more


def _stops_from_the_end(fn, facts) -> bool:
    """In loops, a slice's stop ``n`` or ``n - c`` (``c`` 1 or 2) of an axis ``n``
    is known to be the length of (``v[0:n - 2]``, ``u[1:m - 1, 2:m]``, with ``n =
    v0.shape[0]`` and ``v = v0.copy()``) as the stop from the end NumPy reads it
    as: none, or ``-c`` (``v[0:-2]``), so that the row is one ``_cut`` takes.  The
    same elements whatever the length: for ``n < c`` both stops clip to 0 (from
    ``c`` = 3 on they would not: ``x[0:n - 3]`` of two elements is ``x[0:1]``).
    Rewrites in place; whether any changed."""
    changed, seen = False, set()
    for loop in (s for s in _statements(fn.body) if isinstance(s, (ast.For, ast.While))):
        for node in (n for st in loop.body for n in nodes(st)):
            if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)) or \
                    id(node) in seen:
                continue        # (a nested loop's subscripts are met once, in the outer)
            seen.add(id(node))
            keys = facts.lengths.get(node.value.id) or ()
            parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            for k, part in enumerate(parts):
                hi = part.upper if isinstance(part, ast.Slice) else None
                if hi is None or k >= len(keys) or keys[k] is None:
                    continue
                n, c = hi, 0
                if isinstance(hi, ast.BinOp) and isinstance(hi.op, ast.Sub) and \
                        int_of(hi.right) in (1, 2):
                    n, c = hi.left, int_of(hi.right)
                if isinstance(n, ast.Name) and (facts.lengths.get(n.id) or (None,))[0] == keys[k]:
                    part.upper = ast.Constant(-c) if c else None
                    changed = True
    return changed


@dataclass
class _Site:
    """An assignment of a name, as ``shapes.axis_lengths`` reads it."""
    stmt: ast.stmt


@dataclass
class _Facts:
    """What the decisions read about the whole function."""
    env: dict
    assignments: dict                     # name -> how many statements bind it
    readers: dict                         # name -> ids of the statements reading it
    fresh_arrays: set                     # locals whose buffer no other name holds
    params: set
    swaps: set                            # ids of the statements of swaps and rotations
    lengths: dict                         # name -> keys of its axes' lengths (shapes.py)
    viewed: dict = field(default_factory=dict)   # a view bound once -> the array it views
    steady: set = field(default_factory=set)     # fresh arrays bound once (never swapped)
    origins: dict = field(default_factory=dict)  # array local -> names whose buffer it may hold
    own: set = field(default_factory=set)        # locals a rebinding may store into (_own_buffers)
    top_bound: set = field(default_factory=set)  # names first bound by a statement of fn.body
    shaped: set = field(default_factory=set)     # arrays given axes to broadcast (_reshaped)
    renewable: set = field(default_factory=set)  # locals bound to new arrays or parameters
    axis_views: dict = field(default_factory=dict)   # view given an axis -> (array, axis)
    body: list = field(default_factory=list)         # the function's statements
    homes: dict = field(default_factory=dict)        # own locals first bound in a loop (_loop_homes)

    @classmethod
    def of(cls, fn, env, params=(), same_axes=None, rows=None):
        assignments, readers = {}, {}
        for s in _statements(fn.body):
            for n in _binds(s):
                assignments[n] = assignments.get(n, 0) + 1
            for n in own_reads(s):
                readers.setdefault(n, set()).add(id(s))
        perms = find_permutations(fn, env, params)
        sites: dict = {}
        for s in _statements(fn.body):
            for n in _binds(s):
                if id(s) not in perms:        # (a swap hands lengths round: below)
                    sites.setdefault(n, []).append(_Site(s))
        lengths = axis_lengths(env, list(params), sites, same_axes, rows)
        for perm in perms.values():          # names that swap buffers of one length keep it
            keys = {lengths.get(x) for x in perm.source}
            key = keys.pop() if len(keys) == 1 else None
            for x in perm.source:
                lengths[x] = key
        handed = _handed_over(fn, perms)
        fresh = _fresh_arrays(fn, env, params, perms, handed)
        # ``s = sig[1:-1, 1:-1]`` before the loop: reading s reads sig, a parameter or an
        # array no swap hands round, so no store into another array changes it
        viewed = {s.targets[0].id: s.value.value.id for s in _statements(fn.body)
                  if _kind(s) == "assign" and isinstance(s.targets[0], ast.Name)
                  and assignments.get(s.targets[0].id) == 1 and _prim(s.value)[0] == "subscript"
                  and isinstance(s.value.value, ast.Name) and not _index_arrays(s.value, env)}
        # (and a view given an axis, ``c[None, :]``: ``np.expand_dims(_t1, 0)`` of such
        # a view, viewing the array that one views)
        for s in _statements(fn.body):
            if _kind(s) == "assign" and isinstance(s.targets[0], ast.Name) and \
                    assignments.get(s.targets[0].id) == 1 and \
                    _prim(s.value)[:2] == ("call", np.expand_dims) and \
                    isinstance(s.value.args[0], ast.Name):
                viewed[s.targets[0].id] = s.value.args[0].id
        for name in list(viewed):           # (a view of a view views the array that one views)
            seen = {name}
            while viewed[name] in viewed and viewed[name] not in seen:
                seen.add(viewed[name])
                viewed[name] = viewed[viewed[name]]
        steady = {n for n in fresh if assignments.get(n) == 1}
        swapped = {x for perm in perms.values() for x in perm.source}
        own = _own_buffers(fn, env, fresh - swapped, assignments)
        return cls(env, assignments, readers, fresh, set(params), set(perms), lengths,
                   viewed, steady, _origins(fn, env, params, perms), own, _top_bound(fn),
                   _reshaped(fn), _renewable(fn, env, params, perms, handed),
                   _axis_views(fn, assignments), fn.body,
                   {x: h for x, h in _loop_homes(fn).items() if x in own})

    def same_length(self, row, other) -> bool:
        """Rows ``(base, axes)`` sure to be as long as each other along every axis."""
        if row == other:
            return True
        (a, a_axes), (b, b_axes) = row, other
        keys_a, keys_b = self.lengths.get(a) or (), self.lengths.get(b) or ()
        if len(a_axes) != len(b_axes):
            return False
        for (ka, *ta), (kb, *tb) in zip(a_axes, b_axes):
            if a == b and ka == kb and (ta == tb or not _moving(ta[0]) and
                                        not _moving(tb[0]) and ta[1:] == tb[1:]):
                continue      # (one axis cut alike: ``u[1:-1]`` and ``u[:-2]``)
            la = keys_a[ka] if ka < len(keys_a) else None
            lb = keys_b[kb] if kb < len(keys_b) else None
            if la is None or lb is None:
                return False
            if _moving(ta[0]) or _moving(tb[0]):
                # (one span of axes of one length: ``V[lo:hi]`` and ``E[lo:hi]``)
                if la != lb or ta != tb:
                    return False
            elif ta[1] == tb[1] == 1:
                # what each slice leaves of its axis (``g[2:, 1:-1]`` of a ghost-cell
                # array made 2 longer than the grid: the grid's length)
                if grown_key(la, -ta[0]) != grown_key(lb, -tb[0]):
                    return False
            elif la != lb or ta != tb:
                return False
        return True


    def fresh(self, name) -> bool:
        """A local array whose buffer no other name holds: see ``_fresh_arrays``."""
        return name in self.fresh_arrays

    def block(self, name, ndim=None):
        """A float64 array (of ``ndim`` dimensions, when given)."""
        t = self.env.get(name)
        return t is not None and t.is_array and t.dtype == np.float64 and t.ndim >= 1 and \
            (ndim is None or t.ndim == ndim)

    def mask(self, name, ndim=None):
        """A bool array (of ``ndim`` dimensions, when given)."""
        t = self.env.get(name)
        return t is not None and t.is_array and t.dtype == np.bool_ and t.ndim >= 1 and \
            (ndim is None or t.ndim == ndim)

    def vector(self, name):
        t = self.env.get(name)
        return t is not None and t.is_array and t.ndim == 1 and t.dtype == np.float64

    def scalar(self, name):
        t = self.env.get(name)
        return t is not None and (t.kind in ("int", "bool") or
                                  t.kind == "float" and t.dtype == np.float64)


# calls whose result is a new array (no memory shared with an argument)
MAKERS = {id(f) for f in (np.empty, np.zeros, np.ones, np.full, np.empty_like, np.zeros_like,
                          np.ones_like, np.full_like, np.copy, np.linspace, np.arange,
                          np.logspace, np.eye, np.identity, np.where, np.outer, np.dot,
                          np.matmul, np.concatenate, np.stack, np.hstack, np.vstack,
                          np.cumsum, np.diff, np.sort, np.clip)} | {id(empty_rows)}


def _fresh_arrays(fn, env, params, perms, handed) -> set:
    """float64 array locals every binding of which makes a new array (an
    allocation, a copy, arithmetic, a ufunc) or is part of a swap or rotation
    among such names (``u, un = un, u``: it hands their buffers round, one name
    each).  Two of them never hold one buffer; a slice of one bound to a name
    (a view) is looked at where it is read (``_store_safe``)."""
    out = {n for n, t in env.items() if t is not None and t.is_array and t.ndim >= 1
           and t.dtype == np.float64} - set(params)
    for s in _statements(fn.body):
        perm = perms.get(id(s))
        if perm is not None:
            out -= perm.temps - set(perm.source)
            continue
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], ast.Name):
            if not _makes_array(s.value) and id(s) not in handed:
                out.discard(s.targets[0].id)
            continue
        out -= set(_binds(s))            # a loop target, an unpacking
        # (an array given whole to a tuple or a user function may come back
        # under another name: that name's binding is not one that makes an array)
    _keep_handed(out, handed)
    # a swap with a name that may share a buffer (``t = u`` before ``w, t = t, w``)
    # hands that buffer on
    while True:
        shared = {x for p in perms.values() if set(p.source) - out for x in p.source}
        if not shared & out:
            return out
        out -= shared


def _handed_over(fn, perms) -> dict:
    """``x = t`` statements (id -> ``(x, t)``) that hand ``x`` the array of a temporary
    ``t`` bound once and read by that statement only (``_t8 = S * _t7; S = _t8``,
    as a product whose adjoint reads the old ``S`` is normalized): the array is
    new to ``x`` if it was to ``t``.  (Not the statements of a swap: ``perms``.)"""
    bound, read, in_place = {}, {}, set()
    for s in _statements(fn.body):
        for n in _binds(s):
            bound[n] = bound.get(n, 0) + 1
            if ir.AUGMENTED(s) or ir.AUGMENTED(getattr(s, "value", None)):
                in_place.add(n)     # (``x *= c``: x's own array written, not a new one)
        for n in own_reads(s):
            read[n] = read.get(n, 0) + 1
    return {id(s): (s.targets[0].id, s.value.id) for s in _statements(fn.body)
            if isinstance(s, ast.Assign) and len(s.targets) == 1
            and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Name)
            and bound.get(s.value.id) == 1 and read.get(s.value.id) == 1
            and s.value.id not in in_place and not ir.AUGMENTED(s)
            and id(s) not in perms}


def _keep_handed(out, handed) -> None:
    """Drops from ``out`` each name handed the array of a temporary not in it
    (until none is left to drop)."""
    while True:
        lost = {x for x, t in handed.values() if x in out and t not in out}
        if not lost:
            return
        out -= lost


def _renewable(fn, env, params, perms, handed) -> set:
    """float64 array locals every binding of which makes a new array or names
    a parameter (``u = u0`` before a time loop), never swapped: a rebinding
    ``u = E`` may put ``E`` into a new array of its own (``_new_buffer``)
    whatever ``u`` held before, as NumPy does."""
    out = {n for n, t in env.items() if t is not None and t.is_array and t.ndim >= 1
           and t.dtype == np.float64} - set(params)
    for s in _statements(fn.body):
        perm = perms.get(id(s))
        if perm is not None:
            out -= perm.temps | set(perm.source)
        elif isinstance(s, ast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], ast.Name):
            v = s.value
            if not (_makes_array(v) or isinstance(v, ast.Name) and v.id in params or
                    id(s) in handed):
                out.discard(s.targets[0].id)
        else:
            out -= set(_binds(s))
    _keep_handed(out, handed)
    return out


def _origins(fn, env, params, perms) -> dict:
    """For each float64 array local every binding of which makes a new array or
    moves another name's array to it (``u = unew`` after ``unew = u + du``):
    the names whose buffers it may hold (itself, for the arrays it makes).  A
    name with another binding (a view, a swap, a call) is left out."""
    moves: dict = {}
    for s in _statements(fn.body):
        for n in _binds(s):
            t = env.get(n)
            if t is None or not t.is_array or n in params:
                continue
            v = s.value if isinstance(s, ast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], ast.Name) and id(s) not in perms else None
            if v is not None and _makes_array(v):
                source = n
            elif isinstance(v, ast.Name) and env.get(v.id) is not None and env[v.id].is_array:
                source = v.id
            else:
                source = None
            if source is None or moves.get(n, set()) is None:
                moves[n] = None
            else:
                moves.setdefault(n, set()).add(source)
    out = {n: set(src) for n, src in moves.items() if src is not None}
    while True:
        changed = False
        for n in list(out):
            more = set()
            for m in out[n] - {n}:
                if m in params:
                    continue
                if m not in out:
                    more = None
                    break
                more |= out[m]
            if more is None:
                del out[n]
                changed = True
            elif not more <= out[n]:
                out[n] |= more
                changed = True
        if not changed:
            return out


# calls whose result shares no memory with an array argument (besides MAKERS)
NEW_RESULTS = {id(f) for f in (np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin,
                               np.dot, np.vdot, np.inner, np.linalg.norm, np.all, np.any,
                               np.argmax, np.argmin, len)}


# calls that give an array new axes (``x[:, None]`` is normalized to np.expand_dims)
RESHAPES = {id(f) for f in (np.expand_dims, np.reshape, np.atleast_2d, np.atleast_3d,
                            np.broadcast_to)}


def _reshaped(fn) -> set:
    """Names some statement binds to an array given new axes (``x[:, None]``,
    ``np.expand_dims``, ``.reshape``): an operand meant to broadcast against
    another of other lengths along those axes (``x[:, None] - y[None, :]``),
    which element loops over rows of one length do not do."""
    out = set()
    for s in _statements(fn.body):
        if _kind(s) != "assign" or not isinstance(s.targets[0], ast.Name):
            continue
        prim = _prim(s.value)
        if prim[0] == "call" and id(prim[1]) in RESHAPES or \
                prim[0] == "method" and s.value.func.attr == "reshape":
            out.add(s.targets[0].id)
    return out


def _axis_views(fn, assignments) -> dict:
    """``n -> (x, a)`` for ``n = np.expand_dims(m, a)`` (``x[:, None]`` normalized:
    ``m = x[:]; n = np.expand_dims(m, 1)``), ``n`` and ``m`` bound once, ``x`` a
    name bound at most once: element ``(j, 0)`` of ``n`` is ``x[j]`` when the
    element loop reads it (the view shows what was written into ``x`` since)."""
    full = {s.targets[0].id: _whole_view(s) for s in _statements(fn.body)
            if _whole_view(s) is not None and assignments.get(s.targets[0].id) == 1}
    out = {}
    for s in _statements(fn.body):
        axis = _inserted(s)
        if axis is None or assignments.get(s.targets[0].id) != 1:
            continue
        m = s.value.args[0].id
        x = full.get(m, m)
        if assignments.get(x, 0) <= 1:
            out[s.targets[0].id] = (x, axis)
    return out


def _whole_view(s):
    """``x`` of ``m = x[:]`` (``x[:, :]``), else None."""
    v = getattr(s, "value", None)
    if _kind(s) != "assign" or not isinstance(s.targets[0], ast.Name) or \
            _prim(v)[0] != "subscript" or not isinstance(v.value, ast.Name):
        return None
    return v.value.id if takes_all(v.slice) else None


def _inserted(s):
    """The constant axis of ``n = np.expand_dims(m, a)``, else None."""
    v = getattr(s, "value", None)
    if _kind(s) == "assign" and isinstance(s.targets[0], ast.Name) and \
            _prim(v)[:2] == ("call", np.expand_dims) and len(v.args) == 2 and \
            isinstance(v.args[0], ast.Name) and isinstance(v.args[1], ast.Constant) and \
            type(v.args[1].value) is int and v.args[1].value >= 0 and not v.keywords:
        return v.args[1].value
    return None


def _top_bound(fn) -> set:
    """Names whose first binding is a statement of the function's own body (a
    loop after it finds them bound)."""
    first = {}
    for st in _statements(fn.body):
        for n in _binds(st):
            first.setdefault(n, st)
    top = {id(st) for st in fn.body}
    return {n for n, st in first.items() if id(st) in top}


def _loop_homes(fn) -> dict:
    """``name -> id`` of its first binding, for names first bound by a statement of a
    loop's body whose every other binding is inside a loop of that body after it
    (``G = lam * W`` at the top of an epoch, ``G = G + g`` in the loop over
    samples): each iteration of the outer loop makes the array the inner loop
    finds bound, as the function's own body does for a top-level name."""
    first, where = {}, {}

    def visit(stmts, home):
        for k, st in enumerate(stmts):
            for n in _binds(st):
                if n not in first:
                    first[n], where[n] = st, (home, k)
            for f in ("body", "orelse"):
                inner = getattr(st, f, None) or []
                if inner:
                    visit(inner, inner if isinstance(st, (ast.For, ast.While)) and
                          f == "body" else None)
    visit(fn.body, None)
    out = {}
    for n, st in first.items():
        home, k = where[n]
        if home is None or not isinstance(st, ast.Assign):
            continue
        later = [x for j, x in enumerate(home) if j > k and isinstance(x, (ast.For, ast.While))]
        inside = {id(x) for loop in later for x in _statements(loop.body)}
        others = [x for x in _statements(fn.body) if n in _binds(x) and x is not st]
        if others and all(id(x) in inside for x in others) and \
                not any(n in _binds(x) for x in home if x is not st):
            out[n] = id(st)
    return out


def _own_buffers(fn, env, fresh, assignments) -> set:
    """Array locals ``x`` that a rebinding in a loop, ``x = x + growth``, may
    instead store into (``x[:] = ...``: the same values, in the array ``x``
    holds): locals of ``fresh`` (no other name holds their buffer; not in a swap)
    bound at least twice, first by a statement of the function's own body (so
    every loop finds a buffer there) or of a loop's body whose other bindings
    are all in loops of that body after it (``_loop_homes``: ``G = lam * W``
    per epoch, ``G = G + g`` per sample), whose buffer never leaves them: every
    read is an operand of arithmetic, a comparison, a ufunc or a reduction,
    an element, ``.shape``, or a view (``r = x[1:]``, ``r = x``) bound once and
    read only in its own block, after it, before ``x`` is bound again."""
    top = _top_bound(fn) | set(_loop_homes(fn))
    out = {x for x in fresh if assignments.get(x, 0) > 1 and x in top}
    views: dict = {}
    for st in _statements(fn.body):
        kind = _kind(st)
        value = getattr(st, "value", None) if kind in ("assign", "store", "augstore") else None
        if isinstance(value, ast.Name) and value.id in out:
            if kind == "assign":                   # r = x: r holds x's buffer
                views.setdefault(value.id, []).append(st)
            continue                               # (y[:] = x copies it)
        parts = [value] if value is not None else \
            [getattr(st, f, None) for f in ("iter", "test", "value")]
        for part in (p for p in parts if isinstance(p, ast.AST)):
            for parent in nodes(part):
                for child in ast.iter_child_nodes(parent):
                    if not (isinstance(child, ast.Name) and child.id in out):
                        continue
                    if parent is value and kind == "assign" and _view_of(value, env):
                        views.setdefault(child.id, []).append(st)
                    elif not _contained_read(parent, child, part, env):
                        out.discard(child.id)
            if isinstance(part, ast.Name) and kind != "return":
                out.discard(part.id)               # (given whole to something else)
    return {x for x in out if all(_view_ok(v, x, fn.body) for v in views.get(x, ()))}


def _contained_read(parent, child, part, env) -> bool:
    """Reading ``child`` (an array) in ``parent`` makes nothing that shares its memory."""
    if isinstance(parent, (ast.BinOp, ast.UnaryOp, ast.Compare)):
        return True
    if isinstance(parent, ast.Attribute):      # (a method whose result is new: x.sum())
        return parent.attr in ("shape", "size", "ndim", "copy", "sum", "mean", "max", "min",
                               "prod", "dot")
    if isinstance(parent, ast.Subscript):
        return parent is not part or not _view_of(parent, env)
    if isinstance(parent, ast.Call) and child in parent.args:
        prim = _prim(parent)
        return prim[0] == "call" and (isinstance(prim[1], np.ufunc) or
                                      id(prim[1]) in MAKERS | NEW_RESULTS)
    return False


def _view_of(value, env) -> bool:
    """``value`` may share memory with the array it reads: a subscript with an
    array result that is not a gather."""
    if not isinstance(value, ast.Subscript) or _index_arrays(value, env):
        return False
    parts = value.slice.elts if isinstance(value.slice, ast.Tuple) else [value.slice]
    t = env.get(value.value.id) if isinstance(value.value, ast.Name) else None
    return t is None or any(isinstance(p, ast.Slice) for p in parts) or len(parts) < t.ndim


def _view_ok(st, x, body) -> bool:
    """A view bound by ``st`` of ``x``'s buffer is bound once, and read only in
    ``st``'s block after it, with no binding of ``x`` in between."""
    if not isinstance(st, ast.Assign) or not isinstance(st.targets[0], ast.Name):
        return False
    v = st.targets[0].id
    block = _block_of(st, body)
    if block is None:
        return False
    at = next(k for k, s in enumerate(block) if s is st)
    binds = [s for s in _statements(body) if v in _binds(s)]
    if binds != [st] or any(v in own_reads(s) for s in _statements(block[:at + 1])):
        return False
    last = max((k for k, s in enumerate(block) if any(v in own_reads(t) for t in
                                                       _statements([s]))), default=at)
    reads_elsewhere = sum(v in own_reads(s) for s in _statements(body)) != \
        sum(v in own_reads(s) for s in _statements(block))
    # (a loop reading the view may bind x before a later trip reads it: ``for v in x:
    # x = x * 0.5`` iterates over the array it started with)
    if last > at and isinstance(block[last], (ast.For, ast.While, ast.If)):
        last += 1
    return not reads_elsewhere and not any(x in _binds(t) for s in block[at + 1:last]
                                           for t in _statements([s]))


def _block_of(st, stmts):
    """The list of statements ``st`` is a member of."""
    if any(s is st for s in stmts):
        return stmts
    for s in stmts:
        for f in ("body", "orelse"):
            found = _block_of(st, getattr(s, f, None) or [])
            if found is not None:
                return found
    return None


def _index_arrays(v, env) -> bool:
    """``x[idx]`` with an array in its index (a gather: a copy, not a view)."""
    parts = v.slice.elts if isinstance(v.slice, ast.Tuple) else [v.slice]
    return any(isinstance(p, ast.Name) and env.get(p.id) is not None and env[p.id].is_array
               for p in parts)


def _makes_array(v) -> bool:
    prim = _prim(v)
    if prim[0] in ("binop", "unary", "const") or prim == ("method", "copy"):
        return True
    return prim[0] == "call" and (isinstance(prim[1], np.ufunc) or id(prim[1]) in MAKERS)


def _statements(stmts):
    for s in stmts:
        yield s
        for f in ("body", "orelse"):
            yield from _statements(getattr(s, f, None) or [])


def _binds(s):
    """Names a statement itself binds (not its nested statements)."""
    if isinstance(s, ast.For):
        return [s.target.id]
    if isinstance(s, ast.Assign):
        return [n.id for t in s.targets for n in nodes(t)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    return []


# -- decide ------------------------------------------------------------------
@dataclass
class Group:
    """Temporaries and the reductions they feed, lowered as one element loop."""
    members: list = field(default_factory=list)      # positions in the block, in order
    rows: list = field(default_factory=list)         # (base, axis) of each row read
    temps: set = field(default_factory=set)          # the temporaries (scalars after)
    reductions: list = field(default_factory=list)   # positions of the reductions
    stores: list = field(default_factory=list)       # positions of the slice stores
    sums: set = field(default_factory=set)           # the names they bind
    reads: dict = field(default_factory=dict)        # position -> names read from outside
    all_reads: set = field(default_factory=set)
    results: dict = field(default_factory=dict)      # position -> name bound
    length: tuple = ()                               # (base, axes): the loop's length
    unsure: set = field(default_factory=set)         # arrays read whole, maybe of another length
    apart: bool = False                              # two rows sure to be of different lengths
    unchecked: list = field(default_factory=list)    # rows not known to be as long as the loop
    shaped: bool = False                             # reads an operand reshaped to broadcast
    spread: dict = field(default_factory=dict)       # array -> its axes read (_spread)
    through: dict = field(default_factory=dict)      # of those, views read in their array
    mixed: bool = False                              # of fewer axes where that is not known
    first: bool = False                              # the loop runs at the first member
    lifted: list = field(default_factory=list)       # positions of numbers it needs, run first
    sunk: list = field(default_factory=list)         # positions of numbers run after its loop
    read_through: dict = field(default_factory=dict)  # view of a stored row -> its A[idx]

    def at(self) -> int:
        """The position of the group's element loop: its last member's, or its
        first's where only that one is free (``_movable_up``)."""
        return self.members[0] if self.first else self.members[-1]


def plan_block(stmts, facts) -> list:
    """The groups of one loop body that can be lowered."""
    defs = {}                                          # temporary -> position
    for k, s in enumerate(stmts):
        if _temporary_def(s, facts) is not None:
            defs[s.targets[0].id] = k
    reductions = {k for k, s in enumerate(stmts) if _reduction_operands(s, facts) is not None}
    stores = {k for k, s in enumerate(stmts) if _store_operands(s, facts) is not None}
    for t in [t for t, k in defs.items() if _view_changed(t, k, stmts)]:
        del defs[t]
    while True:   # a temporary with one use the group cannot take out, and its operands
        bad = {t for t, k in defs.items()
               if not _uses_ok(t, k, stmts, defs, reductions | stores, facts)}
        if not bad:
            break
        for t in bad:
            del defs[t]
    groups = _groups(stmts, defs, sorted(reductions | stores), facts)
    return _settle(groups, stmts, facts)


def _view_changed(t, k, stmts) -> bool:
    """``t = X[...]`` (a view) or ``t = X`` (another name for it) at ``k``, and
    a statement after it writes into ``X`` (a store, or ``X *= c``, which the
    normalizer writes ``_t = X * c; X = _t``) before a use of ``t``: the use
    reads what was written (NumPy's view), not the element read where ``t``
    was bound."""
    v = stmts[k].value
    if isinstance(v, ast.Name):
        base = v.id
    elif _prim(v)[0] == "subscript" and isinstance(v.value, ast.Name):
        base = v.value.id
    else:
        return False
    written = False
    for st in stmts[k + 1:]:
        target = _stored_into(st) if _kind(st) in ("store", "augstore") else None
        value = getattr(st, "value", None)
        if isinstance(value, ast.BinOp) and ir.AUGMENTED(value) and \
                isinstance(value.left, ast.Name) and value.left.id == t:
            return True     # (``t *= c`` writes into X's array: an inlined helper's)
        if written and any(isinstance(n, ast.Name) and n.id == t for n in nodes(st)):
            return True
        written = written or isinstance(target, ast.Subscript) and \
            isinstance(target.value, ast.Name) and target.value.id == base or \
            isinstance(value, ast.BinOp) and ir.AUGMENTED(value) and \
            isinstance(value.left, ast.Name) and value.left.id == base
    return False


def _temporary_def(s, facts):
    """The operands of ``t = <elementwise of rows>`` or ``t = X[i]``, or None.
    (A mask ``m = u < 900.0`` and a choice ``np.where(m, a, b)`` are elementwise
    too: a bool and a ``np.where`` of numbers per element.)"""
    if _kind(s) != "assign" or not isinstance(s.targets[0], ast.Name):
        return None
    t = s.targets[0].id
    v, prim = s.value, _prim(s.value)
    mask = prim[0] == "compare" and len(v.ops) == 1
    if facts.assignments.get(t) != 1 or not (facts.mask(t) if mask else facts.block(t)) or \
            facts.env[t].ndim > len(LOOP_NAMES):
        return None
    if prim[0] == "subscript":
        return [] if _row_axes(v, facts) is not None else None
    if _rolled(v, facts) is not None:
        return []           # (a row of its own: read at ``x[(j - shift) % n]``)
    if isinstance(v, ast.BinOp) and ir.AUGMENTED(v) and isinstance(v.left, ast.Name) and \
            not facts.fresh(v.left.id):
        return None         # (``x *= c`` writes into an array another name may hold)
    if prim[0] == "binop" and prim[1] in ARITHMETIC:
        operands = [v.left, v.right]
    elif prim[0] == "unary" and prim[1] in UNARY:
        operands = [v.operand]
    elif mask:
        operands = [v.left, v.comparators[0]]
    elif prim[0] == "call" and not v.keywords and (
            isinstance(prim[1], np.ufunc) and registry.is_elementwise(prim[1]) or
            id(prim[1]) in WHERE_IDS and len(v.args) == 3):
        operands = list(v.args)
        if id(prim[1]) in WHERE_IDS and not (isinstance(operands[0], ast.Name) and (
                facts.mask(operands[0].id) or _bool_scalar(operands[0].id, facts))):
            return None
    elif prim[0] == "copy":
        operands = [v]
    else:
        return None
    ndim = facts.env[t].ndim        # (between ranks only where known to broadcast: _spread)
    if not all(_element_atom(a, facts, ndim) or isinstance(a, ast.Name) and
               (facts.block(a.id) or facts.mask(a.id)) and
               _spread(facts.lengths.get(a.id), facts.lengths.get(t)) is not None
               for a in operands):
        return None
    return [a.id for a in operands if isinstance(a, ast.Name) and
            (facts.block(a.id) or facts.mask(a.id))]


def _bool_scalar(name, facts) -> bool:
    t = facts.env.get(name)
    return t is not None and t.kind == "bool"


def _spread(keys, into):
    """How an array of axes ``keys`` (``shapes.axis_lengths``) broadcasts into
    one of axes ``into``, as NumPy aligns them (``shapes.spread_axes``: ``c``
    against ``(n, c.shape[0])``, ``c[None, :]`` of keys ``(1, m)`` against
    ``(n, m)``); None unless all keys are known."""
    if not keys or not into or None in keys or None in into:
        return None
    return spread_axes(keys, into)


def _element_atom(a, facts, ndim) -> bool:
    if isinstance(a, ast.Constant):
        return isinstance(a.value, (int, float))
    return isinstance(a, ast.Name) and (facts.scalar(a.id) or facts.block(a.id, ndim) or
                                        facts.mask(a.id, ndim))


def _row_axes(v, facts):
    """``((axis, trim, step), ...)``: the axes of ``X`` that ``X[idx]`` leaves, in
    order (slices, then the axes after the index), each with how many elements
    its slice leaves out and its step (``_cut``); None unless every slice is one
    ``_cut`` takes and some axis is left."""
    if not isinstance(v.value, ast.Name):
        return None
    base = facts.env.get(v.value.id)
    if base is None or not base.is_array or base.dtype != np.float64:
        return None
    parts = v.slice.elts if isinstance(v.slice, ast.Tuple) else [v.slice]
    if len(parts) > base.ndim or any(
            isinstance(p, ast.Slice) and (_cut(p) is None or _moving(_cut(p)[1]) and
                                          not _span_ok(p, facts)) or
            isinstance(p, ast.Constant) and (type(p.value) is not int) or
            isinstance(p, ast.Name) and not _int_scalar(p.id, facts) for p in parts):
        return None
    axes = [(k, *_cut(p)[1:]) for k, p in enumerate(parts) if isinstance(p, ast.Slice)]
    axes += [(k, 0, 1) for k in range(len(parts), base.ndim)]
    return tuple(axes) if 0 < len(axes) <= len(LOOP_NAMES) else None


def _where(r, facts):
    """Which elements ``X[idx]`` (or ``X`` read whole) reads, comparable between
    two reads of ``X``: per axis its slice's ``(start, trim, step)`` or the index's
    expression (``("c", value)`` of a constant)."""
    if isinstance(r, ast.Name):
        return (("s", 0, 0, 1),) * facts.env[r.id].ndim
    parts = r.slice.elts if isinstance(r.slice, ast.Tuple) else [r.slice]
    out = [("s", *_cut(p)) if isinstance(p, ast.Slice) else
           ("c", int_of(p)) if int_of(p) is not None else ("i", ast.dump(p)) for p in parts]
    return tuple(out) + (("s", 0, 0, 1),) * (facts.env[r.value.id].ndim - len(parts))


class _Span:
    """A slice ``lo:hi`` of step 1 whose bounds are not both such constants
    (``V[lo + 1:hi + 1]``, ``x[:i]``, ``c[k:]``): where the row starts and how
    long it is are known only when the loop runs, NumPy's way (``slice_start``,
    ``slice_length``: a negative bound counts from the end, one past it is
    clipped).  Two spans are the same when their bounds are written alike:
    read at one place, the element loop's, they take the same elements."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi
        self.key = (ast.dump(lo) if lo is not None else None,
                    ast.dump(hi) if hi is not None else None)

    def __eq__(self, other):
        return isinstance(other, _Span) and self.key == other.key

    def __hash__(self):
        return hash(self.key)


def _cut(part):
    """``(start, trim, step)`` of a slice ``a:b:c`` a row may take: ``start`` its
    first element, ``trim`` how many of the axis it leaves out before taking
    every ``step``-th element.  The start is a constant at least 0 (or none),
    the stop a negative constant (or none), the step a positive constant (or
    none): ``u[1:-1]``, ``u[2:]``, ``u[:-2]``, ``u[1:-1:2]``, so that the row's
    length is ``ceil((n - trim) / step)`` whatever the axis' length ``n`` (a
    stop past the end, which NumPy would clip, cannot be written).  A slice of
    step 1 with other bounds is ``(span, span, 1)`` of its :class:`_Span`
    (whether its bounds are whole numbers: ``_span_ok``).  None for any other
    slice."""
    lo, hi = part.lower, part.upper
    start = 0 if lo is None else int_of(lo)
    stop = 0 if hi is None else int_of(hi)
    step = 1 if part.step is None else int_of(part.step)
    if step is None or step < 1:
        return None
    if start is None or start < 0 or stop is None or stop > 0 or stop == 0 and hi is not None:
        if step != 1:
            return None
        span = _Span(lo, hi)
        return span, span, 1
    return start, start - stop, step


def _span_ok(part, facts) -> bool:
    """The bounds of a :class:`_Span` are whole numbers: int constants, int
    scalars, and their sums, differences and products (``lo - 1``, ``n - i``)."""
    def whole(e):
        if e is None or isinstance(e, ast.Constant):
            return e is None or type(e.value) is int
        if isinstance(e, ast.Name):
            return _int_scalar(e.id, facts)
        if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub, ast.Mult)):
            return whole(e.left) and whole(e.right)
        return isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) and whole(e.operand)
    return whole(part.lower) and whole(part.upper)


def _moving(trim) -> bool:
    """A cut's trim that is a :class:`_Span`'s (known when the loop runs)."""
    return isinstance(trim, _Span)


def _int_scalar(name, facts):
    t = facts.env.get(name)
    return t is not None and t.kind == "int"


def _reduction_operands(s, facts):
    """The 1-d operands of ``r = np.sum(t)``, ``np.dot(t, u)``, ``t @ u``, or None."""
    if _kind(s) != "assign" or not isinstance(s.targets[0], ast.Name):
        return None
    v, prim = s.value, _prim(s.value)
    if prim[0] == "call" and not v.keywords and (
            id(prim[1]) in SUM_IDS and len(v.args) == 1 or
            id(prim[1]) in DOT_IDS and len(v.args) == 2):
        operands = list(v.args)
    elif prim == ("binop", "MatMult"):
        operands = [v.left, v.right]
    else:
        return None
    # (a sum of all elements of a block; a dot product of vectors only)
    if not all(isinstance(a, ast.Name) and (facts.vector(a.id) if len(operands) == 2
                                            else facts.block(a.id)) for a in operands):
        return None
    return [a.id for a in operands]


def _dot(s) -> bool:
    """``r = np.dot(t, u)`` or ``r = t @ u``."""
    prim = _prim(s.value)
    return prim == ("binop", "MatMult") or prim[0] == "call" and id(prim[1]) in DOT_IDS


def _stored_into(s):
    """The target ``A[idx]`` of a store or an augmented store (``A[idx] += t``)."""
    return s.targets[0] if _kind(s) == "store" else s.target


def _store_operands(s, facts):
    """``[t]`` of a store ``A[a:b] = t`` (``A[:] = t``, ``A[i, :] = t``, ``A[i] = t``)
    or an update ``A[i] += t`` (``-=``) of a vector ``t`` into a row of a float64
    array (a slice ``_cut`` takes), ``[]`` of a store of a number into a slice
    (``A[0, :] = 0.0``, a boundary), or None.  (Whether it may be written
    element by element: ``_store_safe``.)"""
    if _kind(s) not in ("store", "augstore"):
        return None
    number = isinstance(s.value, ast.Constant) and isinstance(s.value.value, (int, float)) \
        and not isinstance(s.value.value, bool) or \
        isinstance(s.value, ast.Name) and facts.scalar(s.value.id)
    if not number and not (isinstance(s.value, ast.Name) and facts.block(s.value.id)):
        return None
    target = _stored_into(s)
    if not isinstance(target, ast.Subscript):
        return None
    axes = _row_axes(target, facts)
    parts = target.slice.elts if isinstance(target.slice, ast.Tuple) else [target.slice]
    if axes is None or number and not any(isinstance(p, ast.Slice) for p in parts) or \
            not number and len(axes) != facts.env[s.value.id].ndim:
        return None
    return [] if number else [s.value.id]


def _row_of(v, facts):
    """``(base, axes)`` of the row ``X[idx]`` (``_row_axes``)."""
    return v.value.id, _row_axes(v, facts)


def _rolled(v, facts):
    """``(x, shift, axis)`` of ``np.roll(x, shift)``, ``x`` a float64 vector
    (axis 0), or of ``np.roll(x, shift, axis)`` of a float64 array of up to
    three axes, ``shift`` and ``axis`` constants (its elements move round
    along the axis: element ``j`` is ``x[(j - shift) % n]``, a periodic
    stencil's neighbour), else None."""
    parts = _roll_parts(v)
    if parts is None or parts[1] is None or not facts.block(parts[0]):
        return None
    x, shift, axis = parts
    if isinstance(shift, str) and (facts.env.get(shift) is None or
                                   facts.env[shift].kind != "int"):
        return None
    ndim = facts.env[x].ndim
    if axis is None and ndim != 1 or ndim > len(LOOP_NAMES) or \
            axis is not None and not -ndim <= axis < ndim:
        return None
    return x, shift, (axis or 0) % ndim


def _roll_parts(v):
    """``(x, shift, axis)`` as written in ``np.roll(x, shift[, axis])`` (``shift``
    a constant int or the name of a number, ``np.roll(phi, L)`` of a lattice
    stored flat; None where neither; ``axis`` None where not given), else None."""
    if not (isinstance(v, ast.Call) and _prim(v)[0] == "call" and id(_prim(v)[1]) == ROLL_ID
            and v.args and isinstance(v.args[0], ast.Name)):
        return None
    given = dict(zip(("a", "shift", "axis"), v.args)) | {k.arg: k.value for k in v.keywords}
    if len(v.args) + len(v.keywords) != len(given) or set(given) - {"a", "shift", "axis"} or \
            "shift" not in given or "axis" in given and int_of(given["axis"]) is None:
        return None
    shift = given["shift"].id if isinstance(given["shift"], ast.Name) else int_of(given["shift"])
    return v.args[0].id, shift, int_of(given["axis"]) if "axis" in given else None


def _whole(name, facts):
    """``(name, axes)`` of an array read whole, as a row."""
    return name, tuple((k, 0, 1) for k in range(facts.env[name].ndim))


def _uses_ok(t, k, stmts, defs, reductions, facts) -> bool:
    """Every statement reading ``t`` is a later temporary or reduction of the block."""
    inside = {id(stmts[j]): j for j in list(defs.values()) + list(reductions)
              if _rolled(getattr(stmts[j], "value", None), facts) is None}
    readers = facts.readers.get(t, set())
    # (a roll reads other elements than its own: the whole array, not an element)
    return bool(readers) and all(r in inside and inside[r] > k for r in readers)


def _chain(names, stmts, defs, facts) -> set:
    """Positions of the temporary definitions ``names`` need (transitively)."""
    out, todo = set(), [n for n in names if n in defs]
    while todo:
        k = defs[todo.pop()]
        if k not in out:
            out.add(k)
            todo.extend(n for n in _temporary_def(stmts[k], facts) if n in defs)
    return out


def _groups(stmts, defs, reductions, facts) -> list:
    """One group per reduction, merged with an earlier group it shares
    temporaries with unless it needs that group's results (a second pass
    over the row, as in ``d / np.sum(d)``: its own loop, after)."""
    # vectors computed in this loop body that stay array code (a matrix-vector
    # product): per-iteration values like rows, of length their own
    # (a name a swap binds holds an array it held before: not one computed here)
    local = {s.targets[0].id for s in stmts if _kind(s) == "assign" and id(s) not in facts.swaps
             and isinstance(s.targets[0], ast.Name) and facts.block(s.targets[0].id)} - set(defs)
    # a vector the body computes gives the loop its length only when it is a
    # matrix-vector product (``W @ h``: W.shape[0]); another (``np.max(v,
    # keepdims=True)``, a slice ``v[a:b]``) may be of length 1 and broadcast
    products = {s.targets[0].id for s in stmts if _kind(s) == "assign" and
                isinstance(s.targets[0], ast.Name) and _reduction_operands(s, facts) is None
                and (_prim(s.value) == ("binop", "MatMult") or
                     _prim(s.value)[0] == "call" and id(_prim(s.value)[1]) in DOT_IDS)}
    groups = []
    for r in reductions:
        stored = _store_operands(stmts[r], facts)
        chain = _chain(_reduction_operands(stmts[r], facts) or stored, stmts, defs, facts)
        if not chain and stored is None:
            continue                                   # a reduction of outside arrays only
        g = Group(members=sorted(chain | {r}))
        _describe(g, stmts, defs, local, facts)
        if any(n in local and n not in products and not _sized(n, facts) and
               not _carried(n, g, stmts) for n, *_ in g.rows):
            continue
        # (with every such group: two loops recomputing shared temporaries may
        # not be placed apart, one storing what the other reads)
        for other in list(groups):
            # (what the block computes from the other's sums after g's last member,
            # ``th -= d[0]`` for the next iteration, g does not read)
            if set(other.members) & set(g.members) and \
                    not (_derived(other.sums, stmts[:g.members[-1]]) & g.all_reads) and \
                    not _rolls_stored(g, other, stmts, facts):
                g = Group(members=sorted(set(other.members) | set(g.members)))
                _describe(g, stmts, defs, local, facts)
                groups.remove(other)
        groups.append(g)
    return groups


def _rolls_stored(g, other, stmts, facts) -> bool:
    """``g`` rolls an array ``other`` stores into (a Runge-Kutta stage's value,
    ``np.roll(x2, 1)`` of ``x2[:] = ...``): it needs all of it stored first, its
    own loop after, recomputing what they share."""
    stored = {_stored_into(stmts[k]).value.id for k in other.stores}
    return any((_rolled(getattr(stmts[k], "value", None), facts) or ("",))[0] in stored
               for k in g.members)


def _carried(name, g, stmts) -> bool:
    """The body binds ``name`` only after the group (``v = vn`` at the end of a
    time step): the group reads the array the iteration started with, a row of
    it like a parameter's (of a length checked against the loop's)."""
    return all(k > g.members[-1] for k, st in enumerate(stmts) if name in _binds(st))


def _sized(name, facts) -> bool:
    """An array the loop body binds whose every axis has a known length
    (``du = np.zeros_like(u)`` of a ``u`` as long as a parameter): its rows are
    rows of that length, like a parameter's."""
    keys = facts.lengths.get(name) or (None,)
    return None not in keys


def _derived(names, stmts) -> set:
    """``names`` and what the block computes from them (``r2 = s + c`` after the sum
    ``s``, then ``inv = 1.0 / r2``): a group reading any of them needs the results."""
    out = set(names)
    for s in _statements(stmts):
        if own_reads(s) & out:
            out.update(_binds(s))
    return out


def _describe(g, stmts, defs, local, facts):
    """Fill in what a group reads, binds and which rows it reads."""
    at = set(defs.values())
    g.temps = {stmts[k].targets[0].id for k in g.members if k in at}
    g.stores = [k for k in g.members
                if k not in at and _store_operands(stmts[k], facts) is not None]
    g.reductions = [k for k in g.members if k not in at and k not in g.stores]
    g.sums = {stmts[k].targets[0].id for k in g.reductions}
    g.rows = [_row_of(_stored_into(stmts[k]), facts) for k in g.stores]
    g.rows += [_row_of(stmts[k].value, facts) for k in g.members
               if k in at and _prim(stmts[k].value)[0] == "subscript"]
    g.rows += [_whole(_rolled(stmts[k].value, facts)[0], facts) for k in g.members
               if k in at and _rolled(stmts[k].value, facts) is not None]
    g.rows += [_whole(n, facts) for k in g.members for n in sorted(
        _temporary_def(stmts[k], facts) if k in at else
        _reduction_operands(stmts[k], facts) or _store_operands(stmts[k], facts)) if n in local]
    # (both operands of a dot product: NumPy takes vectors of one length only, no
    # broadcast; an argument's vector too, ``np.dot(h, xp[i:i + m])``, read at the
    # loop's index rather than at ``j * h_step``, which LLVM does not vectorize)
    dotted = {n for k in g.members if k not in at and _dot(stmts[k])
              for n in _reduction_operands(stmts[k], facts) or () if n not in local}
    g.rows += [_whole(n, facts) for n in sorted(dotted)]
    # (what a store writes, for ``_movable``: its array)
    g.results = {k: _stored_into(stmts[k]).value.id if k in g.stores else stmts[k].targets[0].id
                 for k in g.members}
    g.reads = {k: own_reads(stmts[k]) - g.temps for k in g.members}
    g.all_reads = set().union(*g.reads.values())
    # the rows are taken to be of one length (NumPy would raise otherwise, or broadcast
    # a row of one element); an array read whole may be a length-1 array NumPy
    # broadcasts: one not sure to be as long as the rows is read at ``j * w_step``,
    # ``w_step`` 0 where its axis has one element (``_Indices``).
    # The loop takes its length from a parameter's row or array, or an array bound
    # once, of that length when there is one (known before an outer loop: the
    # adjoint's tapes are then arrays), else from the first row
    _spread_rows(g, stmts, at, facts)
    first = g.rows[0] if g.rows else None
    read_whole = {n for k in g.members for n in _whole_reads(stmts[k], g, facts)} - \
        {r[0] for r in g.rows if r[0] in local} - set(g.spread) - dotted  # (W @ h: a row)
    g.unsure = {n for n in read_whole
                if first is None or not facts.same_length(_whole(n, facts), first)}
    # an operand given axes to broadcast, not sure to be as long as the others: NumPy's code
    g.shaped = any(r[0] in facts.shaped and not all(facts.same_length(r, o) for o in g.rows)
                   for r in g.rows) or any(n in facts.shaped for n in g.unsure)
    g.apart = any(_apart(a, b, facts) for k, a in enumerate(g.rows) for b in g.rows[k + 1:])
    sure = g.rows + [_whole(n, facts) for n in sorted(read_whole - g.unsure)]
    g.length = next((r for r in sure if r[0] in facts.params), None) or \
        _parameter_like(first, facts) or \
        next((r for r in sure if facts.assignments.get(r[0], 0) <= 1), first)
    # rows not known to be as long (``X[i] - C[a[i]]``; two spans of one array,
    # ``V[:k + 1] * V[1:k + 2]``): the loop's length is checked against theirs
    # (``equal_length``) before it runs
    seen = set()
    for r in g.rows:
        key = (r[0], tuple(tuple(a) for a in r[1]))
        # (a temporary is as long as the rows it is computed from, checked themselves)
        if key not in seen and r[0] not in g.temps and not facts.same_length(r, g.length):
            seen.add(key)
            g.unchecked.append(r)


def _spread_rows(g, stmts, at, facts) -> None:
    """Arrays read whole that broadcast into the loop's rows as NumPy does, known
    from their lengths' keys (``_spread``: a vector ``c`` in ``c * ux``, ``c[None,
    :]``): out of ``g.rows`` into ``g.spread``, read at the loops' indices of
    their own axes (0 along an axis of length 1).  Every temporary is then
    computed at the loops' element, which is its own element broadcast: sound
    where each has keys that broadcast into the loops' (``g.mixed`` otherwise),
    the sums and stores take temporaries of the loops' own keys, and no
    temporary of fewer axes reads a row (its index would not line up)."""
    whole = [r for r in g.rows if all(cut == (k, 0, 1) for k, cut in enumerate(r[1]))]
    full = max((len(r[1]) for r in g.rows), default=0)
    keys = [_row_keys(r, facts) for r in g.rows if len(r[1]) == full]
    ref = next((k for k in keys if k and None not in k and 1 not in k), None)
    names = {n for k in g.members for n in _whole_reads(stmts[k], g, facts)} | \
        {r[0] for r in whole}
    if ref is None:
        g.mixed = any(facts.env[n].ndim < full for n in names if facts.env.get(n) is not None)
        return
    for n in sorted(names):
        own = facts.lengths.get(n)
        spec = _spread(own, ref)
        if own is not None and tuple(own) != tuple(ref) and spec is not None:
            g.spread[n] = spec
            if n in facts.axis_views and facts.env.get(facts.axis_views[n][0]) is not None \
                    and _root_unchanged(n, facts.axis_views[n][0], g, stmts, facts):
                g.through[n] = facts.axis_views[n]
    g.rows = [r for r in g.rows if r[0] not in g.spread]
    temps = {stmts[k].targets[0].id: k for k in g.members if k in at}
    sums = [n for k in g.members if k not in at for n in own_reads(stmts[k]) if n in temps]
    g.mixed = any(
        _spread(facts.lengths.get(t), ref) is None and facts.env[t].ndim < full or
        facts.env[t].ndim < full and _prim(stmts[k].value)[0] == "subscript" or
        facts.env[t].ndim < full and _rolled(stmts[k].value, facts) is not None
        for t, k in temps.items()) or \
        any(tuple(facts.lengths.get(t) or ()) != tuple(ref) and facts.env[t].ndim < full or
            1 in (facts.lengths.get(t) or ()) for t in sums) or \
        any(facts.env[n].ndim < full for n in names - set(g.spread)
            if facts.env.get(n) is not None)


def _root_unchanged(view, root, g, stmts, facts) -> bool:
    """``root`` holds the array ``view`` views where the group's loop runs: no
    statement binds it between the view's statements (``_t1 = y[:]``, ``yb =
    np.expand_dims(_t1, 1)``) and the loop (``yb = y[:, None]; y = W @ x`` reads
    the old ``y`` through ``yb``); a view made outside the block: of a parameter
    never bound."""
    made = [k for k, st in enumerate(stmts)
            if {view, *(m for m, x in facts.viewed.items() if x == root)} & set(_binds(st))
            and k not in g.members]
    at = [k for k, st in enumerate(stmts) if view in _binds(st)]
    if not at:
        return root in facts.params and facts.assignments.get(root, 0) == 0
    start = min(made + at)
    return not any(root in _binds(st) for k in range(start + 1, g.at()) if k not in g.members
                   for st in _statements([stmts[k]]))


def _row_keys(row, facts):
    """The keys of a row's lengths, one per loop axis (an axis cut by a slice of
    step 1: its key less what the slice leaves out, ``U[1:-1, :]`` of an ``(n,
    m)`` array: ``n - 2`` and ``m``); None where one is not known."""
    base, axes = row
    keys = facts.lengths.get(base) or ()
    out = []
    for k, trim, step in axes:
        if step != 1 or k >= len(keys) or keys[k] is None or _moving(trim):
            return None
        out.append(grown_key(keys[k], -trim))
    return tuple(out)


def _apart(row, other, facts) -> bool:
    """Rows sure to be of different lengths along some axis: of one axis (of
    one array, or of arrays known to be as long) cut by different slices of
    step 1 (``u[2:]`` and ``u[:-1]``; ``v[0:]`` and ``u[1:]`` of a ``v`` as long
    as ``u``).  NumPy broadcasts them where one is of length 1 and raises
    otherwise; an element loop would read past the end of the shorter."""
    (a, a_axes), (b, b_axes) = row, other
    keys_a, keys_b = facts.lengths.get(a) or (), facts.lengths.get(b) or ()
    if len(a_axes) != len(b_axes):
        return False
    for (ka, ta, sa), (kb, tb, sb) in zip(a_axes, b_axes):
        la = keys_a[ka] if ka < len(keys_a) else None
        lb = keys_b[kb] if kb < len(keys_b) else None
        one_axis = a == b and ka == kb or la is not None and la == lb
        if one_axis and sa == sb == 1 and ta != tb and not (_moving(ta) or _moving(tb)):
            return True
    return False


def _parameter_like(row, facts):
    """A parameter's row of the same lengths as ``row`` (``shapes.axis_lengths``:
    ``u0`` for ``un`` swapped with ``u = u0.copy()``), or None."""
    if row is None:
        return None
    base, axes = row
    keys = facts.lengths.get(base) or ()
    wanted = [keys[a] if a < len(keys) else None for a, *_ in axes]
    if None in wanted:
        return None
    for p in sorted(facts.params):
        if facts.env.get(p) is None or not facts.env[p].is_array:
            continue        # (a whole number's key is its value: ``np.zeros(ng)``)
        have = facts.lengths.get(p) or ()
        found = [have.index(k) if k in have else None for k in wanted]
        if None not in found:
            return p, tuple((a, *cut) for a, (_, *cut) in zip(found, axes))
    return None


def _settle(groups, stmts, facts) -> list:
    """The groups whose element loops can take the place of their last
    reduction; a group dropped drops those sharing a temporary with it
    (its array code still needs them)."""
    kept = list(groups)
    while True:
        for g in kept:
            g.first = not _movable(g, kept, stmts, facts) and _movable_up(g, kept, stmts)
        bad = [g for g in kept if not _lowerable(g) or not (
            g.first or _movable(g, kept, stmts, facts)) or not _store_safe(g, stmts, facts)]
        # (and a group whose temporary a statement left as array code reads: a
        # store no group took, ``u[1:-1] = t + e`` of a ``t`` the sum before made)
        members = {k for g in kept for k in g.members}
        left = set().union(*(own_reads(st) for k, st in enumerate(stmts) if k not in members))
        bad += [g for g in kept if g.temps & left and g not in bad]
        if not bad:
            return kept
        gone = set().union(*(g.temps for g in bad))
        kept = [g for g in kept if g not in bad and not g.temps & gone]


def _lowerable(g) -> bool:
    """It reads a row, its reductions bind distinct names, it needs none of
    its own results, no operand given axes to broadcast may be of other
    lengths than the rows (``g.shaped``: NumPy broadcasts ``x[:, None] -
    y[None, :]``, the loops would take its rows to be of one length), and no
    two of its rows are sure to differ in length (``_apart``).  Rows taking every other element are lowered only
    where all rows cut their axes alike (``u[1:-1:2]`` with ``u[2::2]``):
    ``x[::2]`` and ``x[1::2]`` are of one length only for an even length, and
    NumPy raises for the others, where an element loop would read past the
    end of the shorter."""
    if g.shaped or g.mixed:
        return False
    strided = any(cut[2] > 1 for _, axes in g.rows for cut in axes)
    if strided and len({tuple(cut[1:] for cut in axes) for _, axes in g.rows}) > 1:
        return False
    return bool(g.rows) and len(g.sums) == len(g.reductions) and not g.sums & g.all_reads \
        and not g.apart


def _whole_reads(s, g, facts) -> set:
    """The arrays a member reads whole (element by element once lowered)."""
    if _prim(getattr(s, "value", None))[0] == "subscript" or \
            _rolled(getattr(s, "value", None), facts) is not None:
        return set()
    return {n.id for n in nodes(s.value) if isinstance(n, ast.Name)
            and n.id not in g.temps and (facts.block(n.id) or facts.mask(n.id))}


def _store_safe(g, stmts, facts) -> bool:
    """A group's stores may go element by element: NumPy computes the whole
    right-hand side before it stores, the element loop stores element ``j``
    before it reads element ``j + 1``.  So each store's array ``A`` must be one
    no other name shares (``_fresh_arrays``: a local every binding of which
    makes a new array, or swaps), the group must read ``A`` only at the
    elements it stores (the same slice: ``un[:] = np.maximum(un, p)``, not
    ``u[1:-1] = u[2:] + u[:-2]``), and every other array it reads must be a
    parameter, another such local, or a view bound once of a parameter or of
    such a local bound once (``s = sig[1:-1]``; a view of a swapped array may
    hold ``A``'s buffer after a swap)."""
    if not g.stores:
        return True
    targets = {}
    for k in g.stores:
        t = _stored_into(stmts[k])
        targets.setdefault(t.value.id, set()).add(_where(t, facts))
    if any(not facts.fresh(a) or len(sl) > 1 and not _accumulated(g, stmts, a)
           for a, sl in targets.items()):
        return False
    params = facts.params
    # arrays allocated in this body before the group and not mentioned since:
    # no other name can hold their buffer yet, whatever the others are
    new = _new_here(targets, g, stmts)
    for k in g.members:
        s = stmts[k]
        if k in g.stores:
            reads = [s.value] if isinstance(s.value, ast.Name) and s.value.id not in g.temps \
                else []
        elif _rolled(s.value, facts) is not None:
            if _rolled(s.value, facts)[0] in targets:
                return False        # (it reads other elements than the one stored)
            reads = [s.value.args[0]]
        elif _prim(s.value)[0] == "subscript":
            reads = [s.value]
        else:
            reads = [a for a in nodes(s.value) if isinstance(a, ast.Name)]
        for r in reads:
            if isinstance(r, ast.Name) and (r.id in g.temps or not facts.block(r.id)):
                continue
            # a row X[idx], or an array read whole
            base, index = (r.value.id if isinstance(r, ast.Subscript) else r.id), _where(r, facts)
            if base in targets:
                # (a row read before the group's first store, ahead of the row it
                # stores: each element read before its store, ``_ahead``)
                if targets[base] != {index} and \
                        not all(_disjoint(index, w) or _beside(index, w) or
                                k < min(g.stores) and _ahead(index, w)
                                for w in targets[base]):
                    return False
            elif facts.viewed.get(base) in targets and isinstance(r, ast.Name):
                # a view of the array stored into, read whole: read in that array
                # where it views the very elements stored (``row = R[i]``, ``R[i]
                # = np.exp(row - lse)``: element j read before it is stored)
                value = _views_the_stored(base, targets, g, stmts, facts)
                if value is None:
                    return False
                g.read_through[base] = value
            elif base not in params and not facts.fresh(base) and \
                    facts.viewed.get(base) not in (params | facts.steady) - set(targets) and \
                    not (base in facts.origins and not facts.origins[base] & set(targets)) and \
                    not set(targets) <= new:
                return False
    return True


def _views_the_stored(view, targets, g, stmts, facts):
    """``A[idx]`` where ``view`` is bound in ``stmts`` before the group, once, to
    it, and the group stores into ``A`` only at ``A[idx]`` (the same index, no
    name of it bound in between): reading the view reads the elements stored,
    each before it is stored.  Else None."""
    at = [k for k, st in enumerate(stmts) if view in _binds(st)]
    if len(at) != 1 or at[0] >= g.members[0] or facts.assignments.get(view) != 1:
        return None
    value = stmts[at[0]].value
    if _prim(value)[0] != "subscript" or not isinstance(value.value, ast.Name) or \
            value.value.id not in targets or _row_axes(value, facts) is None or \
            len(_row_axes(value, facts)) != facts.env[view].ndim:
        return None
    names = {n.id for n in nodes(value.slice) if isinstance(n, ast.Name)}
    if any(set(_binds(st)) & names for st in _statements(stmts[at[0] + 1:g.at() + 1])):
        return None
    return value if targets[value.value.id] == {_where(value, facts)} else None


def _new_here(targets, g, stmts) -> set:
    """The arrays of ``targets`` the block binds to a new array before the
    group's loop (``un = np.empty(n)`` at the top of a time step; ``u_new =
    u.copy()`` among the members: ``_movable`` keeps the members before it
    from reading the ``u_new`` it re-binds), no statement mentioning them in
    between but the group's own:
    their buffers are their own when the group stores into them (``u = un``
    comes after)."""
    out = set()
    for a in targets:
        at = next((k for k in range(g.at() - 1, -1, -1)
                   if k not in g.members and a in _binds(stmts[k])), None)
        if at is None or not (_kind(stmts[at]) == "assign" and _makes_array(stmts[at].value)):
            continue
        if not any(a in own_reads(st) or a in _binds(st)
                   for k in range(at + 1, g.members[-1]) if k not in g.members
                   for st in _statements([stmts[k]])):
            out.add(a)
    return out


def _accumulated(g, stmts, name) -> bool:
    """Every store of the group into ``name`` adds or subtracts (``du[:, :-1] +=
    fx``, ``du[:, 1:] -= fx``): stores into overlapping slices may then go
    element by element in one loop, each element getting the same terms (in
    another order), as long as nothing else in the group reads ``name``."""
    return all(_kind(stmts[k]) == "augstore" for k in g.stores
               if _stored_into(stmts[k]).value.id == name)


def _disjoint(a, b) -> bool:
    """Two reads of one array (``_where``) sure to share no element: along
    some axis, slices of one step taking every other element from starts of
    another remainder (red-black ``u[1:-1:2]`` and ``u[2::2]``), or indices
    that are different constants of one sign (``u[0, :]`` and ``u[1, :]``)."""
    for x, y in zip(a, b):
        if x[0] == y[0] == "s" and x[3] == y[3] > 1 and x[1] % x[3] != y[1] % y[3]:
            return True
        if x[0] == y[0] == "c" and x[1] != y[1] and (x[1] < 0) == (y[1] < 0):
            return True
    return False


def _movable(g, kept, stmts, facts) -> bool:
    """Between the group's first member and its loop, no statement (nor another
    group's loop) reads the results of earlier members or writes what they
    read, and no statement writes into any array (it may alias a row)."""
    loops = {h.at(): h for h in kept if h is not g}
    moved = {k for h in kept for k in h.members}
    made = set()        # arrays made since the first member (``np.concatenate``'s),
    sunk, sunk_binds, sunk_reads = [], set(), set()  # stored into and read by no one yet
    for m in range(g.members[0], g.members[-1]):
        if m not in g.members and _kind(stmts[m]) == "assign" and \
                _makes_array(stmts[m].value):
            made |= set(_binds(stmts[m]))
        elif m not in g.members and _kind(stmts[m]) not in ("store", "augstore"):
            made -= own_reads(stmts[m])
        if m in g.members or m in moved and m not in loops:
            continue
        results = {g.results[k] for k in g.members if k < m}
        reads = set().union(*(g.reads[k] for k in g.members if k < m))
        if m in loops:
            # another group's loop runs here: it must not read what this group's
            # earlier members give, nor change what they read (its sums, or an
            # array it stores into: ``d = 3.0 * v`` before ``v[:] = v + 1.0``)
            h = loops[m]
            stored = {_stored_into(stmts[k]).value.id for k in h.stores}
            if h.all_reads & results or (h.sums | stored) & reads or sunk:
                return False
            continue
        st = stmts[m]
        if _passable(st, results, reads, made - g.all_reads) and \
                not own_reads(st) & sunk_binds and not set(_binds(st)) & (sunk_binds | sunk_reads):
            continue
        if not _sinkable(st, m, g, facts) or any(
                h is not g and h.members[0] < m < h.members[-1] for h in kept):
            return False        # (one group's loop only runs a statement after it)
        sunk.append(m)
        sunk_binds |= set(_binds(st))
        if _kind(st) == "store":        # (what reads the array there reads it after)
            sunk_binds.add(st.targets[0].value.id)
        sunk_reads |= own_reads(st)
    g.sunk = sunk
    return True


def _sinkable(st, m, g, facts) -> bool:
    """``st`` (at ``m``, between the group's members) binds a number from
    numbers (``A_00 = _t34``, an earlier member's sum, with the small matrix
    ``A`` as numbers) or stores one into an element of a local array no
    other name holds and no member reads (``out[i, 0] = _t5``): it may run
    after the group's loop, where the sums are complete, since no later
    member reads what it binds, and it reads no temporary of the group
    (numbers of an element, inside the loop) nor what a later member binds.
    (The statements the loop then moves past must not read what it binds
    nor bind what it reads: ``_movable``.)"""
    if not isinstance(st, ast.Assign) or \
            not all(isinstance(n, (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.operator,
                                   ast.unaryop, ast.expr_context, ast.Tuple))
                    for n in nodes(st.value)):
        return False
    target = st.targets[0]
    later = [k for k in g.members if k > m]
    later_binds = {g.results[k] for k in later}
    if _kind(st) == "store" and isinstance(target, ast.Subscript) and \
            isinstance(target.value, ast.Name) and \
            not isinstance(target.slice, ast.Slice) and \
            all(isinstance(n, (ast.Name, ast.Constant, ast.Tuple, ast.expr_context))
                for n in nodes(target.slice)):
        a = target.value.id
        if not facts.fresh(a) or a in g.all_reads:
            return False
        # (the element stored: whole numbers no member binds)
        return not own_reads(st) & (g.temps | later_binds) and \
            not {n.id for n in nodes(target.slice) if isinstance(n, ast.Name)} & \
            set(g.results.values())
    if _kind(st) != "assign" or not isinstance(target, ast.Name):
        return False
    later_reads = set().union(*(g.reads[k] for k in later)) if later else set()
    return target.id not in later_reads | set(g.results.values()) | g.temps and \
        not own_reads(st) & (g.temps | later_binds)


def _passable(stmt, results, reads, own=frozenset()) -> bool:
    """A group's loop may move past ``stmt``: it reads none of ``results``,
    binds none of ``reads`` and writes into no array (it may alias a row)
    but those of ``own``, made since the group's first member and read by
    none of its members (the parts copied into a concatenation)."""
    for s in _statements([stmt]):
        if own_reads(s) & results or set(_binds(s)) & reads:
            return False
        if _kind(s) in ("store", "augstore") and \
                getattr(_stored_into(s), "value", None) is not None and \
                isinstance(_stored_into(s).value, ast.Name) and _stored_into(s).value.id in own:
            continue
        if _kind(s) in ("store", "augstore", "unpack", "push") or \
                _prim(getattr(s, "value", None))[0] == "user":
            return False
    return True


def _movable_up(g, kept, stmts) -> bool:
    """The group's loop may run at its first member instead: a time step's
    second update (``dv = ...(u)...; u = u + dt * du; v = v + dt * dv``)
    reads the ``u`` the first rebinds after it.  Between the first member and
    the last, no statement (nor another group's loop) reads what the group
    computes or stores into, binds what a later member reads, or writes into
    any array; the rebinding of a new buffer (``v = _v_new``) stays where it
    was, after them."""
    loops = {h.at(): h for h in kept if h is not g}
    moved = {k for h in kept for k in h.members}
    lifted = []
    for m in range(g.members[0] + 1, g.members[-1]):
        if m in g.members or m in moved and m not in loops:
            continue
        # (what members before ``m`` give, ``m`` reads as before: the rebinding
        # ``u = _u_new`` of a buffer the group filled)
        results = {g.results[k] for k in g.members if k > m} | \
            {_stored_into(stmts[k]).value.id for k in g.stores if k > m}
        # (a view bound before ``m``, ``mid = x[1:-1]``, is read where it is used,
        # after: what it views must not change in between either)
        later = set().union(*(g.reads[k] for k in g.members
                              if k > m or _prim(stmts[k].value)[0] == "subscript"))
        if m in loops:
            h = loops[m]
            stored = {_stored_into(stmts[k]).value.id for k in h.stores}
            if h.all_reads & results or (h.sums | stored | set(h.results.values())) & later:
                return False
            continue
        if not _passable(stmts[m], results, later):
            if not _liftable(m, g.members[0], stmts, results):
                return False
            lifted.append(m)
    g.lifted = lifted
    return True


def _liftable(m, first, stmts, results) -> bool:
    """``stmts[m]`` binds a number by arithmetic of numbers (``c = F + k``) that
    nothing from ``first`` on reads or binds before it, from names nothing
    there binds: it may run before ``first``, where a group's loop that
    reads it runs."""
    s = stmts[m]
    if _kind(s) != "assign" or not isinstance(s.targets[0], ast.Name) or \
            not all(isinstance(n, (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.operator,
                                   ast.unaryop, ast.expr_context)) for n in nodes(s.value)):
        return False
    target, reads = s.targets[0].id, own_reads(s)
    if reads & results:
        return False
    for st in _statements(stmts[first:m]):
        if set(_binds(st)) & (reads | {target}) or target in own_reads(st):
            return False
    return True


# -- temporaries used whole: computed into a buffer by an element loop -------
@dataclass
class _Buffer:
    """``y = E`` of a temporary ``y`` a statement reads whole (``f(y)``, a
    function of the user's) taken as ``y = np.empty_like(w)``, ``_ty = E``,
    ``y[:] = _ty``: the store is a group like any other, so ``E`` and the
    temporaries it reads are one element loop writing into ``y`` (one
    allocation per iteration where the array code had one per operation)."""
    name: str
    temp: str                  # the name E is bound to now
    define: ast.stmt           # E's statement (its target renamed to ``temp``)
    alloc: ast.stmt | None     # (None: ``y`` is stored into in place, _carry_in_place)
    store: ast.stmt
    shape_of: str              # ``w``: an array read whole, of y's shape
    position: int
    lengths: tuple             # y's axes' lengths before (``shapes.axis_lengths``)
    kind: str = "assign"       # the statement's kind before
    # a rebinding ``x = E`` into a new buffer (``_carry_in_place``): ``x``, the
    # allocation at the top of the block, and ``x = _x_new`` after the store
    rebound: str | None = None
    move: ast.stmt | None = None
    # where the allocation goes: before the first of the temporaries E is made
    # of (then the array stored into is made before the whole group, and the
    # store is element by element whatever else the group reads: _store_safe)
    alloc_at: int | None = None
    # ``_fh_shape = hu[1:]``: a view of y's shape the allocation reads, of its own (the
    # slice the value reads is read element by element, at its root)
    shape_view: ast.stmt | None = None
    # the sums over y that read ``temp`` instead (``_read_after_its_sum``)
    summed: list = field(default_factory=list)

    def undo(self, facts):
        for r in self.summed:
            r.value.args[0].id = self.name
            facts.readers.setdefault(self.name, set()).add(id(r))
        if self.shape_view is not None:
            view = self.shape_view.targets[0].id
            for table in (facts.env, facts.lengths, facts.assignments, facts.readers):
                table.pop(view, None)
        self.define.targets[0].id = self.rebound or self.name
        ir.KIND.set(self.define, self.kind)
        facts.lengths[self.name] = self.lengths
        if self.rebound is not None:
            facts.fresh_arrays.discard(self.name)
            facts.assignments.pop(self.name, None)
            facts.readers.pop(self.name, None)
            facts.readers.get(self.rebound, set()).discard(id(self.alloc))
        facts.assignments.pop(self.temp, None)
        facts.readers.pop(self.temp, None)
        facts.readers.get(self.shape_of, set()).discard(
            id(self.store) if self.alloc is None else id(self.alloc))


def _materialize(stmts, facts, env, used_names, made) -> dict:
    """The temporaries of ``stmts`` (a loop body) read whole by a statement no
    element loop can take, whose value is elementwise arithmetic reaching an
    array ``w`` read whole whose axes' lengths are known (``shapes.axis_lengths``):
    rewritten as :class:`_Buffer` says (the statements are changed in place;
    ``_with_buffers`` gives the block, ``_Buffer.undo`` takes it back).  Whether
    each is kept is decided once the groups are known (``_buffer_filled``)."""
    defs = {}
    for k, st in enumerate(stmts):
        if _temporary_def(st, facts) is not None:
            defs[st.targets[0].id] = k
    ends = {k for k, st in enumerate(stmts) if _reduction_operands(st, facts) is not None or
            _store_operands(st, facts) is not None}
    for y, k in defs.items():
        st = stmts[k]
        if y in {m.name for m in made.values()} | {m.temp for m in made.values()} or \
                _prim(st.value)[0] == "subscript" or \
                _uses_ok(y, k, stmts, defs, ends, facts) and not _read_after_its_sum(y, k, stmts):
            continue
        w = _shape_source(y, stmts, defs, facts)
        if w is None or not set(_temporary_def(st, facts)) & set(defs):
            continue        # (one operation on arrays: as fast as array code)
        if any(_product(r) and y in own_reads(r) for r in stmts):
            continue        # (``X.T @ y``: its reverse reads y whole, which would be
            #                  stored whole as well as element by element)
        temp = _fresh(f"_{y.lstrip('_')}_value", used_names)
        line = _line(st)
        shape_view, roots = None, {w}
        if w in defs:
            # a slice of y's shape (``hu[1:]`` of a flux): the allocation reads a copy
            # of the view of its own, so that the loop reads the slice at its root
            view = _fresh(f"_{y.lstrip('_')}_shape", used_names)
            shape_view = _assign(view, copy.deepcopy(stmts[defs[w]].value), "assign", line)
            env[view], facts.lengths[view] = env[w], facts.lengths.get(w)
            facts.assignments[view] = 1
            roots = own_reads(shape_view)
            w = view
        call = _marked(ast.Call(func=ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()),
                                                   attr="empty_like", ctx=ast.Load()),
                                args=[ast.Name(id=w, ctx=ast.Load())], keywords=[]),
                       ("call", np.empty_like))
        alloc = _assign(y, call, "assign", line)
        target = ast.Subscript(value=ast.Name(id=y, ctx=ast.Load()),
                               slice=ast.Slice(), ctx=ast.Store())
        store = _made(ast.Assign(targets=[target], value=ast.Name(id=temp, ctx=ast.Load())),
                      "store", line)
        st.targets[0].id = temp
        env[temp] = env[y]
        facts.assignments[temp] = 1
        facts.readers[temp] = {id(store)}
        facts.readers.setdefault(w, set()).add(id(alloc))
        # (not where y is mentioned in between, nor w (or the array its view reads)
        # bound: the allocation reads it)
        first = _first_of_chain(y, stmts, defs, facts)
        early = not any(_mentions(y, x) or any(_rebinds(r, x) for r in roots)
                        for x in stmts[first:k])
        made[y] = _Buffer(y, temp, st, alloc, store, w, k, facts.lengths.get(y),
                          alloc_at=first if early else None, shape_view=shape_view)
        facts.lengths[y] = facts.lengths[w]
        if _read_after_its_sum(y, k, stmts):
            # the sum adds the values as they are made (one loop makes, stores and
            # sums them; the one after it reads them back)
            for r in stmts[k + 1:]:
                if _kind(r) == "assign" and _prim(r.value)[0] == "call" and \
                        id(_prim(r.value)[1]) in SUM_IDS and len(r.value.args) == 1 and \
                        isinstance(r.value.args[0], ast.Name) and r.value.args[0].id == y:
                    r.value.args[0].id = temp
                    facts.readers.get(y, set()).discard(id(r))
                    facts.readers[temp].add(id(r))
                    made[y].summed.append(r)
    return made


def _read_after_its_sum(y, k, stmts) -> bool:
    """``y`` (bound at ``k``) is made by a costly function (``is_costly``: exp,
    log, sin ..., tens of additions per element) and read by a statement that
    also reads what a reduction over ``y`` gives: the loop that reads it again
    would have to run after the one summing it, recomputing ``y`` (a softmax's
    ``e = np.exp(row - mx)`` in ``p = e / np.sum(e)``); it is stored in a row
    buffer instead."""
    if not is_costly(stmts[k].value):
        return False
    readers = [st for st in stmts[k + 1:] if y in own_reads(st)]
    summing = [st for st in readers if _kind(st) == "assign" and
               isinstance(st.targets[0], ast.Name) and _prim(st.value)[0] == "call" and
               id(_prim(st.value)[1]) in SUM_IDS]
    if not summing:
        return False
    after = _derived({st.targets[0].id for st in summing}, stmts)
    return any(own_reads(st) & after for st in readers if st not in summing)


@dataclass
class _Snapshot:
    """``A[s] = y`` of a temporary ``y`` computed from other elements of ``A``
    (a fixed-boundary stencil's ``u[1:-1, 1:-1] = un`` with ``un`` reading
    ``u[:-2, 1:-1]``): NumPy computes all of ``y`` before it stores, an element
    loop would read elements it already stored.  The temporaries read a copy
    taken before the first of them, ``_u_old = u.copy()``, so the store goes
    element by element (one copy of ``A`` per iteration where the array code
    made a temporary per operation).  The same values: nothing writes into
    ``A`` between the copy and the store."""
    name: str                  # the copy's name
    array: str                 # A
    stmt: ast.stmt             # name = A.copy()
    position: int              # before which statement of the block
    renamed: list              # (statement, Name) whose read of A now reads the copy
    store: ast.stmt

    def undo(self, facts):
        for st, n in self.renamed:
            n.id = self.array
            facts.readers.setdefault(self.array, set()).add(id(st))
        facts.readers.get(self.array, set()).discard(id(self.stmt))
        for table in (facts.assignments, facts.readers, facts.lengths):
            table.pop(self.name, None)
        facts.fresh_arrays.discard(self.name)


def _snapshots(stmts, facts, env, used_names) -> list:
    """The :class:`_Snapshot` of each store of ``stmts`` (a loop body) of a
    temporary computed from other elements of the array stored into, a local
    no other name shares; the statements are changed in place (``undo``)."""
    defs = {st.targets[0].id: k for k, st in enumerate(stmts)
            if _temporary_def(st, facts) is not None}
    out, taken = [], set()
    for k, st in enumerate(stmts):
        operands = _store_operands(st, facts)
        target = _stored_into(st) if operands else None
        if not operands or not isinstance(target.value, ast.Name):
            continue
        a = target.value.id
        if a in taken or a in facts.params or not facts.fresh(a) or not facts.block(a):
            continue
        chain = sorted(_chain(operands, stmts, defs, facts))
        reads = [(j, n) for j in chain for n in nodes(stmts[j].value)
                 if isinstance(n, ast.Name) and n.id == a]
        stored = _where(target, facts)
        if not reads or all(_read_where(stmts[j].value, n, facts) in (stored, )
                            or _ahead(_read_where(stmts[j].value, n, facts), stored)
                            or _beside(_read_where(stmts[j].value, n, facts), stored)
                            for j, n in reads):
            continue            # (only the elements stored, or ahead of them: as it is)
        first = reads[0][0]
        if any(_mentions(a, x) for j, x in enumerate(stmts[first:k], first) if j not in chain):
            continue
        # (a view, ``mid = u[1:-1]``, read after the store or in the next iteration
        # shows the stored values: of the array, not of the copy)
        views = {stmts[j].targets[0].id for j, _ in reads
                 if _prim(stmts[j].value)[0] == "subscript"}
        if any(_mentions(t, x) for t in views for j, x in enumerate(stmts)
               if j > k or j < chain[0]):
            continue
        name = _fresh(f"_{a.lstrip('_')}_old", used_names)
        copy = _marked(ast.Call(func=ast.Attribute(value=ast.Name(id=a, ctx=ast.Load()),
                                                   attr="copy", ctx=ast.Load()),
                                args=[], keywords=[]), ("method", "copy"))
        snap = _assign(name, copy, "assign", _line(stmts[first]))
        renamed = [(stmts[j], n) for j, n in reads]
        for x, n in renamed:
            n.id = name
            facts.readers.get(a, set()).discard(id(x))
            facts.readers.setdefault(name, set()).add(id(x))
        facts.readers.setdefault(a, set()).add(id(snap))
        env[name] = env[a]
        facts.assignments[name] = 1
        facts.lengths[name] = facts.lengths.get(a)
        facts.fresh_arrays.add(name)
        taken.add(a)
        out.append(_Snapshot(name, a, snap, first, renamed, st))
    return out


def _ahead(read, stored) -> bool:
    """A row of a vector read no earlier than the row stored into starts
    (``V[1:k + 2]`` and ``V[:k + 1]``, both of step 1): step ``j`` of the element
    loop reads an element that step ``j`` or a later one stores, after its read,
    so every read finds the value from before the store (a binomial tree's
    level rolled back in place: no copy of the vector per level)."""
    if read is None or len(read) != 1 or len(stored) != 1:
        return False
    (r,), (w,) = read, stored
    if r[0] != "s" or w[0] != "s" or r[3] != 1 or w[3] != 1:
        return False
    lo_r, lo_w = _first(r[1]), _first(w[1])
    return lo_r is not None and lo_w is not None and lo_r >= lo_w


def _beside(read, stored) -> bool:
    """A read that takes the slices the store takes, axis by axis, and fixed
    indices where the store has fixed indices (``u[1, :]`` into ``u[0, :]``, a
    ghost row copied from its neighbour): step ``k`` of the element loop reads
    and writes elements at the same place ``k`` along the sliced axes, so no
    element is read after a step stored it, whichever rows the indices name
    (no copy of the whole grid per ghost row)."""
    if read is None or len(read) != len(stored) or all(w[0] != "s" for w in stored):
        return False
    return all(r == w if "s" in (r[0], w[0]) else True for r, w in zip(read, stored))


def _first(start):
    """The first element a row's start (``_cut``'s) takes, where it is a
    constant at least 0 (a span's lower bound left out: 0); else None."""
    if isinstance(start, _Span):
        if start.lo is None:
            return 0
        value = int_of(start.lo)
        return value if value is not None and value >= 0 else None
    return start


def _read_where(value, n, facts):
    """Which elements of its array the read ``n`` (a name in ``value``) reads
    (``_where``); None for a roll's (others than its own)."""
    if _rolled(value, facts) is not None:
        return None
    if isinstance(value, ast.Subscript) and value.value is n:
        return _where(value, facts)
    return _where(n, facts)


def _with_snapshots(stmts, snaps) -> list:
    at: dict = {}
    for m in snaps:
        at.setdefault(m.position, []).append(m.stmt)
    return [x for k, st in enumerate(stmts) for x in at.get(k, []) + [st]]


def _first_of_chain(y, stmts, defs, facts) -> int:
    """The position of the first of the temporaries ``y``'s value is computed
    from (through the temporaries they read), ``y``'s own if none."""
    seen, todo, first = set(), [y], defs[y]
    while todo:
        t = todo.pop()
        if t in seen:
            continue
        seen.add(t)
        first = min(first, defs[t])
        todo += [n for n in _temporary_def(stmts[defs[t]], facts) or () if n in defs]
    return first


def _mentions(name, st) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in nodes(st))


def _rebinds(name, st) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
               for n in nodes(st))


def _carry_in_place(stmts, facts, env, used_names, made) -> dict:
    """The rebindings ``x = E`` of ``stmts`` (a loop body) of a local ``x`` of
    ``facts.own`` (its buffer is its own; a time step's ``gdd = gdd + dd``,
    ``lai = np.maximum(lai + dlai, 0.05)``) to elementwise arithmetic of the
    lengths of ``x``: rewritten, like a :class:`_Buffer` (with no allocation),
    as ``_x_value = E`` and ``x[:] = _x_value``, so that ``E`` is an element
    loop storing into the array ``x`` holds, where the array code allocated
    a new one each step (kept only where that loop is taken:
    ``_buffer_filled``).  The same values: nothing else holds or views that
    array where the store changes it."""
    rolls = {}                      # array -> the first statement rolling it
    for k, st in enumerate(stmts):
        r = _rolled(st.value, facts) if isinstance(st, ast.Assign) else None
        if r is not None:
            rolls.setdefault(r[0], k)
    for k, st in enumerate(stmts):
        kind = _kind(st)
        if kind not in ("assign", "accumulate") or not isinstance(st, ast.Assign) or \
                not isinstance(st.targets[0], ast.Name):
            continue
        x = st.targets[0].id
        if facts.homes.get(x) == id(st):
            continue            # (the binding that makes the buffer the loops store into)
        # (a step that rolls x reads other elements of it than the one it would
        # store: a new array then, as NumPy makes)
        rolled = x in rolls and rolls[x] < k
        # (``x += e`` writes into x's array, which another name may see: not a new one;
        # but a new one where no other name may hold x's (``u -= dt * c * ux`` after
        # rolls of u: the rolls read it whole before the update, as NumPy computes them))
        in_place = (ir.AUGMENTED(st) or ir.AUGMENTED(st.value)) and \
            not (rolled and x in facts.fresh_arrays and _buffer_kept(x, facts))
        anew = (x not in facts.own or rolled) and not in_place and \
            (x in facts.fresh_arrays or x in facts.renewable) and \
            x in facts.top_bound and facts.assignments.get(x, 0) > 1
        if not (x in facts.own or anew) or not facts.block(x) or not _sized(x, facts) or \
                _prim(st.value)[0] in ("subscript", "const") or \
                _prim(st.value)[0] == "copy" and not _temporary_copy(st.value, k, stmts, facts):
            continue
        temp = _fresh(f"_{x.lstrip('_')}_value", used_names)
        st.targets[0].id = temp
        ir.KIND.set(st, "assign")          # (``x = x + dd`` accumulates no more)
        env[temp] = env[x]
        facts.assignments[temp] = 1
        facts.lengths[temp] = facts.lengths.get(x)      # (for operands that broadcast)
        if _temporary_def(st, facts) is None:
            st.targets[0].id = x
            ir.KIND.set(st, kind)
            del env[temp], facts.assignments[temp], facts.lengths[temp]
            continue
        if anew:
            made[temp] = _new_buffer(x, temp, st, k, kind, facts, env, used_names)
            continue
        target = ast.Subscript(value=ast.Name(id=x, ctx=ast.Load()), slice=ast.Slice(),
                               ctx=ast.Store())
        store = _made(ast.Assign(targets=[target], value=ast.Name(id=temp, ctx=ast.Load())),
                      "store", _line(st))
        facts.readers[temp] = {id(store)}
        facts.readers.setdefault(x, set()).add(id(store))
        made[temp] = _Buffer(x, temp, st, None, store, x, k, facts.lengths.get(x), kind)
    return made


def _buffer_kept(x, facts) -> bool:
    """No name but ``x`` may hold ``x``'s array: every statement reading ``x``
    passes it to arithmetic, a comparison, a ufunc, a reduction or a roll (all
    make new arrays or numbers), reads an element or its shape, or updates it
    in place; not ``y = x``, a view ``x[1:-1]``, a list or a tuple (which would
    see an in-place update NumPy makes and a new array would not)."""
    def ok(v):
        if isinstance(v, (ast.BinOp, ast.UnaryOp, ast.Compare)):
            return True
        if isinstance(v, ast.Call):
            f = _prim(v)[1] if _prim(v)[0] == "call" else None
            return id(f) in SUM_IDS | DOT_IDS | WHERE_IDS | {ROLL_ID} or \
                isinstance(f, np.ufunc)
        if isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name) and v.value.id == x:
            parts = v.slice.elts if isinstance(v.slice, ast.Tuple) else [v.slice]
            return len(parts) == facts.env[x].ndim and \
                not any(isinstance(p, ast.Slice) for p in parts)     # (an element)
        return isinstance(v, ast.Attribute) and v.attr == "shape"
    for s in _statements(facts.body):
        if x in own_reads(s) and not (isinstance(s, ast.Return) or isinstance(s, ast.Assign)
                                      and len(s.targets) == 1 and ok(s.value)):
            return False
    return True


def _temporary_copy(value, k, stmts, facts) -> bool:
    """``value`` (the right side of ``stmts[k]``, ``x = t``) a temporary ``t`` of
    elementwise arithmetic made earlier in ``stmts`` and read there only: ``S = S *
    np.exp(r)`` normalized as ``_t8 = S * _t7; S = _t8`` (the product's adjoint reads
    the old ``S``) stores into ``S`` as ``S = S + r`` does."""
    if not isinstance(value, ast.Name) or facts.readers.get(value.id) != {id(stmts[k])}:
        return False
    defs = [s for s in stmts[:k] if value.id in _binds(s)]
    return len(defs) == 1 and _kind(defs[0]) == "assign" and \
        not (ir.AUGMENTED(defs[0]) or ir.AUGMENTED(defs[0].value) or ir.AUGMENTED(stmts[k])) and \
        _prim(defs[0].value)[0] not in ("subscript", "copy") and \
        _temporary_def(defs[0], facts) is not None


def _new_buffer(x, temp, st, k, kind, facts, env, used_names) -> _Buffer:
    """``x = E`` of an ``x`` another name may hold the old array of (``x_old =
    x`` in an iterative solver): ``_x_new = np.empty_like(x)`` at the top of the
    block, ``_x_value = E``, ``_x_new[:] = _x_value``, ``x = _x_new``: a new
    array each step as before, filled by one element loop."""
    line = _line(st)
    new = _fresh(f"_{x.lstrip('_')}_new", used_names)
    call = _marked(ast.Call(func=ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()),
                                               attr="empty_like", ctx=ast.Load()),
                            args=[ast.Name(id=x, ctx=ast.Load())], keywords=[]),
                   ("call", np.empty_like))
    alloc = _assign(new, call, "assign", line)
    target = ast.Subscript(value=ast.Name(id=new, ctx=ast.Load()), slice=ast.Slice(),
                           ctx=ast.Store())
    store = _made(ast.Assign(targets=[target], value=ast.Name(id=temp, ctx=ast.Load())),
                  "store", line)
    move = _assign(x, _marked(ast.Name(id=new, ctx=ast.Load()), ("copy",)), "assign", line)
    env[new] = env[x]
    facts.assignments[new] = 1
    facts.readers[temp] = {id(store)}
    facts.readers[new] = {id(store), id(move)}
    facts.readers.setdefault(x, set()).add(id(alloc))
    facts.fresh_arrays.add(new)
    before = facts.lengths.get(new)
    facts.lengths[new] = facts.lengths[x]
    return _Buffer(new, temp, st, alloc, store, x, k, before, kind, rebound=x, move=move)


def _product(s) -> bool:
    """``z = a @ b`` or ``z = np.dot(a, b)``."""
    return _kind(s) == "assign" and (_prim(s.value) == ("binop", "MatMult") or
                                     _prim(s.value)[0] == "call" and
                                     id(_prim(s.value)[1]) in DOT_IDS)


def _shape_source(y, stmts, defs, facts):
    """An array ``E`` reads whole (through the temporaries it reads), of
    ``y``'s number of dimensions and of known lengths (the same at every
    binding of it: a state ``u`` rebound each step will do), else a slice of
    that shape ``E`` reads (``hu[1:]``), or None."""
    ndim = facts.env[y].ndim
    seen, todo, views = set(), [y], []
    while todo:
        t = todo.pop()
        if t in seen:
            continue
        seen.add(t)
        for n in _temporary_def(stmts[defs[t]], facts) or ():
            of_shape = facts.block(n, ndim) and _sized(n, facts) and _shaped_like(y, n, facts)
            if n in defs:
                if of_shape and _prim(stmts[defs[n]].value)[0] == "subscript":
                    views.append(n)     # (a slice of that shape: ``hu[1:]`` for a flux)
                todo.append(n)
            elif of_shape:
                return n
    return views[0] if views else None


def _shaped_like(y, n, facts) -> bool:
    """Whether ``n``'s lengths are ``y``'s: equal where ``y``'s are known, else with
    no axis of length 1 (``x[None, :]`` in ``g[:, None] * x[None, :]`` broadcasts
    into the product: its shape is not the product's)."""
    mine, theirs = facts.lengths.get(y), facts.lengths.get(n)
    if mine is not None and None not in mine:
        return mine == theirs
    return theirs is not None and 1 not in theirs


def _with_buffers(stmts, made) -> list:
    """``stmts`` with each buffer's allocation before its value and its store after."""
    at = {m.position: m for m in made.values()}
    early: dict = {}
    for m in made.values():
        if m.alloc is not None and m.rebound is None and m.alloc_at is not None:
            early.setdefault(m.alloc_at, []).extend(_allocation(m))
    # (a new buffer for a rebinding is made first: the element loop stores into it)
    out = [m.alloc for m in made.values() if m.rebound is not None]
    for k, st in enumerate(stmts):
        out += early.get(k, [])
        m = at.get(k)
        if m is None:
            out.append(st)
        elif m.rebound is not None:
            out += [st, m.store, m.move]
        else:
            out += [*_allocation(m), st, m.store] if m.alloc is not None and \
                m.alloc_at is None else [st, m.store]
    return out


def _hoist_buffers(body, made, hoisted, facts) -> list:
    """``body`` (a loop's, lowered) without the allocations of the row buffers
    that can be made once before the loop, which go to ``hoisted``: a buffer
    its element loop fills whole (as long as the loop's bounds, which nothing
    in the body changes) before anything reads it, read only element by
    element or summed (so no array of an iteration holds it in a later one):
    a softmax's ``e = np.exp(row - mx)``, stored at ``e[j]`` to be read again
    after its sum, allocated once, not in every row."""
    bound = _bound_in(body)
    drop = set()
    for y, m in made.items():
        if m.alloc is None or m.rebound is not None or facts.assignments.get(y) != 1:
            continue
        bounds = _filling_bounds(y, body)
        if bounds is None or any(isinstance(n, ast.Name) and n.id in bound
                                 for b in bounds for n in nodes(b)) or \
                not _read_by_element(y, body):
            continue
        if len(bounds) == 1:
            # (as long as its loop: ``np.empty(n)``, a length the planner follows)
            call = _marked(ast.Call(func=ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()),
                                                       attr="empty", ctx=ast.Load()),
                                    args=[copy.deepcopy(bounds[0])], keywords=[]),
                           ("call", np.empty))
            hoisted.append(_assign(y, call, "assign", _line(m.alloc)))
        elif m.shape_view is None and m.shape_of not in bound:
            hoisted.append(m.alloc)         # (``np.empty_like(w)`` of a ``w`` made before)
        else:
            continue
        drop |= {id(x) for x in _allocation(m)}
    return [st for st in body if id(st) not in drop]


def _bound_in(body) -> set:
    """The names ``body`` binds, at any depth (loop counters too)."""
    return {n for st in body for x in nodes(st) for n in _binds(x)} | \
        {n.id for st in body for x in nodes(st) if isinstance(x, (ast.For, ast.comprehension))
         for n in nodes(x.target) if isinstance(n, ast.Name)}


def _filling_bounds(y, body):
    """The bounds of the element loop nest of ``body`` that stores ``y[j]`` (or
    ``y[j, k]``) at its loops' indices, the only store into ``y``, before
    anything else in ``body`` mentions ``y`` but its allocation (the buffer's
    lengths, then), or None."""
    for st in body:
        if isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == y
                                              for t in st.targets):
            continue                             # (the allocation)
        if not any(isinstance(n, ast.Name) and n.id == y for n in nodes(st)):
            continue
        bounds, targets, loop = [], [], st
        while isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) and \
                isinstance(loop.iter, ast.Call) and ast.unparse(loop.iter.func) == "range" \
                and len(loop.iter.args) == 1 and not loop.orelse:
            bounds.append(loop.iter.args[0])
            targets.append(loop.target.id)
            inner = [x for x in loop.body if isinstance(x, ast.For)]
            if not inner:
                break
            loop = inner[0]
        stores = [n for n in nodes(st) if isinstance(n, ast.Subscript) and
                  isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name) and
                  n.value.id == y]
        loads = [n for n in nodes(st) if isinstance(n, ast.Name) and n.id == y and
                 isinstance(n.ctx, ast.Load)]
        if not bounds or len(stores) != 1 or len(loads) != 1 or \
                not any(x is stores[0] for x in nodes(loop)):
            return None          # (the store is its only mention in its loop)
        index = stores[0].slice
        names = index.elts if isinstance(index, ast.Tuple) else [index]
        ok = len(names) == len(bounds) and all(
            isinstance(n, ast.Name) and n.id == t for n, t in zip(names, targets))
        return bounds if ok else None
    return None


def _read_by_element(y, body) -> bool:
    """Every mention of ``y`` in ``body`` but its allocation and its store is
    an element read ``y[...]`` or an argument of a call whose result shares
    no memory with it (``np.sum(y)``, ``np.max(y)``): no other name or array
    gets hold of it."""
    whole = elements = 0
    for st in body:
        for n in nodes(st):
            if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and \
                    n.value.id == y:
                elements += 1
            elif isinstance(n, ast.Call) and any(isinstance(a, ast.Name) and a.id == y
                                                 for a in n.args):
                if not (_prim(n)[0] == "call" and id(_prim(n)[1]) in NEW_RESULTS and
                        not n.keywords):
                    return False
                whole += 1
            elif isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == y
                                                   for t in n.targets):
                whole += 1
    names = sum(1 for st in body for n in nodes(st) if isinstance(n, ast.Name) and n.id == y)
    return names == elements + whole


def _allocation(m) -> list:
    """A buffer's allocation, after the view of its own it reads (if any)."""
    return [m.alloc] if m.shape_view is None else [m.shape_view, m.alloc]


def _buffer_filled(m, groups, stmts, facts) -> bool:
    """The buffer's store is in a group taken, every other row of which is
    sure to be as long as ``w`` (so ``y``, allocated like ``w``, is what the
    array code gave: no broadcasting to another shape)."""
    k = next((i for i, st in enumerate(stmts) if st is m.store), None)
    g = next((g for g in groups if k in g.members), None)
    if g is None or g.unsure or g.unchecked or g.apart:
        return False
    whole = _whole(m.shape_of, facts)
    return all(r[0] == m.name or facts.same_length(r, whole) for r in g.rows)


# -- emit --------------------------------------------------------------------
def emit_block(stmts, groups, env, used_names) -> list:
    """The block with each group's members replaced by its element loop."""
    at = {g.at(): g for g in groups}
    gone = {k for g in groups for k in g.members + (g.lifted if g.first else g.sunk)}
    out, emitted = [], set()
    for k, s in enumerate(stmts):
        if k in at:
            if at[k].first:
                out.extend(stmts[m] for m in at[k].lifted)
            # a temporary a second loop recomputes gets a name of its own there:
            # each scalar is assigned once, so the adjoint recomputes it (no tape)
            again = {t: _fresh(t, used_names) for t in sorted(at[k].temps & emitted)}
            emitted |= at[k].temps
            out.extend(_renamed(element_loop(at[k], stmts, env, used_names), again))
            if not at[k].first:
                out.extend(stmts[m] for m in at[k].sunk)
        elif k not in gone:
            out.append(s)
    return out


def _renamed(stmts, names: dict) -> list:
    """``stmts`` (new nodes) with the variables ``names`` renamed, in place."""
    for s in stmts:
        for n in nodes(s):
            if isinstance(n, ast.Name) and n.id in names:
                n.id = names[n.id]
    return stmts


@dataclass
class _Indices:
    """The element loops' indices (one per axis), and for each array read whole
    that may be broadcast (of one element along an axis, as NumPy allows) the
    names of its steps: ``w[j * w_step]``, ``w_step`` 0 or 1.  ``row_steps``:
    the same for the rows, where such an array may be longer than they are
    (``X[i] - c``: a row of one element is read at 0 while ``c`` is run over)."""
    names: list
    steps: dict
    row_steps: list | None = None
    rolled_lengths: dict = field(default_factory=dict)   # rolled array -> its length's name
    # each loop's length, where a roll along that axis may take it for its array's
    # (the loop runs over all of the axis): the expression, then the name bound to it
    bounds: list = field(default_factory=list)
    bound_names: dict = field(default_factory=dict)
    rolled_whole: set = field(default_factory=set)       # arrays as long as the loops
    spread: dict = field(default_factory=dict)           # arrays that broadcast (Group.spread)
    through: dict = field(default_factory=dict)          # views given an axis (Group.through)
    read_through: dict = field(default_factory=dict)     # (Group.read_through)
    env: dict = field(default_factory=dict)
    before: list = field(default_factory=list)

    def rows(self) -> list:
        """The rows' element of the loops' iteration, one index per axis."""
        js = [ast.Name(id=j, ctx=ast.Load()) for j in self.names]
        if self.row_steps is None:
            return js
        return [ast.BinOp(left=j, op=ast.Mult(), right=ast.Name(id=step, ctx=ast.Load()))
                for j, step in zip(js, self.row_steps)]


def _broadcast_steps(g, env, used_names, line) -> tuple:
    """``{array: [step per axis]}``, the statements computing the steps
    (``w_step = w.shape[0] > 1``) of the arrays ``g`` is not sure are as long as
    its loop, and ``{array: [length per axis]}``."""
    steps, out, sizes = {}, [], {}
    for name in sorted(g.unsure):
        steps[name], sizes[name] = [], []
        shape = _fresh("shape", used_names)
        out.append(_assign(shape, _marked(ast.Attribute(value=ast.Name(id=name, ctx=ast.Load()),
                                                        attr="shape", ctx=ast.Load()),
                                          ("attr", "shape")), "assign", line))
        for axis in range(env[name].ndim):
            n, step = _fresh("n", used_names), _fresh(f"{name}_step", used_names)
            out.append(_assign(n, _marked(ast.Subscript(value=ast.Name(id=shape, ctx=ast.Load()),
                                                        slice=ast.Constant(axis),
                                                        ctx=ast.Load()), ("subscript",)),
                               "assign", line))
            more = ast.Compare(left=ast.Name(id=n, ctx=ast.Load()), ops=[ast.Gt()],
                               comparators=[ast.Constant(1)])
            out.append(_assign(step, _marked(more, ("compare",)), "assign", line))
            steps[name].append(step)
            sizes[name].append(n)
    return steps, out, sizes


def _broadcast_lengths(g, sizes, used_names, line, out) -> tuple:
    """The loops' lengths where arrays read whole may not be as long as the
    rows (``g.unsure``): per axis, the rows' length broadcast with theirs as
    NumPy does (``broadcast_length``: a ValueError where neither is 1), or,
    for a group that stores, the stored row's length, which theirs must
    broadcast into (``broadcast_into``, a check of its own: the loop keeps the
    stored row's length, known before the loops run where that row's shape
    is).  With them, the rows' steps
    (``rows_step = n > 1``; none where the group stores: the stored row is
    the result's length).  Statements go to ``out``."""
    base, axes = g.length
    shape = _fresh("shape", used_names)
    out.append(_assign(shape, _marked(ast.Attribute(value=ast.Name(id=base, ctx=ast.Load()),
                                                    attr="shape", ctx=ast.Load()),
                                      ("attr", "shape")), "assign", line))
    lengths, row_steps = [], None if g.stores else []
    for k, (axis, trim, step) in enumerate(axes):
        n, stmts = _axis_length(shape, axis, trim, step, used_names, line)
        out.extend(stmts)
        if row_steps is not None:
            rows_step = _fresh("rows_step", used_names)
            more = ast.Compare(left=ast.Name(id=n, ctx=ast.Load()), ops=[ast.Gt()],
                               comparators=[ast.Constant(1)])
            out.append(_assign(rows_step, _marked(more, ("compare",)), "assign", line))
            row_steps.append(rows_step)
        for name in sorted(g.unsure):
            m = _fresh("n", used_names)
            fn = broadcast_into if g.stores else broadcast_length
            args = [sizes[name][k], n] if g.stores else [n, sizes[name][k]]
            call = ast.Call(func=ast.Name(id=fn.__name__, ctx=ast.Load()),
                            args=[ast.Name(id=a, ctx=ast.Load()) for a in args], keywords=[])
            out.append(_assign(m, _marked(call, ("call", fn)), "assign", line))
            if not g.stores:
                n = m       # (a store's loop keeps the stored row's length: the call
                            # only checks, and the tape planner sees that length)
        lengths.append(n)
    return lengths, row_steps


def _checked_lengths(g, lengths, used_names, line, out):
    """Checks, before the loop, that the rows of other arrays not known to be
    as long as the loop (``g.unchecked``) are: ``equal_length`` raises a
    ValueError where they differ (NumPy would raise too, or broadcast a row
    of one element, which these loops do not).  The loop keeps its length
    (``lengths``, or the rows' where None), so that the check is a statement
    of its own, which the adjoint need not store.  Statements go to ``out``;
    returns the names of the loop's lengths."""
    def axis_lengths(row):
        base, axes = row
        shape = _fresh("shape", used_names)
        out.append(_assign(shape, _marked(ast.Attribute(value=ast.Name(id=base, ctx=ast.Load()),
                                                        attr="shape", ctx=ast.Load()),
                                          ("attr", "shape")), "assign", line))
        names = []
        for axis, trim, step in axes:
            n, stmts = _axis_length(shape, axis, trim, step, used_names, line)
            out.extend(stmts)
            names.append(n)
        return names
    lengths = list(lengths) if lengths else axis_lengths(g.length)
    for row in g.unchecked:
        for k, other in enumerate(axis_lengths(row)):
            call = ast.Call(func=ast.Name(id=equal_length.__name__, ctx=ast.Load()),
                            args=[ast.Name(id=lengths[k], ctx=ast.Load()),
                                  ast.Name(id=other, ctx=ast.Load())], keywords=[])
            out.append(_assign(_fresh("n", used_names), _marked(call, ("call", equal_length)),
                               "assign", line))
    return lengths


def element_loop(g, stmts, env, used_names) -> list:
    """``r = 0.0`` for each reduction, then ``for j in range(X.shape[axis]):``
    (and ``for k in ...`` inside it, a loop per axis of a block) with the
    members as scalar statements."""
    base, axes = g.length
    first = _line(stmts[g.members[0]])
    steps, before, sizes = _broadcast_steps(g, env, used_names, first)
    lengths, row_steps = _broadcast_lengths(g, sizes, used_names, first, before) \
        if g.unsure else (None, None)
    checked = _checked_lengths(g, lengths, used_names, first, before) if g.unchecked else None
    j = _Indices([_fresh(hint, used_names) for hint in LOOP_NAMES[:len(axes)]], steps,
                 row_steps)
    loop_lengths = [_loop_length(base, cut, k, lengths) if lengths or not _moving(cut[1])
                    else ast.Name(id=checked[k], ctx=ast.Load()) if checked
                    else _span_length(base, cut, used_names, first, before)
                    for k, cut in enumerate(axes)]
    whole = {x for x, _ in g.rows} - g.unsure
    j.bounds = [length if row_steps is None and not lengths and cut[1:] == (0, 1) else None
                for length, cut in zip(loop_lengths, axes)]
    j.rolled_whole = whole
    j.spread, j.through = g.spread, g.through
    j.read_through, j.env, j.before = g.read_through, env, before
    temps = g.temps
    body, after = [], []
    for k in g.members:
        s = stmts[k]
        line = _line(s)
        if k in g.stores:
            body.extend(_element_store(s, temps, j, env, used_names, before))
            continue
        operands = _reduced(s)
        if operands is None:
            body.extend(_element_statement(s, temps, j, env, used_names, before))
            continue
        # the sum runs in its own variable; the result is bound once, after the
        # loop, so the adjoint needs no earlier value of it (no tape)
        r = s.targets[0].id
        acc = _fresh(f"{r.lstrip('_')}_sum", used_names)
        zero = 0.0 if env[r].kind == "float" else 0
        before.append(_assign(acc, _marked(ast.Constant(zero), ("const",)), "assign", line))
        body.extend(_accumulation(acc, operands, temps, j, env, used_names, line))
        if id(_prim(s.value)[1]) in MEAN_IDS:
            after.extend(_mean(r, acc, g.length, used_names, line, lengths))
        else:
            after.append(_assign(r, _marked(ast.Name(id=acc, ctx=ast.Load()), ("copy",)),
                                 "assign", line))
    for k, name in reversed(list(enumerate(j.names))):
        length = ast.Name(id=j.bound_names[k], ctx=ast.Load()) if k in j.bound_names \
            else loop_lengths[k]
        loop = ast.For(target=ast.Name(id=name, ctx=ast.Store()),
                       iter=ast.Call(func=ast.Name(id="range", ctx=ast.Load()), args=[length],
                                     keywords=[]),
                       body=body, orelse=[], type_comment=None)
        body = [_made(loop, "for", _line(stmts[g.members[-1]]))]
    return before + body + after


def _span_length(base, cut, used_names, line, before):
    """The length of the element loop over a span of ``base`` (its statements go
    to ``before``)."""
    shape = _fresh("shape", used_names)
    before.append(_assign(shape, _marked(ast.Attribute(value=ast.Name(id=base, ctx=ast.Load()),
                                                       attr="shape", ctx=ast.Load()),
                                         ("attr", "shape")), "assign", line))
    n, stmts = _axis_length(shape, *cut, used_names, line)
    before.extend(stmts)
    return ast.Name(id=n, ctx=ast.Load())


def _loop_length(base, cut, k, lengths):
    """The length of the element loop over axis ``k`` of the group's rows
    (``cut``: the axis of ``base`` it runs over, the slice's trim and step)."""
    axis, trim, step = cut
    if lengths:
        return ast.Name(id=lengths[k], ctx=ast.Load())
    length = ast.Subscript(value=ast.Attribute(value=ast.Name(id=base, ctx=ast.Load()),
                                               attr="shape", ctx=ast.Load()),
                           slice=ast.Constant(axis), ctx=ast.Load())
    less = trim - step + 1
    if less:
        length = ast.BinOp(left=length, op=ast.Sub() if less > 0 else ast.Add(),
                           right=ast.Constant(abs(less)))
    if step > 1:      # ceil((n - trim) / step)
        length = ast.BinOp(left=length, op=ast.FloorDiv(), right=ast.Constant(step))
    return length


def _mean(r, acc, row, used_names, line, lengths=None) -> list:
    """``r = acc / X.shape[axis]`` (each axis' length less its trim, times the
    others'; the loops' ``lengths`` where they are broadcast), one operation
    per statement."""
    base, axes = row
    out = []
    if lengths is None:
        shape = _fresh("shape", used_names)
        out.append(_assign(shape, _marked(ast.Attribute(value=ast.Name(id=base, ctx=ast.Load()),
                                                        attr="shape", ctx=ast.Load()),
                                          ("attr", "shape")), "assign", line))
    count = None
    for k, (axis, trim, step) in enumerate(axes):
        if lengths is None:
            n, stmts = _axis_length(shape, axis, trim, step, used_names, line)
            out.extend(stmts)
        else:
            n = lengths[k]
        if count is not None:
            c = _fresh("count", used_names)
            out.append(_assign(c, _marked(ast.BinOp(left=ast.Name(id=count, ctx=ast.Load()),
                                                    op=ast.Mult(), right=ast.Name(id=n, ctx=ast.Load())),
                                          ("binop", "Mult")), "assign", line))
            n = c
        count = n
    return out + [_assign(r, _marked(ast.BinOp(left=ast.Name(id=acc, ctx=ast.Load()),
                                               op=ast.Div(), right=ast.Name(id=count, ctx=ast.Load())),
                                     ("binop", "Div")), "assign", line)]


def _axis_length(shape, axis, trim, step, used_names, line) -> tuple:
    """The name of a row's length along ``axis`` (``shape[axis]`` less its
    trim, divided by its step, rounded up, at least 0) and the statements
    computing it, one operation each."""
    out = []
    n = _fresh("n", used_names)
    out.append(_assign(n, _marked(ast.Subscript(value=ast.Name(id=shape, ctx=ast.Load()),
                                                slice=ast.Constant(axis), ctx=ast.Load()),
                                  ("subscript",)), "assign", line))
    if _moving(trim):     # NumPy's length of ``lo:hi`` along an axis of n elements
        m = _fresh("n", used_names)
        out.append(_assign(m, _span_call(slice_length, [trim.lo or ast.Constant(0),
                                                        trim.hi or ast.Name(id=n, ctx=ast.Load()),
                                                        ast.Name(id=n, ctx=ast.Load())]),
                           "assign", line))
        return m, out
    if step > 1:      # ceil((n - trim) / step) elements
        m, q = _fresh("m", used_names), _fresh("m", used_names)
        less = trim - step + 1
        op = "Sub" if less >= 0 else "Add"
        out.append(_assign(m, _marked(ast.BinOp(left=ast.Name(id=n, ctx=ast.Load()),
                                                op=getattr(ast, op)(),
                                                right=ast.Constant(abs(less))),
                                      ("binop", op)), "assign", line))
        out.append(_assign(q, _marked(ast.BinOp(left=ast.Name(id=m, ctx=ast.Load()),
                                                op=ast.FloorDiv(), right=ast.Constant(step)),
                                      ("binop", "FloorDiv")), "assign", line))
        n, trim = q, 0
        m0 = _fresh("m", used_names)
        out.append(_assign(m0, _marked(ast.Call(func=ast.Name(id="max", ctx=ast.Load()),
                                                args=[ast.Name(id=n, ctx=ast.Load()),
                                                      ast.Constant(0)], keywords=[]),
                                       ("call", max)), "assign", line))
        n = m0
    if trim:
        # (at least 0: the mean of an empty slice is nan, 0.0 / 0, not 0.0 / -1)
        m, m0 = _fresh("m", used_names), _fresh("m", used_names)
        out.append(_assign(m, _marked(ast.BinOp(left=ast.Name(id=n, ctx=ast.Load()),
                                                op=ast.Sub(), right=ast.Constant(trim)),
                                      ("binop", "Sub")), "assign", line))
        out.append(_assign(m0, _marked(ast.Call(func=ast.Name(id="max", ctx=ast.Load()),
                                                args=[ast.Name(id=m, ctx=ast.Load()),
                                                      ast.Constant(0)], keywords=[]),
                                       ("call", max)), "assign", line))
        n = m0
    return n, out


def _span_call(fn, args):
    """``fn(*args)`` (``slice_start``, ``slice_length``) of copies of ``args``."""
    call = ast.Call(func=ast.Name(id=fn.__name__, ctx=ast.Load()),
                    args=[ir.clone(a) for a in args], keywords=[])
    return _marked(call, ("call", fn))


def _reduced(s):
    """The operands a reduction statement sums the product of, or None."""
    v, prim = s.value, _prim(s.value)
    if prim == ("binop", "MatMult"):
        return [v.left, v.right]
    if prim[0] == "call" and (id(prim[1]) in SUM_IDS or id(prim[1]) in DOT_IDS):
        return list(v.args)
    return None


def _element_statement(s, temps, j, env, used_names, before) -> list:
    """One member as scalar code: ``X[i]`` -> ``X[i, j]``; other arrays it
    reads as ``w[j]``; temporaries are scalars of the same name.  An index
    read from an array (``C[a[i]]``) is read once, before the loop (into
    ``before``): Numba would reload it per element, as the loop writes arrays."""
    line = _line(s)
    v = ir.clone(s.value)
    if _prim(v)[0] == "subscript":
        v.slice = _element_index(_hoisted(v.slice, used_names, line, before, v.value.id),
                                 env[v.value.id].ndim, j.rows())
        return [_assign(s.targets[0].id, v, "assign", line)]
    if _prim(v)[0] == "call" and id(_prim(v)[1]) == ROLL_ID:
        return [_assign(s.targets[0].id, _rolled_element(v, j, env, used_names, line, before),
                        "assign", line)]
    out = []
    for parent, fld, a in _atoms(v):
        if isinstance(a, ast.Name) and a.id not in temps and env[a.id].is_array:
            out.append(_read_element(a.id, j, used_names, line))
            new = _marked(ast.Name(id=out[-1].targets[0].id, ctx=ast.Load()), ("copy",)) \
                if _prim(v)[0] == "copy" else ast.Name(id=out[-1].targets[0].id, ctx=ast.Load())
            if parent is None:
                v = new
            else:
                _put(parent, fld, a, new)
    if _prim(v)[0] == "call" and id(_prim(v)[1]) in WHERE_IDS:
        # (np.where of numbers: an ``if``, as passes/scalars.py writes it)
        return out + select_statement(s.targets[0].id, *v.args, s)
    return out + [_assign(s.targets[0].id, v, "assign", line)]


def _rolled_element(v, j, env, used_names, line, before):
    """``x[(j - shift) % n]`` for ``np.roll(x, shift)`` (``n = x.shape[0]``,
    read before the loop into ``before``); along another axis of an array,
    ``x[j, (k - shift) % n]``."""
    x, shift, axis = _roll_parts(v)
    axis = (axis or 0) % env[x].ndim
    n = j.rolled_lengths.get((x, axis))         # (read once per array, axis and loop)
    if n is None and x in j.rolled_whole and j.bounds[axis] is not None:
        # as long as the loop over that axis (a row of the group's length): the
        # loop's own bound, one name for both, so that the index is seen to be
        # j - 1 in all but the first iteration (passes/peel_ends.py)
        n = j.bound_names.get(axis)
        if n is None:
            n = j.bound_names[axis] = _fresh(f"n_{x}", used_names)
            base, along = j.bounds[axis].value.value.id, j.bounds[axis].slice.value
            before.extend(_shape_read(base, along, n, used_names, line))
        j.rolled_lengths[x, axis] = n
    if n is None:
        n = j.rolled_lengths[x, axis] = _fresh(f"n_{x}", used_names)
        before.extend(_shape_read(x, axis, n, used_names, line))
    rows = list(j.rows())
    at = rows[axis]
    if isinstance(shift, str):          # (a number's name: ``(j - L) % n``)
        at = ast.BinOp(left=at, op=ast.Sub(), right=ast.Name(id=shift, ctx=ast.Load()))
    elif shift:
        at = ast.BinOp(left=at, op=ast.Sub() if shift > 0 else ast.Add(),
                       right=ast.Constant(abs(shift)))
    rows[axis] = ast.BinOp(left=at, op=ast.Mod(), right=ast.Name(id=n, ctx=ast.Load()))
    index = rows[0] if len(rows) == 1 else ast.Tuple(elts=rows, ctx=ast.Load())
    read = ast.Subscript(value=ast.Name(id=x, ctx=ast.Load()), slice=index, ctx=ast.Load())
    return _marked(read, ("subscript",))


def _shape_read(x, axis, n, used_names, line) -> list:
    """``shape = x.shape`` and ``n = shape[axis]``."""
    shape = _fresh("shape", used_names)
    return [_assign(shape, _marked(ast.Attribute(value=ast.Name(id=x, ctx=ast.Load()),
                                                 attr="shape", ctx=ast.Load()),
                                   ("attr", "shape")), "assign", line),
            _assign(n, _marked(ast.Subscript(value=ast.Name(id=shape, ctx=ast.Load()),
                                             slice=ast.Constant(axis), ctx=ast.Load()),
                               ("subscript",)), "assign", line)]


def _element_store(s, temps, j, env, used_names, before) -> list:
    """``A[1:-1] = t`` -> ``A[1 + j] = t`` (``t`` a temporary, a scalar now, or a
    vector read as ``t[j]``)."""
    line = _line(s)
    target = ir.clone(_stored_into(s))
    target.slice = _element_index(_hoisted(target.slice, used_names, line, before,
                                           target.value.id),
                                  env[target.value.id].ndim, j.rows())

    def stored(value):
        if _kind(s) == "augstore":        # A[i] += t: A[i, j] += t_j
            return _made(ast.AugAssign(target=target, op=s.op, value=value), "augstore", line)
        return _made(ast.Assign(targets=[target], value=value), "store", line)
    if not isinstance(s.value, ast.Name) or not env[s.value.id].is_array:
        return [stored(ir.clone(s.value))]              # a number stored in every element
    out, value = [], s.value.id
    if value not in temps:
        out.append(_read_element(value, j, used_names, line))
        value = out[-1].targets[0].id
    return out + [stored(ast.Name(id=value, ctx=ast.Load()))]


def _hoisted(index, used_names, line, before, array):
    """``index`` (of ``array``) with its parts read from arrays (``a[i]``) bound
    before the loop, and the first element of each span too (``first =
    slice_start(lo, n)``, the span then ``first:``)."""
    parts = list(index.elts) if isinstance(index, ast.Tuple) else [index]
    for k, p in enumerate(parts):
        if isinstance(p, ast.Slice) and _cut(p) is not None and _moving(_cut(p)[1]):
            lower = p.lower or ast.Constant(0)
            c = int_of(lower)
            if c is not None and c >= 0:
                # a span read in the loop is as long as the loop (checked, or known:
                # ``_checked_lengths``), and a span of elements from ``c >= 0`` starts at
                # ``c`` (``slice_start`` clips it only where it is empty): ``j + c``, which
                # the planner compares with the other reads and stores of the array
                # (``V[:k + 1]`` and ``V[1:k + 2]`` at ``j`` and ``j + 1``)
                parts[k] = ast.Slice(lower=ast.Constant(c), upper=None, step=None)
                continue
            first = _first_bound(before, array, k, lower)
            if first is None:
                n = _fresh("n", used_names)
                before.extend(_shape_read(array, k, n, used_names, line))
                first = _fresh("first", used_names)
                start = _span_call(slice_start, [lower, ast.Name(id=n, ctx=ast.Load())])
                before.append(_assign(first, start, "assign", line))
            parts[k] = ast.Slice(lower=ast.Name(id=first, ctx=ast.Load()), upper=None, step=None)
        elif isinstance(p, ast.Subscript) and isinstance(p.value, ast.Name):
            name = _fresh(f"{p.value.id}_i", used_names)
            before.append(_assign(name, _marked(p, ("subscript",)), "assign", line))
            parts[k] = ast.Name(id=name, ctx=ast.Load())
    if isinstance(index, ast.Tuple):
        return ast.Tuple(elts=parts, ctx=ast.Load())
    return parts[0]


def _first_bound(before, array, axis, lower):
    """The name ``before`` (the statements bound before one element loop) already
    gives the first element of ``array[lower:...]`` along ``axis``, else None:
    the read ``S[:step + 1]`` and the store into ``S[:step + 1]`` of one loop index
    the same elements by the same name (``S[j + first]``), which the planner then
    knows for one element (a load before its overwrite, ``numbers_peeked_from_stacks``)."""
    lengths, shapes = {}, {}
    for st in before:
        if not (isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name)):
            continue
        name, value = st.targets[0].id, st.value
        if isinstance(value, ast.Attribute) and value.attr == "shape" and \
                isinstance(value.value, ast.Name):
            shapes[name] = value.value.id
        elif isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and \
                shapes.get(value.value.id) == array and int_of(value.slice) == axis:
            lengths[name] = True
        elif isinstance(value, ast.Call) and len(value.args) == 2 and \
                isinstance(value.args[1], ast.Name) and value.args[1].id in lengths and \
                ast.dump(value.args[0]) == ast.dump(lower) and \
                getattr(value.func, "id", None) == "slice_start":
            return name
    return None


def _atoms(v):
    """(parent, field, atom) for the operands of a one-operation value."""
    if isinstance(v, ast.Name):
        return [(None, None, v)]
    if isinstance(v, ast.BinOp):
        return [(v, "left", v.left), (v, "right", v.right)]
    if isinstance(v, ast.UnaryOp):
        return [(v, "operand", v.operand)]
    if isinstance(v, ast.Call):
        return [(v, "args", a) for a in v.args]
    if isinstance(v, ast.Compare):
        return [(v, "left", v.left), (v, "comparators", v.comparators[0])]
    return []


def _put(parent, fld, old, new):
    if fld in ("args", "comparators"):
        setattr(parent, fld, [new if a is old else a for a in getattr(parent, fld)])
    else:
        setattr(parent, fld, new)


def _element_index(index, ndim, at):
    """The element of a row at the loops' indices ``at`` (``_Indices.rows``), one per axis it leaves
    (``_row_axes``): ``i`` -> ``i, j``; ``i, :`` -> ``i, j``; ``:, k`` -> ``j, k``;
    ``1:-1`` -> ``j + 1``; ``1:-1, 2:`` -> ``j + 1, k + 2``; a span, its first
    element bound before the loop (``_hoisted``), ``first:`` -> ``j + first``."""
    parts = list(index.elts) if isinstance(index, ast.Tuple) else [index]
    names = iter(at)
    parts = [p if not isinstance(p, ast.Slice) else
             ast.BinOp(left=next(names), op=ast.Add(), right=p.lower) if _moving(_cut(p)[1])
             else _shifted(next(names), *_cut(p)[::2]) for p in parts]
    parts += list(names)[:ndim - len(parts)]
    return parts[0] if len(parts) == 1 else ast.Tuple(elts=parts, ctx=ast.Load())


def _shifted(j, start, step=1):
    """``j * step + start``."""
    if step > 1:
        j = ast.BinOp(left=j, op=ast.Mult(), right=ast.Constant(step))
    return j if start == 0 else ast.BinOp(left=j, op=ast.Add(), right=ast.Constant(start))


def _read_element(name, at, used_names, line):
    if name in at.read_through:
        # (a view of the row the loop stores into, ``row = R[i]``: read in R, at
        # the element, before the loop stores it)
        v = ir.clone(at.read_through[name])
        base = v.value.id
        v.slice = _element_index(_hoisted(v.slice, used_names, line, at.before, base),
                                 at.env[base].ndim, at.rows())
        t = _fresh(f"{name}_{''.join(LOOP_NAMES[:len(at.names)])}", used_names)
        return _assign(t, _marked(v, ("subscript",)), "assign", line)
    return _read_element_of(name, at, used_names, line)


def _read_element_of(name, at, used_names, line):
    """``name_j = name[j]`` (``name[j, k]`` of a block; ``name[j * name_step]``
    of an array that may be broadcast; ``c[k]`` of one that broadcasts along
    the first loop, ``y[j]`` of ``y[:, None]``: ``_spread``)."""
    index = at.rows()       # (a vector the body computes is read as the rows are)
    if name in at.spread:   # (its own axes, the loops' last ones; 0 along one of length 1)
        spec = at.spread[name]
        index = [i if runs else ast.Constant(0)
                 for i, runs in zip(index[len(index) - len(spec):], spec)]
        if name in at.through:          # (``x[:, None]`` read as ``x[j]``)
            name, axis = at.through[name]
            index = index[:axis] + index[axis + 1:]
    elif name in at.steps:
        index = [ast.Name(id=j, ctx=ast.Load()) for j in at.names]
        index = [ast.BinOp(left=i, op=ast.Mult(), right=ast.Name(id=step, ctx=ast.Load()))
                 for i, step in zip(index, at.steps[name])]
    t = _fresh(f"{name}_{''.join(LOOP_NAMES[:len(at.names)])}", used_names)
    read = ast.Subscript(value=ast.Name(id=name, ctx=ast.Load()),
                         slice=index[0] if len(index) == 1 else ast.Tuple(elts=index, ctx=ast.Load()),
                         ctx=ast.Load())
    return _assign(t, _marked(read, ("subscript",)), "assign", line)


def _accumulation(r, operands, temps, j, env, used_names, line) -> list:
    """``r = r + t`` (a sum) or ``p = t * u; r = r + p`` (a dot product)."""
    out, names = [], []
    for a in operands:
        if a.id in temps:
            names.append(a.id)
        else:
            out.append(_read_element(a.id, j, used_names, line))
            names.append(out[-1].targets[0].id)
    term = names[0]
    if len(names) == 2:
        term = _fresh("p", used_names)
        prod = ast.BinOp(left=ast.Name(id=names[0], ctx=ast.Load()), op=ast.Mult(),
                         right=ast.Name(id=names[1], ctx=ast.Load()))
        out.append(_assign(term, _marked(prod, ("binop", "Mult")), "assign", line))
    acc = ast.BinOp(left=ast.Name(id=r, ctx=ast.Load()), op=ast.Add(),
                    right=ast.Name(id=term, ctx=ast.Load()))
    out.append(_assign(r, _marked(acc, ("binop", "Add")), "accumulate", line))
    return out


def _assign(target, value, kind, line):
    stmt = ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=value)
    return _made(stmt, kind, line)


def _fresh(hint, used_names) -> str:
    """``hint`` if free, else ``_hint2``, ``_hint3``, ..."""
    namer = Namer(used_names)
    return namer.take(hint) if hint not in namer else namer.numbered(f"_{hint.lstrip('_')}", 2)
