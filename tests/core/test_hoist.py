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
    assert ".append(" not in text and "_saved_t6 = np.empty((max(k, 0), max(n, 0))" in text


def test_gradients_match_finite_differences():
    check_grad(steps, ARGS, wrt=(0, 1), target="python")
    check_grad(steps, ARGS, wrt=(0, 1), target="cpu")


def test_a_rebound_array_keeps_its_size_read_in_the_loop():
    text = sd.grad(rebinds, wrt=0, target="python").source_for(*ARGS)
    primal = text[:text.index("def rebinds_grad")]
    assert primal.index("for t in range(k)") < primal.index("= h.shape")
    check_grad(rebinds, ARGS, wrt=(0, 1), target="python")


def kick(phi, out):
    n = phi.shape[0]
    for j in range(n):
        out[j] = phi[j] - 0.1 * phi[j] ** 3


def leapfrog(phi0, p0, eps, k):
    """``phi += ...`` writes into phi, its shape stays: the helper's size read
    moves before the loop (a PDE step written with in-place updates)."""
    phi = phi0.copy()
    p = p0.copy()
    F = np.empty_like(phi)
    for _t in range(k):
        phi += eps * p
        kick(phi, F)
        p += eps * F
    return np.sum(phi * p)


def test_an_array_updated_in_place_keeps_its_size():
    args = (np.linspace(-1.0, 1.0, 5), np.linspace(0.5, 1.5, 5), 0.1, 4)
    text = sd.grad(leapfrog, wrt=(0, 1), target="python").source_for(*args)
    primal = text[:text.index("def leapfrog_grad")]
    assert primal.index("= phi.shape") < primal.index("for _t in range(k)")
    assert "_saved_F_items = np.empty(" in text or "_saved_F" not in text
    check_grad(leapfrog, args, wrt=(0, 1, 2), target="python")


def relax(p, c, out):
    n = p.shape[0]
    for i in range(n):
        out[i] = c[i] * p[i] + 0.1 * p[(i + 1) % n]


def rebound_same_shape(c, p0, k):
    """p is re-bound each step with its shape (passes/shapes.py: an elementwise
    result of arrays of p0's shape), so the helper's size read moves out."""
    n = p0.shape[0]
    p = p0.copy()
    q = np.zeros(n)
    for _t in range(k):
        relax(p, c, q)
        p = 0.5 * p + q
    return np.sum(p * p)


def test_an_array_rebound_with_one_shape_has_its_size_read_before_the_loop():
    text = sd.grad(rebound_same_shape, wrt=(0, 1), target="python").source_for(*ARGS)
    primal = text[:text.index("def rebound_same_shape_grad")]
    assert primal.index("= p.shape") < primal.index("for _t in range(k)")
    # the helper's n is read once: nothing stores it per step
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "'n2'" not in plan, plan
    check_grad(rebound_same_shape, ARGS, wrt=(0, 1), target="python")
    check_grad(rebound_same_shape, ARGS, wrt=(0, 1), target="cpu")


def relax_len(p, c, out):
    n = len(p)
    for i in range(n):
        out[i] = c[i] * p[i] + 0.1 * p[(i + 1) % n]


def rebound_same_shape_len(c, p0, k):
    """The same with the helper's ``n = len(p)``."""
    p = p0.copy()
    q = np.zeros(len(p0))
    for _t in range(k):
        relax_len(p, c, q)
        p = 0.5 * p + q
    return np.sum(p * p)


def test_a_length_read_moves_before_the_loop_too():
    text = sd.grad(rebound_same_shape_len, wrt=(0, 1), target="python").source_for(*ARGS)
    primal = text[:text.index("def rebound_same_shape_len_grad")]
    assert primal.index("= len(p)") < primal.index("for _t in range(k)")
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "'n2'" not in plan, plan
    check_grad(rebound_same_shape_len, ARGS, wrt=(0, 1), target="cpu")


def descent(X, y, w0, lr, k):
    """``X.T @ r`` in a gradient step: the transpose of an array nothing writes
    moves before the loop."""
    w = w0.copy()
    for _t in range(k):
        r = np.tanh(X @ w) - y
        w = w - lr * (X.T @ r)
    return np.sum(w * w * w)


def descent_written(X0, y, w0, lr, k):
    """X written in the loop: its transpose stays there."""
    X = X0.copy()
    w = w0.copy()
    for t in range(k):
        r = np.tanh(X @ w) - y
        w = w - lr * (X.T @ r)
        X[t % X.shape[0], 0] = w[0]
    return np.sum(w * w * w)


DESCENT = (np.linspace(-1.0, 1.0, 12).reshape(4, 3), np.linspace(0.0, 0.3, 4),
           np.array([0.2, -0.1, 0.4]), 0.3, 5)


def test_a_transpose_the_loop_cannot_change_moves_before_it():
    text = sd.grad(descent, wrt=(0, 1, 2), target="python").source_for(*DESCENT)
    primal = text[:text.index("def descent_grad")]
    # (made once, as a C-contiguous copy: its products and adjoint run along rows)
    assert primal.index("= transposed(X)") < primal.index("for _t in range(k)")
    # no tape for it, and its adjoint goes into dX once, after the reverse loop
    grad = text[text.index("def descent_grad"):]
    assert "dX += transposed(_dt" in grad[grad.rindex("for _t in range"):] and ".T)" not in grad
    check_grad(descent, DESCENT, wrt=(0, 1, 2), target="python")
    written = sd.grad(descent_written, wrt=(0, 1, 2), target="python").source_for(*DESCENT)
    primal = written[:written.index("def descent_written_grad")]
    assert primal.index("for t in range(k)") < primal.index("= X.T")
    check_grad(descent_written, DESCENT, wrt=(0, 1, 2), target="python")
