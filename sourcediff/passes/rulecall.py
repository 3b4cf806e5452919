"""Calling a derivative rule: a primitive's operands bound to the parameter
names of a rule's template, and what a rule's ``when`` sees (:class:`RuleInfo`).
Shared by reverse mode (adjoint rules) and forward mode (tangent rules)."""
from __future__ import annotations

import ast

from .. import ir
from ..rules import registry
from .astutil import const


class RuleInfo:
    """What a rule's ``when`` sees: the type of each parameter, which are
    literal constants (``x ** 2`` has a simpler rule than ``x ** y``), and which
    receive the same variable (``x * x``)."""

    def __init__(self, types, kwtypes, consts=None, names=None):
        self.types = {**types, **{k: v for k, v in kwtypes.items()}}
        self.consts = consts or {}
        self.names = names or {}          # parameter -> the variable passed, if one

    def same(self, a, b) -> bool:
        """Parameters ``a`` and ``b`` receive the same variable (``x * x``)."""
        return self.names.get(a) is not None and self.names.get(a) == self.names.get(b)

    def is_nonzero_const(self, name) -> bool:
        v = self.consts.get(name)
        return isinstance(v, (int, float)) and not isinstance(v, bool) and v != 0


def constants_of(inputs) -> dict:
    return {p: a.value for p, a in inputs if isinstance(a, ast.Constant)}


def bind_inputs(args, keywords, tpl):
    """([(input name, atom)], {keyword: atom}) of a call's positional ``args``
    and ``keywords`` (``ast.keyword``), by the template's names (``a0``, ``a1``,
    ... without a template)."""
    if tpl is None:
        return [(f"a{k}", a) for k, a in enumerate(args)], {}
    names = list(tpl.inputs) + list(tpl.keywords)
    inputs, bound = [], {}
    for k, a in enumerate(args):
        if k < len(tpl.inputs):
            inputs.append((tpl.inputs[k], a))
        elif k < len(names):
            bound[names[k]] = a
    for kw in keywords:
        if kw.arg in tpl.inputs:
            inputs.append((kw.arg, kw.value))
        else:
            bound[kw.arg] = kw.value
    return inputs, bound


def rule_inputs(prim):
    """(rule key, [(param placeholder, atom)], {keyword: atom}) of a primitive,
    by the names of its first adjoint rule's template."""
    head = ir.PRIM(prim)[0]
    if head == "binop":
        return ir.PRIM(prim)[1], [("x", prim.left), ("y", prim.right)], {}
    if head == "unary":
        return ir.PRIM(prim)[1], [("x", prim.operand)], {}
    if head == "copy":
        return "copy", [("x", prim)], {}
    if head == "attr":
        return ir.PRIM(prim)[1], [("x", prim.value)], {}
    if head == "method":
        name = "copy_method" if ir.PRIM(prim)[1] == "copy" else ir.PRIM(prim)[1]
        return name, [("x", prim.func.value)], {}
    if head == "call":
        fn = ir.PRIM(prim)[1]
        p = registry.get_primitive(fn)
        tpl = p.rules[0].template if p and p.rules and p.rules[0].template else None
        inputs, keywords = bind_inputs(prim.args, prim.keywords, tpl)
        return fn, inputs, keywords
    raise NotImplementedError(head)


def tangent_rule_inputs(prim, tpl):
    """([(input name, atom)], {keyword: atom}) of an operator or call, by the
    names of a tangent rule's template ``tpl`` (None: ``a0``, ``a1``, ...)."""
    head = ir.PRIM(prim)[0]
    if head == "binop":
        atoms, kws = [prim.left, prim.right], []
    elif head == "unary":
        atoms, kws = [prim.operand], []
    else:
        atoms, kws = list(prim.args), list(prim.keywords)
    return bind_inputs(atoms, kws, tpl)


def bind_template(tpl, inputs, keywords) -> dict:
    """Template parameter -> atom (keywords not given: their defaults)."""
    mapping = {}
    positional = dict(inputs)
    for pname in tpl.inputs:
        if pname in positional:
            mapping[pname] = positional[pname]
    for k, default in tpl.keywords.items():
        mapping[k] = keywords.get(k, const(default))
    # templates written with x, y get the atoms in order
    if not all(p in mapping for p in tpl.inputs):
        for pname, (_, atom) in zip(tpl.inputs, inputs):
            mapping[pname] = atom
    return mapping
