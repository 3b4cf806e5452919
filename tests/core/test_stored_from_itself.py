"""A store into an array of values computed from other elements of it (a
fixed-boundary stencil, ``u[1:-1, 1:-1] = un`` with ``un`` reading
``u[:-2, 1:-1]``): the temporaries read a copy of the array taken first, so
the store and its temporaries are one element loop (passes/lower.py,
``_Snapshot``) with NumPy's values.  Gradients against central differences,
and the forms where the copy must not be taken."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def gray_scott_fixed(u0, v0, F, k, steps):
    u = u0.copy()
    v = v0.copy()
    for s in range(steps):
        lu = u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4.0 * u[1:-1, 1:-1]
        lv = v[:-2, 1:-1] + v[2:, 1:-1] + v[1:-1, :-2] + v[1:-1, 2:] - 4.0 * v[1:-1, 1:-1]
        uc = u[1:-1, 1:-1]
        vc = v[1:-1, 1:-1]
        uvv = uc * vc * vc
        un = uc + 0.2 * (0.16 * lu - uvv + F * (1.0 - uc))
        vn = vc + 0.2 * (0.08 * lv + uvv - (F + k) * vc)
        u[1:-1, 1:-1] = un
        v[1:-1, 1:-1] = vn
    return np.sum(v * v + 0.1 * u)


def smoothed_in_place(x0, a, steps):
    # 1-d, the new interior written back where the old is read (Jacobi in place)
    x = x0.copy()
    for t in range(steps):
        x[1:-1] = (1.0 - a) * x[1:-1] + 0.5 * a * (x[:-2] + x[2:])
    return np.sum(x ** 3)


def read_after_store(x0, a, steps):
    # the step reads x after the store: it sees the new values (no copy then)
    x = x0.copy()
    s = 0.0
    for t in range(steps):
        y = x[:-2] * a + x[2:]
        x[1:-1] = y
        s += np.sum(x * x)
    return s


def view_kept(x0, a, steps):
    # a view of x read after the store sees the stored values
    x = x0.copy()
    s = 0.0
    for t in range(steps):
        mid = x[1:-1]
        x[1:-1] = a * (x[:-2] + x[2:])
        s += np.sum(mid * mid)
    return s


def leapfrog_copy(u0, c, target, steps):
    # the new level a copy of u made after the Laplacian is computed, its interior
    # stored into: a new array, no other name holds it (2-D wave equation)
    u_prev = u0.copy()
    u = u0.copy()
    for t in range(steps):
        lap = u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4.0 * u[1:-1, 1:-1]
        u_new = u.copy()
        u_new[1:-1, 1:-1] = 2.0 * u[1:-1, 1:-1] - u_prev[1:-1, 1:-1] + c * c * lap
        u_prev = u
        u = u_new
    d = u - target
    return np.sum(d * d)


def copy_read_first(u0, c, steps):
    # the step reads u_new before the copy is made (the step before's): its
    # loop may not run after the copy
    u = u0.copy()
    u_new = u0.copy()
    for t in range(steps):
        m = u_new[1:-1] * c
        u_new = u.copy()
        u_new[1:-1] = u[2:] + m
        u = u_new
    return np.sum(u * u)


rng = np.random.default_rng(9)
G = 1.0 + 0.2 * rng.standard_normal((6, 7))
H = 0.3 + 0.2 * rng.standard_normal((6, 7))
X = rng.standard_normal(20)
CASES = {
    "gray_scott_fixed": (gray_scott_fixed, (G, H, 0.04, 0.06, 3), (0, 1, 2, 3)),
    "smoothed_in_place": (smoothed_in_place, (X, 0.4, 3), (0, 1)),
    "read_after_store": (read_after_store, (X, 0.7, 3), (0, 1)),
    "view_kept": (view_kept, (X, 0.6, 3), (0, 1)),
    "leapfrog_copy": (leapfrog_copy, (G, 0.4, H, 3), (0, 1)),
    "copy_read_first": (copy_read_first, (X, 0.6, 3), (0, 1)),
}


# (compiled for two: a cpu compile is seconds of the suite's time)
@pytest.mark.parametrize("name, target", [(n, "python") for n in CASES if n != "view_kept"] +
                         [("gray_scott_fixed", "cpu"), ("leapfrog_copy", "cpu")])
def test_values_and_gradients(name, target):
    f, args, wrt = CASES[name]
    value, _ = sd.value_and_grad(f, wrt=wrt, target=target)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    check_grad(f, args, wrt=wrt, target=target)


def primal_code(name):
    f, args, wrt = CASES[name]
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    text = text[text.index("_grad("):text.index("# -- reverse sweep")]
    return "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))


@pytest.mark.parametrize("name, copies", [("gray_scott_fixed", ("u", "v")),
                                          ("smoothed_in_place", ("x",)),
                                          ("leapfrog_copy", ())])
def test_the_stores_are_element_loops_reading_a_copy(name, copies):
    code = primal_code(name)
    for a in copies:
        assert f"_{a}_old = {a}.copy()" in code, code
    # no slice of the grid is made whole: every read is an element
    assert "[1:-1" not in code and "[:-2" not in code, code


def test_a_read_after_the_store_is_not_of_a_copy():
    after = primal_code("read_after_store").split("x[j + 1] = y")[-1]
    assert "_x_old[" not in after and "x * x" in after, after


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_view_read_after_the_store_is_refused(target):
    # (NumPy's mid shows the stored values; the element loop would have read
    # them before the store: the aliasing is refused, as without the loop)
    f, args, wrt = CASES["view_kept"]
    with pytest.raises(sd.TransformError, match="'mid' shares memory with array 'x'"):
        sd.value_and_grad(f, wrt=wrt, target=target)(*args)


def view_scaled(x0, a, steps):
    x = x0.copy()
    s = 0.0
    for t in range(steps):
        mid = x[1:-1]
        x[1:-1] = x[1:-1] * a
        s += np.sum(mid * mid)
    return s


def test_a_view_of_an_array_scaled_in_place_is_refused():
    # (read as one element loop, mid's elements were read before the store:
    # a wrong value, 24.3 against NumPy's 11.9)
    with pytest.raises(sd.TransformError, match="'mid' shares memory with array 'x'"):
        sd.value_and_grad(view_scaled, wrt=(0, 1), target="python")(X, 0.7, 3)
