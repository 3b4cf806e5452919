"""Periodic neighbours picked by a test on the loop index (``j + 1 if j < n - 1
else 0``): the reverse sweep runs the iterations at the ends apart and the
loop between them without the tests (passes/peel_ends.py), so that its adds
are carried and split like those of ``j + 1`` (rolling_sums, split_adds).  A
new user's periodic 2-D wave equation: 6.7 -> 4.4 ms, 7.4x -> 4.9x its primal.

Each form of the test, remainders ``(j + c) % n``, both ends, loops counting
up and down, lengths at and below the ends (1, 2, 3: the parts overlap or are
empty) are checked against finite differences; the source shows where the
loop was split."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.bench.programs import wave as W
from tests.fdcheck import check_grad

# a new user's periodic 2-D wave: neighbours by tests on the index (the bench's program)
wave = W.wave_index_tests


def other_tests(u0, c, steps):
    """The same wrap written with other tests, each branch order."""
    n = u0.shape[0]
    u = u0.copy()
    for t in range(steps):
        unew = np.empty(n)
        for j in range(n):
            jp = 0 if j == n - 1 else j + 1
            jm = n - 1 if j == 0 else j - 1
            jq = j + 1 if j + 1 < n else 0
            jl = j - 1 if j >= 1 else n - 1
            unew[j] = u[j] + c[j] * (u[jp] - 2.0 * u[j] + u[jm]) + 0.1 * np.sin(u[jq] * u[jl])
        u = unew
    return np.sum(u * u)


def two_apart(u0, c, steps):
    """A neighbour two places on: the last two iterations apart."""
    n = u0.shape[0]
    u = u0.copy()
    for t in range(steps):
        unew = np.empty(n)
        for j in range(n):
            j2 = j + 2 if j < n - 2 else j + 2 - n
            unew[j] = u[j] + c[j] * (u[j2] - u[j])
        u = unew
    return np.sum(u * u)


def carried(u0, c, steps):
    """A sum carried along the loop: its reverse keeps counting down."""
    n = u0.shape[0]
    u = u0.copy()
    for t in range(steps):
        s = 0.0
        for j in range(n):
            jp = j + 1 if j < n - 1 else 0
            s = 0.5 * s + c[j] * u[jp]
            u[j] = u[j] + 0.1 * np.tanh(s)
    return np.sum(u * u)


def not_an_end(u0, c, steps):
    """A test against a name that is not the loop's length: left as it is."""
    n = u0.shape[0]
    m = n // 2
    u = u0.copy()
    for t in range(steps):
        unew = np.empty(n)
        for j in range(n):
            k = j + 1 if j < m else j - 1
            unew[j] = u[j] + c[j] * u[k]
        u = unew
    return np.sum(u * u)


def remainders(u0, c, steps):
    """Neighbours by the remainder, inline and named, ``(j - 1 + n) % n`` too:
    ``j + 1`` and ``j - 1`` themselves between the ends."""
    n = u0.shape[0]
    u = u0.copy()
    for t in range(steps):
        unew = np.empty(n)
        for j in range(n):
            jp = (j + 1) % n
            unew[j] = u[j] + c[j] * (u[jp] - 2.0 * u[j] + u[(j - 1 + n) % n]) * u[(j + 2) % n]
        u = unew
    return np.sum(u * u)


def chained(u0, c, steps):
    """``jm2`` tested on ``jm``, itself picked by a test on ``j`` (a second-order
    upwind stencil): read in a second round, the first two iterations apart."""
    n = u0.shape[0]
    u = u0.copy()
    for t in range(steps):
        unew = np.empty(n)
        for j in range(n):
            jm = j - 1 if j > 0 else n - 1
            jm2 = jm - 1 if jm > 0 else n - 1
            unew[j] = u[j] - c[j] * (1.5 * u[j] - 2.0 * u[jm] + 0.5 * u[jm2]) * u[j]
        u = unew
    return np.sum(u * u)


def ring_energy(x, w):
    """A remainder, and a test on the name it set: ``im`` is ``i - 1`` from the
    second iteration on, so ``im > 0`` from the third (two rounds)."""
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        ip = i + 1 if i < n - 1 else 0
        im = (i - 1 + n) % n
        im2 = im - 1 if im > 0 else n - 1
        s += w * (x[ip] - x[i]) ** 2 + x[im] * x[i] * x[im2]
    return s


def _args(f, n, seed=0):
    if f is wave:
        return W.make_args({"n": n, "steps": 3})
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n), 0.5 + 0.1 * rng.random(n), 3


ONE_D = [other_tests, two_apart, carried, not_an_end, remainders, chained]


@pytest.mark.parametrize(("f", "n"), [(f, n) for f in [wave] + ONE_D for n in (1, 2, 3, 6)
                                      if not (f is two_apart and n == 1)])   # u[1] of 1
def test_gradients_match_finite_differences(f, n):
    check_grad(f, _args(f, n), wrt=(0, 1), target="python")


def test_compiled_wave_matches_finite_differences():
    check_grad(wave, _args(wave, 5), wrt=(0, 1), target="cpu")


def test_compiled_one_d_programs_agree_with_python_target():
    for f in ONE_D:
        args = _args(f, 7, seed=1)
        want = sd.grad(f, wrt=(0, 1), target="python")(*args)
        got = sd.grad(f, wrt=(0, 1))(*args)
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def _source(f, n=6):
    return sd.grad(f, wrt=(0, 1), target="python").source_for(*_args(f, n))


