"""``if c: A; continue`` in a loop's own body becomes ``if c: A else: <the rest of
the body>`` (``if not c: <the rest>`` where A is empty), with no flag
(passes/normalize.py ``_skips_as_branches``): a flag set in two places was stored
per iteration for the reverse sweep (a pair loop's ``if j == i: continue``: one
value per pair), where the test is recomputed, and a ``while`` loop with a
``continue`` kept its values in lists (an adaptive step's rejection).  Other
jumps keep their flags.  Gradients against central differences on both
targets."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def pair_energy(pos, eps):
    n = pos.shape[0]
    e = 0.0
    for i in range(n):
        for j in range(n):
            if j == i:
                continue
            r = math.sqrt((pos[i, 0] - pos[j, 0]) ** 2 + (pos[i, 1] - pos[j, 1]) ** 2)
            if r > 1.5:
                continue
            e += eps * (1.5 - r) ** 2
    return e


def skip_then_break(x, c):
    """A skip, then a ``break`` in the rest: the break keeps its flags."""
    total = 0.0
    k = 0
    while k < x.shape[0]:
        k += 1
        if x[k - 1] < 0.0:
            continue
        total += math.tanh(c * x[k - 1]) * total + x[k - 1]
        if total > 3.0:
            break
    return total


def nested_skip(x, c):
    """A ``continue`` ending a branch with other statements: the rest in ``else``."""
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0.5:
            s += c * x[i]
            continue
        s = s * c + x[i] ** 2
    return s


def deep_skip(x, c):
    """A ``continue`` in a branch of a branch, followed by more of it: the flag stays."""
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            if x[i] > 0.5:
                continue
            s += c * x[i]
        s = s * c + x[i] ** 2
    return s


def rejected_steps(a0, k, tol, t_end):
    """An adaptive Heun step whose rejection halves the step and tries again."""
    a, t, h = a0, 0.0, 0.1
    while t < t_end:
        if t + h > t_end:
            h = t_end - t
        fa = -k * a * a
        ea = a + h * fa
        na = a + 0.5 * h * (fa - k * ea * ea)
        err = abs(na - ea)
        if err > tol:
            h = 0.5 * h
            continue
        t += h
        a = na
        h = h * min(2.0, max(0.2, 0.9 * math.sqrt(tol / max(err, 1e-300))))
    return a


def accepted_steps(a0, k, tol, t_end):
    """``rejected_steps`` written with ``else``."""
    a, t, h = a0, 0.0, 0.1
    while t < t_end:
        if t + h > t_end:
            h = t_end - t
        fa = -k * a * a
        ea = a + h * fa
        na = a + 0.5 * h * (fa - k * ea * ea)
        err = abs(na - ea)
        if err > tol:
            h = 0.5 * h
        else:
            t += h
            a = na
            h = h * min(2.0, max(0.2, 0.9 * math.sqrt(tol / max(err, 1e-300))))
    return a


POS = np.array([[0.0, 0.1], [0.7, 0.2], [0.4, 0.9], [1.6, 1.2], [1.1, 0.5]])
X = np.array([0.3, -0.2, 0.8, 0.6, -0.1, 0.9, 0.4])
CASES = [(pair_energy, (POS, 0.8), (0, 1)), (skip_then_break, (X, 0.9), (0, 1)),
         (skip_then_break, (X * 3.0, 0.9), (0, 1)), (nested_skip, (X, 0.7), (0, 1)),
         (deep_skip, (X, 0.7), (0, 1)), (rejected_steps, (1.0, 2.0, 1e-4, 3.0), (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES)
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def _source(f, args, wrt):
    return sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)


def _flags(text, kind) -> set:
    return set(re.findall(rf"\b_{kind}\d+\b", text))


def test_a_skip_at_the_top_of_a_body_needs_no_flag_and_no_tape():
    text = _source(pair_energy, (POS, 0.8), (0, 1))
    assert not _flags(text, "skip"), text
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "stored: nothing" in plan, plan


def test_other_jumps_keep_their_flags():
    assert _flags(_source(skip_then_break, (X, 0.9), (0, 1)), "exit")
    assert _flags(_source(deep_skip, (X, 0.7), (0, 1)), "skip")
    assert not _flags(_source(nested_skip, (X, 0.7), (0, 1)), "skip")


def test_a_rejected_step_is_planned_as_its_else_form():
    args = (1.0, 2.0, 1e-4, 3.0)
    plans = []
    for f in (rejected_steps, accepted_steps):
        text = _source(f, args, (0, 1))
        plan = text[text.index("# Plan:"):text.index("# -- ")]
        plans.append(re.sub(r"line \d+|lines [\d, ]+", "line", plan))
    assert plans[0] == plans[1], plans
    assert _flags(_source(rejected_steps, args, (0, 1)), "skip") == \
        _flags(_source(accepted_steps, args, (0, 1)), "skip")
