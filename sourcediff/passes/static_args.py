"""Arguments that are strings or None: constants of the signature.

A mode flag (``def f(x, mode="sum"): if mode == "sum": ...``) or an optional
array left out (``def f(x, w=None): if w is None: w = np.ones_like(x)``) is
not a value the generated code computes with: the transform specializes on
it (its value is part of the signature's types, ``T("static")``), as JAX's
``static_argnames`` does. :func:`bind_static_args` puts the value in place of
each read of the parameter, up to where the function binds the name again;
the normalizer then keeps the branch of an ``if`` that the value takes
(:func:`static_truth`). A string left anywhere else is refused at its line.

Before the values are known (the check when a transform is made, a helper
examined on its own), :func:`is_flag_test` tells the tests on such a parameter,
whose branches are both checked.
"""
from __future__ import annotations

import ast
import copy
import dataclasses

from .. import ir
from .astutil import binding_targets, nodes

_MISSING = object()


def is_static_constant(node) -> bool:
    return isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str))


def _value(e):
    """The value of a test made of constants, or ``_MISSING``."""
    if isinstance(e, ast.Constant):
        return e.value
    if isinstance(e, (ast.Tuple, ast.List)):
        items = [_value(x) for x in e.elts]
        return _MISSING if any(v is _MISSING for v in items) else tuple(items)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
        v = _value(e.operand)
        return _MISSING if v is _MISSING else not v
    if isinstance(e, ast.BoolOp):
        items = [_value(x) for x in e.values]
        if any(v is _MISSING for v in items):
            return _MISSING
        return all(items) if isinstance(e.op, ast.And) else any(items)
    if isinstance(e, ast.Compare):
        left = _value(e.left)
        for op, right_node in zip(e.ops, e.comparators):
            right = _value(right_node)
            if left is _MISSING or right is _MISSING:
                return _MISSING
            if isinstance(op, ast.Eq):
                ok = left == right
            elif isinstance(op, ast.NotEq):
                ok = left != right
            elif isinstance(op, (ast.Is, ast.IsNot)) and (left is None or right is None):
                ok = (left is right) == isinstance(op, ast.Is)
            elif isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, tuple):
                ok = (left in right) == isinstance(op, ast.In)
            else:
                return _MISSING
            if not ok:
                return False
            left = right
        return True
    return _MISSING


def static_truth(test) -> bool | None:
    """Whether ``test``, made of constants among which a string or None
    (``"sum" == "sum"``, ``None is None``), holds; None when it is not such a
    test."""
    if not any(is_static_constant(n) for n in nodes(test)):
        return None
    v = _value(test)
    return None if v is _MISSING else bool(v)


def is_flag_test(test, params) -> bool:
    """``test`` compares parameters with strings or None only (``mode == "sum"``,
    ``w is None``, ``mode in ("a", "b")``): a test on values the transform will
    specialize on."""
    names = [n for n in nodes(test) if isinstance(n, ast.Name)]
    if not names or any(n.id not in params for n in names):
        return False
    flag = _FlagValues().visit(copy.deepcopy(test))
    return static_truth(flag) is not None


def without_flag_tests(test, params):
    """``test`` with its parts that test parameters against strings or None
    (:func:`is_flag_test`) taken as holding (``mode == "a" and x[0] > 0.0`` is
    ``x[0] > 0.0``): before the values are known, what both branches of
    such a part need checking."""
    if is_flag_test(test, params):
        return ast.copy_location(ast.Constant(True), test)
    if isinstance(test, ast.BoolOp):
        parts = [without_flag_tests(v, params) for v in test.values]
        return _fold_test(ast.copy_location(ast.BoolOp(op=test.op, values=parts), test))
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _fold_test(ast.copy_location(ast.UnaryOp(
            op=test.op, operand=without_flag_tests(test.operand, params)), test))
    return test


class _FlagValues(ast.NodeTransformer):
    """Each name as the string it might hold (what :func:`_value` can compare)."""

    def visit_Name(self, node):
        return ast.copy_location(ast.Constant(""), node)


def bind_static_args(src, values: dict, others=()):
    """``src`` with each read of a parameter in ``values`` (name -> a string or
    None) replaced by the value, up to where the function binds the name again;
    ``others``, the parameters given other values (numbers, arrays), and names
    bound again are not None: ``p is None`` of those is False."""
    if not values and not any(is_static_constant(n) for n in nodes(src.tree)):
        return src
    env = {p: _NOT_NONE for p in others}
    env.update(values)
    tree = copy.deepcopy(src.tree)
    tree.body = _block(tree.body, env) or [ast.copy_location(ast.Pass(), tree)]
    return dataclasses.replace(src, tree=tree)


