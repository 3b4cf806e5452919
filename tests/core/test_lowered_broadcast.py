"""Element loops (passes/lower.py) over operands NumPy broadcasts.

A lowered loop assumed all its rows of one length.  NumPy broadcasts an
operand of length 1 and raises for other mismatches, so the loop gave wrong
values and gradients (or read past the end) where the lengths differ:

* rows of one array cut differently (``u[2:] - u[:-1]``, ``v[0:] = u[1:]``
  with ``v`` as long as ``u``) are sure to differ in length: they are not
  lowered, and the array code broadcasts or raises as NumPy does;
* an array read whole (``X[i] - c``, ``W @ x + b``) whose length is not known
  to be the rows' makes the loop run over the broadcast length
  (``broadcast_length``, NumPy's ValueError where neither length is 1), each
  operand of length 1 read at its first element;
* ``X[True]`` is NumPy's ``X[np.newaxis]``, not ``X[1]``: a TransformError.

Lengths known to be equal are lowered as before, with no run-time check.
"""
import ast
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import cached_grad, check_grad

import sourcediff as sd
from sourcediff.errors import TransformError

TARGETS = ["python", "cpu"]


def row_minus_vector(X, c):
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] - c
        s += np.sum(d * d)
    return s


def shifted_slices(u, n):             # u[2:] is one shorter than u[:-1]
    s = 0.0
    for t in range(n):
        d = u[2:] - u[:-1]
        s += np.sum(d * d)
    return s


def empty_and_one(u, n):              # lengths 1 and 0: an empty result
    s = 0.0
    for t in range(n):
        d = u[1:] - u[2:]
        s += np.sum(d * d)
    return s


def store_of_a_shorter_row(u0, dt, n):     # v[0:] is one longer than u[1:]
    u = u0.copy()
    v = np.zeros_like(u0)
    for t in range(n):
        v[0:] = u[1:] + dt * u[:-1]
        u, v = v, u
    return np.sum(u * u)


def matvec_plus_bias(X, W, b):
    s = 0.0
    for i in range(X.shape[0]):
        h = W @ X[i]
        e = np.tanh(h + b)
        s += np.sum(e * h)
    return s


def mean_of_row_minus_vector(X, c):
    s = 0.0
    for i in range(X.shape[0]):
        s += np.mean((X[i] - c) ** 2)
    return s


def store_scaled(u0, w, n):           # a vector read whole into a stored row
    u = u0.copy()
    v = np.zeros_like(u0)
    for t in range(n):
        v[1:-1] = u[1:-1] * w
        u, v = v, u
    return np.sum(u * u)


def bool_index(X, w):
    s = 0.0
    for i in range(X.shape[0]):
        d = X[True] * w
        s += np.sum(d * d)
    return s


def false_index(X, w):
    s = 0.0
    for i in range(X.shape[0]):
        d = X[False] * w
        s += np.sum(d * d)
    return s


def bool_variable_index(X, w, flag):
    s = 0.0
    for i in range(X.shape[0]):
        d = X[flag] * w
        s += np.sum(d * d)
    return s


def stencil(u, n):                    # rows of one array, all of length len(u) - 2
    s = 0.0
    for t in range(n):
        d = u[2:] - 2.0 * u[1:-1] + u[:-2]
        s += np.sum(d * d)
    return s


def scaled_rows(X, w):                # a scalar against a row
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] * w
        s += np.sum(d * d)
    return s


def windowed_dot(h, x, m):            # np.dot takes vectors of one length only
    s = 0.0
    for i in range(x.shape[0] - m + 1):
        s += np.tanh(np.dot(h, x[i:i + m]))
    return s


