"""Forward mode: from a normalized, typed function to its JVP.

Each primal statement is followed by the statement computing its tangent
(``z = sin(x)`` then ``z_dot = math.cos(x) * x_dot``), so values and
tangents are computed together in one sweep: no tape.  Tangents are named
``<name>_dot`` (JAX's convention; reverse mode's adjoints are ``d<name>``).

Only *active* variables get a tangent: those that depend on a ``wrt`` input
through differentiable operations and that the result depends on.  An active
variable assigned a value that carries no derivative (``s = 0.0``,
``a = np.zeros(n)``) gets a zero tangent there; an active parameter that is
not differentiated (an array the function writes ``x[i]`` into) starts with
a zero tangent.

Calls to user functions call their own generated JVP
(``y, y_dot = helper_jvp(x, k, x_dot)``), specialised to the arguments that
carry a tangent.  Generated code is inside the subset too, tapes included:
``_saved.append(v)`` pushes ``v_dot`` onto a tangent tape alongside, and
``v = _saved.pop()`` pops both, which is how the JVP of a generated adjoint
(Hessian-vector products) is built.
"""
from __future__ import annotations

import ast
import copy
import re

import numpy as np

from .. import ir
from ..names import Namer
from ..rules import registry
from ..rules.registry import ELEMENTWISE_OPS
from .activity import diff_operands
from .astutil import assign as _assign
from .astutil import call as _call
from .astutil import free_names, nodes, simplify, substitute, walk
from .astutil import name as _name
from .numba_calls import contiguous_reshape, lower_for_numba
from .rulecall import RuleInfo, constants_of, tangent_rule_inputs
from .selects import number_kind, select_branches
from .types import T, const_type
from .views import check_call_views, check_tangent_views, is_view


def _terms(expr, sign=1):
    """Split a sum into signed terms: ``a - b + c`` -> [(1, a), (-1, b), (1, c)]."""
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Sub)):
        right_sign = sign if isinstance(expr.op, ast.Add) else -sign
        return _terms(expr.left, sign) + _terms(expr.right, right_sign)
    return [(sign, expr)]


def _join_terms(terms):
    out = None
    for sign, e in terms:
        if out is None:
            out = e if sign > 0 else ast.UnaryOp(op=ast.USub(), operand=e)
        else:
            out = ast.BinOp(left=out, op=ast.Add() if sign > 0 else ast.Sub(), right=e)
    return out


def _tangent_is_a_reference(expr) -> bool:
    """A tangent that is a name, an element or slice of one, or a transpose:
    it may be the memory of another array (no new array is computed)."""
    if isinstance(expr, (ast.Name, ast.Subscript)):
        return True
    return isinstance(expr, ast.Attribute) and expr.attr == "T"


