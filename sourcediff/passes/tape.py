"""Tape layout: where the reverse sweep finds values the forward sweep overwrote.

The reverse pass decides *what* to save (``save_at``); this planner decides
*where*.  An array element overwritten inside a nest of counted loops
(``for`` over ``range`` with step 1, bounds that do not change inside the
nest) goes into an array allocated before the nest, one slot per iteration,
indexed by the loop counters -- ``_saved_u_items[t, i - 1]`` -- instead of a
growing list: no append or pop per element, and the batched and CUDA lowering
sees a tape of known size (it flattens the tape to one axis).  One axis per
loop, not one flat index ``t * (n - 2) + (i - 1)``: Numba reads ``a[k]`` with
a ``k`` it cannot prove non-negative through a check for a negative index,
which keeps LLVM from vectorizing the loop; ``i - 1`` with ``i`` counted from
1 it can (the heat equation's tape filled and read back 2.5x faster).

A number saved where its slot cannot be computed from the loop counters (a
triangular nest, a loop left by ``break``, a value carried through an inner
loop) goes on a *stack*: an array and a top counter, allocated before the
top-level statement that does all its saves, with room for an upper bound on
their number (:func:`plan_stack_tapes`: each loop counts for the length of
its range, a range whose bounds move with an outer counter for its longest
run, a loop over a slice for its array's length, a ``while`` loop whose test keeps a counter below a limit for the
limit less the counter's lowest value).  A push is ``_saved_x[_saved_x_top] =
x; _saved_x_top += 1``.  A ``while`` loop's limit is often a cap far above
what runs (``it < maxit`` with ``maxit = 10 ** 7`` "never reached": 75 GB for
a loop that stops after a hundred trips): such a stack starts with room for
at most ``STACK_START`` values, and where each trip of the innermost such loop
starts it is grown (``room_for``: doubled at least) to room for what one trip
pushes, a bound of the counted loops inside.  A bound the loops compute
the same way in every trip (``nmax = int(2.0 / dt) + 2`` in a ray loop, ``n =
x.shape[0]`` of an ``x`` whose every value has ``x0``'s length) is taken before
them (:func:`invariant_value`): a ray marcher's stacks allocated whole, 2.44 ->
1.62 ms.  A ``while`` loop with no bound on its trips at all (``while t < T``)
holding every push of a stack, with a bound on what one trip pushes, grows its
stack the same way from ``STACK_START``.  Lists stay where no such bound exists
(pushes in such a loop and after it, an inner loop whose length each
trip computes anew: ``n = int((tfar - tnear) / dt)`` per ray) and for values
that are not numbers: a Numba list already grows a typed buffer by doubling,
and an array regrown inside a loop was measured 10x slower than either (the
array is re-bound, so Numba counts its references in every iteration).
Grown behind a test before each run of such an inner loop, 18 stacks of a
ray marcher ran its forward sweep 10x slower than without the test (the
same inner loop; the stacks re-bound in the ray loop), 4x slower than lists:
not done.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np

from .. import ir
from .astutil import add_int, int_of, nodes, remembered_stored_names, simplify, stored_names, walk


@dataclass
class IndexedTape:
    """A tape array for one store site: allocated before ``outer`` with shape
    ``capacity`` (one expression, or a tuple of them: an axis per loop) of
    ``dtype``; the site's slot is ``index`` (one expression, or a tuple)."""
    outer: ast.For
    capacity: ast.expr
    index: ast.expr
    dtype: np.dtype

    def slots(self) -> ast.expr:
        """The number of slots: the product of the axes' lengths."""
        if not isinstance(self.capacity, ast.Tuple):
            return self.capacity
        out = self.capacity.elts[0]
        for e in self.capacity.elts[1:]:
            out = ast.BinOp(left=out, op=ast.Mult(), right=e)
        return out


def enclosing(stmts, stack=()) -> dict:
    """id(statement) -> the compound statements around it, outermost first."""
    out = {}
    for s in stmts:
        out[id(s)] = list(stack)
        for f in ("body", "orelse"):
            if getattr(s, f, None):
                out.update(enclosing(getattr(s, f), (*stack, s)))
    return out


