"""Scalars a loop computes the same in every iteration (from values nothing
in the loop changes, or from other such scalars) are neither stored nor
recomputed (Planner.loop_invariants): the reverse sweep finds them where the
forward sweep left them.  Gradients against central differences, and the
plan that says so."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

import sourcediff as sd


def rates(x, p):
    r = p[0]
    k = p[1]
    return r * x * (1.0 - x / k), r * k


def adaptive(p, x0, t_end, h0):
    """A ``while`` loop calling a helper that reads parameters: their loads
    and products are the same in every trip."""
    x = x0
    h = h0
    t = 0.0
    acc = 0.0
    while t < t_end:
        f, rk = rates(x, p)
        scale = math.exp(-rk * 0.01)
        xn = x + h * f * scale
        if abs(xn - x) > 0.05:
            h = 0.5 * h
            continue
        acc += h * (x + xn)
        x = xn
        t += h
        h = min(1.5 * h, 0.2)
    return acc + x * x


def adaptive_flagged(p, x0, t_end, h0):
    """``adaptive`` with its ``continue`` one branch deeper: the loop keeps its
    flag, and the helper's loads are kept from the forward sweep."""
    x = x0
    h = h0
    t = 0.0
    acc = 0.0
    while t < t_end:
        f, rk = rates(x, p)
        scale = math.exp(-rk * 0.01)
        xn = x + h * f * scale
        if abs(xn - x) > 0.05:
            h = 0.5 * h
            if h > 0.0:
                continue
        acc += h * (x + xn)
        x = xn
        t += h
        h = min(1.5 * h, 0.2)
    return acc + x * x


def nested(a, w):
    """In a ``while`` loop (not a counted one): ``c`` reads the counter's row,
    it is stored; ``q`` reads only ``w``, it is not (recomputed)."""
    s = 0.0
    i = 0
    while i < a.shape[0] and s < 1e9:
        c = a[i, 0] * 2.0
        q = math.sin(w) * w
        s = s * math.cos(c * q) + c * q * a[i, 1]
        i += 1
    return s


CASES = [(adaptive, (np.array([0.8, 3.0]), 0.4, 4.0, 0.1), (0, 1)),
         (adaptive_flagged, (np.array([0.8, 3.0]), 0.4, 4.0, 0.1), (0, 1)),
         (nested, (np.random.default_rng(2).uniform(0.2, 1.0, (3, 4)), 0.7), (0, 1))]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt):
    check_grad(f, args, wrt=wrt, target="python")


def test_compiled():
    check_grad(*CASES[0][:2], wrt=CASES[0][2], target="cpu")


def plan(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return text, [line.strip() for line in text.splitlines() if line.strip().startswith("#   ")]


def test_the_helpers_parameter_loads_are_not_stored():
    # (the rejection's ``continue`` makes the rest of the body an ``else``: the loop is
    # then tested at the end of its body, and these values are recomputed in each
    # reverse trip from values the loop does not change)
    text, lines = plan(*CASES[0])
    stored = [line for line in lines if line.startswith("#   stored")]
    assert not any(f"'{name}'" in line for line in stored for name in ("r", "k", "scale"))
    assert "_saved_r" not in text and "_saved_scale" not in text and "_saved_k" not in text
    text, lines = plan(*CASES[1])
    same = [line for line in lines if line.startswith("#   neither stored nor recomputed")]
    assert len(same) == 1 and "'r'" in same[0] and "'k'" in same[0] and "'scale'" in same[0]
    assert "_saved_r" not in text and "_saved_scale" not in text
    # what the loop changes is still stored
    assert "_saved_x" in text and "_saved_h" in text


def test_a_value_read_from_what_the_loop_changes_is_stored():
    text, lines = plan(*CASES[2])
    stored = [line for line in lines if line.startswith("#   stored before each overwrite")]
    assert any("'c' (line" in line for line in stored)
    assert not any("'q'" in line or "line 53" in line for line in stored)
    assert "_saved_c" in text and "_saved_q" not in text
