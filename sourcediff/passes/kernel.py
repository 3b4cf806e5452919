"""Lowering of a generated adjoint to a per-element function for batched targets.

``Program`` emits ``f_grad(args) -> (value, (grads...))``: it allocates its
array adjoints (``dx = np.zeros_like(x)``) and keeps its tapes in Python
lists (``_saved_s = []``, ``.append``, ``.pop()``).  A batched driver calls
it once per element, millions of times, and a CUDA kernel can allocate
neither.  This pass rewrites the adjoint (after the reverse pass, never inside
it) into ``f_grad_element``:

* each list tape becomes a preallocated 1-D array passed in by the driver
  (a chunk's buffer on the CPU, a local array or a column of a global
  workspace on the GPU) and a top-of-stack counter, pushed and popped by
  inline code (a helper call per push was 2.5x slower on the Greeks loop).
  A push beyond the capacity is not stored but recorded in ``tape_need``
  (``tape_overflow``); the driver then runs the batch again with the
  capacity it reports, so a too-small guess costs time, never a wrong
  gradient.  The first pop of an overflowed tape is above its capacity: the
  element returns at once (its results are discarded), so no value from
  outside a tape is ever used;
* the adjoint of an array argument is written straight into the element's
  row of the output array (a parameter), zeroed by explicit loops;
* it returns ``value, scalar_grad_1, ...`` (flat; array gradients are
  already in their rows).

It works on the adjoint's tree as it was emitted (``Program.trees``, see
``emit.emitted``), never on its source text: tapes and adjoint buffers are
the statements the reverse pass marked (``ir.TAPE``, ``ir.ADJOINT_INIT``),
and the element is printed by the emitter with the comments that quote the
user's lines (``ir.COMMENTS``, moved to the statements that replace a
statement).

``check_kernel_subset`` rejects, with the user's line, what cannot run in a
CUDA kernel (allocations, NumPy calls, whole-array arithmetic, lists).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

import astor
import numpy as np

from .. import ir
from ..emit import emit_function
from ..errors import TransformError
from ..names import Namer
from .astutil import add_int, int_of, nodes, range_step
from .own_names import split_loop_locals, unshared

TAPE_HELPERS = ("tape_overflow", "atomic_add")


# -- runtime helper (plain Python; the backends compile it for their target) --
def tape_overflow(need, k, top):
    """A push at ``top`` did not fit tape ``k``: record the capacity it needs
    (the driver runs the batch again with it)."""
    need[k] = max(need[k], top + 1)


@dataclass
class Tape:
    name: str
    dtype: np.dtype


@dataclass
class Element:
    """A lowered per-element adjoint."""
    name: str
    source: str
    params: list                       # the user's parameters
    grad_rows: dict                    # wrt index -> row parameter name (array gradients)
    scalar_grads: list                 # wrt indices returned as scalars, in order
    tapes: list = field(default_factory=list)
    list_tapes: list = field(default_factory=list)   # tapes left as lists (not lowerable)
    need: str = "tape_need"
    # the element function's tree (for check_kernel_subset); not pickled
    tree: object = field(default=None, repr=False, compare=False)
    # callee adjoints rewritten to take their tapes from the element: name -> source
    callees: dict = field(default_factory=dict)
    callee_trees: dict = field(default_factory=dict, repr=False, compare=False)
    # callee adjoint name -> [(tape, user line of its first push)] left as lists
    callee_list_tapes: dict = field(default_factory=dict)

    @property
    def signature(self) -> list:
        tapes = [t.name for t in self.tapes]
        return self.params + list(self.grad_rows.values()) + tapes + ([self.need] if tapes else [])

    def __getstate__(self):
        state = dict(self.__dict__)
        state["tree"] = None
        state["callee_trees"] = {}
        return state


@dataclass
class CalleeAdjoint:
    """A callee's adjoint (``h_vjp(args, cotangent) -> (value, (grads...))``) the
    element calls, directly or through other callees, as lowering needs it."""
    name: str                   # the user's function
    tree: ast.FunctionDef       # as emitted (``Program.trees``)
    docstring: str
    value: object               # the type of the value it returns
    grads: list                 # (parameter, type) of each gradient it returns


# -- building statements -------------------------------------------------------
def _load(name):
    return ast.Name(id=name, ctx=ast.Load())


def _store(name):
    return ast.Name(id=name, ctx=ast.Store())


def _call(func, *args):
    return ast.Call(func=_load(func) if isinstance(func, str) else func, args=list(args),
                    keywords=[])


def _at(name, index, store=False):
    """``name[index]``."""
    return ast.Subscript(value=_load(name), slice=index,
                         ctx=ast.Store() if store else ast.Load())


def _assign(target, value):
    return ast.Assign(targets=[_store(target) if isinstance(target, str) else target],
                      value=value)


def _bump(name, op):
    """``name += 1`` / ``name -= 1``."""
    return ast.AugAssign(target=_store(name), op=op, value=ast.Constant(1))


def _size(name):
    """``name.shape[0]``."""
    return ast.Subscript(value=ast.Attribute(value=_load(name), attr="shape", ctx=ast.Load()),
                         slice=ast.Constant(0), ctx=ast.Load())


def _compare(left, op, right):
    return ast.Compare(left=left, ops=[op], comparators=[right])


def _if(test, body, orelse=()):
    return ast.If(test=test, body=list(body), orelse=list(orelse))


def _result(values):
    """``return v`` or ``return v1, v2, ...``."""
    return ast.Return(value=values[0] if len(values) == 1 else
                      ast.Tuple(elts=list(values), ctx=ast.Load()))


def _element_loops(name, ndim, body):
    """``for _i0 in range(name.shape[0]): ...`` over every element of array
    ``name``; ``body(index)`` makes the innermost statement."""
    idx = [f"_i{k}" for k in range(ndim)]
    index = _load(idx[0]) if ndim == 1 else ast.Tuple(elts=[_load(i) for i in idx],
                                                       ctx=ast.Load())
    inner = body(index)
    for k in reversed(range(ndim)):
        shape = ast.Attribute(value=_load(name), attr="shape", ctx=ast.Load())
        rng = _call("range", ast.Subscript(value=shape, slice=ast.Constant(k), ctx=ast.Load()))
        inner = ast.For(target=_store(idx[k]), iter=rng, body=[inner], orelse=[],
                        type_comment=None)
    return inner


def _standing_for(stmts, like) -> list:
    """New statements ``stmts`` in the place of ``like``: the user line of
    ``like`` (for error messages) on all of them, its comments above the first."""
    _lined(stmts, like)
    if like is not None and stmts:
        ir.COMMENTS.set(stmts[0], ir.COMMENTS(like))
    return stmts


def _lined(stmts, like) -> list:
    """``stmts`` (new, nested ones too) from the user line of ``like``."""
    line = None if like is None else ir.LINE(like)
    for s in stmts:
        for n in nodes(s):
            if isinstance(n, ast.stmt):
                ir.LINE.set(n, line)
    return stmts


def _expr(node) -> str:
    # (astor annotates the nodes it prints: a copy leaves the tree as it is)
    return astor.to_source(ir.clone(node)).strip()


# -- lowering ------------------------------------------------------------------
class NotLowerable(Exception):
    pass


def _zero_fill(name, ndim) -> ast.stmt:
    return _element_loops(name, ndim, lambda i: _assign(_at(name, i, True), ast.Constant(0.0)))


def lower_adjoint(tree: ast.FunctionDef, grad_name: str, params: list, types: list,
                  wrt: tuple, env: dict, accumulate=(), atomic: bool = False,
                  callees: dict | None = None, store_expensive: bool = True) -> Element:
    """Rewrite the adjoint ``grad_name`` (its emitted tree, ``Program.trees``)
    into a per-element function; see the module docstring.

    ``callees``: name -> :class:`CalleeAdjoint` of the generated adjoints it may
    call; those with tapes take them from the element (``_lower_callees``).

    ``accumulate``: wrt indices of array arguments whose gradient is *added* into
    the row passed in (a sum over the batch, ``reduce="sum"``) instead of
    overwriting it; with ``atomic`` each addition is an ``atomic_add`` (threads
    of a CUDA kernel share the row).

    ``store_expensive``: transcendental values the reverse sweep recomputes go
    on a tape (``store_expensive_recomputations``): on a CPU the tape stays in
    cache and costs less than a second ``exp``; in a CUDA kernel (False) a
    tape is local memory, traffic of a million threads, and computing again
    costs less (the Greeks' kernel on an H200: 1.67 ms with the ``exp``s on a
    tape, 1.16 ms without)."""
    fn = ir.clone(tree)
    body = list(fn.body)
    ret = body[-1]
    if not (isinstance(ret, ast.Return) and isinstance(ret.value, ast.Tuple)
            and len(ret.value.elts) == 2 and isinstance(ret.value.elts[1], ast.Tuple)):
        raise NotLowerable(f"unexpected result statement in {grad_name}")
    fresh = Namer(_names(fn) | set(params), sep="_").fresh     # x, x_2, x_3, ...

    grad_rows, scalar_grads, returned = _gradient_rows(fn, body, params, types, wrt, fresh,
                                                       accumulate, atomic)
    need = fresh("tape_need")
    if store_expensive:
        store_expensive_recomputations(body, fresh, env)
    # names of their own in each loop, once the stores above matched them
    fn.body = body
    body = split_loop_locals(unshared(fn), _names(fn) | set(params)).body
    abort = _result([ast.Constant(0.0) for _ in returned])
    tapes, list_tapes = _lower_tapes(body, fresh, need, abort)
    tapes += _lower_indexed_tapes(body, need, abort, len(tapes))
    lowered = _lower_callees(_reachable(body, callees or {}), len(tapes))
    names = {key: fresh(key[0] + key[1]) for key, _ in lowered.tapes}
    tapes += [Tape(names[key], dtype) for key, dtype in lowered.tapes]
    lowered.pass_tapes(body, names, need)
    element = Element(fresh(grad_name + "_element"), "", list(params), grad_rows, scalar_grads,
                      tapes, list_tapes, need, callees=lowered.sources,
                      callee_trees=lowered.trees, callee_list_tapes=lowered.left)
    doc = f"{fn.name} for one element of a batch"
    doc += ", array gradients written into their rows" if grad_rows else ""
    doc += "." if not tapes else (
        ", tapes in preallocated arrays.\n\n    A tape too small for what this element "
        "saves returns zeros at once (a\n    pop above its capacity, or a trip count larger "
        "than its capacity): the\n    driver runs the batch again with the capacities "
        "reported in tape_need.")
    args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in element.signature],
                         vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    element.tree = ast.FunctionDef(name=element.name, args=args, body=body, decorator_list=[],
                                   returns=None, type_comment=None, type_params=[])
    element.source = emit_function(element.tree, docstring=doc, fixed=True)
    return element


def _gradient_rows(fn, body, params, types, wrt, fresh, accumulate, atomic):
    """Array gradients into output rows, the result statement flat: returns
    (wrt index -> row name, wrt indices returned as scalars, returned values)."""
    ret = body[-1]
    value, grads = ret.value.elts[0], ret.value.elts[1].elts
    grad_rows, scalar_grads, returned, tail = {}, [], [value], []
    for k, g in zip(wrt, grads):
        t = types[k]
        if not t.is_array:
            scalar_grads.append(k)
            returned.append(g)
            continue
        summed = k in accumulate
        if isinstance(g, ast.Name):
            inits = [i for i, s in enumerate(body) if ir.ADJOINT_INIT(s) == g.id]
            rebound = [n for n in nodes(fn) if isinstance(n, ast.Name) and n.id == g.id
                       and isinstance(n.ctx, ast.Store)]
            if len(inits) == 1 and len(rebound) == 1 and (
                    not summed or _only_added_into(fn, g.id, ret)):
                grad_rows[k] = g.id
                i = inits[0]
                # a summed row starts at zero once, before the batch
                if summed:
                    _drop_keeping_comments(body, i)
                else:
                    body[i:i + 1] = _standing_for([_zero_fill(g.id, t.ndim)], body[i])
                if summed and atomic:
                    body[:] = _atomic_adds(body, g.id)
                continue
            row = fresh(g.id + "_row")
            grad_rows[k] = row
            tail.append(_add_into(row, g.id, t.ndim, atomic) if summed else
                        _assign(_at(row, ast.Slice(), True), _load(g.id)))
        else:   # np.zeros_like(x): no path from x to the result
            row = fresh("d" + params[k])
            grad_rows[k] = row
            if k not in accumulate:
                tail.append(_zero_fill(row, t.ndim))
    body[-1:] = _standing_for(tail + [_result(returned)], ret)
    return grad_rows, scalar_grads, returned


def _drop_keeping_comments(body, i) -> None:
    """Remove statement ``i``; the comments above it go to the next statement."""
    gone = body.pop(i)
    moved = ir.COMMENTS(gone)
    if moved and i < len(body):
        ir.COMMENTS.set(body[i], moved + (ir.COMMENTS(body[i]) or []))


def _only_added_into(fn, name, ret) -> bool:
    """Is array ``name`` only created, added into (``name[i] += e``) and returned
    (by ``ret``)?  Then a row that already holds a partial sum can take the
    additions."""
    added = {id(n) for n in nodes(ret)}
    for n in nodes(fn):
        if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add) \
                and isinstance(n.target, ast.Subscript) \
                and isinstance(n.target.value, ast.Name) and n.target.value.id == name:
            added.add(id(n.target.value))
    uses = [n for n in nodes(fn) if isinstance(n, ast.Name) and n.id == name]
    stores = [n for n in uses if isinstance(n.ctx, ast.Store)]
    return len(stores) == 1 and all(id(n) in added for n in uses if n not in stores)


def _atomic_adds(stmts, name) -> list:
    """``name[i] += e`` -> ``atomic_add(name, i, e)``, in nested blocks too."""
    out = []
    for s in stmts:
        if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Subscript) \
                and isinstance(s.target.value, ast.Name) and s.target.value.id == name:
            call = _call("atomic_add", _load(name), s.target.slice, s.value)
            out += _standing_for([ast.Expr(value=call)], s)
            continue
        for f in ("body", "orelse"):
            if getattr(s, f, None):
                setattr(s, f, _atomic_adds(getattr(s, f), name))
        out.append(s)
    return out


def _add_into(row, name, ndim, atomic) -> ast.stmt:
    """Loops adding array ``name`` into ``row`` (a partial sum)."""
    def add(index):
        if atomic:
            return ast.Expr(value=_call("atomic_add", _load(row), index, _at(name, index)))
        return ast.AugAssign(target=_at(row, index, True), op=ast.Add(), value=_at(name, index))
    return _element_loops(row, ndim, add)


def atomic_add(row, index, value):
    """``row[index] += value`` (the plain form of the CUDA atomic addition)."""
    row[index] += value


EXPENSIVE = {"exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tan", "asin",
             "acos", "atan", "atan2", "sinh", "cosh", "tanh", "erf", "pow", "hypot"}


def _assigned(stmts, name) -> int:
    return sum(1 for s in stmts for n in nodes(s)
               if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store))


def _expensive(st) -> bool:
    """``v = math.exp(...)`` and friends."""
    return (isinstance(st, ast.Assign) and len(st.targets) == 1
            and isinstance(st.targets[0], ast.Name) and isinstance(st.value, ast.Call)
            and isinstance(st.value.func, ast.Attribute)
            and isinstance(st.value.func.value, ast.Name)
            and st.value.func.value.id == "math" and st.value.func.attr in EXPENSIVE)


def _sweep_loops(body, sections) -> dict:
    """Loop variable -> the top-level ``for`` loops of the given sections."""
    loops: dict = {}
    for s in body:
        if isinstance(s, ast.For) and ir.SECTION(s) in sections and \
                isinstance(s.target, ast.Name):
            loops.setdefault(s.target.id, []).append(s)
    return loops


def _runs_backwards(forward, reverse) -> bool:
    """``reverse`` is ``for i in range(stop - 1, start - 1, -1)`` of ``forward``'s
    ``for i in range(start, stop)`` (or ``range(stop)``): the iterations in the
    opposite order, so that a stack pushed by the one is popped in step by the other."""
    if range_step(forward) != 1 or range_step(reverse) != -1 or len(reverse.iter.args) != 3:
        return False
    fa, ra = forward.iter.args, reverse.iter.args
    start, stop = (fa[0], fa[1]) if len(fa) >= 2 else (ast.Constant(0), fa[0])

    def same(a, b):
        return int_of(a) == int_of(b) if int_of(a) is not None else ast.dump(a) == ast.dump(b)
    return same(add_int(stop, -1), ra[0]) and same(add_int(start, -1), ra[1])


def store_expensive_recomputations(body, fresh, env=None) -> list:
    """Tape transcendental results the reverse sweep would recompute.

    The reverse pass recomputes loop-body values from the loop index and
    loop-invariant values instead of taping them (less memory); for
    ``math.exp`` and friends a float on a tape that stays in cache is cheaper
    than a second evaluation.  Only a statement at the top level of a
    top-level loop of the forward sweep whose exact copy sits at the top level
    of the matching loop of the reverse sweep is changed (same iterations,
    same values), so the rewrite cannot change a result.  Returns the names
    now taped."""
    env = env or {}
    # the fused last loop runs forward too
    forward = _sweep_loops(body, ("forward", "fused"))
    reverse = _sweep_loops(body, ("reverse",))
    stored = []
    for target, fs in forward.items():
        rs = reverse.get(target, [])
        if len(fs) != len(rs):
            continue
        for f, r in zip(fs, reversed(rs)):
            if not _runs_backwards(f, r):
                # (a reverse loop of independent iterations may count up,
                # passes/ascending.py: a stack would hand each one another's value)
                continue
            for st in list(f.body):
                if not _expensive(st):
                    continue
                var = st.targets[0].id
                copies = [i for i, x in enumerate(r.body) if ast.dump(x) == ast.dump(st)]
                if len(copies) != 1 or _assigned(body, var) != 2:
                    continue
                tape = fresh("_saved_" + var.lstrip("_"))
                body.insert(0, _tape_op(_assign(tape, ast.List(elts=[], ctx=ast.Load())),
                                        "list", tape))
                push = ast.Expr(value=_call(ast.Attribute(value=_load(tape), attr="append",
                                                          ctx=ast.Load()), _load(var)))
                f.body.insert(f.body.index(st) + 1,
                              _lined([_tape_op(push, "push", tape, env.get(var))], st)[0])
                i = copies[0]
                pop = _assign(var, _call(ast.Attribute(value=_load(tape), attr="pop",
                                                       ctx=ast.Load())))
                r.body[i] = _standing_for([_tape_op(pop, "pop", tape)], r.body[i])[0]
                stored.append(var)
            if stored:
                _drop_dead_recomputations(r, body[body.index(r) + 1:])
    return stored


def _tape_op(stmt, role, tape, item=None):
    ir.TAPE.set(stmt, ir.TapeOp(role, tape, item))
    return stmt


def _pure(e) -> bool:
    for n in nodes(e):
        if isinstance(n, ast.Call) and not (isinstance(n.func, ast.Attribute)
                                            and isinstance(n.func.value, ast.Name)
                                            and n.func.value.id == "math"):
            return False
        if isinstance(n, (ast.NamedExpr, ast.Await, ast.Yield)):
            return False
    return True


def _drop_dead_recomputations(loop, after):
    """Recomputations in a reverse loop that only fed a value now popped."""
    while True:
        reads = {n.id for s in loop.body + after for n in nodes(s)
                 if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        dead = [s for s in loop.body if isinstance(s, ast.Assign) and len(s.targets) == 1
                and isinstance(s.targets[0], ast.Name) and s.targets[0].id not in reads
                and _pure(s.value)]
        if not dead:
            return
        loop.body = [s for s in loop.body if s not in dead]


def _names(fn) -> set:
    return {n.id for n in nodes(fn) if isinstance(n, ast.Name)} | \
        {a.arg for a in nodes(fn) if isinstance(a, ast.arg)}


def _tape_ops(body, role) -> list:
    """(statement, TapeOp) of the tape statements of ``role`` in ``body``, nested too."""
    module = ast.Module(body=body, type_ignores=[])
    return [(n, ir.TAPE(n)) for n in nodes(module)
            if isinstance(n, ast.stmt) and ir.TAPE(n) is not None and ir.TAPE(n).role == role]


def _mentions(body, names) -> dict:
    uses = {name: 0 for name in names}
    for n in nodes(ast.Module(body=body, type_ignores=[])):
        if isinstance(n, ast.Name) and n.id in uses:
            uses[n.id] += 1
    return uses


def _lower_tapes(body, fresh, need, abort, first=0):
    """List tapes (``ir.TAPE`` role ``list``, at the top level) used only by their
    pushes and pops, every push of one scalar type, become arrays (``tape_need``
    slots from ``first``); others stay lists (reported)."""
    inits = {ir.TAPE(s).tape: s for s in body
             if ir.TAPE(s) is not None and ir.TAPE(s).role == "list"}
    if not inits:
        return [], []
    uses = _mentions(body, inits)
    pushes = {name: [] for name in inits}
    pops = {name: 0 for name in inits}
    for _, op in _tape_ops(body, "push"):
        if op.tape in inits:
            pushes[op.tape].append(op.item)
    for _, op in _tape_ops(body, "pop"):
        if op.tape in inits:
            pops[op.tape] += 1
    tapes, left, index = [], [], {}
    for name in inits:
        kinds = set(pushes[name])
        ok = (uses[name] == 1 + len(pushes[name]) + pops[name] and len(kinds) == 1
              and None not in kinds and next(iter(kinds)).is_scalar)
        if ok:
            index[name] = (first + len(tapes), fresh(name + "_top"))
            tapes.append(Tape(name, next(iter(kinds)).dtype))
        else:
            left.append(name)

    def rewrite(stmts):
        out = []
        for s in stmts:
            op = ir.TAPE(s)
            if op is not None and op.tape in index:
                out += _standing_for(_array_tape_op(s, op, index, need, abort), s)
                continue
            for f in ("body", "orelse"):
                if getattr(s, f, None):
                    setattr(s, f, rewrite(getattr(s, f)))
            out.append(s)
        return out

    body[:] = rewrite(body)
    return tapes, left


def _array_tape_op(s, op, index, need, abort) -> list:
    """The statements doing what tape statement ``s`` did, on an array tape
    ``op.tape`` with its top-of-stack counter."""
    name = op.tape
    k, top = index[name]
    if op.role == "list":
        return [_assign(top, ast.Constant(0))]
    if op.role == "push":
        store = _assign(_at(name, _load(top), True), s.value.args[0])
        overflow = ast.Expr(value=_call("tape_overflow", _load(need), ast.Constant(k),
                                        _load(top)))
        return [_if(_compare(_load(top), ast.Lt(), _size(name)), [store], [overflow]),
                _bump(top, ast.Add())]
    # pop
    return [_bump(top, ast.Sub()),
            _if(_compare(_load(top), ast.GtE(), _size(name)), [ir.clone(abort)]),
            ast.Assign(targets=s.targets, value=_at(name, _load(top)))]


def _flatten_tapes(body) -> None:
    """Tapes with an axis per loop (``X = np.empty((a, b), dtype)``, ``X[t, i]``)
    become one axis (``np.empty(a * b, dtype)``, ``X[t * b + i]``): the driver
    passes each tape as a row of one buffer.  A tape allocated with two shapes
    is left as it is."""
    shapes = {}
    for stmt, op in _tape_ops(body, "array"):
        shape = stmt.value.args[0]
        if isinstance(shape, ast.Tuple):
            seen = shapes.setdefault(op.tape, shape)
            if seen is not None and ast.dump(seen) != ast.dump(shape):
                shapes[op.tape] = None
    shapes = {k: v for k, v in shapes.items() if v is not None}
    if not shapes:
        return
    for stmt, op in _tape_ops(body, "array"):
        if op.tape in shapes:
            size = ir.clone(shapes[op.tape].elts[0])
            for e in shapes[op.tape].elts[1:]:
                size = ast.BinOp(left=size, op=ast.Mult(), right=ir.clone(e))
            stmt.value.args[0] = size
    for n in nodes(ast.Module(body=body, type_ignores=[])):
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) \
                and n.value.id in shapes and isinstance(n.slice, ast.Tuple) \
                and len(n.slice.elts) == len(shapes[n.value.id].elts):
            axes = shapes[n.value.id].elts
            flat = n.slice.elts[0]
            for e, length in zip(n.slice.elts[1:], axes[1:]):
                flat = ast.BinOp(left=ast.BinOp(left=flat, op=ast.Mult(), right=ir.clone(length)),
                                 op=ast.Add(), right=e)
            n.slice = flat


def _lower_indexed_tapes(body, need, abort, first) -> list:
    """Tapes the reverse pass allocated by trip count (``ir.TAPE`` role ``array``:
    ``X = np.empty(size, dtype)``, then ``X[i] = v`` / ``v = X[i]``) become
    preallocated arrays: the allocation turns into a capacity check."""
    _flatten_tapes(body)
    allocs, indexed = {}, {}
    for stmt, op in _tape_ops(body, "array"):
        allocs.setdefault(op.tape, []).append((stmt, op.item))
    uses = _mentions(body, allocs)
    for n in nodes(ast.Module(body=body, type_ignores=[])):
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) \
                and n.value.id in allocs and not isinstance(n.slice, ast.Tuple) \
                and not any(isinstance(x, ast.Slice) for x in nodes(n.slice)):
            indexed[n.value.id] = indexed.get(n.value.id, 0) + 1   # an element
    tapes, checks = [], {}
    for name, found in allocs.items():
        dtypes = {d for _, d in found}
        if len(dtypes) != 1 or uses[name] != len(found) + indexed.get(name, 0):
            continue            # used some other way: left as it is
        k = first + len(tapes)
        tapes.append(Tape(name, dtypes.pop()))
        for stmt, _ in found:
            size = stmt.value.args[0]
            over = _compare(ir.clone(size), ast.Gt(), _size(name))
            last = ast.BinOp(left=ir.clone(size), op=ast.Sub(), right=ast.Constant(1))
            report = ast.Expr(value=_call("tape_overflow", _load(need), ast.Constant(k), last))
            checks[id(stmt)] = _standing_for([_if(over, [report, ir.clone(abort)])], stmt)

    def rewrite(stmts):
        out = []
        for st in stmts:
            if id(st) in checks:
                out += checks[id(st)]
                continue
            for f in ("body", "orelse"):
                if getattr(st, f, None):
                    setattr(st, f, rewrite(getattr(st, f)))
            out.append(st)
        return out

    body[:] = rewrite(body)
    return tapes


# -- callees' tapes -------------------------------------------------------------
def _called(stmts, names) -> list:
    """The functions of ``names`` that ``stmts`` call, in the order of their calls."""
    found = []
    for n in nodes(ast.Module(body=stmts, type_ignores=[])):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names \
                and n.func.id not in found:
            found.append(n.func.id)
    return found


def _reachable(body, callees) -> dict:
    """The callee adjoints ``body`` calls, directly or not, callees first."""
    seen, todo = set(), _called(body, callees)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += _called(callees[name].tree.body, callees)
    # (a callee's adjoint is generated, and listed, before its callers')
    return {name: c for name, c in callees.items() if name in seen}


def _zero(t, param=None):
    """A zero of type ``t``: the result of an adjoint whose tapes are too small."""
    if t.kind == "float":
        return ast.Constant(0.0) if t.dtype == np.float64 else \
            _call(ast.Attribute(value=_load("np"), attr=t.dtype.name, ctx=ast.Load()),
                  ast.Constant(0.0))
    if t.kind in ("int", "bool"):
        return ast.Constant(0 if t.kind == "int" else False)
    if t.kind == "tuple":
        return ast.Tuple(elts=[_zero(e) for e in t.elts], ctx=ast.Load())
    if t.is_array and param is not None:
        return _call(ast.Attribute(value=_load("np"), attr="zeros_like", ctx=ast.Load()),
                     _load(param))
    raise NotLowerable(f"no zero for a {t}")


class CalleeTapes:
    """The callee adjoints of an element, their tapes lowered like the element's.

    A callee's adjoint runs its own forward and reverse sweeps: its tapes are
    empty again when it returns, so one array per tape serves every call (in a
    loop, or from several callers).  Each becomes a parameter of the callee,
    passed down from the element (which gets it from the driver, like its own
    tapes); a callee passes its callees' tapes on.  A tape too small returns
    zeros at once (the element's results are then discarded and the batch runs
    again with the capacities reported in ``tape_need``)."""

    def __init__(self):
        self.tapes: list = []     # ((callee, its tape), dtype) in tape_need order
        self.needs: dict = {}     # callee -> the keys of the tapes it takes
        self.sources: dict = {}   # callee -> its lowered source
        self.trees: dict = {}
        self.left: dict = {}      # callee -> [(tape, user line)] left as lists

    def pass_tapes(self, stmts, names, need) -> None:
        """Calls in ``stmts`` of a lowered callee get its tapes (``names``: key ->
        the caller's name for it) and ``need``."""
        for n in nodes(ast.Module(body=stmts, type_ignores=[])):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) \
                    and self.needs.get(n.func.id):
                n.args += [_load(names[key]) for key in self.needs[n.func.id]] + [_load(need)]