def counted(loop):
    """``(lo, hi)`` of ``for i in range(lo, hi)`` with step 1, else None."""
    if not isinstance(loop, ast.For) or ir.COUNT(loop):
        return None
    it = loop.iter
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
            and not it.keywords and 1 <= len(it.args) <= 3):
        return None
    if len(it.args) == 3 and not (isinstance(it.args[2], ast.Constant) and it.args[2].value == 1):
        return None
    return (ast.Constant(0), it.args[0]) if len(it.args) == 1 else (it.args[0], it.args[1])


def _span(loop, segmented):
    """``(first, bound, descending)`` of a loop over ``range`` with step 1, or
    (not checkpointed in segments) with step -1; else None."""
    bounds = counted(loop)
    if bounds is not None:
        return (*bounds, False)
    it = getattr(loop, "iter", None)
    if segmented or not isinstance(loop, ast.For) or ir.COUNT(loop) or not (
            isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
            and not it.keywords and len(it.args) == 3):
        return None
    step = it.args[2]
    if isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub) and \
            isinstance(step.operand, ast.Constant) and step.operand.value == 1 or \
            isinstance(step, ast.Constant) and step.value == -1:
        return it.args[0], it.args[1], True
    return None


def steps_by_one(loop) -> bool:
    """``loop`` counts over a range by 1 or by -1 (a slot per iteration can be
    indexed by its counter)."""
    return _span(loop, False) is not None


def _trips(lo, hi):
    low = int_of(lo)
    if isinstance(hi, ast.Constant) and low is not None:
        return ast.Constant(max(hi.value - low, 0))
    span = ast.BinOp(left=ir.clone(hi), op=ast.Sub(), right=ir.clone(lo))
    if low is not None:
        span = add_int(hi, -low)
    return ast.Call(func=ast.Name(id="max", ctx=ast.Load()), args=[span, ast.Constant(0)],
                    keywords=[])


def nest_facts(fn) -> tuple:
    """What :func:`plan_indexed_tapes` reads of ``fn``'s tree (the loops around
    each statement, the names each loop writes), for callers that plan many
    sites one at a time while the tree does not change."""
    return enclosing(fn.body), remembered_stored_names()


def plan_indexed_tapes(fn, sites, element_dtype, segments=None, per_iteration=(),
                       facts=None, invariant=None) -> dict:
    """For each store site ``(stmt, base)`` in ``sites``, an :class:`IndexedTape`
    where its loop nest allows one.  Each site has a tape of its own (a site
    runs once per iteration of its nest, so its slots never collide), also
    when other sites write into the same array.  ``segments``: id(loop) ->
    ``(start, every)``, the names of a checkpointed loop's segment start and
    length: its tapes hold one segment, indexed from its start.  ``facts``:
    :func:`nest_facts` of ``fn``, when the caller has them.  ``invariant``: as
    :func:`plan_stack_tapes`' (a bound the nest computes the same way in every
    trip, ``range(angles.shape[0])`` of a row ``angles = theta[b]``, is taken
    before it: a slot per iteration, not a list)."""
    segments = segments or {}
    around, stored = facts or nest_facts(fn)
    plan = {}
    for stmt, _base in sites:
        dtype = element_dtype(stmt)
        loops = [s for s in around[id(stmt)] if isinstance(s, (ast.For, ast.While))]
        if dtype is None or not loops or any(isinstance(s, ast.While) for s in loops):
            continue
        spans = [_span(loop, id(loop) in segments) for loop in loops]
        if any(b is None for b in spans):
            continue
        written = stored(loops[0])
        used = {n.id for lo, hi, _ in spans for e in (lo, hi) for n in nodes(e)
                if isinstance(n, ast.Name)}
        if used & written:
            # a bound the nest changes: one of the same value in every trip, else none
            # (a triangular loop)
            spans = [(*(_evaluable_or_none(e if not _reads(e, written) else
                                           _substituted(e, written, invariant), written)
                        for e in (lo, hi)), down) for lo, hi, down in spans]
            if any(lo is None or hi is None for lo, hi, _ in spans):
                continue
        axes, steps = [], []
        for loop, (lo, hi, down) in zip(loops, spans):
            if id(loop) in per_iteration:
                continue    # fused: each iteration reads its slots back before the next
            trips = _trips(hi, lo) if down else _trips(lo, hi)
            if id(loop) in segments:
                start, every = segments[id(loop)]
                lo, trips = ast.Name(id=start, ctx=ast.Load()), ast.Name(id=every, ctx=ast.Load())
            step = ast.Name(id=loop.target.id, ctx=ast.Load())
            if down:        # range(lo, hi, -1): lo, lo - 1, ... at slots 0, 1, ...
                step = ast.BinOp(left=ir.clone(lo), op=ast.Sub(), right=step)
            elif not (isinstance(lo, ast.Constant) and lo.value == 0):
                step = ast.BinOp(left=step, op=ast.Sub(), right=ir.clone(lo))
            axes.append(trips)
            steps.append(step)
        if not axes:
            capacity, index = ast.Constant(1), ast.Constant(0)
        elif len(axes) == 1:
            capacity, index = axes[0], steps[0]
        else:
            capacity = ast.Tuple(elts=axes, ctx=ast.Load())
            index = ast.Tuple(elts=steps, ctx=ast.Load())
        plan[id(stmt)] = IndexedTape(loops[0], capacity, index, dtype)
    return plan


