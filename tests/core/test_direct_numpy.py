"""The NumPy calls the cpu target lowers in place (backends/direct_numpy.py): the same
result types as Numba's own ``np.empty``/``np.zeros``/``np.empty_like``/``np.zeros_like``
and ``@`` for every argument form, the same values, the same errors; and the rewrite
touches code, not the source-line comments."""
import re
from pathlib import Path

import numba
import numpy as np
import pytest

from sourcediff.backends.direct_numpy import (
    add_matmul_now,
    direct_calls,
    empty_like_now,
    empty_now,
    fill_now,
    matmul_now,
    sub_matmul_now,
    zeros_like_now,
    zeros_now,
)


@numba.njit
def ours(x, n):
    a = zeros_now(n)
    b = zeros_now((n, 2), np.int64)
    c = empty_now(n, dtype=np.bool_)
    d = zeros_like_now(x)
    e = zeros_like_now(x.T)
    f = empty_like_now(x[::2, :1])
    g = zeros_like_now(x, np.float32)
    h = zeros_like_now(1.5)
    k = zeros_now(x.shape, x.dtype)
    c[:] = True
    f[:] = 0.0
    return a, b, c, d, e, f, g, h, k


@numba.njit
def numbas(x, n):
    a = np.zeros(n)
    b = np.zeros((n, 2), np.int64)
    c = np.empty(n, dtype=np.bool_)
    d = np.zeros_like(x)
    e = np.zeros_like(x.T)
    f = np.empty_like(x[::2, :1])
    g = np.zeros_like(x, np.float32)
    h = np.zeros_like(1.5)
    k = np.zeros(x.shape, x.dtype)
    c[:] = True
    f[:] = 0.0
    return a, b, c, d, e, f, g, h, k


def test_result_types_and_values_are_numbas():
    x = np.arange(12.0).reshape(4, 3)
    got, want = ours(x, 3), numbas(x, 3)
    [sig_ours] = ours.nopython_signatures
    [sig_numba] = numbas.nopython_signatures
    assert sig_ours.return_type == sig_numba.return_type
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.flags.c_contiguous == b.flags.c_contiguous
        assert a.flags.f_contiguous == b.flags.f_contiguous
        np.testing.assert_array_equal(a, b)


@numba.njit
def negative(n):
    return zeros_now((2, n))


def test_negative_dimension_is_numpys_error():
    with pytest.raises(ValueError, match="negative dimensions"):
        negative(-1)


def test_python_meaning_is_numpys():
    assert zeros_now((2, 3)).dtype == np.float64
    assert empty_now(4, np.int64).dtype == np.int64
    np.testing.assert_array_equal(zeros_like_now(np.ones(3)), np.zeros(3))
    assert empty_like_now(np.ones(2, np.int32)).dtype == np.int32


def test_rewrite_renames_calls_in_code_only():
    src = ("    # f:3  d = np.zeros_like(x)\n"
           "    d = np.zeros_like(x) + np.empty((n, 2), np.float64)[0]\n"
           "    e = np.zeros(n); f = np.empty_like(d)  # np.zeros(n)\n"
           "    g = np.ones(n)\n")
    assert direct_calls(src) == (
        "    # f:3  d = np.zeros_like(x)\n"
        "    d = __sourcediff_zeros_like_now__(x) + __sourcediff_empty_now__((n, 2), "
        "np.float64)[0]\n"
        "    e = __sourcediff_zeros_now__(n); f = __sourcediff_empty_like_now__(d)  "
        "# np.zeros(n)\n"
        "    g = np.ones(n)\n")


@numba.njit
def ours_product(a, b):
    return matmul_now(a, b)


@numba.njit
def numbas_product(a, b):
    return a @ b


