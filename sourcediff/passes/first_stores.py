"""An adjoint buffer whose first loop stores every element once is made
without zeros, and that loop stores instead of adding.

The reverse of a loop over neighbours (Rosenbrock, passes/rolling_sums.py)
ends as::

    dx = np.zeros_like(x)            # (at the start of the reverse sweep)
    ...
    for i in range(x.shape[0] - 1):
        ...
        dx[i] += dx_i
        ...
    if x.shape[0] - 1 > 0:
        dx[x.shape[0] - 1] += dx_i

Each element of ``dx`` gets exactly one add, into a zero: the zeros cost a
pass over memory and each add a load (the gradient ran at 2.6x the primal;
1.7x without them).  Here the buffer becomes ``np.empty_like(x)``, the adds
stores (``dx[i] = dx_i``), and the last one runs whenever its index exists
(``x.shape[0] - 1 >= 0``: with one element the loop does not run and the
local still holds its 0.0).

Taken only in this exact shape, at the top level of the adjoint: the buffer is
1-d, made by ``np.zeros_like(x)`` of a primal array, and the first statement
after it that mentions the buffer is a loop ``for i in range(N)`` or
``range(0, N)`` (step 1, no jumps) whose body mentions it once, in
``buf[i] += e`` at its top level; then either ``N`` is ``x.shape[0]`` (every
element stored in the loop) or ``N`` is ``x.shape[0] - 1`` and the next
statement mentioning the buffer is the rolling-sum flush ``if N > 0:
buf[N] += e``.  Only the sign of a zero can change (``0.0 + -0.0`` was
``0.0``).
"""
from __future__ import annotations

import ast
import copy

from .. import ir
from .astutil import names_in, nodes


def store_first_writes(body: list, ndims: dict) -> list:
    """``body`` (an adjoint function's statements) rewritten as above;
    ``ndims``: the number of dimensions of each primal array."""
    body = list(body)
    for k, s in enumerate(body):
        made = _zeros_like(s)
        if made is None or ndims.get(made[1]) != 1:
            continue
        buf, x = made
        mentions = [j for j in range(k + 1, len(body)) if buf in names_in(body[j])]
        if not mentions:
            continue
        j = mentions[0]
        loop = _storing_loop(body[j], buf)
        if loop is None:
            continue
        stop, add = loop
        length = _shape0(x)
        if _same(stop, length):
            tail = None
        elif _same(stop, _minus_one(length)) and len(mentions) > 1 and \
                _flush(body[mentions[1]], buf, stop) is not None:
            tail = mentions[1]
        else:
            continue
        body[k] = _with_call(s, "empty_like")
        new_loop = copy.copy(body[j])
        new_loop.body = [_as_store(st) if st is add else st for st in body[j].body]
        body[j] = new_loop
        if tail is not None:
            flush = body[tail]
            body[tail] = ir.copy_facts(flush, ast.copy_location(ast.If(
                test=ast.Compare(left=copy.deepcopy(stop), ops=[ast.GtE()],
                                 comparators=[ast.Constant(0)]),
                body=[_as_store(flush.body[0])], orelse=[]), flush))
    return body


def _zeros_like(s):
    """(buffer, array) of ``buffer = np.zeros_like(array)``."""
    if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
            and isinstance(s.value, ast.Call) and ast.unparse(s.value.func) == "np.zeros_like" \
            and len(s.value.args) == 1 and not s.value.keywords \
            and isinstance(s.value.args[0], ast.Name):
        return s.targets[0].id, s.value.args[0].id
    return None


def _storing_loop(s, buf):
    """(stop, the add) of ``for i in range(0, stop): ... buf[i] += e ...``."""
    if not isinstance(s, ast.For) or s.orelse or not isinstance(s.target, ast.Name) or \
            not (isinstance(s.iter, ast.Call) and isinstance(s.iter.func, ast.Name) and
                 s.iter.func.id == "range" and not s.iter.keywords):
        return None
    args = s.iter.args
    if len(args) == 2 and not (isinstance(args[0], ast.Constant) and args[0].value == 0):
        return None
    if len(args) not in (1, 2):
        return None
    if any(isinstance(n, (ast.Break, ast.Continue, ast.Return)) for n in nodes(s)):
        return None
    touching = [st for st in s.body if buf in names_in(st)]
    if len(touching) != 1 or sum(isinstance(n, ast.Name) and n.id == buf
                                 for n in nodes(s)) != 1:
        return None
    add = touching[0]
    i = s.target.id
    if not (isinstance(add, ast.AugAssign) and isinstance(add.op, ast.Add) and
            isinstance(add.target, ast.Subscript) and isinstance(add.target.value, ast.Name) and
            add.target.value.id == buf and isinstance(add.target.slice, ast.Name) and
            add.target.slice.id == i):
        return None
    if any(i in _stored(st) for st in s.body):
        return None         # the index is the loop's own, never reassigned
    return args[-1], add


def _flush(s, buf, stop):
    """``if stop > 0: buf[stop] += e`` (the flush passes/rolling_sums.py writes)."""
    if not (isinstance(s, ast.If) and not s.orelse and len(s.body) == 1 and
            isinstance(s.test, ast.Compare) and len(s.test.ops) == 1 and
            isinstance(s.test.ops[0], ast.Gt) and _same(s.test.left, stop) and
            isinstance(s.test.comparators[0], ast.Constant) and
            s.test.comparators[0].value == 0):
        return None
    add = s.body[0]
    if isinstance(add, ast.AugAssign) and isinstance(add.op, ast.Add) and \
            isinstance(add.target, ast.Subscript) and isinstance(add.target.value, ast.Name) \
            and add.target.value.id == buf and _same(add.target.slice, stop) and \
            buf not in names_in(add.value):
        return add
    return None


def _stored(st) -> set:
    return {n.id for n in nodes(st) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _shape0(x):
    return ast.Subscript(value=ast.Attribute(value=ast.Name(id=x, ctx=ast.Load()), attr="shape",
                                             ctx=ast.Load()), slice=ast.Constant(0),
                         ctx=ast.Load())


def _minus_one(e):
    return ast.BinOp(left=e, op=ast.Sub(), right=ast.Constant(1))


def _same(a, b) -> bool:
    return ast.dump(a) == ast.dump(b)


def _with_call(s, fname):
    new = ir.clone(s)
    new.value.func.attr = fname
    return new


def _as_store(add):
    store = ast.Assign(targets=[copy.deepcopy(add.target)], value=add.value)
    return ir.copy_facts(add, ast.copy_location(store, add))
