"""Functions with user-registered derivative rules (sd.adjoint)."""
import math

import numba
import numpy as np
import scipy.special

import sourcediff as sd


def softplus(x):
    return math.log1p(math.exp(x))


@sd.adjoint(softplus)
def _softplus_adjoint(z, x, dz):
    return dz / (1.0 + math.exp(-x))


def model(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s += softplus(w * x[i])
    return s


def scaled_sin(a, b):
    return a * math.sin(b)


@sd.adjoint(scaled_sin)
def _scaled_sin_adjoint(z, a, b, dz):
    return dz * math.sin(b), dz * a * math.cos(b)


def uses_two_inputs(x, y):
    return scaled_sin(x, y) * x


def wrong(x):
    return x * x


@sd.adjoint(wrong)
def _wrong_adjoint(z, x, dz):
    return 3.0 * dz   # deliberately not 2x: the rule is what gets used


def uses_wrong(x):
    return wrong(x)


# a rule for a function that reduces an array to a number (a log-sum-exp)
@numba.njit
def own_logsumexp(x):
    m = np.max(x)
    s = 0.0
    for v in x:
        s += math.exp(v - m)
    return m + math.log(s)


@sd.adjoint(own_logsumexp)
def _own_logsumexp_adjoint(z, x, dz):
    return dz * np.exp(x - z)


def lse_scipy(x):
    # NumPy code Numba does not compile (SciPy's logsumexp); a rule for
    # scipy.special.logsumexp itself would hold for every test after this one
    return scipy.special.logsumexp(x)


@sd.adjoint(lse_scipy)
def _lse_scipy_adjoint(z, x, dz):
    return dz * np.exp(x - z)


def squared_lse(x):
    return own_logsumexp(2.0 * x) ** 2


def squared_scipy_lse(x):
    return lse_scipy(2.0 * x) ** 2


def soft_min_table(x):
    # each cell a soft minimum of the one before and two constants
    R = np.zeros(x.shape[0])
    for i in range(1, x.shape[0]):
        R[i] = x[i] - own_logsumexp(np.array([-R[i - 1], -x[i - 1], -0.3]))
    return R[-1]


def windows(x):
    s = 0.0
    for i in range(1, x.shape[0]):
        s += own_logsumexp(x[i - 1:i + 1])
    return s