_NOT_NONE = object()      # a name whose value is not None (a number, an array)


def _assigned(stmts) -> set:
    out = set()
    for s in stmts:
        for n in nodes(s):
            if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For)):
                for t in binding_targets(n):
                    out.update(x.id for x in nodes(t) if isinstance(x, ast.Name))
            elif isinstance(n, ast.NamedExpr):
                out.add(n.target.id)
            elif isinstance(n, (ast.FunctionDef, ast.ClassDef)):
                out.add(n.name)
    return out


def _rebound(env: dict, names) -> None:
    """Names bound to a value computed here: not None (None is refused there)."""
    for name in names:
        env[name] = _NOT_NONE


def _block(stmts, env: dict) -> list:
    """``stmts`` substituted in order, an ``if`` whose test is now a constant
    replaced by the branch it takes; ``env`` is left as it stands after them."""
    out = []
    for s in stmts:
        if isinstance(s, ast.If):
            s.test = _fold_test(_Substitute(env).visit(s.test))
            truth = _value(s.test)
            if truth is not _MISSING:
                out.extend(_block(s.body if truth else s.orelse, env))
                continue
            then, other = dict(env), dict(env)
            s.body = _block(s.body, then) or [ast.copy_location(ast.Pass(), s)]
            s.orelse = _block(s.orelse, other)
            env.clear()
            env.update({k: v for k, v in then.items() if k in other and other[k] is v})
        elif isinstance(s, (ast.For, ast.While)):
            # (the body may run again, or not at all)
            for name in _assigned([s]):
                if env.get(name) is not _NOT_NONE:
                    env.pop(name, None)
            if isinstance(s, ast.For):
                s.iter = _Substitute(env).visit(s.iter)
            else:
                s.test = _fold_test(_Substitute(env).visit(s.test))
            s.body = _block(s.body, dict(env)) or [ast.copy_location(ast.Pass(), s)]
            s.orelse = _block(s.orelse, dict(env))
        elif isinstance(s, (ast.FunctionDef, ast.ClassDef)):
            env.pop(s.name, None)
        else:
            _Substitute(env).visit(s)
            _rebound(env, _assigned([s]))
        out.append(s)
    # (what follows a return the branch taken reached is never run)
    return out[:next((k + 1 for k, s in enumerate(out) if isinstance(s, ast.Return)),
                     len(out))]


def _fold_test(test):
    """The test of an ``if`` or ``while`` with its parts made of constants
    decided (``"a" == "a" and x[0] > 0.0`` is ``x[0] > 0.0``): only whether
    the test holds counts there, not which operand ``and``/``or`` returns."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _fold_test(test.operand)
        v = static_truth(inner) if isinstance(inner, ast.Constant) else None
        return ast.copy_location(ast.Constant(not v), test) if v is not None else \
            ast.copy_location(ast.UnaryOp(op=test.op, operand=inner), test)
    if not isinstance(test, ast.BoolOp):
        return test
    decides = isinstance(test.op, ast.Or)       # the value that settles the whole test
    kept = []
    for part in (_fold_test(v) for v in test.values):
        v = _value(part) if any(is_static_constant(n) for n in nodes(part)) or \
            isinstance(part, ast.Constant) else _MISSING
        if v is _MISSING:
            kept.append(part)
        elif bool(v) == decides:
            return ast.copy_location(ast.Constant(decides), test)
    if not kept:
        return ast.copy_location(ast.Constant(not decides), test)
    if len(kept) == 1:
        return kept[0]
    return ast.copy_location(ast.BoolOp(op=test.op, values=kept), test)


class _Substitute(ast.NodeTransformer):
    def __init__(self, env):
        self.env = env

    def visit_Name(self, node):
        v = self.env.get(node.id, _NOT_NONE) if isinstance(node.ctx, ast.Load) else _NOT_NONE
        if v is not _NOT_NONE:
            return ir.STATIC_PARAM.set(ast.copy_location(ast.Constant(v), node), node.id)
        return node

    def visit_Compare(self, node):
        # ``p is None`` / ``p is not None`` of a name that is not None
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot)) and \
                isinstance(node.left, ast.Name) and self.env.get(node.left.id) is _NOT_NONE \
                and isinstance(node.comparators[0], ast.Constant) and \
                node.comparators[0].value is None:
            return ast.copy_location(ast.Constant(isinstance(node.ops[0], ast.IsNot)), node)
        return self.generic_visit(node)

    def visit_Lambda(self, node):
        return node         # (its own parameters may hide the names)
