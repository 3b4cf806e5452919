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
  (constant axes, given as keywords too: ``np.sum(d, axis=2)``), a new axis
  (``np.expand_dims(x, 1)``, as ``x[:, None]`` is normalized), a copy (``b =
  a``, ``a.copy()``), a transpose ``a.T``; ``A @ x`` (or ``np.dot``) of a fixed
  matrix and any vector;
* ``a[i]`` / ``a[i, j]`` / ``a[:, :]`` of a fixed array at whole-number
  indices or whole axes (a row: slices with bounds, which may move, are not);
* ``np.zeros(n)`` (``empty``, ``ones``) with ``n`` a constant or a number
  assigned once at the top of the function (or a parameter never re-bound),
  and ``np.zeros_like(x)`` of a fixed ``x``.

Arrays re-bound in loops keep one shape when each assignment makes the shape
of the first (:func:`same_shape_states`); shapes are compared by keys, and
``np.zeros(n)`` with ``n = b.shape[0]`` (a 1-d ``b``) has ``b``'s key.
"""
from __future__ import annotations

import ast
from types import BuiltinFunctionType

import numpy as np

from .. import ir
from ..rules import registry
from ..rules.registry import ELEMENTWISE_OPS
from ..runtime.helpers import transposed
from .astutil import LIKE, MAKERS, maker_shape, nodes

# functions whose result's shape follows from their arguments' shapes (and
# constant arguments) alone, not from the values in them
BY_SHAPE = ("dot", "matmul", "outer", "inner", "sum", "mean", "prod", "max", "min",
            "transpose", "cumsum", "expand_dims")


def fixed_shapes(types: dict, params: list, sites: dict) -> set:
    """Array names whose every value has one shape (``sites``: name -> the
    planner's assignment sites, each with ``stmt`` and ``top_level``)."""
    return set(shape_keys(types, params, sites))


def shape_keys(types: dict, params: list, sites: dict, same_shape=None,
               param_shapes=None) -> dict:
    """The names of :func:`fixed_shapes`, each with the key of its shape: two
    names with one key always hold arrays of one shape.  ``same_shape``:
    parameter -> an earlier parameter of its shape (the transform specialized
    on it); such parameters share a key.  ``param_shapes``: parameter -> its
    shape, where the transform specialized on it (a key ``("const", shape)``,
    which ``np.zeros((3, 2))`` has too)."""
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
            break
        fixed |= more
    return same_shape_states(types, params, sites, fixed, scalars, same_shape or {},
                             param_shapes or {})


def _constant_shapes(sites, scalars) -> dict:
    """Names bound once, at the top, to a whole number or a tuple of them
    (``_t2 = 3, 2``, as ``np.zeros((3, 2))`` is normalized): name -> the shape."""
    out = {}
    for name in scalars:
        ss = sites.get(name, [])
        value = getattr(ss[0].stmt, "value", None) if len(ss) == 1 else None
        parts = value.elts if isinstance(value, ast.Tuple) else [value]
        if value is not None and all(isinstance(p, ast.Constant) and type(p.value) is int
                                     for p in parts):
            out[name] = tuple(p.value for p in parts)
    return out


def _grown_lengths(sites, scalars, lengths) -> dict:
    """Names bound once, at the top, to the length of a 1-d array of
    ``lengths`` plus or minus a whole number (``m = n + 1``, ``n = x.shape[0]``):
    name -> ``("grow", array, c)``."""
    out = {}
    for name in scalars:
        ss = sites.get(name, [])
        value = getattr(ss[0].stmt, "value", None) if len(ss) == 1 else None
        if not (isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Sub))):
            continue
        for a, b in ((value.left, value.right), (value.right, value.left)):
            if isinstance(a, ast.Name) and isinstance(lengths.get(a.id), str) and \
                    isinstance(b, ast.Constant) and type(b.value) is int and \
                    (b is value.right or isinstance(value.op, ast.Add)):
                out[name] = ("grow", lengths[a.id],
                             b.value if isinstance(value.op, ast.Add) else -b.value)
    return out


def _grown(key, d):
    """The key of a 1-d shape ``d`` elements longer than ``key``'s (shorter when
    ``d < 0``: then at least empty)."""
    if key is None:
        return None
    if key[0] == "grow":
        key, d = key[1], key[2] + d
    if d == 0:
        return key
    if key[0] == "const" and len(key[1]) == 1:
        return ("const", (max(key[1][0] + d, 0),))
    return ("grow", key, d)


