"""Representative functions whose generated source is kept as golden files."""
import math

import numpy as np


def rosen_loop(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def recurrence(x, w):
    y = x
    for i in range(10):
        y = math.sin(y) * w
    return y


def branches(x, a):
    if x > a:
        y = x * x
    elif x < -a:
        y = -x
    else:
        y = math.exp(x)
    return y * a


def while_break(x, tol):
    s = 0.0
    k = 0
    while k < x.shape[0]:
        s += x[k] * x[k]
        if s > tol:
            break
        k += 1
    return s


def scratch_array(x, w):
    n = x.shape[0]
    u = np.zeros(n)
    s = 0.0
    for t in range(3):
        for i in range(n):
            u[i] = math.tanh(w * x[i] + u[i])
        s += np.sum(u * u)
    return s


def helper(v):
    return v * math.exp(-v)


def calls_helper(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += helper(x[i])     # a small helper: inlined
    return s


def rosen_temporaries(x):
    # the same math as rosen_loop written with temporaries: fused all the same
    s = 0.0
    for i in range(x.shape[0] - 1):
        a = x[i + 1] - x[i] * x[i]
        b = 1.0 - x[i]
        s += 100.0 * a * a + b * b
    return s


def horner_per_point(c, x):
    # a polynomial per point by Horner's rule: the inner loop's carried value is
    # stacked and popped within each fused iteration (its stack starts empty)
    s = 0.0
    for i in range(x.shape[0]):
        p = 0.0
        for k in range(c.shape[0]):
            p = p * x[i] + c[k]
        s += p * p
    return s
