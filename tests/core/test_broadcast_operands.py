"""Operands given axes to broadcast (``x[:, None] - y[None, :]``) inside loops
keep NumPy's broadcasting: the element loops of passes/lower.py take rows of
one length, and used to raise "rows of different lengths" for them (a
pairwise cost matrix per sequence, as in soft-DTW)."""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad


def cost_rows_1d(X, Y):
    s = 0.0
    for p in range(X.shape[0]):
        D = (X[p][:, None] - Y[p][None, :]) ** 2
        s += np.sum(np.exp(-D))
    return s


def cost_rows_3d(X, Y):
    s = 0.0
    for p in range(X.shape[0]):
        x = X[p]
        y = Y[p]
        D = np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=2)
        s += np.sum(np.exp(-D))
    return s


def column_against_matrix(x, Z):
    # only one operand is reshaped: it broadcasts along the matrix's columns
    s = 0.0
    for t in range(3):
        c = x[t] * x[:, None]
        s += np.sum(np.sin(c - Z))
    return s


def reshaped_row(x, w):
    s = 0.0
    for t in range(2):
        r = x.reshape(1, x.shape[0])
        s += np.sum(np.tanh(r * w[:, None]))
    return s


rng = np.random.default_rng(5)
CASES = [
    (cost_rows_1d, (rng.standard_normal((2, 4)), rng.standard_normal((2, 5)))),
    (cost_rows_1d, (rng.standard_normal((2, 4)), rng.standard_normal((2, 4)))),
    (cost_rows_3d, (rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 6, 3)))),
    (column_against_matrix, (rng.standard_normal(4), rng.standard_normal((4, 3)))),
    (reshaped_row, (rng.standard_normal(4), rng.standard_normal(3))),
]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("k", range(len(CASES)))
def test_broadcast_operands_in_loops(k, target):
    f, args = CASES[k]
    value, _ = sd.value_and_grad(f, wrt=(0, 1), target=target)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    check_grad(f, args, (0, 1), target)