def _operands():
    """Vectors and matrices in each layout (C, F, strided), sizes with one row or
    column and empty ones, in float64; a matrix-vector, a vector-matrix and a
    matrix-matrix product (with a transpose and a strided operand) in the other
    BLAS dtypes (each case is a compile of its own for both functions)."""
    rng = np.random.default_rng(3)
    m = rng.normal(size=(4, 6))
    a = m
    out = [(a, a[0]), (a.T, a[:, 0]), (a[:, ::2], a[1, ::2]), (a[0], a.T),
           (a[0, ::2], a[:, ::2].T.copy()), (a, a.T), (a.T, a), (a[:, ::2].T, a[:3, :4].T),
           (a[:1], a.T), (a, a.T[:, :1]), (a[:1], a.T[:, :1]), (a[0], a[1]),
           (a[:, ::3][0], a[:, ::3][1]), (a[:, :0], a[:0]), (a[:0], a.T), (a[:, :0], a[0, :0])]
    for b in (m.astype(np.float32), m + 1j * m[::-1]):
        out += [(b.T, b[:, 0]), (b[0], b.T), (b[:, ::2].T, b[:3, :4].T)]
    return out


@pytest.mark.parametrize("k", range(22))
def test_products_are_numbas(k):
    a, b = _operands()[k]
    got, want = ours_product(a, b), numbas_product(a, b)
    assert ours_product.nopython_signatures[-1].return_type == \
        numbas_product.nopython_signatures[-1].return_type
    tol = 1e-5 if a.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    np.testing.assert_allclose(got, a @ b, rtol=tol, atol=tol)


@pytest.mark.parametrize("a, b", [(np.ones((2, 3), np.int64), np.ones(3, np.int64)),
                                  (np.ones((2, 3)), np.ones(3, np.float32))])
def test_products_blas_does_not_have_are_numbas_own_error(a, b):
    # (integer arrays, mixed dtypes: Numba's @ refuses them; ours says what it says)
    with pytest.raises(numba.core.errors.TypingError) as numbas:
        numbas_product(a, b)
    with pytest.raises(numba.core.errors.TypingError) as ours:
        ours_product(a, b)
    want = "arguments must all have the same dtype" if a.dtype != b.dtype else \
        "No implementation of function Function(<built-in function dot>)"
    assert want in str(numbas.value) and want in str(ours.value)


@pytest.mark.parametrize("a, b, what", [
    (np.ones(3), np.ones(4), "vector * vector"), (np.ones((2, 3)), np.ones(4), "matrix * vector"),
    (np.ones(3), np.ones((4, 2)), "vector * matrix"),
    (np.ones((2, 3)), np.ones((4, 2)), "matrix * matrix")])
def test_mismatched_sizes_are_numbas_error(a, b, what):
    message = re.escape(f"incompatible array sizes for np.dot(a, b) ({what})")
    with pytest.raises(ValueError, match=message):
        ours_product(a, b)
    with pytest.raises(ValueError, match=message):
        numbas_product(a, b)


def test_rewrite_finds_every_product_by_its_parse():
    src = ("def f(a, b, c, x, u, v, i):\n"
           "    y = a @ b @ c  # a @ b\n"
           "    z = -x[i] @ (u + v) + np.sum(a.T @ (b @ c))\n"
           "    w = (a\n"
           "         @ b)\n"
           "    return 'a @ b', y, z, w\n")
    assert direct_calls(src) == (
        "def f(a, b, c, x, u, v, i):\n"
        "    y = __sourcediff_matmul_now__(__sourcediff_matmul_now__(a, b), c)  # a @ b\n"
        "    z = __sourcediff_matmul_now__(-x[i], u + v) + np.sum(__sourcediff_matmul_now__("
        "a.T, __sourcediff_matmul_now__(b, c)))\n"
        "    w = (__sourcediff_matmul_now__(a, b))\n"
        "    return 'a @ b', y, z, w\n")


def test_rewrite_adds_products_into_names_in_place():
    src = ("def f(a, b, c, x, z):\n"
           "    x += a @ b  # x += a @ b\n"
           "    x -= a.T @ (b @ c)\n"
           "    x *= a @ b\n"
           "    z[0] += a @ b\n"
           "    x += a @ b + c\n")
    assert direct_calls(src) == (
        "def f(a, b, c, x, z):\n"
        "    x = __sourcediff_add_matmul_now__(x, a, b)  # x += a @ b\n"
        "    x = __sourcediff_sub_matmul_now__(x, a.T, __sourcediff_matmul_now__(b, c))\n"
        "    x *= __sourcediff_matmul_now__(a, b)\n"
        "    z[0] += __sourcediff_matmul_now__(a, b)\n"
        "    x += __sourcediff_matmul_now__(a, b) + c\n")


