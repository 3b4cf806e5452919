"""Values read from an array stored where the reverse sweep needs them, instead
of the array's overwritten elements put back; numbers of one iteration
stored where they are computed.

``program.py`` builds an adjoint both ways when loops overwrite elements of
an array whose values the reverse sweep reads, and keeps the stored reads
when their tapes move at most half as much (``tape.tape_traffic``): an
accumulation ``g[j] += ...`` over an inner loop is written n * d times a
step and read d times; the heat equation's three reads of a level give one
value the reverse needs: half the traffic, a tie, which stores.  A stencil
whose reverse needs several values of each element keeps the put-back.
Each is checked against
finite differences both ways; the generated code stores a number after
computing it and loads it where the reverse iteration starts.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.bench.programs.heat import heat_copy_back, heat_swap
from tests.fdcheck import check_grad

rng = np.random.default_rng(3)
HEAT = (rng.standard_normal(9), 0.2, rng.standard_normal(9), 6)


def accumulated_gradient(q0, X, y, eps, steps):
    """Leapfrog-like steps whose force is summed over data into ``g`` (written
    n * d times a step, read d times a step)."""
    n, d = X.shape
    q = q0.copy()
    g = np.empty(d)
    s = 0.0
    for step in range(steps):
        for j in range(d):
            g[j] = q[j]
        for i in range(n):
            eta = 0.0
            for j in range(d):
                eta += X[i, j] * q[j]
            mu = math.exp(eta)
            for j in range(d):
                g[j] += (mu - y[i]) * X[i, j]
        for j in range(d):
            q[j] -= eps * g[j]
        s += q[0] * q[0]
    return s


def nonlinear_stencil(u0, c, steps):
    """Each new element reads three old ones through sin, cos and a product:
    the reverse needs more values of each step than the level it overwrites."""
    n = u0.shape[0]
    u = u0.copy()
    v = u0.copy()
    for t in range(steps):
        for i in range(1, n - 1):
            v[i] = math.sin(u[i - 1]) * u[i + 1] + c * math.cos(u[i]) * u[i]
        u, v = v, u
    return np.sum(u * u)


ACC = (0.3 * rng.standard_normal(3), 0.3 * rng.standard_normal((7, 3)),
       rng.poisson(1.0, 7).astype(np.float64), 0.05, 4)
STENCIL = (rng.standard_normal(8), 0.3, 4)

CASES = [(heat_swap, HEAT, (0, 1)), (heat_copy_back, HEAT, (0, 1)),
         (accumulated_gradient, ACC, (0, 1, 3)), (nonlinear_stencil, STENCIL, (0, 1))]
IDS = [c[0].__name__ for c in CASES]


def _plan(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return text, text[text.index("# Plan:"):text.index("# -- ")]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=IDS)
def test_gradients_match_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


@pytest.mark.usefixtures("put_back")
@pytest.mark.parametrize("f, args, wrt", CASES, ids=IDS)
def test_and_so_do_the_adjoints_that_put_elements_back(f, args, wrt):
    check_grad(f, args, wrt=wrt, target="python")


def test_what_is_read_is_stored_where_it_moves_less():
    _, plan = _plan(*CASES[2])
    assert "stored: elements of" not in plan and "stored where computed" in plan, plan


@pytest.mark.parametrize("f, args, wrt", CASES[:2], ids=IDS[:2])
def test_the_heat_equation_stores_what_it_reads_in_both_styles(f, args, wrt):
    _, plan = _plan(f, args, wrt)
    assert "stored: elements of" not in plan and "stored where computed" in plan, plan


def test_the_put_back_stays_where_storing_moves_more_than_half():
    _, plan = _plan(*CASES[3])
    assert "stored: elements of" in plan, plan


def test_the_choice_is_between_two_real_plans(put_back):
    _, plan = _plan(*CASES[2])
    assert "stored: elements of 'g'" in plan, plan


def test_a_number_is_stored_after_it_is_computed_and_loaded_first():
    text, _ = _plan(*CASES[2])
    grad = text[text.index("def accumulated_gradient_grad"):]
    lines = [ln.strip() for ln in grad.splitlines()]
    made = lines.index("mu = math.exp(eta)")
    assert lines[made + 1] == "_saved_mu[step, i] = mu"
    loop = lines.index("for i in range(n - 1, -1, -1):")
    assert lines[loop + 1] == "mu = _saved_mu[step, i]"
    # no placeholder before the loops, nothing of 'g' saved or put back
    assert "mu = 0.0" not in lines and "_saved_g" not in grad


def exercised(V0, payoff, c, steps):
    """An explicit step (whose reverse needs two values of each element: the
    level is put back), then the level floored by the payoff in place: the
    reverse of the floor needs each element it overwrote, which the put-back
    saves already."""
    n = V0.shape[0]
    V = V0.copy()
    Vn = V0.copy()
    for k in range(steps):
        for i in range(1, n - 1):
            Vn[i] = V[i] + c * (V[i - 1] - 2.0 * V[i] + V[i + 1]) - c * V[i] * V[i]
        Vn[:] = np.maximum(Vn, payoff)
        V, Vn = Vn, V
    return np.sum(V * V)


def floored_after_a_write(V0, payoff, c, steps):
    """The same, but another array written between the read and the overwrite:
    the number is stored on its own."""
    n = V0.shape[0]
    V = V0.copy()
    W = np.zeros(n)
    for k in range(steps):
        for j in range(n):
            x = V[j]
            W[j] = c * x
            V[j] = max(x, payoff[j]) + 0.1 * W[(j + 1) % n]
    return np.sum(V * V) + np.sum(W)


def coupled_updates(U0, V0, users, items, lr, epochs):
    """A factorization trained by SGD: vq is read, U[u, q] written, then V[i, q];
    U and V share no buffer, so V's saved element is vq all the same
    (``Planner.sole``): loaded from that save, not stored a second time."""
    U = U0.copy()
    V = V0.copy()
    for ep in range(epochs):
        for n in range(users.shape[0]):
            u = users[n]
            i = items[n]
            pred = 0.0
            for q in range(U.shape[1]):
                pred += U[u, q] * V[i, q]
            e = 1.0 - pred
            for q in range(U.shape[1]):
                uq = U[u, q]
                vq = V[i, q]
                U[u, q] = uq + lr * (e * vq - 0.1 * uq)
                V[i, q] = vq + lr * (e * uq - 0.1 * vq)
    return np.sum(U * U) + np.sum(V * V)


FLOOR = (rng.standard_normal(8), 0.2 * rng.standard_normal(8), 0.2, 5)
COUPLED = (0.5 * rng.standard_normal((4, 3)), 0.5 * rng.standard_normal((5, 3)),
           np.array([0, 1, 3, 1, 2]), np.array([4, 0, 2, 2, 1]), 0.3, 2)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", [exercised, floored_after_a_write])
def test_a_number_read_from_an_element_saved_for_put_back(f, target):
    check_grad(f, FLOOR, wrt=(0, 2), target=target)


def test_that_number_is_loaded_from_the_elements_save_not_stored_twice():
    text, plan = _plan(exercised, FLOOR, (0, 2))
    assert "not stored twice): 'Vn_j'" in plan, plan
    grad = text[text.index("def exercised_grad"):]
    assert "_saved_Vn_j" not in grad
    assert "Vn_j = _saved_Vn_items[k, j]" in grad


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_numbers_of_two_arrays_updated_from_each_other(target):
    check_grad(coupled_updates, COUPLED, wrt=(0, 1, 4), target=target)


def test_a_write_into_another_array_in_between_still_loads_from_the_save():
    _, plan = _plan(coupled_updates, COUPLED, (0, 1, 4))
    line = next(x for x in plan.splitlines() if "not stored twice" in x)
    assert "'uq'" in line and "'vq'" in line, plan


def test_a_write_in_between_keeps_the_numbers_own_slot():
    _, plan = _plan(floored_after_a_write, FLOOR, (0, 2))
    assert "not stored twice" not in plan, plan
