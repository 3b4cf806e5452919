"""Programs for tests/core/test_tables.py: inner loops that recompute a costly
value of the inner counter alone in every outer iteration, and near misses
that must be left alone."""
import math


def mixture(mu, log_sigma, x):
    """exp(-log_sigma[c]) for every point: tabled per c."""
    s = 0.0
    for i in range(x.shape[0]):
        for c in range(mu.shape[0]):
            z = (x[i] - mu[c]) * math.exp(-log_sigma[c])
            s += 0.5 * z * z + log_sigma[c]
    return s


def offset_inner(w, x, lo):
    """An inner range that starts at lo; a user variable tabled (``g``)."""
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(lo, w.shape[0]):
            g = math.sqrt(w[j] * w[j] + 1.0)
            s += x[i] * g + math.sin(x[i] + j)
    return s


def shared_intermediate(w, x):
    """``a`` feeds the tabled log and is read by the outer-dependent part too."""
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(w.shape[0]):
            a = w[j] * 2.0
            b = math.log(a * a + 1.0)
            s += b * x[i] + a * x[i] * x[i]
    return s


def stepped_outer(w, x):
    """A descending outer loop."""
    s = 0.0
    for i in range(x.shape[0] - 1, -1, -2):
        for j in range(w.shape[0]):
            s += x[i] * math.tanh(w[j])
    return s


def no_points(log_sigma, x):
    """Run with no points and a huge exp: the gradient must stay 0, not NaN."""
    s = 0.0
    for i in range(x.shape[0]):
        for c in range(log_sigma.shape[0]):
            s += x[i] * math.exp(-log_sigma[c])
    return s


# -- left alone ---------------------------------------------------------------

def depends_on_outer(w, x):
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(w.shape[0]):
            s += math.exp(w[j] * x[i])
    return s


def inner_in_branch(w, x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            for j in range(w.shape[0]):
                s += x[i] * math.exp(w[j])
    return s


def writes_its_input(w, x):
    """The outer loop writes into w: its exp changes between iterations."""
    v = w.copy()
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(v.shape[0]):
            s += x[i] * math.exp(v[j])
        v[i % v.shape[0]] = x[i]
    return s


def writes_a_parameter(w, x, out):
    """A write into a parameter may be a write into w (the same array)."""
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(w.shape[0]):
            s += x[i] * math.exp(w[j])
        out[i] = s
    return s


def cheap_only(w, x):
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(w.shape[0]):
            s += x[i] * (w[j] * w[j] + 1.0)
    return s


def bound_changes(w, x):
    s = 0.0
    m = 1
    for i in range(x.shape[0]):
        for j in range(m):
            s += x[i] * math.exp(w[j])
        m = min(m + 1, w.shape[0])
    return s
