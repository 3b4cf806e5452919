"""Slices whose bounds move with a loop (``V[lo:hi]``, ``x[:i]``, ``w[i - 2:i + 1]``)
are rows of element loops too (passes/lower.py ``_Span``): where each starts
and how long it is are NumPy's (``slice_start``, ``slice_length``: negative
bounds count from the end, bounds past it are clipped), read when the loop
runs; rows of different spans are checked to be of one length, as NumPy
would raise.  Before, such slices stayed array code: a view and a
temporary per operation and iteration, each on a list tape."""
from __future__ import annotations

import ast
import math

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def trinomial_put(S0, K, sigma, r, n):
    """An American put on a trinomial tree: the window of live nodes shrinks
    by one at each end per step, updated in place with early exercise."""
    dt = 1.0 / n
    dx = sigma * math.sqrt(3.0 * dt)
    nu = r - 0.5 * sigma * sigma
    a = (sigma * sigma * dt + nu * nu * dt * dt) / (dx * dx)
    b = nu * dt / dx
    pu = 0.5 * (a + b)
    pd = 0.5 * (a - b)
    pm = 1.0 - a
    disc = math.exp(-r * dt)
    m = 2 * n + 1
    S = np.empty(m)
    for j in range(m):
        S[j] = S0 * math.exp((j - n) * dx)
    exer = K - S
    V = np.maximum(exer, 0.0)
    for i in range(n - 1, -1, -1):
        lo = n - i
        hi = n + i + 1
        cont = disc * (pu * V[lo + 1:hi + 1] + pm * V[lo:hi] + pd * V[lo - 1:hi - 1])
        V[lo:hi] = np.maximum(cont, exer[lo:hi])
    return V[n]


def forward_substitution(L, b):
    """``L x = b`` for a lower-triangular ``L``, row by row over a growing prefix."""
    n = b.shape[0]
    x = np.zeros(n)
    for i in range(n):
        x[i] = (b[i] - np.sum(L[i, :i] * x[:i])) / L[i, i]
    return np.sum(x * x)


def trailing_windows(w, x):
    """Windows ``[i - 2, i]``: at ``i < 2`` the start is negative, which NumPy
    counts from the end (``x[-2:1]`` is empty)."""
    s = 0.0
    for i in range(x.shape[0]):
        s += np.sum(w[i - 2:i + 1] * x[i - 2:i + 1] ** 2)
    return s


def window_means(x, c):
    """A store into a moving window, then its mean; ``hi`` may pass the end."""
    n = x.shape[0]
    y = np.zeros(n)
    s = 0.0
    for i in range(n):
        lo = i // 2
        hi = i + 3
        y[lo:hi] = np.tanh(c * x[lo:hi]) + y[lo:hi]
        s += np.mean(y[lo:hi]) * x[i]
    return s


RNG = np.random.default_rng(20261208)
_L = np.tril(RNG.uniform(0.2, 1.0, size=(5, 5))) + 2.0 * np.eye(5)
CASES = [
    (trinomial_put, (100.0, 104.0, 0.3, 0.03, 6), (0, 1, 2, 3)),
    (forward_substitution, (_L, RNG.normal(size=5)), (0, 1)),
    (trailing_windows, (RNG.uniform(0.5, 1.5, size=6), RNG.normal(size=6)), (0, 1)),
    (window_means, (RNG.normal(size=7), 0.7), (0, 1)),
]
IDS = [c[0].__name__ for c in CASES]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f,args,wrt", CASES, ids=IDS)
def test_gradients_match_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


@pytest.mark.parametrize("f,args,wrt", CASES, ids=IDS)
def test_values_are_numpys(f, args, wrt):
    value, _ = sd.value_and_grad(f, wrt=wrt, target="cpu")(*args)
    assert value == pytest.approx(f(*args), rel=1e-13, abs=1e-13)


def test_windows_match_jax():
    from tests.jaxcheck import jax_grad
    w, x = CASES[2][1]
    ours = sd.grad(trailing_windows, wrt=(0, 1), target="cpu")(w, x)
    for g, j in zip(ours, jax_grad(trailing_windows, (w, x), (0, 1))):
        np.testing.assert_allclose(g, j, rtol=1e-12, atol=1e-14)


def _loops_of(f, args, wrt):
    """The loops of the primal part of the generated value-and-gradient code."""
    text = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    fn = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)
              and n.name.endswith("_grad"))
    return [n for n in ast.walk(fn) if isinstance(n, ast.For)], text


@pytest.mark.parametrize("f,args,wrt", CASES, ids=IDS)
def test_moving_slices_become_element_loops(f, args, wrt):
    """No slice of a moving bound is left in a loop, forward or reverse, and
    nothing is kept on a list tape."""
    loops, text = _loops_of(f, args, wrt)
    for loop in loops:
        for n in ast.walk(loop):
            if isinstance(n, ast.Subscript):
                parts = n.slice.elts if isinstance(n.slice, ast.Tuple) else [n.slice]
                moving = [p for p in parts if isinstance(p, ast.Slice) and
                          not all(isinstance(b, ast.Constant) or b is None
                                  for b in (p.lower, p.upper))]
                assert not moving, ast.unparse(n)
    assert ".append(" not in text


def test_rows_of_different_lengths_raise_as_numpy_does():
    def f(a, b):
        s = 0.0
        for i in range(2):
            s += np.sum(a[:i + 2] * b[:i + 3])
        return s
    a, b = np.ones(6), np.ones(6)
    with pytest.raises(ValueError):
        f(a, b)
    with pytest.raises(ValueError):
        sd.value_and_grad(f, target="cpu")(a, b)



def two_spans_of_one_array(x, m, steps):
    V = np.zeros(m)
    for i in range(m):
        V[i] = x[i] * 2.0
    s = 0.0
    for step in range(steps):
        s += np.sum(V[:step + 1] * V[1:step + 2])
    return s


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_two_spans_of_one_array_of_different_lengths_raise_as_numpy_does(target):
    # (the last step's ``V[1:m + 1]`` is one shorter than ``V[:m]``: read as long as
    # the loop, it ran past V's end, silently on the cpu target; checked now)
    x = np.arange(1.0, 6.0)
    with pytest.raises(ValueError):
        two_spans_of_one_array(x, 4, 4)
    with pytest.raises(ValueError, match="rows of different lengths"):
        sd.value_and_grad(two_spans_of_one_array, target=target)(x, 4, 4)
    check_grad(two_spans_of_one_array, (x, 4, 3), wrt=0, target=target)
