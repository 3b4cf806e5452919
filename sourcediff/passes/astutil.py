"""Small AST helpers every pass uses: node builders, name queries, statement
walks, substitution and constant folding of generated expressions (fresh
names: ``sourcediff/names.py``).

Generic: nothing here knows about derivatives.  A builder of a statement
records the user line through ``ir.LINE``.  The passes that had their own
copies import the builders under the names they used (``name as _name``,
``assign as _assign``, ...), so their call sites read as before.
"""
from __future__ import annotations

import ast
import copy
import math
import re

import numpy as np

from .. import ir

# calls that make an array of a given size (its values do not matter to the shape), and
# of another array's shape; attributes of an array that read no element
MAKERS = ("np.zeros", "np.empty", "np.ones")
LIKE = ("np.zeros_like", "np.empty_like", "np.ones_like")


def maker_shape(value):
    """The shape argument of an array made with one value throughout (``np.zeros(s)``,
    ``np.empty(s)``, ``np.ones(s)``, ``np.full(s, v)``, no keywords), else None."""
    if not isinstance(value, ast.Call) or value.keywords:
        return None
    func = ast.unparse(value.func)
    if func in MAKERS and len(value.args) == 1 or func == "np.full" and len(value.args) == 2:
        return value.args[0]
    return None
SHAPE_ATTRIBUTES = ("shape", "ndim", "size", "dtype")

# -- builders ----------------------------------------------------------------


def name(id_: str, store=False) -> ast.Name:
    """``id_`` as a load (or, with ``store``, a store) of a name."""
    return ast.Name(id=id_, ctx=ast.Store() if store else ast.Load())


def const(v) -> ast.Constant:
    return ast.Constant(v)


def call(func: str, *args) -> ast.Call:
    """``func(*args)`` with ``func`` given as source (``"np.zeros_like"``)."""
    return ast.Call(func=ast.parse(func, mode="eval").body, args=list(args), keywords=[])


def assign(target, value, line=None) -> ast.Assign:
    """``target = value`` (``target`` a node or a name) from user line ``line``."""
    s = ast.Assign(targets=[target if isinstance(target, ast.AST) else name(target, True)],
                   value=value)
    ir.LINE.set(s, line)
    return s


def aug(target, op, value, line=None) -> ast.AugAssign:
    """``target <op>= value`` from user line ``line``."""
    t = target if isinstance(target, ast.AST) else name(target, True)
    s = ast.AugAssign(target=t, op=op, value=value)
    ir.LINE.set(s, line)
    return s


# -- queries -----------------------------------------------------------------


# The children of each node class, read from the class's grammar line (its docstring,
# ``Call(expr func, expr* args, keyword* keywords)``): a field of a builtin type
# (names, numbers, flags) or ``ctx`` (``Load()``/``Store()``: what a name does is read
# from the name's own ``ctx``) holds no node.  ``nodes`` calls one small function per
# class, made from that line, that returns the children in field order: ``T?`` may be
# None, ``T*`` is a list (whose items may be None in a dict's keys and in keyword
# defaults).  A node missing a field (built by a pass without it, or with None for a
# list) is walked field by field instead (``_children_slow``).
_NOT_NODE_TYPES = frozenset({"identifier", "string", "constant", "int", "expr_context"})
_CHILDREN: dict = {}


def _children_slow(n) -> list:
    out = []
    for field in n._fields:
        v = getattr(n, field, None)
        if field == "ctx":
            continue
        if isinstance(v, ast.AST):
            out.append(v)
        elif v.__class__ is list:
            out.extend(x for x in v if isinstance(x, ast.AST))
    return out


def _no_children(n) -> tuple:
    return ()


def _children_getter(cls):
    """The function returning the children of a node of class ``cls``."""
    if not cls._fields:         # operators, ``pass``, ``break``
        return _no_children
    m = re.fullmatch(r"\w+\((.*)\)", (cls.__doc__ or "").strip())
    if m is None or len(cls._fields) != len([f for f in m.group(1).split(",") if f.strip()]):
        return _children_slow
    parts, optional = [], False
    for field, decl in zip(cls._fields, m.group(1).split(",")):
        kind, _, name = decl.strip().rpartition(" ")
        if name != field:
            return _children_slow
        base = kind.rstrip("*?")
        if base in _NOT_NODE_TYPES:
            continue
        if kind.endswith("*"):
            parts.append(f"*n.{field}")
            optional = optional or (cls, field) in ((ast.Dict, "keys"),
                                                     (ast.arguments, "kw_defaults"))
        else:
            parts.append(f"n.{field}")
            optional = optional or kind.endswith("?")
    if not parts:               # names, constants
        return _no_children
    body = f"({', '.join(parts)},)"
    if optional:
        body = f"[x for x in {body} if x is not None]"
    namespace = {}
    exec(f"def children(n):\n    return {body}\n", namespace)  # noqa: S102  (made from the grammar)
    return namespace["children"]


