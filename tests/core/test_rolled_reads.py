"""``np.roll(x, shift)`` of a vector inside a loop read element by element,
``x[(j - shift) % n]`` (passes/lower.py), and ``np.roll(x, shift, axis)`` of
a grid along its axis: a periodic stencil written with
rolls runs as the element loop one writes with indices, and its adjoint adds
into the neighbours' elements.  A roll of a value the same step computes (a
Runge-Kutta stage) reads it from a buffer a loop of its own fills first; a
roll of the array a step stores into reads a copy of it taken first (it
reads other elements than the one the loop stores)."""
import re
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad


def periodic_heat(u0, c, steps):
    u = u0.copy()
    for t in range(steps):
        u = u + c * (np.roll(u, 1) - 2.0 * u + np.roll(u, -1))
    return np.sum(u * u)


def advected_in_place(u0, c, steps):
    # the step stores into the array it rolls: element j needs u[j - 1] as it was
    u = u0.copy()
    for t in range(steps):
        u[:] = u - c * (u - np.roll(u, 1))
    return np.sum(u * u * u)


def midpoint_stages(u0, h, steps):
    # the second stage rolls the first stage's value, made in the same step
    u = u0.copy()
    for t in range(steps):
        y = u + 0.5 * h * (np.roll(u, 1) - u)
        u = u + h * (np.roll(y, 1) - np.roll(y, -2) * y)
    return np.sum(u * u)


def shifted_by_argument(u0, c, k, steps):
    u = u0.copy()
    for t in range(steps):
        u = u + c * (np.roll(u, k) - u)
    return np.sum(np.sin(u))


@numba.njit
def minmod(a, b):
    return np.where(a * b <= 0.0, 0.0, np.where(np.abs(a) < np.abs(b), a, b))


def muscl_rolls(u0, c, steps):
    # a slope-limited upwind scheme written with rolls (as its JAX port is)
    u = u0.copy()
    for t in range(steps):
        um = np.roll(u, 1)
        um2 = np.roll(u, 2)
        up = np.roll(u, -1)
        si = minmod(u - um, up - u)
        sim = minmod(um - um2, u - um)
        u = u - c * ((u + 0.5 * (1.0 - c) * si) - (um + 0.5 * (1.0 - c) * sim))
    return np.sum(u ** 3)


def muscl_indices(u0, c, steps):
    # the same with periodic indices and two buffers
    u = u0.copy()
    n = u.shape[0]
    un = np.empty(n)
    for t in range(steps):
        for i in range(n):
            a0 = u[i] - u[(i - 1) % n]
            b0 = u[(i + 1) % n] - u[i]
            si = 0.0 if a0 * b0 <= 0.0 else (a0 if abs(a0) < abs(b0) else b0)
            a1 = u[(i - 1) % n] - u[(i - 2) % n]
            sim = 0.0 if a1 * a0 <= 0.0 else (a1 if abs(a1) < abs(a0) else a0)
            un[i] = u[i] - c * ((u[i] + 0.5 * (1.0 - c) * si) -
                                (u[(i - 1) % n] + 0.5 * (1.0 - c) * sim))
        u, un = un, u
    return np.sum(u ** 3)