# pushes a stack sized by a ``while`` loop's bound has room for at first (it
# doubles when full): a tolerance loop's ``it < maxit`` may allow 10 ** 7 trips
# where a hundred run
STACK_START = 1024


@dataclass
class StackTape:
    """A stack of numbers: ``capacity`` slots of ``dtype`` allocated before
    ``top`` (a statement of the function body; None: before everything), at
    least as many as the pushes it receives.  A stack of arrays of one shape
    has a slot per push too, each a row of that shape (``row``: the lengths of
    its axes, computable where the stack is allocated): a push copies the
    array into the slot, a pop reads the slot back.  ``grows``: where the
    bound counts the trips a ``while`` loop's test allows (``it < maxit``),
    which may be far more than it runs, ``(loop, pushes)`` for each innermost
    such loop holding pushes, and a bound on the pushes one of its trips
    makes: the stack starts smaller and, where each trip starts, grows to room
    for them (where the program allows it: not in a batch's element)."""
    top: ast.stmt | None
    capacity: ast.expr
    dtype: np.dtype
    row: tuple = ()
    grows: tuple = ()
    # pushes in a ``while`` loop whose trips have no bound (``while t < T``): the
    # capacity is where it starts, ``STACK_START``
    open_ended: bool = False


# calls a loop bound may make and still be evaluated before the loops run
_PURE_CALLS = {"len", "min", "max", "int", "abs"}


def _evaluable(e, varying) -> bool:
    """Can ``e`` be computed before the top-level statement: names it does not
    change, shapes, constants, arithmetic and ``len``/``min``/``max``?"""
    for n in nodes(e):
        if isinstance(n, ast.Call) and not (isinstance(n.func, ast.Name)
                                            and n.func.id in _PURE_CALLS):
            return False
        if isinstance(n, ast.Name) and n.id in varying:
            return False
        if isinstance(n, ast.Attribute) and n.attr not in ("shape", "size", "ndim"):
            return False
        if isinstance(n, ast.Subscript) and not (isinstance(n.value, ast.Attribute)
                                                 and n.value.attr == "shape"):
            return False      # an element: the loops may write it
        if not isinstance(n, (ast.expr, ast.expr_context, ast.operator, ast.unaryop,
                              ast.cmpop, ast.boolop)) or isinstance(
                n, (ast.NamedExpr, ast.Lambda, ast.Yield, ast.Await)):
            return False
    return True


_INVARIANT_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)


