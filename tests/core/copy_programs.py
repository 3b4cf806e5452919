"""Programs whose adjoints hand one array adjoint to two operands (tests/core/test_copies.py)."""
import numpy as np


def neural_ode(W, h0, dt, steps):
    h = h0.copy()
    for t in range(steps):
        h = h + dt * np.tanh(W @ h)
    return np.sum(h * h)


def shared_then_added(x, w):
    a = x * w
    b = a + x
    c = b * b + a
    return np.sum(c)