def nodes(node) -> list:
    """``list(ast.walk(node))`` without the ``Load()``/``Store()`` markers (the other
    nodes, in the same order), about 3.5 times as fast: the passes walk statements
    very often (the transform's first-call time, and most of the test suite's
    transform time).
    The list is made before the caller looks at it: a caller that rewrites a
    node's own fields sees the old children, as with ``ast.walk``; one that
    rewrites a grandchild's fields must walk again."""
    out = [node]
    extend = out.extend
    children = _CHILDREN
    for n in out:
        get = children.get(n.__class__)
        if get is None:
            get = children[n.__class__] = _children_getter(n.__class__)
        if get is _no_children:
            continue
        try:
            kids = get(n)
        except (AttributeError, TypeError):
            kids = _children_slow(n)
        extend(kids)
    return out


def free_names(node) -> set:
    """Every name ``node`` mentions (read or written)."""
    return {n.id for n in nodes(node) if n.__class__ is ast.Name}


def stored_names(node) -> set:
    """The names ``node`` assigns (store context), nested statements included."""
    return {n.id for n in nodes(node) if n.__class__ is ast.Name
            and n.ctx.__class__ is ast.Store}


def walk(stmts):
    """The statements of a block and of the blocks nested in them, in order."""
    for s in stmts:
        yield s
        for f in ("body", "orelse"):
            yield from walk(getattr(s, f, []) or [])


