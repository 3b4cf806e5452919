"""Integrators whose stages reuse one scratch array (passes/webs.py
``split_array_versions``) and nests re-run in chains (passes/rerun.py);
tests/core/test_stage_buffers.py."""
from __future__ import annotations

import math

import numpy as np


def diffusion(y, k, out):
    """A right-hand side with its neighbours read under conditions at the ends."""
    n = y.shape[0]
    for i in range(n):
        left = y[i - 1] if i > 0 else 0.0
        right = y[i + 1] if i < n - 1 else 0.0
        out[i] = k[i] * (left - 2.0 * y[i] + right) - 0.1 * y[i] ** 3


def adaptive_heun(y0, k, t_end, tol):
    """Adaptive Heun-Euler steps, accepted or rejected; one scratch array for both
    trial states."""
    n = y0.shape[0]
    y = y0.copy()
    ytmp = np.empty(n)
    k1 = np.empty(n)
    k2 = np.empty(n)
    t = 0.0
    h = 0.05
    while t < t_end:
        if t + h > t_end:
            h = t_end - t
        diffusion(y, k, k1)
        for i in range(n):
            ytmp[i] = y[i] + h * k1[i]
        diffusion(ytmp, k, k2)
        for i in range(n):
            ytmp[i] = y[i] + 0.5 * h * (k1[i] + k2[i])
        err = 0.0
        for i in range(n):
            e = 0.5 * h * (k2[i] - k1[i]) / (1e-6 + tol * abs(ytmp[i]))
            err += e * e
        err = math.sqrt(err / n)
        if err <= 1.0:
            t += h
            for i in range(n):
                y[i] = ytmp[i]
        h = h * min(2.0, max(0.3, 0.9 / math.sqrt(max(err, 1e-12))))
    s = 0.0
    for i in range(n):
        s += y[i] * y[i]
    return s


def adaptive_heun_buffers(y0, k, t_end, tol):
    """The same with a buffer per trial state."""
    n = y0.shape[0]
    y = y0.copy()
    ypred = np.empty(n)
    ynew = np.empty(n)
    k1 = np.empty(n)
    k2 = np.empty(n)
    t = 0.0
    h = 0.05
    while t < t_end:
        if t + h > t_end:
            h = t_end - t
        diffusion(y, k, k1)
        for i in range(n):
            ypred[i] = y[i] + h * k1[i]
        diffusion(ypred, k, k2)
        for i in range(n):
            ynew[i] = y[i] + 0.5 * h * (k1[i] + k2[i])
        err = 0.0
        for i in range(n):
            e = 0.5 * h * (k2[i] - k1[i]) / (1e-6 + tol * abs(ynew[i]))
            err += e * e
        err = math.sqrt(err / n)
        if err <= 1.0:
            t += h
            for i in range(n):
                y[i] = ynew[i]
        h = h * min(2.0, max(0.3, 0.9 / math.sqrt(max(err, 1e-12))))
    s = 0.0
    for i in range(n):
        s += y[i] * y[i]
    return s


def midpoint_steps(y0, k, steps, dt):
    """Fixed midpoint steps, the stage state and the derivatives in reused buffers."""
    n = y0.shape[0]
    y = y0.copy()
    work = np.zeros(n)
    d = np.zeros(n)
    for _ in range(steps):
        diffusion(y, k, d)
        for i in range(n):
            work[i] = y[i] + 0.5 * dt * d[i]
        diffusion(work, k, d)
        for i in range(n):
            work[i] = y[i] + dt * d[i]
        for i in range(n):
            y[i] = work[i]
    return np.sum(y * y)


def carried_scratch(y0, steps):
    """The scratch array is read before its first rewrite in an iteration: what the
    last iteration left reaches the next, so it keeps one buffer."""
    n = y0.shape[0]
    y = y0.copy()
    w = np.zeros(n)
    for _ in range(steps):
        for i in range(n):
            y[i] = 0.5 * y[i] + 0.1 * w[i]
        for i in range(n):
            w[i] = math.sin(y[i])
        for i in range(n):
            y[i] += 0.2 * w[i]
        for i in range(n):
            w[i] = y[i] * y[i]
    return np.sum(y * w)