def same_shape_states(types, params, sites, fixed, scalars, same_shape,
                      param_shapes=None) -> dict:
    """Arrays assigned more than once whose every assignment makes the shape
    the first one made: a state re-bound each step (``x += a * p``,
    ``p = 0.9 * p + 0.01 * x`` after ``x = np.zeros_like(b)``, ``p = b.copy()``).

    Each array gets a shape key, the name of a shape: a parameter's
    (``("param", b)``), one made by ``np.zeros(n)``, that of a name already
    proven fixed (``("own", v)``).  An elementwise operation of arrays
    of one key has that key (a broadcast of equal shapes), an in-place update
    keeps its target's, a copy, ``zeros_like``, an unpacking or a name its
    operand's.  The keys are hypotheses taken from each name's first
    assignment; every assignment is then checked to make its name's key, and
    a name failing its check loses its key (and so may others), until all
    checks hold: by induction over the run, each name's value then always
    has the shape of its key.  Returns the key of each of them and of each
    name of ``fixed``."""
    keyed = [v for v in sites if _is_array(types, v)]
    # a parameter's key: its shape where the transform specialized on the shape
    # of one of the parameters of its shape, else the first such parameter
    known = {same_shape.get(p, p): tuple(shape) for p, shape in (param_shapes or {}).items()}
    hyp: dict = {p: ("const", known[same_shape.get(p, p)]) if same_shape.get(p, p) in known
                 else ("param", same_shape.get(p, p)) for p in params
                 if _is_array(types, p) and not sites.get(p)}
    lengths = _lengths(types, sites, set(hyp))
    find = _axis_classes(types, hyp, same_shape)
    consts = _constant_shapes(sites, scalars)
    consts.update(_grown_lengths(sites, scalars, lengths))

    def key_of(name):
        k = hyp.get(name)
        return find(k) if k is not None and types[name].ndim == 1 else k

    def made(stmt, var):
        """The key of what ``stmt`` binds to ``var`` (None: not known)."""
        kind = ir.KIND(stmt)
        if kind == ir.Kind.UNPACK:
            value, targets = stmt.value, stmt.targets[0].elts
            if isinstance(value, ast.Tuple) and len(value.elts) == len(targets):
                k = [t.id for t in targets].index(var)
                part = value.elts[k]
                return key_of(part.id) if isinstance(part, ast.Name) else None
            return None
        if kind == ir.Kind.ACCUMULATE and (ir.AUGMENTED(stmt) or ir.AUGMENTED(stmt.value)):
            return key_of(var)          # ``x += y`` never changes the shape of x
        if kind not in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE):
            return None
        value = stmt.value
        if isinstance(value, ast.Call) and ast.unparse(value.func) == "empty_rows" and \
                len(value.args) == 2 and isinstance(value.args[1], ast.Name) and \
                types.get(value.args[1].id) is not None and \
                types[value.args[1].id].ndim == 1:
            # np.concatenate((x, h)) of 1-d arrays
            return _length_key(value.args[0], sites, types, key_of)
        return _key_of_value(value, types, key_of, scalars, lengths, find, consts)

    # names of one shape: the key their assignment makes from the keys of
    # names of one shape before them (``Ap = np.zeros(n)`` with ``n =
    # rhs.shape[0]`` has the key of ``rhs``), else a key of their own
    order = sorted((min(sites[v], key=lambda st: st.order).order, v)
                   for v in fixed if v not in hyp and sites.get(v))
    for _, v in order:
        hyp[v] = made(min(sites[v], key=lambda st: st.order).stmt, v) or ("own", v)
    hyp.update({v: ("own", v) for v in fixed if v not in hyp})

    # hypotheses: the key of each name's first assignment, in program order
    firsts = sorted(((min(sites[v], key=lambda st: st.order), v) for v in keyed
                     if v not in hyp and not (v in params)),
                    key=lambda pair: pair[0].order)
    for _ in range(2):      # (a first assignment may read a name keyed later)
        for first, v in firsts:
            if v not in hyp and not isinstance(first.stmt, ast.For):
                k = made(first.stmt, v)
                if k is not None:
                    hyp[v] = k
    candidates = {v for v in keyed if v in hyp and v not in fixed}
    while True:
        failed = {v for v in candidates
                  if any(made(st.stmt, v) != hyp[v] for st in sites[v])}
        if not failed:
            return {v: key_of(v) for v in candidates | fixed}
        candidates -= failed
        for v in failed:
            del hyp[v]


def _length_key(e, sites, types, key_of, depth=0):
    """The key of a 1-d shape of the length whole number ``e`` has: an
    axis of a keyed 1-d array (``_t5[0]``, ``_t5 = x.shape``), or a sum of
    such (``("sum", a, b)``: the length of ``np.concatenate((x, h))``)."""
    if depth > 8:
        return None
    if isinstance(e, ast.Name):
        ss = sites.get(e.id, [])
        if len(ss) != 1 or ir.KIND(ss[0].stmt) != ir.Kind.ASSIGN:
            return None
        return _length_key(ss[0].stmt.value, sites, types, key_of, depth + 1)
    if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Add):
        a, b = (_length_key(x, sites, types, key_of, depth + 1) for x in (e.left, e.right))
        return ("sum", a, b) if a is not None and b is not None else None
    if isinstance(e, ast.Subscript) and isinstance(e.slice, ast.Constant) and \
            e.slice.value == 0:
        shape = e.value
        if isinstance(shape, ast.Name):
            ss = sites.get(shape.id, [])
            shape = ss[0].stmt.value if len(ss) == 1 and \
                ir.KIND(ss[0].stmt) == ir.Kind.ASSIGN else None
        if isinstance(shape, ast.Attribute) and shape.attr == "shape" and \
                isinstance(shape.value, ast.Name) and \
                types.get(shape.value.id) is not None and \
                types[shape.value.id].is_array and types[shape.value.id].ndim == 1:
            return key_of(shape.value.id)
    return None


def _axis_classes(types, params: dict, same_shape):
    """``find``: the key of a one-dimensional shape, made canonical by the axes
    the call has of one length (``same_shape``'s ``(parameter, axis)`` entries:
    the transform specialized on them).  Keys of one-dimensional shapes include
    an axis of a two-dimensional key ``K``: ``("rows", K)``, ``("cols", K)``
    (a transpose's key is ``("T", K)``: its rows are ``K``'s columns)."""
    parent: dict = {}

    def find(k):
        if isinstance(k, tuple) and k[0] in ("rows", "cols") and \
                isinstance(k[1], tuple) and k[1][0] == "T":
            k = ("cols" if k[0] == "rows" else "rows", k[1][1])
        if isinstance(k, tuple) and k[0] in ("rows", "cols") and \
                isinstance(k[1], tuple) and k[1][0] == "const" and len(k[1][1]) == 2:
            return ("const", (k[1][1][0 if k[0] == "rows" else 1],))
        while k in parent:
            k = parent[k]
        return k

    def axis(p, a):
        key, t = params.get(p), types.get(p)
        if key is None or t is None or t.ndim not in (1, 2) or a >= t.ndim:
            return None
        return key if t.ndim == 1 else ("rows" if a == 0 else "cols", key)

    for mine, theirs in same_shape.items():
        if not isinstance(mine, tuple):
            continue
        a, b = axis(*mine), axis(*theirs)
        if a is not None and b is not None and find(a) != find(b):
            parent[find(a)] = find(b)       # (the earlier argument's stays)
    return find


