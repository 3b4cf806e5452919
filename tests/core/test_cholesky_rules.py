"""``np.linalg.cholesky``'s derivatives (rules/linalg.py) solve triangular
systems with compiled loops (runtime/helpers.py ``cholesky_adjoint``,
``cholesky_tangent``), not Numba's general ``np.linalg.solve``, whose first
compile took 8-12 s (a new user's Gaussian process: first call 12.6 s).
Checked: the compiled helpers against their NumPy versions, gradients,
tangents and Hessians (which differentiate the adjoint helper again) against
finite differences in float64."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.runtime.helpers import (
    cholesky_adjoint,
    cholesky_adjoint_tangent,
    cholesky_tangent,
)
from tests.fdcheck import check_grad, numeric_grad


def _spd(n, seed):
    b = np.random.default_rng(seed).standard_normal((n, n))
    return b @ b.T + n * np.eye(n)


@pytest.mark.parametrize("n", [1, 2, 5])
def test_compiled_helpers_match_numpy(n):
    numba = pytest.importorskip("numba")
    from sourcediff.runtime.declare import install_numba_overloads
    install_numba_overloads()
    l = np.linalg.cholesky(_spd(n, n))
    rng = np.random.default_rng(10 + n)
    dl, a_dot = rng.standard_normal((n, n)), _spd(n, 20 + n) - n * np.eye(n)

    @numba.njit
    def both(l, dl, a_dot):
        return cholesky_adjoint(l, dl), cholesky_tangent(l, a_dot)

    adj, tan = both(l, dl, a_dot)
    np.testing.assert_allclose(adj, cholesky_adjoint(l, dl), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tan, cholesky_tangent(l, a_dot), rtol=1e-12, atol=1e-12)
    assert np.all(np.triu(tan, 1) == 0.0)


def test_the_adjoint_tangent_along_l_is_the_derivative_of_the_adjoint():
    n = 4
    l = np.linalg.cholesky(_spd(n, 1))
    rng = np.random.default_rng(2)
    dl, l_dot = rng.standard_normal((n, n)), np.tril(rng.standard_normal((n, n)))
    h = 1e-6
    fd = (cholesky_adjoint(l + h * l_dot, dl) - cholesky_adjoint(l - h * l_dot, dl)) / (2 * h)
    np.testing.assert_allclose(cholesky_adjoint_tangent(l, dl, l_dot), fd, rtol=1e-6, atol=1e-8)


def factor_loss(b, y):
    a = np.dot(b, b.T) + 2.0 * np.eye(b.shape[0])
    l = np.linalg.cholesky(a)
    s = 0.0
    for i in range(l.shape[0]):
        s += np.log(l[i, i]) + l[i, 0] * y[i]
    return s + np.sum(l * l * y[0])


ARGS = (np.random.default_rng(3).standard_normal((4, 4)), np.random.default_rng(4).standard_normal(4))


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_gradient_matches_finite_differences(target):
    check_grad(factor_loss, ARGS, wrt=(0, 1), target=target)
    code = sd.grad(factor_loss, wrt=(0, 1), target=target).source_for(*ARGS)
    assert "cholesky_adjoint(" in code and "np.linalg.solve" not in code, code


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_tangent_matches_finite_differences(target):
    b, y = ARGS
    v = np.random.default_rng(5).standard_normal(b.shape)
    _, jv = sd.jvp(factor_loss, wrt=0, target=target)(b, y, v)
    g = numeric_grad(factor_loss, (b, y), wrt=0)
    assert jv == pytest.approx(float(np.sum(g * v)), rel=1e-6)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_hessian_vector_product_matches_finite_differences_of_the_gradient(target):
    b, y = ARGS
    v = np.random.default_rng(6).standard_normal(b.shape)
    hv = sd.hvp(factor_loss, wrt=0, target=target)(b, y, v)
    hv = hv[1] if isinstance(hv, tuple) else hv
    grad = sd.grad(factor_loss, wrt=0, target="python")
    h = 1e-5
    fd = (grad(b + h * v, y) - grad(b - h * v, y)) / (2 * h)
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-7)
