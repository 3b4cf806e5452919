"""Periodic indices without a division (passes/wrap_indices.py): an integer
``a % n`` of generated code reads ``wrap_index(a, n)``, which is ``a`` where
``0 <= a < n`` and ``a % n`` elsewhere.  Checked: the helper against Python's
``%`` (compiled and not), which remainders the pass takes (integers it can see
in the function; not floats, index arrays or constant divisors), and gradients
of periodic programs against central finite differences, the fallback (offsets
beyond the length) included, on the python, cpu and batched targets."""
from __future__ import annotations

import ast
import itertools
import math

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.passes.wrap_indices import wrap_periodic_indices
from sourcediff.runtime.helpers import wrap_index
from tests.fdcheck import check_grad


def test_wrap_index_is_the_remainder():
    for i, n in itertools.product(range(-9, 10), [-4, -1, 1, 2, 3, 7]):
        assert wrap_index(i, n) == i % n, (i, n)
    with pytest.raises(ZeroDivisionError):
        wrap_index(3, 0)


def test_compiled_wrap_index_is_the_remainder():
    numba = pytest.importorskip("numba")
    from sourcediff.runtime.declare import install_numba_overloads
    install_numba_overloads()

    @numba.njit
    def table(lo, hi, ns):
        out = np.empty((hi - lo, ns.shape[0]), np.int64)
        for i in range(lo, hi):
            for k in range(ns.shape[0]):
                out[i - lo, k] = wrap_index(i, ns[k])
        return out

    ns = np.array([-4, -1, 1, 2, 3, 7])
    want = np.array([[i % n for n in ns] for i in range(-9, 10)])
    np.testing.assert_array_equal(table(-9, 10, ns), want)


def _wrapped(src, int_params=(), int_arrays=()):
    fn = ast.parse(src).body[0]
    out = wrap_periodic_indices(fn, int_params, int_arrays)
    return ast.unparse(out), ast.unparse(fn)


def test_integer_remainders_are_rewritten_and_the_input_is_left_alone():
    src = """
def g(x, k):
    _shape = x.shape
    n = _shape[0]
    s = 0.0
    for j in range(n):
        jp = (j + 1) % n
        s += x[jp] * x[(j - k) % x.shape[0]]
    return s
"""
    out, before = _wrapped(src, ["k"])
    assert "wrap_index(j + 1, n)" in out and "wrap_index(j - k, x.shape[0])" in out, out
    assert "%" not in out and "wrap_index" not in before


@pytest.mark.parametrize("expr", [
    "k = t % 2",                   # a constant divisor: LLVM needs no division
    "k = a % n",                   # a float
    "k = x[(idx + 1) % n]",        # an array of integers
    "k = x[(j + 1) % m]",          # m is an integer in one binding, a float in another
    "k = x[(j + 1) % q]",          # a parameter of unknown type
    "k = x[j] if j % t == 0 else 0.0",   # a test, mostly out of range: not an index
])
def test_other_remainders_stay(expr):
    src = f"""
def g(x, idx, q, t):
    n = x.shape[0]
    a = x[0] * 2.0
    m = 3
    if t > 1:
        m = 2.5
    s = 0.0
    for j in range(n):
        {expr}
        s += k
    return s
"""
    out, _ = _wrapped(src, ["t"])
    assert "wrap_index" not in out, out
    # (the same remainder of integers as an index is rewritten)
    out, _ = _wrapped(src.replace(expr, "k = x[(j + 1) % t]"), ["t"])
    assert "wrap_index(j + 1, t)" in out, out


def test_only_remainders_of_the_innermost_counter_are_rewritten():
    # (i + 1) % n of the outer counter is one value per row: LLVM hoists it
    src = """
def g(x, n):
    s = 0.0
    for i in range(n):
        ip = (i + 1) % n
        for j in range(n):
            s += x[(i + 1) % n, j] * x[i, (j + 1) % n] * x[ip, (i - 1) % n]
    return s
"""
    out, _ = _wrapped(src, ["n"])
    assert "ip = wrap_index(i + 1, n)" in out and "x[(i + 1) % n, j]" in out, out
    assert "x[i, wrap_index(j + 1, n)]" in out and "x[ip, (i - 1) % n]" in out, out


def test_elements_of_integer_arrays_and_restored_counters_are_integers():
    src = """
def g(x, cells, steps):
    _saved = np.empty(steps, np.int64)
    n = 0
    for t in range(steps):
        n = _saved[t]
        s = x[(cells[t] + 1) % n]
    return s
"""
    out, _ = _wrapped(src, ["steps"], ["cells"])
    assert "wrap_index(cells[t] + 1, n)" in out, out


# -- gradients ---------------------------------------------------------------

def ring(x, c, steps):
    """A periodic stencil with the user's remainders, forward and back."""
    n = x.shape[0]
    u = x.copy()
    for t in range(steps):
        v = np.empty(n)
        for j in range(n):
            v[j] = u[j] + c * (u[(j + 1) % n] - 2.0 * u[j] + u[(j - 1) % n]) \
                + 0.1 * u[(j + 2) % n] * u[(j - 2 + n) % n]
        u = v
    return np.sum(u * u)


def far_offsets(x, k):
    """Offsets larger than the length: the fallback ``%`` runs (k an argument)."""
    n = x.shape[0]
    s = 0.0
    for j in range(n):
        s += x[j] * x[(j + 5) % n] + math.sin(x[(j - k) % n]) * x[(3 * j + k) % n]
    return s


def phases(theta, w):
    """A float remainder (a phase wrapped into [0, 2 pi)) stays ``%``."""
    s = 0.0
    for j in range(theta.shape[0]):
        p = (theta[j] * w) % (2.0 * math.pi)
        s += p * p
    return s


CASES = [
    (ring, lambda r: (r.standard_normal(6), 0.2, 3), (0, 1)),
    (ring, lambda r: (r.standard_normal(2), 0.3, 2), (0, 1)),     # n = 2: all wrap
    (far_offsets, lambda r: (r.standard_normal(3), 7), (0,)),
    (far_offsets, lambda r: (r.standard_normal(9), -4), (0,)),
    (phases, lambda r: (r.uniform(0.1, 3.0, 5), 2.1), (0, 1)),
]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_gradients_match_finite_differences(case, target):
    f, make, wrt = CASES[case]
    check_grad(f, make(np.random.default_rng(case)), wrt=wrt, target=target)


def test_the_user_remainders_read_as_wraps_in_both_sweeps():
    x = np.random.default_rng(0).standard_normal(6)
    text = sd.value_and_grad(ring, wrt=(0, 1)).source_for(x, 0.2, 3)
    code = "\n".join(ln for ln in text.splitlines() if not ln.strip().startswith("#"))
    assert " % " not in code and code.count("wrap_index(") >= 8, code
    phase = sd.value_and_grad(phases, wrt=(0, 1)).source_for(x, 2.1)
    assert "wrap_index" not in phase and " % " in phase


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_batched_periodic_gradients_agree_with_python(target):
    """(cuda: on a GPU where one is present, else Numba's simulator)"""
    xs = np.random.default_rng(3).standard_normal((3, 5))
    want = [sd.grad(far_offsets, wrt=0, target="python")(row, 7) for row in xs]
    got = sd.grad(far_offsets, wrt=0, target=target, batch=(0, None))(xs, 7)
    np.testing.assert_allclose(got, np.array(want), rtol=1e-12, atol=1e-12)
