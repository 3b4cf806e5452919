"""Resolve the names a function uses to the Python objects they denote.

``np.sin``, ``xp.sin`` (after ``import numpy as xp``) and ``sin`` (after
``from numpy import sin``) all resolve to the object ``numpy.sin``; the
derivative rules are keyed by those objects, so aliases need no special case.
"""
from __future__ import annotations

import ast
import builtins
import math
import types

import numpy as np

_MISSING = object()


def resolve(node: ast.expr, namespace: dict, local_names: set):
    """The object an expression like ``np.linalg.norm`` denotes, or ``_MISSING``."""
    if isinstance(node, ast.Name):
        if node.id in local_names:
            return _MISSING
        if node.id in namespace:
            return namespace[node.id]
        return getattr(builtins, node.id, _MISSING)
    if isinstance(node, ast.Attribute):
        base = resolve(node.value, namespace, local_names)
        if base is _MISSING:
            return _MISSING
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
