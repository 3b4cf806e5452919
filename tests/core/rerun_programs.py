"""Loop programs whose scratch arrays a reverse iteration can re-run
(passes/rerun.py), and near misses it must not (source read by sourcediff)."""
import math

import numpy as np


def scratch_rows(x, m, w):
    """GMM's shape: per (point, centre), a centred row and a triangular update."""
    n, d = x.shape
    k = m.shape[0]
    diff = np.zeros(d)
    scaled = np.zeros(d)
    s = 0.0
    for i in range(n):
        for c in range(k):
            for j in range(d):
                diff[j] = x[i, j] - m[c, j]
                scaled[j] = w[c] * diff[j]
            entry = 0
            for j in range(d):
                for r in range(j + 1, d):
                    scaled[r] += m[c, entry % d] * diff[j]
                    entry += 1
            q = 0.0
            for j in range(d):
                q += scaled[j] * scaled[j]
            s += math.exp(-0.1 * q)
    return s * s          # (its seed needs s: the loop is not fused, each (i, c) is re-run)


def partly_written(x, m):
    """The last element of ``buf`` keeps the previous row's value: not re-run."""
    n, d = x.shape
    buf = np.zeros(d)
    s = 0.0
    for i in range(n):
        for j in range(d - 1):
            buf[j] = x[i, j] * m[j]
        for j in range(d):
            s += buf[j] * buf[j] * x[i, j]
    return s


def read_between_writes(x, m):
    """``buf`` is read (squared) before a later update of it in the same
    iteration: the reverse sweep needs the value in between, so not re-run."""
    n, d = x.shape
    buf = np.zeros(d)
    s = 0.0
    for i in range(n):
        for j in range(d):
            buf[j] = x[i, j] * m[j]
        for j in range(d):
            s += buf[j] * buf[j]
        for j in range(d):
            buf[j] += m[j] * x[i, j]
        for j in range(d):
            s += buf[j] * buf[j] * buf[j]
    return s


def read_after_loop(x, m):
    """``buf`` is read after the loop: its last row must survive, not re-run."""
    n, d = x.shape
    buf = np.zeros(d)
    s = 0.0
    for i in range(n):
        for j in range(d):
            buf[j] = math.sin(x[i, j] * m[j])
        for j in range(d):
            s += buf[j] * buf[j]
    for j in range(d):
        s += buf[j] * m[j]
    return s


def counter_from_outside(x, m):
    """A triangular nest whose counter runs on from iteration to iteration
    (set before the loop, never reset in it): not re-run."""
    n, d = x.shape
    buf = np.zeros(d)
    s = 0.0
    entry = 0
    for i in range(n):
        for j in range(d):
            buf[j] = x[i, j]
        for j in range(d):
            for r in range(j + 1, d):
                buf[r] += m[entry % d] * buf[j]
                entry += 1
        for j in range(d):
            s += buf[j] * buf[j]
    return s


def limiter(a, b):
    """minmod: a scalar helper, pure, so a re-run nest may call it again."""
    if a * b <= 0.0:
        return 0.0
    if a > 0.0:
        return min(a, b)
    return max(a, b)


def late_scratch(u0, c, steps):
    """Burgers' shape: ``slope`` is computed from ``u`` at the top of each step,
    read by the flux loop, and ``u`` is then updated in place.  The slopes are
    re-run once the reverse of the update has restored ``u``, not stored."""
    n = u0.shape[0]
    u = u0.copy()
    slope = np.zeros(n)
    flux = np.zeros(n)
    for t in range(steps):
        for i in range(n):
            slope[i] = limiter(u[i] - u[i - 1], u[(i + 1) % n] - u[i])
        for i in range(n):
            left = u[i] + 0.5 * slope[i]
            right = u[(i + 1) % n] - 0.5 * slope[(i + 1) % n]
            flux[i] = 0.25 * (left * left + right * right) - 0.5 * c * (right - left)
        for i in range(n):
            u[i] -= 0.1 * (flux[i] - flux[i - 1])
    s = 0.0
    for i in range(n):
        s += u[i] * u[i] * (i + 1)
    return s


def late_input_changed(u0, c, steps):
    """``u`` changes between the scratch nest and the loop reading ``g``: the
    nest cannot be re-run there, so ``g`` keeps its tape."""
    n = u0.shape[0]
    u = u0.copy()
    g = np.zeros(n)
    s = 0.0
    for t in range(steps):
        for i in range(n):
            g[i] = math.sin(u[i])
        for i in range(n):
            u[i] += 0.1 * c
        for i in range(n):
            s += g[i] * u[i]
        for i in range(n):
            u[i] = 0.9 * u[i] + 0.1 * g[i] * g[i]
    return s
