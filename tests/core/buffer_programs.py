"""Programs that keep time levels in a few arrays and rebind the names: buffer
swaps, rotations, a fresh array per step (tests/core/test_buffers.py)."""
from __future__ import annotations

import math

import numpy as np


def swap2d(u0, kappa, steps):
    u = u0.copy()
    unew = u0.copy()
    m, n = u0.shape
    for t in range(steps):
        for i in range(1, m - 1):
            for j in range(1, n - 1):
                unew[i, j] = u[i, j] + kappa * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1]
                                                + u[i, j + 1] - 4.0 * u[i, j])
        u, unew = unew, u
    return np.sum(u * u)


def rotate3(u0, kappa, steps):
    n = u0.shape[0]
    a = u0.copy()
    b = u0 * 0.5
    c = u0 * 0.25
    for t in range(steps):
        for i in range(1, n - 1):
            c[i] = a[i] + kappa * b[i] * b[i - 1] + 0.1 * c[i + 1]
        a, b, c = b, c, a
    s = 0.0
    for i in range(n):
        s += a[i] * b[i] + c[i]
    return s


def fresh_empty(u0, kappa, steps):
    n = u0.shape[0]
    u = u0.copy()
    for t in range(steps):
        unew = np.empty(n)
        unew[0] = u[0]
        unew[n - 1] = u[n - 1]
        for i in range(1, n - 1):
            unew[i] = u[i] + kappa * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u = unew
    s = 0.0
    for i in range(n):
        s += u[i] ** 2
    return s


def fresh_copy(u0, kappa, steps):
    n = u0.shape[0]
    u = u0.copy()
    for t in range(steps):
        unew = u.copy()
        for i in range(1, n - 1):
            unew[i] = u[i] + kappa * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u = unew
    s = 0.0
    for i in range(n):
        s += u[i] ** 2
    return s


def swap_while(u0, kappa, steps):
    n = u0.shape[0]
    u = u0.copy()
    unew = u0.copy()
    t = 0
    while t < steps:
        for i in range(1, n - 1):
            unew[i] = u[i] + kappa * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u, unew = unew, u
        t += 1
    s = 0.0
    for i in range(n):
        s += u[i] ** 2
    return s


def swap_if(u0, kappa, steps):
    n = u0.shape[0]
    u = u0.copy()
    unew = u0.copy()
    for t in range(steps):
        for i in range(1, n - 1):
            unew[i] = u[i] + kappa * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        if t % 3 != 1:
            u, unew = unew, u
    s = 0.0
    for i in range(n):
        s += u[i] ** 2
    return s


def grow(x, kappa, steps):
    u = x.copy()
    for t in range(steps):
        v = np.concatenate((u * kappa, u[:1] * 0.5))
        u = v
    return np.sum(u * u)


# -- true aliases: writing through one name changes what another still reads --


def swap_into_one(u0):
    u = u0.copy()
    unew = u0 * 2.0
    u, unew = unew, unew  # noqa: PLW0127  (both names on one array)
    u[0] = 5.0
    return np.sum(unew * u)


def forgot_fresh_buffer(u0, kappa, steps):
    n = u0.shape[0]
    u = u0.copy()
    unew = u0.copy()
    for t in range(steps):
        for i in range(1, n - 1):
            unew[i] = u[i] + kappa * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u = unew
    return np.sum(u * u)


def swap_with_view(x):
    a = x.copy()
    b = a[1:]
    a, b = b, a
    a[0] = 1.0
    return np.sum(b * b)


def scaled_in_place(x, c):
    """``x *= c`` writes into the array ``y`` also names (NumPy's semantics)."""
    y = x * 1.0
    z = y
    y *= c
    return np.sum(z * z)


def added_in_place(x, c):
    """``x += d`` on an array a second name reads later."""
    y = x * c
    z = y
    y += x
    return np.sum(z * x)


def param_scaled_in_place(x, c):
    """A parameter's array updated in place through a second name."""
    y = x
    x /= c
    return np.sum(y * y)