rng = np.random.default_rng(11)
U = rng.random(7)
CASES = [(periodic_heat, (U, 0.2, 4), (0, 1)),
         (advected_in_place, (U, 0.3, 3), (0, 1)),
         (midpoint_stages, (U, 0.1, 3), (0, 1)),
         (shifted_by_argument, (U, 0.25, 2, 3), (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    value, _ = sd.value_and_grad(f, wrt=wrt, target=target)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    check_grad(f, args, wrt=wrt, target=target)


def _sweeps(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return text[text.index("_grad("):]


def test_a_periodic_stencil_reads_neighbours_by_index():
    grad = _sweeps(periodic_heat, (U, 0.2, 4), (0, 1))
    code = "\n".join(ln for ln in grad.splitlines() if not ln.lstrip().startswith("#"))
    assert "np.roll" not in code and "u[wrap_index(j - 1, n_u)]" in code, code


def test_a_roll_by_a_number_read_at_run_time_reads_by_index():
    # np.roll(u, k) with k an argument (a lattice stored flat rolls by its side L)
    grad = _sweeps(shifted_by_argument, (U, 0.25, 2, 3), (0, 1))
    code = "\n".join(ln for ln in grad.splitlines() if not ln.lstrip().startswith("#"))
    assert "np.roll" not in code, code
    assert re.search(r"u\[wrap_index\(j - k, n_u\)\]", code), code
    assert re.search(r"du\[wrap_index\(j - k, n_u\)\] \+=", code), code


def test_a_roll_of_the_array_a_step_stores_into_reads_a_copy():
    code = _sweeps(advected_in_place, (U, 0.2, 3), (0, 1))
    body = "\n".join(ln for ln in code.splitlines() if not ln.lstrip().startswith("#"))
    # (the element loop stores u[j] after reading u[j - 1]: it reads a copy of
    # the step's u instead, as NumPy computes the right-hand side first)
    assert "np.roll(" not in body and "_u_old = u.copy()" in body, body
    assert re.search(r"u\[j\] = ", body), body


def test_a_stage_rolled_by_the_next_is_stored_whole_first():
    # y's loop runs to the end before the loop rolling y starts (which
    # computes again what the two share)
    code = _sweeps(midpoint_stages, (U, 0.2, 3), (0, 1))
    forward = code[:code.index("# -- reverse sweep")]
    body = "\n".join(ln for ln in forward.splitlines() if not ln.lstrip().startswith("#"))
    rolled = re.search(r"y\[wrap_index\(_?j\d* - 1, ", body)
    assert "np.roll(" not in body and "y[j] = " in body and rolled, body
    assert body.index("y[j] = ") < rolled.start(), body


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_limited_scheme_with_rolls_has_the_gradient_of_its_index_form(target):
    u0 = np.exp(-30.0 * (np.linspace(0.0, 1.0, 24, endpoint=False) - 0.4) ** 2)
    g_roll = sd.grad(muscl_rolls, wrt=(0, 1), target=target)(u0, 0.4, 5)
    g_index = sd.grad(muscl_indices, wrt=(0, 1), target=target)(u0, 0.4, 5)
    np.testing.assert_allclose(g_roll[0], g_index[0], rtol=1e-12, atol=1e-14)
    assert g_roll[1] == pytest.approx(g_index[1], rel=1e-12)
    code = _sweeps(muscl_rolls, (u0, 0.4, 5), (0, 1))
    assert "np.roll" not in "\n".join(ln for ln in code.splitlines()
                                      if not ln.lstrip().startswith("#"))


def periodic_grid(u0, k, steps):
    # a 2-d reaction-diffusion step with rolls along each axis (a grid of
    # 5 x 7: the two axes' lengths kept apart)
    u = u0.copy()
    for t in range(steps):
        lap = np.roll(u, 1, axis=0) + np.roll(u, -1, axis=0) + np.roll(u, 1, axis=1) + \
            np.roll(u, -1, 1) - 4.0 * u
        u = u + 0.05 * (lap + k * (u - u ** 3))
    return np.sum(u * u * np.arange(35.0).reshape(5, 7))


def columns_rolled(u0, c, steps):
    u = u0.copy()
    for t in range(steps):
        u = u + c * (np.roll(u, shift=-2, axis=-1) - u)
    return np.sum(np.cos(u))


GRID = rng.standard_normal((5, 7))


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args", [(periodic_grid, (GRID, 0.7, 3)),
                                     (columns_rolled, (GRID, 0.3, 3))])
def test_rolls_along_an_axis(f, args, target):
    value, _ = sd.value_and_grad(f, wrt=(0, 1), target=target)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    check_grad(f, args, wrt=(0, 1), target=target)


def test_rolls_along_an_axis_read_neighbours_by_index():
    code = _sweeps(periodic_grid, (GRID, 0.7, 3), (0, 1))
    body = "\n".join(ln for ln in code.splitlines() if not ln.lstrip().startswith("#"))
    assert "np.roll" not in body, body
    assert re.search(r"u\[\(j - 1\) % \w+, \w+\]", body) and \
        re.search(r"u\[j, wrap_index\(\w+ \+ 1, \w+\)\]", body), body
    # the loop over the columns runs to the length the roll wraps at (one name):
    # its middle iterations read the neighbours without a remainder
    assert re.search(r"u\[j, _?k\d* \+ 1\]", body), body


def lap2(z):
    return np.roll(z, 1, axis=0) + np.roll(z, -1, axis=0) + np.roll(z, 1, axis=1) + \
        np.roll(z, -1, axis=1) - 4.0 * z


def two_fields(u0, v0, a, steps):
    # FitzHugh-Nagumo as its NumPy port is written: u = u0 (a parameter's array
    # until the first step), and v's update reads the u of the step's start
    # after u is rebound: v's loop runs where its first line was
    u = u0
    v = v0
    for t in range(steps):
        du = lap2(u) + u - u ** 3 / 3.0 - v
        dv = 0.5 * lap2(v) + 0.08 * (u + a - 0.8 * v)
        u = u + 0.05 * du
        v = v + 0.05 * dv
    return np.sum((u - 0.3) ** 2 + u * v)


V0 = rng.standard_normal((5, 7)) * 0.3


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_two_fields_updated_in_turn(target):
    args = (GRID * 0.5, V0, 0.7, 3)
    value, _ = sd.value_and_grad(two_fields, wrt=(0, 1, 2), target=target)(*args)
    assert value == pytest.approx(two_fields(*args), rel=1e-12)
    check_grad(two_fields, args, wrt=(0, 1, 2), target=target)


def test_two_fields_run_as_element_loops():
    code = _sweeps(two_fields, (GRID, V0, 0.7, 3), (0, 1, 2))
    forward = code[:code.index("# -- reverse sweep")]
    body = "\n".join(ln for ln in forward.splitlines() if not ln.lstrip().startswith("#"))
    assert "np.roll" not in body, body
    # v's loop (reading u) comes before u is rebound
    assert body.index("_v_new[") < body.index("u = _u_new"), body


def gray_scott(u0, v0, F, k, steps):
    # the reaction term shared by both updates, and a number both need computed
    # between them (F + k): one element loop, where the first line was
    u = u0
    v = v0
    for t in range(steps):
        lu = lap2(u)
        lv = lap2(v)
        uvv = u * v * v
        u = u + 0.16 * lu - uvv + F * (1.0 - u)
        v = v + 0.08 * lv + uvv - (F + k) * v
    return np.sum(v * v + 0.5 * u)


def gain_carried(u0, v0, F, steps):
    # the gain the first update reads is the step before's: it may not be
    # computed before the loop of this step
    u = u0
    v = v0
    g = 0.5
    for t in range(steps):
        uv = u * v
        u = u + g * lap2(u) - uv
        g = F + 0.1
        v = v + g * uv - 0.1 * v
    return np.sum(v * v + u)


@pytest.mark.parametrize("f, target", [(gray_scott, "python"), (gain_carried, "python"),
                                       (gray_scott, "cpu")])
def test_fields_sharing_a_term(f, target):
    args = (GRID * 0.5 + 1.0, V0, 0.04, 0.06, 3) if f is gray_scott else \
        (GRID * 0.5 + 1.0, V0, 0.7, 3)
    wrt = tuple(range(len(args) - 1))
    value, _ = sd.value_and_grad(f, wrt=wrt, target=target)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    check_grad(f, args, wrt=wrt, target=target)


def test_fields_sharing_a_term_run_as_one_element_loop():
    code = _sweeps(gray_scott, (GRID, V0, 0.04, 0.06, 3), (0, 1, 2, 3))
    forward = code[:code.index("# -- reverse sweep")]
    body = "\n".join(ln for ln in forward.splitlines() if not ln.lstrip().startswith("#"))
    assert "np.roll" not in body, body
    # F + k, computed before the loop that reads it; both fields stored in it
    assert body.index("F + k") < body.index("_u_new[") < body.index("_v_new[") < \
        body.index("u = _u_new"), body
