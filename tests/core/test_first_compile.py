"""What generated code is made of so that Numba compiles it quickly: small
matrices inside a loop (a Kalman filter step) differentiate into code without
slice assignments from arrays or ``np.sum`` with ``axis`` (their error paths
format strings, over a second to compile), without transposed layouts in
matrix products and with one spelling of a product (``@``), each a compilation
of its own. The helpers it uses are checked against NumPy, the gradients
against central finite differences (float64)."""
import ast
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.runtime.helpers import (
    add_into,
    empty_grid,
    mean_axis,
    store_row,
    sum_axis,
    transposed,
    unbroadcast,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad, numeric_grad


def filter_step(q, r, y, P0):
    """Two predict/update steps of a 2-state filter, with a nested-list literal,
    ``@``, ``.T``, ``np.dot``, ``np.outer`` and row and column slices."""
    F = np.array([[1.0, 0.1], [0.0, 1.0]])
    Q = q * np.array([[0.2, 0.1], [0.1, 0.3]])
    x = np.array([y[0], 0.0])
    P = P0.copy()
    nll = 0.0
    for t in range(y.shape[0]):
        x = F @ x
        P = F @ P @ F.T + Q
        S = P[0, 0] + r
        v = y[t] - x[0]
        K = P[:, 0] / S
        x = x + K * v
        P = P - np.outer(K, P[0, :])
        nll += np.log(S) + v * v / S + np.dot(x, np.dot(P, x))
    return nll


ARGS = (0.3, 0.2, np.array([0.5, -0.2, 0.9]), np.array([[1.0, 0.2], [0.2, 0.8]]))


def test_filter_step_gradient_python():
    check_grad(filter_step, ARGS, wrt=(0, 1, 2, 3), target="python")


def test_filter_step_gradient_cpu():
    pytest.importorskip("numba")
    check_grad(filter_step, ARGS, wrt=(0, 1, 3), target="cpu")


def test_filter_step_adjoint_source():
    text = sd.grad(filter_step, wrt=(0, 3), target="python").source_for(*ARGS)
    code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("#"))
    adjoint = code.split("def filter_step_grad(", 1)[1]
    # the literal F is numbers (passes/small_arrays.py), and so is the state P,
    # a copy of the parameter P0: the transform specializes on P0's 2x2 shape
    assert "_a1_01 = 0.1" in code and "P0_01 = P0[0, 1]" in adjoint
    for array_code in ("@", "np.dot(", "np.outer", "add_into(", "transposed(", "axis",
                       "empty_grid", ".append("):
        assert array_code not in adjoint, array_code


def matrix_products(A, B, v):
    return np.sum((A @ B.T) ** 2) + np.sum(np.dot(A, v) ** 2) + np.sum(np.matmul(v, B.T) * 0.5)


def test_matrix_products_hessian_through_transposed():
    """Grad of grad: the adjoint's ``transposed`` has a rule of its own."""
    rng = np.random.default_rng(3)
    A, B, v = rng.standard_normal((3, 2)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    check_grad(matrix_products, (A, B, v), wrt=(0, 1, 2), target="python")
    grad_a = sd.grad(matrix_products, wrt=0, target="python")
    hess = sd.hessian(matrix_products, wrt=0, target="python")(A, B, v)
    expected = np.stack([numeric_grad(lambda a, b, w, k=k: grad_a(a, b, w).ravel()[k],
                                      (A, B, v), wrt=0) for k in range(A.size)])
    np.testing.assert_allclose(hess.reshape(A.size, A.size), expected.reshape(A.size, -1),
                               rtol=1e-6, atol=1e-8)


def normal_step(A, b, x):
    """Least squares: matrix-vector products of ``A`` and of ``A.T``, and a
    vector-matrix product ``b @ A``."""
    r = A @ x - b
    g = A.T @ r
    return np.sum((x - 0.1 * g) ** 2) + np.dot(np.dot(b, A), x)


def test_vector_matrix_adjoints_are_matrix_vector_products():
    """The adjoint of ``A @ x`` for ``x`` is ``A.T @ dz``, the layout the
    primal's ``A.T @ r`` has compiled already; ``dz @ A`` would be a
    vector-matrix product, compiled again for each layout."""
    rng = np.random.default_rng(5)
    args = (rng.standard_normal((5, 3)), rng.standard_normal(5), rng.standard_normal(3))
    check_grad(normal_step, args, wrt=(0, 1, 2), target="cpu")
    text = sd.grad(normal_step, wrt=(0, 1, 2), target="python").source_for(*args)
    adjoint = ast.parse(text[text.index("def normal_step_grad("):])
    products = [n for n in ast.walk(adjoint)
                if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult)]
    of_adjoints = [p for p in products
                   if isinstance(p.right, ast.Name) and p.right.id.startswith(("d", "_d"))]
    assert len(of_adjoints) == 3, ast.unparse(adjoint)
    for p in products:
        assert not (isinstance(p.left, ast.Name) and p.left.id.startswith(("d", "_d"))), \
            ast.unparse(p)


