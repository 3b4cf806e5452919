"""Whole-array adjoint statements over operands that broadcast run as one
element loop (passes/array_loops.py ``axis_keyed``, ``_Fuser.summed``): the
reverse of ``Xw = X * w[:, None]`` in an IRLS step was three passes over
``(n, d)`` arrays and two temporaries of that size (``unbroadcast(dXw * _t7,
X)``, ``unbroadcast(dXw * X, _t7)`` summed along the row, ``dXw[:] = 0``); it
is now one loop that reads ``_t7[j, 0]`` and adds into ``_dt7[j, 0]``.
Arrays of different shape keys whose axes' keys agree (``Xw`` and ``X``) are
of one shape."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def weighted_gram(X, w0, y, steps):
    """Rows weighted by ``w[:, None]`` (an IRLS step's normal equations)."""
    w = w0.copy()
    loss = 0.0
    for t in range(steps):
        Xw = X * w[:, None]
        A = Xw.T @ X
        r = Xw.T @ y
        loss += np.sum(A * A) + np.sum(r)
        w[:] = np.tanh(w + 0.1 * (Xw @ r))
    return loss


def column_scaled(X, c, steps):
    """Columns scaled by a vector ``c`` of fewer axes (summed over the rows)."""
    Y = X.copy()
    loss = 0.0
    for t in range(steps):
        Z = Y * c
        G = Z @ Z.T
        loss += np.sum(G * G)
        Y[:] = np.tanh(Z)
    return loss


def centered(X, m0, steps):
    """Rows less a mean updated in place (its shape is not known here: the
    statements stay as they were)."""
    m = m0.copy()
    loss = 0.0
    for t in range(steps):
        Xc = X - m[None, :]
        C = Xc.T @ Xc
        loss += np.sum(C * C)
        m += 0.01 * np.sum(Xc, axis=0)
    return loss


RNG = np.random.default_rng(20261209)
_X = RNG.normal(size=(7, 3))
CASES = [
    (weighted_gram, (_X, RNG.uniform(0.5, 1.0, 7), RNG.normal(size=7), 3), (0, 1, 2)),
    (column_scaled, (_X, RNG.uniform(0.5, 1.0, 3), 3), (0, 1)),
    (centered, (_X, RNG.normal(size=3), 3), (0, 1)),
]
IDS = [c[0].__name__ for c in CASES]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f,args,wrt", CASES, ids=IDS)
def test_gradients_match_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


@pytest.mark.parametrize("f,args,wrt", CASES[:2], ids=IDS[:2])
def test_broadcast_adjoints_run_in_one_loop(f, args, wrt):
    text = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    reverse = text.split("-- reverse sweep")[-1]
    assert "unbroadcast(" not in reverse
    assert "whole-array statements as one loop" in reverse


def _zero_column(sub) -> bool:
    return isinstance(sub, ast.Subscript) and isinstance(sub.slice, ast.Tuple) and \
        any(isinstance(e, ast.Constant) and e.value == 0 for e in sub.slice.elts)


def test_weighted_rows_sum_into_their_column():
    """The weights' ``(n, 1)`` column is read at column 0 and its adjoint
    summed into column 0, in the loop over the ``(n, d)`` elements."""
    text = sd.value_and_grad(weighted_gram, wrt=(0, 1, 2), target="python").source_for(
        *CASES[0][1])
    fn = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)
              and n.name.endswith("_grad"))
    nests = [loop for loop in ast.walk(fn) if isinstance(loop, ast.For) and
             len(loop.body) == 1 and isinstance(loop.body[0], ast.For)]
    found = False
    for nest in nests:
        inner = nest.body[0].body
        sums = [s for s in inner if isinstance(s, ast.AugAssign) and _zero_column(s.target)]
        reads = [n for s in inner for n in ast.walk(s.value) if _zero_column(n)]
        found = found or bool(sums and reads)
    assert found, text


def test_transposed_views_add_into_their_array():
    """``A = Xw.T @ X`` and ``r = Xw.T @ y``: the adjoint of the view ``Xw.T`` is
    ``dXw.T`` (passes/view_adjoints.py), not a buffer of its own added into
    ``dXw`` through its transpose and zeroed in every reverse iteration; the
    loop that zeroes ``dXw`` still runs fused (no statement of it reads the
    views)."""
    text = sd.value_and_grad(weighted_gram, wrt=(0, 1, 2), target="python").source_for(
        *CASES[0][1])
    fn = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)
              and n.name.endswith("_grad"))
    adds = [s for s in ast.walk(fn) if isinstance(s, ast.AugAssign) and
            isinstance(s.value, ast.Attribute) and s.value.attr == "T"]
    assert not adds, [ast.unparse(s) for s in adds]
    views = [s for s in ast.walk(fn) if isinstance(s, ast.Assign) and
             isinstance(s.value, ast.Attribute) and s.value.attr == "T" and
             ast.unparse(s.value) == "dXw.T"]
    assert len(views) == 2
    zeroed = [s for s in ast.walk(fn) if isinstance(s, ast.Assign) and
              ast.unparse(s.targets[0]).startswith("dXw[") and ast.unparse(s.value) == "0.0"]
    assert zeroed and all(not isinstance(s.targets[0].slice, ast.Slice) for s in zeroed)
