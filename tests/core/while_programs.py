"""While loops as users write them (passes/normalize.py tests them at the end of
the body; tests/core/test_while_loops.py)."""
from __future__ import annotations

import math

import numpy as np


def newton_cells(k, y0, steps, dt):
    """Implicit Euler of y' = -k y^3, one scalar Newton iteration per cell."""
    y = y0.copy()
    for step in range(steps):
        for c in range(k.shape[0]):
            z = y[c]
            it = 0
            delta = 1.0
            while abs(delta) > 1e-13 and it < 30:
                g = z - y[c] + dt * k[c] * z * z * z
                delta = g / (1.0 + 3.0 * dt * k[c] * z * z)
                z = z - delta
                it += 1
            y[c] = z
    return np.sum(y * y)


def skips_with_continue(x, m):
    """``continue`` ending a branch of the body: the rest of the body runs in the
    other branch, and the loop is tested at the end of its body."""
    s = 0.0
    k = 0
    while k < m:
        k += 1
        if x[k % x.shape[0]] < 0.0:
            continue
        s += x[k % x.shape[0]] * s + x[0]
    return s


def skips_inside_a_branch(x, m):
    """A ``continue`` inside a branch of a branch: it jumps to the test, which
    the loop keeps at its top."""
    s = 0.0
    k = 0
    while k < m:
        k += 1
        if x[k % x.shape[0]] < 0.5:
            if x[k % x.shape[0]] < 0.0:
                continue
            s += x[0]
        s += x[k % x.shape[0]] * s + x[0]
    return s


def never_runs_or_runs(x, start):
    """The test false at once (start >= 6) or after some iterations."""
    s = x[0]
    k = start
    while k < 6:
        s = s * x[k % x.shape[0]] + 0.5 * s
        k += 2
    return s


def oscillator_until(p, x0, v0, dt, tmax):
    """The state updated at the end of the body and read by the test after it:
    ``t`` is carried all the same (the test has no adjoint)."""
    x = x0
    v = v0
    t = 0.0
    s = 0.0
    while t < tmax:
        a = -p[0] * v - p[1] * x * x * x + p[2] * math.cos(p[3] * t)
        vn = v + dt * a
        xn = x + dt * vn
        s += xn * xn
        x = xn
        v = vn
        t += dt
    return s


def oscillator_crossings(p, x0, dt, tmax, ncross):
    """``break`` after a number of zero crossings: the state's updates sit
    under the flag the ``break`` leaves behind, a counter is stepped under it."""
    x = x0
    v = 0.0
    t = 0.0
    count = 0
    first = 0.0
    last = 0.0
    while t < tmax:
        a = -p[0] * v - p[1] * x + p[2] * math.cos(p[3] * t)
        vn = v + dt * a
        xn = x + dt * vn
        if x < 0.0 and xn >= 0.0:
            tc = t + dt * (-x) / (xn - x)
            if count == 0:
                first = tc
            last = tc
            count += 1
            if count >= ncross:
                break
        x = xn
        v = vn
        t += dt
    return (last - first) / (count - 1) + 0.01 * x * x


def read_after_update(p, x0, n):
    """``x`` read after its update by a statement with an adjoint: not carried
    (the reverse of ``s += x * p[1]`` needs the new value)."""
    x = x0
    s = 0.0
    k = 0
    while k < n:
        x = x + p[0] * math.sin(x)
        s += x * p[1]
        k += 1
    return s


def weighted_sums_skipping(x, y, c, a0, npass):
    """Running sums under a ``continue`` (an ``if`` after lowering), reset before
    each pass: nothing in the inner loop reads them but their own additions, so
    no snapshot of them per iteration (each pass's final sums are saved where
    they are reset)."""
    a = a0
    for it in range(npass):
        sw = 0.0
        swy = 0.0
        for i in range(x.shape[0]):
            r = (y[i] - a * x[i]) / c
            if r * r > 1.0:
                continue
            w = (1.0 - r * r) ** 2
            sw += w * x[i] * x[i]
            swy += w * x[i] * y[i]
        a = swy / sw
    return a * a
