"""``np.linalg.det``, ``inv`` and ``solve`` of float matrices become the
runtime helpers ``determinant``, ``inverse`` and ``solve_linear`` in generated
code (closed forms up to 3x3, LAPACK above), and the derivative of ``det``
takes its cofactors in closed form up to 3x3: the values NumPy gives, the
errors Numba raises, the same derivatives."""
from __future__ import annotations

import re

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.runtime import small_linalg as L
from sourcediff.runtime.declare import install_numba_overloads
from tests.fdcheck import check_grad

RNG = np.random.default_rng(20261207)


def _compiled():
    import numba
    install_numba_overloads("cpu")

    @numba.njit
    def every(a, b, bs):
        return (L.determinant(a), L.inverse(a), L.solve_linear(a, b),
                L.solve_linear(a, bs), L.cofactors(a))

    @numba.njit
    def inv(a):
        return L.inverse(a)

    @numba.njit
    def det(a):
        return L.determinant(a)

    @numba.njit
    def solve(a, b):
        return L.solve_linear(a, b)
    return every, inv, det, solve


def _python():
    def every(a, b, bs):
        return (L.determinant(a), L.inverse(a), L.solve_linear(a, b),
                L.solve_linear(a, bs), L.cofactors(a))
    return every, L.inverse, L.determinant, L.solve_linear


WAYS = {"python": _python, "cpu": _compiled}


@pytest.mark.parametrize("way", sorted(WAYS))
@pytest.mark.parametrize("n", [1, 2, 3, 4, 6])
def test_the_values_are_numpys(n, way):
    every = WAYS[way]()[0]
    a = RNG.normal(size=(n, n)) + n * np.eye(n)
    b, bs = RNG.normal(size=n), RNG.normal(size=(n, 3))
    det, inv, x, xs, cof = every(a, b, bs)
    assert det == pytest.approx(np.linalg.det(a), rel=1e-13)
    np.testing.assert_allclose(inv, np.linalg.inv(a), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(xs, np.linalg.solve(a, bs), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cof, np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-11,
                               atol=1e-13)
    assert a @ inv == pytest.approx(np.eye(n), abs=1e-12)


def test_compiled_results_have_one_layout_whatever_the_size():
    """The closed forms return Fortran-ordered matrices, as Numba's LAPACK
    calls do, so a result has one array type (two would unify to 'A', which
    Numba's products warn about and run slower on)."""
    import numba
    _, inv, _, solve = _compiled()
    small, large = np.eye(2) * 2.0, np.eye(5) * 2.0
    assert numba.typeof(inv(small)) == numba.typeof(inv(large))
    assert numba.typeof(inv(small)).layout == "F"
    assert numba.typeof(solve(small, np.ones((2, 2)))).layout == \
        numba.typeof(solve(large, np.ones((5, 2)))).layout


@pytest.mark.parametrize("way", sorted(WAYS))
@pytest.mark.parametrize("n", [2, 3])
def test_singular_and_nonfinite_matrices_raise_as_numba_does(n, way):
    _, inv, det, solve = WAYS[way]()
    singular = np.ones((n, n))
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        inv(singular)
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        solve(singular, np.ones(n))
    assert det(singular) == 0.0
    bad = np.eye(n)
    bad[0, n - 1] = np.nan
    for f in (inv, det):
        with pytest.raises(np.linalg.LinAlgError, match="infs or NaNs"):
            f(bad)


@pytest.mark.parametrize("n", [2, 3])
def test_cofactors_of_a_singular_matrix_are_those_of_the_svd_form(n):
    """det's derivative is defined at a singular matrix (rank n - 1: not zero)."""
    u = RNG.normal(size=(n, n))
    a = u @ np.diag([2.0] + [1.0] * (n - 2) + [0.0]) @ RNG.normal(size=(n, n))
    np.testing.assert_allclose(L.cofactors(a), L._svd_cofactors(a), rtol=1e-9, atol=1e-12)
    assert np.max(np.abs(L.cofactors(a))) > 0.1


def gauss_newton(p, Js, r):
    """Small normal equations in a loop (matrices read from an argument, so not
    written as numbers): a 3x3 solve with a matrix right side, a 2x2 inverse and
    both determinants."""
    total = 0.0
    for t in range(Js.shape[0]):
        J = Js[t] * p[0] + p[1]
        A = J.T @ J + p[2] * np.eye(3)
        steps = np.linalg.solve(A, J[:, :2])
        S = steps[:2, :] + r * np.eye(2)
        total += np.sum(np.linalg.inv(S)) + np.log(np.linalg.det(A)) + np.linalg.det(S)
    return total


GN_ARGS = (np.array([0.7, -0.4, 1.3]), RNG.normal(size=(5, 3, 3)), 1.3)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_small_systems_in_a_loop_match_finite_differences(target):
    check_grad(gauss_newton, GN_ARGS, wrt=(0, 2), target=target)


def test_generated_code_calls_no_lapack_for_them():
    text = sd.grad(gauss_newton, wrt=(0, 2), target="python").source_for(*GN_ARGS)
    code = "\n".join(line.split("#")[0] for line in text.splitlines())
    assert "np.linalg." not in code, code
    called = set(re.findall(r"(\w+)\(", code))
    for helper, small in L.SMALL_FORMS.items():
        assert helper in called or small in called, (helper, code)


def _small_forms(compiled):
    def every(a, b, bs):
        return (L.small_determinant(a), L.small_inverse(a), L.small_solve(a, b),
                L.small_solve(a, bs), L.small_cofactors(a))
    if not compiled:
        return every
    import numba
    install_numba_overloads("cpu")
    return numba.njit(every)


@pytest.mark.parametrize("compiled", [False, True], ids=["python", "cpu"])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_the_small_forms_give_the_same_values(n, compiled):
    a = RNG.normal(size=(n, n)) + n * np.eye(n)
    b, bs = RNG.normal(size=n), RNG.normal(size=(n, 2))
    for x, y in zip(_small_forms(compiled)(a, b, bs), WAYS["python"]()[0](a, b, bs)):
        np.testing.assert_allclose(x, y, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("compiled", [False, True], ids=["python", "cpu"])
def test_the_small_forms_refuse_a_larger_matrix(compiled):
    a = np.eye(4)
    with pytest.raises(ValueError, match="more than 3 rows"):
        _small_forms(compiled)(a, np.ones(4), np.ones((4, 2)))


def test_a_matrix_of_known_small_shape_calls_the_small_forms():
    """The Kalman filter's 2x2 innovation covariance (its shape follows from
    products of matrices of known shapes): no LAPACK call is compiled for it."""
    from tests.core import test_small_matrix_filters as K
    text = sd.grad(K.kalman_dots, wrt=(0, 1), target="python").source_for(*K.ARGS)
    grad = text[text.index("def kalman_dots_grad"):]
    called = set(re.findall(r"(\w+)\(", "\n".join(ln.split("#")[0] for ln in grad.splitlines())))
    assert {"small_inverse", "small_determinant", "small_solve", "small_cofactors"} <= called
    assert not called & {"inverse", "determinant", "solve_linear", "cofactors"}, called
