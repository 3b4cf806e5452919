"""Which array arguments a function reads the elements of, as it receives them.

Numba code fills a buffer it is given: ``accel(pos, mass, acc)`` zeroes
``acc`` and adds each pair's force into it.  Its vector-Jacobian product
needs ``pos`` and ``mass`` and only the shape of ``acc``: nothing the
function computes comes from the values ``acc`` held when it was called.
A caller that re-binds or overwrites the buffer (``acc = accel(pos, mass,
acc)`` in every time step) need not put those values back for the VJP of an
earlier call: that kept every element of ``acc`` the pair loop touched, once
per pair and step, in an N-body integrator.

An array parameter's incoming elements count as unread when every mention
of the parameter in the (normalized) function is one of

* the array of an element store ``p[idx] = e`` or an element sum ``p[idx]
  += e`` / ``-= e`` whose index and value do not mention ``p`` (a sum reads
  the element, but what it reads flows only into that element);
* a shape: ``p.shape``, ``p.ndim``, ``p.size``, ``p.dtype``, the first
  argument of ``np.zeros_like`` / ``np.empty_like`` / ``np.ones_like``;
* the returned value (``return p``, or a tuple holding it bound to a name
  only the ``return`` reads);
* the copy a function that writes an argument starts from (``_copy3 =
  p.copy(); p = _copy3``): the same values under the same name.

Anything else (``p[i]`` read into a number, ``p`` passed to a function, a
product ``p[i] *= c``, ``p`` re-bound) counts as a read.  Then no value the
function computes, nor any index or test, comes from the incoming elements.
"""
from __future__ import annotations

import ast

from .astutil import SHAPE_ATTRIBUTES, nodes

_SHAPE_CALLS = ("np.zeros_like", "np.empty_like", "np.ones_like")


def incoming_values_unread(fn: ast.FunctionDef, param: str) -> bool:
    """Whether ``fn`` never reads the elements array parameter ``param`` holds
    when it is called (see the module's docstring)."""
    returned = _returned_names(fn)
    allowed: set = set()
    for k, st in enumerate(fn.body[:-1]):
        # a function that writes an argument works on its own copy of it
        # (``_copy3 = p.copy(); p = _copy3``, passes/normalize.py): the same values
        nxt = fn.body[k + 1]
        if _copies(st, param) and isinstance(nxt, ast.Assign) and _is(nxt.targets[0], param) \
                and isinstance(nxt.value, ast.Name) and nxt.value.id == st.targets[0].id and \
                sum(_is(n, nxt.value.id) for n in nodes(fn)) == 2:
            allowed |= {id(n) for n in nodes(st) if _is(n, param)}
            allowed.add(id(nxt.targets[0]))
    for node in nodes(fn):
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(node, ast.Assign) and len(node.targets) != 1:
                continue
            if isinstance(target, ast.Subscript) and _is(target.value, param) and \
                    (isinstance(node, ast.Assign) or isinstance(node.op, (ast.Add, ast.Sub))) \
                    and not _mentions(target.slice, param) and not _mentions(node.value, param):
                allowed.add(id(target.value))
            elif isinstance(node, ast.Assign) and isinstance(target, ast.Name) and \
                    target.id in returned:
                allowed |= _returned_parts(node.value, param)
        elif isinstance(node, ast.Return) and node.value is not None:
            allowed |= _returned_parts(node.value, param)
        elif isinstance(node, ast.Attribute) and node.attr in SHAPE_ATTRIBUTES and \
                _is(node.value, param):
            allowed.add(id(node.value))
        elif isinstance(node, ast.Call) and node.args and _is(node.args[0], param) and \
                _dotted(node.func) in _SHAPE_CALLS:
            allowed.add(id(node.args[0]))
    return all(id(n) in allowed for n in nodes(fn) if _is(n, param))


def _copies(st, param) -> bool:
    """``st`` is ``name = param.copy()``."""
    return isinstance(st, ast.Assign) and len(st.targets) == 1 and \
        isinstance(st.targets[0], ast.Name) and isinstance(st.value, ast.Call) and \
        not st.value.args and isinstance(st.value.func, ast.Attribute) and \
        st.value.func.attr == "copy" and _is(st.value.func.value, param)


def _returned_names(fn) -> set:
    """Names the function returns (``return v``) that nothing else reads."""
    direct = {id(r.value) for r in nodes(fn) if isinstance(r, ast.Return)
              and isinstance(r.value, ast.Name)}
    out, elsewhere = set(), set()
    for n in nodes(fn):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            (out if id(n) in direct else elsewhere).add(n.id)
    return out - elsewhere


def _returned_parts(value, param) -> set:
    """Ids of ``param`` where ``value`` is it or a tuple holding it."""
    parts = value.elts if isinstance(value, ast.Tuple) else [value]
    return {id(p) for p in parts if _is(p, param)}


def _is(node, param) -> bool:
    return isinstance(node, ast.Name) and node.id == param


def _mentions(node, param) -> bool:
    return any(_is(n, param) for n in nodes(node))


def _dotted(func) -> str:
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return func.id if isinstance(func, ast.Name) else ""