def _lower_callees(callees, first) -> CalleeTapes:
    """Lower the tapes of ``callees`` (callees first) to arrays taken as
    parameters, numbered in ``tape_need`` from ``first``."""
    out = CalleeTapes()
    for name, callee in callees.items():
        fn = ir.clone(callee.tree)
        body = fn.body
        fresh = Namer(_names(fn), sep="_").fresh
        need = fresh("tape_need")
        own, left = [], []      # without a zero result, its tapes stay as they are
        try:
            abort = _result([_zero(callee.value),
                             ast.Tuple(elts=[_zero(t, p) for p, t in callee.grads],
                                       ctx=ast.Load())])
        except NotLowerable:
            abort = None
        if abort is not None:
            k = first + len(out.tapes)
            own, left = _lower_tapes(body, fresh, need, abort, k)
            own += _lower_indexed_tapes(body, need, abort, k + len(own))
        if left:
            out.left[name] = [(t, first_push_line(body, t)) for t in left]
        out.tapes += [((name, t.name), t.dtype) for t in own]
        passed = [key for callee_name in _called(body, out.needs)
                  for key in out.needs[callee_name]]
        needs = [(name, t.name) for t in own] + list(dict.fromkeys(passed))
        if not needs:
            continue
        names = {(name, t.name): t.name for t in own}
        names.update({key: fresh(key[0] + key[1]) for key in needs if key not in names})
        out.pass_tapes(body, names, need)
        out.needs[name] = needs
        fn.args.args += [ast.arg(arg=names[key]) for key in needs] + [ast.arg(arg=need)]
        doc = callee.docstring + (
            "\n\n    Its tapes are preallocated arrays passed in by the caller; one too "
            "small for\n    what this call saves returns zeros at once (the capacity it "
            "needs goes\n    to tape_need).")
        ir.PLAN.set(fn, None)       # (it says where tapes were allocated)
        out.trees[name] = fn
        out.sources[name] = emit_function(fn, docstring=doc, fixed=True)
    return out


