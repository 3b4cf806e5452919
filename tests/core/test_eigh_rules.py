"""``np.linalg.eigh`` and ``np.linalg.eigvalsh``'s derivatives (rules/linalg.py).

Normalized to ``(eigh_values(a), eigh_vectors(a))`` and ``eigh_values(a)``
(passes/normalize.py), differentiated as the function NumPy computes: both read
only the lower triangle of ``a`` (so does Numba's compiled ``eigh``, checked
here), so the gradient is 0 above the diagonal and, below it, twice the
symmetric adjoint JAX and PyTorch return; for a matrix made symmetric from
parameters (``b + b.T``, ``x.T @ x``) the two agree, checked against
``jax.grad`` where JAX is installed.  Checked: gradients against finite
differences of NumPy's own function on the python and cpu targets, tangents,
Hessian-vector products and Hessians (which differentiate the adjoint helpers
again) against finite differences of the gradient, the compiled helpers
against their NumPy versions.
"""
from __future__ import annotations

import inspect
import types

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.runtime.helpers import (
    eigh_values,
    eigh_values_adjoint,
    eigh_values_adjoint_along_v,
    eigh_values_tangent,
    eigh_vectors,
    eigh_vectors_adjoint,
    eigh_vectors_adjoint_along_v,
    eigh_vectors_adjoint_along_w,
    eigh_vectors_tangent,
)
from tests.fdcheck import cached_grad, check_grad, numeric_grad
from tests.forward.jvpcheck import check_hvp, check_jvp

TARGETS = ["python", "cpu"]
SPECTRA = {3: [-1.5, 0.5, 2.0], 4: [-2.0, -0.5, 1.0, 2.5], 5: [-2.5, -1.0, 0.2, 1.4, 3.0]}


def _orthogonal(n, rng):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _matrix(n, seed):
    """A matrix whose lower triangle is that of a symmetric one with the
    eigenvalues SPECTRA[n] (gaps of 1 or more), and whose upper triangle is
    unrelated (what eigh does not read)."""
    rng = np.random.default_rng(seed)
    q = _orthogonal(n, rng)
    s = (q * SPECTRA[n]) @ q.T
    return np.tril(s) + np.triu(rng.standard_normal((n, n)), 1)


MATRICES = [_matrix(n, 10 + n) for n in (3, 4, 5)]
WEIGHTS = [np.random.default_rng(20 + a.shape[0]).standard_normal(a.shape[0]) for a in MATRICES]


# -- the programs ------------------------------------------------------------------

def sum_of_squared_eigenvalues(a):
    return np.sum(np.linalg.eigvalsh(a) ** 2)


def largest_eigenvalue(a):
    return np.linalg.eigh(a)[0][-1]


def largest_eigenvalue_unpacked(a):
    w, _ = np.linalg.eigh(a)
    return w[-1]


def eigenvector_weights(a, c):       # eigenvectors' squares: their signs do not count
    w, v = np.linalg.eigh(a)
    return np.sum((v[:, 0] * v[:, 0]) * c) + np.sum(v[:, -1] ** 2 * c[::-1]) * w[1]


def symmetrized(b, c):
    a = b + b.T
    w, v = np.linalg.eigh(a)
    return np.sum(w * c) + np.sum(v[:, -1] ** 2 * c)


def gram_spectrum(x, lam):
    a = x.T @ x + lam * np.eye(x.shape[1])
    w = np.linalg.eigvalsh(a)
    return np.log(w[-1]) - np.log(w[0]) + np.sum(w * w) * 0.1


def _gram_args(n, seed):
    """``x`` (n + 2 by n) whose Gram matrix has the eigenvalues s**2, s = 1, 2, ..."""
    rng = np.random.default_rng(seed)
    u = np.linalg.qr(rng.standard_normal((n + 2, n)))[0]
    return (u * np.arange(1.0, n + 1.0)) @ _orthogonal(n, rng).T, 0.3


def _symmetrized_args(n, seed):
    """``b`` with ``b + b.T`` the symmetric matrix of ``_matrix(n, seed)``."""
    a = _matrix(n, seed)
    return 0.5 * (np.tril(a) + np.tril(a, -1).T), WEIGHTS[n - 3]


# -- Numba's eigh and the compiled helpers ---------------------------------------

def _everything(a, dw, dv, a_dot, w_dot, v_dot):
    w, v = np.linalg.eigh(a)
    return (w, v, np.linalg.eigvalsh(a), eigh_values(a), eigh_vectors(a),
            eigh_values_tangent(v, a_dot), eigh_vectors_tangent(w, v, a_dot),
            eigh_values_adjoint(v, dw), eigh_vectors_adjoint(w, v, dv),
            eigh_values_adjoint_along_v(v, dw, v_dot),
            eigh_vectors_adjoint_along_w(w, v, dv, w_dot),
            eigh_vectors_adjoint_along_v(w, v, dv, v_dot))


