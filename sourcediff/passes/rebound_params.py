"""An array parameter that a loop binds again is stepped in a copy of its own.

Scientists step a state given as an argument under the argument's name::

    def energy(u, steps, dt):
        for t in range(steps):
            u = u + dt * rhs(u)

The parameter's array belongs to the caller, so the passes that write a step
into the array a local holds (``u[j] = ...`` in an element loop, with the old
values kept for the reverse sweep: passes/lower.py) never take a parameter,
and the step stayed NumPy's code: an array per temporary of the step, kept on
list tapes (a leapfrog step of two such parameters: six lists, three arrays
made a step).  This pass writes what the same program written ``u = u0.copy()``
starts with: ``u_now = u.copy()`` first, then ``u_now`` for ``u`` everywhere
after it.  The values are Python's: nothing writes into the caller's array
(no element of the parameter is stored into, and no array written into is
bound from it; ``u += v`` on the parameter itself leaves the caller's array
as it was, as every differentiated call does), so reading a copy of it reads
the same numbers.

On typed, normalized code: an array parameter bound by a statement inside a
loop (``u = ...``, ``u += ...``, a loop target, a tuple's element), whose
elements the function never stores into.
"""
from __future__ import annotations

import ast

from .. import ir
from ..names import Namer
from .astutil import binding_targets, free_names, nodes, walk
from .buffers import store_base


def local_names_for_rebound_parameters(fn: ast.FunctionDef, env: dict, used_names: set,
                                       updated=()) -> bool:
    """Rewrite ``fn`` in place; whether any parameter got a copy of its own (the
    new names' types are then inferred again).  ``updated``: the parameters whose
    updates in place the caller sees (a helper's ``p += v`` on the caller's array,
    passes/normalize.py): they keep theirs."""
    params = [a.arg for a in fn.args.args]
    arrays = {p for p in params if env.get(p) is not None and env[p].is_array}
    stored, augmented = _written(fn)
    written = {x for x in stored | augmented if env.get(x) is not None and env[x].is_array}
    # (``w += e`` on the argument itself makes a new array, the caller's left as it
    # was: the same values from a copy, updated in place)
    rebound = {p for p in _bound_in_loops(fn) & arrays - stored - set(updated)
               if not _may_write_through(fn, p, written, env)}
    if not rebound:
        return False
    namer = Namer(used_names)
    renames = {p: namer.fresh(f"{p}_now") for p in params if p in rebound}
    for node in nodes(ast.Module(body=fn.body, type_ignores=[])):
        if isinstance(node, ast.Name) and node.id in renames:
            node.id = renames[node.id]
    fn.body[:0] = [_copy_of(p, local, fn) for p, local in renames.items()]
    return True


def _copy_of(p, local, fn) -> ast.stmt:
    """``local = p.copy()``, at the line of ``fn``'s ``def``."""
    copy = ir.mark(ast.Call(func=ast.Attribute(value=ast.Name(id=p, ctx=ast.Load()),
                                               attr="copy", ctx=ast.Load()),
                            args=[], keywords=[]), ("method", "copy"))
    stmt = ir.tag(ast.Assign(targets=[ast.Name(id=local, ctx=ast.Store())], value=copy),
                  ir.LINE(fn), ir.Kind.ASSIGN)
    return ast.fix_missing_locations(ast.copy_location(stmt, fn))


def _written(fn) -> tuple:
    """The arrays ``fn`` stores elements into (``x[i] = v``) and those it updates
    whole in place (``x += v``, ``x *= v``)."""
    stored: set = set()
    augmented: set = set()
    for s in walk(fn.body):
        base = store_base(s)
        if base is not None:
            stored.add(base)
        elif isinstance(s, ast.Assign) and ir.AUGMENTED(s):          # x += a
            augmented.update(n.id for t in s.targets for n in nodes(t)
                             if isinstance(n, ast.Name))
        elif isinstance(s, ast.Assign) and ir.AUGMENTED(s.value) and \
                isinstance(s.value, ast.BinOp) and isinstance(s.value.left, ast.Name):
            augmented.add(s.value.left.id)                              # x *= a
    return stored, augmented


def _may_write_through(fn, p, written, env) -> bool:
    """Whether another array may share ``p``'s memory where a write changes it: one
    bound from ``p`` as a view, directly or through other views (``v = p``, ``w =
    v[1:]``), that is written into (the write reaches the caller's array, which
    the copy would not see), or any such view where ``p`` itself is updated in
    place (the view sees the update in Python)."""
    derived, grown = {p}, True
    while grown:
        grown = False
        for s in walk(fn.body):
            if isinstance(s, ast.Assign) and _view_like(s.value) and \
                    free_names(s.value) & derived:
                new = {n.id for t in s.targets for n in nodes(t) if isinstance(n, ast.Name)
                       and env.get(n.id) is not None and env[n.id].is_array} - derived
                derived |= new
                grown = grown or bool(new)
    views = derived - {p}
    return bool(views & written) or bool(views) and p in written


# calls whose result may share memory with their array argument
_VIEW_CALLS = {"reshape", "ravel", "transpose", "swapaxes", "moveaxis", "expand_dims",
               "squeeze", "broadcast_to", "atleast_1d", "atleast_2d", "atleast_3d", "view",
               "asarray", "diagonal"}


def _view_like(value) -> bool:
    """A value that may be a view of an array it reads (a name, an index, ``.T``,
    a reshape): anything but arithmetic and calls that make new arrays."""
    if isinstance(value, (ast.Name, ast.Subscript, ast.Tuple)):
        return True
    if isinstance(value, ast.Attribute):
        return value.attr in ("T", "real", "imag", "flat")
    if isinstance(value, ast.Call):
        func = value.func
        name = func.attr if isinstance(func, ast.Attribute) else \
            func.id if isinstance(func, ast.Name) else ""
        return name in _VIEW_CALLS or not name
    return False


def _bound_in_loops(fn) -> set:
    """The names that a statement inside a loop of ``fn`` binds."""
    out: set = set()
    for loop in walk(fn.body):
        if isinstance(loop, (ast.For, ast.While)):
            for s in walk(loop.body):
                out.update(n.id for target in binding_targets(s) for n in nodes(target)
                           if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return out
