"""Transposes the reverse sweep makes in every iteration of a loop, made once.

The adjoint of a product ``H = XtW @ X`` is ``dXtW += dH @ transposed(X)``:
``transposed`` makes a C-contiguous copy of ``X.T`` (its products run along
rows).  In the reverse loop of an iteration (eight Newton steps of a
regression on 3,000 x 6 data), each reverse iteration copied all of ``X``
again, though ``X`` never changes.  A hand-written adjoint takes the
transpose once::

    X_T = transposed(X)
    for it in range(niter - 1, -1, -1):
        ...
        dXtW += dH @ X_T

Taken for ``transposed(X)`` inside a loop of the reverse sweep where ``X`` is
a name the reverse sweep never binds, the forward sweep binds at most once
and outside its loops, and nothing in the function stores into (no element
store, no in-place helper: every binding of it is the one array), and where
the transpose is only an operand (of ``@``, or an argument of a NumPy
function), and no read of ``X`` hands its array to another name or a view
(``_shared``): one copy for every iteration changes nothing.  A name the
forward sweep already binds to ``transposed(X)`` once, outside its loops,
is read instead of a new one.
"""
from __future__ import annotations

import ast

from .. import ir
from .astutil import assign, bound_names, nodes, walk

_IN_PLACE = ("add_into", "sub_into", "copy_into", "store_row")
# what reads an array and makes a new one (or a number): no other name holds it
_NEW_ARRAYS = ("transposed", "unbroadcast", "np.zeros_like", "reuse_zeros", "len", "fresh",
               "outer_product", "ties_shared", "determinant", "inverse", "solve_linear",
               "cofactors", "small_determinant", "small_inverse", "small_solve",
               "small_cofactors")
_NUMPY_NEW = ("np.zeros_like", "np.empty_like", "np.ones_like", "np.sum", "np.dot", "np.exp",
              "np.log", "np.sin", "np.cos", "np.tanh", "np.sqrt", "np.linalg.solve",
              "np.linalg.inv", "np.matmul", "np.outer", "np.max", "np.min", "np.mean")
_ATTRIBUTES = ("shape", "size", "ndim", "dtype")


def hoist_reverse_transposes(body: list, rev: list) -> list:
    """``rev`` (the reverse sweep; ``body``: the forward sweep before it) with
    the transposes of unchanging arrays in its loops made before them."""
    everything = ast.Module(body=body + rev, type_ignores=[])
    used = {n.id for n in nodes(everything) if isinstance(n, ast.Name)}
    bound_rev = _bound(rev)
    top_bound = {}              # name -> times the forward sweep binds it at its top level
    for s in body:
        for n in bound_names(s):
            top_bound[n] = top_bound.get(n, 0) + 1
    in_loops = _bound([x for s in body if isinstance(s, (ast.For, ast.While)) for x in s.body])
    written = _written(everything)
    made = {}                   # X -> the name holding transposed(X)
    for s in body:
        x = _transposed_of(getattr(s, "value", None))
        if isinstance(s, ast.Assign) and x is not None and len(s.targets) == 1 and \
                isinstance(s.targets[0], ast.Name) and top_bound.get(s.targets[0].id) == 1 and \
                s.targets[0].id not in bound_rev | in_loops | written:
            made.setdefault(x, s.targets[0].id)

    def invariant(x):
        return x not in bound_rev and x not in in_loops and x not in written and \
            top_bound.get(x, 0) <= 1 and not _shared(everything, x)

    out = []
    for s in rev:
        if not isinstance(s, (ast.For, ast.While)):
            out.append(s)
            continue
        calls = [(parent, field, n) for parent, field, n in _operands(s)
                 if _transposed_of(n) is not None and invariant(_transposed_of(n))]
        before = []
        for parent, field, call in calls:
            x = _transposed_of(call)
            if x not in made:
                made[x] = _fresh(f"{x.lstrip('_')}_T", used)
                before.append(ir.tag(assign(made[x], call), ir.LINE(s)))
            new = ast.Name(id=made[x], ctx=ast.Load())
            if isinstance(getattr(parent, field), list):
                getattr(parent, field)[getattr(parent, field).index(call)] = new
            else:
                setattr(parent, field, new)
        out += before + [s]
    return out


def _transposed_of(e):
    """``X`` of ``transposed(X)``, else None."""
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "transposed" \
            and len(e.args) == 1 and not e.keywords and isinstance(e.args[0], ast.Name):
        return e.args[0].id
    return None


def _operands(loop):
    """``(parent, field, node)`` of each operand of ``@`` and argument of a
    ``np.``/``np.linalg.`` call in ``loop``."""
    for n in nodes(loop):
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult):
            yield n, "left", n.left
            yield n, "right", n.right
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and \
                ast.unparse(n.func).startswith("np."):
            for a in n.args:
                yield n, "args", a


def _shared(tree, x) -> bool:
    """Whether some read of ``x`` may hand its array to another name or view
    (``y = x``, ``x[1:]``, ``x.T``, a call of the user's): what is written
    through that name changes ``x``.  Reads as an operand, an element, a
    shape, or an argument of a NumPy function or a helper that makes a new
    array do not."""
    up = {}
    for parent in nodes(tree):
        for fld, child in ast.iter_fields(parent):
            for c in child if isinstance(child, list) else [child]:
                if isinstance(c, ast.AST):
                    up[id(c)] = parent
    for parent in nodes(tree):
        for fld, child in ast.iter_fields(parent):
            for c in child if isinstance(child, list) else [child]:
                if not (isinstance(c, ast.Name) and c.id == x and isinstance(c.ctx, ast.Load)):
                    continue
                if isinstance(parent, (ast.BinOp, ast.Compare, ast.UnaryOp)):
                    continue
                if isinstance(parent, ast.Attribute) and (parent.attr in _ATTRIBUTES or (
                        parent.attr == "T" and isinstance(up.get(id(parent)), ast.BinOp))):
                    continue        # (``X.T @ r``: a view only the product reads)
                if isinstance(parent, ast.Subscript) and fld == "value" and not any(
                        isinstance(n, ast.Slice) for n in nodes(parent.slice)):
                    continue
                if isinstance(parent, ast.Call) and fld == "args" and (
                        isinstance(parent.func, ast.Name) and parent.func.id in _NEW_ARRAYS or
                        isinstance(parent.func, ast.Attribute) and
                        ast.unparse(parent.func) in _NUMPY_NEW):
                    continue
                return True
    return False


def _bound(stmts) -> set:
    return {n for x in walk(stmts) for n in bound_names(x)}


def _written(tree) -> set:
    """Arrays stored into (``a[i] = v``, ``a += v`` on an array, in-place helpers)."""
    out = set()
    for n in nodes(tree):
        if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and \
                isinstance(n.value, ast.Name):
            out.add(n.value.id)
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            out.add(n.target.id)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and \
                n.func.id in _IN_PLACE and n.args and isinstance(n.args[0], ast.Name):
            out.add(n.args[0].id)
    return out


def _fresh(base, used) -> str:
    name, k = base, 2
    while name in used:
        name, k = f"{base}{k}", k + 1
    used.add(name)
    return name