class ForwardTransformer:
    """Builds the JVP of one normalized function with respect to ``wrt``."""

    def __init__(self, fn: ast.FunctionDef, types: dict, wrt: list, names: set,
                 callee_tangent=None, error=None, outputs=None):
        self.fn = fn
        # indices of a returned tuple whose tangents are wanted (None: all): the
        # JVP of a gradient needs no tangent of the function's value
        self.outputs = outputs
        self.types = types
        self.wrt = list(wrt)
        self.error = error
        self.params = [a.arg for a in fn.args.args]
        self.used = set(names) | set(self.params) | {
            n.id for n in nodes(fn) if isinstance(n, ast.Name)}
        self.namer = Namer(self.used)     # x, x2, x3, ...
        self.callee_tangent = callee_tangent   # f(pyfunc, argtypes, wrt positions, inplace)
        self.ret = fn.body[-1]
        self.ret_name = self.ret.value.id if isinstance(self.ret.value, ast.Name) else None
        self.dot_names: dict[str, str] = {}
        self.primal_of: dict[str, str] = {}
        self.user_rules_used: dict = {}
        self.pre: list = []        # statements a rule needs before the tangent
        self.stored = set()
        for s in walk(fn.body):
            kind = ir.KIND(s)
            if kind == ir.Kind.STORE:
                self.stored.add(s.targets[0].value.id)
            elif kind == ir.Kind.AUGSTORE:
                self.stored.add(s.target.value.id)
        self.written = self._sharing_stored()
        self.active = self.analyze_activity()
        # trip counters the normalizer adds for reverse mode: forward mode needs none
        self.counters = {ir.COUNT(s) for s in walk(fn.body)} - {None}

    def _sharing_stored(self) -> set:
        """The names whose arrays may share memory (through views or ``y = x``)
        with an array stored into: a tangent that refers to one of them
        (``v_dot = t_dot`` of ``v = t * 1.0``) must be a copy."""
        group: dict = {}

        def find(n):
            while group.get(n, n) != n:
                n = group[n]
            return n
        for s in walk(self.fn.body):
            if ir.KIND(s) == ir.Kind.ASSIGN:
                base = is_view(s.value, self.types)
                if base is not None:
                    group[find(s.targets[0].id)] = find(base)
        roots = {find(n) for n in self.stored}
        return {n for n in {*group, *group.values()} if find(n) in roots} | self.stored

    # -- names and types --------------------------------------------------
    def fresh(self, base) -> str:
        return self.namer.fresh(base)

    def dot(self, var) -> str:
        name = self.dot_names.get(var)
        if name is None:
            name = self.fresh(f"{var}_dot")
            self.dot_names[var] = name
            self.primal_of[name] = var
        return name

    def is_active(self, atom) -> bool:
        return isinstance(atom, ast.Name) and atom.id in self.active

    def type_of(self, atom) -> T | None:
        if isinstance(atom, ast.Constant):
            return const_type(atom.value) if isinstance(atom.value, (bool, int, float)) else None
        if isinstance(atom, ast.Name):
            return self.types.get(atom.id)
        if ir.PRIM.has(atom) and ir.PRIM(atom)[0] == "dtype":
            return T("dtype", ir.PRIM(atom)[1])
        return None

    @staticmethod
    def floating(t) -> bool:
        if t is None:
            return False
        if t.kind == "tuple":
            return any(ForwardTransformer.floating(e) for e in t.elts)
        if t.kind == "list":
            return bool(t.elts) and ForwardTransformer.floating(t.elts[0])
        return t.is_float

    def analyze_activity(self) -> set:
        edges = []   # (targets, sources)
        for s in walk(self.fn.body):
            kind = ir.KIND(s)
            if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE):
                edges.append(([s.targets[0].id], diff_operands(s.value)))
                base = is_view(s.value, self.types) if kind == ir.Kind.ASSIGN else None
                if base is not None:
                    # a write through the view changes the base: both or neither
                    # carry a tangent, and the tangents are views of each other too
                    edges.append(([base], [s.targets[0].id]))
            elif kind == ir.Kind.UNPACK:
                edges.append(([e.id for e in s.targets[0].elts], diff_operands(s.value)))
            elif kind in (ir.Kind.STORE, ir.Kind.AUGSTORE):
                target = s.targets[0] if kind == ir.Kind.STORE else s.target
                v = s.value
                edges.append(([target.value.id], [v.id] if isinstance(v, ast.Name) else []))
            elif kind == ir.Kind.PUSH:
                call = s.value
                v = call.args[0]
                edges.append(([call.func.value.id], [v.id] if isinstance(v, ast.Name) else []))
        varied = {w for w in self.wrt if self.floating(self.types.get(w))}
        changed = True
        while changed:
            changed = False
            for targets, sources in edges:
                if any(src in varied for src in sources):
                    for t in targets:
                        if t not in varied and self.floating(self.types.get(t)):
                            varied.add(t)
                            changed = True
        useful = {self.ret_name} if self.ret_name else set()
        result_tuple = self.result_tuple()
        if result_tuple is not None:
            useful = {e.id for k, e in enumerate(result_tuple.elts)
                      if k in self.outputs and isinstance(e, ast.Name)}
        changed = True
        while changed:
            changed = False
            for targets, sources in edges:
                if any(t in useful for t in targets):
                    for src in sources:
                        if src not in useful:
                            useful.add(src)
                            changed = True
        active = varied & useful
        if result_tuple is not None and self.ret_name in varied:
            active.add(self.ret_name)
        return active

    def result_tuple(self):
        """The tuple the function returns, when only some of its elements need
        tangents (``outputs``) and it is built once, right before ``return``."""
        if self.outputs is None or self.ret_name is None or len(self.fn.body) < 2:
            return None
        last = self.fn.body[-2]
        if ir.KIND(last) != ir.Kind.ASSIGN or last.targets[0].id != self.ret_name \
                or ir.PRIM(last.value)[0] != "tuple":
            return None
        defs = [s for s in walk(self.fn.body) if ir.KIND(s) in
                (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE, ir.Kind.UNPACK) and self.ret_name in
                {n.id for n in nodes(s.targets[0]) if isinstance(n, ast.Name)}]
        return last.value if len(defs) == 1 else None

    def zeros_like(self, atom, t: T | None = None):
        """A zero tangent for the value ``atom`` (an expression) of type ``t``."""
        t = t if t is not None else self.type_of(atom)
        if t is not None and t.kind == "tuple":
            return ast.Tuple(elts=[self.zeros_like(ast.Subscript(value=ir.clone(atom),
                                                                 slice=ast.Constant(k),
                                                                 ctx=ast.Load()), e)
                                   for k, e in enumerate(t.elts)], ctx=ast.Load())
        if t is not None and t.is_array and t.dtype.kind == "f":
            return _call("np.zeros_like", ir.clone(atom))
        if t is not None and t.kind == "list":
            return ast.List(elts=[], ctx=ast.Load())
        if t is not None and t.kind == "float" and t.dtype == np.float32:
            return _call("np.float32", ast.Constant(0.0))
        return ast.Constant(0.0)

    def tangent_of(self, atom):
        """The tangent of an operand: its ``_dot`` name, or a zero."""
        if self.is_active(atom):
            return _name(self.dot(atom.id))
        return self.zeros_like(atom)

    # -- entry -------------------------------------------------------------
    def run(self, fname: str) -> ast.FunctionDef:
        check_tangent_views(self.fn, self.types, self.active, self.stored, self.error)
        check_call_views(self.fn, self.types, self.error)
        line = ir.LINE(self.fn)
        tangent_params = [self.dot(w) for w in self.wrt]
        body = []
        for p in self.params:
            if p in self.active and p not in self.wrt:
                body.append(_assign(self.dot(p), self.zeros_like(_name(p)), line))
        body += self.block(self.fn.body)
        params = self.params + tangent_params
        body, = select_branches([body], params, lambda v: number_kind(
            self.types.get(self.primal_of.get(v, v))))
        args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in params], vararg=None,
                             kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
        fn = ast.FunctionDef(name=fname, args=args, body=body, decorator_list=[],
                             returns=None, type_comment=None, type_params=[])
        return fn

    def block(self, stmts) -> list:
        out = []
        for s in stmts:
            out.extend(self.stmt(s))
        return out

    def stmt(self, s) -> list:
        kind = ir.KIND(s)
        line = ir.LINE(s)
        self.current = s
        if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE) and s.targets[0].id in self.counters:
            return []
        if kind == ir.Kind.ASSIGN:
            if ir.PRIM(s.value)[0] == "user":
                return self.user_call(s, [s.targets[0].id])
            primal = copy.copy(s)
            primal.value = lower_for_numba(s.value, self.types)
            z = s.targets[0].id
            if z not in self.active:
                return [primal]
            self.pre = []
            tangent = _assign(self.dot(z), self.tangent_expr(z, s.value), line)
            return [primal] + self.pre + [tangent]
        if kind == ir.Kind.ACCUMULATE:
            z = s.targets[0].id
            a = s.value.right
            op = s.value.op
            primal = s
            # an adjoint's 'dx += ...' is in place (it keeps dx's dtype), and so is
            # its tangent's; 'y = y + a' and a user's array += rebind (see typeinfer)
            in_place = not ir.ARRAY(s) or (
                ir.GENERATED(self.fn) and ir.AUGMENTED(s))
            if in_place and ir.ARRAY(s):
                primal = ast.AugAssign(target=_name(z, True), op=ir.clone(op),
                                       value=ir.clone(a))
                ir.LINE.set(primal, line)
            if z not in self.active or not self.is_active(a):
                return [primal]
            if in_place:
                tangent = ast.AugAssign(target=_name(self.dot(z), True), op=ir.clone(op),
                                        value=_name(self.dot(a.id)))
                ir.LINE.set(tangent, line)
            else:
                value = ast.BinOp(left=_name(self.dot(z)), op=ir.clone(op),
                                  right=_name(self.dot(a.id)))
                tangent = _assign(self.dot(z), value, line)
            return [primal, tangent]
        if kind == ir.Kind.UNPACK:
            return self.user_call(s, [e.id for e in s.targets[0].elts])
        if kind in (ir.Kind.STORE, ir.Kind.AUGSTORE):
            target = s.targets[0] if kind == ir.Kind.STORE else s.target
            base = target.value.id
            if base not in self.active:
                return [s]
            sub = ast.Subscript(value=_name(self.dot(base)), slice=ir.clone(target.slice),
                                ctx=ast.Store())
            if kind == ir.Kind.STORE:
                value = self.tangent_of(s.value) if self.is_active(s.value) else ast.Constant(0.0)
                return [s, _assign(sub, value, line)]
            if not self.is_active(s.value):
                return [s]
            t = ast.AugAssign(target=sub, op=ir.clone(s.op), value=_name(self.dot(s.value.id)))
            ir.LINE.set(t, line)
            return [s, t]
        if kind == ir.Kind.PUSH:
            lst = s.value.func.value.id
            if lst not in self.active:
                return [s]
            v = s.value.args[0]
            push = ast.Expr(value=ast.Call(func=ast.Attribute(value=_name(self.dot(lst)),
                                                              attr="append", ctx=ast.Load()),
                                           args=[self.tangent_of(v)], keywords=[]))
            ir.LINE.set(push, line)
            return [s, push]
        if isinstance(s, ast.If):
            new = copy.copy(s)
            new.body = self.block(s.body) or [ast.Pass()]
            new.orelse = self.block(s.orelse)
            return [new]
        if isinstance(s, (ast.For, ast.While)):
            new = copy.copy(s)
            new.body = self.block(s.body) or [ast.Pass()]
            return [new]
        if isinstance(s, ast.Return):
            value = s.value
            result = ast.Tuple(elts=[ir.clone(value), self.tangent_of(value)],
                               ctx=ast.Load())
            ret = ast.Return(value=result)
            ir.LINE.set(ret, line)
            return [ret]
        return [s]

    # -- tangents of the primitives ---------------------------------------------
    def tangent_expr(self, z, prim):
        head = ir.PRIM(prim)[0]
        if not any(n in self.active for n in diff_operands(prim)):
            return self.zeros_like(_name(z))
        if head == "copy":
            return _name(self.dot(prim.id))
        if head == "subscript":
            return ast.Subscript(value=_name(self.dot(prim.value.id)),
                                 slice=ir.clone(prim.slice), ctx=ast.Load())
        if head == "attr":        # x.T (the only attribute with a derivative)
            return ast.Attribute(value=_name(self.dot(prim.value.id)), attr=prim.attr,
                                 ctx=ast.Load())
        if head == "method":      # x.reshape(...), x.copy(), x.astype(...), tape.pop()
            new = ir.clone(prim)
            new.func.value = _name(self.dot(prim.func.value.id))
            return contiguous_reshape(new) if new.func.attr == "reshape" else new
        if head == "tuple":
            return ast.Tuple(elts=[self.tangent_of(e) for e in prim.elts], ctx=ast.Load())
        if head in ("binop", "unary", "call"):
            return self.rule_tangent(z, prim)
        raise self.error(self.current, f"forward mode cannot differentiate "
                                       f"'{ast.unparse(prim)}'")

    def rule_tangent(self, z, prim):
        head = ir.PRIM(prim)[0]
        key = ir.PRIM(prim)[1]
        p = registry.get_primitive(key)
        tpl_guess = p.tangents[0].template if p is not None and p.tangents else None
        inputs, keywords = tangent_rule_inputs(prim, tpl_guess)
        info = RuleInfo({n: self.type_of(a) for n, a in inputs},
                        {k: self.type_of(v) for k, v in keywords.items()},
                        constants_of(inputs))
        rule = registry.find_tangent_rule(key, info)
        if rule is None:
            what = ast.unparse(prim)
            raise self.error(self.current, f"no forward-mode (JVP) rule for '{what}'; "
                                           "register one with @sourcediff.defjvp")
        if rule.call is not None:
            args = [ir.clone(a) for _, a in inputs]
            call = ast.Call(func=_name(rule.name),
                            args=[_name(z)] + args + [self.tangent_of(a) for a in args],
                            keywords=[])
            self.user_rules_used[rule.name] = rule
            return call
        tpl = rule.template
        mapping = {tpl.result: _name(z)}
        for k, default in tpl.keywords.items():
            mapping[k] = ir.clone(keywords.get(k, ast.Constant(default)))
        by_name = dict(inputs)
        active_dots, zero_dots = {}, {}
        for pname, tname in zip(tpl.inputs, tpl.tangents):
            atom = by_name.get(pname, ast.Constant(None))
            mapping[pname] = ir.clone(atom)
            if self.is_active(atom):
                active_dots[tname] = _name(self.dot(atom.id))
            elif head == "call" and not registry.is_elementwise(key):
                # a term assembling several tangents (a join): zeros of the input's shape
                zero_dots[tname] = self.zeros_like(atom)
            else:
                zero_dots[tname] = ast.Constant(0.0)
        terms = []
        for sign, term in _terms(tpl.output):
            names = free_names(term)
            if not names & set(active_dots):
                continue
            terms.append((sign, term))
        expr = _join_terms(terms)
        if expr is None:   # only inputs the result does not vary with (a shape) are active
            return self.zeros_like(_name(z))
        # template locals the kept terms need (``r2 = x * x + y * y``): statements
        # of their own before the tangent, as in the rule
        local_map = {}
        needed = free_names(expr)
        for stmt in reversed(tpl.body):
            if stmt.targets[0].id in needed:
                needed |= free_names(stmt.value)
        for stmt in tpl.body:
            tname = stmt.targets[0].id
            if tname in needed:
                local = self.fresh("_" + tname)
                value = simplify(substitute(stmt.value, {**mapping, **local_map}))
                self.pre.append(_assign(local, value, ir.LINE(self.current)))
                local_map[tname] = _name(local)
        expr = substitute(expr, {**mapping, **active_dots, **zero_dots, **local_map})
        expr = simplify(expr)
        zt = self.types.get(z)
        if zt is not None and zt.is_array:
            elementwise = (head == "binop" and key in ELEMENTWISE_OPS) or \
                (head == "call" and registry.is_elementwise(key))
            if elementwise:
                arrays = {a.id for _, a in inputs if isinstance(a, ast.Name)
                          and self.types.get(a.id) is not None and self.types[a.id].is_array}
                names = free_names(expr)
                covered = z in names or all(
                    a in names or self.dot_names.get(a) in names for a in arrays)
                if not covered:
                    # terms of the differentiated operands only: broadcast to z's shape
                    return _call("tangent_like", expr, _name(z))
            if _tangent_is_a_reference(expr):
                bases = {self.primal_of.get(n, n) for n in free_names(expr)}
                if z in self.written or bases & self.written:
                    return _call("fresh", expr)
        return expr

    # -- calls of user functions ---------------------------------------------------
    def user_call(self, s, targets) -> list:
        line = ir.LINE(s)
        call = s.value
        args = call.args
        active_pos = [k for k, a in enumerate(args) if self.is_active(a)]
        if not any(t in self.active for t in targets) or not active_pos:
            primal = copy.copy(s)
            return [primal]
        argtypes = [self.type_of(a) for a in args]
        jvp_name = self.callee_tangent(ir.PRIM(call)[1], argtypes, active_pos,
                                       ir.INPLACE(call))
        new_call = ast.Call(func=_name(jvp_name),
                            args=[ir.clone(a) for a in args]
                            + [_name(self.dot(args[k].id)) for k in active_pos], keywords=[])
        if ir.KIND(s) == ir.Kind.UNPACK:
            values = ast.Tuple(elts=[_name(t, True) for t in targets], ctx=ast.Store())
            dots = ast.Tuple(elts=[_name(self.dot(t), True) for t in targets], ctx=ast.Store())
        else:
            values = _name(targets[0], True)
            dots = _name(self.dot(targets[0]), True)
        return [_assign(ast.Tuple(elts=[values, dots], ctx=ast.Store()), new_call, line)]