def _lengths(types, sites, arrays) -> dict:
    """Numbers that are the length of a 1-d array of ``arrays`` (parameters
    never re-bound): ``n = x.shape[0]`` (normalized ``_t1 = x.shape; n =
    _t1[0]``) or ``n = len(x)``, each assigned once at the top of the
    function; name -> the array.  The length of an axis of a 2-d one
    (``d = X.shape[1]``): name -> (the array, the axis)."""
    def only(name):
        ss = sites.get(name, [])
        return ss[0].stmt if len(ss) == 1 and ss[0].top_level and \
            ir.KIND(ss[0].stmt) == ir.Kind.ASSIGN else None
    def one_d(a):
        return isinstance(a, ast.Name) and a.id in arrays and types[a.id].ndim == 1
    out = {}
    for name in sites:
        st = only(name)
        value = getattr(st, "value", None)
        if ir.PRIM(value, ("",)) == ("call", len) and len(value.args) == 1 and \
                one_d(value.args[0]):
            out[name] = value.args[0].id          # n = len(x)
            continue
        if not (isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and
                isinstance(value.slice, ast.Constant) and value.slice.value in (0, 1)):
            continue
        shape = getattr(only(value.value.id), "value", None)
        if not (isinstance(shape, ast.Attribute) and shape.attr == "shape"):
            continue
        if value.slice.value == 0 and one_d(shape.value):
            out[name] = shape.value.id
        elif isinstance(shape.value, ast.Name) and shape.value.id in arrays and \
                types[shape.value.id].ndim == 2:
            out[name] = (shape.value.id, value.slice.value)
    return out


def _key_of_value(value, types, key_of, scalars, lengths=None, find=None, consts=None):
    key = ir.PRIM(value, ("",))
    if isinstance(value, ast.Name):
        return key_of(value.id) if _is_array(types, value.id) else None
    if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and \
            _is_array(types, value.value.id) and types[value.value.id].ndim == 2 and \
            find is not None and not isinstance(value.slice, (ast.Tuple, ast.Slice)) and \
            (isinstance(value.slice, ast.Constant) or isinstance(value.slice, ast.Name) and
             types.get(value.slice.id) is not None and types[value.slice.id].kind == "int"):
        k = key_of(value.value.id)      # a row of a matrix: the length of its rows
        return find(("cols", k)) if k is not None else None
    if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and \
            _is_array(types, value.value.id) and types[value.value.id].ndim == 2 and \
            find is not None and isinstance(value.slice, ast.Tuple) and \
            len(value.slice.elts) == 2:
        # a column X[:, j] (a row X[i, :]) at a whole-number index: the length of
        # the matrix's columns (rows)
        whole = [isinstance(e, ast.Slice) and e.lower is None and e.upper is None and
                 e.step is None for e in value.slice.elts]
        at = [isinstance(e, ast.Constant) and type(e.value) is int or
              isinstance(e, ast.Name) and types.get(e.id) is not None and
              types[e.id].kind == "int" or isinstance(e, ast.Subscript)
              for e in value.slice.elts]
        k = key_of(value.value.id)
        if k is not None and whole[0] != whole[1] and (at[1] if whole[0] else at[0]):
            return find(("rows" if whole[0] else "cols", k))
    if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and \
            _is_array(types, value.value.id) and types[value.value.id].ndim == 1 and \
            isinstance(value.slice, ast.Slice) and value.slice.step is None:
        lo, hi = _int_or_none(value.slice.lower), _int_or_none(value.slice.upper)
        if lo is not None and hi is not None and lo[0] >= 0 and hi[0] <= 0:
            # x[a:-b]: b + a fewer elements (none when x has fewer than that)
            return _grown(key_of(value.value.id), -(lo[0] - hi[0]))
    if _rolls(value):
        return key_of(value.args[0].id)         # (the elements move round)
    if isinstance(value, ast.Call) and ast.unparse(value.func) == "empty_grid" and \
            len(value.args) == 3 and all(isinstance(a, ast.Constant) and type(a.value) is int
                                         for a in value.args[:2]):
        return ("const", (value.args[0].value, value.args[1].value))
    if find is not None:
        made = _product_key(value, key, types, key_of, find)
        if made is not None:
            return made
    if key[0] == "copy" or key == ("method", "copy"):
        inner = value.func.value if isinstance(value, ast.Call) else value
        return key_of(inner.id) if isinstance(inner, ast.Name) else None
    if key[0] in ("binop", "unary") and (key[0] == "unary" or key[1] in ELEMENTWISE_OPS) or \
            key[0] == "call" and isinstance(value, ast.Call) and not value.keywords and \
            registry.is_elementwise(key[1]):
        parts = value.args if isinstance(value, ast.Call) else \
            [value.operand] if isinstance(value, ast.UnaryOp) else [value.left, value.right]
        if not all(isinstance(p, (ast.Name, ast.Constant)) for p in parts):
            return None
        arrays = {key_of(p.id) for p in parts if isinstance(p, ast.Name) and _is_array(types, p.id)}
        if len(arrays) == 1:
            return arrays.pop()
        # an operand of a known shape with no axis of length 1, as many axes as
        # any other: what broadcasts with it (a row ``zs[t]`` of its length or
        # of one) makes its shape (``zs[t] - H @ x`` of 2-vectors)
        consts = [k for k in arrays if k is not None and k[0] == "const"]
        ndims = [types[p.id].ndim for p in parts if isinstance(p, ast.Name) and
                 _is_array(types, p.id)]
        if len(consts) == 1 and all(n > 1 for n in consts[0][1]) and \
                max(ndims) == len(consts[0][1]):
            return consts[0]
        return None
    shape = maker_shape(value)
    if isinstance(value, ast.Call) and not value.keywords and len(value.args) == 1 or \
            shape is not None:
        func, arg = ast.unparse(value.func), value.args[0]
        if shape is not None:
            func = MAKERS[0]        # (np.full(s, v): the shape of np.zeros(s))
        if func in LIKE and isinstance(arg, ast.Name):
            return key_of(arg.id)
        length = (lengths or {}).get(arg.id) if isinstance(arg, ast.Name) else None
        if func in MAKERS and isinstance(length, str) and key_of(length) is not None:
            return key_of(length)      # np.zeros(n), n = x.shape[0]: x's shape
        if func in MAKERS and isinstance(length, tuple) and find is not None and \
                key_of(length[0]) is not None:
            # np.zeros(d), d = X.shape[1]: the length of X's rows
            return find(("rows" if length[1] == 0 else "cols", key_of(length[0])))
        made = (consts or {}).get(arg.id) if isinstance(arg, ast.Name) else None
        if func in MAKERS and isinstance(made, tuple) and made and made[0] == "grow":
            return _grown(key_of(made[1]), made[2])     # np.zeros(n + 1)
        if func in MAKERS and made is not None:
            return ("const", made)
        if func in MAKERS and isinstance(arg, ast.Constant) and type(arg.value) is int:
            return ("const", (arg.value,))
        if func in MAKERS and (isinstance(arg, ast.Constant) or
                               isinstance(arg, ast.Name) and arg.id in scalars):
            return ("made", ast.unparse(arg))
    return None


