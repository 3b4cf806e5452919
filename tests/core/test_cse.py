"""Array temporaries computed again from the same values are read from the first
(passes/cse.py): the same math written with a term repeated runs like the term
named once, and a repeated term that is written into, or whose operands change
in between, is left alone.  Values against NumPy, gradients against central
differences."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad


def flux_repeated(u0, k, steps):         # the flux written out in both updates
    u = u0.copy()
    for t in range(steps):
        du = np.zeros_like(u)
        du[:-1] += np.exp(-((u[1:] - u[:-1]) / k) ** 2) * (u[1:] - u[:-1])
        du[1:] -= np.exp(-((u[1:] - u[:-1]) / k) ** 2) * (u[1:] - u[:-1])
        u = u + 0.2 * du
    return np.sum(u * u * u0)


def flux_named(u0, k, steps):            # the same with the flux named once
    u = u0.copy()
    for t in range(steps):
        g = u[1:] - u[:-1]
        f = np.exp(-(g / k) ** 2) * g
        du = np.zeros_like(u)
        du[:-1] += f
        du[1:] -= f
        u = u + 0.2 * du
    return np.sum(u * u * u0)


def written_into(x, c):                  # one of the two is written: two arrays
    a = x * c
    b = x * c
    b[0] = 5.0
    return np.sum(a * a) + np.sum(b)


def operand_rebound(x, c):               # x changes between the two
    a = np.sin(x * c)
    x = x + 1.0
    b = np.sin(x * c)
    return np.sum(a * b)


def stored_between(x, c):                # x written between the two
    y = x * 1.0
    a = np.sin(y * c)
    y[1] = 3.0 * c
    b = np.sin(y * c)
    return np.sum(a * b)


X = np.random.default_rng(5).normal(size=9)
CASES = [(flux_repeated, (X, 0.7, 3), (0, 1)), (flux_named, (X, 0.7, 3), (0, 1)),
         (written_into, (X, 0.8), (0, 1)), (operand_rebound, (X, 0.8), (0, 1)),
         (stored_between, (X, 0.8), (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f,args,wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_values_and_gradients(f, args, wrt, target):
    value, _ = sd.value_and_grad(f, wrt=wrt, target=target)(*args)
    assert np.isclose(value, f(*[a.copy() if isinstance(a, np.ndarray) else a for a in args]),
                      rtol=1e-12)
    check_grad(f, args, wrt, target)


def _primal(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return text.split(f"def {f.__name__}(", 1)[1].split("\ndef ", 1)[0]


def test_a_repeated_flux_is_computed_once():
    """Both updates read one flux: one element loop with one ``exp``, as when
    the flux is named."""
    repeated = _primal(flux_repeated, (X, 0.7, 3), (0, 1))
    named = _primal(flux_named, (X, 0.7, 3), (0, 1))
    code = [line for line in repeated.splitlines() if not line.strip().startswith("#")]
    assert sum("np.exp(" in line for line in code) == 1, repeated
    assert sum(line.strip().startswith("for ") for line in code) == \
        sum(line.strip().startswith("for ") for line in named.splitlines()), (repeated, named)


@pytest.mark.parametrize("f,term", [(written_into, "= x * c"), (operand_rebound, "np.sin("),
                                    (stored_between, "np.sin(")],
                         ids=lambda c: getattr(c, "__name__", ""))
def test_terms_that_may_differ_are_computed_twice(f, term):
    code = [line for line in _primal(f, (X, 0.8), (0, 1)).splitlines()
            if not line.strip().startswith("#")]
    assert sum(term in line for line in code) == 2, code
