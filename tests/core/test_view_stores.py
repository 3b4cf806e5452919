"""Stores of an array into a view (``H[s] = u``, ``F[1:-1] = out``, a tape's push of
a row) are printed ``copy_into(view, value)`` (passes/view_stores.py): Numba's
slice assignment from an array compiles its error message's string formatting,
2.5 s the first time in a process. ``copy_into`` is checked against NumPy's
stores (broadcasting, overlapping memory, non-contiguous views, errors),
compiled and in Python; the gradients of programs that store rows and shifted
slices against central finite differences (float64)."""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.runtime.helpers import copy_into

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad


def stores(u, r, col, M, T, w):
    """Each kind of store the helper handles, in one function (one compilation)."""
    H = np.zeros((3, u.shape[0]))
    copy_into(H[1], u)                     # a row
    A = np.zeros((2, r.shape[0]))
    copy_into(A, r)                        # a vector broadcast over rows
    copy_into(A[:, 0:1], col)              # a column of length-1 rows
    copy_into(A[:, 1], col[:, 0])          # a non-contiguous view
    v = u.copy()
    copy_into(v[1:], v[:-1])               # overlapping, shifted right
    x = u.copy()
    copy_into(x[:-1], x[1:])               # overlapping, shifted left
    B = M.copy()
    copy_into(B[:, 1:], B[:, :-1])         # overlapping columns
    S = T.copy()
    copy_into(S[0], M)                     # a matrix into a 3-d array's block
    copy_into(S[1:], M[0])                 # a row broadcast over two blocks
    y = np.zeros(u.shape[0])
    copy_into(y, w)                        # one element broadcast
    copy_into(y[0:2], np.arange(2))        # integers into floats
    return H, A, v, x, B, S, y


def stores_numpy(u, r, col, M, T, w):
    H = np.zeros((3, u.shape[0]))
    H[1] = u
    A = np.zeros((2, r.shape[0]))
    A[...] = r
    A[:, 0:1] = col
    A[:, 1] = col[:, 0]
    v = u.copy()
    v[1:] = v[:-1]
    x = u.copy()
    x[:-1] = x[1:]
    B = M.copy()
    B[:, 1:] = B[:, :-1]
    S = T.copy()
    S[0] = M
    S[1:] = M[0]
    y = np.zeros(u.shape[0])
    y[...] = w
    y[0:2] = np.arange(2)
    return H, A, v, x, B, S, y


def _store_args():
    rng = np.random.default_rng(4)
    return (rng.standard_normal(5), rng.standard_normal(4), rng.standard_normal((2, 1)),
            rng.standard_normal((3, 4)), rng.standard_normal((3, 3, 4)), np.array([2.5]))


def test_copy_into_python_is_numpy_store():
    for got, want in zip(stores(*_store_args()), stores_numpy(*_store_args())):
        np.testing.assert_array_equal(got, want)


def test_copy_into_compiled_is_numpy_store():
    numba = pytest.importorskip("numba")
    from sourcediff.runtime.declare import install_numba_overloads
    install_numba_overloads()
    compiled = numba.njit(stores)
    for got, want in zip(compiled(*_store_args()), stores_numpy(*_store_args())):
        np.testing.assert_array_equal(got, want)
    u, r, col, M, T, _ = _store_args()
    with pytest.raises(ValueError, match="does not broadcast"):
        compiled(u, r, col, M, T, np.ones(2))       # 2 elements into 5


def row_history(u0, w, steps):
    """Rows stored into a history and added into the rows of another, a shift of
    the state into itself and a store through an index array (not a view: left
    as NumPy's store)."""
    n = u0.shape[0]
    u = u0.copy()
    H = np.zeros((steps, n))
    acc = np.zeros((2, n))
    order = np.arange(n)[::-1]
    for s in range(steps):
        v = np.tanh(u * w)
        H[s] = v
        acc[s % 2] += v
        u[1:] = v[:-1]
        u[0] = v[n - 1]
    z = np.zeros(n)
    z[order] = u
    return np.sum(H * H) + np.sum(z * np.arange(n)) + np.sum(acc * acc)


ROW_ARGS = (np.array([0.3, -0.4, 0.8, 0.1]), 0.9, 4)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_row_history_gradient(target):
    check_grad(row_history, ROW_ARGS, wrt=(0, 1), target=target)


def test_row_history_stores_print_as_copy_into():
    text = sd.value_and_grad(row_history, wrt=(0, 1), target="python").source_for(*ROW_ARGS)
    code = [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]
    assert "copy_into(H[s], v)" in code
    assert any(line.startswith("add_into(acc[") and line.endswith("], v)") for line in code)
    # the shift reads a view of the array it writes: copy_into copies it first
    assert any(line.startswith("copy_into(u[1:], ") for line in code)
    # a store through an index array stays a store, and so do numbers into slices
    assert "z[order] = u" in code
    assert not any(line.startswith(("H[s] = ", "u[1:] = ", "acc[")) for line in code)
