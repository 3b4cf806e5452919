"""A row or column of an array copied from another of its rows (ghost cells,
``u[0, :] = u[1, :]``) runs as an element loop without a copy of the whole
array (passes/lower.py ``_beside``): step ``k`` reads and writes place ``k``
along the sliced axes only.  A shift along a sliced axis (``u[0, 1:] =
u[0, :-1]``) still reads a copy, as NumPy does.  Values against NumPy,
gradients against central differences, on both targets."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def ghost_heat(kappa, u0, steps):
    """Neumann boundaries by ghost cells copied from their neighbours each step."""
    n = u0.shape[0]
    u = np.zeros((n + 2, n + 2))
    u[1:n + 1, 1:n + 1] = u0
    un = u.copy()
    for s in range(steps):
        u[0, :] = u[1, :]
        u[n + 1, :] = u[n, :]
        u[:, 0] = u[:, 1]
        u[:, n + 1] = u[:, n]
        for i in range(1, n + 1):
            for j in range(1, n + 1):
                un[i, j] = u[i, j] + kappa * (u[i + 1, j] + u[i - 1, j] + u[i, j + 1]
                                              + u[i, j - 1] - 4.0 * u[i, j])
        u[:, :] = un
    return np.sum(u[1:n + 1, 1:n + 1] ** 2)


def periodic_rows(u0, w):
    """Periodic ghost rows (from the far side), the last row onto itself, and a
    3-d block's plane."""
    n = u0.shape[0] - 2
    u = u0 * w
    u[0, :] = u[n, :]
    u[n + 1, :] = u[1, :]
    u[-1, :] = u[n + 1, :]           # the same row: nothing changes
    b = np.zeros((3, 2, u.shape[1]))
    b[1, 0, :] = u[1, :]
    b[2, :, :] = b[1, :, :]
    return np.sum(u * u) + np.sum(b * b * w)


def shifted(u0, w):
    """A shift along the sliced axis reads elements the row already stored."""
    u = u0 * w
    u[0, 1:] = u[0, :-1]
    u[1:, 0] = u[:-1, 0]
    return np.sum(u * u * np.arange(1.0, u.size + 1.0).reshape(u.shape))


rng = np.random.default_rng(3)
U0 = rng.random((4, 4))
CASES = [(ghost_heat, (0.1, U0, 3), (0, 1)), (periodic_rows, (rng.random((5, 3)), 1.3), (0, 1)),
         (shifted, (rng.random((3, 4)), 0.7), (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_values_and_gradients(f, args, wrt, target):
    value = sd.value_and_grad(f, wrt=wrt, target=target)(*args)[0]
    assert value == pytest.approx(f(*args), rel=1e-12)
    check_grad(f, args, wrt=wrt, target=target)


def forward_of(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    text = text[text.index("def " + f.__name__ + "_grad"):text.index("# -- reverse sweep")]
    return "\n".join(ln for ln in text.splitlines() if not ln.strip().startswith("#"))


def test_ghost_rows_copy_no_grid():
    text = forward_of(*CASES[0])
    # (the one copy is the user's own, ``un = u.copy()``)
    assert text.count(".copy()") == 1 and "_u_old" not in text, text
    assert "u[0, _j" in text and "u[n + 1, _j" in text and "copy_into(u[n" not in text


def test_a_shift_along_the_row_still_reads_a_copy():
    text = forward_of(*CASES[2])
    assert ".copy()" in text or "copy_into(" in text, text
