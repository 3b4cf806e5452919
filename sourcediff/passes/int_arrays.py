"""``np.array([i, i + 1])`` of integers is an integer array, as in NumPy.

The normalizer builds ``np.array([a, b])`` as a new array filled by stores
(``t = empty_stack(2, a); t[0] = a; t[1] = b``) before types are known, and
``empty_stack`` makes floats.  Type inference takes an array whose first item is
an integer (a boolean) for an integer (boolean) array; once types are known,
this pass makes it ``np.empty(n, np.int64)`` (``np.bool_``) when every store
puts one, else ``np.empty(n, np.float64)`` (``[i, 0.5]`` is floats, as in
NumPy): an index array (finite-element ``dofs = np.array([e, e + 1])``) or a
mask, not floats that NumPy refuses as an index.
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from ..names import Namer
from ..runtime.helpers import empty_stack
from .astutil import nodes
from .types import BOOL, INT


def integer_item_arrays(fn: ast.FunctionDef, env: dict, used: set) -> bool:
    """Rewrite ``fn`` in place; returns whether it changed (types are then
    inferred again)."""
    changed = False
    namer = Namer(used)
    for block in _blocks(fn):
        for k, s in reversed(list(enumerate(block))):
            if not (ir.KIND(s) == ir.Kind.ASSIGN and ir.PRIM(s.value, ("",))[0] == "call"
                    and ir.PRIM(s.value)[1] is empty_stack):
                continue
            n, like = s.value.args
            t = s.targets[0].id
            # (a literal first item too: ``np.array([0, 0, -g])`` is floats)
            lt = env.get(like.id) if isinstance(like, ast.Name) else \
                {int: INT, bool: BOOL}.get(type(like.value)) if isinstance(like, ast.Constant) \
                else None
            if not isinstance(n, ast.Constant) or lt is None or lt.kind not in ("int", "bool"):
                continue
            kinds = _item_kinds(block[k + 1:k + 1 + n.value], t, n.value, env)
            dtype = np.dtype({"int": np.int64, "bool": np.bool_}[lt.kind]) \
                if kinds == {lt.kind} else np.dtype(np.float64)
            kind = ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()), attr=dtype.name,
                                 ctx=ast.Load())
            name = namer.numbered("_dtype")
            used.add(name)
            named = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())],
                               value=ir.mark(kind, ("dtype", dtype)))
            call = ast.Call(func=ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()),
                                               attr="empty", ctx=ast.Load()),
                            args=[n, ast.Name(id=name, ctx=ast.Load())], keywords=[])
            s.value = ir.mark(ast.copy_location(call, s.value), ("call", np.empty))
            block.insert(k, ast.fix_missing_locations(ast.copy_location(
                ir.tag(named, ir.LINE(s), ir.Kind.ASSIGN), s)))
            changed = True
    return changed


def _item_kinds(stores, t, n, env):
    """The kinds of the values ``t[0] = a`` ... ``t[n - 1] = z`` store, or None
    when the statements are not those stores."""
    kinds = set()
    for k, st in enumerate(stores):
        if len(stores) != n or ir.KIND(st) != ir.Kind.STORE:
            return None
        target = st.targets[0]
        if not (isinstance(target.value, ast.Name) and target.value.id == t and
                isinstance(target.slice, ast.Constant) and target.slice.value == k):
            return None
        v = st.value
        vt = env.get(v.id) if isinstance(v, ast.Name) else \
            ({bool: "bool", int: "int"}.get(type(v.value)) if isinstance(v, ast.Constant) else None)
        kinds.add(vt if isinstance(vt, str) or vt is None else vt.kind)
    return kinds


def float_copies_of_integer_arrays(fn: ast.FunctionDef, env: dict, used: set) -> bool:
    """``y = y0.copy()`` (``y = y0``, ``np.copy(y0)``) of an integer array into a
    name that later holds floats (``y = y * k + y0``): typed as a float array,
    it would hold integers at first (Numba refuses the mix, the python target's
    ``dy += ...`` casts).  The copy is made with the float dtype, as NumPy's
    arithmetic would make it in the next step: ``y = y0.astype(np.float64)``."""
    changed = False
    namer = Namer(used)
    for block in _blocks(fn):
        for k, s in reversed(list(enumerate(block))):
            if ir.KIND(s) != ir.Kind.ASSIGN or not isinstance(s.targets[0], ast.Name):
                continue
            t = env.get(s.targets[0].id)
            source = _copied(s.value)
            st = env.get(source) if source is not None else None
            if t is None or st is None or not (t.is_array and st.is_array) or \
                    t.dtype.kind != "f" or st.dtype.kind not in "iub" or t.ndim != st.ndim:
                continue
            block[k:k] = _converted(s, source, t.dtype, namer, used)
            changed = True
    return changed


def float_bindings_of_integer_arrays(fn: ast.FunctionDef, env: dict, used: set,
                                     own_type) -> bool:
    """Any other binding of an integer array to a name that later holds floats
    (``x = np.arange(n)`` then ``x = x * a + 1.0`` in a loop; ``own_type(s)``:
    the type of the value ``s`` assigns): the value is made first and
    converted, ``_i1 = np.arange(n); x = _i1.astype(np.float64)``, as NumPy's
    arithmetic would convert it in the next step.  Not for a name read as an
    index anywhere (it must stay integers there: Numba's error stands)."""
    indices = {n.id for sub in nodes(fn) if isinstance(sub, ast.Subscript)
               for n in nodes(sub.slice) if isinstance(n, ast.Name)}
    changed = False
    namer = Namer(used)
    for block in _blocks(fn):
        for k, s in reversed(list(enumerate(block))):
            if ir.KIND(s) != ir.Kind.ASSIGN or not isinstance(s.targets[0], ast.Name) or \
                    _copied(s.value) is not None or s.targets[0].id in indices:
                continue
            t = env.get(s.targets[0].id)
            if t is None or not t.is_array or t.dtype.kind != "f":
                continue
            own = own_type(s)
            if own is None or not own.is_array or own.dtype.kind not in "iub" or \
                    own.ndim != t.ndim:
                continue
            ints = namer.numbered("_ints")
            used.add(ints)
            made = ast.fix_missing_locations(ast.copy_location(ir.tag(
                ast.Assign(targets=[ast.Name(id=ints, ctx=ast.Store())], value=s.value),
                ir.LINE(s), ir.Kind.ASSIGN), s))
            block[k:k] = [made] + _converted(s, ints, t.dtype, namer, used)
            changed = True
    return changed


def _converted(s, source, dtype, namer, used) -> list:
    """Make ``s`` assign ``source.astype(_dtypeN)``; returns the statement
    naming the dtype, ``_dtypeN = np.float64``, to go before ``s``."""
    name = namer.numbered("_dtype")
    used.add(name)
    kind = ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()), attr=dtype.name,
                         ctx=ast.Load())
    named = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())],
                       value=ir.mark(kind, ("dtype", dtype)))
    call = ast.Call(func=ast.Attribute(value=ast.Name(id=source, ctx=ast.Load()),
                                       attr="astype", ctx=ast.Load()),
                    args=[ast.Name(id=name, ctx=ast.Load())], keywords=[])
    s.value = ir.mark(ast.copy_location(call, s.value), ("method", "astype"))
    return [ast.fix_missing_locations(ast.copy_location(
        ir.tag(named, ir.LINE(s), ir.Kind.ASSIGN), s))]