def ridge_steps(A, b, x, lam):
    """Gradient steps written with a vector-matrix product ``r @ A``."""
    for _ in range(3):
        r = A @ x - b
        x = x - 0.1 * (r @ A + lam * x)
    return np.sum(x * x)


def test_adjoint_products_take_the_primals_combination():
    """Where the primal writes ``r @ A`` and never ``A.T @ r``, the adjoint of
    ``A @ x`` for ``x`` is ``dz @ A`` (passes/products.py): no product of a
    transposed layout the primal does not compile itself."""
    rng = np.random.default_rng(6)
    args = (rng.standard_normal((5, 3)), rng.standard_normal(5), rng.standard_normal(3), 0.2)
    check_grad(ridge_steps, args, wrt=(0, 1, 2, 3), target="cpu")
    text = sd.grad(ridge_steps, wrt=(0, 1, 2), target="python").source_for(*args)
    adjoint = ast.parse(text[text.index("def ridge_steps_grad("):])
    products = [ast.unparse(n) for n in ast.walk(adjoint)
                if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult)]
    assert not any(".T @" in p for p in products), products
    assert any(p.endswith(" @ A") and p.startswith(("_d", "d")) for p in products), products


UNBROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 4), (1, 4)), ((3, 4), (3, 1)),
               ((3, 4), (1, 1)), ((3, 4), (1,)), ((4,), (1,)), ((4,), (4,)), ((0, 3), (3,)),
               ((2, 3, 4), (3, 1)), ((2, 3, 4), (2, 1, 4)), ((2, 3, 4), (1,))]


def test_helpers_compiled_match_numpy():
    """One compiled function calls every helper (one Numba compilation per
    argument type), against the plain NumPy versions."""
    numba = pytest.importorskip("numba")
    from sourcediff.runtime.declare import install_numba_overloads
    install_numba_overloads()

    @numba.njit
    def helpers(g, x, m):
        d = np.zeros((2, 3))
        add_into(d[1, :], np.ones(3))
        add_into(d[:, 0], np.full(2, 2.0))
        rows = np.zeros((3, 2, 3))
        store_row(rows, 2, m)
        store_row(rows[1], 0, m[1, ::-1] * 2.0)
        return unbroadcast(g, x), transposed(m), d, empty_grid(2, 3, 1.0).shape, rows

    rng = np.random.default_rng(0)
    m = rng.standard_normal((2, 3))
    for gs, xs in UNBROADCAST:
        g, x = rng.standard_normal(gs), np.zeros(xs)
        got, mt, d, shape, rows = helpers(g, x, m)
        want = unbroadcast(g, x)
        # g itself where nothing is summed, as the Python version
        assert got.shape == want.shape
        assert np.shares_memory(got, g) == np.shares_memory(want, g)
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(mt, m.T)
    assert mt.flags.c_contiguous and shape == (2, 3)
    np.testing.assert_array_equal(d, [[2.0, 0.0, 0.0], [3.0, 1.0, 1.0]])
    want_rows = np.zeros((3, 2, 3))
    want_rows[2] = m
    want_rows[1, 0] = m[1, ::-1] * 2.0
    np.testing.assert_array_equal(rows, want_rows)
    f32 = helpers(np.ones((2, 3), np.float32), np.zeros(3, np.float32), m)[0]
    assert f32.dtype == np.float32


def test_helpers_python():
    d = np.zeros((2, 2))
    add_into(d[0, :], np.array([1.0, 2.0]))
    np.testing.assert_array_equal(d, [[1.0, 2.0], [0.0, 0.0]])
    assert empty_grid(2, 3, np.zeros(4)).shape == (2, 3, 4)
    np.testing.assert_array_equal(transposed(np.arange(6.0).reshape(2, 3)),
                                  np.arange(6.0).reshape(2, 3).T)


def recurrent_loss(W, xs):
    """A state vector made anew each step from a matrix-vector product (a library
    call, not lowered to element loops), the last step's kept under another
    name (so not updated in place): its tape is a stack of rows."""
    h = np.zeros(W.shape[0])
    loss = 0.0
    for t in range(xs.shape[0]):
        prev = h
        h = np.tanh(W @ h + xs[t])
        loss += np.sum(h * prev)
    return loss


