"""A 1-d array joined from others in a loop (``np.concatenate((x[t], h))``) has
the length of its parts added (passes/shapes.py, ``("sum", a, b)`` keys): its
values go on a stack of rows allocated once, not in lists, and its adjoint's
buffer is allocated once.  Gradients against central differences."""
from __future__ import annotations

import re

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def gated_cell(X, h0, Wz, Wh, bz):
    h = h0.copy()
    loss = 0.0
    for t in range(X.shape[0]):
        xh = np.concatenate((X[t], h))
        z = sigmoid(Wz @ xh + bz)
        xzh = np.concatenate((X[t], z * h))
        hc = np.tanh(Wh @ xzh)
        h = (1.0 - z) * h + z * hc
        loss += np.sum(h * h)
    return loss


def gru(X, h0, Wz, Wr, Wh, bz):
    # the update gate's loop runs where h is stored, past the reset gate's
    # concatenation (stores into an array made since, which it does not read)
    h = h0.copy()
    loss = 0.0
    for t in range(X.shape[0]):
        xh = np.concatenate((X[t], h))
        z = sigmoid(Wz @ xh + bz)
        r = sigmoid(Wr @ xh)
        xrh = np.concatenate((X[t], r * h))
        hc = np.tanh(Wh @ xrh)
        h = (1.0 - z) * h + z * hc
        loss += np.sum(h * h)
    return loss


def three_parts(X, h0, W):
    h = h0.copy()
    s = 0.0
    for t in range(X.shape[0]):
        u = np.concatenate((h, X[t], h))
        h = np.tanh(W @ u)
        s += np.sum(h)
    return s


def shrinking_prefix(x, h0, W):
    # (the first part's length changes every step: no key, the values go in lists)
    h = h0.copy()
    s = 0.0
    for k in range(1, x.shape[0]):
        u = np.concatenate((x[:k], h))
        h = np.tanh(W[:, :u.shape[0]] @ u)
        s += np.sum(h)
    return s


rng = np.random.default_rng(11)
D, H, T = 3, 4, 5
CASES = {
    "gated_cell": (gated_cell, (rng.standard_normal((T, D)), 0.3 * rng.standard_normal(H),
                                0.4 * rng.standard_normal((H, D + H)),
                                0.4 * rng.standard_normal((H, D + H)),
                                0.1 * rng.standard_normal(H)), (1, 2, 3, 4)),
    "gru": (gru, (rng.standard_normal((T, D)), 0.3 * rng.standard_normal(H),
                  0.4 * rng.standard_normal((H, D + H)), 0.4 * rng.standard_normal((H, D + H)),
                  0.4 * rng.standard_normal((H, D + H)), 0.1 * rng.standard_normal(H)),
            (1, 2, 3, 4, 5)),
    "three_parts": (three_parts, (rng.standard_normal((T, D)), 0.3 * rng.standard_normal(H),
                                  0.3 * rng.standard_normal((H, 2 * H + D))), (0, 1, 2)),
    "shrinking_prefix": (shrinking_prefix, (rng.standard_normal(6), 0.3 * rng.standard_normal(H),
                                            0.3 * rng.standard_normal((H, 6 + H))), (0, 1, 2)),
}


@pytest.mark.parametrize("name", CASES)
def test_gradient_matches_finite_differences(name):
    f, args, wrt = CASES[name]
    check_grad(f, args, wrt=wrt, target="python")


def test_compiled():
    f, args, wrt = CASES["gated_cell"]
    check_grad(f, args, wrt=wrt, target="cpu")


def source(name):
    f, args, wrt = CASES[name]
    return sd.grad(f, wrt=wrt, target="python").source_for(*args)


def test_joined_rows_go_on_stacks_allocated_once():
    text = source("gated_cell")
    assert "in lists" not in text and ".pop()" not in text
    # (h's length, 4, is one the transform specializes on)
    assert "_saved_xh = np.empty((max(X.shape[0], 0), X.shape[1] + 4)" in text
    assert "_saved_xzh = np.empty(" in text
    # the adjoint of the joined array: made once, before the reverse loop
    reverse = text.split("-- reverse sweep")[1]
    assert "np.zeros_like" not in reverse.split("for t in range")[1]


def test_three_parts_add_up():
    text = source("three_parts")
    assert "in lists" not in text
    assert "4 + X.shape[1] + 4)" in text


def test_a_length_that_changes_keeps_lists():
    assert "in lists" in source("shrinking_prefix")


def test_the_gates_are_element_loops():
    text = source("gru")
    primal = text[:text.index("def gru_grad")]
    code = "\n".join(ln for ln in primal.splitlines() if not ln.lstrip().startswith("#"))
    # h updated in place, element by element, by the loop of z and hc
    assert re.search(r"h\[_?j\d*\] = _h_value", code), code