def test_compiled_eigh_and_helpers_match_numpy():
    """Numba's compiled eigh/eigvalsh read the lower triangle as NumPy's do, and
    each helper's overload computes what its NumPy version does."""
    numba = pytest.importorskip("numba")
    from sourcediff.runtime.declare import install_numba_overloads
    install_numba_overloads()
    a = MATRICES[1]
    n = a.shape[0]
    assert not np.allclose(a, a.T)
    rng = np.random.default_rng(1)
    dw, dv, a_dot, w_dot, v_dot = (rng.standard_normal(n), rng.standard_normal((n, n)),
                                   rng.standard_normal((n, n)), rng.standard_normal(n),
                                   rng.standard_normal((n, n)))

    # (not cached: Numba's cache would not see an edit of a helper's overload)
    got = numba.njit(_everything)(a, dw, dv, a_dot, w_dot, v_dot)
    w, v = np.linalg.eigh(a)
    np.testing.assert_array_equal(got[0], w)
    np.testing.assert_array_equal(got[1], v)
    np.testing.assert_array_equal(got[2], np.linalg.eigvalsh(a))
    lower = np.tril(a) + np.tril(a, -1).T
    np.testing.assert_allclose(got[0], np.linalg.eigvalsh(lower), rtol=1e-13, atol=1e-13)
    want = (w, v, np.linalg.eigvalsh(a), eigh_values(a), eigh_vectors(a),
            eigh_values_tangent(v, a_dot), eigh_vectors_tangent(w, v, a_dot),
            eigh_values_adjoint(v, dw), eigh_vectors_adjoint(w, v, dv),
            eigh_values_adjoint_along_v(v, dw, v_dot),
            eigh_vectors_adjoint_along_w(w, v, dv, w_dot),
            eigh_vectors_adjoint_along_v(w, v, dv, v_dot))
    for k, (g, x) in enumerate(zip(got[3:], want[3:]), start=3):
        np.testing.assert_allclose(g, x, rtol=1e-12, atol=1e-12, err_msg=f"result {k}")
    for k in range(7, 12):           # adjoints of a: nothing above the diagonal
        assert np.all(np.triu(got[k], 1) == 0.0), k


def test_adjoint_tangents_are_derivatives_of_the_adjoints():
    a = MATRICES[2]
    n = a.shape[0]
    w, v = np.linalg.eigh(a)
    rng = np.random.default_rng(2)
    dw, dv = rng.standard_normal(n), rng.standard_normal((n, n))
    w_dot, v_dot = rng.standard_normal(n), rng.standard_normal((n, n))
    h = 1e-6

    def along(fn, *pair):
        plus = fn(*[x + h * t if t is not None else x for x, t in pair])
        minus = fn(*[x - h * t if t is not None else x for x, t in pair])
        return (plus - minus) / (2 * h)

    fd = along(eigh_values_adjoint, (v, v_dot), (dw, None))
    np.testing.assert_allclose(eigh_values_adjoint_along_v(v, dw, v_dot), fd,
                               rtol=1e-6, atol=1e-8)
    fd = along(eigh_vectors_adjoint, (w, w_dot), (v, None), (dv, None))
    np.testing.assert_allclose(eigh_vectors_adjoint_along_w(w, v, dv, w_dot), fd,
                               rtol=1e-6, atol=1e-8)
    fd = along(eigh_vectors_adjoint, (w, None), (v, v_dot), (dv, None))
    np.testing.assert_allclose(eigh_vectors_adjoint_along_v(w, v, dv, v_dot), fd,
                               rtol=1e-6, atol=1e-8)


# -- gradients ----------------------------------------------------------------------

@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("f", [sum_of_squared_eigenvalues, largest_eigenvalue],
                         ids=lambda f: f.__name__)
def test_gradient_of_eigenvalues(f, target):
    for a in MATRICES:
        g = check_grad(f, (a,), 0, target)
        assert np.all(np.triu(g, 1) == 0.0)       # eigh does not read the upper triangle


def test_gradient_of_the_unpacked_largest_eigenvalue():
    for a in MATRICES:
        g = check_grad(largest_eigenvalue_unpacked, (a,), 0, "python")
        np.testing.assert_array_equal(g, cached_grad(largest_eigenvalue, 0, "python")(a))


