"""Programs whose adjoints add into neighbouring elements of a buffer from one
iteration to the next (passes/rolling_sums.py; tests/core/test_rolling_sums.py).
The Rosenbrock loop and the heat equation come from tests/core/golden_funcs.py
and the bench."""
from __future__ import annotations

import math

import numpy as np


def wraps_around(x):
    """``x[i - 1]`` at ``i = 0`` is the last element: the first iteration adds
    into it, and so does the last."""
    s = 0.0
    for i in range(x.shape[0]):
        s += math.sin(x[i] - 0.7 * x[i - 1]) * x[i]
    return s


def named_index_and_rows(A, m):
    """``ip = j + 2`` names the index; a fixed row ``r`` of a matrix; the loop
    over ``j`` may run zero times (``m`` below 3); a subtraction and an add
    under a condition."""
    s = 0.0
    for r in range(A.shape[0]):
        for j in range(m - 2):
            ip = j + 2
            d = A[r, ip] - A[r, j]
            if d > 0.0:
                s += d * d * A[r, j + 1]
            else:
                s -= math.cos(A[r, j + 1]) * d
    return s


def descending_window(x, w):
    """A loop written counting down, with offsets 0, 1 and 3."""
    s = 0.0
    for i in range(x.shape[0] - 4, -1, -1):
        s += w * x[i] * x[i + 1] + math.exp(0.1 * x[i + 3]) * x[i]
    return s


def guarded_neighbours(y, k):
    """Neighbours read under conditions at the ends (zero outside), as a right-hand
    side is often written: the adds into dy[i - 1] and dy[i + 1] happen in branches,
    so there is no element to carry them into at the first and last i."""
    n = y.shape[0]
    out = np.empty(n)
    for i in range(n):
        left = y[i - 1] if i > 0 else 0.0
        right = y[i + 1] if i < n - 1 else 0.0
        out[i] = k * (left - 2.0 * y[i] + right) - 0.1 * y[i] ** 3
    s = 0.0
    for i in range(n):
        s += out[i] * out[i]
    return s


def periodic_flux(u0, c, steps):
    """Burgers-like periodic finite volumes: neighbours by ``(i + 1) % n`` (inline
    and named), ``i - 1`` wrapping by itself; ``n = len(u0)`` is the grid's length,
    so the adds into ``du[i]`` and ``du[(i + 1) % n]`` are carried together."""
    n = len(u0)
    u = u0.copy()
    flux = np.zeros(n)
    for step in range(steps):
        for i in range(n):
            ip = (i + 1) % n
            ul = u[i] + 0.25 * (u[i] - u[i - 1])
            ur = u[ip] - 0.25 * (u[(i + 2) % n] - u[ip])
            flux[i] = 0.25 * (ul * ul + ur * ur) - 0.5 * max(abs(ul), abs(ur)) * (ur - ul)
        for i in range(n):
            u[i] -= c * (flux[i] - flux[i - 1])
    s = 0.0
    for i in range(n):
        s += u[i] * u[i] * (1.0 + 0.1 * i)
    return s


def period_not_the_length(x, m):
    """``(i + 1) % m`` with ``m`` shorter than ``x``: the element ``(i + 1) % m``
    is not ``i + 1``, the adds into ``dx[i]`` and ``dx[(i + 1) % m]`` must stay
    apart."""
    s = 0.0
    for i in range(x.shape[0]):
        s += math.sin(x[i]) * x[(i + 1) % m]
    return s


def ring_with_inner_loop(x, w):
    """Neighbours picked by tests on the index in a loop with a loop inside
    (which no end is run apart for): the adds into dx[ip], dx[im] are carried
    as those into (i + 1) % n, (i - 1) % n."""
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        ip = i + 1 if i < n - 1 else 0
        im = i - 1 if i > 0 else n - 1
        t = x[ip] * x[im] - x[i]
        for k in range(w.shape[0]):
            t = np.tanh(w[k] * t)
        s += t * t
    return s


def carried_stencil(u0, c):
    """A stencil whose loop carries a number (a filtered sum): its reverse
    counts down, and carries the adds into du0 from the largest offset."""
    n = u0.shape[0]
    s = 0.0
    t = 0.0
    for i in range(1, n - 1):
        s = 0.5 * s + c * (u0[i - 1] - 2.0 * u0[i] + u0[i + 1])
        t += s * s
    return t
