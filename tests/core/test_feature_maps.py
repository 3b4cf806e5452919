"""A per-sample feature map (a matrix the sample loop fills whole, ``h[c, i] =
max(0.0, acc)`` in a loop over channels and positions, before anything reads
it) makes each sample's values its own: the sample loop runs fused
(passes/rerun.py ``_covers`` of a matrix), a max-pool's ``m`` bound in both
branches of an ``if`` is the iteration's own (planner ``_bound_in_block``), and
the map's old elements are not put back (the next sample overwrites them)."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def conv_pool(w, bias, wout, X, y):
    B, L = X.shape
    C, K = w.shape
    Lc = L - K + 1
    P = Lc // 2
    loss = 0.0
    h = np.zeros((C, Lc))
    for s in range(B):
        for c in range(C):
            for i in range(Lc):
                acc = bias[c]
                for k in range(K):
                    acc += w[c, k] * X[s, i + k]
                h[c, i] = max(0.0, acc)
        out = 0.0
        for c in range(C):
            for p in range(P):
                m = h[c, 2 * p]
                if h[c, 2 * p + 1] > m:  # noqa: PLR1730 - the if a user writes (the test)
                    m = h[c, 2 * p + 1]
                out += wout[c, p] * m
        r = out - y[s]
        loss += r * r
    return loss / B


def partly_filled(w, X):
    """Only the first column is written each sample: the rest keeps older values,
    which the next sample reads (not a sample's own map)."""
    B, L = X.shape
    h = np.zeros((2, L))
    loss = 0.0
    for s in range(B):
        for c in range(2):
            h[c, 0] = w[c] * X[s, 0]
        for c in range(2):
            for i in range(1, L):
                h[c, i] = 0.5 * h[c, i] + w[c] * X[s, i] * h[c, i - 1]
        loss += np.sum(h * h)
    return loss


rng = np.random.default_rng(3)
CONV = (0.5 * rng.standard_normal((2, 3)), 0.1 * rng.standard_normal(2),
        0.2 * rng.standard_normal((2, 4)), rng.standard_normal((3, 10)), rng.standard_normal(3))
PARTLY = (np.array([0.7, -0.4]), 0.5 * rng.standard_normal((3, 4)))


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", [(conv_pool, CONV, (0, 2)), (partly_filled, PARTLY, 0)],
                         ids=["conv_pool", "partly_filled"])
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def test_the_sample_loop_runs_fused_without_putting_the_map_back():
    text = sd.grad(conv_pool, wrt=(0, 2), target="python").source_for(*CONV)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "fused: the loop at line" in plan
    assert "elements of 'h'" not in plan and "_saved_h" not in text