def invariant_value(name, varying, sites, types, lengths, depth=0):
    """An expression of number ``name``'s value that reads none of ``varying``
    (the names a top-level statement assigns), where ``name`` has one value
    throughout it: assigned once (``sites``: name -> its assignments, each with
    ``stmt``), by arithmetic or ``int``/``len``/``min``/``max``/``abs`` of
    numbers and names that are not varying or are themselves such, or by an
    axis of an array whose every value has a parameter's axis (``lengths``:
    ``shapes.axis_lengths``); else None.  Evaluated before the statement: as
    the program computes it in the statement (a bound of ``range(int(2.0 /
    dt) + 2)`` in each trip of an outer loop)."""
    ss = sites.get(name, [])
    t = types.get(name)
    if depth > 16 or len(ss) != 1 or ir.KIND(ss[0].stmt) != ir.Kind.ASSIGN or \
            not isinstance(ss[0].stmt, ast.Assign) or t is None or not t.is_scalar or \
            t.kind not in ("int", "float"):
        return None
    return _invariant_expr(ss[0].stmt.value, varying, sites, types, lengths, depth + 1)


def invariant_length(e, varying, sites, types, lengths):
    """:func:`invariant_value` of an array's length ``x.shape[k]`` (``e``)."""
    return _invariant_expr(e, varying, sites, types, lengths, 0)


def _invariant_expr(e, varying, sites, types, lengths, depth):
    def sub(x):
        return _invariant_expr(x, varying, sites, types, lengths, depth)
    if isinstance(e, ast.Constant) and type(e.value) in (int, float):
        return ast.Constant(e.value)
    if isinstance(e, ast.Name):
        return ast.Name(id=e.id, ctx=ast.Load()) if e.id not in varying else \
            invariant_value(e.id, varying, sites, types, lengths, depth)
    if isinstance(e, ast.BinOp) and isinstance(e.op, _INVARIANT_OPS):
        left, right = sub(e.left), sub(e.right)
        return None if left is None or right is None else \
            ast.BinOp(left=left, op=type(e.op)(), right=right)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        inner = sub(e.operand)
        return None if inner is None else ast.UnaryOp(op=ast.USub(), operand=inner)
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and \
            e.func.id in _PURE_CALLS and not e.keywords and e.func.id not in varying:
        args = [sub(a) for a in e.args]
        return None if None in args else \
            ast.Call(func=ast.Name(id=e.func.id, ctx=ast.Load()), args=args, keywords=[])
    if isinstance(e, ast.Subscript) and isinstance(e.slice, ast.Constant) and \
            type(e.slice.value) is int:
        array = _shape_of(e.value, sites)
        if array is None:
            return None
        k = e.slice.value
        if array not in varying:
            return ast.parse(f"{array}.shape[{k}]", mode="eval").body
        keys = lengths.get(array) or ()
        key = keys[k] if -len(keys) <= k < len(keys) else None
        if isinstance(key, int):
            return ast.Constant(key)
        if isinstance(key, str) and ".shape[" in key:
            return ast.parse(key, mode="eval").body
    return None


def longest_slice(name, varying, sites, types, lengths):
    """The most number ``name`` can be, where it is a slice's length along an
    axis (``_n4 = slice_length(0, step + 1, _n3)``: at most ``_n3``, the axis's
    length; ``equal_length(a, b)``: ``a``, or ``b``), as an expression
    computable before the statement that assigns ``varying``; else None.  A
    loop over a level of a binomial tree, ``S[:step + 1] = S[:step + 1] * d``,
    runs at most the array's length: its saves go on a stack of that many
    slots per level, not in a list."""
    ss = sites.get(name, [])
    if len(ss) != 1 or not isinstance(ss[0].stmt, ast.Assign):
        return None
    value = ss[0].stmt.value
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
            and not value.keywords):
        return None
    if value.func.id == "slice_length" and len(value.args) == 3:
        return _invariant_expr(value.args[2], varying, sites, types, lengths, 1)
    if value.func.id == "equal_length":
        for a in value.args:
            bound = _invariant_expr(a, varying, sites, types, lengths, 1)
            if bound is None and isinstance(a, ast.Name):
                bound = longest_slice(a.id, varying, sites, types, lengths)
            if bound is not None:
                return bound
    return None


def _shape_of(e, sites):
    """The array ``x`` whose shape ``e`` is: ``x.shape``, or a name assigned it once."""
    if isinstance(e, ast.Attribute) and e.attr == "shape" and isinstance(e.value, ast.Name):
        return e.value.id
    if isinstance(e, ast.Name):
        ss = sites.get(e.id, [])
        if len(ss) == 1 and isinstance(ss[0].stmt, ast.Assign):
            v = ss[0].stmt.value
            if isinstance(v, ast.Attribute) and v.attr == "shape" and isinstance(v.value, ast.Name):
                return v.value.id
    return None


