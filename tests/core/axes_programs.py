"""Whole-array optimizers over a data matrix (tests/core/test_shape_axes.py):
every state has the length of the matrix's columns, which only the call shows
(``X @ w`` needs ``X.shape[1] == w.shape[0]``)."""
from __future__ import annotations

import math

import numpy as np


def adam_fit(log_lr, beta1, X, y, w0, iters):
    lr = math.exp(log_lr)
    beta2 = 0.999
    w = w0.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    n = X.shape[0]
    b1t = 1.0
    b2t = 1.0
    for t in range(iters):
        r = X @ w - y
        g = X.T @ r / n + 1e-3 * w
        m = beta1 * m + (1.0 - beta1) * g
        v = beta2 * v + (1.0 - beta2) * g * g
        b1t *= beta1
        b2t *= beta2
        mhat = m / (1.0 - b1t)
        vhat = v / (1.0 - b2t)
        w = w - lr * mhat / (np.sqrt(vhat) + 1e-8)
    r = X @ w - y
    return 0.5 * np.dot(r, r) / n


def heavy_ball(X, y, w0, lr, iters):
    """Momentum gradient descent on a logistic loss, the residual as a row
    product (``r @ X``: the columns' length again)."""
    w = w0.copy()
    p = np.zeros_like(w0)
    for t in range(iters):
        z = X @ w
        r = 1.0 / (1.0 + np.exp(-z)) - y
        p = 0.8 * p + r @ X
        w = w - lr * p
    return np.sum(np.log(1.0 + np.exp(-(X @ w) * (2.0 * y - 1.0))))
