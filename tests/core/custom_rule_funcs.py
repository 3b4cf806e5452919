"""Functions with user-registered derivative rules (sd.adjoint)."""
import math

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
