"""Periodic indices without a division: ``x[(j + 1) % n]`` reads
``x[wrap_index(j + 1, n)]``.

Python's ``%`` of two integers compiles to a division (tens of cycles) and the
sign fix of Python's semantics, in every element read of a periodic stencil,
forward and reverse.  Its result is the left operand itself whenever that
already lies in ``[0, n)``, as it does everywhere but at the ends of a loop
over the axis: ``wrap_index`` (runtime/helpers.py) tests that and falls back to
``%`` otherwise, so it gives what ``%`` gives for any integers (a
ZeroDivisionError included).  Lorenz-96's RK4 with rolls read by index
(passes/lower.py makes ``x[(j - s) % n]`` of ``np.roll(x, s)``): 0.57 -> 0.30 ms.

Only integer operands are rewritten, as far as the generated function itself
shows them to be integers: loop counters of ``range``, integer parameters,
lengths read from shapes, and names bound only to arithmetic of those.  A
float's ``%``, an index array's, and one by a constant (which LLVM already
turns into multiplications) stay as they are.
"""
from __future__ import annotations

import ast

from .. import ir
from ..runtime.helpers import wrap_index
from .astutil import nodes

_INT_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)
# calls whose result is an integer when their arguments are
_INT_CALLS = {"len", "min", "max", "abs", "int", "broadcast_length", "broadcast_into",
              "equal_length", wrap_index.__name__}


def wrap_periodic_indices(fn: ast.FunctionDef, int_params=(),
                          int_array_params=()) -> ast.FunctionDef:
    """``fn`` with ``a % n`` of integers ``a`` and ``n`` (``n`` not a constant)
    written ``wrap_index(a, n)``; ``int_params`` / ``int_array_params``: the
    parameters known to be integers / arrays of integers (their types are the
    caller's).  ``fn`` itself is left as it is
    (its statements may be the normalized function's, which later passes read)."""
    if not any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mod) and
               not isinstance(n.right, ast.Constant) for n in nodes(fn)):
        return fn
    fn = ir.clone(fn)
    ints = _integer_names(fn, set(int_params), set(int_array_params))
    _Wrap(ints).visit(fn)
    return fn


def _integer_names(fn, params, array_params) -> _Ints:
    """The names every binding of which is an integer (a fixed point: a name
    bound to another name is an integer once that one is), and those of arrays
    of integers (parameters, and tapes of integers: ``np.empty(k, np.int64)``)."""
    bindings: dict = {}
    for node in nodes(fn):
        if isinstance(node, (ast.For,)):
            it = node.iter
            counter = isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and \
                it.func.id in ("range", "prange")
            for t in nodes(node.target):
                if isinstance(t, ast.Name):
                    bindings.setdefault(t.id, []).append(
                        ast.Constant(value=0) if counter and t is node.target else None)
        elif isinstance(node, ast.Assign):
            simple = len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            for target in node.targets:
                for t in nodes(target):
                    if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store):
                        bindings.setdefault(t.id, []).append(node.value if simple else None)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            value = node.value if isinstance(node.op, _INT_OPS) else None
            bindings.setdefault(node.target.id, []).append(value)
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr, ast.With, ast.comprehension,
                               ast.ExceptHandler)):
            for t in nodes(node):
                if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store):
                    bindings.setdefault(t.id, []).append(None)
    ints = _Ints(names={p for p in params if p not in bindings},
                 shapes={v for v, vals in bindings.items() if all(_is_shape(e) for e in vals)},
                 arrays={p for p in array_params if p not in bindings} |
                 {v for v, vals in bindings.items() if all(_int_tape(e) for e in vals)})
    changed = True
    while changed:
        changed = False
        for v, vals in bindings.items():
            if v not in ints.names and all(e is not None and ints.of(e) for e in vals):
                ints.names.add(v)
                changed = True
    return ints


def _is_shape(e) -> bool:
    return isinstance(e, ast.Attribute) and e.attr == "shape"


