"""Loops whose bodies are NumPy slice code, as a time-stepping program is
written with NumPy (passes/lower.py: slices with constant bounds are rows, a
store into a slice a place an element loop ends; tests/core/test_slice_stores.py)."""
from __future__ import annotations

import numpy as np


def heat_copy_back(u0, kappa, target, steps):
    u = u0.copy()
    un = np.empty_like(u)
    for t in range(steps):
        un[1:-1] = u[1:-1] + kappa * (u[2:] - 2.0 * u[1:-1] + u[:-2])
        un[0] = u[0]
        un[-1] = u[-1]
        u[:] = un
    d = u - target
    return np.sum(d * d)


def heat_swap(u0, kappa, target, steps):
    """The Laplacian in a temporary; the buffers swapped."""
    u = u0.copy()
    un = u0.copy()
    for t in range(steps):
        lap = u[2:] - 2.0 * u[1:-1] + u[:-2]
        un[1:-1] = u[1:-1] + kappa * lap
        u, un = un, u
    d = u - target
    return np.sum(d * d)


def in_place_stencil(u0, kappa, steps):
    """``u[1:-1] = ... u[2:] ... u[:-2]``: NumPy reads every old value before it
    stores; an element loop would read new ones, so it reads a copy taken first."""
    u = u0.copy()
    for t in range(steps):
        u[1:-1] = u[1:-1] + kappa * (u[2:] - 2.0 * u[1:-1] + u[:-2])
    return np.sum(u * u * u)


def sums_of_slices(x, w, steps):
    """Reductions over bounded slices: a neighbour product, a mean of a tail,
    rows of a matrix cut at both ends."""
    A = np.outer(x, x)
    s = 0.0
    for k in range(steps):
        s += w * np.sum(x[1:] * x[:-1]) + np.mean(x[2:] * x[2:])
        for i in range(A.shape[0]):
            s += np.sum(A[i, 1:-1] * x[2:]) * w
    return s


def horner_reversed(d, xs):
    """``for coef in d[::-1]``: the loop runs over ``d`` backwards, as
    ``reversed(d)`` does, with no view of ``d`` to make and differentiate."""
    s = 0.0
    for x in xs:
        acc = 0.0
        for coef in d[::-1]:
            acc = acc * x + coef
        s += acc * acc
    return s


def heat_2d(u0, kappa, steps):
    """The 2-D five-point stencil on blocks, the levels swapped."""
    u = u0.copy()
    un = u0.copy()
    for t in range(steps):
        un[1:-1, 1:-1] = u[1:-1, 1:-1] + kappa * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:]
                                                 + u[1:-1, :-2] - 4.0 * u[1:-1, 1:-1])
        u, un = un, u
    return np.sum(u * u * u)


def blocks_reduced(A, w, steps):
    """Sums and means of blocks and of a row cut at both ends, a 2-D array
    read whole (``w * A``), a block stored into a row of a 3-d array."""
    B = np.zeros((2, A.shape[0], A.shape[1]))
    s = 0.0
    for k in range(steps):
        s += np.sum(A[1:, :-1] * A[:-1, 1:]) * w + np.mean(A[1:-1, :] * A[1:-1, :])
        B[k % 2, :, :] = w * A + B[(k + 1) % 2, :, :]
    return s + np.sum(B * B)


def in_place_block(u0, kappa, steps):
    """``u[1:-1, 1:-1] = ... u[2:, 1:-1] ...`` reads what it writes: of a copy."""
    u = u0.copy()
    for t in range(steps):
        u[1:-1, 1:-1] = u[1:-1, 1:-1] + kappa * (u[2:, 1:-1] - u[1:-1, 1:-1])
    return np.sum(u * u)


def broadcast_one(V0, p):
    """``p`` may hold one number, which NumPy broadcasts: its length is not known
    to be the rows', so the element loop reads it at ``j * p_step`` (``p_step``
    0 when it has one element)."""
    V = V0.copy()
    for t in range(2):
        V[1:] = V[1:] * 0.5 + p
    return np.sum(V * V)


