"""An array parameter that a loop binds again (``x = x * 0.9 + ...`` on the
argument's own name) is stepped in a copy of its own (passes/rebound_params.py),
as the same program written ``x = x0.copy()`` is: element loops writing into
it, no list tapes, and the caller's arrays untouched."""
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

from tests.core.iteration_programs import rebound_inside


def relax(x, steps):
    s = 0.0
    for t in range(steps):
        s += np.sum(x * x)
        x = x * 0.9 + 0.01 * np.cos(x)
    return s


def advect(u, c, steps, dt):
    for t in range(steps):
        ux = u - np.roll(u, 1, axis=1)
        u = u - dt * c * ux
    return np.sum(u ** 2)


def newton(x, a):
    it = 0
    while it < 6:
        x = x - (x * x - a) / (2.0 * x)
        it += 1
    return np.sum(x)


def leapfrog(q, p, steps, h):
    for t in range(steps):
        p = p - 0.5 * h * np.sin(q)
        q = q + h * p
        p = p - 0.5 * h * np.sin(q)
    return np.sum(q * q) + np.sum(p * p)


def leapfrog_copied(q0, p0, steps, h):
    q = q0.copy()
    p = p0.copy()
    for t in range(steps):
        p = p - 0.5 * h * np.sin(q)
        q = q + h * p
        p = p - 0.5 * h * np.sin(q)
    return np.sum(q * q) + np.sum(p * p)


def swap(u, v, steps):
    for t in range(steps):
        u, v = v, u + 0.1 * np.tanh(v)
    return np.sum(u * v)


def heat(u, steps, k):
    n = u.shape[0]
    for t in range(steps):
        unew = np.empty(n)
        unew[0] = u[0]
        unew[n - 1] = u[n - 1]
        for i in range(1, n - 1):
            unew[i] = u[i] + k * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u = unew
    return np.sum(u * u)


def written_through_a_view(x, steps):
    v = x
    w = v[1:]
    s = 0.0
    for t in range(steps):
        w[0] = w[0] * 0.5
        s += np.sum(x * x)
        x = x * 0.9
    return s


_r = np.random.default_rng(5)
CASES = [
    (relax, (_r.standard_normal(9), 4), (0,)),
    (advect, (_r.standard_normal((4, 7)), _r.uniform(0.5, 1.0, 7), 3, 0.1), (0, 1)),
    (newton, (_r.uniform(1.0, 2.0, 5), _r.uniform(1.0, 3.0, 5)), (0, 1)),
    (leapfrog, (_r.standard_normal(6), _r.standard_normal(6), 4, 0.1), (0, 1)),
    (swap, (_r.standard_normal(5), _r.standard_normal(5), 3), (0, 1)),
    (heat, (_r.standard_normal(8), 3, 0.2), (0,)),
    # (the loop runs over the array it started with, as Python's does)
    (rebound_inside, (_r.standard_normal(30),), (0,)),
]
IDS = [f.__name__ for f, _, _ in CASES]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f,args,wrt", CASES, ids=IDS)
def test_a_rebound_parameter_has_the_gradient_and_the_callers_array_is_kept(f, args, wrt,
                                                                            target):
    given = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    value, _ = sd.value_and_grad(f, wrt=wrt, target=target)(*given)
    assert value == pytest.approx(f(*args), rel=1e-12)
    for before, after in zip(args, given):
        if isinstance(before, np.ndarray):
            np.testing.assert_array_equal(after, before)
    check_grad(f, args, wrt, target)


@pytest.mark.parametrize("f,args,wrt", CASES[:5], ids=IDS[:5])
def test_a_rebound_parameter_is_stepped_without_list_tapes(f, args, wrt):
    source = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    assert ".append(" not in source, source


def test_the_step_reads_like_the_same_program_written_with_copies():
    def loops(f):
        source = sd.value_and_grad(f, wrt=(0, 1), target="python").source_for(
            *CASES[3][1])
        return source.count("for "), source.count("np.empty_like(")
    assert loops(leapfrog) == loops(leapfrog_copied)


def test_a_parameter_written_through_another_name_is_still_refused_in_the_users_names():
    with pytest.raises(sd.TransformError, match="'w' shares memory with array 'x'"):
        sd.grad(written_through_a_view, target="python")(_r.standard_normal(5), 3)


def sgd_steps(W1, b1, W2, b2, X, Y, lr):
    # one hand-written SGD step per sample; the weights are the arguments' names
    for i in range(X.shape[0]):
        x = X[i]
        h = np.tanh(W1 @ x + b1)
        e = W2 @ h + b2 - Y[i]
        gpre = (W2.T @ e) * (1.0 - h * h)
        W2 = W2 - lr * np.outer(e, h)
        b2 = b2 - lr * e
        W1 = W1 - lr * np.outer(gpre, x)
        b1 = b1 - lr * gpre
    return np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(b1) + np.sum(b2)


