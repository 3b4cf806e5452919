"""``x.fill(v)`` in a user's loop (a force accumulator zeroed each step, as a
new user wrote it) is ``x[:] = v`` (passes/normalize.py); methods that change
their array otherwise (``y.sort()``) are refused naming them (test_errors.py)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.fdcheck import check_grad


def zeroed_each_step(x, w):
    n = x.shape[0]
    acc = np.empty(n)
    s = 0.0
    for t in range(3):
        acc.fill(0.0)
        for i in range(n):
            acc[i] += w * x[i] * x[(i + 1) % n]
        for i in range(n):
            s += acc[i] ** 2
    return s


def filled_matrix(x, c):
    a = np.empty((3, 3))
    a.fill(c)
    return np.sum(a * x * x)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_fill_gradients_match_finite_differences(target):
    x = np.random.default_rng(3).standard_normal(5)
    check_grad(zeroed_each_step, (x, 0.7), wrt=(0, 1), target=target)
    check_grad(filled_matrix, (np.arange(9.0).reshape(3, 3) / 9.0, 1.3), wrt=(0, 1),
               target=target)
