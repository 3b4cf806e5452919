"""Values a branch computes are re-run where the reverse of that branch starts
instead of stored (passes/rerun.py ``_branches``): in an ``if`` nested in
another branch (a kernel's ``if q < 1.0`` inside a pair loop's ``if j != i``),
a read of a row the pair loop does not change (``x[i, 0]``: the same for every
``j``, not for every ``i``) and a math function of them (``math.sqrt``), unless
the loop's tape holds one iteration (a fused loop, where storing the value
costs a register).  Gradients against central differences on both targets,
the plan, and the values that must still be stored."""
from __future__ import annotations

import math

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def densities(x0, h, steps):
    """SPH-like: a cubic-spline density per particle from all others, nested
    branches on the scaled distance; the positions move with the densities."""
    x = x0.copy()
    n = x.shape[0]
    rho = np.empty(n)
    total = 0.0
    for t in range(steps):
        for i in range(n):
            s = 1.0
            for j in range(n):
                if j != i:
                    dx = x[i, 0] - x[j, 0]
                    dy = x[i, 1] - x[j, 1]
                    q = math.sqrt(dx * dx + dy * dy) / h
                    if q < 1.0:
                        s += 1.0 - 1.5 * q * q + 0.75 * q * q * q
                    elif q < 2.0:
                        s += 0.25 * (2.0 - q) ** 3
            rho[i] = s
        for i in range(n):
            x[i, 0] += 0.01 * rho[i]
            total += rho[i] * rho[i]
    return total


def helper_kernel(r, h):
    q = r / h
    if q < 1.0:
        return 1.0 - q * q
    return 0.0


def pair_energy(x, h):
    """Pairs i < j, a helper kernel inlined: one branch in another."""
    e = 0.0
    n = x.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            d = x[i] - x[j]
            if d > -10.0:
                r = math.sqrt(d * d + 0.1)
                e += helper_kernel(r, h) * r
    return e


def logistic(x, w):
    """A fused loop (each reverse iteration right after its forward one): its
    exp stays stored, one iteration's worth, not re-run."""
    loss = 0.0
    for i in range(x.shape[0]):
        m = w * x[i]
        if m > 0.0:
            loss += math.log1p(math.exp(-m))
        else:
            loss += -m + math.log1p(math.exp(m))
    return loss


rng = np.random.default_rng(11)
X2 = rng.random((6, 2)) * 1.5
CASES = {
    "densities": (densities, (X2, 0.7, 2), (0, 1)),
    "pair_energy": (pair_energy, (rng.standard_normal(7), 1.3), (0, 1)),
    "logistic": (logistic, (rng.standard_normal(9), 0.8), (0, 1)),
}


@pytest.mark.parametrize("name", CASES)
def test_gradient_matches_finite_differences(name):
    f, args, wrt = CASES[name]
    check_grad(f, args, wrt=wrt, target="python")


@pytest.mark.parametrize("name", ["densities", "pair_energy"])
def test_compiled(name):
    f, args, wrt = CASES[name]
    check_grad(f, args, wrt=wrt, target="cpu")


def source(name, target="python"):
    f, args, wrt = CASES[name]
    return sd.grad(f, wrt=wrt, target=target).source_for(*args)


def plan_lines(text):
    return [line for line in text.splitlines() if line.startswith("    #   ")]


def test_the_pair_loop_stores_nothing_per_pair():
    text = source("densities", "cpu")
    # the distance, its square root, the kernel's powers in both nested branches:
    # recomputed, none of them stored per pair (x[i, 0] is re-read, not saved before
    # each overwrite of its temporary)
    stored = [line for line in plan_lines(text) if "stored" in line]
    assert len(stored) == 2 and all("elements of" in line for line in stored), stored
    assert "recomputed where the reverse of their branch starts, in the loop at line 30: " \
           "17 values of lines 32, 33, 34, 35, 36, 37, 38" in text
    assert "_saved_t" not in text


def test_a_fused_loop_keeps_its_exp():
    text = source("logistic", "cpu")
    assert "fused: the loop at line" in text
    # one exp per branch in the forward part of the fused iteration, none again
    assert sum(" = math.exp(" in line for line in text.splitlines()) == 2 + 2   # (+ primal)
