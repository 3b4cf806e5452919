"""Rows of known length in compiled derivatives: arrays of points LLVM can vectorize.

A loop over the rows of an ``(n, 3)`` array (``X[i, 0]``, ``X[i, 1]``,
``X[i, 2]``: a polymer's beads, particles' positions) reads and writes element
``i * X.shape[1] + c``.  Its adjoint adds into ``dX[i, c]`` in every
iteration, and with ``X.shape[1]`` a number known only at run time LLVM
cannot tell that iteration ``i``'s row does not overlap the next one's (a
row length of 2 would make ``dX[i, 2]`` the next row's ``dX[i + 1, 0]``): it
runs the loop one iteration at a time ("unsafe dependent memory operations").
Told the length, it sees disjoint rows, and the loop runs several iterations
at once: the bead-spring polymer's gradient (bench ``fresh``) 1.65 -> 0.33
ms, faster than its Numba primal (0.63 ms) and JAX (0.85 ms).  Told only
that the length is at least 3 (what indexing column 2 needs), it does not.

So a compiled derivative is specialized on the last axis's length of each
float array argument of two dimensions or more when that length is small
(``ROW_MAX``; part of the types and of the cache key, like an array's number
of dimensions: a call with rows of another length compiles anew), and the
file Numba compiles (:func:`known_row_lengths`) states it with an ``assert``
at the top of each function that indexes such an argument's last axis with a
constant or the index of a short loop (``for a in range(3)``, or the element
loop of ``d = X[i + 1] - X[i]``), which LLVM then takes as given for the code
that follows.  The code
a user reads (``.source``) does not carry the assert: like the ranges of
``counted_range.py``, it is a rewrite of the compiled file only, on the line
of the function's docstring (the file's lines stay those of ``.source``).
"""
from __future__ import annotations

import ast

# the longest last axis a derivative is specialized on (an (n, 3) array of
# points, (n, 4) quaternions, a 4x4 transform: a loop indexes their last axis
# by constants; a longer one is usually looped over, where the length does
# not matter)
ROW_MAX = 16


def known_row_lengths(source: str, functions, lengths: dict) -> str:
    """``source`` with, on the docstring line of each function named in
    ``functions``, ``assert p.shape[k] == n`` for each parameter ``p`` of
    ``lengths`` (name -> ``(ndim, n)``: its last axis has ``n`` elements)
    whose rows the function reads or writes element by element
    (``_rows_indexed``)."""
    if not lengths:
        return source
    lines = source.split("\n")
    for fn in ast.parse(source).body:
        if not isinstance(fn, ast.FunctionDef) or fn.name not in functions:
            continue
        doc = fn.body[0] if fn.body else None
        if not (isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)
                and isinstance(doc.value.value, str)):
            continue
        params = {a.arg for a in fn.args.args}
        known = sorted(p for p in _rows_indexed(fn, lengths) if p in params)
        if known:
            asserts = "".join(f"; assert {p}.shape[{lengths[p][0] - 1}] == {lengths[p][1]}"
                              for p in known)
            lines[doc.end_lineno - 1] += asserts
    return "\n".join(lines)


def _rows_indexed(fn, lengths) -> set:
    """The names of ``lengths`` that ``fn`` subscripts with every axis given and,
    in the last, a point the row length decides: an integer constant
    (``X[i, 2]``), the index of a loop over a constant range (``for a in
    range(3): X[i, a]``) or over that axis (``for j in range(X.shape[1])``,
    the element loops of ``d = X[i + 1] - X[i]``)."""
    constant_loops, axis_loops = set(), {}
    for n in ast.walk(fn):
        if isinstance(n, ast.For) and isinstance(n.target, ast.Name) and \
                isinstance(n.iter, ast.Call) and isinstance(n.iter.func, ast.Name) and \
                n.iter.func.id == "range" and len(n.iter.args) == 1:
            bound = n.iter.args[0]
            if isinstance(bound, ast.Constant) and type(bound.value) is int:
                constant_loops.add(n.target.id)
            elif isinstance(bound, ast.Subscript) and isinstance(bound.value, ast.Attribute) \
                    and bound.value.attr == "shape" and isinstance(bound.value.value, ast.Name) \
                    and isinstance(bound.slice, ast.Constant):
                axis_loops[n.target.id] = (bound.value.value.id, bound.slice.value)
    out = set()
    for n in ast.walk(fn):
        if not (isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)
                and n.value.id in lengths and isinstance(n.slice, ast.Tuple)):
            continue
        name, (ndim, _) = n.value.id, lengths[n.value.id]
        elts = n.slice.elts
        if len(elts) != ndim:
            continue
        last = elts[-1]
        if isinstance(last, ast.Constant) and type(last.value) is int or \
                isinstance(last, ast.Name) and (last.id in constant_loops or
                                                axis_loops.get(last.id) == (name, ndim - 1)):
            out.add(name)
    return out
