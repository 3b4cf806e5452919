"""An array stored into itself.  ``z[::-1] = z``, ``z[:] = z``, ``z[idx] = z``:
NumPy reads the whole right side before writing, and the adjoint must too (the
gradient came out halved or zero: the zeroing of the stored part took the
value's adjoint with it).  ``z[1] = z[:, 2]``, a row and a column sharing an
element, NumPy copies element by element: refused with the remedy (a wrong
gradient before)."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad
from tests.forward.jvpcheck import check_jvp


def reversed_into_itself(x):
    z = x.copy()
    z[::-1] = z
    return np.sum(z * x)


def into_itself(x):
    z = x.copy()
    z[:] = z
    return np.sum(z * x)


def gathered_into_itself(x):
    z = x.copy()
    i = np.array([3, 2, 1, 0])
    z[i] = z
    return np.sum(z * x)


def rows_of_itself(X, c):
    Z = X * c
    Z[1:, :] = Z[:-1, :]
    Z[:, ::-1] = Z
    return np.sum(Z * X)


X4 = np.array([0.3, -1.2, 0.7, 1.5])
CASES = [(reversed_into_itself, (X4,), 0), (into_itself, (X4,), 0),
         (gathered_into_itself, (X4,), 0),
         (rows_of_itself, (np.arange(1.0, 7.0).reshape(3, 2) * 0.4, 1.3), (0, 1))]


@pytest.mark.parametrize("f,args,wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_and_tangent(f, args, wrt):
    check_grad(f, args, wrt, "python")
    check_jvp(f, args, wrt, "python")


def test_compiled():
    check_grad(reversed_into_itself, (X4,), 0, "cpu")


def row_from_column(x):
    z = x.copy()
    z[1] = z[:, 2]
    return np.sum(z * x)


def column_from_row(x):
    z = x.copy()
    z[:, 0] = z[2, :]
    return np.sum(z * x)


@pytest.mark.parametrize("f,copy", [(row_from_column, r"z\[:, 2\]\.copy\(\)"),
                                    (column_from_row, r"z\[2, :\]\.copy\(\)")])
def test_a_row_stored_from_a_column_is_refused(f, copy):
    with pytest.raises(sd.TransformError, match="copied into itself .* another axis.*" + copy):
        sd.grad(f, target="python")(np.arange(9.0).reshape(3, 3))
