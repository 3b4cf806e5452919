"""Loops whose carried number is bound in several statements of the body
(passes/webs.py ``split_carried_versions``); tests/core/test_carried_versions.py."""
from __future__ import annotations

import math

import numpy as np


def adaptive_heun(k, y0, t_end, tol):
    """An adaptive step ``h``: cut to the end, then scaled and clamped."""
    y = y0
    t = 0.0
    h = 0.1
    s = 0.0
    while t < t_end:
        if t + h > t_end:
            h = t_end - t
        f1 = -k * y + math.sin(t)
        yp = y + h * f1
        f2 = -k * yp + math.sin(t + h)
        yn = y + 0.5 * h * (f1 + f2)
        err = abs(0.5 * h * (f2 - f1)) + 1e-12
        if err < tol:
            t += h
            y = yn
            s += y * h
        h = 0.9 * h * math.sqrt(tol / err)
        h = min(max(h, 1e-3), 0.5)
    return s + y * y


def adaptive_heun_named(k, y0, t_end, tol):
    """The same with a name per value of the step."""
    y = y0
    t = 0.0
    h = 0.1
    s = 0.0
    while t < t_end:
        hs = t_end - t if t + h > t_end else h
        f1 = -k * y + math.sin(t)
        yp = y + hs * f1
        f2 = -k * yp + math.sin(t + hs)
        yn = y + 0.5 * hs * (f1 + f2)
        err = abs(0.5 * hs * (f2 - f1)) + 1e-12
        if err < tol:
            t += hs
            y = yn
            s += y * hs
        hn = 0.9 * hs * math.sqrt(tol / err)
        h = min(max(hn, 1e-3), 0.5)
    return s + y * y


def damped_steps(a, x0, n):
    """A ``for`` loop: the state scaled in place, then stepped (``x *= c`` first)."""
    x = x0
    s = 0.0
    for i in range(n):
        x *= 0.99
        v = math.tanh(a * x) + 0.1 * i
        x = x + 0.05 * v
        s += x * x
    return s


def leaves_before_the_last(a, x0, n):
    """A ``break`` between the two bindings: not split (the name must hold the
    value the iteration left), and the gradient is right either way."""
    x = x0
    for i in range(n):
        x = x * a
        if x > 5.0:
            break
        x = x + math.sin(x)
    return x * x


def running_sums(a, n):
    """A sum added to twice per iteration stays a sum (not split)."""
    s = 0.0
    for i in range(n):
        s += math.sin(a * i)
        s += a * a * i
    return s


def running_sums_under_a_flag(a, n):
    """The same with one of the sums under an ``if``: still a sum (not split)."""
    s = 0.0
    for i in range(n):
        s += math.sin(a * i)
        if i % 2 == 0:
            s += a * a * i
    return s


def periodic_fluxes(u0, c, steps):
    """An index set afresh in each iteration and wrapped by an ``if`` (``ip = i + 1``,
    then ``if ip == n: ip = 0``): a name for the wrapped value, recomputed from the
    loop index in reverse (not stored before each overwrite), as for ``ip = (i + 1)
    % n``."""
    n = u0.shape[0]
    u = u0.copy()
    f = np.empty(n)
    for step in range(steps):
        for i in range(n):
            ip = i + 1
            if ip == n:
                ip = 0
            f[i] = c * u[i] * u[ip]
        for i in range(n):
            im = i - 1
            if im < 0:
                im = n - 1
            u[i] = u[i] - 0.1 * (f[i] - f[im])
    return np.sum(u * u)


def periodic_fluxes_wrapped(u0, c, steps):
    """The same with the wrapped indices written by the remainder."""
    n = u0.shape[0]
    u = u0.copy()
    f = np.empty(n)
    for step in range(steps):
        for i in range(n):
            ip = (i + 1) % n
            f[i] = c * u[i] * u[ip]
        for i in range(n):
            im = (i - 1) % n
            u[i] = u[i] - 0.1 * (f[i] - f[im])
    return np.sum(u * u)
