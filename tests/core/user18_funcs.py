"""Programs from the eighteenth session's testers (source read by sourcediff)."""
import numpy as np


def copied_each_step(g0, nsteps):
    """A small state re-bound to its own copy each step."""
    g = g0.copy()
    for s in range(nsteps):
        g = g.copy()
    return g[0] * g[1]


def old_copy_then_new(g0, nsteps):
    """``old = g.copy(); g = f(old)``: time stepping through a copy."""
    g = g0.copy()
    for s in range(nsteps):
        old = g.copy()
        g = old * 1.5 + 0.1 * old * old
    return np.sum(g)


def deposit_reset(x, ng):
    """A grid made from a whole-number argument, reset by a slice store each step."""
    rho = np.zeros(ng)
    s = 0.0
    for k in range(3):
        rho[:] = 0.0
        rho[k] = x[k] * x[k + 1]
        s += rho[k] * rho[k] + np.sum(rho)
    return s


def row_store_2d(x, n, m):
    """A matrix made from two whole-number arguments, its first row stored each step."""
    u = np.zeros((n, m))
    s = 0.0
    for k in range(3):
        u[0, :] = x[k]
        s += np.sum(u * u) * x[k + 1]
    return s


def sqdist(a, b):
    s = 0.0
    for j in range(a.shape[0]):
        d = a[j] - b[j]
        s += d * d
    return s


def kernel_sums(Xq, X, log_h):
    """A helper given rows of two matrices, inlined in a loop nest (``a = Xq[q]``),
    its results kept in a scratch array read by a second loop."""
    h = np.exp(log_h)
    d2 = np.empty(X.shape[0])
    total = 0.0
    for q in range(Xq.shape[0]):
        for i in range(X.shape[0]):
            d2[i] = sqdist(Xq[q], X[i])
        nearest = d2[0]
        for i in range(X.shape[0]):
            nearest = min(nearest, d2[i])
        for i in range(X.shape[0]):
            total += np.exp(-(d2[i] - nearest) / (h * h))
    return total
