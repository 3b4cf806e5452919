"""The transposes the reverse sweep's products read in every iteration of a
loop (``dXtW += dH @ transposed(X)``, the adjoint of ``H = XtW @ X``) are made
once before the loop where the array never changes
(passes/invariant_transposes.py), and a transpose the forward sweep already
made once is read instead; an array the function writes into keeps its
transpose per iteration."""
from __future__ import annotations

import re

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def irls(y, offset, X, niter):
    """Poisson regression by Newton (IRLS) steps, each solving X^T W X b = X^T W z."""
    beta = np.zeros(X.shape[1])
    for it in range(niter):
        eta = X @ beta + offset
        mu = np.exp(eta)
        z = eta - offset + (y - mu) / mu
        XtW = X.T * mu
        beta = np.linalg.solve(XtW @ X, XtW @ z)
    mu = np.exp(X @ beta + offset)
    return np.sum(mu - y * np.log(mu))


def gram_steps(A, B0, steps):
    """``G = A @ B`` each step; ``B`` updated in place by the step: its
    transpose changes from one iteration to the next."""
    B = B0.copy()
    s = 0.0
    for t in range(steps):
        G = A @ B
        s += np.sum(G * G)
        B *= 0.9
    return s


rng = np.random.default_rng(2)
X = np.ones((9, 3))
X[:, 1:] = 0.5 * rng.standard_normal((9, 2))
Y = np.array([2.0, 1.0, 3.0, 2.0, 4.0, 1.0, 2.0, 5.0, 3.0])
IRLS = (Y, 0.1 * rng.standard_normal(9), X, 3)
GRAM = (rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), 3)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_irls_matches_finite_differences(target):
    check_grad(irls, IRLS, wrt=(0, 1), target=target)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_written_array_matches_finite_differences(target):
    check_grad(gram_steps, GRAM, wrt=(0, 1), target=target)


def _reverse_loop(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    rev = text[text.index("# -- reverse sweep"):]
    start = re.search(r"\n    for \w+ in range\(", rev).start()
    return rev[:start], rev[start:]


def test_the_data_is_transposed_once_not_per_reverse_iteration():
    _, loop = _reverse_loop(irls, IRLS, (0, 1))
    assert "transposed(X)" not in loop
    text = sd.grad(irls, wrt=(0, 1), target="python").source_for(*IRLS)
    assert text.count("transposed(X)") == 2       # the forward sweep's, once per function


def test_an_array_written_in_the_loop_keeps_its_transpose_per_iteration():
    _, loop = _reverse_loop(gram_steps, GRAM, (0, 1))
    assert "transposed(B)" in loop or "B.T" in loop