def swap_bound_in_branches(u0, kappa, steps, flag):
    """Buffers first bound in branches: no permutation (passes/buffers.py wants
    them bound at the top level), the general path with its tape."""
    n = u0.shape[0]
    if flag > 0.0:
        u = u0.copy()
        unew = u0 * 1.0
    else:
        u = u0 * 1.0
        unew = u0.copy()
    for t in range(steps):
        for i in range(1, n - 1):
            unew[i] = u[i] + kappa * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u, unew = unew, u
    return np.sum(u * u)


def fresh_zeros_read_first(u0, kappa, steps):
    """A fresh array per step whose elements are read before written."""
    n = u0.shape[0]
    u = u0.copy()
    for t in range(steps):
        unew = np.zeros(n)
        for i in range(1, n - 1):
            unew[i] = unew[i] * unew[i - 1] + u[i] + kappa * u[i - 1] * u[i + 1]
        unew[0] = u[0]
        u = unew
    return np.sum(u * u)


def fresh_until_small(u0, kappa, steps):
    """A fresh array per step in a loop left by ``break``."""
    n = u0.shape[0]
    u = u0.copy()
    for t in range(steps):
        unew = np.empty(n)
        unew[0] = u[0]
        unew[n - 1] = u[n - 1]
        for i in range(1, n - 1):
            unew[i] = u[i] + kappa * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u = unew
        if np.sum(u * u) < 0.5:
            break
    return np.sum(u * u)


def consumed_view_then_write(x):
    """A view consumed (``np.sin(y[1:3])``) before its array is written: no
    alias error, but the reverse sweep reads the view after the write."""
    y = x * 1.0
    s = np.sum(np.sin(y[1:3]))
    y[1] = 2.0
    return s + np.sum(y * y)


def swap_through_a_name(u0, kappa, steps):
    """The swap written with a name of the user's: ``tmp = u; u = unew; unew = tmp``."""
    n = u0.shape[0]
    u = u0.copy()
    unew = u0.copy()
    for t in range(steps):
        for i in range(1, n - 1):
            unew[i] = u[i] + kappa * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        tmp = u
        u = unew
        unew = tmp
    return np.sum(u * u)


def fresh_each_step(theta, eps):
    """A new array each iteration, bound to the state after it is filled: the next
    iteration writes into it through ``x`` while ``xn`` still names it, but ``xn`` is
    made afresh before anything reads it."""
    x = np.zeros(eps.shape[1])
    for t in range(eps.shape[0]):
        for i in range(x.shape[0]):
            x[i] = theta * x[i] + eps[t, i]
        xn = np.empty(x.shape[0])
        for i in range(x.shape[0]):
            xn[i] = x[i] * 0.5 + math.sin(x[i])
        x = xn
    return np.sum(x * x)


def fresh_each_step_read_after(theta, eps):
    """The same, but the old name is read after the write through the new one:
    NumPy's shared memory shows, so it stays refused."""
    x = np.zeros(eps.shape[1])
    s = 0.0
    for t in range(eps.shape[0]):
        xn = np.empty(x.shape[0])
        for i in range(x.shape[0]):
            xn[i] = x[i] * 0.5 + eps[t, i]
        x = xn
        x[0] = theta
        s += xn[0]
    return s + np.sum(x * x)


def smooth_column(d, x, c):
    """Fills the column ``x`` it is given from the column ``d``."""
    x[0] = c * d[0]
    for i in range(1, d.shape[0]):
        x[i] = 0.5 * (c * d[i] + x[i - 1])


def swap_after_column_helpers(u0, c, steps):
    """A helper fills views ``un[:, j]`` from views ``u[:, j]``, then the buffers
    swap: the views, dead at the loop's head, make u and un no alias."""
    u = u0.copy()
    un = np.empty_like(u0)
    s = 0.0
    for step in range(steps):
        for j in range(u.shape[1]):
            v = u[:, j]
            s += np.sum(np.sin(v))         # (v's values, which later steps overwrite)
            smooth_column(v, un[:, j], c)
        u, un = un, u
    return s + np.sum(u * u)