def _loop(text, header, after=""):
    """The lines of the loop that ``header`` (or one of several) starts, the
    first after ``after`` (an end run apart: in the reverse sweep; the forward
    sweep's loops run their ends apart too)."""
    if after.startswith("# the ") and "# -- reverse sweep" in text:
        text = text[text.index("# -- reverse sweep"):]
    lines = text[text.index(after):].split("\n")
    headers = (header,) if isinstance(header, str) else header
    k = next(k for k, line in enumerate(lines) if line.strip() in headers)
    depth = len(lines[k]) - len(lines[k].lstrip())
    out = [lines[k]]
    for line in lines[k + 1:]:
        if line.strip() and len(line) - len(line.lstrip()) <= depth:
            break
        if not line.strip().startswith("#"):      # (the user's lines, quoted)
            out.append(line)
    return "\n".join(out)


# (counting up or down: ascending.py turns the reverse loop round when it can)
MIDDLE = ("for j in range(1, n - 1):", "for j in range(n - 2, 0, -1):")


def test_the_wave_loop_runs_its_ends_apart_and_the_middle_without_tests():
    text = _source(wave)
    assert "# the last iteration apart" in text and "# the first iteration apart" in text
    middle = _loop(text, MIDDLE, "# the first iteration apart")
    # the neighbours are offsets in the middle: carried in locals, no test left
    assert "u[i, j + 1]" in middle and "u[i, j - 1]" in middle
    assert "du_j_plus_1" in middle and " if " not in middle


def test_each_form_of_the_test_is_read():
    text = _source(other_tests)
    middle = _loop(text, MIDDLE, "# the first iteration apart")
    assert " if " not in middle
    assert "u[j + 1]" in middle and "u[j - 1]" in middle


def test_two_iterations_apart_and_a_carried_loop_counting_down():
    text = _source(two_apart)
    assert "# the last 2 iterations apart" in text
    # (its reverse counts up: the select's temporary ``j2 + 2 - n`` is set first
    # in its branch and read nowhere after it)
    assert " if " not in _loop(text, ("for j in range(n - 3, -1, -1):", "for j in range(n - 2):"),
                               "-- reverse")
    text = _source(carried)
    assert "# the last iteration apart" in text
    assert " if " not in _loop(text, "for j in range(n - 2, -1, -1):", "# the last iteration")


def test_remainders_are_the_sums_between_the_ends():
    text = _source(remainders)
    assert "# the first iteration apart" in text and "# the last 2 iterations apart" in text
    middle = _loop(text, ("for j in range(1, n - 2):", "for j in range(n - 3, 0, -1):"),
                   "# the first iteration apart")
    assert "%" not in middle and "u[j + 2]" in middle and "u[j - 1]" in middle


def test_a_test_on_a_tested_name_is_read_in_a_second_round():
    text = _source(chained)
    assert "# the first 2 iterations apart" in text
    middle = _loop(text, ("for j in range(2, n):", "for j in range(n - 1, 1, -1):"),
                   "# the first 2 iterations apart")
    assert " if " not in middle and "u[j - 2]" in middle and "u[j - 1]" in middle


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_a_test_on_a_remainder_is_read_after_it(n):
    x = np.random.default_rng(n).standard_normal(n)
    check_grad(ring_energy, (x, 0.7), wrt=(0, 1), target="python")
    text = sd.grad(ring_energy, wrt=0, target="python").source_for(np.ones(7), 0.7)
    assert "# the first 2 iterations apart" in text and "# the last iteration apart" in text


@pytest.mark.parametrize("target", ["cpu", "parallel", "cuda"])
def test_batched_kernels_agree_with_python(target):
    """(cuda: on a GPU where one is present, else Numba's simulator)"""
    x = np.random.default_rng(5).standard_normal((3, 7))
    want = [sd.grad(ring_energy, wrt=0, target="python")(row, 0.7) for row in x]
    got = sd.grad(ring_energy, wrt=0, target=target, batch=(0, None))(x, 0.7)
    np.testing.assert_allclose(got, np.array(want), rtol=1e-12, atol=1e-12)


def test_a_test_not_at_an_end_is_kept():
    text = _source(not_an_end)
    assert "apart" not in text
    reverse = _loop(text, ("for j in range(n - 1, -1, -1):", "for j in range(n):"),
                    "# -- reverse sweep")
    assert "_c" in reverse and " if " in reverse


def ring_reads(u0, c, steps):
    """Reads through remainders only (a forward sweep's periodic stencil)."""
    n = u0.shape[0]
    u = u0.copy()
    for t in range(steps):
        un = np.empty(n)
        for j in range(n):
            un[j] = u[j] + c * (u[(j + 1) % n] - 2.0 * u[j] + u[(j - 1) % n])
        u = un
    return np.sum(u * u * u)


def test_the_forward_sweep_reads_between_the_ends_without_a_remainder():
    # (a division per read otherwise: Lorenz-96 with index loops 0.098 -> 0.065 ms)
    text = sd.grad(ring_reads, wrt=(0, 1), target="python").source_for(np.ones(6), 0.2, 3)
    forward = text[text.index("# -- forward sweep"):text.index("# -- reverse sweep")]
    middle = _loop(forward, MIDDLE)
    assert "u[j + 1]" in middle and "u[j - 1]" in middle and "%" not in middle, middle
    assert "wrap_index" not in middle, middle


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_forward_ends_apart_match_finite_differences(n, target):
    u0 = np.random.default_rng(n).standard_normal(n)
    check_grad(ring_reads, (u0, 0.2, 3), wrt=(0, 1), target=target)
