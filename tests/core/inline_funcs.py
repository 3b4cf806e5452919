"""Helpers the callers in test_inline.py call (this module's globals differ
from the callers': ``xp`` is NumPy here and unknown there)."""
import math

import numpy as xp
from numba import njit


@njit
def squash(v):
    return 1.0 / (1.0 + xp.exp(-v))


def gates(z, c, h):
    """Writes into ``c`` and ``h`` (a cell update, as in the lstm benchmark)."""
    n = h.shape[0]
    for j in range(n):
        a = squash(z[j])
        c[j] = a * c[j] + (1.0 - a) * math.tanh(z[n + j])
        h[j] = squash(z[2 * n + j]) * math.tanh(c[j])


def scaled(x):
    s = 2.0 * x          # 's' and 'x' are names of the callers too
    return s * math.sin(s)


def halve_then_sin(v):
    v = 0.5 * v          # a parameter rebound
    return v + math.sin(v)


def rec(x, n):
    r = x
    if n > 0:
        r = x * rec(x, n - 1)
    return r


def ping(x, n):
    r = x
    if n > 0:
        r = pong(x, n - 1)
    return r


def pong(x, n):
    return 2.0 * ping(x, n)


def matmul_of(v, n):
    m = v.T @ n          # wrong for a float n: reported at the caller's call
    return m[0]


def pendulum_rhs(th1, th2, w1, w2, m1, m2, l1, l2, damp):
    """A double pendulum's accelerations: a formula of numbers with more
    operations than passes/inline.py copies into each call site."""
    g = 9.81
    delta = th2 - th1
    den1 = (m1 + m2) * l1 - m2 * l1 * math.cos(delta) * math.cos(delta)
    den2 = (l2 / l1) * den1
    a1 = (m2 * l1 * w1 * w1 * math.sin(delta) * math.cos(delta)
          + m2 * g * math.sin(th2) * math.cos(delta)
          + m2 * l2 * w2 * w2 * math.sin(delta)
          - (m1 + m2) * g * math.sin(th1)) / den1
    a2 = (-m2 * l2 * w2 * w2 * math.sin(delta) * math.cos(delta)
          + (m1 + m2) * g * math.sin(th1) * math.cos(delta)
          - (m1 + m2) * l1 * w1 * w1 * math.sin(delta)
          - (m1 + m2) * g * math.sin(th2)) / den2
    return w1, w2, a1 - damp * w1, a2 - damp * w2


def blend(px, py, c, k):
    """Two discs blended smoothly (17 statements: copied at one site of three)."""
    qx = px - c[0]
    qy = py - c[1]
    d1 = math.sqrt(qx * qx + qy * qy) - c[2]
    rx = px - c[3]
    ry = py - c[4]
    d2 = math.sqrt(rx * rx + ry * ry) - c[5]
    m = min(d1, d2)
    e1 = math.exp(-(d1 - m) / k)
    e2 = math.exp(-(d2 - m) / k)
    s = e1 + e2
    w1 = e1 / s
    w2 = e2 / s
    ax = w1 * qx + w2 * rx
    ay = w1 * qy + w2 * ry
    gn = math.sqrt(ax * ax + ay * ay)
    d = m - k * math.log(s)
    return d + 0.1 * gn


def chain_rhs(y, p, out):
    """A right-hand side of 14 statements filling ``out``: two coupled damped
    pendulums (too large for four copies under ``MAX_COPIED``, but its four RK4
    stages run equally often)."""
    a0 = y[0]
    a1 = y[1]
    w0 = y[2]
    w1 = y[3]
    c01 = math.sin(a1 - a0)
    g0 = -p[0] * math.sin(a0) + p[1] * c01
    g1 = -p[0] * math.sin(a1) - p[1] * c01
    f0 = g0 - p[2] * w0
    f1 = g1 - p[2] * w1
    out[0] = w0
    out[1] = w1
    out[2] = f0
    out[3] = f1
    return out