@numba.njit
def ours_added(out, a, b):
    return add_matmul_now(out, a, b)


@numba.njit
def ours_subtracted(out, a, b):
    return sub_matmul_now(out, a, b)


@numba.njit
def numbas_added(out, a, b):
    out += a @ b
    return out


@numba.njit
def numbas_subtracted(out, a, b):
    out -= a @ b
    return out


def _accumulations():
    """(out, a, b): BLAS adds into C and F matrices and into vectors (the matrices
    of few columns by a product made and added); a product of one row, one that
    broadcasts into ``out``, an empty one, a strided ``out`` and operand, float32,
    complex, a number."""
    rng = np.random.default_rng(5)
    a, m = rng.normal(size=(4, 6)), rng.normal(size=(6, 5))
    sq, wide = rng.normal(size=(4, 4)), rng.normal(size=(6, 20))
    return [
        (rng.normal(size=(4, 5)), a, m), (rng.normal(size=(5, 4)).T, a, m),
        (rng.normal(size=(4, 5)), np.asfortranarray(a), m.T.copy().T),
        (rng.normal(size=(4, 5)), a[:, ::2], m[::2]), (rng.normal(size=4), a, m[:, 0]),
        (rng.normal(size=5), a[0], np.asfortranarray(m)), (rng.normal(size=(1, 5)), a[:1], m),
        (rng.normal(size=(4, 5)), a[:1], m), (rng.normal(size=(4, 5)), a[:, :0], m[:0]),
        (sq[:, 1], sq.T, sq[:, 1].copy()),
        # (16 columns or more: BLAS adds into C outputs with untransposed operands too)
        (rng.normal(size=(3, 20)), a[:3], wide), (rng.normal(size=(3, 20)).T, wide.T, a[:3].T),
        (rng.normal(size=(4, 5)).astype(np.float32), a.astype(np.float32), m.astype(np.float32)),
        (rng.normal(size=4) + 1j, a + 2j, m[:, 1] - 1j), (1.5, a[0], m[:, 0]),
    ]


@pytest.mark.parametrize("k", range(15))
@pytest.mark.parametrize("sign", [1, -1])
def test_products_added_in_place_are_numbas(k, sign):
    out, a, b = _accumulations()[k]
    ours, numbas = (ours_added, numbas_added) if sign == 1 else \
        (ours_subtracted, numbas_subtracted)
    want = out + sign * (a @ b)
    if isinstance(out, np.ndarray):
        mine, theirs = out.copy(order="A"), out.copy(order="A")
        got, expect = ours(mine, a, b), numbas(theirs, a, b)
        assert got is mine                       # the array itself, added into
    else:
        got, expect = ours(out, a, b), numbas(out, a, b)
    assert ours.nopython_signatures[-1].return_type == numbas.nopython_signatures[-1].return_type
    tol = 1e-5 if np.asarray(want).dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, expect, rtol=tol, atol=tol)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_an_out_that_is_an_operand_is_added_as_written():
    rng = np.random.default_rng(6)
    sq, b = rng.normal(size=(64, 64)), rng.normal(size=(64, 64))   # (big enough that BLAS
    # would read rows it has already added into)
    for call in (lambda f, s: f(s, s, b), lambda f, s: f(s, b, s.T),
                 lambda f, s: f(s[1], s, s[1]), lambda f, s: f(s[1:3], s[:2], s)):
        for ours, numbas, sign in ((ours_added, numbas_added, 1),
                                   (ours_subtracted, numbas_subtracted, -1)):
            mine, theirs, plain = sq.copy(), sq.copy(), sq.copy()
            call(ours, mine)
            call(numbas, theirs)
            call(lambda o, x, y, sign=sign: o.__iadd__(sign * (x @ y)), plain)
            np.testing.assert_allclose(mine, theirs, rtol=1e-13)
            np.testing.assert_allclose(mine, plain, rtol=1e-13)