def blocks(stmts):
    """Every statement list of ``stmts`` (the list itself first, then the
    ``body``/``orelse`` lists nested in its statements, outer before inner)."""
    yield stmts
    for s in stmts:
        for f in ("body", "orelse"):
            inner = getattr(s, f, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                yield from blocks(inner)


def bound_names(s) -> list:
    """The names a statement itself binds (not its nested statements): a for
    loop's target, an assignment's targets, an augmented name."""
    if isinstance(s, ast.For):
        return [s.target.id] if isinstance(s.target, ast.Name) else []
    if isinstance(s, ast.Assign):
        return [n.id for t in s.targets for n in nodes(t)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
        return [s.target.id]
    return []


def own_reads(s) -> set:
    """Names a statement itself reads (of a compound statement, its header)."""
    if isinstance(s, ast.For):
        parts = [s.iter]
    elif isinstance(s, (ast.If, ast.While)):
        parts = [s.test]
    elif isinstance(s, ast.Assign):
        parts = [s.value] + [t for t in s.targets if isinstance(t, ast.Subscript)]
    elif isinstance(s, ast.AugAssign):
        parts = [s.target, s.value]
    elif isinstance(s, (ast.Return, ast.Expr)):
        parts = [s.value]
    else:
        parts = []
    return {n.id for p in parts if p is not None for n in nodes(p)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def insert_before(fn, make) -> bool:
    """Rewrite ``fn``'s blocks in place, inner blocks first: before each
    statement ``s``, the statements ``make(s)`` returns.  Whether any were."""
    def replace(s):
        made = make(s)
        return list(made) + [s] if made else None
    return replace_statements(fn, replace)


def own_jumps(stmts, kinds) -> bool:
    """A statement of one of ``kinds`` (``ast.Continue``, ``ast.Break``) in
    ``stmts``, a loop's body, that is not inside a loop nested in it (where it
    would leave or restart that loop only)."""
    for s in stmts:
        if isinstance(s, kinds):
            return True
        if isinstance(s, ast.If) and (own_jumps(s.body, kinds) or own_jumps(s.orelse, kinds)):
            return True
        if isinstance(s, (ast.With, ast.Try)) and own_jumps(s.body, kinds):
            return True
    return False


def takes_all(index) -> bool:
    """A subscript's index that reads every element: ``:`` on each axis it
    names (``x[:]``, ``x[:, :]``), the view of all of the array."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return all(isinstance(p, ast.Slice) and p.lower is None and p.upper is None and
               p.step is None for p in parts)


def replace_statements(fn, replace, in_loops_only=False) -> bool:
    """Rewrite ``fn``'s blocks in place, inner blocks first: each statement
    ``s`` for which ``replace(s)`` returns a list becomes that list's
    statements (``s`` itself may be among them).  Whether any did.
    ``in_loops_only``: only statements inside a loop's body, at any depth."""
    changed = False

    def block(stmts, in_loop=not in_loops_only):
        nonlocal changed
        out = []
        for s in stmts:
            for f in ("body", "orelse"):
                if getattr(s, f, None):
                    setattr(s, f, block(getattr(s, f),
                                        in_loop or isinstance(s, (ast.For, ast.While))))
            made = replace(s) if in_loop else None
            if made is None:
                out.append(s)
            else:
                changed = True
                out.extend(made)
        return out

    fn.body = block(fn.body)
    return changed


def binding_targets(node) -> list:
    """The target expressions a node binds names through (an assignment's
    targets, a loop's, a comprehension's, ``:=``'s); empty for other nodes."""
    if isinstance(node, ast.Assign):
        return node.targets
    if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.NamedExpr,
                         ast.comprehension)):
        return [node.target]
    return []


def is_const(node, value=None) -> bool:
    """A number literal (not a bool), equal to ``value`` when given."""
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and \
        not isinstance(node.value, bool) and (value is None or node.value == value)


def is_costly(value) -> bool:
    """``value`` (a normalized statement's expression) applies an operation much
    dearer than a load and a store: a transcendental function, ``sqrt``, or a
    power that is not a small integer or a square root."""
    prim = ir.PRIM(value, ("",))
    if prim[0] == "call":
        return id(prim[1]) in _COSTLY
    if prim == ("binop", "Pow"):
        e = value.right
        return not (isinstance(e, ast.Constant) and isinstance(e.value, (int, float)) and
                    float(e.value) in (1.0, 2.0, 3.0, -1.0, 0.5))
    return False


_COSTLY = {id(getattr(math, f)) for f in (
    "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "sin", "cos", "tan",
    "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
    "erf", "erfc", "gamma", "lgamma", "pow", "hypot")} | \
    {id(getattr(np, f)) for f in (
        "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "sin", "cos", "tan",
        "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "power", "hypot")}


# -- rewriting ---------------------------------------------------------------


class _Substitute(ast.NodeTransformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        if node.id in self.mapping:
            return ir.clone(self.mapping[node.id])
        return node


def substitute(expr, mapping):
    """A copy of ``expr`` with each name in ``mapping`` replaced by (a copy of) its node."""
    return _Substitute(mapping).visit(ir.clone(expr))


class _Simplify(ast.NodeTransformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right = node.left, node.right
        if is_const(left) and is_const(right) and isinstance(
                node.op, (ast.Add, ast.Sub, ast.Mult)):
            a, b = left.value, right.value
            op = node.op
            return ast.Constant(a + b if isinstance(op, ast.Add) else
                                a - b if isinstance(op, ast.Sub) else a * b)
        if isinstance(node.op, ast.Mult):
            if is_const(right, 1):
                return left
            if is_const(left, 1):
                return right
            if isinstance(left, ast.UnaryOp) and isinstance(left.op, ast.USub) and \
                    is_const(right):
                return ast.BinOp(left=left.operand, op=ast.Mult(), right=ast.Constant(-right.value))
        if isinstance(node.op, ast.Pow) and is_const(right, 1):
            return left
        if isinstance(node.op, (ast.Add, ast.Sub)) and is_const(right, 0):
            return left
        if isinstance(node.op, ast.Div) and is_const(right, 1):
            return left
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        values = [int_of(a) for a in node.args]
        if isinstance(node.func, ast.Name) and node.func.id in ("max", "min") and \
                node.args and not node.keywords and None not in values:
            return ast.Constant(max(values) if node.func.id == "max" else min(values))
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.USub):
            if isinstance(node.operand, ast.UnaryOp) and isinstance(node.operand.op, ast.USub):
                return node.operand.operand
            if is_const(node.operand):
                return ast.Constant(-node.operand.value)
        return node


def simplify(expr):
    """Fold what a substituted rule leaves: ``x * 1``, ``0 + y``, ``--x``, ``2 * 3``,
    ``max(5, 0)``, ..."""
    return _Simplify().visit(expr)


def index_offset(e, i):
    """``c`` where ``e`` is ``i``, ``i + c``, ``c + i`` or ``i - c`` (``c`` an int
    constant), else None."""
    if isinstance(e, ast.Name) and e.id == i:
        return 0
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub)):
        left, right = e.left, e.right
        if isinstance(e.op, ast.Add) and isinstance(left, ast.Constant):
            left, right = right, left
        if isinstance(left, ast.Name) and left.id == i and isinstance(right, ast.Constant) \
                and type(right.value) is int:
            return right.value if isinstance(e.op, ast.Add) else -right.value
    return None


def int_of(e):
    """The value of an integer constant ``c`` or ``-c``, else None."""
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        inner = int_of(e.operand)
        return None if inner is None else -inner
    return e.value if isinstance(e, ast.Constant) and type(e.value) is int else None


def add_int(e, k: int):
    """``e + k`` for an integer ``k``, folded where ``e`` is an integer or adds or
    subtracts one (``n - 1`` plus one is ``n``, ``n - 1`` minus one ``n - 2``)."""
    if int_of(e) is not None:
        return ast.Constant(int_of(e) + k)
    left, m = e, k
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub)) and \
            int_of(e.right) is not None:
        left = e.left
        m = k + (int_of(e.right) if isinstance(e.op, ast.Add) else -int_of(e.right))
    if m == 0:
        return ir.clone(left)
    return ast.BinOp(left=ir.clone(left), op=ast.Add() if m > 0 else ast.Sub(),
                     right=ast.Constant(abs(m)))