def _copied(v):
    """The array name ``v`` copies (``x``, ``x.copy()``, ``np.copy(x)``), or None."""
    prim = ir.PRIM(v, ("",))
    if prim == ("copy",) and isinstance(v, ast.Name):
        return v.id
    if prim == ("method", "copy") and isinstance(v.func.value, ast.Name):
        return v.func.value.id
    if prim[0] == "call" and prim[1] is np.copy and len(v.args) == 1 and \
            isinstance(v.args[0], ast.Name):
        return v.args[0].id
    return None


def float_operands_of_products(fn: ast.FunctionDef, env: dict, used: set) -> bool:
    """An integer array multiplied by a float array with ``@``, ``np.dot`` or
    ``np.matmul`` (an integer weight or incidence matrix times data), or a
    float32 array with a float64 one (float32 data beside ``np.eye(d)``; also in
    ``np.linalg.solve``): NumPy converts it, Numba's products (BLAS) and solves
    take one float dtype only.  The operand is converted first,
    ``m_float = m.astype(np.float64)``, so the forward product and the reverse
    sweep's products both see one dtype (the conversion's adjoint converts back)."""
    changed = False
    namer = Namer(used)
    for block in _blocks(fn):
        for k, s in reversed(list(enumerate(block))):
            if ir.KIND(s) != ir.Kind.ASSIGN:
                continue
            operands = _product_operands(s.value)
            if operands is None:
                continue
            types = [env.get(a.id) if isinstance(a, ast.Name) else None for a in operands]
            if any(t is None or not t.is_array for t in types):
                continue
            floats = [t.dtype for t in types if t.dtype.kind == "f"]
            if not floats:
                continue
            dtype = np.result_type(*floats)
            for a, t in zip(operands, types):
                if t.dtype.kind not in "iub" and t.dtype == dtype:
                    continue
                wider = "_float" if t.dtype.kind in "iub" else "_" + dtype.name
                name, kind_name = namer.numbered(a.id + wider), namer.numbered("_dtype")
                used.update((name, kind_name))
                kind = ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()), attr=dtype.name,
                                     ctx=ast.Load())
                call = ast.Call(func=ast.Attribute(value=ast.Name(id=a.id, ctx=ast.Load()),
                                                   attr="astype", ctx=ast.Load()),
                                args=[ast.Name(id=kind_name, ctx=ast.Load())], keywords=[])
                for target, value in ((name, ir.mark(call, ("method", "astype"))),
                                      (kind_name, ir.mark(kind, ("dtype", dtype)))):
                    block.insert(k, ast.fix_missing_locations(ast.copy_location(ir.tag(
                        ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=value),
                        ir.LINE(s), ir.Kind.ASSIGN), s)))
                a.id = name
                changed = True
    return changed


def _product_operands(v):
    """The two operands of ``a @ b``, ``np.dot(a, b)``, ``np.matmul(a, b)``,
    ``np.linalg.solve(a, b)``, or None."""
    prim = ir.PRIM(v, ("",))
    if prim == ("binop", "MatMult"):
        return [v.left, v.right]
    if prim[0] == "call" and prim[1] in (np.dot, np.matmul, np.linalg.solve) and len(v.args) == 2:
        return list(v.args)
    return None


def _blocks(fn):
    """The statement lists of ``fn``: its body and those of its ``if``s and loops."""
    return [fn.body] + [getattr(s, f) for s in nodes(fn)
                        if isinstance(s, (ast.If, ast.For, ast.While))
                        for f in ("body", "orelse") if getattr(s, f, None)]
