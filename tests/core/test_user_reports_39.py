"""What a tester's probes of NumPy code found (thirty-ninth session): a keyword a
derivative rule does not take was dropped (``np.linspace(..., endpoint=False)``,
``np.linalg.cholesky(a, upper=True)``: the gradient of the call without it),
``np.outer`` of a matrix (NumPy flattens it; the rule took vectors: a wrong
gradient), Python's power of integers with a negative exponent (Numba's is an
integer: 0), and the builtin ``abs`` of an array (Numba's takes numbers only).
Each is refused with the user's line, or differentiated as NumPy computes it
(central finite differences, float64, both targets)."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.errors import TransformError
from tests.fdcheck import check_grad


def spaced(a, b):
    return np.sum(np.linspace(a, b, 4, endpoint=False) ** 2)


def upper_factor(A):
    return np.sum(np.linalg.cholesky(A, upper=True) * np.arange(9.0).reshape(3, 3))


def stepped(a, b):
    return np.linspace(a, b, 5, retstep=True)[1]


def outer_of_matrix(A, b):
    return np.sum(np.outer(A, b) ** 2)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, what", [
    (spaced, (0.2, 1.7), "'endpoint=' of 'np.linspace'"),
    (upper_factor, (2.0 * np.eye(3),), "'upper=' of 'np.linalg.cholesky'"),
    (stepped, (0.2, 1.7), "'retstep=' of 'np.linspace'"),
    (outer_of_matrix, (np.arange(6.0).reshape(2, 3), np.ones(2)), "np.outer is differentiated for 1-d"),
])
def test_what_a_rule_would_drop_is_refused_at_the_users_line(f, args, what, target):
    with pytest.raises(TransformError) as err:
        sd.grad(f, wrt=0, target=target)(*args)
    assert what in str(err.value) and "test_user_reports_39.py" in str(err.value), err.value


def halves(x):
    s = 0.0
    for k in range(1, 4):
        s += x * 2 ** -k + x ** -2 * k ** -1
    return s


def powers(x):
    s = 0.0
    for k in range(4):
        s += x[k] ** 2 * 3 ** k
    return s


def absolute(x):
    return np.sum(abs(x) ** 2) + np.sum(abs(x[0] - x) * x)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_negative_powers_of_integers_are_pythons(target):
    assert sd.value_and_grad(halves, target=target)(1.5)[0] == pytest.approx(halves(1.5))
    check_grad(halves, (1.5,), target=target)
    check_grad(powers, (np.array([0.5, -1.0, 2.0, 1.5]),), target=target)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_builtin_abs_of_an_array(target):
    check_grad(absolute, (np.array([1.0, -2.0, 3.5]),), target=target)


def reversed_in_place(x):
    y = x.copy()
    for t in range(2):
        y[1:] = y[:-1]
        y[0] = x[-1] * 2.0
        y[:] = y[::-1]
    return np.sum(y * np.arange(1.0, x.shape[0] + 1.0))


def reversed_tail(x):
    y = x * 1.5
    for t in range(3):
        y[2:] = y[:1:-1] * y[2:]
    return np.sum(y * y)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_reversal_copied_into_itself_is_numpys(target):
    # (NumPy copies y[::-1] first; a slice of another step it may not: still refused,
    # tests/core/test_user_reports_16.py)
    check_grad(reversed_in_place, (np.linspace(0.1, 1.2, 6),), target=target)
    check_grad(reversed_tail, (np.linspace(0.3, 0.9, 7),), target=target)


def row_swap(x):
    A = np.outer(x, np.array([1.0, 2.0, 3.0]))
    A[0], A[2] = A[2], A[0]
    return np.sum(A * np.arange(A.size).reshape(A.shape))


def test_a_refused_row_swap_names_no_temporary():
    # (NumPy's views make both rows equal: refused, naming what the user wrote)
    with pytest.raises(TransformError) as err:
        sd.grad(row_swap)(np.array([0.5, -0.3, 1.8]))
    text = str(err.value)
    assert "'_t" not in text and "a view this line takes shares memory with array 'A'" in text, text


def det_terms(A):
    return np.linalg.det(A) * 2.0 + np.sum(A)


def det_squared(b):
    A = np.outer(b, b) + np.eye(3)
    return np.linalg.det(A) ** 2


def _cofactor_matrix(A):
    n = A.shape[0]
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(A, i, 0), j, 1))
                      for j in range(n)] for i in range(n)])


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_det_is_differentiated_at_a_singular_matrix(target):
    # (its gradient is the cofactor matrix there too, as JAX gives it; inv raised)
    S = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, 0.1, 2.0]])
    g = sd.grad(det_terms, target=target)(S)
    np.testing.assert_allclose(g, 2.0 * _cofactor_matrix(S) + 1.0, rtol=1e-10, atol=1e-12)
    check_grad(det_terms, (np.random.default_rng(7).standard_normal((4, 4)),), target=target)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_second_derivatives_of_det(target):
    b, v = np.array([0.3, -0.2, 0.5]), np.array([0.7, 0.1, -0.4])
    hv = sd.hvp(det_squared, target=target)(b, v)
    hv = hv[1] if isinstance(hv, tuple) else hv
    grad = sd.grad(det_squared, target="python")
    h = 1e-5
    np.testing.assert_allclose(hv, (grad(b + h * v) - grad(b - h * v)) / (2 * h), rtol=1e-6)