def _int_or_none(e):
    """``(k,)`` for a constant int ``k`` (``-k`` written as such), ``(0,)`` for a
    missing slice bound, else None."""
    if e is None:
        return (0,)
    if isinstance(e, ast.Constant) and type(e.value) is int:
        return (e.value,)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) and \
            isinstance(e.operand, ast.Constant) and type(e.operand.value) is int:
        return (-e.operand.value,)
    return None


def _product_key(value, prim, types, key_of, find):
    """The key of a transpose ``A.T`` (``("T", K)``) or of a product of a matrix
    and a vector: ``A @ x`` has ``A``'s rows, ``x @ A`` its columns."""
    def ndim(e):
        return types[e.id].ndim if isinstance(e, ast.Name) and _is_array(types, e.id) else None
    if prim == ("call", transposed) and ndim(value.args[0]) == 2:
        value, prim = value.args[0], ("attr", "T")        # (a transpose made C-contiguous)
        k = key_of(value.id)
        if k is not None and k[0] == "const":
            return ("const", k[1][::-1])
        return ("T", k) if k is not None else None
    if prim == ("attr", "T") and ndim(value.value) == 2:
        k = key_of(value.value.id)
        if k is not None and k[0] == "const":
            return ("const", k[1][::-1])
        return ("T", k) if k is not None else None
    if prim[0] == "call" and isinstance(value, ast.Call) and not value.keywords and \
            len(value.args) == 1 and prim[1] is np.linalg.inv and ndim(value.args[0]) == 2:
        return key_of(value.args[0].id)         # (a square matrix's shape)
    if prim[0] == "call" and isinstance(value, ast.Call) and not value.keywords and \
            len(value.args) == 2 and prim[1] is np.linalg.solve and \
            ndim(value.args[0]) == 2 and ndim(value.args[1]) is not None:
        return key_of(value.args[1].id)         # (the right-hand side's shape)
    if prim == ("binop", "MatMult"):
        a, b = value.left, value.right
    elif prim[0] == "call" and getattr(prim[1], "__name__", None) in ("dot", "matmul") and \
            isinstance(value, ast.Call) and len(value.args) == 2 and not value.keywords:
        a, b = value.args
    else:
        return None
    ka = key_of(a.id) if ndim(a) is not None else None
    kb = key_of(b.id) if ndim(b) is not None else None
    if (ndim(a), ndim(b)) == (2, 2) and ka is not None and kb is not None and \
            ka[0] == kb[0] == "const":
        return ("const", (ka[1][0], kb[1][1]))      # two matrices of known shapes
    if (ndim(a), ndim(b)) == (2, 1) and ka is not None and ka[0] == "const":
        return ("const", ka[1][:1])
    if (ndim(a), ndim(b)) == (1, 2) and kb is not None and kb[0] == "const":
        return ("const", kb[1][1:])
    if (ndim(a), ndim(b)) == (2, 1) and key_of(a.id) is not None:
        return find(("rows", key_of(a.id)))
    if (ndim(a), ndim(b)) == (1, 2) and key_of(b.id) is not None:
        return find(("cols", key_of(b.id)))
    return None


def _is_array(types, name) -> bool:
    t = types.get(name)
    return t is not None and t.is_array


def _fixed_site(stmt, var, types, fixed, scalars) -> bool:
    if ir.KIND(stmt) != ir.Kind.ASSIGN:
        return False        # (an unpacked result, an in-place accumulation: not followed)
    value = stmt.value
    key = ir.PRIM(value, ("",))
    parts = value.args if isinstance(value, ast.Call) else [value]
    if key[0] == "method":
        parts = [value.func.value, *parts]      # the receiver of ``a.copy()``
    operands = [n.id for p in parts for n in nodes(p) if isinstance(n, ast.Name)]

    def fixed_operands(names):
        return all(n in fixed or not _is_array(types, n) for n in names)
    if key[0] == "binop" and key[1] == "MatMult" or key[0] == "call" and \
            getattr(key[1], "__name__", None) in ("dot", "matmul") and len(operands) == 2:
        return _fixed_product(operands, types, fixed)
    if key[0] in ("binop", "unary") and (key[0] == "unary" or key[1] in ELEMENTWISE_OPS):
        return fixed_operands(operands)
    if key[0] == "copy" or key in (("attr", "T"), ("method", "copy"), ("call", transposed)):
        return fixed_operands(operands)
    if key[0] == "subscript":
        base, index = value.value, value.slice
        elts = index.elts if isinstance(index, ast.Tuple) else [index]
        # (``:`` keeps an axis whole; a slice with bounds, which may move, is not fixed)
        return isinstance(base, ast.Name) and base.id in fixed and all(
            isinstance(e, ast.Constant) or isinstance(e, ast.Name) and not _is_array(types, e.id)
            or isinstance(e, ast.Slice) and e.lower is None and e.upper is None and e.step is None
            for e in elts)
    if key[0] == "call" and isinstance(value, ast.Call):
        func = ast.unparse(value.func)
        args = value.args
        n = maker_shape(value)
        if n is not None:
            fill = args[1:]
            return (isinstance(n, ast.Constant) or isinstance(n, ast.Name) and n.id in scalars) \
                and fixed_operands([f.id for f in fill if isinstance(f, ast.Name)])
        if func in LIKE and len(args) == 1 and isinstance(args[0], ast.Name):
            return args[0].id in fixed
        by_shape = getattr(key[1], "__name__", None) in BY_SHAPE and \
            getattr(key[1], "__module__", "").startswith("numpy")
        # (constant keywords, ``axis=2``, make one shape of fixed operands)
        if value.keywords and not (by_shape and all(isinstance(k.value, ast.Constant)
                                                    for k in value.keywords)) or \
                not all(isinstance(a, (ast.Name, ast.Constant)) for a in args):
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


