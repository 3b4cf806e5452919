"""Tuple arguments become one scalar variable per element.

``def f(p, x): a, b = p`` reads ``p[0]`` and ``p[1]``; after this pass those
reads are copies of ``p_0`` and ``p_1``, defined once at the top, so each
element gets its own adjoint and the gradient with respect to ``p`` is the
tuple ``(dp_0, dp_1)`` — as JAX returns for a tuple argument.
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from ..names import Namer
from .astutil import nodes, walk


def scalarize_tuple_params(fn: ast.FunctionDef, arg_types: dict, used: set) -> dict:
    """Rewrite ``fn`` in place; returns ``{param: [element names]}`` and marks
    params still used as a whole in ``ir.TUPLE_WHOLE(fn)``."""
    mapping = {}
    whole = set()
    namer = Namer(used)         # x_0, then _x_0, __x_0, ...
    for p, t in arg_types.items():
        if t is None or t.kind != "tuple" or not t.elts:
            continue
        mapping[p] = [namer.prefixed(f"{p}_{k}") for k in range(len(t.elts))]
    if not mapping:
        ir.TUPLE_WHOLE.set(fn, whole)
        return mapping

    def rewrite(stmts):
        for s in stmts:
            for f in ("body", "orelse"):
                if getattr(s, f, None):
                    rewrite(getattr(s, f))
            value = getattr(s, "value", None)
            if ir.KIND(s) == ir.Kind.ASSIGN and _is_element(value, mapping):
                k = value.slice.value
                new = ast.Name(id=mapping[value.value.id][k], ctx=ast.Load())
                ir.PRIM.set(new, ("copy",))
                s.value = new
            for node in nodes(s):
                if isinstance(node, ast.Name) and node.id in mapping and \
                        isinstance(node.ctx, ast.Load):
                    whole.add(node.id)
    rewrite(fn.body)
    line = ir.LINE(fn)
    prologue = []
    for p, names in mapping.items():
        for k, name in enumerate(names):
            sub = ast.Subscript(value=ast.Name(id=p, ctx=ast.Load()), slice=ast.Constant(k),
                                ctx=ast.Load())
            ir.PRIM.set(sub, ("subscript",))
            s = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=sub)
            ir.tag(s, line, ir.Kind.ASSIGN)
            ir.PROLOGUE.set(s, True)
            prologue.append(s)
    fn.body[:0] = prologue
    ir.TUPLE_WHOLE.set(fn, whole)
    return mapping


def _is_element(value, mapping) -> bool:
    return isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and \
        value.value.id in mapping and isinstance(value.slice, ast.Constant) and \
        isinstance(value.slice.value, int) and \
        0 <= value.slice.value < len(mapping[value.value.id])


# ---------------------------------------------------------------------------
# tuple-valued locals
#
# ``x = a, b, c`` followed by ``x[0]``, ``p, q, r = x`` or ``for v in x`` reads
# elements of a local tuple.  A tuple has no adjoint the generated code could
# accumulate into element by element, so, once types are known, such a local
# becomes one variable per element (``x_0``, ``x_1``, ``x_2``): its
# definitions assign the elements, constant-index reads copy one, a run-time
# index picks one in a chain of ``if``s, ``np.sum``/``np.mean`` of it add the
# elements up, and any remaining use of the whole tuple (returned, passed to a
# call) sees it rebuilt right there.  Nested tuples take one round per level.

def has_float(t) -> bool:
    if t is None:
        return False
    if t.kind == "tuple":
        return any(has_float(e) for e in t.elts)
    return t.is_float


def tuple_reduction(prim):
    """``'sum'``/``'mean'`` when ``prim`` is ``np.sum(x)``/``np.mean(x)`` without
    keywords, else None."""
    if ir.PRIM(prim, ("",))[0] != "call" or len(prim.args) != 1 or prim.keywords:
        return None
    fn = ir.PRIM(prim)[1]
    return {id(np.sum): "sum", id(np.mean): "mean"}.get(id(fn))


def split_tuple_locals(fn: ast.FunctionDef, env: dict, used: set, error) -> bool:
    """One round of splitting tuple-valued locals (see above); returns whether
    ``fn`` changed (the caller then infers types again and calls once more)."""
    params = {a.arg for a in fn.args.args}
    param_elts = ir.TUPLE_PARAMS(fn, {})
    # (tuples of integers too: a pair of indices read element-wise, which a
    # reverse sweep would otherwise have to tape whole)
    tuples = {n for n, t in env.items() if t is not None and t.kind == "tuple" and t.elts
              and n not in params and (has_float(t) or all(e.kind in ("int", "bool")
                                                           for e in t.elts))}
    if not tuples and not param_elts:
        return False
    defs: dict = {}
    demand = set()
    for s in walk(fn.body):
        kind = ir.KIND(s)
        if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE):
            defs.setdefault(s.targets[0].id, []).append(s)
        elif kind == ir.Kind.UNPACK:
            for e in s.targets[0].elts:
                defs.setdefault(e.id, []).append(s)
        if kind == ir.Kind.ASSIGN:
            base = _element_read_base(s.value)
            if base is not None:
                demand.add(base)
    # a copy of a tuple whose elements are wanted needs the source's elements
    split = set(demand & tuples)
    todo = list(split)
    while todo:
        x = todo.pop()
        for s in defs.get(x, []):
            v = s.value
            if ir.KIND(s) == ir.Kind.ASSIGN and ir.PRIM(v) == ("copy",) \
                    and v.id in tuples and v.id not in split:
                split.add(v.id)
                todo.append(v.id)
    # keep only tuples all of whose definitions can be split this round
    changed = True
    while changed:
        changed = False
        for x in sorted(split):
            if not all(_splittable_def(s, x, env, split, param_elts) for s in defs.get(x, [])):
                split.discard(x)
                changed = True
    elements = {p: list(names) for p, names in param_elts.items()}
    namer = Namer(used)
    shown = dict(ir.TUPLE_ELEMENTS(fn, {}))
    for x in sorted(split):
        elements[x] = [namer.prefixed(f"{x}_{k}") for k in range(len(env[x].elts))]
        shown.update({e: shown.get(x, x) + f"[{k}]" for k, e in enumerate(elements[x])})
    ir.TUPLE_ELEMENTS.set(fn, shown)
    rewriter = _Splitter(fn, env, elements, split, used, error)
    fn.body = rewriter.block(fn.body)
    if param_elts:
        ir.TUPLE_WHOLE.set(fn, _whole_param_uses(fn, param_elts))
    return rewriter.changed


def _element_read_base(prim):
    """The tuple name ``prim`` reads elements of: ``x[k]``, ``x[i]``, ``np.sum(x)``."""
    head = ir.PRIM(prim, ("",))[0]
    if head == "subscript" and isinstance(prim.value, ast.Name):
        return prim.value.id
    if tuple_reduction(prim) and isinstance(prim.args[0], ast.Name):
        return prim.args[0].id
    return None


def _splittable_def(s, x, env, split, param_elts) -> bool:
    if ir.KIND(s) != ir.Kind.ASSIGN:
        return False
    v = s.value
    head = ir.PRIM(v)[0]
    if head == "tuple":
        return len(v.elts) == len(env[x].elts)
    if head == "copy":
        return v.id in split or v.id in param_elts
    return head == "user"


def _const_index(index, n):
    if isinstance(index, ast.Constant) and isinstance(index.value, int) \
            and not isinstance(index.value, bool):
        k = index.value
    elif isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub) and \
            isinstance(index.operand, ast.Constant) and isinstance(index.operand.value, int):
        k = -index.operand.value
    else:
        return None
    return k + n if k < 0 else k


class _Splitter:
    def __init__(self, fn, env, elements, split, used, error):
        self.fn = fn
        self.env = env
        self.elements = elements      # tuple name -> element names (split locals, params)
        self.split = split            # the locals split this round (they disappear)
        self.namer = Namer(used)
        self.error = error
        self.changed = False

    def fresh(self, hint):
        return self.namer.numbered(f"_{hint}")      # _c1, _c2, ...

    def stmt(self, node, kind, like):
        return ir.tag(node, ir.LINE(like), kind)

    def assign(self, target, value, prim, like, kind=ir.Kind.ASSIGN):
        ir.PRIM.set(value, prim)
        return self.stmt(ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=value),
                         kind, like)

    def copy_of(self, target, atom, like):
        if isinstance(atom, ast.Name):
            return self.assign(target, ast.Name(id=atom.id, ctx=ast.Load()), ("copy",), like)
        return self.assign(target, ast.Constant(atom.value), ("const",), like)

    # -- blocks ----------------------------------------------------------
    def block(self, stmts):
        out = []
        for s in stmts:
            for f in ("body", "orelse"):
                if getattr(s, f, None):
                    setattr(s, f, self.block(getattr(s, f)))
            if isinstance(s, ast.For):
                s.iter = self.lengths(s.iter)
                if ir.ITERATES(s):      # split tuples are checked: now their elements
                    ir.ITERATES.set(s, [(x, e) for x, e in ir.ITERATES(s)
                                        if x not in self.split] or None)
            elif isinstance(s, ast.Assign) and isinstance(s.value, ast.Subscript):
                # (``t[len(t) - 1 - i]``: a loop over ``reversed(t)``)
                s.value.slice = self.lengths(s.value.slice)
            out.extend(self.statement(s))
        return out

    def lengths(self, node):
        """``len(x)`` of a tuple with known elements is a constant."""
        elements = self.elements

        class Lengths(ast.NodeTransformer):
            def visit_Call(self, c):
                self.generic_visit(c)
                if isinstance(c.func, ast.Name) and c.func.id == "len" and len(c.args) == 1 \
                        and isinstance(c.args[0], ast.Name) and c.args[0].id in elements:
                    return ast.Constant(len(elements[c.args[0].id]))
                return c

        new = Lengths().visit(node)
        if ast.dump(new) != ast.dump(node):
            self.changed = True
        return new

    def statement(self, s) -> list:
        kind = ir.KIND(s)
        if ir.PROLOGUE(s):
            return [s]      # p_0 = p[0]: where a tuple argument's elements come from
        if kind == ir.Kind.ASSIGN:
            target = s.targets[0].id
            v = s.value
            head = ir.PRIM(v)[0]
            if target in self.split:
                self.changed = True
                return self.split_def(s, target)
            if head == "subscript" and isinstance(v.value, ast.Name) and \
                    v.value.id in self.elements:
                self.changed = True
                return self.element_read(s, target, v.value.id, v.slice)
            red = tuple_reduction(v)
            if red and isinstance(v.args[0], ast.Name) and v.args[0].id in self.elements:
                self.changed = True
                return self.reduce(s, target, v.args[0].id, red)
        if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE, ir.Kind.UNPACK, ir.Kind.STORE,
                    ir.Kind.AUGSTORE, ir.Kind.RETURN, ir.Kind.PUSH):
            return self.rebuild_in(s.value, s) + [s]
        return [s]

    # -- definitions of a split tuple ------------------------------------
    def split_def(self, s, x) -> list:
        names = self.elements[x]
        v = s.value
        head = ir.PRIM(v)[0]
        if head == "tuple":
            out = []
            for name, e in zip(names, v.elts):
                if isinstance(e, ast.Name) and e.id in self.split:
                    out += self.rebuild(e.id, s)
                    e = ast.Name(id=out[-1].targets[0].id, ctx=ast.Load())
                out.append(self.copy_of(name, e, s))
            return out
        if head == "copy":
            return [self.copy_of(name, ast.Name(id=src, ctx=ast.Load()), s)
                    for name, src in zip(names, self.elements[v.id])]
        # x = f(...): the user function's results go straight to the elements
        pre = self.rebuild_in(s.value, s)
        node = ast.Assign(targets=[ast.Tuple(elts=[ast.Name(id=n, ctx=ast.Store()) for n in names],
                                             ctx=ast.Store())], value=s.value)
        return pre + [self.stmt(node, ir.Kind.UNPACK, s)]

    # -- reads of elements -----------------------------------------------
    def element_read(self, s, target, x, index) -> list:
        names = self.elements[x]
        n = len(names)
        k = _const_index(index, n)
        if k is not None:
            if not 0 <= k < n:
                raise self.error(s, f"tuple index out of range: '{x}' has {n} elements")
            return [self.copy_of(target, ast.Name(id=names[k], ctx=ast.Load()), s)]
        t = self.env.get(index.id) if isinstance(index, ast.Name) else None
        if isinstance(index, (ast.Slice, ast.Tuple)) or (t is not None and t.kind != "int"):
            raise self.error(s, f"a tuple ('{x}') can only be indexed by an integer")
        out = []
        position = index
        if not ir.NONNEG(s.value):
            # x[-1] is the last element, as in Python
            m = self.fresh("k")
            out.append(self.assign(m, ast.BinOp(left=index, op=ast.Mod(), right=ast.Constant(n)),
                                   ("binop", "Mod"), s))
            position = ast.Name(id=m, ctx=ast.Load())
        out += self.choose(s, target, names, position, 0)
        return out

    def choose(self, s, target, names, position, k) -> list:
        """``target = names[position]`` as ``if position == k: ... else: ...``."""
        pick = self.copy_of(target, ast.Name(id=names[k], ctx=ast.Load()), s)
        if k == len(names) - 1:
            return [pick]
        c = self.fresh("c")
        test = self.assign(c, ast.Compare(left=ir.clone(position), ops=[ast.Eq()],
                                          comparators=[ast.Constant(k)]), ("compare",), s)
        rest = self.choose(s, target, names, position, k + 1)
        node = self.stmt(ast.If(test=ast.Name(id=c, ctx=ast.Load()), body=[pick], orelse=rest),
                         ir.Kind.IF, s)
        return [test, node]

    def reduce(self, s, target, x, how) -> list:
        """``np.sum(x)`` / ``np.mean(x)`` of a tuple: of the sum of its elements."""
        names = self.elements[x]
        arrays = any(t.is_array for t in self.env[x].elts)
        out = []
        acc = ast.Name(id=names[0], ctx=ast.Load())
        for name in names[1:]:
            tmp = self.fresh("s")
            out.append(self.assign(tmp, ast.BinOp(left=acc, op=ast.Add(),
                                                   right=ast.Name(id=name, ctx=ast.Load())),
                                   ("binop", "Add"), s))
            acc = ast.Name(id=tmp, ctx=ast.Load())
        if arrays:
            fn = np.sum if how == "sum" else np.mean
            call = ast.Call(func=ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()),
                                               attr=fn.__name__, ctx=ast.Load()),
                            args=[acc], keywords=[])
            if how == "sum":
                out.append(self.assign(target, call, ("call", fn), s))
                return out
            tmp = self.fresh("s")
            out.append(self.assign(tmp, call, ("call", fn), s))
            acc = ast.Name(id=tmp, ctx=ast.Load())
        if how == "sum":
            out.append(self.copy_of(target, acc, s))
        else:
            out.append(self.assign(target, ast.BinOp(left=acc, op=ast.Div(),
                                                     right=ast.Constant(float(len(names)))),
                                   ("binop", "Div"), s))
        return out

    # -- whole uses ------------------------------------------------------
    def rebuild(self, x, like) -> list:
        tmp = self.namer.prefixed(f"{x}_all")
        elts = [ast.Name(id=n, ctx=ast.Load()) for n in self.elements[x]]
        return [self.assign(tmp, ast.Tuple(elts=elts, ctx=ast.Load()), ("tuple",), like)]

    def rebuild_in(self, node, like) -> list:
        """Statements rebuilding the split tuples ``node`` reads whole; the reads
        are renamed to the rebuilt tuples."""
        out = []
        done = {}
        for n in nodes(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in self.split:
                if n.id not in done:
                    out += self.rebuild(n.id, like)
                    done[n.id] = out[-1].targets[0].id
                n.id = done[n.id]
        if out:
            self.changed = True
        return out



def _whole_param_uses(fn, param_elts) -> set:
    whole = set()
    for s in walk(fn.body):
        if ir.PROLOGUE(s):
            continue
        for node in nodes(s) if not isinstance(s, (ast.If, ast.For, ast.While)) else \
                nodes(s.test if isinstance(s, (ast.If, ast.While)) else s.iter):
            if isinstance(node, ast.Name) and node.id in param_elts and \
                    isinstance(node.ctx, ast.Load):
                whole.add(node.id)
    return whole