_QUOTE = re.compile(r"^(\s*)# ([\w.<>]+):(\d+)  ")


def _applicable_comments(lines):
    """For each line, the ``# name:line  code`` comment that covers it: the last
    one above it in an enclosing block (or its own, for a comment line)."""
    stack, out = [], []
    for line in lines:
        text = line.strip()
        indent = len(line) - len(line.lstrip())
        if not text:
            out.append(stack[-1][1] if stack else None)
            continue
        while stack and stack[-1][0] > indent:
            stack.pop()
        if _QUOTE.match(line):
            if stack and stack[-1][0] == indent:
                stack.pop()
            stack.append((indent, text))
        out.append(stack[-1][1] if stack else None)
    return out


def quote_user_lines(text: str, info) -> str:
    """The JVP of generated code quotes the lines of the *user's* function that
    the generated code quoted (``# rosen:47  s += ...``), not the generated code
    itself; a quote already covering its place (same or enclosing block) is
    dropped."""
    covering = _applicable_comments(info.lines)
    stack, out = [], []     # (indent, quote) covering the output so far
    for line in text.splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if stripped:
            while stack and stack[-1][0] > indent:
                stack.pop()
        m = _QUOTE.match(line)
        if m:
            if m.group(2) == info.name:
                k = int(m.group(3)) - info.line_offset - 1
                user = covering[k] if 0 <= k < len(covering) else None
                if user is not None:
                    line, stripped = m.group(1) + user, user
            if stack and stack[-1][1] == stripped:
                continue
            if stack and stack[-1][0] == indent:
                stack.pop()
            stack.append((indent, stripped))
        out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")