def _network(hidden=6, inputs=4, outputs=3, samples=5):
    r = np.random.default_rng(8)
    return (0.3 * r.standard_normal((hidden, inputs)), 0.1 * r.standard_normal(hidden),
            0.3 * r.standard_normal((outputs, hidden)), 0.1 * r.standard_normal(outputs),
            r.standard_normal((samples, inputs)), r.standard_normal((samples, outputs)), 0.05)


def test_sgd_steps_of_the_arguments_have_the_gradient():
    check_grad(sgd_steps, _network(), (0, 1, 2, 3, 6), "cpu")


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_sgd_steps_of_the_arguments_keep_no_arrays_on_lists(target):
    # (the compiled code knows the rows of X and Y: their lengths, 4 and 3, are
    # those of W1's columns and W2's rows, so the steps' arrays stay of known lengths)
    source = sd.value_and_grad(sgd_steps, wrt=(0, 1, 2, 3), target=target).source_for(
        *_network())
    # (what may stay on a list: the view W2.T, one reference a step)
    appended = re.findall(r"\.append\((\w+)\)", source)
    assert not set(appended) - {"_t6"}, source
    assert "_t6 = W2_now.T" in source


def predator_prey(a, b, c, d, x, y, dt, n):
    # Euler steps of numbers given as the arguments, under their own names
    for t in range(n):
        dx = a * x - b * x * y
        dy = c * x * y - d * y
        x = x + dt * dx
        y = y + dt * dy
    return x * y


def predator_prey_copied(a, b, c, d, x0, y0, dt, n):
    x = x0
    y = y0
    for t in range(n):
        dx = a * x - b * x * y
        dy = c * x * y - d * y
        x = x + dt * dx
        y = y + dt * dy
    return x * y


PREY = (1.1, 0.4, 0.1, 0.4, 1.0, 0.8, 0.01, 30)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_numbers_stepped_under_the_arguments_names_have_the_gradient(target):
    check_grad(predator_prey, PREY, (0, 1, 2, 3, 4, 5), target)


def test_numbers_stepped_under_the_arguments_names_are_snapshots():
    # one slot per step for x and y, the products recomputed from them: as for
    # the same steps of copies (the temporaries b * x, c * x were stored too)
    def plan(f):
        source = sd.value_and_grad(f, wrt=(0, 1, 4, 5), target="python").source_for(*PREY)
        return [re.sub(r"lines? [\d, ]+", "line", line.strip())
                for line in source.splitlines() if line.strip().startswith("#   ")]
    assert plan(predator_prey) == plan(predator_prey_copied)
    assert any("'x', 'y' (carried" in line for line in plan(predator_prey))


def oja(w, eta, X, C):
    # Oja's rule updating the argument in place: the caller's array is left as it was
    for k in range(X.shape[0]):
        xk = X[k]
        y = np.dot(w, xk)
        w += eta * y * (xk - y * w)
    return -np.dot(w, C @ w) / np.dot(w, w)


def updated_beside_a_view(w, X):
    v = w
    for k in range(X.shape[0]):
        w += 0.1 * X[k]
    return np.sum(v * v)


def _oja_args(n=12, d=5):
    r = np.random.default_rng(12)
    L = r.standard_normal((d, d)) / np.sqrt(d)
    return (r.standard_normal(d) / np.sqrt(d), 0.05, r.standard_normal((n, d)) @ L.T, L @ L.T)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_an_argument_updated_in_place_by_a_loop_has_the_gradient(target):
    args = _oja_args()
    given = args[0].copy()
    value, _ = sd.value_and_grad(oja, wrt=(0, 1), target=target)(given, *args[1:])
    np.testing.assert_array_equal(given, args[0])       # the caller's array as it was
    assert value == pytest.approx(oja(args[0].copy(), *args[1:]), rel=1e-12)
    # (central differences by hand: Python's oja changes the array it is given, so
    # each evaluation gets a copy)
    _, (dw, deta) = sd.value_and_grad(oja, wrt=(0, 1), target=target)(*args)
    h = 1e-6
    for k in range(len(args[0])):
        up, down = args[0].copy(), args[0].copy()
        up[k] += h
        down[k] -= h
        fd = (oja(up, *args[1:]) - oja(down, *args[1:])) / (2 * h)
        assert dw[k] == pytest.approx(fd, rel=1e-6, abs=1e-8)
    fd = (oja(args[0].copy(), args[1] + h, *args[2:]) -
          oja(args[0].copy(), args[1] - h, *args[2:])) / (2 * h)
    assert deta == pytest.approx(fd, rel=1e-6)
    source = sd.value_and_grad(oja, wrt=(0, 1), target=target).source_for(*args)
    assert ".append(" not in source, source


def test_an_update_in_place_beside_a_view_is_refused_in_the_users_names():
    with pytest.raises(sd.TransformError, match="'w' shares memory with array 'v'"):
        sd.grad(updated_beside_a_view, target="python")(_r.standard_normal(4),
                                                         _r.standard_normal((3, 4)))
