"""Copies of adjoint arrays only where they can be observed (passes/copies.py).

The rewrite is checked on statements written out here (the cases where the
copy must stay included), then end to end: a neural ODE's adjoint has no
copy per step and still matches finite differences; a program whose shared
adjoint is added into before its last read keeps the copy.
"""
from __future__ import annotations

import ast

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.passes.copies import drop_needless_copies
from tests.core import copy_programs as P
from tests.fdcheck import check_grad


def rewritten(code: str) -> str:
    return ast.unparse(ast.Module(body=drop_needless_copies(ast.parse(code).body),
                                  type_ignores=[]))


def test_copy_read_at_once_goes():
    code = ("x = fresh(unbroadcast(d, t))\n"
            "h = saved.pop()\n"
            "d = unbroadcast(d, h)\n"
            "e += x * k\n"
            "d += y @ W")
    assert rewritten(code).splitlines()[0] == "x = unbroadcast(d, t)"


def test_copy_read_in_a_loop_body_goes():
    code = ("for t in range(n):\n"
            "    x = fresh(d)\n"
            "    e += -x\n"
            "    d += e")
    assert "fresh" not in rewritten(code)


@pytest.mark.parametrize("code", [
    "x = fresh(d)\nd += y\ne += x * k",                 # d written in place before the read
    "x = fresh(d)\nd[0] = 1.0\ne += x * k",             # an element of d written
    "x = fresh(d)\ne = x",                              # e would share d's memory
    "x = fresh(d)\ne += f(x)",                          # f might keep or write its argument
    "x = fresh(d)\nfor i in range(n):\n    e += x * k",  # read in another block
    "x = fresh(d)\ny = g(d)\ne += x * k",               # g might write d
    "x = fresh(d)\ne += x * k\nx = fresh(d)\ne += x",   # two bindings of x
    "for t in range(n):\n    e += x * k\n    x = fresh(d)\n    d += e",  # read across iterations
    "x = fresh(d)\nz = np.copyto(d, y)\ne += x * k",    # a NumPy call that writes
    "x = fresh(d)\ne += x * k\nd += y\nr = x + 1.0",    # a later read after d is written
])
def test_copy_stays_where_it_may_be_observed(code):
    assert rewritten(code).count("fresh(") == code.count("fresh(")


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_neural_ode_adjoint_copies_nothing_per_step(target):
    rng = np.random.default_rng(3)
    args = (0.5 * rng.standard_normal((4, 4)), rng.standard_normal(4), 0.1, 6)
    source = sd.grad(P.neural_ode, wrt=(0, 1), target=target).source_for(*args)
    assert "fresh(" not in source
    check_grad(P.neural_ode, args, wrt=(0, 1), target=target)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_shared_adjoint_added_into_keeps_its_copy(target):
    rng = np.random.default_rng(4)
    args = (rng.standard_normal(5), rng.standard_normal(5))
    source = sd.grad(P.shared_then_added, wrt=(0, 1), target=target).source_for(*args)
    # the copy, or (fused into one element loop, passes/array_loops.py) its element
    # taken before the loop's later statements add into the array
    assert "fresh(" in source or "dt1_j = dc[j]\n" in source, source
    check_grad(P.shared_then_added, args, wrt=(0, 1), target=target)
