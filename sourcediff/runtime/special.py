"""Special functions the derivative rules of ``math.lgamma`` and
``math.gamma`` call: the digamma function (d/dx log Gamma(x)) and its
derivative, the trigamma function.

Plain ``math`` code that Numba compiles as it is (the ``"python"`` target
runs it too). Both shift the argument up by the recurrences
``psi(x) = psi(x + 1) - 1/x`` and ``psi'(x) = psi'(x + 1) + 1/x^2`` until it
is at least 10, then sum the asymptotic series (its next term is below 1e-15
there); negative arguments go through the reflection formulas. At the poles
(0, -1, -2, ...) both are nan, as ``math.lgamma`` is infinite there.
"""
from __future__ import annotations

import math

from .declare import runtime_helper


@runtime_helper(jit=True)
def digamma(x):
    """psi(x) = Gamma'(x) / Gamma(x)."""
    x = float(x)
    if x <= 0.0 and x == math.floor(x):
        return math.nan
    shift = 0.0
    if x < 0.0:
        # psi(x) = psi(1 - x) - pi / tan(pi x)
        shift = -math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    while x < 10.0:
        shift -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    series = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (
        1.0 / 240 - f * (1.0 / 132 - f * (691.0 / 32760 - f / 12))))))
    return shift + math.log(x) - 0.5 / x - series


@runtime_helper(jit=True)
def trigamma(x):
    """psi'(x), the derivative of :func:`digamma`."""
    x = float(x)
    if x <= 0.0 and x == math.floor(x):
        return math.nan
    shift = 0.0
    sign = 1.0
    if x < 0.0:
        # psi'(x) = pi^2 / sin^2(pi x) - psi'(1 - x)
        s = math.sin(math.pi * x)
        shift = math.pi * math.pi / (s * s)
        sign = -1.0
        x = 1.0 - x
    total = 0.0
    while x < 10.0:
        total += 1.0 / (x * x)
        x += 1.0
    f = 1.0 / (x * x)
    series = (1.0 + (0.5 + (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (
        1.0 / 30 - f * (5.0 / 66 - f * 691.0 / 2730))))) / x) / x) / x
    return shift + sign * (total + series)
