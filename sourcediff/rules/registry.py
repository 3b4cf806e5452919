"""The one place derivative rules are registered.

A rule is a small Python function whose *source* is the template of the
adjoint code, read like the math it encodes::

    @rule(math.atan2)          # z = atan2(y, x)
    def _(z, y, x, dz):
        r2 = x * x + y * y
        return dz * x / r2, -dz * y / r2

Parameters: the result, the inputs, the result's adjoint, then keyword
parameters of the primitive (``axis=None``).  The return value holds one
adjoint contribution per input (``None``: not differentiable).  The
transformer substitutes the actual operands and inlines the expressions, so
generated code reads like the rule.  ``when`` picks a variant by argument
types (``np.dot`` of matrices or vectors).

Users register rules for their own callables with ``sourcediff.adjoint``;
those are called, not inlined.
"""
from __future__ import annotations

import ast
import inspect
import math
import textwrap
import types as pytypes
from dataclasses import dataclass, field

import numpy as np

from ..passes.resolve import canonical_name
from ..runtime.declare import helper_name


@dataclass
class Template:
    result: str
    inputs: list
    adjoint: str
    keywords: dict              # name -> default value
    body: list                  # local assignments (ast.Assign)
    outputs: list               # one ast.expr (or None) per input


@dataclass
class Rule:
    key: object
    template: Template | None = None
    when: object = None
    call: object = None          # user rule: a callable invoked from generated code
    name: str = ""
    needs_extra: set = field(default_factory=set)


@dataclass
class Primitive:
    """What the passes know of a callable: its rules and its result type."""
    key: object
    rules: list = field(default_factory=list)
    result_type: object = None   # f(argtypes: list, kw: dict[str, T], consts: dict) -> T
    differentiable: bool = True  # False: the result never carries a derivative
    tangents: list = field(default_factory=list)   # forward-mode rules (TangentRule)
    elementwise: bool = False    # declared elementwise, not being a ufunc (np.where)
    axis_helper: object = None   # the runtime helper f(x, axis) Numba targets call for it


PRIMITIVES: dict = {}
USER_FUNCTION_EXCLUDE: set = set()
GENERATION = 0      # how many times a rule was registered: generated code built before is stale


def generation() -> int:
    return GENERATION


def _key(obj):
    return obj if isinstance(obj, str) else id(obj)


def primitive(obj) -> Primitive:
    """The entry of ``obj``, made if new, for a rule about to be registered."""
    global GENERATION
    GENERATION += 1
    k = _key(obj)
    p = PRIMITIVES.get(k)
    if p is None:
        p = PRIMITIVES[k] = Primitive(obj)
    return p


def _read_template(fn) -> tuple:
    """A rule's source split into ``(positional names, keyword defaults, local
    assignments, returned expression)`` (docstrings dropped)."""
    src = textwrap.dedent(inspect.getsource(fn))
    tree = ast.parse(src).body[0]
    args = tree.args
    names = [a.arg for a in args.args]
    ndefaults = len(args.defaults)
    positional = names[: len(names) - ndefaults]
    keywords = {a: ast.literal_eval(d) for a, d in zip(names[len(positional):], args.defaults)}
    body, returned = [], None
    for s in tree.body:
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant):
            continue
        if isinstance(s, ast.Return):
            returned = s.value
        else:
            body.append(s)
    return positional, keywords, body, returned


def parse_template(fn) -> Template:
    positional, keywords, body, v = _read_template(fn)
    outputs = list(v.elts) if isinstance(v, ast.Tuple) else [v]
    inputs = positional[1:-1]
    outputs = [None if isinstance(o, ast.Constant) and o.value is None else o for o in outputs]
    if len(outputs) != len(inputs):
        raise ValueError(f"rule {fn.__name__}: {len(inputs)} inputs but "
                         f"{len(outputs)} adjoints returned")
    return Template(positional[0], inputs, positional[-1], keywords, body, outputs)


def rule(*objs, when=None):
    """Register the decorated template as the adjoint rule of ``objs``."""
    def deco(fn):
        tpl = parse_template(fn)
        for obj in objs:
            primitive(obj).rules.append(Rule(obj, tpl, when, name=str(obj)))
        return fn
    return deco


def result_type(*objs):
    """Register the type function ``f(argtypes, kw, consts) -> T`` of ``objs``."""
    def deco(fn):
        for obj in objs:
            primitive(obj).result_type = fn
        return fn
    return deco


def nondifferentiable(*objs, result=None):
    for obj in objs:
        p = primitive(obj)
        p.differentiable = False
        if result is not None:
            p.result_type = result


