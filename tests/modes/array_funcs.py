"""Array-valued functions for the vjp / jacobian tests."""
import math

import numpy as np


def elementwise(x, w):
    return np.sin(x) * w + x * x


def with_axis(A):
    return np.sum(np.exp(A), axis=0) / np.max(A, axis=1).sum()


def matvec(A, x):
    return A @ np.tanh(x)


def loop_fill(x, k):
    out = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = math.sin(x[i] * k) + x[(i + 1) % x.shape[0]] ** 2
    return out


def running(x):
    y = np.empty_like(x)
    acc = 0.0
    for i in range(x.shape[0]):
        acc = acc * 0.5 + x[i]
        y[i] = acc * acc
    return y


def two_outputs(x, w):
    return np.sum(x * w), x[0] * w


def matrix_out(x):
    return np.outer(x, np.cos(x))


def scalar_out(x):
    return np.sum(x ** 3)


def ode(y0, k, n):
    y = y0.copy()
    for t in range(n):
        dy = -k * y + 0.1 * np.sin(y[::-1])
        y = y + 0.05 * dy
    return y
