"""Views: which arrays a primitive's result may share memory with, and the
check that refuses a write through one of two names for the same memory
where the transforms' dataflow would differ from NumPy's."""
from __future__ import annotations

import ast

from .. import ir
from ..rules.arrayfuncs import VIEW_FUNCTIONS
from .astutil import walk

VIEW_METHODS = {"reshape", "ravel"}


def is_view(prim, types) -> str | None:
    """The array a primitive's result may share memory with, if any."""
    head = ir.PRIM(prim)[0]
    if head == "copy" and isinstance(prim, ast.Name):
        base = prim.id
    elif head == "subscript" and isinstance(prim.value, ast.Name) or head == "attr" and ir.PRIM(prim)[1] == "T":
        index = getattr(prim, "slice", None)
        it = types.get(index.id) if isinstance(index, ast.Name) else None
        if it is not None and it.is_array:
            return None   # x[idx], x[mask]: a gather makes a copy
        base = prim.value.id
    elif head == "method" and ir.PRIM(prim)[1] in VIEW_METHODS and \
            isinstance(prim.func.value, ast.Name):
        base = prim.func.value.id
    elif head == "call" and prim.args and isinstance(prim.args[0], ast.Name) and \
            id(ir.PRIM(prim)[1]) in VIEW_FUNCTIONS:      # np.flip(x), np.ravel(x), ...
        base = prim.args[0].id
        t = types.get(base)
        return base if t is not None and t.is_array and \
            t.ndim >= VIEW_FUNCTIONS[id(ir.PRIM(prim)[1])] else None
    else:
        return None
    t = types.get(base)
    return base if t is not None and t.is_array else None


def check_views(fn, types, error):
    """Writing through one of two names for the same array would make the
    dataflow the transformer sees differ from NumPy's: refuse it."""
    stored = set()
    for s in walk(fn.body):
        kind = ir.KIND(s)
        if kind == ir.Kind.STORE:
            stored.add(s.targets[0].value.id)
        elif kind == ir.Kind.AUGSTORE:
            stored.add(s.target.value.id)
    if not stored:
        return
    uses: dict = {}
    for s in walk(fn.body):
        if ir.KIND(s) is not None or isinstance(s, ast.Return):
            # a store's target (t[0] = a) writes into t: not a use of its value
            read = s.value if ir.KIND(s) in (ir.Kind.STORE, ir.Kind.AUGSTORE) else s
            for n in ast.walk(read):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                    uses[n.id] = uses.get(n.id, 0) + 1

    order = list(walk(fn.body))

    def mentioned_after(name, stmt) -> bool:
        rest = order[next(k for k, s in enumerate(order) if s is stmt) + 1:]
        return any(isinstance(n, ast.Name) and n.id == name for r in rest for n in ast.walk(r))

    def block_check(stmts):
        for k, s in enumerate(stmts):
            for f in ("body", "orelse"):
                if getattr(s, f, None):
                    block_check(getattr(s, f))
            if ir.KIND(s) != ir.Kind.ASSIGN:
                continue
            z = s.targets[0].id
            zt = types.get(z)
            base = is_view(s.value, types)
            if base is None or zt is None or not zt.is_array:
                continue
            if z not in stored and base not in stored:
                continue
            if base.startswith("_") and (uses.get(base, 0) == 1 or not mentioned_after(base, s)):
                continue   # a temporary renamed: the old name is never used again
            # a temporary consumed before any write to either array is harmless
            if z.startswith("_") and z not in stored:
                safe = False
                for later in stmts[k + 1:]:
                    if z in {n.id for n in ast.walk(later) if isinstance(n, ast.Name)}:
                        rest = stmts[stmts.index(later) + 1:]
                        safe = not any(z in {n.id for n in ast.walk(r) if isinstance(n, ast.Name)}
                                       for r in rest) and not _writes(later, {base, z})
                        break
                    if _writes(later, {base, z}):
                        break
                if safe:
                    continue
            raise error(s, f"'{z}' shares memory with array '{base}' and one of them is "
                           f"written into later; use '{base}.copy()' to make an independent array")
    block_check(fn.body)


def check_tangent_views(fn, types, active, stored, error):
    """Forward mode: tangents mirror views (``v = a[1:]`` gives ``v_dot =
    a_dot[1:]``), so a write through either name reaches both tangents, as
    NumPy's does the values, and activity treats a view and its base alike.  A
    view shared by a variable with a tangent (``active``) and one without would
    go wrong when either is written into (``stored``): refuse it."""
    for s in walk(fn.body):
        if ir.KIND(s) != ir.Kind.ASSIGN:
            continue
        z = s.targets[0].id
        base = is_view(s.value, types)
        zt = types.get(z)
        if base is None or zt is None or not zt.is_array:
            continue
        if (z in active) != (base in active) and (z in stored or base in stored):
            raise error(s, f"'{z}' shares memory with array '{base}' and one of them is "
                           f"written into later; use '{base}.copy()' to make an "
                           "independent array")


def _writes(stmt, names) -> bool:
    for s in walk([stmt]):
        kind = ir.KIND(s)
        if kind == ir.Kind.STORE and s.targets[0].value.id in names:
            return True
        if kind == ir.Kind.AUGSTORE and s.target.value.id in names:
            return True
    return False
