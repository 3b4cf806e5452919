"""Functions for the forward-mode API tests (in a file: sourcediff reads source)."""
import math

import numpy as np

import sourcediff as sd


def vec_out(x, w):
    return np.sin(x) * w + x[0]


def loop_out(x, w):
    out = np.empty_like(x)
    acc = 0.0
    for i in range(x.shape[0]):
        acc = acc * w + x[i]
        out[i] = acc * acc
    return out


def tuple_out(x, w):
    return np.sum(x * x) * w, np.tanh(x) * w, 3


def matrix_out(A, x):
    return np.outer(A @ x, x) + A.T


def broadcast_row(x, M):
    return np.sum((M + x) * M)          # x broadcasts along the rows of M


def add_const_array(x, M):
    return M + x                        # the tangent must still have M's shape


def writes_arg(x, buf):
    for i in range(x.shape[0]):
        buf[i] = x[i] * x[i]
    return np.sum(buf * x)


def kinks(x, y):
    return abs(x) + max(x, y) + 2.0 * min(x, y)


def kinks_array(v, w):
    return np.sum(np.maximum(v, w) + np.abs(v)) + np.max(v)


@sd.function              # its own JVPs (a plain helper this small would be inlined)
def sq(v):
    return v * v


def helper_twice(x, w):
    return sq(x * w) + sq(w)


def softplus(x):
    return math.log1p(math.exp(x))


@sd.defjvp(softplus)
def _softplus_jvp(z, x, x_dot):
    return x_dot / (1.0 + math.exp(-x))


@sd.adjoint(softplus)
def _softplus_adjoint(z, x, dz):
    return dz / (1.0 + math.exp(-x))


def scaled_sin(a, b):
    return a * math.sin(b)


@sd.defjvp(scaled_sin)
def _scaled_sin_jvp(z, a, b, a_dot, b_dot):
    return a_dot * math.sin(b) + a * math.cos(b) * b_dot


@sd.adjoint(scaled_sin)
def _scaled_sin_adjoint(z, a, b, dz):
    return dz * math.sin(b), dz * a * math.cos(b)


def model(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s += softplus(w * x[i]) + scaled_sin(w, x[i])
    return s


def wrong(x):
    return x * x


@sd.defjvp(wrong)
def _wrong_jvp(z, x, x_dot):
    return 3.0 * x_dot   # deliberately not 2x: the registered rule is what gets used


def uses_wrong(x):
    return wrong(x) + x


def only_adjoint(x):
    return x * 2.0


@sd.adjoint(only_adjoint)
def _only_adjoint_rule(z, x, dz):
    return 2.0 * dz


def uses_only_adjoint(x):
    return only_adjoint(x) + 1.0


# -- outside what forward mode can do (the offending line carries "# <- error") --
def e_yield(x):
    yield x * 2.0  # <- error


def e_try(x):
    try:  # <- error
        y = x * x
    except ValueError:
        y = 0.0
    return y


def e_listcomp(x):
    vals = [v * x for v in range(3)]  # <- error
    return vals[0]


def e_no_tangent_rule(x):
    y = x * 3.0
    return only_adjoint(y)  # <- error


def alias_write(x, a):
    v = a[0:2]
    v[0] = x
    return np.sum(a) + x


def e_recursive(x):
    if x > 1.0:
        return e_recursive(x * 0.5)  # <- error
    return x