def test_added_products_of_mismatched_sizes_are_numbas_error():
    with pytest.raises(ValueError, match=re.escape("(matrix * matrix)")):
        ours_added(np.ones((4, 5)), np.ones((4, 6)), np.ones((4, 5)))
    with pytest.raises(ValueError, match=re.escape("(matrix * vector)")):
        ours_subtracted(np.ones(4), np.ones((4, 6)), np.ones(5))


def layer(W, x, v):
    h = np.zeros(W.shape[0])
    for t in range(3):
        h = np.tanh(W @ x + v * h)
    return np.dot(h, h)


def test_the_cpu_target_compiles_the_direct_calls_and_agrees_with_python():
    import sourcediff as sd
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(5, 4)), rng.normal(size=4), rng.normal(size=5))
    cpu = sd.value_and_grad(layer, wrt=(0, 1, 2), target="cpu")
    value, grads = cpu(*args)
    compiled = Path(cpu._last.names["grad"].py_func.__code__.co_filename).read_text()
    assert "__sourcediff_matmul_now__(" in compiled and "__sourcediff_zeros_now__(" in compiled
    assert "dx = __sourcediff_add_matmul_now__(dx, W.T, " in compiled     # dx += W.T @ ...
    assert "@" in cpu.source_for(*args) and "__sourcediff" not in cpu.source_for(*args)
    want_value, want = sd.value_and_grad(layer, wrt=(0, 1, 2), target="python")(*args)
    np.testing.assert_allclose(value, want_value, rtol=1e-13)
    for g, w in zip(grads, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)


@numba.njit
def ours_filled(a, value):
    fill_now(a, value)


@numba.njit
def numbas_filled(a, value):
    a[:] = value


def _fillable():
    """Each layout and dtype a buffer reset meets, and views Numba's own slice
    assignment handles (strided, a column, a transpose, 3-d): (a fresh base array,
    the part of it set, the number)."""
    def m():
        return np.arange(24.0).reshape(4, 6)
    whole = lambda b: b
    return [
        (lambda: np.arange(5.0), whole, 0.0), (m, whole, -1.5),
        (lambda: np.asfortranarray(m()), whole, 2.0), (lambda: np.arange(5), whole, 3.7),
        (lambda: np.arange(6, dtype=np.int32), whole, -2),
        (lambda: np.ones(3, np.float32), whole, 0.25),
        (lambda: np.ones(4, np.complex128), whole, 1.5),
        (lambda: np.ones(3, np.bool_), whole, 0), (lambda: np.zeros((0, 3)), whole, 1.0),
        (m, lambda b: b[:, ::2], 7.0), (m, lambda b: b[:, 1], 0.0), (m, lambda b: b.T, 4),
        (lambda: np.arange(24.0).reshape(2, 3, 4), lambda b: b[:, 1:], 0.5),
    ]


@pytest.mark.parametrize("k", range(13))
def test_buffer_resets_are_numbas_slice_assignment(k):
    make, part, value = _fillable()[k]
    got, want = make(), make()
    ours_filled(part(got), value)
    numbas_filled(part(want), value)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    assert not np.array_equal(got, make()) or value == 0 or got.size == 0


def test_rewrite_resets_whole_lines_only():
    src = ("    dK[:] = 0.0\n"
           "    _dt3[:] = -1.5  # f:4  x = y\n"
           "    d[:] = e\n"
           "    d[:n] = 0.0\n"
           "    d[:] = 0.0 * x\n"
           "    # d[:] = 0.0\n")
    assert direct_calls(src) == (
        "    __sourcediff_fill_now__(dK, 0.0)\n"
        "    __sourcediff_fill_now__(_dt3, -1.5)  # f:4  x = y\n"
        "    d[:] = e\n"
        "    d[:n] = 0.0\n"
        "    d[:] = 0.0 * x\n"
        "    # d[:] = 0.0\n")


@numba.njit
def reset_scalar_array(value):
    a = np.ones(())
    fill_now(a, value)
    return a


def test_a_reset_of_a_0d_array_is_numpys_index_error():
    # (the python target runs NumPy's ``a[:] = x``; the compiled file raises the same)
    with pytest.raises(IndexError, match="array is 0-dimensional"):
        np.ones(())[:] = 0.0
    with pytest.raises(IndexError, match="array is 0-dimensional"):
        reset_scalar_array(0.0)
