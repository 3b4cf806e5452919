"""Programs whose reverse loops put back overwritten elements
(passes/restore_loops.py; tests/core/test_restore_loops.py)."""
from __future__ import annotations

import math

import numpy as np


def three_buffers(u0, c, steps):
    """The wave equation with three rotating buffers: the new level is written
    from the two older ones; the rotation hands the buffers round."""
    n = u0.shape[0]
    prev = u0.copy()
    cur = u0.copy()
    new = np.zeros(n)
    for t in range(steps):
        for i in range(1, n - 1):
            new[i] = 2.0 * cur[i] - prev[i] + c * (cur[i - 1] - 2.0 * cur[i] + cur[i + 1])
        prev, cur, new = cur, new, prev
    s = 0.0
    for i in range(n):
        s += cur[i] * cur[i] * math.cos(prev[i])
    return s


def in_place_sweep(u0, w, sweeps):
    """A Gauss-Seidel-like sweep reads the elements it writes: the elements it
    overwrites are put back in its own loop."""
    u = u0.copy()
    n = u.shape[0]
    for k in range(sweeps):
        for i in range(1, n - 1):
            u[i] = (1.0 - w) * u[i] + 0.5 * w * (u[i - 1] + u[i + 1])
    s = 0.0
    for i in range(n):
        s += u[i] ** 3
    return s


def stored_factor(u0, w, sweeps):
    """The reverse of the update reads the values stored for it (the sine
    of an element no iteration writes, the old element), never ``u``: the
    overwritten elements are not stored at all."""
    u = u0.copy()
    n = u.shape[0]
    for k in range(sweeps):
        for i in range(1, n):
            u[i] = math.sin(u[0] * w) * u[i]
    s = 0.0
    for i in range(n):
        s += u[i] ** 3
    return s


def swapped_unread(u0, c, steps):
    """Swapped buffers whose values no reverse statement reads (the update is
    linear in them, its one product's factor stored): neither is stored."""
    n = u0.shape[0]
    u = u0.copy()
    unew = u0.copy()
    for t in range(steps):
        for i in range(1, n):
            unew[i] = unew[i] * c + u[i - 1]
        u, unew = unew, u
    s = 0.0
    for i in range(n):
        s += u[i] * u[i]
    return s
