"""Sizes a loop reads from arrays it never rebinds are read before it
(passes/hoist.py): where it moves them, where it must not, and what the
tape planner makes of it (a helper's ``n = h.shape[0]`` inlined into a time
loop bounds the inner loop before the nest runs)."""
from __future__ import annotations

import numpy as np

import sourcediff as sd
from tests.fdcheck import check_grad


def scale_rows(h, c):
    n = h.shape[0]
    for j in range(n):
        h[j] = 0.9 * h[j] + 0.1 * c[j] * h[j]


def steps(c, h0, k):
    h = h0.copy()
    s = 0.0
    for _t in range(k):
        scale_rows(h, c)          # inlined: its n = h.shape[0] is read every step
        s += h[0] * h[-1]
    return s


def rebinds(c, h0, k):
    """h is rebound in the loop: its size is read again each time."""
    h = h0.copy()
    s = 0.0
    for t in range(k):
        n = h.shape[0]
        s += n * h[t % n] * c[0]
        h = np.concatenate((h, c[:1]))
    return s


ARGS = (np.linspace(0.5, 1.5, 5), np.linspace(-1.0, 1.0, 5), 7)


def test_a_helpers_size_moves_before_the_loop_and_the_tape_is_an_array():
    text = sd.grad(steps, wrt=(0, 1), target="python").source_for(*ARGS)
    primal = text[:text.index("def steps_grad")]
    assert primal.index("= h.shape") < primal.index("for _t in range(k)")
    assert ".append(" not in text and "_saved_t6 = np.empty(max(k, 0) * max(n, 0)" in text


def test_gradients_match_finite_differences():
    check_grad(steps, ARGS, wrt=(0, 1), target="python")
    check_grad(steps, ARGS, wrt=(0, 1), target="cpu")


def test_a_rebound_array_keeps_its_size_read_in_the_loop():
    text = sd.grad(rebinds, wrt=0, target="python").source_for(*ARGS)
    primal = text[:text.index("def rebinds_grad")]
    assert primal.index("for t in range(k)") < primal.index("= h.shape")
    check_grad(rebinds, ARGS, wrt=(0, 1), target="python")