def coupled_updates(v0, c, nt):
    """``d`` reads the old ``v``; ``v`` is updated in place before ``w`` reads
    ``d``: ``d`` must not move into ``w``'s element loop, after ``v``'s (a new
    user's FitzHugh-Nagumo ring: a wrong value and gradient)."""
    v = v0.copy()
    w = v0 * 2.0
    for t in range(nt):
        d = c * v * v
        v[:] = v + 0.1 * w
        w[:] = w + d
    return np.sum(w * v)


def local_grid_and_view(u0, c, nt):
    """A grid made in the function (``np.linspace``) and a view of a mask made
    before the loop (``s = sig[1:-1]``): new arrays no store here changes, so the
    update is an element loop (a new user's American put with a local grid ran
    at 17x its primal as array code)."""
    n = u0.shape[0]
    x = np.linspace(0.0, 1.0, n)
    sig = np.where(x > 0.5, 0.2, 0.0)
    s = sig[1:-1]
    u = u0.copy()
    un = u0.copy()
    for t in range(nt):
        un[1:-1] = u[1:-1] + c * x[1:-1] * (u[2:] - 2.0 * u[1:-1] + u[:-2]) - s * u[1:-1]
        u, un = un, u
    return np.sum(u * u)



def boundaries_2d(u0, c, edge, nt):
    """Numbers stored into rows and columns (boundary values) of a swapped
    buffer: element loops too, whose lengths come from ``u0`` (the same shape)."""
    u = u0.copy()
    un = u0.copy()
    for t in range(nt):
        un[1:-1, 1:-1] = u[1:-1, 1:-1] + c * (u[2:, 1:-1] - 2.0 * u[1:-1, 1:-1] + u[:-2, 1:-1])
        un[0, :] = 0.0
        un[:, -1] = edge
        u, un = un, u
    return np.sum(u * u)


def red_black(u0, f, w, sweeps):
    """Red-black over-relaxation: the odd points from the even ones, then the
    even ones from the odd: each store reads only the other colour."""
    u = u0.copy()
    for it in range(sweeps):
        u[1:-1:2] = (1 - w) * u[1:-1:2] + w * 0.5 * (u[0:-2:2] + u[2::2] + f[1:-1:2])
        u[2:-1:2] = (1 - w) * u[2:-1:2] + w * 0.5 * (u[1:-2:2] + u[3::2] + f[2:-1:2])
    return np.sum(u * u)


def pairs_of_neighbours(x, a, steps):
    """Strided rows cut alike are one element loop; ``x[::2]`` with ``x[1::2]``
    (of one length only for an even length) stays array code."""
    s = 0.0
    for t in range(steps):
        e = x[::2] * a - x[1::2]
        s += np.sum(e * e) + np.mean(x[1::3] ** 2) + np.sum(x[2:-1:2] * x[1:-2:2])
    return s


def rows_from_other_rows(U0, k, steps):
    """A boundary row set from the next row (other elements of the array)."""
    U = U0.copy()
    for t in range(steps):
        U[0, :] = U[1, :] * k
        U[-1, :] = U[-2, :] * k
        U[1:-1, :] = U[1:-1, :] + 0.1 * U[1:-1, :] ** 2
    return np.sum(U * U)


def rolled_back_tree(S0, K, d, p, n):
    """A binomial tree rolled back in place on shrinking slices: ``V[1:step + 2]``
    is read ahead of ``V[:step + 1]``, which is stored: each element is read
    before its store, so no copy of ``V`` is taken per level."""
    S = np.empty(n + 1)
    for i in range(n + 1):
        S[i] = S0 * d ** (2 * i - n)
    V = np.maximum(K - S, 0.0)
    for step in range(n - 1, -1, -1):
        S[:step + 1] = S[:step + 1] * d
        cont = p * V[:step + 1] + (1.0 - p) * V[1:step + 2]
        V[:step + 1] = np.maximum(cont, K - S[:step + 1])
    return V[0]


def ahead_then_after(x, c, steps):
    """A row read ahead of the row stored, then both read after the store (the
    new values)."""
    y = x.copy()
    s = 0.0
    for t in range(steps):
        y[:-1] = y[1:] * c + y[:-1]
        s += np.sum(y[1:] * y[:-1])
    return s + np.sum(y * y)