def test_rows_are_pushed_by_element_loops():
    """A tape's push of an array is the ``store_row`` helper (loops, no overlap
    check: a tape never shares memory with a value), not a slice assignment, whose
    error formatting Numba compiles in about 2.5 s the first time in a process."""
    rng = np.random.default_rng(1)
    args = (0.4 * rng.standard_normal((3, 3)), rng.standard_normal((5, 3)))
    text = sd.grad(recurrent_loss, target="python").source_for(*args)
    assert "store_row(_saved_h, _saved_h_top, h)" in text
    assert "_saved_h[_saved_h_top] = " not in text
    check_grad(recurrent_loss, args, target="python")
    pytest.importorskip("numba")
    check_grad(recurrent_loss, args, target="cpu")


def test_store_row_refuses_a_changed_shape():
    numba = pytest.importorskip("numba")
    from sourcediff.runtime.declare import install_numba_overloads
    install_numba_overloads()
    push = numba.njit(lambda rows, v: store_row(rows, 0, v))
    with pytest.raises(ValueError, match="shape changed"):
        push(np.zeros((2, 3)), np.ones(4))
    with pytest.raises(ValueError):
        store_row(np.zeros((2, 3)), 0, np.ones(4))


def row_sums(W, X):
    Z = X @ W
    m = np.max(Z, axis=1)
    lse = m + np.log(np.sum(np.exp(Z - m.reshape(-1, 1)), axis=1))
    return np.sum(lse) + np.sum(np.mean(Z * Z, axis=0))


def test_sums_along_an_axis_are_loops():
    """``np.sum(x, axis)`` is the ``sum_axis`` helper on every target (Numba's own
    compiles its axis check's error message, about 2 s the first time); compiled, it
    and ``mean_axis`` match NumPy on each axis of 2-d and 3-d arrays, strided too."""
    rng = np.random.default_rng(4)
    args = (rng.standard_normal((3, 4)), rng.standard_normal((5, 3)))
    text = sd.grad(row_sums, target="python").source_for(*args)
    assert "sum_axis(" in text and "np.sum(_t" in text      # (a full sum stays np.sum)
    check_grad(row_sums, args, target="python")
    numba = pytest.importorskip("numba")
    check_grad(row_sums, args, target="cpu")
    from sourcediff.runtime.declare import install_numba_overloads
    install_numba_overloads()
    along = numba.njit(lambda x, a: (sum_axis(x, a), mean_axis(x, a)))
    for x in (rng.standard_normal((3, 4)), rng.standard_normal((2, 3, 4)),
              rng.standard_normal((4, 6))[:, ::2], rng.standard_normal((3, 4)).astype(np.float32)):
        for a in range(-x.ndim, x.ndim):
            got_sum, got_mean = along(x, a)
            np.testing.assert_allclose(got_sum, np.sum(x, a), rtol=1e-6 if x.dtype == np.float32
                                       else 1e-13)
            np.testing.assert_allclose(got_mean, np.mean(x, a), rtol=1e-6 if x.dtype == np.float32
                                       else 1e-13)
            assert got_sum.shape == np.sum(x, a).shape and got_sum.dtype == x.dtype
    ints = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(along(ints, 1)[0], np.sum(ints, 1))


def clipped_growth(x, w):
    g = np.where(x > 0.5, w * x, -0.1 * x * x)
    return np.sum(np.where(g > 0.0, g, 0.2) ** 2) + np.sum(np.where(x < 0.0, 1.0, x) * w)