BROADCAST = [
    (row_minus_vector, (np.array([[1.0], [2.0]]), np.array([0.0, 1.0, 2.0])), (0, 1)),
    (row_minus_vector, (np.array([[1.0, 2.0, 0.5]]), np.array([0.3])), (0, 1)),
    (shifted_slices, (np.array([1.0, 2.0, 4.0]), 1), (0,)),
    (empty_and_one, (np.array([1.0, 2.0]), 1), (0,)),
    (store_of_a_shorter_row, (np.array([0.3, 0.7]), 0.3, 2), (0, 1)),
    (matvec_plus_bias, (np.array([[0.5]]), np.array([[0.7]]), np.array([0.1, 0.2, 0.3])),
     (0, 1, 2)),
    (mean_of_row_minus_vector, (np.array([[1.0], [2.0]]), np.array([0.0, 1.0, 2.0])), (0, 1)),
    (store_scaled, (np.array([0.3, 0.7, -0.2, 0.5, 0.9]), np.array([0.8]), 2), (0, 1)),
    (store_scaled, (np.array([0.3, 0.7, -0.2, 0.5, 0.9]), np.array([0.8, 1.1, 0.6]), 2),
     (0, 1)),
]
IDS = [f"{f.__name__}-{k}" for k, (f, _, _) in enumerate(BROADCAST)]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("f,args,wrt", BROADCAST, ids=IDS)
def test_value_and_gradient_as_numpy_broadcasts(f, args, wrt, target):
    value, _ = sd.value_and_grad(f, wrt=wrt, target=target)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12, abs=1e-14)
    check_grad(f, args, wrt, target)


# lengths that differ, neither of them 1: NumPy raises a ValueError, and so does
# the transformed function (the element loop's broadcast_length / broadcast_into,
# or the array code where the rows are not lowered)
MISMATCHED = [
    (row_minus_vector, (np.ones((2, 2)), np.array([0.0, 1.0, 2.0])), (0, 1)),
    (shifted_slices, (np.array([1.0, 2.0, 4.0, 3.0, 0.5]), 1), (0,)),
    (store_of_a_shorter_row, (np.array([0.3, 0.7, 0.1]), 0.3, 2), (0, 1)),
    (matvec_plus_bias, (np.ones((1, 2)), np.ones((2, 2)), np.array([0.1, 0.2, 0.3])),
     (0, 1, 2)),
    (store_scaled, (np.array([0.3, 0.7, -0.2, 0.5, 0.9]), np.array([0.8, 1.1]), 2), (0, 1)),
    (windowed_dot, (np.array([0.4, 0.2]), np.array([0.3, 0.7, -0.2, 0.5, 0.9]), 3), (0, 1)),
]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("f,args,wrt", MISMATCHED,
                         ids=[f"{f.__name__}-{k}" for k, (f, _, _) in enumerate(MISMATCHED)])
def test_lengths_neither_one_raise_value_error_as_numpy(f, args, wrt, target):
    with pytest.raises(ValueError):
        f(*args)
    with pytest.raises(ValueError):
        sd.value_and_grad(f, wrt=wrt, target=target)(*args)


@pytest.mark.parametrize("target", TARGETS)
def test_a_dot_product_does_not_broadcast_one_element(target):
    """NumPy's dot of a 1-element vector with a 3-element one raises (no
    broadcasting), as an element-wise product would not."""
    args = (np.array([0.4]), np.array([0.3, 0.7, -0.2, 0.5, 0.9]), 3)
    with pytest.raises(ValueError):
        windowed_dot(*args)
    with pytest.raises(ValueError):
        sd.value_and_grad(windowed_dot, wrt=(0, 1), target=target)(*args)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("f", [bool_index, false_index])
def test_a_bool_index_is_refused_at_its_line(f, target):
    X = np.array([[0.5, 0.6]])
    with pytest.raises(TransformError) as err:
        sd.value_and_grad(f, wrt=(0, 1), target=target)(X, 0.6)
    assert "bool index" in str(err.value)
    assert f"{Path(__file__).name}:" in str(err.value)
    assert "d = X[" in str(err.value)


@pytest.mark.parametrize("target", TARGETS)
def test_a_bool_variable_is_not_an_index(target):
    X = np.array([[0.5, 0.6]])
    with pytest.raises(TransformError) as err:
        sd.value_and_grad(bool_variable_index, wrt=(0, 1), target=target)(X, 0.6, True)
    assert "the bool 'flag' cannot be an index" in str(err.value)


def _inside_loops(text, function):
    tree = ast.parse(text)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    return "\n".join(ast.unparse(n) for n in ast.walk(fn) if isinstance(n, ast.For))


EQUAL = [
    (stencil, (np.array([0.3, 0.7, -0.2, 0.5, 0.9]), 2), (0,)),
    (scaled_rows, (np.array([[0.5, 0.6, 0.1], [0.2, -0.3, 0.4]]), 0.7), (0, 1)),
    # (an argument's vector in a dot product: as long as the window, checked, read at j)
    (windowed_dot, (np.array([0.4, -0.3, 0.8]), np.array([0.3, 0.7, -0.2, 0.5, 0.9]), 3),
     (0, 1)),
]