def _int_tape(e) -> bool:
    """``np.empty(k, np.int64)`` (or ``np.zeros``): a tape of integers."""
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and \
        e.func.attr in ("empty", "zeros") and len(e.args) == 2 and not e.keywords and \
        isinstance(e.args[1], ast.Attribute) and e.args[1].attr in ("int64", "int32", "intp")


class _Ints:
    """What is known to be an integer: ``names``; ``shapes``: names bound to an
    array's ``.shape``; ``arrays``: names of arrays of integers."""

    def __init__(self, names, shapes, arrays):
        self.names, self.shapes, self.arrays = names, shapes, arrays

    def of(self, e) -> bool:
        """Whether expression ``e`` is an integer."""
        if isinstance(e, ast.Constant):
            return type(e.value) is int
        if isinstance(e, ast.Name):
            return e.id in self.names
        if isinstance(e, ast.BinOp):
            return isinstance(e.op, _INT_OPS) and self.of(e.left) and self.of(e.right)
        if isinstance(e, ast.UnaryOp):
            return isinstance(e.op, (ast.USub, ast.UAdd)) and self.of(e.operand)
        if isinstance(e, ast.Subscript):
            base, index = e.value, e.slice
            # a length: x.shape[k], or shape[k] of a name bound to x.shape
            if isinstance(index, ast.Constant) and type(index.value) is int and (
                    _is_shape(base) or isinstance(base, ast.Name) and base.id in self.shapes):
                return True
            # an element of an array of integers
            items = index.elts if isinstance(index, ast.Tuple) else [index]
            return isinstance(base, ast.Name) and base.id in self.arrays and \
                all(self.of(i) for i in items)
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and \
                e.func.id in _INT_CALLS and not e.keywords:
            if e.func.id == "len":
                return True
            return bool(e.args) and all(self.of(a) for a in e.args)
        return False


class _Wrap(ast.NodeTransformer):
    """Rewrites the remainders that are indices: inside a subscript's index, or
    the value a name is bound to (``jp = (j + 1) % n``); not a test's
    (``t % every == 0`` is mostly not in range: the division runs anyway).
    Only those of the innermost loop's counter: LLVM moves ``(i + 1) % n`` of an
    outer counter out of the inner loop, which then vectorizes (a row added
    into ``du[(i - 1) % n, j]``), but not a test and its branches (a periodic
    2-D wave's gradient 0.96 -> 1.4 ms with them)."""

    def __init__(self, ints):
        self.ints = ints
        self.index = 0
        self.counters = []       # the counters of the loops around, innermost last

    def visit_For(self, node):
        node.iter = self.visit(node.iter)
        self.counters.append({n.id for n in nodes(node.target) if isinstance(n, ast.Name)})
        node.body = [self.visit(s) for s in node.body]
        self.counters.pop()
        node.orelse = [self.visit(s) for s in node.orelse]
        return node

    def visit_Subscript(self, node):
        node.value = self.visit(node.value)
        self.index += 1
        node.slice = self.visit(node.slice)
        self.index -= 1
        return node

    def visit_Assign(self, node):
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and \
                isinstance(node.value, ast.BinOp):
            self.index += 1
            node.value = self.visit(node.value)
            self.index -= 1
            return node
        return self.generic_visit(node)

    def visit_Compare(self, node):
        saved, self.index = self.index, 0
        node = self.generic_visit(node)
        self.index = saved
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if self.index and isinstance(node.op, ast.Mod) and self.counters and \
                any(isinstance(n, ast.Name) and n.id in self.counters[-1]
                    for n in nodes(node.left)) and \
                not isinstance(node.right, ast.Constant) and \
                self.ints.of(node.left) and self.ints.of(node.right):
            call = ast.Call(func=ast.Name(id=wrap_index.__name__, ctx=ast.Load()),
                            args=[node.left, node.right], keywords=[])
            return ast.copy_location(call, node)
        return node
