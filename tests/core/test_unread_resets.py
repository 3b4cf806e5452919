"""Constants stored into an adjoint buffer nothing reads afterwards are not
stored (passes/unread_resets.py): the reverse of a table's initialization, run
last, leaves no loop of ``dD[i, j] = 0.0``; where a later part of the reverse
sweep reads the buffer (an initialization inside a loop), the resets stay.
Gradients against central differences on both targets."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def table(x, w):
    """A table filled with a constant, then a recurrence over it."""
    n = x.shape[0]
    D = np.empty((n + 1, n + 1))
    for i in range(n + 1):
        for j in range(n + 1):
            D[i, j] = 1e3
    D[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, n + 1):
            D[i, j] = (x[i - 1] - w * x[j - 1]) ** 2 + min(D[i - 1, j], D[i, j - 1])
    return D[n, n]


def refilled(x, w):
    """The buffer filled again in every step: the reverse of one step's fill is
    read by the reverse of the step before."""
    n = x.shape[0]
    b = np.empty(n)
    s = 0.0
    for t in range(3):
        for i in range(n):
            b[i] = 0.5
        for i in range(1, n):
            b[i] = b[i - 1] * w + x[i] * b[i]
        s += b[n - 1] * (t + 1.0)
    return s


X = np.array([0.3, -0.2, 0.8, 0.5, 0.1])


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", [table, refilled], ids=["table", "refilled"])
def test_gradients(f, target):
    check_grad(f, (X, 0.7), wrt=(0, 1), target=target)


def reverse_of(f):
    text = sd.grad(f, wrt=(0, 1), target="python").source_for(X, 0.7)
    return text[text.index("# -- reverse sweep"):]


def test_the_last_resets_are_not_stored():
    rev = reverse_of(table)
    assert "dD[0, 0] = 0.0" not in rev
    # the only reset left is the one a later iteration's read needs
    assert rev.count("] = 0.0") == 1 and "dD[i, j] = 0.0" in rev, rev


def test_resets_a_later_reverse_step_reads_stay():
    rev = reverse_of(refilled)
    assert "db[i] = 0.0" in rev, rev
