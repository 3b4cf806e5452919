"""A small relu MLP trained by hand-written SGD; the loss after training,
differentiated with respect to the initial weights and the learning rate."""
import numpy as np


def f(W1, b1, W2, b2, X, Y, lr, epochs):
    n, d = X.shape
    h = W1.shape[0]
    W1 = W1.copy()
    b1 = b1.copy()
    W2 = W2.copy()
    a = np.empty(h)
    z = np.empty(h)
    for ep in range(epochs):
        for s in range(n):
            for k in range(h):
                acc = b1[k]
                for q in range(d):
                    acc += W1[k, q] * X[s, q]
                z[k] = acc
                a[k] = max(acc, 0.0)
            out = b2
            for k in range(h):
                out += W2[k] * a[k]
            g = out - Y[s]
            for k in range(h):
                gk = g * W2[k] * (1.0 if z[k] > 0.0 else 0.0)
                W2[k] -= lr * g * a[k]
                b1[k] -= lr * gk
                for q in range(d):
                    W1[k, q] -= lr * gk * X[s, q]
            b2 -= lr * g
    loss = 0.0
    for s in range(n):
        out = b2
        for k in range(h):
            acc = b1[k]
            for q in range(d):
                acc += W1[k, q] * X[s, q]
            out += W2[k] * max(acc, 0.0)
        loss += (out - Y[s]) ** 2
    return loss / n


def make_args(small=False):
    rng = np.random.default_rng(0)
    n, d, h, ep = (5, 3, 4, 2) if small else (200, 8, 16, 5)
    X = rng.standard_normal((n, d))
    Y = np.sin(X[:, 0]) + 0.5 * X[:, 1]
    return (0.5 * rng.standard_normal((h, d)), 0.1 * rng.standard_normal(h),
            0.5 * rng.standard_normal(h), 0.0, X, Y, 0.01, ep)


WRT = (0, 2, 6)
