"""Time steps of arrays rebound elementwise (``x = x + dx``), for
tests/core/test_in_place_steps.py: where the rebinding may become a store into
the array the name holds, and the forms where it may not."""
import math

import numpy as np


def crop(tb, rue, lai0, temp, rad, rain, wmax):
    """States vectorized over fields, rebound each day; a mask and np.where."""
    ndays, nf = temp.shape
    lai = lai0.copy()
    bio = np.zeros(nf)
    water = 0.5 * wmax * np.ones(nf)
    gdd = np.zeros(nf)
    for d in range(ndays):
        dd = np.clip(temp[d] - tb, 0.0, 25.0)
        gdd = gdd + dd
        fint = 1.0 - np.exp(-0.6 * lai)
        demand = 0.004 * rad[d] * fint
        water = np.minimum(water + rain[d], wmax)
        uptake = np.minimum(water, demand)
        water = water - uptake
        growth = rue * rad[d] * fint * uptake / (demand + 1e-9)
        bio = bio + growth
        dlai = np.where(gdd < 40.0, 0.012 * growth, -0.02 * lai * np.sqrt(dd / 25.0 + 0.01))
        lai = np.maximum(lai + dlai, 0.05)
    return np.sum(np.log1p(bio) ** 2) + np.sum(lai * water)


def seir(beta, gamma, S0, I0, steps):
    """Compartments updated from each other; a reduction of one before its update."""
    S = S0.copy()
    I = I0.copy()
    R = np.zeros_like(S0)
    for _ in range(steps):
        mean_i = np.sum(I) / I.shape[0]
        new_inf = beta * S * (0.7 * I + 0.3 * mean_i)
        new_rec = gamma * I
        S = S - new_inf
        I = I + new_inf - new_rec
        R = R + new_rec
    return np.sum(R * R) + np.sum(S * I)


def kept_alias(u0, k, steps):
    """``old = u`` keeps the array the step started with: no store into it."""
    u = u0.copy()
    s = 0.0
    for _ in range(steps):
        old = u
        u = u + k * np.sin(u)
        s += np.sum(old * u)
    return s


def kept_view(u0, k, steps):
    """A view of the state read after the state is rebound."""
    u = u0.copy()
    s = 0.0
    for _ in range(steps):
        head = u[:2]
        u = u * k + 1.0
        s += np.sum(head * head)
    return s


def kept_past_iterations(u0, k, steps):
    """The previous state, carried into the next iteration."""
    u = u0.copy()
    prev = u0.copy()
    s = 0.0
    for _ in range(steps):
        nxt = u + k * (u - prev)
        prev = u
        u = nxt * 0.9
        s += np.sum(u * prev)
    return s


def argument_buffer(u0, k, steps):
    """The state starts as the caller's array: storing into it would change it."""
    u = u0
    for _ in range(steps):
        u = u * k + np.cos(u)
    return np.sum(u * u)


def first_bound_in_loop(a, steps):
    """Bound first inside the loop: no array to store into on the first step."""
    s = 0.0
    for t in range(steps):
        v = a * (t + 1.0)
        v = v * v + a
        s += np.sum(v)
    return s


def longer_state(u0, c, steps):
    """The state's length is not the parameter's that it is updated with."""
    u = u0.copy()
    for _ in range(steps):
        u = u * c + 0.1
    return np.sum(u * u)


def descent(A, b, x0, eta, steps):
    """A state updated from a vector-matrix product: its length is A's columns'."""
    x = x0.copy()
    for _ in range(steps):
        r = A @ x - b
        g = r @ A + 0.1 * np.tanh(x)
        x = x - eta * g
    return np.sum(x * x) + np.sum(np.cos(x))


def tanh_state(W, xs):
    """A recurrent state updated in place: the tanh value stored into each
    element is read back from it in reverse (planner.values_read_back)."""
    h = np.zeros(W.shape[0])
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
        loss += np.sum(h * h)
    return loss


def stored_twice(u0, w, steps):
    """Each element written twice a step: the first value is not the element's
    when the reverse reaches its store, so it keeps its slot."""
    u = u0.copy()
    n = u.shape[0]
    s = 0.0
    for t in range(steps):
        for i in range(n):
            v = math.tanh(w * u[i] + 0.1)
            u[i] = v
            u[i] = u[i] * 0.9 + 0.05 * v
        s += np.sum(u * u)
    return s


def ista(A, b, lam, step, iters, tol):
    """An iterate made anew each step, the last one kept under another name for the
    stopping test (so not stored into in place: a new buffer each step, filled by
    one element loop)."""
    x = np.zeros(A.shape[1])
    it = 0
    while it < iters:
        x_old = x
        g = A.T @ (A @ x - b)
        z = x - step * g
        x = np.maximum(z - step * lam, 0.0) - np.maximum(-z - step * lam, 0.0)
        it += 1
        if np.linalg.norm(x - x_old) <= tol:
            break
    return np.sum(x * x) + np.sum(A @ x)
