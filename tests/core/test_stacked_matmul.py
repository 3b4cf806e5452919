"""``A @ B`` and ``np.matmul`` with a stack of matrices (a 3-d array) on one side or
both, as NumPy multiplies them (one product per matrix of the stack): refused before
("matrix product of 3-d and 3-d arrays"), as in batched attention.  Checked against
finite differences, forward mode, NumPy's values and, where JAX is installed,
``jax.grad`` of the same source; ``np.dot`` of 3-d arrays (another product) and a
stack times a vector stay refused."""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.errors import TransformError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forward"))
from fdcheck import check_grad
from jaxcheck import jax_grad
from jvpcheck import check_jvp


def stacks_both(a, b):
    return np.sum(np.tanh(a @ b) ** 2)


def stack_times_matrix(a, c):
    return np.sum(np.sin(a @ c) * (a @ c))


def matrix_times_stack(c, a):
    return np.sum(np.matmul(c.T, np.swapaxes(a, 1, 2)) ** 2)


def attention(q, k, v):
    s = q @ np.swapaxes(k, 1, 2) / np.sqrt(q.shape[2])
    s = s - np.max(s, axis=2, keepdims=True)
    w = np.exp(s)
    w = w / np.sum(w, axis=2, keepdims=True)
    return np.sum((w @ v) ** 2)


def all_of_them(a, b, c, q, k, v):
    """The forms above in one function: one cpu compile for all of them."""
    return (stacks_both(a, b) + stack_times_matrix(a, c[:4]) + matrix_times_stack(c[:4], a)
            + attention(q, k, v))


RNG = np.random.default_rng(7)
A = RNG.standard_normal((2, 3, 4))
B = RNG.standard_normal((2, 4, 5))
C = RNG.standard_normal((5, 3))
Q = RNG.standard_normal((2, 3, 4))
K = RNG.standard_normal((2, 5, 4))
V = RNG.standard_normal((2, 5, 3))
CASES = {
    "stacks_both": (stacks_both, (A, B)),
    "stack_times_matrix": (stack_times_matrix, (A, C[:4])),
    "matrix_times_stack": (matrix_times_stack, (C[:4], A)),
    "attention": (attention, (Q, K, V)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_and_tangent_python(name):
    f, args = CASES[name]
    wrt = tuple(range(len(args)))
    check_grad(f, args, wrt=wrt, target="python")
    check_jvp(f, args, wrt=wrt, target="python")


def test_gradient_and_tangent_compiled():
    args = (A, B, C, Q, K, V)
    check_grad(all_of_them, args, wrt=(0, 1, 2, 3, 4, 5), target="cpu")
    check_jvp(stacks_both, (A, B), wrt=(0, 1), target="cpu")


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_jax(name):
    f, args = CASES[name]
    wrt = tuple(range(len(args)))
    ours = sd.grad(f, wrt=wrt, target="python")(*args)
    for a, b in zip(ours, jax_grad(f, args, wrt)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def dot_of_stacks(a, b):
    return np.sum(np.dot(a, b))


def stack_times_vector(a, x):
    return np.sum(a @ x)


@pytest.mark.parametrize("f, args, message", [
    (dot_of_stacks, (A, B), "matrix product of 3-d and 3-d arrays is not supported"),
    (stack_times_vector, (A, A[0, 0]), "matrix product of 3-d and 1-d arrays is not supported"),
])
def test_other_products_of_stacks_refused(f, args, message):
    with pytest.raises(TransformError, match=message):
        sd.grad(f, target="python")(*args)


@pytest.mark.parametrize("name", ["stacks_both", "stack_times_matrix", "matrix_times_stack"])
def test_hessian_vector_products_match_differences_of_the_gradient(name):
    """Second derivatives: forward mode over the adjoint, whose helpers
    (batched_matmul, summed_left_transposed, ...) have rules of their own."""
    f, args = CASES[name]
    g = sd.grad(f, wrt=0, target="python")
    v = np.random.default_rng(3).standard_normal(args[0].shape)
    got = sd.hvp(f, wrt=0, target="python")(*args, v)
    eps = 1e-6
    want = (g(args[0] + eps * v, *args[1:]) - g(args[0] - eps * v, *args[1:])) / (2 * eps)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    g1 = sd.grad(f, wrt=1, target="python")
    w = np.random.default_rng(4).standard_normal(args[1].shape)
    got1 = sd.hvp(f, wrt=1, target="python")(*args, w)
    want1 = (g1(args[0], args[1] + eps * w) - g1(args[0], args[1] - eps * w)) / (2 * eps)
    np.testing.assert_allclose(got1, want1, rtol=1e-6, atol=1e-7)