def first_push_line(body, tape):
    """The user line of the first push on list tape ``tape``."""
    for stmt, op in _tape_ops(body, "push"):
        if op.tape == tape:
            return ir.LINE(stmt)
    return None


# -- CUDA subset ---------------------------------------------------------------
# the lengths of passes/lower.py's element loops and periodic indices
# (passes/wrap_indices.py; backends/numba_cuda.py defines them)
LENGTH_HELPERS = ("broadcast_length", "broadcast_into", "equal_length", "wrap_index",
                  "slice_start", "slice_length")
CUDA_BUILTINS = {"min", "max", "abs", "float", "int", "bool", "range", "len", *TAPE_HELPERS,
                 *LENGTH_HELPERS}
CUDA_NUMPY_CASTS = {"float64", "float32", "int64", "int32", "bool_"}


def _user_lines(fn) -> dict:
    """id(statement) -> the user line an error in it points at: its own
    (``ir.LINE``), else that of the last statement printed before it."""
    lines, last = {}, None

    def visit(stmts):
        nonlocal last
        for s in stmts:
            if ir.LINE(s) is not None:
                last = ir.LINE(s)
            lines[id(s)] = last
            for f in ("body", "orelse"):
                visit(getattr(s, f, None) or [])
    visit(fn.body)
    return lines


