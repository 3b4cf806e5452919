"""Callers of ``h_scale`` in a module where its global ``SCALE`` means
something else: the helper is not inlined, the call goes through its own
adjoint (source read by sourcediff)."""
from tests.core.written_arg_funcs import h_scale

SCALE = 3.0


def result_and_array(x0, c):
    """The array's new values are read after the call."""
    x = x0.copy()
    t = h_scale(x, c)
    u = 0.0
    for i in range(x.shape[0]):
        u += SCALE * x[i] * x[i]
    return t * u


def called_in_a_loop(x0, c):
    x = x0.copy()
    s = 0.0
    for k in range(3):
        s += h_scale(x, c) * (k + 1)
    return s + x[0]
