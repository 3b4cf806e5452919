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


# Operands that broadcast into a time step's arrays, known to from their lengths
# (passes/lower.py ``_spread``): a coefficient per column written ``c[None, :]`` or
# ``c`` (NumPy aligns the last axes), a weight per row ``w[:, None]``.  The element
# loops read them at the loops' own indices (0 along an axis of length 1).
def advect_coefficient_given_an_axis(u0, c, steps, dt):
    u = u0.copy()
    for t in range(steps):
        ux = (np.roll(u, -1, axis=1) - np.roll(u, 1, axis=1)) * 0.5
        u = u - dt * c[None, :] * ux
    return np.sum(u * u)


def advect_coefficient_as_a_vector(u0, c, steps, dt):
    u = u0.copy()
    for t in range(steps):
        ux = (np.roll(u, -1, axis=1) - np.roll(u, 1, axis=1)) * 0.5
        u = u - dt * c * ux
    return np.sum(u * u)


def advect_in_place(u0, c, steps, dt):
    # ``u -=`` after rolls of u: NumPy reads u whole for the rolls first; the element
    # loops write a new array (no other name holds u's)
    u = u0.copy()
    for t in range(steps):
        ux = (np.roll(u, -1, axis=1) - np.roll(u, 1, axis=1)) * 0.5
        u -= dt * c[np.newaxis, :] * ux
    return np.sum(u * u)


def diffuse_in_place_1d(u0, c, steps):
    u = u0.copy()
    for t in range(steps):
        u += c * (np.roll(u, 1) - 2.0 * u + np.roll(u, -1))
    return np.sum(u * u)


def weight_per_row_and_source_per_column(u0, c, steps, dt):
    u = u0.copy()
    w = u0[:, 0].copy()
    for t in range(steps):
        u = u - dt * w[:, None] * np.roll(u, 1, axis=0) + dt * c
    return np.sum(u * u)


def a_vector_temporary_also_summed(u0, c, steps, dt):
    # ``g`` has c's length: its own sum adds c's length of terms, not the grid's
    u = u0.copy()
    s = 0.0
    for t in range(steps):
        g = dt * c
        u = u - g * u
        s += np.sum(g * g)
    return np.sum(u * u) + s


def a_coefficient_in_three_axes(u0, c, steps, dt):
    u = u0.copy()
    for t in range(steps):
        u = u - dt * c * np.roll(u, 1, axis=2)
    return np.sum(u * u)


def advect_rows_of_a_slice(U0, c, steps):
    # the loop's rows are the slice's (two fewer than U's): c still aligns with the columns
    U = U0.copy()
    for t in range(steps):
        U[1:-1, :] = U[1:-1, :] - 0.1 * c[None, :] * (U[2:, :] - U[:-2, :])
    return np.sum(U * U)


def masked_per_column(u0, c, steps):
    u = u0.copy()
    m = u0[0] > 0.0
    for t in range(steps):
        u = np.where(m[None, :], u * (1.0 - 0.1 * c), u + 0.05 * c[None, :])
    return np.sum(u * u)


def weight_along_the_middle_axis(A0, w, steps):
    A = A0.copy()
    for t in range(steps):
        A = A - 0.1 * w[None, :, None] * A * A
    return np.sum(A)


def hebbian_rule(W0, X, eta):
    # an outer product written with new axes, of a vector the step computes
    W = W0.copy()
    for t in range(X.shape[0]):
        x = X[t]
        y = W @ x
        W = W + eta * (y[:, None] * x[None, :] - W)
    return np.sum(W * W)


def hebbian_rule_with_outer(W0, X, eta):
    # the same with np.outer (passes/outer_products.py: the same broadcast product)
    W = W0.copy()
    for t in range(X.shape[0]):
        y = W @ X[t]
        W = W + eta * (np.outer(y, X[t]) - W)
    return np.sum(W * W)


def a_view_taken_before_its_array_is_bound_again(W0, X, y, eta):
    # ``yb`` views the y of the step before: read through the view, not as ``y[j]``
    W = W0.copy()
    for t in range(X.shape[0]):
        x = X[t]
        yb = y[:, None]
        y = W @ x
        W = W + eta * (yb * x[None, :] - W)
    return np.sum(W * W)


def rows_scaled(A0, s, steps, dt):
    A = A0.copy()
    for t in range(steps):
        A = A * (1.0 + dt * s[:, None]) - dt * A * A
    return np.sum(A)


