"""Loop programs whose reverse sweep has whole-array statements over arrays
of one shape (passes/array_loops.py); source read by sourcediff."""
import math

import numpy as np


def apply_a(p, k2, out):
    n = p.shape[0]
    for i in range(n):
        left = p[i - 1] if i > 0 else 0.0
        right = p[i + 1] if i < n - 1 else 0.0
        out[i] = 2.0 * p[i] - left - right + k2[i] * p[i]


def cg_solve(k2, rhs, tol, maxit):
    """Conjugate gradients, matrix-free, left by break on the residual."""
    n = rhs.shape[0]
    x = np.zeros(n)
    r = rhs.copy()
    p = r.copy()
    Ap = np.zeros(n)
    rs = np.dot(r, r)
    for it in range(maxit):
        apply_a(p, k2, Ap)
        alpha = rs / np.dot(p, Ap)
        x += alpha * p
        r -= alpha * Ap
        rs_new = np.dot(r, r)
        if math.sqrt(rs_new) < tol:
            break
        p = r + (rs_new / rs) * p
        rs = rs_new
    return np.sum(x * rhs)


def heavy_ball(x0, target, lr, beta, steps):
    """Gradient descent with momentum on a quadratic, the states re-bound."""
    x = x0.copy()
    v = np.zeros_like(x0)
    for t in range(steps):
        g = 2.0 * (x - target) + 0.1 * x * x
        v = beta * v - lr * g
        x = x + v
    return np.sum(x * x) + np.sum(v * target)


def adam(w0, data, lr, steps):
    """Unrolled Adam on a least-squares loss; moments of one shape as w."""
    w = w0.copy()
    m = np.zeros_like(w0)
    s = np.zeros_like(w0)
    for t in range(steps):
        g = 2.0 * (w - data) * np.sin(w)
        m = 0.9 * m + 0.1 * g
        s = 0.99 * s + 0.01 * g * g
        w = w - lr * m / (np.sqrt(s) + 1e-3)
    return np.sum((w - data) ** 2)


def row_and_column(x, c, steps):
    """A state broadcast against a column each step: arrays of two shapes."""
    u = x.copy()
    total = 0.0
    for t in range(steps):
        v = u * c
        total += np.sum(v * v)
        u = 0.5 * u + 0.1 * np.sum(v, axis=0)
    return total + np.sum(u)


def coordinate_steps(X, y, lam, sweeps):
    """Coordinate descent on least squares: a column view per coordinate, whose
    adjoint ``dX[:, j]`` the reverse adds into beside the residual's."""
    p = X.shape[1]
    w = np.zeros(p)
    r = y.copy()
    for s in range(sweeps):
        for j in range(p):
            xj = X[:, j]
            rho = np.dot(xj, r) + w[j] * np.dot(xj, xj)
            wj = rho / (np.dot(xj, xj) + lam)
            delta = wj - w[j]
            if delta != 0.0:
                r -= delta * xj
                w[j] = wj
    return np.sum(r * r) + lam * np.sum(w * w)
