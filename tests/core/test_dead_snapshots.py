"""A running sum inside an inner loop (``a += W[i, j] * h[j]``) is a number
the loop carries: it used to be snapshotted in each trip, and the reverse
sweep restored it where nothing read it (a leaky-ReLU RNN kept T*H*(H+nin)
values, 0.81 ms a gradient).  Those restores are found dead in the emitted
reverse sweep (passes/dead_restores.py) and the snapshots dropped
(``Planner.drop_dead_snapshots``): 0.32 ms, the same gradient."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def leaky_rnn(W, U, b, h0, alpha, xs):
    T, nin = xs.shape
    H = h0.shape[0]
    h = h0.copy()
    hn = np.empty(H)
    loss = 0.0
    for t in range(T):
        for i in range(H):
            a = b[i]
            for j in range(H):
                a += W[i, j] * h[j]
            for k in range(nin):
                a += U[i, k] * xs[t, k]
            hn[i] = max(a, alpha * a)
        h, hn = hn, h
        loss += np.sum(h) ** 2
    return loss


def before_the_sum(W, x, n):
    """``c`` reads ``a`` before the loop that adds to it: the value restored
    before the reverse of ``c`` must be the one ``c`` read."""
    s = 0.0
    for t in range(n):
        a = x[t]
        c = a * a
        for j in range(W.shape[1]):
            a += W[t, j] * c
        s += a * c
    return s


RNG = np.random.default_rng(12)
H, NIN, T = 3, 2, 5
RNN = (0.5 * RNG.normal(size=(H, H)), RNG.normal(size=(H, NIN)), 0.1 * RNG.normal(size=H),
       0.1 * RNG.normal(size=H), 0.1, RNG.normal(size=(T, NIN)))
BEFORE = (0.3 * RNG.normal(size=(4, 3)), RNG.normal(size=4), 4)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f,args,wrt", [(leaky_rnn, RNN, (0, 1, 2, 3, 4)),
                                        (before_the_sum, BEFORE, (0, 1))],
                         ids=["leaky_rnn", "before_the_sum"])
def test_gradients_match_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def test_the_running_sum_is_not_snapshotted():
    text = sd.grad(leaky_rnn, wrt=(0, 1, 2, 3, 4), target="python").source_for(*RNN)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "stored once per iteration" not in plan, plan
    assert "_saved_a_top" not in text, text