def _reads(e, names) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in nodes(e))


def _varying_length(e, varying) -> bool:
    """``x.shape[k]`` of an array ``x`` in ``varying``."""
    return isinstance(e, ast.Subscript) and isinstance(e.value, ast.Attribute) and \
        e.value.attr == "shape" and isinstance(e.value.value, ast.Name) and \
        e.value.value.id in varying


def _substituted(e, varying, invariant):
    """``e`` with each name of ``varying`` it reads (or length of such an
    array, ``x.shape[k]``) replaced by ``invariant``'s expression of its
    value, or None where one has none."""
    if invariant is None:
        return None
    if _varying_length(e, varying):
        return invariant(e, varying)
    out = ir.clone(e)
    for n in list(nodes(out)):
        for field, value in ast.iter_fields(n):
            items = value if isinstance(value, list) else [value]
            for k, item in enumerate(items):
                if isinstance(item, ast.Name) and item.id in varying or \
                        _varying_length(item, varying):
                    new = invariant(item if isinstance(item, ast.Subscript) else item.id,
                                    varying)
                    if new is None:
                        return None
                    if isinstance(value, list):
                        value[k] = new
                    else:
                        setattr(n, field, new)
    if isinstance(out, ast.Name) and out.id in varying:
        return invariant(out.id, varying)
    return out


def _extreme(e, span, end):
    """``e`` at the end (``end``: 0 lowest, 1 highest) of the ranges of the outer
    counters it reads, when it rises with them: ``j``, ``j + c``, ``c + j``,
    ``j - c``; None otherwise."""
    if isinstance(e, ast.Name) and e.id in span:
        return ir.clone(span[e.id][end])
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub)):
        left, right = e.left, e.right
        if isinstance(e.op, ast.Add) and isinstance(left, ast.Constant):
            left, right = right, left
        if isinstance(left, ast.Name) and left.id in span and isinstance(right, ast.Constant):
            if type(right.value) is int:
                return add_int(span[left.id][end], right.value if isinstance(e.op, ast.Add)
                             else -right.value)
            return ast.BinOp(left=ir.clone(span[left.id][end]), op=e.op,
                             right=ir.clone(right))
    return None


def _most_trips(loop, span, varying, while_trips=None, invariant=None, longest=None):
    """An upper bound on the trips of ``loop`` (an expression computable before
    the top-level statement), or None; records the range of its counter in
    ``span`` (name -> (lowest, highest) expressions).  A ``while`` loop's bound
    is ``while_trips(loop)``'s, where it gives one; a bound that is a slice's
    length is at most ``longest(name, varying)``'s, where it gives one."""
    if isinstance(loop, ast.While):
        trips = while_trips(loop) if while_trips is not None else None
        return trips if trips is not None and _evaluable(trips, varying) else None
    it = getattr(loop, "iter", None)
    if not isinstance(loop, ast.For) or not (
            isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
            and not it.keywords and 1 <= len(it.args) <= 3):
        return None
    step = it.args[2] if len(it.args) == 3 else ast.Constant(1)
    down = int_of(step) == -1          # range(hi, lo, -1): hi, hi - 1, ..., lo + 1
    if not down and not (isinstance(step, ast.Constant) and isinstance(step.value, int)
                         and step.value > 0):
        return None
    lo, hi = (ast.Constant(0), it.args[0]) if len(it.args) == 1 else it.args[:2]
    if down:
        lo, hi = hi, lo
    if not _evaluable(lo, varying):
        lo = _extreme(lo, span, 0) or _evaluable_or_none(
            _substituted(lo, varying, invariant), varying) or _least(lo, span, varying)
    if not _evaluable(hi, varying):
        hi = _extreme(hi, span, 1) or _evaluable_or_none(
            _substituted(hi, varying, invariant), varying) or (
            longest(hi.id, varying) if longest is not None and isinstance(hi, ast.Name)
            else None)
    if lo is None or hi is None:
        return None
    lo, hi = simplify(lo), simplify(hi)
    if isinstance(loop.target, ast.Name):
        span[loop.target.id] = (add_int(lo, 1), hi) if down else (lo, add_int(hi, -1))
    if down:
        return _trips(lo, hi)
    trips = _trips(lo, hi)
    if step.value != 1:
        trips = ast.BinOp(left=ast.BinOp(left=trips, op=ast.Add(),
                                         right=ast.Constant(step.value - 1)),
                          op=ast.FloorDiv(), right=ast.Constant(step.value))
    return trips


