"""Loop programs for the checkpointing tests (module-level so their source is
readable by sourcediff)."""
import math

import numpy as np

import sourcediff as sd


def array_state(u0, k, n):
    # the loop's state lives in an array written element by element
    u = u0.copy()
    for t in range(n):
        a = u[0]
        b = u[1]
        u[0] = a + 0.1 * math.sin(b) * k
        u[1] = b - 0.1 * a * k
    return u[0] * u[1]


def offset_range(x, lo, hi):
    s = x
    for i in range(lo, hi):
        s = s * math.cos(s) + 0.01 * i
    return s


def nested_loops(x, n):
    s = 0.0
    y = x
    for i in range(n):
        for j in range(3):
            y = math.sin(y) + 0.5 * j
        s += y * y
    return s


def two_loops(x, w, n):
    y = x
    for i in range(n):
        y = y * w + math.tanh(y)
    z = y
    for i in range(n):
        z = z - 0.1 * z * z
    return z + y


def branchy(x, n):
    y = x
    for i in range(n):
        if y > 0.5:
            y = y * 0.9 - 0.05
        else:
            y = y * 1.2 + 0.02
    return y


def rebinds_array(x, n):
    v = x
    for i in range(n):
        v = np.sin(v) * 1.1
    return np.sum(v * v)


@sd.checkpoint(every=4)
def marked_helper(y, n):
    for i in range(n):
        y = y + 0.1 * math.sin(y)
    return y


def calls_marked(x, n):
    return marked_helper(x, n) * 2.0


def long_scalar_loop(x, n):
    y = x
    for i in range(n):
        y = y + 1e-4 * math.sin(y)
    return y


def branchy_while(x, n):
    y = x
    k = 0
    while k < n and y < 100.0:        # (may stop early: not a counted loop)
        y = math.sin(y) + 0.1
        k += 1
    return y


def loops_of_different_lengths(x, n, m):
    y = x
    for i in range(n):
        y = y + 0.1 * math.sin(y)
    for j in range(m):
        y = y * 0.95 + 0.01 * j
    return y


def fused_after_checkpointed(x, a, n):
    # found by the random programs: the result, changed by the fused last loop,
    # was read before it
    s0 = a
    buf = np.zeros(n)
    for i in range(n):
        buf[i] = s0
        s0 = a * 0.5
    for i in range(n):
        s0 += buf[i] * x[i]
    return s0


def carried_first_in_loop(x, a, nt):
    # found by a new user: 'prev', first bound inside the loop and read in the
    # next iteration, was left out of the snapshots (a wrong gradient)
    s = x[0]
    for t in range(nt):
        if t > 0:
            s = s + prev * a    # noqa: F821  (bound in the iteration before)
        prev = math.sin(s) * 0.5
    return s + prev


def carried_array_first_in_loop(x, nt):
    # the same with an array: that loop keeps its full tape (reported)
    s = 0.0
    for t in range(nt):
        if t > 0:
            s += np.sum(row * x)    # noqa: F821  (bound in the iteration before)
        row = np.sin(x) * (t + 1.0)    # noqa: F841  (read in the next iteration)
    return s


def stencil_swap(u0, kappa, steps):
    """Two buffers swapped every step; the inner loop's temporaries are bound
    before they are read in every iteration: not part of the snapshot."""
    n = u0.shape[0]
    u = u0.copy()
    unew = u0.copy()
    for t in range(steps):
        for i in range(1, n - 1):
            lap = u[i - 1] - 2.0 * u[i] + u[i + 1]
            unew[i] = u[i] + kappa * lap * (1.0 + 0.1 * u[i])
        u, unew = unew, u
    s = 0.0
    for i in range(n):
        s += u[i] * u[i]
    return s


def running_min_per_query(x, q):
    """Found by a new user: the fused last loop dropped the save of ``best``
    that starts each outer iteration, and with it the list the inner loop's
    snapshots of ``best`` go on (never made: a NameError inside the adjoint)."""
    tot = 0.0
    for k in range(q.shape[0]):
        best = 1e300
        for i in range(x.shape[0]):
            best = min(best, x[i])
        tot += best * q[k]
    return tot


def restored_after_segments(a, n):
    """Found by the random programs: the reverse of the inner loop, which puts
    'a' back from its tape, counted up (its iterations looked independent: the
    segment loop's next iteration sets 'a' first), leaving the value of its
    first iteration, not the one before the loop, for math.cos(a) after it."""
    s0 = math.sin(a)
    buf = np.zeros(n)
    for i in range(n):
        for j in range(2):
            buf[i] += s0
            a += s0
    for i in range(n):
        s0 += buf[i] * buf[i]
    return s0
