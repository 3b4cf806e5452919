"""What a tester's probes of NumPy code found (fortieth session): a differentiated
input passed by keyword (``np.linspace(0.0, stop=b)``, ``np.full(3,
fill_value=a)``) gave no derivative at all (a wrong gradient, silently: the
activity analysis read the positional arguments only); ``np.isclose`` of a
column against a row came out wrong (Numba's own broadcasts them wrongly), and
a ufunc's ``out=`` / ``where=`` and ``np.copyto(..., where=)`` were refused.
Each is checked against central finite differences in float64 on both targets,
and the closeness tests against NumPy's own values."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.errors import TransformError
from tests.core.test_ghost_cells import lap_ghost
from tests.fdcheck import check_grad
from tests.forward.jvpcheck import check_jvp

X = np.array([0.3, 0.7, 1.1])


def stop_by_keyword(x):
    return np.sum(np.linspace(0.0, stop=x[0], num=3) * x)


def ends_by_keyword(x):
    return np.sum(np.linspace(start=x[1], stop=x[0], num=4) ** 2)


def fill_by_keyword(x):
    return np.sum(np.full((2, 3), fill_value=x[1] * 2) * x)


def bounds_by_keyword(x):
    return np.sum(np.clip(x, a_min=x[1] * 0.9, a_max=x[2] * 0.8) * x)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", [stop_by_keyword, ends_by_keyword, fill_by_keyword,
                               bounds_by_keyword])
def test_inputs_given_by_keyword_carry_their_derivative(f, target):
    check_grad(f, (X,), wrt=0, target=target)


@pytest.mark.parametrize("f", [stop_by_keyword, fill_by_keyword])
def test_inputs_given_by_keyword_carry_their_tangent(f):
    check_jvp(f, (X,), 0, "python")


def close_pairs(x):
    # only the diagonal is close: sum of x_i ** 2
    return np.sum(np.where(np.isclose(x[:, None], x[None, :]), x[:, None] * x, 0.0))


def close_with_tolerances(x):
    return np.sum(np.where(np.isclose(x, 0.7, rtol=1e-3, atol=1e-9), 2 * x, x))


def close_nans(x):
    z = x * np.nan
    return np.sum(np.where(np.isclose(z, z, equal_nan=True), x, 0.0) ** 2)


def all_close(x):
    s = np.sum(x * x)
    if np.allclose(x, x[::-1], atol=1e-3):
        s = s * 2.0
    return s


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", [close_pairs, close_with_tolerances, close_nans, all_close])
def test_closeness_tests_are_numpys(f, target):
    for x in (X, np.array([0.7, 0.7 + 1e-12, 0.7]), np.array([0.5, np.inf, 0.5])):
        value, _ = sd.value_and_grad(f, target=target)(x)
        assert value == f(x) or np.isnan(value) and np.isnan(f(x)), (x, value, f(x))
    check_grad(f, (X,), wrt=0, target=target)


def multiply_out(x):
    y = np.empty(3)
    np.multiply(x, x, out=y)
    return np.sum(y)


def add_out_in_place(x):
    y = x * 1.0
    np.add(y, x, out=y)
    np.exp(y, y)                 # out given after the input
    return np.sum(y * y)


def copy_where(x):
    y = np.zeros(3)
    np.copyto(y, x * 2, where=x > 0.5)
    return np.sum(y * y)


def out_where(x):
    y = np.ones(3)
    np.multiply(x, 3.0, out=y, where=x < 1.0)
    np.sin(y, out=(y,))
    return np.sum(y * x)


def out_row(x):
    y = np.zeros((2, 3))
    np.multiply(x, x, out=y[0])
    return np.sum(y * y)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", [multiply_out, add_out_in_place, copy_where, out_where, out_row])
def test_results_written_into_an_array(f, target):
    check_grad(f, (X,), wrt=0, target=target)


def out_temporary(x):
    np.multiply(x, x, out=np.empty(3))
    return np.sum(x)


def test_out_into_no_variable_is_refused_at_the_users_line():
    with pytest.raises(TransformError) as err:
        sd.grad(out_temporary, target="python")(X)
    assert "array variable of the function" in str(err.value)
    assert "test_user_reports_40.py" in str(err.value)


def rows_of(x):
    return np.sum(np.tile(x, (2, 1)) ** 2 * np.arange(6.0).reshape(2, 3))


def blocks_of(x):
    return np.sum(np.tile(x, (2, 2)) ** 3)


def stacked_outer(x):
    return np.sum(np.tile(np.outer(x, x), (1, 2, 1)) * np.arange(1.0, 19.0).reshape(1, 6, 3))


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", [rows_of, blocks_of, stacked_outer])
def test_tile_with_more_reps_than_axes(f, target):
    check_grad(f, (X,), wrt=0, target=target)


def test_tile_with_more_reps_than_axes_tangent():
    check_jvp(rows_of, (X,), 0, "python")


def seeded(x):
    np.random.seed(0)
    return np.sum(x)


def test_seeding_is_refused_as_drawing_is():
    with pytest.raises(TransformError) as err:
        sd.grad(seeded, target="python")(X)
    assert "cannot seed or draw random numbers" in str(err.value)
    assert "test_user_reports_40.py" in str(err.value)


A = np.random.default_rng(40).standard_normal((4, 5))


def column_medians(a):
    return np.sum(np.median(a, axis=0) ** 2)      # 4 rows: the mean of the middle two


def row_medians(a):
    return np.sum(np.median(a, -1) * np.arange(4.0))   # 5 columns: the middle one


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", [column_medians, row_medians])
def test_median_along_an_axis(f, target):
    check_grad(f, (A,), wrt=0, target=target)


def transposed_start(u0, v0, dt):
    # v starts as a transpose (Fortran-ordered in Numba) and is re-bound to
    # arithmetic (C-ordered): a cpu crash inside Numba before ("Don't know how
    # to allocate array with layout 'A'"), now a C-ordered copy at the start
    u = u0
    v = v0.T
    for t in range(2):
        un = u + dt * lap_ghost(v)
        v = v - dt * lap_ghost(u) * u
        u = un
    return np.sum(u ** 2) + np.sum(v)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_state_that_starts_as_a_transpose(target):
    Z = np.random.default_rng(2).standard_normal((4, 5)) * 0.5
    args = (Z.copy(), Z.T.copy(), 0.1)
    value, _ = sd.value_and_grad(transposed_start, wrt=(0, 1, 2), target=target)(*args)
    assert value == pytest.approx(transposed_start(*args), rel=1e-12)
    check_grad(transposed_start, args, wrt=(0, 1, 2), target=target)


def mask_methods(x):
    s = np.sum(x * x)
    if (x > 1.0).any() and (x > -1.0).all():
        s = s * 2.0
    return s + x[x.argmax()] * 3.0 + x[x.argmin()]


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_any_all_argmax_argmin_methods(target):
    check_grad(mask_methods, (np.array([0.5, 1.5, -0.2]),), wrt=0, target=target)
    check_grad(mask_methods, (np.array([0.5, 0.7, -0.2]),), wrt=0, target=target)
