"""Functions differentiated by the batched tests (plain Python, module level so
their source can be read)."""
import math

import numpy as np

import sourcediff as sd


def gbm_call(s0, sigma, z, r, T, K):
    """Discounted European call payoff along one GBM path (z: the path's normals)."""
    n = z.shape[0]
    dt = T / n
    s = s0
    for i in range(n):
        s = s * math.exp((r - 0.5 * sigma * sigma) * dt + sigma * math.sqrt(dt) * z[i])
    return math.exp(-r * T) * max(s - K, 0.0)


def asian_call(s0, sigma, z, r, T, K):
    """Arithmetic-average Asian call along one path."""
    n = z.shape[0]
    dt = T / n
    s = s0
    total = 0.0
    for i in range(n):
        s = s * math.exp((r - 0.5 * sigma * sigma) * dt + sigma * math.sqrt(dt) * z[i])
        total += s
    return math.exp(-r * T) * max(total / n - K, 0.0)


def branches(x, y):
    """Data-dependent branches."""
    if x > y:
        v = x * x * y
    elif x > 0.0:
        v = math.sin(x) + y
    else:
        v = math.exp(x) * y * y
    return v


def while_break(x, tol):
    """A while loop left by break after a data-dependent number of steps
    (boolean and integer tapes)."""
    s = 0.0
    k = 0
    while k < x.shape[0]:
        s += x[k] * x[k]
        if s > tol:
            break
        k += 1
    return s


def damped(x, a, n):
    """A scalar recurrence with a trip count argument (shared int)."""
    y = x
    for i in range(n):
        y = y - a * math.sin(y) + 0.1 * i
    return y * y


def weighted(x, w):
    """Per-element array x, array w shared by all elements."""
    s = 0.0
    for i in range(x.shape[0]):
        s += w[i] * math.tanh(x[i]) ** 2
    return s


def scratch(x):
    """Writes into a local-free argument copy: element tapes of array writes."""
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def helper(v):
    return v * math.exp(-v)


def calls_helper(x, c):
    """Calls another user function (its adjoint is generated and called)."""
    s = 0.0
    for i in range(x.shape[0]):
        s += helper(x[i] * c)
    return s


def uses_numpy(x):
    """Whole-array NumPy: fine on the CPU, not in a CUDA kernel."""
    return np.sum(np.sin(x) * x)


def writes_argument(x):
    """Writes into its (per-element) argument: the caller's array must not change."""
    s = 0.0
    for i in range(x.shape[0]):
        x[i] = x[i] * x[i]
        s += x[i]
    return s


def bilinear(x, m):
    """A shared matrix m: its gradient is a 2-d row (summed with 2-d indices)."""
    s = 0.0
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            s += m[i, j] * x[i] * math.cos(x[j])
    return s


@sd.function                  # (never inlined: a callee with its own adjoint)
def relax(v, m):
    """A while loop overwriting the scalar its reverse sweep reads (list tapes)."""
    y = v
    k = 0
    while k < m:
        y = math.sin(y) * 1.1 + 0.2
        k += 1
    return y


@sd.function
def damp_steps(v, n):
    """A counted loop overwriting a scalar (an array tape) and calling a helper
    with tapes of its own."""
    y = v
    for i in range(n):
        y = y - 0.3 * math.sin(y) + 0.1 * relax(y, i)
    return y


def calls_taped_helpers(x, m):
    """Helpers whose adjoints need tapes, called in a loop (m: trip counts)."""
    s = 0.0
    for i in range(x.shape[0]):
        s += damp_steps(x[i], m) * x[i]
    return s


@sd.function
def tanh_sum(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += math.tanh(a[i])
    return s


def calls_array_helper(x):
    """Passes an array to a helper: its adjoint returns the array's gradient."""
    return tanh_sum(x) * 2.0


def nested_overwrite(x, w):
    """A scalar overwritten in a nest of two counted loops: a tape with an axis
    per loop (flattened to one for the batched element)."""
    s = 0.0
    y = 0.0
    for t in range(3):
        for i in range(x.shape[0]):
            y = math.tanh(w * x[i] + y)
            s += y * y
    return s


def exp_sums(x, c):
    """Independent iterations storing an exp (a stack in the batched element): the
    reverse loop counts up (passes/ascending.py), so the stack must not be used; a
    user's report, the batched gradients came back paired with the wrong i."""
    s = 0.0
    t = 0.0
    for i in range(x.shape[0]):
        e = math.exp(x[i] * c)
        s += e
        t += e * e
    return s * t


def writes_shared_scratch(buf, x):
    """Writes into a shared (unbatched) scratch array: its adjoint is a new array."""
    buf[0] = x * x
    return buf[0] * x
