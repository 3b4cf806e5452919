"""Loop programs whose temporaries the reverse sweep reads for their shape
only (passes/shapes.py), with shapes fixed or changing from one iteration to
the next (source read by sourcediff)."""
import numpy as np


def recurrent(W, U, b, xs):
    """A matrix-vector recurrence: ``z``'s temporaries are re-bound each step
    with one shape; their adjoints are reset like them, no tape needed."""
    h = np.zeros(U.shape[1])
    s = 0.0
    for t in range(xs.shape[0]):
        z = np.dot(W, xs[t]) + np.dot(U, h) + b
        h = np.tanh(z)
        s += np.sum(h * h)
    return s


def growing_slice(x, w):
    """``y``'s shape grows with ``t``; ``s`` carried non-linearly (no fusion)."""
    s = 0.0
    for t in range(1, x.shape[0]):
        y = np.cumsum(x[:t]) + w
        s = np.sin(s) + np.sum(y) * t
    return s


def broadcast_grows(a, b):
    """``x`` starts with one element and broadcasts to three on the first
    step: the adjoint of the first ``x`` is summed down to its shape."""
    x = a * 1.0
    s = 0.0
    for t in range(3):
        x = x + b * (t + 1)
        s += np.sum(x * x * x)
    return s


def recurrent_transposed(W, U, b, xs):
    """The same recurrence with the bias through a transpose (``b.T``, the same
    vector): a transpose of a fixed array has a fixed shape, so the sum's
    temporaries keep no tape either."""
    h = np.zeros(U.shape[1])
    s = 0.0
    for t in range(xs.shape[0]):
        bt = b.T
        z = np.dot(W, xs[t]) + np.dot(U, h) + bt
        h = np.tanh(z)
        s += np.sum(h * h)
    return s


def copied_rows(h0, xs):
    """``z`` a copy of a row of a fixed array, read in reverse for its shape only
    (the adjoint of ``z + h``): a copy of a fixed array has a fixed shape."""
    h = h0.copy()
    s = 0.0
    for t in range(xs.shape[0]):
        z = xs[t].copy()
        h = np.tanh(z + h)
        s += np.sum(h * h)
    return s


def made_of_a_length(b, a, steps):
    """``w = np.zeros(n)`` with ``n = b.shape[0]`` has ``b``'s shape, so
    ``r - 0.1 * w`` keeps ``r = b.copy()``'s: ``x``, read in reverse for its
    shape only (``x += a * r``), keeps no tape (a conjugate-gradient loop)."""
    n = b.shape[0]
    x = np.zeros(n)
    r = b.copy()
    w = np.zeros(n)
    for t in range(steps):
        for i in range(n):
            w[i] = np.sin(r[i]) * a
        x += a * r
        r = r - 0.1 * w
    return np.sum(x * b)


def made_of_len(b, a, steps):
    """The same with ``np.zeros(len(b))``."""
    x = np.zeros(len(b))
    r = b.copy()
    w = np.zeros(len(b))
    for t in range(steps):
        for i in range(w.shape[0]):
            w[i] = np.sin(r[i]) * a
        x += a * r
        r = r - 0.1 * w
    return np.sum(x * b)


def intervals_and_points(v0, c, steps):
    """``N`` intervals, ``N + 1`` points (``np.zeros(N + 1)`` with ``N = len - 1``: the
    length of ``v0``), two buffers swapped each step: the slice ``w[1:N]`` stored into
    has a length known before the loop."""
    N = v0.shape[0] - 1
    v = v0.copy()
    w = np.zeros(N + 1)
    for k in range(steps):
        w[0] = v[0]
        w[N] = v[N]
        w[1:N] = v[1:N] + c * (v[:N - 1] - 2.0 * v[1:N] + v[2:])
        v, w = w, v
    return np.sum(v * v)


def cut_then_grown(v0, c, steps):
    """``m + 1`` with ``m = len(v0[1:])`` (at least 0): ``v0``'s length only where
    ``v0`` is not empty, so not known to be."""
    m = len(v0[1:])
    v = v0.copy()
    w = np.zeros(m + 1)
    for k in range(steps):
        w[0] = v[0]
        w[1:] = v[1:] * c + v[:-1]
        v, w = w, v
    return np.sum(v * v)
