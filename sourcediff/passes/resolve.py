"""Resolve the names a function uses to the Python objects they denote.

``np.sin``, ``xp.sin`` (after ``import numpy as xp``) and ``sin`` (after
``from numpy import sin``) all resolve to the object ``numpy.sin``; the
derivative rules are keyed by those objects, so aliases need no special case.
"""
from __future__ import annotations

import ast
import builtins
import math
import sys
import types

import numpy as np

_MISSING = object()


def resolve(node: ast.expr, namespace: dict, local_names: set):
    """The object an expression like ``np.linalg.norm`` denotes, or ``_MISSING``.
    ``numba.prange`` denotes ``range``: a user's Numba loop is a range loop to
    the transform (``target="parallel"`` decides which loops run in parallel)."""
    obj = _resolve(node, namespace, local_names)
    return range if _is_prange(obj) else obj


def _is_prange(obj) -> bool:
    numba = sys.modules.get("numba")      # a user's prange means Numba is imported
    return numba is not None and obj is getattr(numba, "prange", _MISSING)


def _resolve(node, namespace, local_names):
    if isinstance(node, ast.Name):
        if node.id in local_names:
            return _MISSING
        if node.id in namespace:
            return namespace[node.id]
        return getattr(builtins, node.id, _MISSING)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, namespace, local_names)
        if base is _MISSING:
            return _MISSING
        # a module standing in for another (backends/python.py: the python target's
        # math with NumPy's functions) names the functions of the other
        base = getattr(base, "__stands_for__", base) if is_module(base) else base
        return getattr(base, node.attr, _MISSING)
    return _MISSING


def canonical_name(obj) -> str | None:
    """How generated code spells ``obj``: ``np.sin``, ``math.exp``, ``abs``."""
    name = getattr(obj, "__name__", None)
    if name is None:
        return None
    if getattr(math, name, None) is obj:
        return f"math.{name}"
    if getattr(np, name, None) is obj:
        return f"np.{name}"
    if getattr(np.linalg, name, None) is obj:
        return f"np.linalg.{name}"
    if getattr(builtins, name, None) is obj:
        return name
    return None


def is_module(obj) -> bool:
    return isinstance(obj, types.ModuleType)


MISSING = _MISSING


def positional_args(call: ast.Call, func) -> list | None:
    """The arguments of ``call`` (of the plain Python function ``func``) in the
    order of its parameters: keywords put in their places and the defaults
    of the parameters left out as constants; None when that cannot be done
    (an unknown or repeated keyword, a parameter with no argument and no
    number, bool, string or None default, ``*args``/``**kwargs``, a starred argument).
    Keyword-only parameters come last, as ``get_source`` lists them."""
    return bind_call(call, func)[0]


def bind_call(call: ast.Call, func) -> tuple[list | None, str]:
    """``(positional_args(call, func), "")``, or ``(None, why)`` where ``why``
    says which parameter or argument is the trouble."""
    import inspect
    name = getattr(func, "__name__", "the function")
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return None, f"the parameters of '{name}' cannot be read"
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            star = "*" if p.kind == p.VAR_POSITIONAL else "**"
            return None, f"'{name}' takes '{star}{p.name}', which is not supported"
    if any(isinstance(a, ast.Starred) for a in call.args):
        return None, f"pass the arguments of '{name}' one by one (not '*seq')"
    by_position = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(call.args) == len(params) and not call.keywords:
        # one argument per parameter, keyword-only ones last: a call this module
        # bound already (a helper's code is normalized more than once)
        return list(call.args), ""
    if len(call.args) > len(by_position):
        return None, (f"'{name}' takes {len(by_position)} positional arguments, "
                      f"{len(call.args)} given")
    args: list = list(call.args) + [None] * (len(params) - len(call.args))
    names = [p.name for p in params]
    for k in call.keywords:
        if k.arg is None:
            return None, f"pass the arguments of '{name}' by name (not '**mapping')"
        if k.arg not in names:
            return None, f"'{name}' has no parameter '{k.arg}'"
        if args[names.index(k.arg)] is not None:
            return None, f"parameter '{k.arg}' of '{name}' is given twice"
        if params[names.index(k.arg)].kind == inspect.Parameter.POSITIONAL_ONLY:
            return None, f"parameter '{k.arg}' of '{name}' is positional-only"
        args[names.index(k.arg)] = k.value
    for i, p in enumerate(params):
        if args[i] is None:
            default = p.default
            if default is inspect.Parameter.empty:
                return None, f"parameter '{p.name}' of '{name}' has no argument"
            if not (isinstance(default, (int, float, str)) or default is None):
                return None, (f"parameter '{p.name}' of '{name}' has no argument and its "
                              f"default {default!r} is not a number, bool, string or None: "
                              f"pass it")
            args[i] = ast.copy_location(ast.Constant(default), call)
    return args, ""
