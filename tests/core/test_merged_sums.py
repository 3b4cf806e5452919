"""Sums over the same row temporaries in one loop body run as one element loop
(passes/lower.py): two groups sharing temporaries merge unless one reads what
the block computes from the other's sums *before* its own last member (not
after it, for the next iteration: ``th -= d[0]`` at the end of an IRLS step),
and a number computed from a sum between two of them (``A_00 = _t34``, with
the small matrix ``A`` as numbers) runs after the merged loop where no later
member reads it (``_sinkable``).  A robust rigid registration written with
eight ``np.sum`` over its residuals ran eight loops, each recomputing them,
forward and reverse: 4.8x its primal, now 1.05x."""
from __future__ import annotations

import ast
import math

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def rigid_step(src, dst, k, iters):
    """Gauss-Newton with Huber weights on a 2-d pose (theta, tx)."""
    th = 0.0
    tx = 0.0
    A = np.empty((2, 2))
    g = np.empty(2)
    for it in range(iters):
        c = math.cos(th)
        s = math.sin(th)
        rx = c * src[:, 0] - s * src[:, 1] + tx - dst[:, 0]
        ry = s * src[:, 0] + c * src[:, 1] - dst[:, 1]
        rn = np.sqrt(rx * rx + ry * ry + 1e-12)
        w = np.minimum(1.0, k / rn)
        jx = -s * src[:, 0] - c * src[:, 1]
        jy = c * src[:, 0] - s * src[:, 1]
        A[0, 0] = np.sum(w * (jx * jx + jy * jy)) + 1.0
        A[0, 1] = np.sum(w * jx)
        A[1, 0] = A[0, 1]
        A[1, 1] = np.sum(w) + 1.0
        g[0] = np.sum(w * (jx * rx + jy * ry))
        g[1] = np.sum(w * rx)
        d = np.linalg.solve(A, g)
        th -= d[0]
        tx -= d[1]
    return th * th + tx


def sum_between(x, c, iters):
    """``a2`` is computed from the first sum between the two: it runs after the
    merged loop, which no later member needs it in."""
    a = 0.0
    b = 0.0
    for it in range(iters):
        r = x[:, 0] * c + a
        s1 = np.sum(r * r)
        a2 = s1 * 0.001
        s2 = np.sum(r * x[:, 1])
        b = b + a2 * s2
        a = a2 * 0.5
    return a + b


def sum_read_inside(x, c, iters):
    """``t`` is read by the second sum's elements: two loops, as before."""
    a = 0.0
    for it in range(iters):
        r = x[:, 0] * c + a
        s1 = np.sum(r * r)
        t = s1 * 0.01
        s2 = np.sum(r * x[:, 1] * t)
        a = 0.1 * s2
    return a


def stores_between(X, mu, w):
    """Each sum stored into an element of a local array: the stores run after
    the row's one loop (no member reads ``out``)."""
    n = X.shape[0]
    out = np.empty((n, 2))
    s = 0.0
    for i in range(n):
        d = X[i] - mu
        out[i, 0] = np.sum(d * d)
        out[i, 1] = np.sum(d * w)
        s += out[i, 0] * out[i, 1]
    return np.sum(out * out) + s


RNG = np.random.default_rng(20261210)
_SRC = RNG.normal(size=(9, 2))
_DST = _SRC @ np.array([[0.96, -0.28], [0.28, 0.96]]) + RNG.normal(scale=0.1, size=(9, 2))
CASES = [
    (rigid_step, (_SRC, _DST, 0.3, 3), (0, 1, 2)),
    (sum_between, (RNG.normal(size=(6, 2)), 0.7, 3), (0, 1)),
    (sum_read_inside, (RNG.normal(size=(6, 2)), 0.7, 3), (0, 1)),
    (stores_between, (RNG.normal(size=(5, 3)), RNG.normal(size=3), RNG.normal(size=3)),
     (0, 1, 2)),
]
IDS = [c[0].__name__ for c in CASES]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f,args,wrt", CASES, ids=IDS)
def test_gradients_match_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def _element_loops_per_iteration(f, args, wrt):
    """The loops directly inside the first loop of the primal function."""
    text = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    primal = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef))
    outer = next(n for n in primal.body if isinstance(n, ast.For))
    return [s for s in outer.body if isinstance(s, ast.For)]


@pytest.mark.parametrize("f,args,wrt,loops", [
    (*CASES[0], 1), (*CASES[1], 1), (*CASES[2], 2), (*CASES[3], 1)], ids=IDS)
def test_sums_over_the_same_rows_share_a_loop(f, args, wrt, loops):
    assert len(_element_loops_per_iteration(f, args, wrt)) == loops


def test_values_agree_with_numpy():
    for f, args, wrt in CASES:
        value, _ = sd.value_and_grad(f, wrt=wrt, target="cpu")(*args)
        assert value == pytest.approx(f(*args), rel=1e-12)
