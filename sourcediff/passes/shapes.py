"""Arrays whose shape never changes: the reverse sweep may read it at any time.

The reverse sweep reads some arrays only for their shape: to reset an
adjoint (``_dz = np.zeros_like(z)``) or to sum a broadcast adjoint down
(``unbroadcast(dz, x)``).  When the array is re-bound in a loop, the plan
would keep every old value on a tape just for that.  If every value the
name is ever bound to has one shape, the value it holds when the reverse
sweep reads it has the right shape, and nothing need be kept.

:func:`fixed_shapes` proves this from the assignments, as a least fixpoint
(a name is fixed once its assignment makes its shape from fixed things
only; ``x = x + b``, whose shape may grow by broadcasting on the first
iteration, never is):

* a parameter never re-bound; otherwise a name assigned once (two
  assignments, each always making one shape, may make two different ones);
* an elementwise operation (a broadcast of fixed shapes), a reduction
  (constant axes), a copy (``b = a``, ``a.copy()``), a transpose ``a.T``; ``A @ x`` (or ``np.dot``) of a fixed matrix and any
  vector;
* ``a[i]`` / ``a[i, j]`` of a fixed array at whole-number indices (a row:
  slices, whose bounds may move, are not);
* ``np.zeros(n)`` (``empty``, ``ones``) with ``n`` a constant or a number
  assigned once at the top of the function (or a parameter never re-bound),
  and ``np.zeros_like(x)`` of a fixed ``x``.
"""
from __future__ import annotations

import ast

from .. import ir
from ..rules import registry
from ..rules.registry import ELEMENTWISE_OPS
from .astutil import LIKE, MAKERS

# functions whose result's shape follows from their arguments' shapes (and
# constant arguments) alone, not from the values in them
BY_SHAPE = ("dot", "matmul", "outer", "inner", "sum", "mean", "prod", "max", "min",
            "transpose", "cumsum")


def fixed_shapes(types: dict, params: list, sites: dict) -> set:
    """Array names whose every value has one shape (``sites``: name -> the
    planner's assignment sites, each with ``stmt`` and ``top_level``)."""
    fixed = {p for p in params if not sites.get(p) and _is_array(types, p)}
    scalars = {p for p in params if not sites.get(p) and not _is_array(types, p)}
    scalars |= {v for v, ss in sites.items() if len(ss) == 1 and ss[0].top_level
                and v not in params and not _is_array(types, v)}
    # one assignment only: two assignments, each always making one shape, may
    # still make two different ones
    arrays = [v for v in sites if _is_array(types, v) and v not in params and len(sites[v]) == 1]
    while True:
        more = {v for v in arrays if v not in fixed and
                all(_fixed_site(s.stmt, v, types, fixed, scalars) for s in sites[v])}
        if not more:
            return fixed
        fixed |= more


def _is_array(types, name) -> bool:
    t = types.get(name)
    return t is not None and t.is_array


def _fixed_site(stmt, var, types, fixed, scalars) -> bool:
    if ir.KIND(stmt) != ir.Kind.ASSIGN:
        return False        # (an unpacked result, an in-place accumulation: not followed)
    value = stmt.value
    key = ir.PRIM(value, ("",))
    parts = value.args if isinstance(value, ast.Call) else [value]
    operands = [n.id for p in parts for n in ast.walk(p) if isinstance(n, ast.Name)]

    def fixed_operands(names):
        return all(n in fixed or not _is_array(types, n) for n in names)
    if key[0] == "binop" and key[1] == "MatMult" or key[0] == "call" and \
            getattr(key[1], "__name__", None) in ("dot", "matmul") and len(operands) == 2:
        return _fixed_product(operands, types, fixed)
    if key[0] in ("binop", "unary") and (key[0] == "unary" or key[1] in ELEMENTWISE_OPS):
        return fixed_operands(operands)
    if key[0] == "copy" or key in (("attr", "T"), ("method", "copy")):
        return fixed_operands(operands)
    if key[0] == "subscript":
        base, index = value.value, value.slice
        elts = index.elts if isinstance(index, ast.Tuple) else [index]
        return isinstance(base, ast.Name) and base.id in fixed and all(
            isinstance(e, ast.Constant) or isinstance(e, ast.Name) and not _is_array(types, e.id)
            for e in elts)
    if key[0] == "call" and isinstance(value, ast.Call):
        func = ast.unparse(value.func)
        args = value.args
        if func in MAKERS and len(args) == 1 and not value.keywords:
            n = args[0]
            return isinstance(n, ast.Constant) or isinstance(n, ast.Name) and n.id in scalars
        if func in LIKE and len(args) == 1 and isinstance(args[0], ast.Name):
            return args[0].id in fixed
        by_shape = getattr(key[1], "__name__", None) in BY_SHAPE and \
            getattr(key[1], "__module__", "").startswith("numpy")
        if value.keywords or not all(isinstance(a, (ast.Name, ast.Constant)) for a in args):
            return False
        names = [a.id for a in args if isinstance(a, ast.Name)]
        if registry.is_elementwise(key[1]):
            return fixed_operands(names)
        if by_shape:        # (an axis given by a variable must be a fixed one)
            return all(n in fixed or n in scalars for n in names)
    return False


def _fixed_product(operands, types, fixed) -> bool:
    """``A @ x`` is ``(A.shape[0],)`` whatever ``x``, ``x @ A`` is
    ``(A.shape[1],)``: fixed with ``A`` alone (in a recurrence ``x`` is the
    state, re-bound each step)."""
    a, b = operands
    ta, tb = types.get(a), types.get(b)
    if ta is None or tb is None or not (ta.is_array and tb.is_array):
        return False
    if (ta.ndim, tb.ndim) == (2, 1):
        return a in fixed
    if (ta.ndim, tb.ndim) == (1, 2):
        return b in fixed
    return a in fixed and b in fixed