def axis_lengths(types: dict, params: list, sites: dict, same_axes=None, rows=None) -> dict:
    """Lengths known to be equal: name -> a tuple of keys, one per axis of an
    array, one for a whole number (``None``: not known).  Keys are equal only
    where the values are sure to be: a parameter's axis (``"u0.shape[0]"``) or
    whole number never re-bound, a constant, one grown or cut (``grown_key``),
    followed through assignments (``n = len(u0)``, ``u = u0.copy()``,
    ``np.zeros((n + 2, m))``, ``g[2:, :]``, ``b = a``).  ``same_axes``: ``(parameter, axis)`` ->
    the ``(parameter, axis)`` of an earlier argument's axis of its length in
    the call the transform specialized on (``parameter_axes``): such axes
    share a key (``lai0.shape[0]`` is ``temp.shape[1]``).  ``rows``: parameter
    -> ``(ndim, length)`` of a last axis the compiled code is specialized on
    (backends/row_lengths.py): that axis' key is the constant, as
    ``np.zeros((n, 3))``'s is."""
    memo: dict = {}
    param_axis = _parameter_axis_keys(same_axes or {}, rows or {})

    def value(var):
        ss = sites.get(var)
        if not ss:
            return None if var not in params else var
        if len(ss) != 1 or var in params or ir.KIND(ss[0].stmt) != ir.Kind.ASSIGN:
            return None
        return ss[0].stmt.value

    def number(e):
        if isinstance(e, ast.Constant) and type(e.value) is int:
            return e.value
        if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub)) and \
                isinstance(e.right, ast.Constant) and type(e.right.value) is int:
            inner, c = _offset(e, types, value)        # n + 2: a ghost cell's array
            return grown_key(number(inner), c)
        if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mult):
            return product_key(number(e.left), number(e.right))     # 2 * n + 1 nodes
        if isinstance(e, ast.Name):
            return of(e.id)[0] if types.get(e.id) is not None and \
                types[e.id].kind == "int" and len(of(e.id)) == 1 else None
        if isinstance(e, ast.Call) and ast.unparse(e.func) == "len" and len(e.args) == 1:
            return axes(e.args[0], 0)
        if isinstance(e, ast.Subscript) and isinstance(e.slice, ast.Constant) and \
                type(e.slice.value) is int:
            return axes(e.value, e.slice.value)
        return None

    def axes(e, k):
        """Axis ``k`` of the array (or shape tuple) ``e``."""
        if isinstance(e, ast.Attribute) and e.attr == "shape":
            return axes(e.value, k)
        if isinstance(e, ast.Name):
            found = of(e.id)
            return found[k] if k < len(found) else None
        if isinstance(e, ast.Tuple):
            return number(e.elts[k]) if k < len(e.elts) else None
        return None

    def of(var) -> tuple:
        if var in memo:
            return memo[var]
        memo[var] = (None,)       # (a name defined through itself: not known)
        t = types.get(var)
        v = value(var)
        out = (None,)
        if t is None or v is None:
            pass
        elif v == var:          # a parameter never re-bound
            out = tuple(param_axis(var, k) for k in range(t.ndim)) if t.is_array \
                else (var,) if t.kind == "int" else (None,)
        elif t.kind == "tuple" and isinstance(v, ast.Attribute) and v.attr == "shape":
            inner = of(v.value.id) if isinstance(v.value, ast.Name) else (None,)
            out = inner
        elif t.kind == "tuple" and isinstance(v, ast.Tuple):
            out = tuple(number(e) for e in v.elts)
        elif t.kind == "int":
            out = (number(v),)
        elif t.is_array:
            out = _made_axes(v, t.ndim, number, axes, types)
        memo[var] = out
        return out

    def made(stmt, ndim) -> tuple:
        """The axes of the array one binding (``u = ...``, ``u = u + du``) makes
        (of a whole number: its key)."""
        if ir.KIND(stmt) not in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE) or \
                not isinstance(stmt, ast.Assign):
            return (None,) * ndim
        target = stmt.targets[0]
        t = types.get(target.id) if isinstance(target, ast.Name) else None
        if t is not None and not t.is_array:
            return (number(stmt.value),)
        return _made_axes(stmt.value, ndim, number, axes, types)

    several, seeds = _rebound(types, params, sites, param_axis)
    _solve_rebound(several, sites, types, memo, made, seeds)
    names = set(sites) | set(params)
    return {var: of(var) for var in sorted(names)}


def _offset(e, types, value):
    """``(b, c)`` with ``e`` equal to ``b + c`` in whole-number arithmetic, which is
    exact: through names of ints assigned once (``value``: name -> its one value;
    ``N = n - 1``, so ``N + 1`` is ``n``, where a length cut by one and grown by one
    is not: ``grown_key``)."""
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub)) and \
            isinstance(e.right, ast.Constant) and type(e.right.value) is int:
        inner, c = _offset(e.left, types, value)
        return inner, c + e.right.value * (1 if isinstance(e.op, ast.Add) else -1)
    t = types.get(e.id) if isinstance(e, ast.Name) else None
    v = value(e.id) if t is not None and t.kind == "int" and t.is_scalar else None
    if isinstance(v, ast.BinOp) and isinstance(v.op, (ast.Add, ast.Sub)) and \
            isinstance(v.right, ast.Constant):
        return _offset(v, types, value)
    return e, 0