def test_where_of_arrays_is_select():
    """``np.where`` of arrays is the ``select`` helper in the primal and in the
    adjoint (loops on Numba targets); compiled, it matches ``np.where`` on 1-d and
    2-d arrays, numbers, lengths of 1 broadcast, and raises where NumPy does."""
    rng = np.random.default_rng(5)
    args = (rng.standard_normal(7), rng.standard_normal(7))
    text = sd.grad(clipped_growth, wrt=(0, 1), target="python").source_for(*args)
    code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("#"))
    assert "np.where(" not in code and "select(" in code
    check_grad(clipped_growth, args, wrt=(0, 1), target="python")
    numba = pytest.importorskip("numba")
    check_grad(clipped_growth, args, wrt=(0, 1), target="cpu")
    from sourcediff.runtime.array_helpers import select
    from sourcediff.runtime.declare import install_numba_overloads
    install_numba_overloads()
    compiled = numba.njit(lambda c, x, y: select(c, x, y))
    c1, c2 = rng.random(5) > 0.5, rng.random((3, 4)) > 0.5
    cases = [(c1, rng.standard_normal(5), rng.standard_normal(5)), (c1, 2.0, rng.standard_normal(5)),
             (c1, rng.standard_normal(5), 0), (c1, np.ones(1), rng.standard_normal(5)),
             (c1[:1], rng.standard_normal(5), -1.0), (c2, rng.standard_normal((3, 4)), 0.0),
             (c2, rng.standard_normal((1, 4)), rng.standard_normal((3, 1))),
             (c2, rng.standard_normal(4), 1.0), (c1, 1.0, 0.0), (c1, 1, 0)]
    for c, x, y in cases:
        got, want = compiled(c, x, y), np.where(c, x, y)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError):
        compiled(c1, np.ones(4), 0.0)


def rows_updated(X, v):
    Y = X.copy()
    Y[0] += v * 2.0
    Y[1, :] -= v
    Y[2] += 1.0
    return np.sum(Y * Y) + np.sum(X[0] * v)


def test_row_updates_are_printed_as_helpers():
    """The user's ``Y[0] += row`` / ``-=`` is ``add_into`` / ``sub_into`` (an update of
    the view, no slice assignment for Numba to compile); a number added stays ``+=``."""
    rng = np.random.default_rng(2)
    args = (rng.standard_normal((3, 4)), rng.standard_normal(4))
    text = sd.grad(rows_updated, wrt=(0, 1), target="python").source_for(*args)
    primal = text.split("def rows_updated_grad(", 1)[0]
    assert "add_into(Y[0], " in primal and "sub_into(Y[1, :], v)" in primal
    assert "Y[2] += 1.0" in primal
    check_grad(rows_updated, args, wrt=(0, 1), target="python")
    pytest.importorskip("numba")
    check_grad(rows_updated, args, wrt=(0, 1), target="cpu")
    hvp = sd.hvp(rows_updated, wrt=0, target="python")
    direction = rng.standard_normal((3, 4))
    want = numeric_grad(lambda x: np.sum(sd.grad(rows_updated, wrt=0, target="python")(
        x, args[1]) * direction), (args[0],), wrt=0)
    np.testing.assert_allclose(hvp(*args, direction), want, rtol=1e-6, atol=1e-8)


def differences_of_knots(xk, y):
    h = np.diff(xk)
    return np.sum(np.diff(y, n=2) ** 2 / h[1:]) + np.sum(np.diff(np.outer(y, h), 1) ** 2)


def test_diff_is_printed_as_loops():
    """``np.diff`` of float arrays is the ``differences`` helper (Numba's own
    compiles a slice assignment with its error message, 4 s the first time);
    the gradients still match finite differences."""
    args = (np.array([0.0, 0.4, 1.1, 1.5, 2.4]), np.array([0.3, -0.2, 0.9, 0.4, 1.2]))
    text = sd.grad(differences_of_knots, wrt=(0, 1), target="python").source_for(*args)
    code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("#"))
    assert "np.diff(" not in code
    assert "differences(xk, 1)" in code and "differences(y, 2)" in code
    check_grad(differences_of_knots, args, wrt=(0, 1), target="python")


COPIES = [  # (view of x, value: a slice of x or a new array), as x[view] = value
    (slice(1, None), slice(None, -1)),              # overlapping, shifted up
    (slice(None, -1), slice(1, None)),              # overlapping, shifted down
    (slice(None, None, -1), slice(None)),           # reversed onto itself
    (slice(2, 6), slice(5, 1, -1)),                 # reversed, overlapping
    (slice(1, 4), np.array([7.0])),                 # broadcast from length 1
    (slice(None, 3), np.arange(3.0) * 2.0),
]


@pytest.mark.parametrize("view, value", COPIES)
def test_copy_into_is_numpys_slice_assignment(view, value):
    """``copy_into(view, g)`` (the user's ``c[:m] = t[:m]`` in generated code):
    loops that copy as NumPy does when the value overlaps the view."""
    numba = pytest.importorskip("numba")
    from sourcediff.runtime.declare import install_numba_overloads
    from sourcediff.runtime.helpers import copy_into
    install_numba_overloads()

    @numba.njit
    def from_itself(x, v, w):
        copy_into(x[v], x[w])

    @numba.njit
    def from_new(x, v, g):
        copy_into(x[v], g)

    own = isinstance(value, slice)
    want = np.arange(8.0)
    want[view] = want[value] if own else value
    got = np.arange(8.0)
    (from_itself if own else from_new)(got, view, value)
    np.testing.assert_array_equal(got, want)
    py = np.arange(8.0)
    copy_into(py[view], py[value] if own else value)
    np.testing.assert_array_equal(py, want)


