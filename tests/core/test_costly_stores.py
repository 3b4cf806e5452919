"""In a loop that runs fused (each reverse iteration right after its forward
one), a costly value (``exp``) the reverse iteration needs is stored on the
loop's one-iteration tape instead of computed again (Program.adjoint builds
the adjoint again with ``prefer_store``); elsewhere it is still recomputed."""
from __future__ import annotations

import math

import numpy as np

import sourcediff as sd
from tests.fdcheck import check_grad


def log_sum_exp_rows(X, w):
    """Per row: a log-sum-exp of X[i, j] * w[j] (two passes over j)."""
    total = 0.0
    for i in range(X.shape[0]):
        top = -np.inf
        for j in range(X.shape[1]):
            top = max(top, X[i, j] * w[j])
        s = 0.0
        for j in range(X.shape[1]):
            s += math.exp(X[i, j] * w[j] - top)
        total += top + math.log(s)
    return total


def softmax_rows(W, X, labels):
    """The inner loop's bound is the length of a vector made each iteration:
    its exps would go to a list, dearer than computing them again."""
    total = 0.0
    for i in range(X.shape[0]):
        logits = W @ X[i]
        m = np.max(logits)
        e = np.exp(logits - m)
        total += math.log(np.sum(e)) + m - logits[labels[i]]
    return total


def exp_chain(x, steps):
    """Not fused (each step reads the last): the exp is stored in a slot per
    iteration (an array allocated once), not computed again in reverse."""
    y = 0.0
    for t in range(steps):
        y = 0.5 * y + math.exp(-x[t % x.shape[0]] * y)
    return y


rng = np.random.default_rng(5)
ARGS = (rng.standard_normal((6, 4)), rng.standard_normal(4))


def _code(text, start):
    body = text[text.index(start):]
    return [ln for ln in body.splitlines() if not ln.strip().startswith("#")]


def test_the_fused_loop_stores_its_exps():
    text = sd.grad(log_sum_exp_rows, wrt=(0, 1), target="python").source_for(*ARGS)
    grad = _code(text, "def log_sum_exp_rows_grad")
    assert "last loop: forward and reverse iterations fused" in text
    assert sum("math.exp(" in ln for ln in grad) == 1         # forward only
    assert any("_saved_" in ln and "np.empty(max(X.shape[1], 0)" in ln for ln in grad)


def test_gradients_match_finite_differences():
    check_grad(log_sum_exp_rows, ARGS, wrt=(0, 1), target="python")
    check_grad(log_sum_exp_rows, ARGS, wrt=(0, 1), target="cpu")
    check_grad(exp_chain, (np.array([0.3, -0.2, 0.5]), 7), wrt=0, target="python")


def test_an_unfused_loop_stores_its_exps_in_an_array():
    args = (np.array([0.3, -0.2, 0.5]), 7)
    text = sd.grad(exp_chain, wrt=0, target="python").source_for(*args)
    grad = _code(text, "def exp_chain_grad")
    assert "fused" not in "\n".join(grad)
    assert sum("math.exp(" in ln for ln in grad) == 1         # forward only
    assert any("_saved_" in ln and "np.empty(max(steps, 0)" in ln for ln in grad)
    assert ".append(" not in text


def invariant_exp(x, a, steps):
    """exp(a) does not change in the loop: computed again, not stored per step."""
    y = 0.0
    for t in range(steps):
        y = 0.5 * y * math.exp(a) + x[t % x.shape[0]] * y + 1.0
    return y


def test_a_costly_value_the_loop_does_not_change_is_not_stored():
    text = sd.grad(invariant_exp, wrt=(0, 1), target="python").source_for(
        np.array([0.3, -0.2, 0.5]), 0.2, 7)
    assert "_saved_t" not in text
    check_grad(invariant_exp, (np.array([0.3, -0.2, 0.5]), 0.2, 7), wrt=(0, 1), target="cpu")


def test_no_list_tape_for_a_stored_exp():
    args = (rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), np.array([0, 2, 1, 1, 0]))
    text = sd.grad(softmax_rows, wrt=0, target="python").source_for(*args)
    assert ".append(" not in text and "last loop: forward and reverse iterations fused" in text
    check_grad(softmax_rows, args, wrt=(0, 1), target="python")
