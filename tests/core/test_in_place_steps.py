"""A time step's ``x = x + dx`` of a local array whose buffer is its own becomes
a store into that buffer, lowered with the step's temporaries into one element
loop (passes/lower.py ``_carry_in_place``; masks and ``np.where`` are element
operations there): gradients against central differences, the code written,
and the forms where the array must stay rebound."""
from __future__ import annotations

import ast
import re

import numpy as np
import pytest

import sourcediff as sd
from tests.core import in_place_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(5)
NDAYS, NF = 6, 5
CROP = (6.0, 0.03, rng.uniform(0.1, 0.3, NF), 12.0 + 6.0 * rng.random((NDAYS, NF)),
        15.0 + 5.0 * rng.random(NDAYS), 0.02 * rng.random((NDAYS, NF)), 0.15)
U = rng.uniform(-1.0, 1.0, 40)     # (not a small array: passes/small_arrays.py)

IN_PLACE = [(P.crop, CROP, (0, 1, 2, 3, 5, 6)),
            (P.seir, (0.3, 0.1, rng.uniform(0.5, 1.0, 40), rng.uniform(0.0, 0.1, 40), 5),
             (0, 1, 2, 3)),
            (P.descent, (rng.normal(size=(30, 20)) / 5.0, rng.normal(size=30),
                         rng.normal(size=20), 0.1, 4), (0, 1, 2, 3))]
REBOUND = [(P.kept_alias, (U, 0.3, 4), (0, 1)),
           (P.kept_view, (U, 0.7, 4), (0, 1)),
           (P.kept_past_iterations, (U, 0.3, 4), (0, 1)),
           (P.argument_buffer, (U, 0.6, 3), (0, 1)),
           (P.first_bound_in_loop, (U, 3), 0),
           (P.longer_state, (np.array([0.4]), rng.uniform(0.5, 1.0, 4), 3), (0, 1))]


def _ids(case):
    return getattr(case, "__name__", "")


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", IN_PLACE + REBOUND, ids=_ids)
def test_gradient_matches_finite_differences(f, args, wrt, target):
    before = [np.copy(a) for a in args]
    check_grad(f, args, wrt=wrt, target=target)
    # (nothing stored into the caller's arrays)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)


def _source(f, args, wrt):
    return sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)


def _function(text, name):
    tree = ast.parse(text)
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)


def _time_loop(fn):
    return next(n for n in fn.body if isinstance(n, ast.For))


@pytest.mark.parametrize("f, args, wrt, states", [
    (*IN_PLACE[0], ("gdd", "water", "bio", "lai")), (*IN_PLACE[1], ("S", "I", "R")),
    (*IN_PLACE[2], ("x",))], ids=["crop", "seir", "descent"])
def test_the_states_are_stored_into_by_element_loops(f, args, wrt, states):
    text = _source(f, args, wrt)
    loop = ast.unparse(_time_loop(_function(text, f.__name__)))
    for x in states:
        assert re.search(rf"\b{x}\[\w+\] = ", loop), (x, loop)
        assert not re.search(rf"^\s*{x} = ", loop, re.MULTILINE), (x, loop)
    # one element loop does the step: no array made per step, in either sweep
    for call in ("np.empty_like(", "np.where(", "select(", "np.minimum(water", "np.exp(lai"):
        assert call not in loop, loop
    grad = _function(text, f"{f.__name__}_grad")
    sweep = "\n".join(ast.unparse(n) for n in grad.body if isinstance(n, ast.For))
    assert ".append(" not in sweep and "zeros_like" not in sweep, sweep


@pytest.mark.parametrize("f, args, wrt", REBOUND, ids=_ids)
def test_arrays_another_name_may_hold_stay_rebound(f, args, wrt):
    text = _source(f, args, wrt)
    loop = ast.unparse(_time_loop(_function(text, f.__name__)))
    target = "v" if f is P.first_bound_in_loop else "u"
    assert not re.search(rf"\b{target}\[\w+\] = ", loop), loop


def test_the_specialization_on_equal_axes_is_part_of_the_key():
    """A call whose field count differs from the initial state's length (which
    NumPy broadcasts from one field) gets code of its own, not the element loop
    of the equal-length call."""
    # (the key is the same on every target: the values are checked on the python target,
    # whose code is the cpu target's source, and the one-field call's gradient compiled;
    # the equal-length call's compiled gradient is test_gradient_matches_finite_differences's)
    wrt = IN_PLACE[0][2]
    g = sd.value_and_grad(P.crop, wrt=wrt, target="python")
    value, _ = g(*CROP)
    one = list(CROP)
    one[2] = CROP[2][:1]
    value1, _ = g(*one)
    assert value == pytest.approx(P.crop(*CROP), rel=1e-12)
    assert value1 == pytest.approx(P.crop(*one), rel=1e-12)
    check_grad(P.crop, tuple(one), wrt=wrt, target="cpu")


READ_BACK = [(P.tanh_state, (0.3 * rng.normal(size=(20, 20)) / 4.0, rng.normal(size=(6, 20))), 0),
             (P.stored_twice, (U, 0.7, 3), (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", READ_BACK, ids=_ids)
def test_values_read_back_from_the_array_they_are_stored_into(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)
    text = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    if f is P.tanh_state:
        assert "read back, not stored: 1 value of line" in plan and "temporar" not in plan
    else:           # (written twice: the first value keeps its slot)
        assert "read back" not in plan and "'v'" in plan


ISTA = (rng.normal(size=(30, 20)) / 5.0, rng.normal(size=30), 0.05, 0.3, 6, 1e-12)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_an_iterate_kept_under_another_name_gets_a_new_buffer_each_step(target):
    check_grad(P.ista, ISTA, wrt=(0, 1, 2), target=target)
    text = _source(P.ista, ISTA, (0, 1, 2))
    loop = ast.unparse(next(n for n in ast.walk(_function(text, "ista"))
                            if isinstance(n, ast.While)))
    assert "_x_new = np.empty_like(x)" in loop and re.search(r"_x_new\[\w+\] = ", loop)
    assert "x = _x_new" in loop and "np.maximum(_t" not in loop.split("for ", 1)[0]
    assert not re.search(r"\bx\[\w+\] = ", loop)       # (x_old holds the old array)