_r = np.random.default_rng(11)
SPREAD_CASES = [
    (hebbian_rule, (_r.standard_normal((5, 4)) * 0.3, _r.standard_normal((3, 4)), 0.1)),
    (hebbian_rule_with_outer, (_r.standard_normal((5, 4)) * 0.3, _r.standard_normal((3, 4)), 0.1)),
    (rows_scaled, (_r.standard_normal((5, 4)), _r.standard_normal(5), 3, 0.1)),
    (advect_rows_of_a_slice, (_r.standard_normal((7, 6)), _r.uniform(0.2, 1, 6), 3)),
    (masked_per_column, (_r.standard_normal((5, 6)), _r.uniform(0.2, 1, 6), 3)),
    (weight_along_the_middle_axis, (_r.uniform(0.1, 1, (3, 4, 5)), _r.uniform(0.2, 1, 4), 3)),
    (advect_coefficient_given_an_axis, (_r.standard_normal((3, 5)), _r.uniform(0.5, 1, 5), 4, 0.1)),
    (advect_coefficient_as_a_vector, (_r.standard_normal((3, 5)), _r.uniform(0.5, 1, 5), 4, 0.1)),
    (advect_in_place, (_r.standard_normal((3, 5)), _r.uniform(0.5, 1, 5), 4, 0.1)),
    (diffuse_in_place_1d, (_r.standard_normal(20), _r.uniform(0.1, 0.3, 20), 4)),
    (weight_per_row_and_source_per_column,
     (_r.standard_normal((5, 6)), _r.uniform(0.5, 1, 6), 4, 0.1)),
    (a_vector_temporary_also_summed, (_r.standard_normal((3, 5)), _r.uniform(0.5, 1, 5), 3, 0.1)),
    (a_coefficient_in_three_axes,
     (_r.standard_normal((2, 3, 4)), _r.uniform(0.5, 1, 4), 3, 0.1)),
]
# gradients only: a coefficient of one element (not known to be as long as the columns:
# NumPy's code), a view read after its array is bound again (kept, not read as ``y[j]``)
GUARD_CASES = [
    (advect_coefficient_as_a_vector, (_r.standard_normal((3, 5)), _r.uniform(0.5, 1, 1), 4, 0.1)),
    (a_view_taken_before_its_array_is_bound_again,
     (_r.standard_normal((6, 5)) * 0.3, _r.standard_normal((4, 5)), _r.standard_normal(6), 0.1)),
]
ALL_CASES = CASES + SPREAD_CASES + GUARD_CASES


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("k", range(len(ALL_CASES)))
def test_broadcast_operands_in_loops(k, target):
    f, args = ALL_CASES[k]
    wrt = tuple(k for k, a in enumerate(args) if isinstance(a, np.ndarray))
    value, _ = sd.value_and_grad(f, wrt=wrt, target=target)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    check_grad(f, args, wrt, target)


@pytest.mark.parametrize("k", range(len(SPREAD_CASES)))
def test_operands_that_broadcast_are_read_in_the_element_loops(k):
    f, args = SPREAD_CASES[k]
    source = sd.value_and_grad(f, wrt=(0, 1), target="python").source_for(*args)
    primal = source.split("_grad(")[0]
    assert "for j in range(" in primal, primal          # (and ``k`` inside, in two axes)
    # no array of a step kept on a list for the reverse sweep (nor a view of one:
    # ``y[:, None]`` is read as ``y[j]``)
    assert ".append(" not in source, source


def in_place_with_another_name(u0, c, steps):
    u = u0.copy()
    first = u
    for t in range(steps):
        u -= 0.1 * c * (np.roll(u, 1) - np.roll(u, -1))
    return np.sum(first * first) + np.sum(u)


def in_place_with_a_view(u0, c, steps):
    u = u0.copy()
    mid = u[1:-1]
    s = 0.0
    for t in range(steps):
        u -= 0.1 * c * (np.roll(u, 1) - np.roll(u, -1))
        s += np.sum(mid * mid)
    return s


@pytest.mark.parametrize("f", [in_place_with_another_name, in_place_with_a_view])
def test_an_in_place_step_of_an_array_another_name_holds_stays_refused(f):
    # (the element loops would write a new array, which the other name would not see)
    u0, c = np.linspace(0.0, 1.0, 12), np.full(12, 0.5)
    with pytest.raises(sd.TransformError, match="shares memory"):
        sd.value_and_grad(f, wrt=(0, 1), target="python")(u0, c, 3)
