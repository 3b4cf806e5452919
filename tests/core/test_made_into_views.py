"""An adjoint made whole in one statement, then added into a view of another
adjoint, is added into the view as it is made (passes/view_adjoints.py,
``_made_into_views``): the prefix ``K[:t + 1]`` and the row ``Q[t]`` of a causal
attention step.  Written with the views bound to names, their adjoints were
buffers the view binding already took; written inline (``np.dot(K[:t + 1],
Q[t])``), each was an outer product made and then added.  Both styles now give
the same adds.  Gradients against central differences in both styles; the
generated lines; and the cases the pass must leave alone, on the statements."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import sourcediff as sd
from sourcediff import ir
from sourcediff.passes.view_adjoints import bind_view_adjoints
from tests.fdcheck import case_id, check_grad


def prefix_attention(Wq, Wk, Wv, X):
    Q = X @ Wq
    K = X @ Wk
    V = X @ Wv
    loss = 0.0
    for t in range(X.shape[0]):
        s = np.dot(K[:t + 1], Q[t])
        a = np.exp(s - np.max(s))
        a = a / np.sum(a)
        o = np.dot(a, V[:t + 1])
        loss += np.sum(o * o)
    return loss


def prefix_attention_named(Wq, Wk, Wv, X):
    # (the same math: the rows and prefixes bound to names, @ for np.dot)
    Q = X @ Wq
    K = X @ Wk
    V = X @ Wv
    loss = 0.0
    for t in range(X.shape[0]):
        keys = K[:t + 1]
        q = Q[t]
        s = keys @ q
        m = np.max(s)
        a = np.exp(s - m)
        total = np.sum(a)
        a = a / total
        values = V[:t + 1]
        o = a @ values
        loss += np.sum(o * o)
    return loss


rng = np.random.default_rng(57)
X = rng.normal(size=(6, 3))
WQ, WK, WV = (rng.normal(size=(3, 2)) for _ in range(3))

CASES = [(prefix_attention, (WQ, WK, WV, X), (0, 1, 2, 3), "python"),
         (prefix_attention, (WQ, WK, WV, X), (0, 1, 2, 3), "cpu"),
         (prefix_attention_named, (WQ, WK, WV, X), (0, 1, 2, 3), "cpu")]


@pytest.mark.parametrize("f, args, wrt, target", CASES, ids=case_id)
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def _lines(f, args, wrt):
    source = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    return [line.strip() for line in source[source.index("_grad("):].splitlines()]


@pytest.mark.parametrize("f", [prefix_attention, prefix_attention_named])
def test_prefix_adjoints_are_added_where_they_are_made(f):
    lines = _lines(f, (WQ, WK, WV, X), (0, 1, 2, 3))
    for view in ("dK[:t + 1]", "dV[:t + 1]", "dQ[t]"):
        assert any(line.endswith(f" = {view}") for line in lines), (view, lines)
    assert not any("outer_product(" in line or line.startswith("add_into(")
                   for line in lines), lines
    # the rank-one adds are the two loops over the prefix's rows and columns
    assert sum(line.startswith("for row in range(") for line in lines) == 2, lines


# -- the pass on statements: what it must leave alone --------------------------------

def _rev(text):
    """Parsed statements; each ``T[...] += v`` marked as an add into a view."""
    stmts = ast.parse(text).body
    for block in [stmts] + [s.body for s in stmts if isinstance(s, ast.For)]:
        for s in block:
            if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Subscript):
                ir.ARRAY.set(s, True)
    return stmts


def _after(text, body=""):
    rev = _rev(text)
    module = ast.Module(body=bind_view_adjoints(ast.parse(body).body, rev)[1], type_ignores=[])
    return ast.unparse(ast.fix_missing_locations(module))


def test_the_add_goes_into_the_view():
    got = _after("for t in range(n):\n"
                 "    _dt5 = ds * q\n"
                 "    dK[:t + 1] += _dt5\n")
    assert got == ("for t in range(n):\n"
                   "    _dt5 = dK[:t + 1]\n"
                   "    _dt5 += ds * q")


def test_a_copy_made_to_keep_the_adjoint_apart_is_not_made():
    got = _after("_dt6 = fresh(reshape_like(_dt7, w))\n"
                 "dw[:] += _dt6\n")
    assert got == ("_dt6 = dw[:]\n"
                   "_dt6 += reshape_like(_dt7, w)")


@pytest.mark.parametrize("text, body", [
    # the value reads the view's array
    ("_dt5 = ds * dK[0]\ndK[1:] += _dt5\n", ""),
    # ... or a name bound to a view of it
    ("_dt5 = ds * r\ndK[1:] += _dt5\n", "r = dK[0]\n"),
    # a statement between touches the array (or a view of it), or rebinds the index
    ("_dt5 = ds * q\ndK[0] = 1.0\ndK[1:] += _dt5\n", ""),
    ("_dt5 = ds * q\ns = np.sum(r)\ndK[1:] += _dt5\n", "r = dK[0]\n"),
    ("_dt5 = ds * q\nt = t + 1\ndK[:t] += _dt5\n", ""),
    # the adjoint is read again
    ("_dt5 = ds * q\ndK[1:] += _dt5\ns = np.sum(_dt5)\n", ""),
])
def test_left_alone(text, body):
    assert _after(text, body) == ast.unparse(_rev(text))