def _least(e, span, varying):
    """An expression at most ``e`` in every iteration, computable before the
    top-level statement, or None: ``e`` itself where it is, the lowest value of
    an outer counter, 0 for a remainder by a positive number, sums of those
    (``1 + (i + 1 + color) % 2``, where a red-black sweep starts a row: at
    least 1)."""
    if _evaluable(e, varying):
        return ir.clone(e)
    if isinstance(e, ast.Name) and e.id in span:
        return ir.clone(span[e.id][0])
    if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mod):
        m = int_of(e.right)
        return ast.Constant(0) if m is not None and m > 0 else None
    if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Add):
        left, right = _least(e.left, span, varying), _least(e.right, span, varying)
        return None if left is None or right is None else \
            ast.BinOp(left=left, op=ast.Add(), right=right)
    return None


def _evaluable_or_none(e, varying):
    return e if e is not None and _evaluable(e, varying) else None


def _most_pushes(top, loops, per_iteration=(), stored=stored_names, while_trips=None,
                 invariant=None, varying=None, longest=None):
    """An upper bound on how often a statement inside ``loops`` (the loops
    around it within ``top``, outermost first) runs, or None; within one
    iteration of the loops in ``per_iteration`` (fused: each iteration pops
    what it pushed before the next one starts). ``stored``: ``stored_names``,
    or a function giving the same (remembered); ``while_trips``: see
    :func:`_most_trips`; ``varying``: the names the bound may not read (those
    ``top`` assigns, when not given)."""
    if varying is None:
        varying = stored(top) if top is not None else set()
    span: dict = {}
    bound = ast.Constant(1)
    for loop in loops:
        trips = _most_trips(loop, span, varying, while_trips, invariant, longest)
        if trips is None:
            return None
        counter = getattr(getattr(loop, "target", None), "id", None)
        if counter in span and any(counter in stored(s) for s in loop.body):
            del span[counter]     # the body assigns the counter: its range says nothing
        if id(loop) not in per_iteration:
            bound = simplify(ast.BinOp(left=bound, op=ast.Mult(), right=trips))
    return bound


def _lengths_only(bound) -> bool:
    """Whether ``bound`` (a ``while`` loop's) reads arrays' lengths only
    (``while k < x.shape[0]``): it runs that often, it is no cap far above what
    runs, and its stack is allocated whole (growing costs a rebinding of the
    stack where each trip starts)."""
    shaped = {id(n.value) for n in nodes(bound) if isinstance(n, ast.Attribute)
              and n.attr == "shape"}
    shaped |= {id(a) for n in nodes(bound) if isinstance(n, ast.Call)
               and isinstance(n.func, ast.Name) and n.func.id == "len" for a in n.args}
    names = [n for n in nodes(bound) if isinstance(n, ast.Name)
             and n.id not in ("max", "min", "len")]
    if not names:
        # a number written in the test (``it < 100000``): a cap unless small (a
        # trajectory loop's 17 stacks of M * 100000 slots for ~500 trips each)
        value = int_of(simplify(ir.clone(bound)))
        return value is not None and value <= STACK_START
    return all(id(n) in shaped for n in names)


