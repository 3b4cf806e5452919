"""A ``while`` loop whose body starts with ``if b: break`` is the loop
``while c and not b`` (normalize._exits_in_test): a search written either way
is the same loop, tested at the end of its body, nothing of it guarded by a
flag (the break form stored a flag per trip on a list and replayed the search
in reverse).  Gradients against central differences (python target: the
rewrite is made before any target's code; tests/core/test_while_loops.py
compiles while loops tested at the end); the forms get the same plan."""
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

import sourcediff as sd


def search_break(x, xs, ys):
    s = 0.0
    j = 0
    for i in range(x.shape[0]):
        while j < xs.shape[0] - 2:
            if xs[j + 1] >= x[i]:
                break
            j += 1
        t = (x[i] - xs[j]) / (xs[j + 1] - xs[j])
        s += math.sin((1.0 - t) * ys[j] + t * ys[j + 1])
    return s


def search_test(x, xs, ys):
    s = 0.0
    j = 0
    for i in range(x.shape[0]):
        while j < xs.shape[0] - 2 and xs[j + 1] < x[i]:
            j += 1
        t = (x[i] - xs[j]) / (xs[j + 1] - xs[j])
        s += math.sin((1.0 - t) * ys[j] + t * ys[j + 1])
    return s


def search_forever(x, xs, ys):
    """``while True`` with two exits up front: ``while not a and not b``."""
    s = 0.0
    j = 0
    for i in range(x.shape[0]):
        while True:
            if j >= xs.shape[0] - 2:
                break
            if xs[j + 1] >= x[i]:
                break
            j += 1
        t = (x[i] - xs[j]) / (xs[j + 1] - xs[j])
        s += math.sin((1.0 - t) * ys[j] + t * ys[j + 1])
    return s


RNG = np.random.default_rng(21)
ARGS = (np.sort(RNG.uniform(0.05, 0.95, 7)), np.linspace(0.0, 1.0, 6), RNG.standard_normal(6))


@pytest.mark.parametrize("f", [search_break, search_test, search_forever],
                         ids=lambda f: f.__name__)
def test_gradient_matches_finite_differences(f):
    check_grad(f, ARGS, wrt=(0, 2), target="python")


def plan(f):
    """The plan's lines, numbers (lines, temporaries) left out."""
    text = sd.grad(f, wrt=(0, 2), target="python").source_for(*ARGS)
    return [re.sub(r"\d+", "#", line.strip()) for line in text.splitlines()
            if line.strip().startswith("#   ")]


def test_the_break_form_is_the_tested_form():
    assert plan(search_break) == plan(search_test) == plan(search_forever)
    assert not any("list" in line for line in plan(search_break))