def check_kernel_subset(fn: ast.FunctionDef, env: dict, functions: set, where,
                        refused: dict | None = None) -> None:
    """Raise a TransformError (at the user's line) for what a CUDA kernel cannot run.

    ``fn``: one generated function as it is printed (``Program.trees``, an
    element's tree); ``env``: its types; ``functions``: names of the generated
    functions it may call; ``where(line)`` -> (file, line, text) for a user line
    (``ir.LINE``, None where none is known); ``refused``: generated functions
    a kernel cannot call -> why (checked first: the call is the user's line to
    point at, not what the caller does with its results)."""
    arrays = set()
    for v, t in env.items():
        if t is not None and t.is_array:
            arrays |= {v, "d" + v, "_d" + v[1:] if v.startswith("_") else "d" + v,
                       "d_" + v.lstrip("_")}
    lines = _user_lines(fn)

    def fail(stmt, why, call=None):
        filename, line, source = where(lines.get(id(stmt)))
        if call is not None and (source is None or call.split(".")[-1] + "(" not in source):
            # a call the generated code makes, not the user: say what it is for
            why = (f"the gradient needs a new array here ('{call}(...)' in the generated "
                   "code, for an adjoint or a saved value), which a kernel cannot "
                   "allocate; index elements (not rows) of batched arrays, write into no "
                   "shared array, or use target='cpu'")
        col = len(source) - len(source.lstrip()) if source else 0
        raise TransformError(f"cannot run in a CUDA kernel (target='cuda'): {why}",
                             filename, line, col, source)

    statements = [s for s in nodes(fn) if isinstance(s, ast.stmt) and s is not fn]
    for stmt in statements:
        for node in _own_expressions(stmt):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in (refused or {}):
                fail(stmt, refused[node.func.id])
    for stmt in statements:
        for node in _own_expressions(stmt):
            _check_node(node, stmt, arrays, functions, fail)
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) \
                and stmt.target.id in arrays:
            fail(stmt, f"whole-array update of '{stmt.target.id}' (index its elements)")