@pytest.mark.parametrize("f,args,wrt", EQUAL, ids=[c[0].__name__ for c in EQUAL])
def test_equal_lengths_are_lowered_without_a_check(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    for function in (f.__name__, f"{f.__name__}_grad"):
        inside = _inside_loops(text, function)
        assert "for j in range(" in inside, text
        for alloc in ("np.sum(", "zeros_like", ".append(", "broadcast_length(", "_step"):
            assert alloc not in inside, f"{function}: {alloc} inside the loop\n{text}"
    check_grad(f, args, wrt, "python")


def test_a_vector_read_whole_is_lowered_with_broadcasting():
    """``X[i] - c``: still an element loop, over the broadcast length (``c`` of one
    element here); where the call's ``c`` is as long as ``X``'s rows, the
    transform, specialized on that, needs no broadcasting."""
    X = np.array([[1.0, 2.0, 0.5]])
    for c, broadcast in ((np.array([0.3]), True), (np.array([0.3, 0.1, 0.2]), False)):
        text = sd.grad(row_minus_vector, wrt=(0, 1), target="python").source_for(X, c)
        inside = _inside_loops(text, "row_minus_vector_grad")
        assert ("broadcast_length(" in inside) == broadcast and "for j in range(" in inside
        assert "np.sum(" not in inside and ".append(" not in inside
        check_grad(row_minus_vector, (X, c), (0, 1), "python")


def test_rows_sure_to_differ_are_not_lowered():
    text = sd.grad(shifted_slices, wrt=0, target="python").source_for(np.ones(4), 1)
    assert "for j in range(" not in _inside_loops(text, "shifted_slices_grad")


def test_a_cuda_kernel_broadcasts_too():
    """The element loop's lengths in device code (the CUDA simulator where no GPU)."""
    rng = np.random.default_rng(5)
    Xs, c = rng.normal(size=(4, 2, 1)), rng.normal(size=3)
    g = sd.value_and_grad(row_minus_vector, wrt=(0, 1), target="cuda", batch=(0, None))
    value, (dX, dc) = g(Xs, c)
    assert "broadcast_length(" in g.source
    np.testing.assert_allclose(value, [row_minus_vector(x, c) for x in Xs], rtol=1e-12)
    one = sd.grad(row_minus_vector, wrt=(0, 1), target="python")
    for k, x in enumerate(Xs):
        gx, gc = one(x, c)
        np.testing.assert_allclose(dX[k], gx, rtol=1e-12)
        np.testing.assert_allclose(dc[k], gc, rtol=1e-12)


def refilled_each_step(beta, I0, S0, steps):
    """``foi[:] = beta * I`` in a time loop: ``I`` is read whole into ``foi``'s
    row (``broadcast_into`` checks it); the loop keeps ``foi``'s length."""
    n = S0.shape[0]
    I = I0.copy()
    foi = np.zeros(n)
    s = 0.0
    for t in range(steps):
        foi[:] = beta * I
        for i in range(n):
            I[i] = I[i] + 0.1 * foi[i] * (1.0 - I[i]) * S0[i]
        s += foi[0] * I[n - 1]
    return s + np.sum(I)


@pytest.mark.usefixtures("put_back")
@pytest.mark.parametrize("target", TARGETS)
def test_a_row_stored_in_a_loop_keeps_the_stored_length(target):
    """The tape of the elements ``foi[:] = ...`` overwrites is an array of one
    slot per element and step, sized before the loops run (not a list)."""
    args = (0.7, np.array([0.1, 0.3, 0.2, 0.05]), np.array([0.9, 0.6, 0.8, 0.95]), 5)
    text = sd.grad(refilled_each_step, wrt=(0, 1, 2), target="python").source_for(*args)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "elements of 'foi' before line" in plan and "in a list" not in plan, plan
    check_grad(refilled_each_step, args, (0, 1, 2), target)
    with pytest.raises(ValueError):
        # (check_grad's transform: the code just compiled, not a second module per wrt)
        cached_grad(refilled_each_step, (0, 1, 2), target)(0.7, np.ones(3), np.ones(4), 2)
