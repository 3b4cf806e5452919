"""Scalar functions for the higher-order tests."""
import math

import numpy as np


def poly_sin(x):
    return math.sin(x) * x ** 3


def loop_recurrence(x):
    y = x
    for i in range(4):
        y = math.sin(y) * 1.3 + 0.1 * y * y
    return y


def branch_while(x):
    y = x
    k = 0
    while k < 3:
        if y > 0.5:
            y = y * math.exp(-0.2 * y)
        else:
            y = y + 0.3 * math.tanh(y)
        k += 1
    return y * x


def two_args(x, w):
    return math.exp(w * x) / (1.0 + x * x)


def rosen(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def energy(x, k):
    e = 0.0
    for i in range(x.shape[0]):
        for j in range(i + 1, x.shape[0]):
            d = x[i] - x[j]
            e += k / (1.0 + d * d)
    return e + np.sum(np.cos(x) * x)


def mixed(x, y):
    return x[0] ** 2 * y + math.sin(y) * np.sum(x * x * x)


def log_gamma_sum(x):
    """lgamma(x) + lgamma(x + 1) = 2 lgamma(x) + log(x)."""
    return math.lgamma(x) + math.lgamma(x + 1.0)


def _scaled_into(buf, x, a):
    for i in range(x.shape[0]):
        buf[i] = buf[i] * a + x[i]
    return buf[0]


def calls_helper_writing_its_argument(x):
    # second derivatives: the generated adjoint's own copy of the helper
    # (``buf = buf.copy()`` first) was refused as writing into its argument
    b = np.ones(x.shape[0])
    tot = 0.0
    for t in range(2):
        tot += _scaled_into(b, x, x[t])
    return tot          # 3 x0 + 2 x0 x1


def matrix_power_trace(a):
    # second derivatives: the adjoint's 2x2 array, made with empty_grid and read
    # for its shape before its elements were stored, was scalarized again with
    # no value (an UnboundLocalError)
    A = np.array([[a[0], a[1]], [a[2], a[3]]])
    P = np.eye(2)
    for k in range(3):
        P = P @ A
    return np.trace(P)


def rebinds_each_step(y0):
    # the adjoint reuses a zeroed buffer (reuse_zeros), which had no rule
    y = y0.copy()
    for s in range(3):
        k = y * y
        y = k + y
    return np.sum(y)