def _parameter_axis_keys(same_axes, rows):
    """``key(parameter, axis)``: the key of an argument's axis (``"u0.shape[0]"``, the
    first axis of its length in the call, or a specialized row length's constant)."""
    # an axis of the length of a specialized last axis has that constant as its key
    # (``Y[i]``'s rows of 3 against ``W2 @ h``'s ``W2.shape[0]``, the same length
    # in the call: one key, or ``out - Y[i]`` is of lengths not known equal)
    constants = {same_axes.get((p, ndim - 1), (p, ndim - 1)): length
                 for p, (ndim, length) in rows.items()}

    def key(var, k):
        if var in rows and k == rows[var][0] - 1:
            return rows[var][1]
        var, k = same_axes.get((var, k), (var, k))
        return constants.get((var, k), f"{var}.shape[{k}]")
    return key


def _rebound(types, params, sites, param_axis) -> tuple:
    """The names :func:`_solve_rebound` solves for, and its seeds: arrays and
    whole numbers bound several times (``N = x.shape[0]`` of each inlined call
    of a helper), and array parameters re-bound (``x = x + dt * v``), seeded
    with the argument's axes."""
    several = [v for v in set(sites) - set(params) if len(sites[v]) > 1 and
               types.get(v) is not None and (types[v].is_array or types[v].kind == "int"
                                             and types[v].is_scalar)]
    seeds = {p: tuple(param_axis(p, k) for k in range(types[p].ndim)) for p in params
             if sites.get(p) and types.get(p) is not None and types[p].is_array}
    return sorted(several + list(seeds)), seeds


def _solve_rebound(several, sites, types, memo, made, seeds=None) -> None:
    """``memo`` set for the arrays bound at several sites (``u = u0.copy()`` before
    a time loop, ``u = u + lam * du`` in it, with ``du = np.zeros_like(u)``;
    ``water`` and ``uptake = np.minimum(water, demand)`` computed from each
    other): together, the axes their first bindings make, where every binding
    of each makes them again given that all of them have theirs (so, by
    induction over the run, every value has them; a name that fails drops out
    and the rest are checked again); the others not known.  ``made(stmt, ndim)``:
    the axes a binding makes, read through ``memo``.  ``seeds``: name -> the axes
    of the value it has before any binding (a parameter re-bound: its
    argument's), its hypothesis in place of its first binding's."""
    hyp: dict = dict(seeds or {})

    def under(guesses):
        memo.clear()
        memo.update({v: (None,) * _width(types[v]) for v in several})
        memo.update(guesses)

    grown = True
    while grown:
        grown = False
        for var in several:
            if var not in hyp:
                under(hyp)
                first = made(sites[var][0].stmt, _width(types[var]))
                if None not in first:
                    hyp[var], grown = first, True
    while True:
        under(hyp)
        bad = {v for v in hyp if any(made(s.stmt, _width(types[v])) != hyp[v] for s in sites[v])}
        if not bad:
            break
        for v in bad:
            del hyp[v]
    under(hyp)


def _width(t) -> int:
    """How many keys a name has: one per axis of an array, one for a number."""
    return t.ndim if t.is_array else 1


def parameter_axes(params: list, arg_types: list) -> dict:
    """The axes of the arguments of one length in the call the transform
    specialized on (``T.same_shape_as``, ``T.axes_as``): ``(parameter, axis)``
    -> the ``(parameter, axis)`` of the first such axis."""
    out: dict = {}
    for k, t in enumerate(arg_types):
        pairs = []
        if t.same_shape_as is not None:
            pairs = [(a, (t.same_shape_as, a)) for a in range(t.ndim)]
        elif t.axes_as is not None:
            pairs = [(a, at) for a, at in enumerate(t.axes_as) if at is not None]
        for a, (j, b) in pairs:
            # (the earlier argument's axis may itself be another's: the first one)
            out[(params[k], a)] = out.get((params[j], b), (params[j], b))
    return out


