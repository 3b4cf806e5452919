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
    number or bool default, ``*args``/``**kwargs``, a starred argument)."""
    import inspect
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params) or \
            any(isinstance(a, ast.Starred) for a in call.args) or len(call.args) > len(params):
        return None
    args: list = list(call.args) + [None] * (len(params) - len(call.args))
    names = [p.name for p in params]
    for k in call.keywords:
        if k.arg not in names or args[names.index(k.arg)] is not None or \
                params[names.index(k.arg)].kind == inspect.Parameter.POSITIONAL_ONLY:
            return None
        args[names.index(k.arg)] = k.value
    for i, p in enumerate(params):
        if args[i] is None:
            default = p.default
            if default is inspect.Parameter.empty or \
                    not isinstance(default, (int, float)):
                return None
            args[i] = ast.copy_location(ast.Constant(default), call)
    return args
