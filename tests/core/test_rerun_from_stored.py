"""What a loop body computes from a float it set before (and that is stored,
put back after its last reader) is re-run, not stored (passes/rerun.py
``_set_once_at_top``); a division from it stays stored in an array tape but
is re-run where the tape would be a list.  Plans, tapes and gradients."""
from __future__ import annotations

import math

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def shrink_levels(x, thr, levels):
    """Smooth garrote shrinkage in place, level after level of a while loop (no
    counted one): ``d`` is read from what the loop overwrites, so it is stored."""
    c = x.copy()
    m = c.shape[0]
    lev = 0
    while lev < levels and m > 1:
        for k in range(m // 2, m):
            d = c[k]
            c[k] = d * d * d / (d * d + thr * thr)
        m = m // 2
        lev += 1
    return np.sum(c * c)


def shrink_steps(x, thr, steps):
    """The same in a counted loop: array tapes."""
    c = x.copy()
    for t in range(steps):
        for k in range(c.shape[0]):
            d = c[k]
            q = d * d
            c[k] = q * d / (q + thr * thr) + math.sin(d)
    return np.sum(c * c)


def elimination(a, b, rhs, steps):
    """A forward elimination (Thomas) sweep: ``den`` is re-run from the stored
    ``cp[i - 1]``, the quotients stay stored."""
    n = rhs.shape[0]
    cp = np.zeros(n)
    u = rhs.copy()
    for t in range(steps):
        cp[0] = 0.3 / b
        for i in range(1, n):
            den = b - a * cp[i - 1]
            cp[i] = 0.3 / den
            u[i] = (u[i] - a * u[i - 1]) / den
    return np.sum(u * u)


rng = np.random.default_rng(21)
CASES = [(shrink_levels, (rng.standard_normal(16), 0.4, 3), (0, 1)),
         (shrink_steps, (0.5 * rng.standard_normal(7), 0.4, 3), (0, 1)),
         (elimination, (0.4, 2.5, rng.standard_normal(6), 2), (0, 1, 2))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def _plan(case):
    f, args, wrt = case
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return text[text.index("# Plan:"):text.index("# -- ")], text


def test_products_of_a_stored_float_are_re_run_in_a_while_loop():
    plan, text = _plan(CASES[0])
    assert "and 'd' (line " in plan and "), set before them in the body and put back" in plan
    # d itself on a list; none of the products, nor the quotient (a list push costs more)
    saved = [line for line in text.splitlines() if ".append(" in line]
    assert any("_saved_d.append(d)" in line for line in saved)
    assert len({line.strip() for line in saved}) == len(
        {line.strip() for line in saved if "_saved_d" in line or "lev" in line or
         "_saved_m" in line})


def _reverse_code(text) -> list:
    return [line.strip() for line in text.split("# -- reverse sweep", 1)[1].splitlines()
            if not line.strip().startswith("#")]


def test_a_quotient_from_it_stays_in_an_array_tape():
    plan, text = _plan(CASES[1])
    assert "and 'd' (line " in plan and "), set before them in the body and put back" in plan
    assert "allocated once (loaded where the reverse iteration starts): 1 temporary of line 38" \
        in plan                                                     # the quotient stored
    assert "not stored twice): 'd' (line 36)" in plan               # d: the element saved
    reverse = _reverse_code(text)
    assert "q = d * d" in reverse and "_t3 = q + _t2" in reverse     # products re-run
    assert "_t4 = _saved_t4[t, k]" in reverse                        # the quotient read back


def test_a_division_chain_does_not_pull_in_a_re_run_of_its_operands():
    _, text = _plan(CASES[2])
    reverse = _reverse_code(text)
    assert "den = b - _t4" in reverse                    # re-run from cp[i - 1], stored
    assert "_saved_den" not in text
    assert not any("0.3 / den" in line or "/ den" in line and "_dx" not in line
                   for line in reverse)                  # the quotients are read back