@pytest.mark.parametrize("view, value", [
    ((slice(1, None), slice(None)), (slice(None, -1), slice(None))),     # rows shifted
    ((slice(None), slice(None, -1)), (slice(None), slice(1, None))),     # columns shifted
    ((slice(1, 3), slice(0, 2)), (slice(0, 2), slice(1, 3))),            # a block onto its neighbour
])
def test_copy_into_blocks_that_overlap(view, value):
    numba = pytest.importorskip("numba")
    from sourcediff.runtime.declare import install_numba_overloads
    from sourcediff.runtime.helpers import copy_into
    install_numba_overloads()

    @numba.njit
    def compiled(a, v0, v1, w0, w1):
        copy_into(a[v0, v1], a[w0, w1])

    want = np.arange(12.0).reshape(3, 4)
    want[view] = want[value].copy()
    got = np.arange(12.0).reshape(3, 4)
    compiled(got, *view, *value)
    np.testing.assert_array_equal(got, want)


def test_copy_into_broadcasts_a_row_and_refuses_a_wrong_shape():
    numba = pytest.importorskip("numba")
    from sourcediff.runtime.declare import install_numba_overloads
    from sourcediff.runtime.helpers import copy_into
    install_numba_overloads()

    @numba.njit
    def compiled(a, g):
        copy_into(a[1:, :], g)

    a = np.zeros((3, 2))
    compiled(a, np.array([[1.0, 2.0]]))
    np.testing.assert_array_equal(a, [[0.0, 0.0], [1.0, 2.0], [1.0, 2.0]])
    with pytest.raises(ValueError):
        compiled(a, np.ones((3, 2)))


def huber_rows(U, V, users, items, r):
    """Rows gathered by index arrays and a Huber loss through boolean masks."""
    e = np.sum(U[users] * V[items], axis=1) - r
    small = e[np.abs(e) <= 1.0]
    large = e[np.abs(e) > 1.0]
    return 0.5 * np.sum(small * small) + np.sum(np.abs(large) - 0.5)


def test_gathered_rows_and_masks_add_without_slice_stores():
    """``dU[users[k]] += g[k]`` is a loop over the row's elements and the adjoint
    of ``e[mask]`` a loop: neither compiles a store's error path."""
    rng = np.random.default_rng(3)
    users, items = rng.integers(0, 4, 12), rng.integers(0, 3, 12)
    args = (rng.standard_normal((4, 2)), rng.standard_normal((3, 2)), users, items,
            2.0 * rng.standard_normal(12))
    text = sd.grad(huber_rows, wrt=(0, 1, 4), target="python").source_for(*args)
    reverse = text.split("# -- reverse sweep", 1)[1]
    assert re.search(r"dU\[users\[_k\d+\], _j\d+\] \+= _dt\d+\[_k\d+, _j\d+\]", reverse)
    assert re.search(r"dV\[items\[_k\d+\], _j\d+\] \+= ", reverse)
    assert "de[" in reverse and "] += dsmall[" in reverse and "] += dlarge[" in reverse
    assert "] += dsmall\n" not in reverse and "] += dlarge\n" not in reverse  # de[mask] += ...
    check_grad(huber_rows, args, wrt=(0, 1, 4), target="python")
    check_grad(huber_rows, args, wrt=(0, 1, 4), target="cpu")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sums_along_an_axis_of_a_matrix(dtype):
    """``sum_axis`` / ``mean_axis`` of a matrix (its own two loops) against NumPy,
    each axis, counted from either end, and a transposed (strided) matrix."""
    numba = pytest.importorskip("numba")
    from sourcediff.runtime.declare import install_numba_overloads
    install_numba_overloads()

    @numba.njit
    def sums(x):
        return sum_axis(x, 0), sum_axis(x, 1), sum_axis(x, -1), mean_axis(x, -2)

    x = np.random.default_rng(5).standard_normal((4, 7)).astype(dtype)
    for a in (x, x.T):
        got = sums(a)
        want = (a.sum(0), a.sum(1), a.sum(-1), a.mean(-2))
        for g, w in zip(got, want):
            assert g.dtype == dtype
            np.testing.assert_allclose(g, w, rtol=1e-5 if dtype == np.float32 else 1e-13)