def elementwise(*objs):
    """Declare callables that are elementwise without being NumPy ufuncs
    (``np.where``, ``max``): see :func:`is_elementwise`."""
    for obj in objs:
        primitive(obj).elementwise = True


# binary operators that act element by element on arrays (``x * y``); ``@`` does not
ELEMENTWISE_OPS = {"Add", "Sub", "Mult", "Div", "Pow", "Mod"}


def is_elementwise(fn) -> bool:
    """Whether ``fn`` maps its arguments element by element, so that an
    operand broadcast against another gets its adjoint summed back to its
    shape and an adjoint that only flows elementwise may stay a scalar seed:
    a NumPy ufunc (not a generalized one, as ``np.matmul``), a ``math``
    function (of numbers), or a callable declared with :func:`elementwise`.

    >>> is_elementwise(np.exp2), is_elementwise(np.cumsum), is_elementwise(np.matmul)
    (True, False, False)
    """
    if isinstance(fn, np.ufunc):
        return fn.signature is None
    p = PRIMITIVES.get(_key(fn))
    if p is not None and p.elementwise:
        return True
    name = getattr(fn, "__name__", None)
    return name is not None and getattr(math, name, None) is fn


def lowered_with_axis(helper, *objs):
    """On Numba targets, ``obj(x, axis)`` of an N-d ``x`` becomes ``helper(x, axis)``
    (a runtime helper): Numba's ``np.mean/max/min/prod`` take no ``axis``."""
    for obj in objs:
        primitive(obj).axis_helper = helper


def axis_helper_name(fn) -> str | None:
    """The name of the runtime helper standing in for ``fn(x, axis)`` on Numba targets."""
    p = PRIMITIVES.get(_key(fn))
    return None if p is None or p.axis_helper is None else helper_name(p.axis_helper)


def has_rule(fn) -> bool:
    p = PRIMITIVES.get(_key(fn))
    return p is not None and bool(p.rules or p.tangents or not p.differentiable)


def most_arguments(fn) -> int | None:
    """How many arguments a call of ``fn`` may pass by position: what its adjoint
    rules name (an argument past them would be dropped, its effect on the
    derivative lost); None when a rule is not a template or ``fn`` has none."""
    p = PRIMITIVES.get(_key(fn))
    if p is None or not p.rules or any(r.template is None for r in p.rules):
        return None
    return max(len(r.template.inputs) + len(r.template.keywords) for r in p.rules)


def argument_names(fn) -> set | None:
    """The names a call of ``fn`` may pass arguments by: those its adjoint rules
    name (a keyword past them would be dropped, its effect on the derivative
    lost: ``np.linspace(a, b, n, endpoint=False)``); None when a rule is not a
    template or ``fn`` has none."""
    p = PRIMITIVES.get(_key(fn))
    if p is None or not p.rules or any(r.template is None for r in p.rules):
        return None
    return {n for r in p.rules for n in (*r.template.inputs, *r.template.keywords)}


def find_rule(fn, info) -> Rule | None:
    p = PRIMITIVES.get(_key(fn))
    if p is None:
        return None
    for r in p.rules:
        if r.when is None or r.when(info):
            return r
    return None


def get_primitive(fn) -> Primitive | None:
    return PRIMITIVES.get(_key(fn))


def may_read_result(fn) -> bool:
    """Whether an adjoint rule of ``fn`` (any of its variants) reads the
    result (``exp``: ``dz * z``), so that the reverse sweep needs the result's
    value as the primitive made it; a user's rule is given the result."""
    p = PRIMITIVES.get(_key(fn))
    if p is None or not p.differentiable:
        return False
    for r in p.rules:
        if r.template is None:
            return True
        t = r.template
        parts = t.body + [o for o in t.outputs if o is not None]
        if any(isinstance(n, ast.Name) and n.id == t.result for part in parts
               for n in ast.walk(part)):
            return True
    return False


def is_user_function(fn) -> bool:
    """A plain Python function we transform ourselves (not a rule's key)."""
    from ..frontend.source import unwrap
    if has_rule(fn):
        return False
    inner, _ = unwrap(fn)
    module = getattr(inner, "__module__", None) or ""
    if helper_name(inner) is not None or module.startswith("sourcediff.runtime."):
        return False     # a runtime helper without rules: refused, not transformed
    if module.split(".")[0] in LIBRARIES:
        # (scipy.special.logsumexp: a library's own Python code, with its keyword
        # defaults and checks, is not transformed; refused as having no rule)
        return False
    return isinstance(inner, pytypes.FunctionType) and canonical_name(inner) is None


# packages whose Python functions are refused unless a rule is registered for them
LIBRARIES = {"numpy", "scipy", "numba", "jax", "torch", "autograd", "sklearn", "pandas"}


USER_RULE_NAMES: dict = {}


