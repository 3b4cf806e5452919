"""Views: which arrays a primitive's result may share memory with, and the
check that refuses a write through one of two names for the same memory
where the transforms' dataflow would differ from NumPy's."""
from __future__ import annotations

import ast

from .. import ir
from ..rules.arrayfuncs import VIEW_FUNCTIONS
from .astutil import walk
from .buffers import check_aliases, find_call_alias, is_temporary

VIEW_METHODS = {"reshape", "ravel"}


def is_view(prim, types) -> str | None:
    """The array a primitive's result may share memory with, if any (none
    for an expression the normalizer did not make, a generated counter's 1)."""
    key = ir.PRIM(prim)
    if key is None:
        return None
    head = key[0]
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


def check_call_views(fn, types, error) -> None:
    """Forward mode: refuse a view of an array that a called function writes
    into (the call works on a copy and binds the result to the array's name)."""
    found = find_call_alias(fn, types, is_view)
    if found is not None:
        _refuse(fn, found, error)


def check_views(fn, types, error) -> set:
    """Writing through one of two names for the same array would make the
    dataflow the transformer sees differ from NumPy's: refuse it (a buffer
    moved to a new name and rebound before its next write is no alias;
    passes/buffers.py).  Returns the pairs ``(view, array)`` of an array
    written while a temporary view of it, already consumed, shares it: when
    the reverse sweep reads that view's values, the writes are taped."""
    found, taped = check_aliases(fn, types, is_view)
    if found is not None:
        _refuse(fn, found, error)
    return taped


def _refuse(fn, found, error):
    name, other = _shown(fn, found.name), _shown(fn, found.other)
    # (a temporary the normalizer made and no expression of the user's shows: a
    # row swap A[0], A[2] = A[2], A[0] unpacks views of A)
    name = "a view this line takes" if is_temporary(name) else f"'{name}'"
    other = f"a view this line takes of '{found.other}'" if is_temporary(other) else f"'{other}'"
    copy = found.other if is_temporary(_shown(fn, found.other)) else _shown(fn, found.other)
    raise error(found.where, f"{name} shares memory with array {other} and one of "
                             f"them is written into later (NumPy changes both): write "
                             f"through one name only, or use '{copy}.copy()' to make an "
                             f"independent array")


def _shown(fn, name) -> str:
    """How a message names an array: a temporary of the normalizer by the
    expression it holds (``y[1:]``, what the user wrote), an element of a
    split tuple as indexed (``t[0]``), others by name."""
    element = ir.TUPLE_ELEMENTS(fn, {}).get(name)
    if element is not None:
        return element
    if not is_temporary(name):
        return name
    for s in walk(fn.body):
        if ir.KIND(s) == ir.Kind.ASSIGN and s.targets[0].id == name:
            return ast.unparse(s.value)
    return name


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
