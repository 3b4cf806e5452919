"""``np.array([0.0] * n)``: an array started from a repeated list of numbers, a common
way to write ``np.zeros(n)``, is the array NumPy makes (``np.full``, or ``np.tile`` of
a list of several numbers); a repeated list of names or expressions, whose array may
have another shape, stays a located error naming the ways to write it."""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forward"))
from fdcheck import check_grad
from jvpcheck import check_jvp


def running(x, n):                     # a state started as [0.0] * n, filled in a loop
    a = np.array([0.0] * n)
    for i in range(n):
        a[i] = x[i] ** 2 + a[i - 1] * 0.5
    return np.sum(a * a)


def signs(x):                          # k * [a, b]: the list repeated, then tiled
    b = np.array(2 * [1.0, -3.0]) * x[:4]
    return np.sum(b ** 2) + b[3] * x[4]


def grid(x, n):                        # [[0.0] * 3] * n: an n x 3 array
    m = np.array([[0.0] * 3] * n)
    for i in range(n):
        m[i, :] = x[i] * x[:3]
    return np.sum(m ** 2) + np.sum(m[:, 1] * x[:n])


def counts(x, n):                      # ints repeated: an int array, as NumPy makes
    c = np.array([2] * n)
    w = np.array([-0.5] * n, dtype=np.float64)
    return np.sum(x[:n] * c) + np.sum(w * x[:n] ** 3)


def all_of_them(x, n):                 # the forms above in one compiled function
    return running(x, n) + signs(x) + grid(x, n) + counts(x, n)


X = np.linspace(0.3, 1.1, 5)
CASES = [(running, (X, 5)), (signs, (X,)), (grid, (X, 4)), (counts, (X, 3))]


@pytest.mark.parametrize("f,args", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_and_tangent(f, args):
    check_grad(f, args, 0, "python")
    check_jvp(f, args, 0, "python")


def test_compiled():
    # helpers called from the compiled function are the same generated code
    check_grad(all_of_them, (X, 3), 0, "cpu")


def test_the_array_numpy_makes():
    # the value, dtype and shape are NumPy's
    src = sd.value_and_grad(counts, target="python").source_for(X, 3)
    assert "np.full(n, 2)" in src, src
    assert "np.tile(" in sd.value_and_grad(signs, target="python").source_for(X)
    assert sd.value_and_grad(counts, target="python")(X, 3)[0] == pytest.approx(counts(X, 3))


def repeated_rows(x):
    m = np.array([x[:2]] * 3)              # rows of an array: a 3 x 2 array in NumPy
    return np.sum(m ** 2)


def repeated_names(x):
    lst = [x[0], x[1]] * 2
    return lst[0]


@pytest.mark.parametrize("f", [repeated_rows, repeated_names])
def test_repeated_names_are_located_errors(f):
    with pytest.raises(sd.TransformError) as info:
        sd.grad(f, target="python")(X)
    assert "np.full(k, v)" in str(info.value) and "test_repeated_lists.py" in str(info.value)
