"""Calls Numba lacks, rewritten into what it has (used by every pass that
emits a primal statement: the primal module, the forward and reverse sweeps)."""
from __future__ import annotations

import ast
import copy

import numpy as _np

from .. import ir
from ..rules import registry
from ..runtime.batched_products import batched_matmul
from ..runtime.small_linalg import determinant, inverse, solve_linear
from .astutil import call as _call
from .astutil import const as _const
from .astutil import name as _name

_REDUCTIONS = {id(f) for f in (_np.sum, _np.mean, _np.max, _np.amax, _np.min, _np.amin,
                               _np.prod)}


# np.linalg functions of float matrices -> the ranks their arguments may have,
# and the runtime helper standing in for them (runtime/small_linalg.py)
_SMALL_LINALG = {id(_np.linalg.det): (((2,),), determinant),
                 id(_np.linalg.inv): (((2,),), inverse),
                 id(_np.linalg.solve): (((2,), (1, 2)), solve_linear)}


def contiguous_reshape(call):
    """``x.reshape(...)`` as ``np.ascontiguousarray(x).reshape(...)``: Numba
    reshapes C-contiguous arrays only (a transpose, a strided slice or work on
    them fails to compile), NumPy copies the others; ``ascontiguousarray`` is
    the array itself when it is contiguous (known from its type, or checked at
    run time), so C arrays are reshaped as views, as NumPy does."""
    new = copy.copy(call)
    new.func = copy.copy(call.func)
    new.func.value = _call("np.ascontiguousarray", call.func.value)
    return new


def lower_for_numba(prim, types):
    """Calls Numba lacks become what it has: reductions with ``axis`` runtime
    helpers, a reduction of a number the number, ``np.dot`` and ``np.matmul`` of
    vectors and matrices ``@`` (of higher ranks ``np.dot``), a product with a
    number a multiplication, ``np.where`` of numbers a
    conditional expression (not a 0-d array), ``np.expand_dims`` of a number a
    one-element array, ``np.outer`` of two vectors the ``outer_product`` helper,
    ``np.diff`` of a float array the ``differences`` helper, ``np.where`` of
    arrays the ``select`` helper, the builtin ``abs`` of an array ``np.abs``,
    ``np.linalg.det/inv/solve`` of float matrices ``determinant``, ``inverse``,
    ``solve_linear`` (closed forms up to 3x3, runtime/small_linalg.py)."""
    if ir.PRIM(prim, ("",))[0] == "method" and prim.func.attr == "reshape":
        return contiguous_reshape(prim)
    def type_of(a):
        return types.get(a.id) if isinstance(a, ast.Name) else None

    def stacked(a):
        t = type_of(a)
        return t is not None and t.is_array and t.ndim == 3
    if isinstance(prim, ast.BinOp) and isinstance(prim.op, ast.MatMult) and (
            stacked(prim.left) or stacked(prim.right)):
        # (Numba's @ multiplies vectors and matrices only)
        return ir.mark(_call("batched_matmul", prim.left, prim.right),
                       ("call", batched_matmul))
    if ir.PRIM(prim, ("",))[0] != "call":
        return prim
    fn = ir.PRIM(prim)[1]
    args = list(prim.args)

    def is_number(a):
        t = type_of(a)
        return isinstance(a, ast.Constant) or t is not None and not t.is_array
    if fn is abs and len(args) == 1 and type_of(args[0]) is not None and \
            type_of(args[0]).is_array:
        # (Numba's builtin abs takes numbers only)
        return ir.mark(_call("np.abs", args[0]), ("call", _np.abs))
    if id(fn) in _REDUCTIONS and args and is_number(args[0]):
        return _call("float", args[0]) if fn is _np.mean else args[0]
    if fn in (_np.dot, _np.matmul) and len(args) == 2:
        if is_number(args[0]) or is_number(args[1]):
            return ast.BinOp(left=args[0], op=ast.Mult(), right=args[1])
        if all(type_of(a) is not None and type_of(a).ndim in (1, 2) for a in args):
            # one spelling of every product of vectors and matrices: Numba compiles
            # ``np.dot`` and ``@`` separately (0.2 s each, again for each layout)
            return ast.BinOp(left=args[0], op=ast.MatMult(), right=args[1])
        if fn is _np.matmul and any(stacked(a) for a in args):
            return ir.mark(_call("batched_matmul", *args), ("call", batched_matmul))
        if fn is _np.matmul:
            new = copy.copy(prim)
            new.func = ast.parse("np.dot", mode="eval").body
            return new
        return prim
    if fn is _np.outer and len(args) == 2 and all(
            type_of(a) is not None and type_of(a).is_array and type_of(a).ndim == 1 for a in args):
        return _call("outer_product", *args)      # (compiles in 0.1 s, np.outer in 1.5 s)
    if fn is _np.diff and 1 <= len(args) + len(prim.keywords) <= 2 and \
            all(k.arg == "n" for k in prim.keywords):
        xt = type_of(args[0]) if args else None
        if xt is not None and xt.is_array and xt.ndim in (1, 2) and xt.dtype.kind == "f":
            n = args[1] if len(args) > 1 else prim.keywords[0].value if prim.keywords \
                else _const(1)
            return _call("differences", args[0], n)     # (0.2 s to compile, np.diff 4 s)
    if fn is _np.where and len(args) == 3 and all(is_number(a) for a in args):
        return ast.IfExp(test=args[0], body=args[1], orelse=args[2])
    if fn is _np.where and len(args) == 3 and not prim.keywords:
        return _call("select", *args)       # (loops; np.where's broadcasting 0.4-0.9 s)
    if fn in (_np.argmax, _np.argmin) and len(args) + len(prim.keywords) == 2 and \
            all(k.arg == "axis" for k in prim.keywords):
        xt = type_of(args[0]) if args else None
        if xt is not None and xt.is_array and xt.ndim == 2:
            axis = args[1] if len(args) > 1 else prim.keywords[0].value
            return _call("argmax_along" if fn is _np.argmax else "argmin_along", args[0], axis)
    ranks, helper = _SMALL_LINALG.get(id(fn), ((), None))
    if helper is not None and len(args) == len(ranks) and not prim.keywords and all(
            type_of(a) is not None and type_of(a).is_array and type_of(a).ndim in ndims
            and type_of(a).dtype is not None and type_of(a).dtype.kind == "f"
            for a, ndims in zip(args, ranks)):
        # (closed forms up to 3x3: Numba's LAPACK calls take 160-270 ns for a 2x2)
        return ir.mark(_call(helper.__name__, *args), ("call", helper))
    if fn is _np.expand_dims and args and is_number(args[0]):
        return _call("np.full", _const(1), args[0])
    helper = registry.axis_helper_name(fn)
    if helper is None:
        return prim
    axis = args[1] if len(args) > 1 else next((k.value for k in prim.keywords
                                               if k.arg == "axis"), None)
    if axis is None:
        return prim
    x = args[0]
    xt = type_of(x)
    new = copy.copy(prim)
    if xt is not None and xt.is_array and xt.ndim == 1:
        new.args = [x]
        new.keywords = []
        return new
    new.func = _name(helper)
    new.args = [x, axis]
    new.keywords = []
    return new
