"""Arrays made from differentiated numbers: ``np.full(shape, a)`` and
``np.arange(start, stop, step)`` with float arguments. Both were declared
without a derivative and gave a zero gradient silently (found by a new user).
Checked against central finite differences, reverse and forward mode."""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad, numeric_grad


def filled(a):
    return np.sum(np.full(3, a) ** 2)               # 6 a


def filled_in_loop(x, a):
    s = 0.0
    for i in range(3):
        h = np.full(x.shape, a)
        s += np.sum(h * x)
    return s


def ranged(a, b):
    return np.sum(np.sin(np.arange(a, 5.0, b)))     # start a, step b


def ranged_from(a):
    return np.sum(np.arange(a, a + 3.0) ** 2)       # the stop only sets the count


def ranged_integers(x):
    return np.sum(np.arange(4) * x)


CASES = [(filled, (1.5,), 0), (filled_in_loop, (np.array([1.0, 2.0]), 0.5), (0, 1)),
         (ranged, (0.3, 0.7), (0, 1)), (ranged_from, (0.3,), 0),
         (ranged_integers, (np.array([1.0, -1.0, 2.0, 0.5]),), 0)]


# every case on the python target; the rules' code compiled for cpu in two of them
RUNS = [(c, "python") for c in CASES] + [(CASES[1], "cpu"), (CASES[2], "cpu")]


@pytest.mark.parametrize("case, target", RUNS, ids=[f"{c[0].__name__}-{t}" for c, t in RUNS])
def test_gradient_matches_finite_differences(case, target):
    f, args, wrt = case
    check_grad(f, args, wrt=wrt, target=target)


def test_closed_forms():
    assert sd.grad(filled, target="python")(1.5) == pytest.approx(9.0)
    assert sd.grad(ranged_from, target="python")(0.3) == pytest.approx(7.8)


@pytest.mark.parametrize("case", CASES[:4], ids=[c[0].__name__ for c in CASES[:4]])
def test_forward_mode(case):
    f, args, wrt = case
    wrt = wrt if isinstance(wrt, tuple) else (wrt,)
    tangents = tuple(np.ones_like(args[k]) if isinstance(args[k], np.ndarray) else 0.5
                     for k in wrt)
    _, got = sd.jvp(f, wrt=wrt, target="python")(*args, tangents)
    grads = numeric_grad(f, args, wrt)
    want = sum(np.sum(np.asarray(g) * t) for g, t in zip(grads, tangents))
    assert got == pytest.approx(want, rel=1e-6)
