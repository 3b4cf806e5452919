"""Programs of the sixteenth session's user reports (imported by file, so the
determinism test can transform them in a fresh interpreter)."""
import math

import numpy as np


def kalman_like(q, y):
    x = np.array([y[0], 0.0])
    P = np.eye(2)
    ll = 0.0
    for t in range(1, y.shape[0]):
        P = P @ P
        P[0, 0] += q[0]
        S = P[0, 0] + 1.0
        v = y[t] - x[0]
        K0 = P[0, 0] / S
        K1 = P[1, 0] / S
        x[0] += K0 * v
        x[1] += K1 * v
        P = np.array([[(1 - K0) * P[0, 0], (1 - K0) * P[0, 1]],
                      [P[1, 0] - K1 * P[0, 0], P[1, 1] - K1 * P[0, 1]]])
        ll += v * v / S
    return ll


# -- a slice of a fresh copy made each step, written in place ------------------
def copy_then_slice_store(u0, dt, n):
    u = u0.copy()
    for t in range(n):
        un = u.copy()
        un[0:] = np.sin(un[0:]) * dt
        u = un
    return np.sum(u)


def copy_then_partial_store(u0, dt, n):
    u = u0.copy()
    for t in range(n):
        un = u.copy()
        un[1:] = un[1:] * dt
        u = un + u
    return np.sum(u * u)


def copy_then_slice_update(u0, dt, n):
    u = u0.copy()
    for t in range(n):
        un = u.copy()
        un[1:-1] += np.exp(un[1:-1] * dt)
        u = un
    return np.sum(u * u)


def copy_then_element_store(u0, dt, n):
    u = u0.copy()
    for t in range(n):
        un = u.copy()
        un[1] = math.sin(un[0]) * dt + un[1]
        u = un
    return np.sum(u * u)


# -- an array that shrinks each step, checkpointed -----------------------------
def shrinking(u0, dt, n):
    u = u0.copy()
    for t in range(n):
        u = u[1:] * dt + u[:-1]
    return np.sum(u * u)


def shrinking_with_temporaries(u0, dt, n):
    u = u0.copy()
    s = 0.0
    for t in range(n):
        left = u[:-1]
        d = u[1:] - left
        s += np.sum(d * d)
        u = left + dt * np.tanh(d)
    return s + np.sum(u)


# -- one array copied into itself with another step ---------------------------
def strided_self_copy(u0, dt, n):
    u = u0.copy()
    for t in range(n):
        u[1::2] = u[1:-2]
        u = u * dt + u0
    return np.sum(u * u)


def strided_copy_of_a_copy(u0, dt, n):
    u = u0.copy()
    for t in range(n):
        u[1::2] = u[1:-2].copy()
        u = u * dt + u0
    return np.sum(u * u)


def same_step_self_copies(u0, dt):
    u = u0 * dt
    u[2:] = u[:-2]
    u[::2] = u[1::2]
    u[1:3] = u[0]
    return np.sum(u * u)


# -- a state re-bound each step: shapes known equal, final values not taped ----
def rebound_state(b, a, iters):
    x = np.zeros_like(b)
    p = b.copy()
    for it in range(iters):
        x += a * p
        p = 0.9 * p + 0.01 * x
    return np.sum(x * x)


def rebound_state_read_inside(b, a, iters):
    x = np.zeros_like(b)
    p = b.copy()
    for it in range(iters):
        x += a * p
        p = 0.9 * p + 0.01 * x * x
    return np.sum(x * x)


def state_grown_by_broadcast(b, a, iters):
    x = np.zeros(1)
    p = b.copy()
    for it in range(iters):
        x = x + a * p
        p = 0.9 * p + 0.01 * x
    return np.sum(x * x) + np.sum(p)


def swapped_states(b, a, iters):
    u = b.copy()
    v = np.zeros_like(b)
    for it in range(iters):
        v = np.sin(u) * a + v
        u, v = v, u
    return np.sum(u * v)


def final_read_then_rebound(b, a, iters):
    x = b * a
    for it in range(iters):
        x = np.tanh(x) + b
    s = np.sum(x * x)
    x = x * a
    return s + np.sum(x)


# -- rows of two arrays in one element loop: their lengths are checked --------
def rows_of_two(X, Y, w):
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] * w - Y[i]
        s += np.sum(d * d)
    return s


def rows_by_assignment(X, C, a):
    s = 0.0
    for i in range(X.shape[0]):
        if a[i] > 0:
            d = X[i] - C[a[i]]
            s += np.sum(np.tanh(d) * d)
        else:
            s += 1.0
    return s



# -- ``.copy()`` of an array whose shape changes each step (its adjoint buffer
# was made once, with the last step's shape) ------------------------------------
def shrinking_copy(x, n):
    for it in range(n):
        x = x[1:].copy() * 1.1
    return np.sum(x * np.arange(x.size))


def transposed_copy(X, n):
    for it in range(n):
        X = X.T.copy() * 1.1
    return np.sum(X * np.arange(X.size).reshape(X.shape))


def astype_builtin(x, k):
    return np.sum(x.astype(float) ** 2) + np.sum(k.astype(float) * x)


def _scaled(x, *, scale=None):
    if scale is None:
        return x * 2.0
    return x * scale


def keyword_only_none_default(x, s):
    return np.sum(_scaled(x) * _scaled(x, scale=s))
