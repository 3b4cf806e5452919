"""A helper that writes into its array argument and returns a value, and
callers that use both (source read by sourcediff).  Here the helper is
inlined into its callers; written_arg_callers.py calls it as a function."""
import math

SCALE = 1.0


def h_scale(a, c):
    s = 0.0
    for i in range(a.shape[0]):
        a[i] = a[i] * c
        s += SCALE * math.sin(a[i])
    return s


def result_only(x0, c):
    x = x0.copy()
    return h_scale(x, c)


def result_and_array(x0, c):
    """The array's new values are read after the call."""
    x = x0.copy()
    t = h_scale(x, c)
    u = 0.0
    for i in range(x.shape[0]):
        u += x[i] * x[i]
    return t * u


def called_in_a_loop(x0, c):
    x = x0.copy()
    s = 0.0
    for k in range(3):
        s += h_scale(x, c) * (k + 1)
    return s + x[0]