def _made_axes(v, ndim, number, axes, types) -> tuple:
    """The axes of the array an assignment's value ``v`` makes."""
    unknown = (None,) * ndim
    if isinstance(v, ast.Name):                   # b = a
        return tuple(axes(v, k) for k in range(ndim))
    if isinstance(v, ast.Attribute) and v.attr == "T" and isinstance(v.value, ast.Name):
        return tuple(axes(v.value, k) for k in range(ndim - 1, -1, -1))   # a transpose
    if ir.PRIM(v, ("",)) == ("call", transposed) and isinstance(v.args[0], ast.Name):
        return tuple(axes(v.args[0], k) for k in range(ndim - 1, -1, -1))
    product = (v.left, v.right) if isinstance(v, ast.BinOp) and isinstance(v.op, ast.MatMult) \
        else tuple(v.args) if isinstance(v, ast.Call) and not v.keywords and \
        len(v.args) == 2 and ir.PRIM(v, ("",))[:2] == ("call", np.dot) else None
    if product is not None:
        return _product_axes(product, ndim, axes, types)
    operands = [v.left, v.right] if isinstance(v, ast.BinOp) else \
        [v.operand] if isinstance(v, ast.UnaryOp) else \
        [v.left, *v.comparators] if isinstance(v, ast.Compare) else \
        list(v.args) if _elementwise_call(v) else None
    if operands is not None:
        # elementwise arithmetic: the axes of its arrays, when they all have
        # the same known ones (numbers broadcast; other arrays might too); an
        # array of fewer axes (a row ``b`` in ``X @ W + b``) whose axes are
        # known to be the last ones of the others
        found, fewer = set(), []
        for e in operands:
            if isinstance(e, ast.Constant):
                continue
            t = types.get(e.id) if isinstance(e, ast.Name) else None
            if t is None or t.is_array and t.ndim > ndim:
                return unknown
            if t.is_array:
                own = tuple(axes(e, k) for k in range(t.ndim))
                (found.add if t.ndim == ndim else fewer.append)(own)
        if not found:
            return unknown
        # axis by axis, a length of 1 stretched to the others' (``x - m.reshape(-1, 1)``)
        full = []
        for k in range(ndim):
            keys = {f[k] for f in found} - {1}
            if None in keys or len(keys) > 1:
                return unknown
            full.append(keys.pop() if keys else 1)
        full = tuple(full)
        if any(None in low or low != full[ndim - len(low):] for low in fewer):
            return unknown
        return full
    if isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name):
        return _row_axes(v, ndim, axes, types)
    if isinstance(v, ast.Call) and not v.keywords and _column_or_row(v) is not None and \
            ndim == 2 and types.get(v.func.value.id) is not None and \
            types[v.func.value.id].is_array and types[v.func.value.id].ndim == 1:
        return _column_or_row(v)(axes(v.func.value, 0))
    inserted = _inserted_axis(v)
    if inserted is not None:
        # np.expand_dims(x, a) (``x[:, None]``): a new axis of length 1 at ``a``
        t = types.get(v.args[0].id) if isinstance(v.args[0], ast.Name) else None
        if t is None or not t.is_array or t.ndim != ndim - 1 or not 0 <= inserted < ndim:
            return unknown
        kept = [axes(v.args[0], k) for k in range(t.ndim)]
        return tuple(kept[:inserted] + [1] + kept[inserted:])
    if _rolls(v):
        return tuple(axes(v.args[0], k) for k in range(ndim))  # (the elements move round)
    along = _summed_axis(v)
    if along is not None:
        # a sum along a constant axis (np.sum(x, axis=1), sum_axis(x, 1))
        t = types.get(v.args[0].id) if isinstance(v.args[0], ast.Name) else None
        if t is None or not t.is_array or t.ndim != ndim + 1 or not 0 <= along < t.ndim:
            return unknown
        return tuple(axes(v.args[0], k) for k in range(t.ndim) if k != along)
    made = maker_shape(v)
    if made is None and (not isinstance(v, ast.Call) or v.keywords or len(v.args) != 1):
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and \
                v.func.attr == "copy" and not v.args and not v.keywords:
            return tuple(axes(v.func.value, k) for k in range(ndim))
        return unknown
    func, arg = ast.unparse(v.func), v.args[0]
    if made is not None:
        func = MAKERS[0]            # (np.full(s, v): the shape of np.zeros(s))
    if func in LIKE or func == "np.copy":
        return tuple(axes(arg, k) for k in range(ndim))
    if func in MAKERS:
        if ndim == 1 and not isinstance(arg, ast.Tuple) and number(arg) is not None:
            return (number(arg),)
        return tuple(axes(arg, k) for k in range(ndim))
    if func == "np.arange" and ndim == 1:        # np.arange(n) of a whole number n
        return (number(arg),)
    return unknown


def _inserted_axis(v):
    """The constant axis ``np.expand_dims(x, a)`` inserts, else None."""
    if not (isinstance(v, ast.Call) and ast.unparse(v.func) == "np.expand_dims" and
            len(v.args) == 2 and not v.keywords and isinstance(v.args[1], ast.Constant) and
            type(v.args[1].value) is int):
        return None
    return v.args[1].value


def _summed_axis(v):
    """The constant axis ``np.sum(x, axis=a)`` (``np.mean``, ``sum_axis(x, a)``,
    ``mean_axis``) sums along, else None."""
    if not isinstance(v, ast.Call) or ast.unparse(v.func) not in (
            "np.sum", "np.mean", "sum_axis", "mean_axis") or not v.args:
        return None
    given = [k.value for k in v.keywords if k.arg == "axis"] + list(v.args[1:])
    if len(given) != 1 or len(v.args) + len(v.keywords) != 2 or \
            not (isinstance(given[0], ast.Constant) and type(given[0].value) is int):
        return None
    return given[0].value


def _column_or_row(v):
    """For ``x.reshape(-1, 1)`` / ``x.reshape(1, -1)``: a function of ``x``'s
    length giving the axes of the column / row it makes; else None."""
    if not (isinstance(v.func, ast.Attribute) and v.func.attr == "reshape" and
            isinstance(v.func.value, ast.Name) and len(v.args) == 2 and
            all(isinstance(a, ast.Constant) for a in v.args)):
        return None
    shape = tuple(a.value for a in v.args)
    if shape == (-1, 1):
        return lambda n: (n, 1)
    if shape == (1, -1):
        return lambda n: (1, n)
    return None


def _product_axes(operands, ndim, axes, types) -> tuple:
    """The axes of ``a @ b`` (``np.dot(a, b)``) of a matrix and a vector or of
    two matrices: the rows of ``a``, the columns of ``b``."""
    dims = [types[e.id].ndim if isinstance(e, ast.Name) and types.get(e.id) is not None and
            types[e.id].is_array else None for e in operands]
    a, b = operands
    if dims == [2, 1] and ndim == 1:
        return (axes(a, 0),)
    if dims == [1, 2] and ndim == 1:
        return (axes(b, 1),)
    if dims == [2, 2] and ndim == 2:
        return (axes(a, 0), axes(b, 1))
    return (None,) * ndim


def _elementwise_call(v) -> bool:
    """A call of an elementwise ufunc (``np.minimum(a, b)``) or of ``np.where``
    (``select``), of positional arguments: its result has the broadcast shape.
    (Not ``max``/``math.exp``, elementwise on numbers only: built-in functions.)"""
    prim = ir.PRIM(v, ("",)) if isinstance(v, ast.Call) else ("",)
    return prim[0] == "call" and not v.keywords and registry.is_elementwise(prim[1]) and \
        getattr(prim[1], "nout", 1) == 1 and not isinstance(prim[1], BuiltinFunctionType)


