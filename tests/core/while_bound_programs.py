"""While loops whose test keeps an int counter below a limit (a bound on their
trips known before they run: tape stacks instead of lists), and forms that give
no such bound (tests/core/test_while_bounds.py)."""
from __future__ import annotations

import math


def survival(hazard, r, floor):
    """Runs until the survival drops below a floor, at most n periods."""
    n = hazard.shape[0]
    surv = 1.0
    disc = 1.0
    prem = 0.0
    k = 0
    while k < n:
        q = math.exp(-hazard[k])
        disc *= math.exp(-r)
        prem += disc * (surv - surv * q)
        surv = surv * q
        k += 1
        if surv < floor:
            break
    return prem / surv


def every_other(x, n):
    """``k <= n - 1`` and steps of 2, from 1: ceil((n - 1) / 2) trips, all of them."""
    s = 0.0
    k = 1
    while k <= n - 1:
        s = s * x[k % x.shape[0]] + math.sin(s + x[0])
        k += 2
    return s


def restarted(x, sweeps):
    """A counter set to 2 again before each inner loop, the limit the array's
    length: every inner loop runs to the end (a test that may stop it too: not
    a counted loop, which becomes a for loop)."""
    y = x.copy()
    for t in range(sweeps):
        j = 2
        while x.shape[0] > j and y[j - 1] < 1e300:
            y[j] = y[j - 1] * y[j] + math.cos(y[j - 2])
            j += 1
    return y[x.shape[0] - 1]


def tolerance_or_cap(a, x0, tol, cap):
    """A fixed point to a tolerance or at most ``cap`` iterations."""
    x = x0
    it = 0
    err = 1.0
    while err > tol and it < cap:
        xn = math.cos(a * x)
        err = abs(xn - x)
        x = xn
        it += 1
    return x


def capped_by_a_break(a, x0, tol, cap):
    """The same fixed point, left by a ``break`` once ``cap`` trips ran (an
    adaptive integrator's ``it += 1; if it >= nmax: break``)."""
    x = x0
    it = 0
    err = 1.0
    while err > tol:
        xn = math.cos(a * x)
        err = abs(xn - x)
        x = xn
        it += 1
        if it >= cap:
            break
    return x


def cap_checked_first(a, x0, tol, cap):
    """The cap tested before the trip's step: one trip more than ``cap`` checks."""
    x = x0
    it = 0
    err = 1.0
    while err > tol:
        if not it < cap:
            break
        xn = math.cos(a * x)
        err = abs(xn - x)
        x = xn
        it += 1
    return x


# -- no bound: list tapes --------------------------------------------------
def starts_anywhere(x, start):
    """The counter starts at an argument: no lowest value known (a test that may
    stop it too: not a counted loop)."""
    s = 0.0
    k = start
    while k < x.shape[0] and s < 1e300:
        s = s * x[k] + math.sin(s)
        k += 1
    return s


def steps_back(x):
    """The counter also goes down."""
    s = 0.0
    k = 0
    while k < x.shape[0]:
        s = s * x[k] + math.sin(s)
        k += 1
        if s > 10.0:
            k -= 1
            s = 0.5 * s
    return s


def float_counter(x):
    s = 0.0
    t = 0.0
    while t < 3.0:
        s = s * x[0] + math.sin(s + t)
        t += 1
    return s


def noise_per_trip(theta, noise, T):
    """``while t < T`` with a step that changes: no test on a counter, but each
    trip reads ``noise[k]`` with ``k`` counting the trips, before anything may
    leave the trip, so a run without an IndexError has at most
    ``noise.shape[0]`` of them (a new user's adaptive Euler-Maruyama SIRS)."""
    x = 0.5
    t = 0.0
    k = 0
    s = 0.0
    while t < T:
        dt = 0.1
        if k % 3 == 0:
            dt = 0.05
        x = x + theta * (1.0 - x) * dt + 0.1 * math.sqrt(dt) * noise[k]
        s += x * x * dt
        t += dt
        k += 1
    return s


def noise_after_an_exit(theta, noise, T):
    """The same with a ``break`` before the read: a trip may end without reading
    ``noise[k]``, so the reads bound nothing."""
    x = 0.5
    t = 0.0
    k = 0
    s = 0.0
    while t < T:
        dt = 0.1
        if x > 50.0:
            break
        x = x + theta * (1.0 - x) * dt + 0.1 * math.sqrt(dt) * noise[k]
        s += x * x * dt
        t += dt
        k += 1
    return s
