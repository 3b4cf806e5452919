"""A step-halving ``while`` inside a Newton ``while`` inside a loop over data
points: the last loop runs fused (each reverse iteration right after its
forward one), and the inner loop's trip count, set afresh in each Newton
iteration, is kept for each of them (planner.final_value_locals): the reverse
of every Newton iteration replays its own number of halvings.  Before, only
the last count was kept: a wrong gradient where an earlier iteration halved
more often, a pop from an empty list where it halved less often (found by a
new user's probe; the harness's converged Newton loop hid it, the derivative
of the root with respect to early iterates being about 0)."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def damped_newton(a, b, ys, x_init, maxit):
    m = ys.shape[0]
    loss = 0.0
    for k in range(m):
        y = ys[k]
        x = x_init
        r = x * x * x + a * x + b * math.sin(x) - y
        it = 0
        while abs(r) > 1e-12 and it < maxit:
            J = 3.0 * x * x + a + b * math.cos(x)
            step = r / J
            lam = 1.0
            xn = x - step
            rn = xn * xn * xn + a * xn + b * math.sin(xn) - y
            while abs(rn) >= abs(r) and lam > 1e-4:
                lam = 0.5 * lam
                xn = x - lam * step
                rn = xn * xn * xn + a * xn + b * math.sin(xn) - y
            x = xn
            r = rn
            it += 1
        loss += (x - 0.3 * y) ** 2
    return loss


def halvings(a, b, y, x, maxit):
    """The inner loop's trip count in each Newton iteration."""
    r = x ** 3 + a * x + b * math.sin(x) - y
    it, out = 0, []
    while abs(r) > 1e-12 and it < maxit:
        step = r / (3 * x * x + a + b * math.cos(x))
        lam, c = 1.0, 0
        xn = x - step
        rn = xn ** 3 + a * xn + b * math.sin(xn) - y
        while abs(rn) >= abs(r) and lam > 1e-4:
            lam *= 0.5
            xn = x - lam * step
            rn = xn ** 3 + a * xn + b * math.sin(xn) - y
            c += 1
        out.append(c)
        x, r = xn, rn
        it += 1
    return out


# (counts [4, 3, 1]: an earlier iteration halved more often than the last one;
# [4, 5]: less often; several points of different counts)
CASES = [(1.0, -3.0, np.array([-28.0]), 0.0, 3), (1.0, -3.0, np.array([-23.0]), 0.0, 2),
         (1.0, -3.0, np.array([-28.0, -23.0, 2.0]), 0.0, 3)]


def test_the_cases_halve_differently():
    assert halvings(1.0, -3.0, -28.0, 0.0, 3) == [4, 3, 1]
    assert halvings(1.0, -3.0, -23.0, 0.0, 2) == [4, 5]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("args", CASES, ids=["more_first", "fewer_first", "three_points"])
def test_gradient_matches_finite_differences(args, target):
    check_grad(damped_newton, args, wrt=(0, 1), target=target)


def test_the_inner_trip_count_is_kept_per_newton_iteration():
    text = sd.grad(damped_newton, wrt=(0, 1), target="python").source_for(*CASES[0])
    assert "fused" in text
    assert re.search(r"_saved_n\d+\[_saved_n\d+_top\] = _n\d+", text), text