def rewrite_loops(stmts, rewrite) -> list:
    """``stmts`` with each ``for`` loop, innermost first, replaced by the
    statements ``rewrite(loop)`` returns (compound statements copied, not
    changed in place)."""
    out = []
    for s in stmts:
        for f in ("body", "orelse"):
            if getattr(s, f, None):
                s = copy.copy(s)
                setattr(s, f, rewrite_loops(getattr(s, f), rewrite))
        out.extend(rewrite(s) if isinstance(s, ast.For) else [s])
    return out


def range_step(loop):
    """The constant step (1 or -1) of ``for i in range(...)``, else None."""
    it = loop.iter
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and
            it.func.id == "range" and not it.keywords and 1 <= len(it.args) <= 3 and
            isinstance(loop.target, ast.Name)):
        return None
    if len(it.args) < 3:
        return 1
    step = it.args[2]
    if isinstance(step, ast.Constant) and step.value in (1, -1):
        return step.value
    if isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub) and \
            isinstance(step.operand, ast.Constant) and step.operand.value == 1:
        return -1
    return None


def descending_range(it):
    """``(a, b)`` of ``range(a, b, -1)``, else None."""
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and
            it.func.id == "range" and len(it.args) == 3 and not it.keywords):
        return None
    step = it.args[2]
    minus_one = isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub) and \
        isinstance(step.operand, ast.Constant) and step.operand.value == 1 or \
        isinstance(step, ast.Constant) and step.value == -1
    return (it.args[0], it.args[1]) if minus_one else None


def counting_up(it):
    """``range(b + 1, a + 1)`` for ``range(a, b, -1)`` (the same values, counting
    up); another range a copy of itself."""
    down = descending_range(it)
    if down is None:
        return ir.clone(it)
    a, b = down
    lo, hi = add_int(b, 1), add_int(a, 1)
    args = [hi] if int_of(lo) == 0 else [lo, hi]
    return ast.Call(func=ast.Name(id="range", ctx=ast.Load()), args=args, keywords=[])


def range_ran(it, step):
    """``stop > start`` (``start > stop`` counting down): the loop ran."""
    args = [ir.clone(a) for a in it.args]
    start, stop = (ast.Constant(0), args[0]) if len(args) == 1 else (args[0], args[1])
    left, right = (stop, start) if step == 1 else (start, stop)
    return simplify(ast.Compare(left=left, ops=[ast.Gt()], comparators=[right]))


def remembered(per_node):
    """``per_node`` (a node -> value function) remembered per node, for a pass
    that asks it of the same nodes many times while they do not change. Each
    node is kept alive with its value, so that its id stays its own."""
    seen: dict = {}

    def ask(node):
        if id(node) not in seen:
            seen[id(node)] = (node, per_node(node))
        return seen[id(node)][1]
    return ask


def remembered_stored_names():
    """``stored_names`` remembered per node (see :func:`remembered`)."""
    return remembered(stored_names)


def names_in(node) -> set:
    """Every name ``node`` mentions, read or written."""
    return {n.id for n in nodes(node) if isinstance(n, ast.Name)}
