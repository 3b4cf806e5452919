"""Loops that read a number at the value the iteration leaves it
(passes/rerun.py ``_settled``): a recurrence's new state, read after its update."""
import math


def hawkes(mu, alpha, beta, times):
    """The intensity after each event, from the excitation's new value."""
    A = 0.0
    loglik = 0.0
    for k in range(1, times.shape[0]):
        A = math.exp(-beta * (times[k] - times[k - 1])) * (1.0 + A)
        lam = mu + alpha * beta * A
        loglik += math.log(lam)
    return -loglik


def gated(x, c):
    """The state updated only where the input is positive, read every step."""
    A = 1.0
    s = 0.0
    for k in range(x.shape[0]):
        if x[k] > 0.0:
            A = 0.5 * A + x[k] * c
        y = c * A
        s += y * y
    return s


def rebound_after(x, c):
    """The state changed again after the read: what the read saw is not what
    the iteration leaves, so it is not computed again from it."""
    A = 1.0
    s = 0.0
    for k in range(x.shape[0]):
        A = A * c + x[k]
        y = A * x[k]
        s += y * y
        A = 0.9 * A
    return s


def until_small(x, c):
    """A while loop: the state halves until the product is small."""
    A = x[0]
    s = 0.0
    k = 0
    while k < 40:
        A = A * c
        y = A * x[1]
        s += y * y
        k += 1
        if abs(A) < 1e-3:
            break
    return s


def inner_update(x, w):
    """The state set by an inner loop, read after it by the outer one."""
    s = 0.0
    acc = 0.0
    for i in range(x.shape[0]):
        for j in range(w.shape[0]):
            acc = acc * 0.5 + w[j] * x[i]
        y = acc * w[0]
        s += math.sin(y)
    return s