def _own_expressions(stmt):
    """The expression nodes of ``stmt``, not those of the statements in its blocks."""
    for n in ast.iter_child_nodes(stmt):
        if not isinstance(n, ast.stmt):
            yield from nodes(n)


def _check_node(node, stmt, arrays, functions, fail):
    if isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            if f.value.id == "math":
                return
            if f.value.id == "np" and f.attr in CUDA_NUMPY_CASTS:
                return
            fail(stmt, f"'{f.value.id}.{f.attr}(...)' needs NumPy or an allocation",
                 f"{f.value.id}.{f.attr}")
        if isinstance(f, ast.Name) and (f.id in CUDA_BUILTINS or f.id in functions):
            return
        fail(stmt, f"call of '{_expr(f)}' is not available in device code")
    if isinstance(node, (ast.List, ast.ListComp, ast.Dict, ast.Set, ast.Lambda)):
        fail(stmt, "Python containers (lists, dicts) do not exist in device code")
    if isinstance(node, ast.Subscript) and any(isinstance(s, ast.Slice)
                                               for s in nodes(node.slice)):
        fail(stmt, "array slices (use element indexing)")
    operands = ()
    if isinstance(node, ast.BinOp):
        operands = (node.left, node.right)
    elif isinstance(node, ast.UnaryOp):
        operands = (node.operand,)
    elif isinstance(node, ast.Compare):
        operands = (node.left, *node.comparators)
    for o in operands:
        if isinstance(o, ast.Name) and o.id in arrays:
            fail(stmt, f"whole-array arithmetic on '{o.id}' (index its elements)")