def plan_stack_tapes(fn, around, sites: dict, per_iteration=(), while_trips=None,
                     invariant=None, longest=None, open_ended=False) -> dict:
    """For each tape of ``sites`` (key -> (dtype, [(statement, loops)]): a push
    made at ``statement``, inside ``loops``), a :class:`StackTape` where the
    number of pushes has an upper bound computable before they start: before
    the one top-level statement that holds them all, or, for a constant bound,
    before everything.  ``while_trips(loop)``: a bound on a ``while`` loop's
    trips, or None (then its pushes stay in a list).  ``invariant(name,
    varying)``: an expression of a name's value (or of an array's length
    ``x.shape[k]``, given as that expression) computable before the top-level
    statement that assigns ``varying`` (:func:`invariant_value`,
    :func:`invariant_length`), or None; ``longest(name, varying)``: such an
    expression of the most a slice's length ``name`` can be (:func:`longest_slice`),
    or None.  ``open_ended``: pushes in a ``while`` loop with no bound on its trips
    (``while t < T``) go on a stack that starts with room for ``STACK_START`` and
    grows where each trip starts, to room for a bound on what one trip pushes
    (the counted loops inside it), where every push of the stack is in that one
    loop: an explicit integrator's elements saved per step, one push and pop of
    a Numba list each before (3x the primal for a spring chain's forward sweep)."""
    stored = remembered_stored_names()     # the tree does not change here
    top_of = {}
    for s in fn.body:
        top_of[id(s)] = s
        for inner in walk([s]):
            top_of[id(inner)] = s
    plan = {}
    order = {id(s): k for k, s in enumerate(fn.body)}
    for key, (dtype, pushes) in sites.items():
        tops = {id(top_of.get(id(st))) for st, _ in pushes}
        if dtype is None or not pushes or None in [top_of.get(id(st)) for st, _ in pushes]:
            continue
        top = top_of[id(pushes[0][0])]
        varying = None
        if len(tops) > 1:
            # pushes in several top-level statements (an array's elements overwritten
            # by two loop nests): a bound computable before the first of them, from
            # names none of the statements from the first to the last assigns
            first, last = min(order[t] for t in tops), max(order[t] for t in tops)
            top = fn.body[first]
            varying = set().union(*(stored(s) for s in fn.body[first:last + 1]))
        bounds, trips, unbounded = [], {}, False
        for st, loops in pushes:
            inside = [lp for lp in around[id(st)] if isinstance(lp, (ast.For, ast.While))]
            inside += [lp for lp in loops if lp not in inside]
            bounds.append(_most_pushes(top if inside else None, inside, per_iteration, stored,
                                       while_trips, invariant,
                                       varying if inside else None, longest))
            whiles = [k for k, lp in enumerate(inside)
                      if isinstance(lp, ast.While) and id(lp) not in per_iteration]
            k = whiles[-1] if whiles else None
            limit = while_trips(inside[k]) if k is not None and bounds[-1] is not None else None
            per_trip = None if limit is None or _lengths_only(limit) else \
                _most_pushes(top, inside[k + 1:], per_iteration, stored, while_trips)
            if bounds[-1] is None and open_ended and k is not None and len(tops) == 1 and \
                    (while_trips is None or while_trips(inside[k]) is None):
                per_trip = _most_pushes(top, inside[k + 1:], per_iteration, stored, while_trips)
                if per_trip is not None:
                    bounds[-1], unbounded = ast.Constant(STACK_START), True
            trips.setdefault(id(inside[k]) if k is not None else None,
                             [inside[k] if k is not None else None, []])[1].append(per_trip)
        if None in bounds:
            continue
        total = bounds[0]
        for b in bounds[1:]:
            total = simplify(ast.BinOp(left=total, op=ast.Add(), right=b))
        # (grown only where every push is in one such loop, at no deeper one's level: a
        # push room was made for by no trip's start would write past the end)
        grows = ()
        if len(trips) == 1 and None not in trips and None not in next(iter(trips.values()))[1]:
            loop, per_trip = next(iter(trips.values()))
            each = per_trip[0]
            for b in per_trip[1:]:
                each = simplify(ast.BinOp(left=each, op=ast.Add(), right=b))
            grows = ((loop, each),)
        if unbounded and not grows:
            continue
        if unbounded:
            plan[key] = StackTape(top, ast.Constant(STACK_START), dtype, grows=grows,
                                  open_ended=True)
        elif len(tops) == 1:
            plan[key] = StackTape(top, total, dtype, grows=grows)
        elif isinstance(total, ast.Constant):
            plan[key] = StackTape(None, total, dtype)
        elif not any(lp is not None for lp, _ in trips.values()):
            plan[key] = StackTape(top, total, dtype)
    return plan


