"""Programs whose reverse sweep would put back values nothing reads
(passes/dead_restores.py): a bisection search, a Newton iteration with a
search inside, a branch assigning one name (source read by sourcediff)."""
import math

import numpy as np


def lookup(xq, xs, ys):
    lo = 0
    hi = xs.shape[0] - 1
    if xq <= xs[0]:
        return ys[0]
    if xq >= xs[hi]:
        return ys[hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if xs[mid] > xq:
            hi = mid
        else:
            lo = mid
    w = (xq - xs[lo]) / (xs[hi] - xs[lo])
    return (1.0 - w) * ys[lo] + w * ys[hi]


def optical_depth(kappa, r_tab, b, n):
    """A table lookup per sample along each ray: the search is not
    differentiated, only the interpolation after it."""
    total = 0.0
    for k in range(b.shape[0]):
        tau = 0.0
        half = math.sqrt(max(1.0 - b[k] * b[k], 0.0))
        ds = 2.0 * half / n
        for i in range(n):
            s = -half + (i + 0.5) * ds
            r = math.sqrt(b[k] * b[k] + s * s)
            tau += math.exp(lookup(r, r_tab, kappa)) * ds
        total += math.exp(-tau)
    return total


def search_then_scale(x, edges, c):
    """The search inline, its index read by the differentiated statements
    after it, and a running product carried across queries."""
    p = 1.0
    for q in range(x.shape[0]):
        j = 0
        while j < edges.shape[0] - 1 and edges[j + 1] <= x[q]:
            j += 1
        p = p * (c[j] + x[q] * x[q]) * 0.5
    return p


def newton_sqrt(a, tol):
    """A Newton iteration (differentiated: each step's value is read by the
    next) with an undifferentiated counter beside it."""
    s = 0.0
    for i in range(a.shape[0]):
        y = a[i]
        steps = 0
        while abs(y * y - a[i]) > tol and steps < 50:
            y = 0.5 * (y + a[i] / y)
            steps += 1
        s += y * steps
    return s


def branch_value(x, a):
    if x > a:
        y = x * x
    else:
        y = math.exp(x)
    return y * a + np.sin(y)


def horner_fit(coef, xs, ys):
    """A point loop run fused with its reverse; the inner Horner loop's number
    ``p`` is carried from one of its iterations to the next, and the adjoint
    of ``p * x + coef[c]`` does not read ``p``: nothing reads the values a
    reverse iteration would put back (the reverse of ``p * p`` after the loop
    reads the last ``p``, which the fused iteration has just computed)."""
    total = 0.0
    for o in range(xs.shape[0]):
        x = xs[o]
        p = 0.0
        for c in range(coef.shape[0] - 1, -1, -1):
            p = p * x + coef[c]
        total += (p * p - ys[o]) ** 2
    return total


def squaring_fit(coef, xs, ys):
    """The same loops, the recurrence nonlinear in ``p``: the reverse of each
    inner iteration reads the ``p`` it started from."""
    total = 0.0
    for o in range(xs.shape[0]):
        x = xs[o]
        p = 0.0
        for c in range(coef.shape[0]):
            p = p * p * x + coef[c]
        total += (p - ys[o]) ** 2
    return total


def horner_fit_last(coef, xs, ys):
    """As ``horner_fit``, the last point's ``p`` read after the loop."""
    total = 0.0
    p = 0.0
    for o in range(xs.shape[0]):
        x = xs[o]
        p = 0.0
        for c in range(coef.shape[0] - 1, -1, -1):
            p = p * x + coef[c]
        total += (math.tanh(p) - ys[o]) ** 2
    return total + 0.5 * p