def _row_axes(v, ndim, axes, types) -> tuple:
    """The axes ``X[i]`` / ``X[i, :]`` / ``X[:, k]`` leaves (whole-number indices
    drop an axis, ``:`` keeps it; any other slice: not known)."""
    parts = v.slice.elts if isinstance(v.slice, ast.Tuple) else [v.slice]
    t = types.get(v.value.id)
    if t is None or not t.is_array or len(parts) > t.ndim:
        return (None,) * ndim
    kept = []
    for k, p in enumerate(parts + [ast.Slice()] * (t.ndim - len(parts))):
        if isinstance(p, ast.Slice):
            kept.append(_sliced_key(p, axes(v.value, k)))
        elif not (isinstance(p, ast.Constant) and type(p.value) is int or
                  isinstance(p, ast.Name) and types.get(p.id) is not None and
                  types[p.id].kind == "int"):
            return (None,) * ndim
    return tuple(kept) if len(kept) == ndim else (None,) * ndim


def shape_axes(key, ndim: int, types: dict) -> list | None:
    """Expressions for the lengths of the axes of the arrays of shape key
    ``key`` (of ``shape_keys``) with ``ndim`` dimensions, read off the names
    the key is made from (a parameter's ``.shape``, the ``n`` of
    ``np.zeros(n)``, a name of one shape bound once); None when the key does
    not give them."""
    def shape_of(name, axes):
        return [ast.Subscript(value=ast.Attribute(value=ast.Name(id=name, ctx=ast.Load()),
                                                  attr="shape", ctx=ast.Load()),
                              slice=ast.Constant(a), ctx=ast.Load()) for a in axes]
    if isinstance(key, tuple) and len(key) == 3 and key[0] == "grow" and ndim == 1:
        inner = shape_axes(key[1], 1, types)
        if inner is None:
            return None
        d = key[2]
        longer = ast.BinOp(left=inner[0], op=ast.Add() if d > 0 else ast.Sub(),
                           right=ast.Constant(abs(d)))
        return [longer if d > 0 else ast.Call(func=ast.Name(id="max", ctx=ast.Load()),
                                              args=[longer, ast.Constant(0)], keywords=[])]
    if isinstance(key, tuple) and len(key) == 3 and key[0] == "sum" and ndim == 1:
        parts = [shape_axes(k, 1, types) for k in key[1:]]
        if None in parts:
            return None
        return [ast.BinOp(left=parts[0][0], op=ast.Add(), right=parts[1][0])]
    if not isinstance(key, tuple) or len(key) != 2:
        return None
    kind, of = key
    if kind == "const":
        return [ast.Constant(n) for n in of] if len(of) == ndim else None
    if kind in ("param", "own") and isinstance(of, str) and _is_array(types, of) and \
            types[of].ndim == ndim:
        return shape_of(of, range(ndim))
    if kind in ("rows", "cols", "T") and isinstance(of, tuple) and \
            of[0] in ("param", "own") and _is_array(types, of[1]) and types[of[1]].ndim == 2:
        axes = {"rows": [0], "cols": [1], "T": [1, 0]}[kind]
        return shape_of(of[1], axes) if len(axes) == ndim else None
    if kind == "made" and isinstance(of, str):
        made = ast.parse(of, mode="eval").body
        if isinstance(made, ast.Constant) and type(made.value) is int and ndim == 1:
            return [made]
        t = types.get(made.id) if isinstance(made, ast.Name) else None
        if t is not None and t.kind == "int" and ndim == 1:
            return [made]
        if t is not None and t.kind == "tuple" and len(t.elts) == ndim:
            return [ast.Subscript(value=ast.Name(id=made.id, ctx=ast.Load()),
                                  slice=ast.Constant(a), ctx=ast.Load()) for a in range(ndim)]
    return None


def _rolls(v) -> bool:
    """``np.roll(x, shift)`` or ``np.roll(x, shift, axis)`` of an array name:
    an array of ``x``'s shape."""
    return isinstance(v, ast.Call) and ast.unparse(v.func) == "np.roll" and \
        isinstance(v.args[0] if v.args else None, ast.Name) and \
        2 <= len(v.args) + len(v.keywords) <= 3 and len(v.args) >= 1 and \
        all(k.arg in ("shift", "axis") for k in v.keywords)


def _sliced_key(p, key):
    """The key of an axis of length ``key`` cut by the slice ``p``: itself for
    ``:``, ``a + b`` shorter for ``a:-b`` with constants ``a >= 0``, ``b > 0``
    (``g[2:, 1:-1]`` of a ghost-cell array); else not known."""
    lo, hi = _int_or_none(p.lower), _int_or_none(p.upper)
    if p.step is not None or lo is None or hi is None or lo[0] < 0 or hi[0] > 0:
        return None
    return grown_key(key, hi[0] - lo[0])


def spread_axes(keys, into):
    """How an array whose axes' lengths have ``keys`` broadcasts into one of
    axes ``into``, as NumPy aligns them (from the last axis): per axis of its
    own, True where it runs with the other's axis (the same key), False where
    it is of length 1 (read at 0); None unless every axis is one of these and
    it has no more axes."""
    if len(keys) > len(into):
        return None
    out = []
    for k, key in zip(keys, into[len(into) - len(keys):]):
        if k == key:
            out.append(True)
        elif k == 1:
            out.append(False)
        else:
            return None
    return tuple(out)


def product_key(a, b):
    """The key of the product of whole numbers of keys ``a`` and ``b`` (None
    where either is not known)."""
    if a is None or b is None:
        return None
    if type(a) is int and type(b) is int:
        return a * b
    if a == 1 or b == 1:
        return b if a == 1 else a
    return ("product",) + tuple(sorted((a, b), key=repr))


def grown_key(key, c):
    """The key of a length ``c`` more than ``key``'s (``c < 0``: fewer, at least
    none, as a slice cuts).  Keys of lengths made longer and then cut fold
    (``(n + 2) - 2`` is ``n``); cut and then made longer they do not (``max(n -
    2, 0) + 2`` is ``n`` only for ``n >= 2``)."""
    if key is None:
        return None
    if type(key) is int:
        return key + c if c >= 0 else max(key + c, 0)
    if isinstance(key, tuple) and key[0] == "grown" and (key[2] >= 0 or c <= 0):
        key, c = key[1], key[2] + c
    return key if c == 0 else ("grown", key, c)