def number_dtype(t):
    """The NumPy dtype a stack of values of type ``t`` holds; None when ``t``
    is not a number (arrays and tuples stay in lists)."""
    if t is None or not t.is_scalar:
        return None
    if t.kind == "float":
        return np.dtype(t.dtype if t.dtype is not None else np.float64)
    return np.dtype(np.int64 if t.kind == "int" else np.bool_)


def stack_sites(rt) -> dict:
    """The pushes of ``rt`` (a passes/planner.py Planner after deciding its saves)
    onto tapes that are not indexed: tape key (``("saved", var)``, or
    ``("_items", base)`` for elements) -> (dtype or None, [(statement, loops)]),
    the push made before ``statement`` or, for a loop's snapshot, inside
    ``loops``.  An array whose every value has one shape (``rt.row_dtype``) has
    the dtype of its elements: a stack of rows."""
    stmts = {id(st): st for st in walk(rt.fn.body)}
    order = {sid: k for k, sid in enumerate(stmts)}   # (ids change between processes)
    sites: dict = {}

    def add(key, dtype, st, loops=()):
        entry = sites.setdefault(key, [dtype, []])
        if entry[0] != dtype:
            entry[0] = None              # pushes of different types: a list
        entry[1].append((st, list(loops)))

    for sid, var in sorted(rt.save_at, key=lambda p: (p[1], order.get(p[0], -1))):
        st = stmts.get(sid)
        if st is None:
            continue
        if not var.endswith("[]"):
            if (sid, var) not in rt.indexed_scalars:
                add(("saved", var), rt.row_dtype(var) or number_dtype(rt.types.get(var)), st)
            continue
        if sid in rt.indexed:
            continue
        target = st.targets[0] if isinstance(st, ast.Assign) else st.target
        parts = target.slice.elts if isinstance(target.slice, ast.Tuple) else [target.slice]
        if any(isinstance(p, ast.Slice) for p in parts):
            continue                      # a slice: copies in a list of their own
        base = var[:-2]
        one = rt.item_type(base, target.slice) is not None
        add(("_items", base), np.dtype(rt.types[base].dtype) if one else None, st)
    for loop in walk(rt.fn.body):
        if isinstance(loop, (ast.For, ast.While)):
            for v in rt.snapshot_vars_of(loop):
                if v not in rt.array_tapes.get(id(loop), ()):
                    add(("saved", v), rt.row_dtype(v) or number_dtype(rt.types.get(v)), loop,
                        [loop])
    return {key: (dtype, pushes) for key, (dtype, pushes) in sites.items()}


TRIPS = 8      # assumed trip count of every loop (only relative depths matter)


def tape_traffic(fn, tapes) -> int:
    """What the tapes of an adjoint move, each statement weighted by
    ``TRIPS`` per loop around it: a value written to a tape or read back
    counts 1, and 1 more when it comes from an array element or goes into one
    (an element saved before an overwrite, put back after it): the measure by
    which program.py chooses between putting an array's elements back and
    storing the values the reverse sweep computes from them."""
    total = 0

    def is_tape(e):
        return isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name) and \
            e.value.id in tapes

    def element(e):
        return isinstance(e, ast.Subscript) and not is_tape(e)

    def visit(stmts, weight):
        nonlocal total
        for s in stmts:
            if isinstance(s, (ast.For, ast.While)):
                visit(s.body, weight * TRIPS)
                visit(s.orelse, weight)
            elif isinstance(s, ast.If):
                visit(s.body, weight)
                visit(s.orelse, weight)
            elif isinstance(s, ast.Assign) and len(s.targets) == 1:
                target, value = s.targets[0], s.value
                if is_tape(target):
                    total += weight * (1 + element(value))
                elif is_tape(value) or isinstance(value, ast.Call) and \
                        isinstance(value.func, ast.Attribute) and \
                        isinstance(value.func.value, ast.Name) and value.func.value.id in tapes:
                    total += weight * (1 + element(target))
            elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and \
                    isinstance(s.value.func, ast.Attribute) and \
                    isinstance(s.value.func.value, ast.Name) and s.value.func.value.id in tapes:
                total += weight * (1 + any(element(a) for a in s.value.args))
    visit(fn.body, 1)
    return total