def emitted_name(fn) -> str:
    """How generated code refers to the callable ``fn``."""
    canon = canonical_name(fn)
    if canon is not None:
        return canon
    name = USER_RULE_NAMES.get(id(fn), helper_name(fn))   # helpers are called by name
    if name is not None:
        return name
    raise KeyError(fn)


def adjoint(prim):
    """Register a custom derivative for the callable ``prim``.

    The rule takes ``(result, *inputs, d_result)`` and returns the input
    adjoints (a tuple when there are several)::

        @sd.adjoint(my_softplus)
        def _(z, x, dz):
            return dz / (1.0 + np.exp(-x))

    ``prim`` and the rule are called from generated code, so for the
    ``"cpu"`` target they must be Numba-compilable (plain functions are
    compiled with ``numba.njit``).
    """
    def deco(rule_fn):
        sig = inspect.signature(rule_fn)
        n_inputs = len(sig.parameters) - 2
        name = getattr(prim, "__name__", "prim")
        USER_RULE_NAMES[id(prim)] = name
        p = primitive(prim)
        p.rules = [Rule(prim, None, None, call=rule_fn, name=f"adjoint_of_{name}")]
        p.n_inputs = n_inputs
        p.callable = prim
        return rule_fn
    return deco


# -- forward mode -------------------------------------------------------------
@dataclass
class TangentTemplate:
    """``z_dot`` as an expression of the inputs, their tangents and ``z``."""
    result: str
    inputs: list
    tangents: list              # the name of each input's tangent, in order
    keywords: dict              # name -> default value
    body: list                  # local assignments (ast.Assign)
    output: ast.expr


@dataclass
class TangentRule:
    key: object
    template: TangentTemplate | None = None
    when: object = None
    call: object = None          # user rule (sd.defjvp): called from generated code
    name: str = ""


def parse_tangent_template(fn) -> TangentTemplate:
    positional, keywords, body, output = _read_template(fn)
    if len(positional) % 2 != 1:
        raise ValueError(f"tangent rule {fn.__name__}: expected (z, *inputs, *input_tangents)")
    n = (len(positional) - 1) // 2
    return TangentTemplate(positional[0], positional[1:1 + n], positional[1 + n:], keywords,
                           body, output)


def tangent(*objs, when=None):
    """Register the decorated template as the forward-mode (JVP) rule of ``objs``::

        @tangent(math.sin)          # z = sin(x)
        def _(z, x, x_dot):
            return math.cos(x) * x_dot

    Parameters: the result, the inputs, one tangent per input, then keyword
    parameters of the primitive.  The returned expression is the result's
    tangent; each of its ``+``/``-`` terms should involve one input tangent,
    so terms of inputs without a derivative are dropped from generated code.
    """
    def deco(fn):
        tpl = parse_tangent_template(fn)
        for obj in objs:
            primitive(obj).tangents.append(TangentRule(obj, tpl, when, name=str(obj)))
        return fn
    return deco


def find_tangent_rule(fn, info) -> TangentRule | None:
    p = PRIMITIVES.get(_key(fn))
    if p is None:
        return None
    for r in p.tangents:
        if r.when is None or r.when(info):
            return r
    return None


def defjvp(prim):
    """Register a custom forward-mode derivative (JVP rule) for the callable ``prim``.

    The counterpart of :func:`adjoint` for :func:`sourcediff.jvp`, named after
    JAX's ``custom_jvp.defjvp``.  The rule takes ``(result, *inputs,
    *input_tangents)`` and returns the result's tangent; generated code calls it
    (``y_dot = jvp_of_softplus(y, x, x_dot)``), passing zeros as the tangents of
    inputs that carry no derivative::

        @sd.defjvp(my_softplus)
        def _(z, x, x_dot):
            return x_dot / (1.0 + np.exp(-x))

    As for :func:`adjoint`, ``prim`` and the rule must be Numba-compilable for
    the ``"cpu"`` target.
    """
    def deco(rule_fn):
        sig = inspect.signature(rule_fn)
        n_params = len(sig.parameters)
        if n_params % 2 != 1:
            raise TypeError(f"a JVP rule takes (result, *inputs, *input_tangents); "
                            f"{rule_fn.__name__} has {n_params} parameters")
        name = getattr(prim, "__name__", "prim")
        USER_RULE_NAMES[id(prim)] = name
        p = primitive(prim)
        p.tangents = [TangentRule(prim, None, None, call=rule_fn, name=f"jvp_of_{name}")]
        p.n_inputs = (n_params - 1) // 2
        p.callable = prim
        if p.result_type is None:
            from ..passes.types import promote
            p.result_type = lambda args, kw, consts: promote(*args)
        return rule_fn
    return deco
