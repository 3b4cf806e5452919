"""Programs whose arrays, re-bound in a loop, are saved on stacks of rows or
stay in lists (passes/tape.py; tests/core/test_row_stacks.py)."""
from __future__ import annotations

import numpy as np


def momentum_fit(w0, X, y, iters):
    """Gradient descent with momentum written in whole-array statements:
    ``g``, ``m`` and ``w`` are new arrays each step, of the shape of ``X``'s
    columns."""
    w = w0.copy()
    m = np.zeros(X.shape[1])
    for k in range(iters):
        r = X @ w - y
        g = X.T @ r
        m = 0.9 * m + 0.1 * g
        w = w - 0.05 * m
    return np.sum((X @ w - y) ** 2) + np.sum(w * w * w)


def pendulums(p0, v0, dt, steps):
    """A state of the shape of a parameter (rows of pendulums, too many to be
    written out as numbers), updated in whole-array statements."""
    p = p0.copy()
    v = v0 * 1.0
    for k in range(steps):
        a = -np.sin(p)
        v = v + dt * a
        p = p + dt * v
    return np.sum(p * p) + np.sum(np.cos(v))


def written_after(w0, X, y, iters):
    """The new ``w`` is written into after it is made: its old values must be
    the arrays themselves (a list), not copies."""
    w = w0.copy()
    for k in range(iters):
        g = X.T @ (X @ w - y)
        w = w - 0.05 * g
        w[0] = w[0] * 0.5
    return np.sum(np.sin(w) * w)


def written_after_kept(w0, X, y, iters):
    """As ``written_after``, the step's old ``w`` kept under another name: the new
    ``w`` is a new array each step (not stored into in place), written into after
    it is made."""
    w = w0.copy()
    s = 0.0
    for k in range(iters):
        prev = w
        g = X.T @ (X @ w - y)
        w = w - 0.05 * g
        w[0] = w[0] * 0.5
        s += np.sum(prev * w)
    return s + np.sum(np.sin(w) * w)


def alias_read(w0, X, y, iters):
    """A second name for the old ``w``, only read: the copies on the stack
    are as good as the arrays."""
    w = w0.copy()
    s = 0.0
    for k in range(iters):
        prev = w
        w = w - 0.05 * (X.T @ np.tanh(X @ w - y))
        s += np.sum(prev * w)
    return s


def growing(w0, iters):
    """An array that grows each step has no one shape."""
    w = w0.copy()
    for k in range(iters):
        w = np.append(w, np.sin(w[-1]))
        w = w * 0.9
    return np.sum(w * w * w)


def springs(p0, k, dt, steps):
    """Three masses joined by springs in the plane: a state of a literal shape
    (``np.zeros((3, 2))``, and the specialized shape of ``p0``), pairs in a
    nest that skips ``i == j``, the difference of two rows in a temporary."""
    p = p0.copy()
    v = np.zeros((3, 2))
    f = np.zeros((3, 2))
    for s in range(steps):
        f[:, :] = 0.0
        for i in range(3):
            for j in range(3):
                if i == j:
                    continue
                d = p[j] - p[i]
                f[i] += k * d * np.sqrt(d[0] * d[0] + d[1] * d[1])
        v = v + dt * f
        p = p + dt * v
    return np.sum(p[:, 0] ** 2) + np.sum(v * v)


def finite_volume(u0, nu, dt, steps):
    """Fluxes at the n + 1 faces of n cells (``np.zeros(n + 1)``), differenced
    through slices with constant bounds, and a diffusion term with
    ``np.roll``: every value of ``u`` has the length of ``u0``."""
    n = u0.shape[0]
    u = u0.copy()
    F = np.zeros(n + 1)
    for s in range(steps):
        for i in range(1, n):
            F[i] = 0.25 * (u[i - 1] * u[i - 1] + u[i] * u[i])
        u = u - dt * (F[1:] - F[:-1]) + nu * (np.roll(u, 1) - 2.0 * u + np.roll(u, -1))
    return np.sum(u * u * u)


def filled_then_moved(a0, w, steps):
    """A state filled element by element before the loop, then each step a
    new array filled and handed on (``alpha = new``): once its values are
    saved, nothing writes into the array ``alpha`` holds."""
    n = a0.shape[0]
    alpha = np.empty(n)
    for k in range(n):
        alpha[k] = np.sin(a0[k])
    for t in range(steps):
        new = np.empty(n)
        for j in range(n):
            new[j] = np.tanh(w * alpha[j] + alpha[(j + 1) % n])
        alpha = new
    return np.sum(alpha * alpha * alpha)


def warm_start(w0, X, y, iters):
    """``w`` first bound in one loop (a warm start), then re-bound in the next:
    the second loop's first save holds the first loop's value."""
    for k in range(iters // 2):
        w = w0 * (1.0 + 0.5 * k)
    for t in range(iters):
        g = X.T @ np.tanh(X @ w - y)
        w = w - 0.1 * g
    return np.sum(w * w * w)


def kernel_sinkhorn(x, y, eps, iters):
    """Costs made by broadcasting points against points (``x[:, None, :] -
    y[None, :, :]``, summed along the coordinates): the kernel's products,
    re-bound each iteration, have the lengths of its rows and columns."""
    C = np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=2)
    K = np.exp(-C / eps)
    u = np.ones(x.shape[0])
    v = np.ones(y.shape[0])
    for t in range(iters):
        u = 1.0 / (K @ v)
        v = 1.0 / (K.T @ u)
    return np.sum(u[:, None] * K * v[None, :] * C)


def forward_sweep(a, b, d):
    """A helper's work array made anew at each call, then filled (a Thomas
    solve's forward sweep)."""
    n = d.shape[0]
    cp = np.empty(n)
    cp[0] = d[0] / b[0]
    for i in range(1, n):
        cp[i] = (d[i] - a[i] * cp[i - 1]) / b[i]
    return cp


def line_solves(b0, u0, steps):
    """The work array, filled after each binding, is written only through its
    own name while it is the current one: its old arrays go on a stack."""
    u = u0.copy()
    a = 0.3 * np.ones(u0.shape[0])
    for t in range(steps):
        w = forward_sweep(a, b0, u)
        u = 0.5 * (u + w * w)
    return np.sum(u * u)