def make(n=6):
    rng = np.random.default_rng(5)
    return rng.standard_normal(n) * 0.5 + 1.0, 2.0 + rng.random(n)


def written_through_a_view(y0, steps):
    """A view of the scratch array is written into between its rewrites: the later
    reads see those writes, so it keeps one buffer."""
    n = y0.shape[0]
    y = y0.copy()
    w = np.zeros(n)
    for _ in range(steps):
        for i in range(n):
            w[i] = y[i] * y[i]
        head = w[:2]
        head[0] = head[1] + 1.0
        for i in range(n):
            y[i] = y[i] + 0.1 * w[i]
        for i in range(n):
            w[i] = math.sin(y[i])
        for i in range(n):
            y[i] = y[i] + 0.1 * w[i]
    return np.sum(y * y)


def counter_rebound(x):
    """The loop's variable rebound in its body: the body's value, not the count,
    indexes what follows."""
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        i = min(i, 1)
        s += math.sin(x[i])
    return s


def scratch_with_a_rebound_counter(x):
    """A scratch array rewritten twice per iteration, the second time by a loop whose
    variable is rebound: it writes two elements, not all of them."""
    n = x.shape[0]
    t = np.zeros(n)
    s = 0.0
    for _ in range(2):
        for i in range(n):
            t[i] = x[i]
        s += t[n - 1]
        for i in range(n):
            i = min(i, 1)
            t[i] = 2.0 * x[i]
        s += t[n - 1] * t[n - 1]
    return s


def smooth_into(src, out):
    n = src.shape[0]
    for i in range(1, n - 1):
        out[i] = src[i - 1] * src[i + 1]
    return 0.0


def one_array_in_and_out(x):
    t = x * 1.0
    smooth_into(t, t)
    return np.sum(t)


def lorenz96_into(y, forcing, out):
    n = y.shape[0]
    for i in range(n):
        out[i] = (y[(i + 1) % n] - y[i - 2]) * y[i - 1] - y[i] + forcing[i]


def rk4_stage_rows(y0, forcing, steps, dt):
    """RK4 with the stages in the rows of ``k``, each filled by a helper that writes
    into the row it is passed (``rhs(ytmp, forcing, k[s])``)."""
    n = y0.shape[0]
    y = y0.copy()
    k = np.zeros((4, n))
    a = np.array([0.0, 0.5, 0.5, 1.0])
    b = np.array([1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6])
    loss = 0.0
    for t in range(steps):
        acc = y.copy()
        for s in range(4):
            ytmp = np.empty(n)
            for i in range(n):
                if s > 0:
                    ytmp[i] = y[i] + dt * a[s] * k[s - 1, i]
                else:
                    ytmp[i] = y[i]
            lorenz96_into(ytmp, forcing, k[s])
            for i in range(n):
                acc[i] += dt * b[s] * k[s, i]
        y = acc
        for i in range(n):
            loss += y[i] * y[i]
    return loss


def double_into(x, out):
    for i in range(x.shape[0]):
        out[i] = 2.0 * x[i]


def squares_into(x, out):
    t = 0.0
    for i in range(x.shape[0]):
        out[i] = x[i] * x[i]
        t += out[i]
    return t


def helper_fills_columns(x, m):
    """A small (inlined) helper writes into column views ``a[:, j]``."""
    a = np.zeros((x.shape[0], m))
    for j in range(m):
        double_into(x * (j + 1.0), a[:, j])
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(m):
            s += math.sin(a[i, j]) * a[i, j]
    return s


def helper_fills_rows_and_returns(x, m):
    """A helper returning a value writes into row views, reading the previous row."""
    a = np.ones((m, x.shape[0]))
    s = 0.0
    for j in range(m):
        s += squares_into(x + a[j - 1], a[j]) if j > 0 else squares_into(x, a[j])
    return s + np.sum(a * a)


def row_in_and_row_out(x):
    a = np.zeros((2, x.shape[0]))
    a[0] = x
    double_into(a[0], a[1])
    return np.sum(a)
