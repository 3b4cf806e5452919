"""While loops as users write them (passes/normalize.py tests them at the end of
the body; tests/core/test_while_loops.py)."""
from __future__ import annotations

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
    """``continue`` jumps to the test: the loop keeps the test at its top."""
    s = 0.0
    k = 0
    while k < m:
        k += 1
        if x[k % x.shape[0]] < 0.0:
            continue
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