@pytest.mark.parametrize("target", TARGETS)
def test_gradient_of_eigenvectors(target):
    for a, c in zip(MATRICES, WEIGHTS):
        g = check_grad(eigenvector_weights, (a, c), (0, 1), target)[0]
        assert np.all(np.triu(g, 1) == 0.0)


def test_the_gradient_lives_in_the_lower_triangle():
    """NumPy's eigh, differentiated as it is: below the diagonal twice the
    symmetric adjoint, nothing above it (the finite differences say so)."""
    a = MATRICES[1]
    w, v = np.linalg.eigh(a)
    symmetric = (v * (2.0 * w)) @ v.T          # JAX's and PyTorch's gradient
    g = cached_grad(sum_of_squared_eigenvalues, 0, "python")(a)
    fd = numeric_grad(sum_of_squared_eigenvalues, (a,), 0)
    np.testing.assert_allclose(g, fd, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(np.diag(g), np.diag(symmetric), rtol=1e-12)
    np.testing.assert_allclose(np.tril(g, -1), 2.0 * np.tril(symmetric, -1), rtol=1e-12,
                               atol=1e-12)
    assert np.all(np.triu(g, 1) == 0.0)
    assert np.max(np.abs(np.triu(fd, 1))) < 1e-9      # (LAPACK's rounding, 1e-15 in f)


def test_the_explicit_lower_triangle_is_the_default():
    def lower(a):
        return np.linalg.eigvalsh(a, UPLO="L")[0] + np.linalg.eigh(a, "L")[0][-1]

    def default(a):
        return np.linalg.eigvalsh(a)[0] + np.linalg.eigh(a)[0][-1]

    a = MATRICES[0]
    np.testing.assert_array_equal(sd.grad(lower, target="python")(a),
                                  sd.grad(default, target="python")(a))
    check_grad(lower, (a,), 0, "python")


def _as_jax(f):
    jax = pytest.importorskip("jax", reason="JAX is an optional peer: the gradients "
                                            "above are compared with finite differences")
    jax.config.update("jax_enable_x64", True)
    return jax, types.FunctionType(f.__code__, {**f.__globals__, "np": jax.numpy}, f.__name__)


@pytest.mark.parametrize("target", TARGETS)
def test_gradient_of_a_matrix_made_symmetric(target):
    for n in (3, 5):
        b, c = _symmetrized_args(n, 30 + n)
        check_grad(symmetrized, (b, c), (0, 1), target)
        x, lam = _gram_args(n, 40 + n)
        check_grad(gram_spectrum, (x, lam), (0, 1), target)


def test_gradient_of_a_matrix_made_symmetric_as_jax():
    grads = []
    for n in (3, 5):
        b, c = _symmetrized_args(n, 30 + n)
        x, lam = _gram_args(n, 40 + n)
        grads.append((b, c, cached_grad(symmetrized, (0, 1), "python")(b, c),
                      x, lam, cached_grad(gram_spectrum, (0, 1), "python")(x, lam)))
    jax, jax_symmetrized = _as_jax(symmetrized)
    _, jax_gram = _as_jax(gram_spectrum)
    for b, c, got, x, lam, got_gram in grads:
        want = jax.grad(jax_symmetrized, argnums=(0, 1))(b, c)
        for g, r in zip(got, want):
            np.testing.assert_allclose(g, np.asarray(r), rtol=1e-9, atol=1e-12)
        want = jax.grad(jax_gram, argnums=(0, 1))(x, lam)
        for g, r in zip(got_gram, want):
            np.testing.assert_allclose(g, np.asarray(r), rtol=1e-9, atol=1e-12)


# -- tangents and second derivatives -----------------------------------------------

@pytest.mark.parametrize("f", [sum_of_squared_eigenvalues, largest_eigenvalue,
                               eigenvector_weights, symmetrized], ids=lambda f: f.__name__)
def test_tangent(f):
    for n, a in zip((3, 4, 5), MATRICES):
        args = _symmetrized_args(n, 30 + n) if f is symmetrized else \
            (a, WEIGHTS[n - 3])[:len(inspect.signature(f).parameters)]
        check_jvp(f, args, 0, "python", seed=n)


def test_tangent_compiled():
    for a, c in zip(MATRICES, WEIGHTS):
        check_jvp(eigenvector_weights, (a, c), (0, 1), "cpu")


@pytest.mark.parametrize("f", [sum_of_squared_eigenvalues, largest_eigenvalue,
                               eigenvector_weights, symmetrized], ids=lambda f: f.__name__)
def test_hessian_vector_product(f):
    for n, a in zip((3, 4, 5), MATRICES):
        args = _symmetrized_args(n, 30 + n) if f is symmetrized else \
            (a, WEIGHTS[n - 3])[:len(inspect.signature(f).parameters)]
        check_hvp(f, args, 0, "python", seed=n)


def _fd_hessian(f, args):
    """Central differences of the (python target's) gradient, one column per
    element of ``args[0]``."""
    grad = cached_grad(f, 0, "python")
    x = args[0]
    h = 1e-5
    cols = []
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        cols.append((grad(x + e, *args[1:]) - grad(x - e, *args[1:])) / (2 * h))
    return np.moveaxis(np.array(cols).reshape(x.shape + x.shape), range(x.ndim), range(-x.ndim, 0))


@pytest.mark.parametrize("target", TARGETS)
def test_hessians(target):
    a, c = MATRICES[1], WEIGHTS[1]
    for f, args in ((sum_of_squared_eigenvalues, (a,)), (largest_eigenvalue, (a,)),
                    (eigenvector_weights, (a, c)))[:None if target == "python" else 0]:
        hess = sd.hessian(f, wrt=0, target=target)(*args)
        assert hess.shape == a.shape + a.shape
        np.testing.assert_allclose(hess, _fd_hessian(f, args), rtol=1e-6, atol=1e-7,
                                   err_msg=f.__name__)
    v = np.random.default_rng(5).standard_normal(a.shape)
    hv = sd.hvp(eigenvector_weights, wrt=0, target=target)(a, c, v)
    hv = hv[1] if isinstance(hv, tuple) else hv
    fd = np.tensordot(_fd_hessian(eigenvector_weights, (a, c)), v, axes=2)
    np.testing.assert_allclose(hv, fd, rtol=1e-6, atol=1e-7)


# -- equal eigenvalues ----------------------------------------------------------------

def test_equal_eigenvalues_leave_the_eigenvalues_derivative_finite():
    a = np.diag([1.0, 1.0, 2.0])
    g = sd.grad(sum_of_squared_eigenvalues, target="python")(a)
    np.testing.assert_allclose(g, 2.0 * a, rtol=1e-12, atol=1e-12)
    v = np.random.default_rng(3).standard_normal((3, 3))
    _, t = sd.jvp(sum_of_squared_eigenvalues, target="python")(a, v)
    assert t == pytest.approx(2.0 * float(np.sum(np.diag(a) * np.diag(v))), rel=1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):    # (documented: not finite)
        w, vecs = np.linalg.eigh(a)
        assert not np.all(np.isfinite(eigh_vectors_tangent(w, vecs, v)))


# -- the generated code and what is refused ----------------------------------------

def test_generated_code_calls_the_helpers_by_name():
    a, c = MATRICES[0], WEIGHTS[0]
    code = sd.value_and_grad(eigenvector_weights, target="python").source_for(a, c)
    for name in ("eigh_values(a)", "eigh_vectors(a)", "eigh_values_adjoint(eigh_vectors(a), ",
                 "eigh_vectors_adjoint(eigh_values(a), "):
        assert name in code, code
    assert not [line for line in code.splitlines()
                if "np.linalg" in line and not line.lstrip().startswith("#")], code
    code = sd.grad(sum_of_squared_eigenvalues, target="python").source_for(a)
    assert "eigh_values(a)" in code and "eigh_values_adjoint(eigh_vectors(a), " in code, code
    assert "eigh_vectors_adjoint" not in code, code


def upper_by_keyword(a):
    w, _ = np.linalg.eigh(a, UPLO="U")
    return w[0]


def upper_by_position(a):
    s = np.sum(a)
    return np.linalg.eigvalsh(a, "U")[0] + s


def two_matrices(a):
    return np.linalg.eigh(a, a)[0][0]


@pytest.mark.parametrize("f, line", [(upper_by_keyword, 1), (upper_by_position, 2),
                                     (two_matrices, 1)], ids=lambda c: getattr(c, "__name__", ""))
def test_other_arguments_are_refused_where_written(f, line):
    with pytest.raises(sd.TransformError, match=r"one argument.*lower triangle.*UPLO='L'.*\(a\.T\)") as info:
        sd.grad(f, target="python")(MATRICES[0])
    assert info.value.lineno == inspect.getsourcelines(f)[1] + line
    assert info.value.filename == __file__
    assert "np.linalg.eig" in info.value.source_line


def stacked(a):
    return np.sum(np.linalg.eigvalsh(a))


def test_a_stack_of_matrices_is_refused_where_written():
    with pytest.raises(sd.TransformError, match="a matrix .*not a stack") as info:
        sd.grad(stacked, target="python")(np.stack(MATRICES[:1] * 2))
    assert info.value.lineno == inspect.getsourcelines(stacked)[1] + 1
