"""Loops over a few coordinates written out (passes/unroll.py): which loops
the pass writes out and how (the counter a constant in each copy, set after
the copies where it is read later), then programs against finite
differences on both targets, and the coordinate loop's gradient equal to the
one written out by hand."""
import ast
import math
import textwrap

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.passes.unroll import unroll_short_loops
from tests.fdcheck import check_grad


def _unrolled(src: str) -> str:
    fn = ast.parse(textwrap.dedent(src)).body[0]
    unroll_short_loops(fn, {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)})
    return ast.unparse(fn)


def test_a_loop_over_three_coordinates_becomes_three_copies():
    out = _unrolled("""
        def f(X, i):
            s = 0.0
            for a in range(3):
                d = X[i + 1, a] - X[i, a]
                s += d * d
            return s
    """)
    assert "for " not in out
    # (a name per copy for what each trip sets first: d, d_v2, d_v3)
    assert [ln.strip() for ln in out.splitlines() if "X[" in ln] == [
        f"{d} = X[i + 1, {a}] - X[i, {a}]" for a, d in enumerate(["d", "d_v2", "d_v3"])]
    assert "s += d_v3 * d_v3" in out


def test_nested_short_loops_and_a_counter_read_after():
    out = _unrolled("""
        def f(A, x):
            s = 0.0
            for a in range(1, 3):
                for b in range(2):
                    s += A[a, b] * x[b]
            return s + a
    """)
    assert "for " not in out
    assert out.count("s += A[") == 4 and "s += A[2, 1] * x[1]" in out
    assert out.splitlines()[-2].strip() == "a = 2"


@pytest.mark.parametrize("loop", [
    "for a in range(5):\n        s += x[a]",                 # too many trips
    "for a in range(n):\n        s += x[a]",                 # not a constant
    "for a in range(3):\n        if x[a] > 0.0:\n            break\n        s += x[a]",
    "for a in range(3):\n        s += x[a]\n    else:\n        s = 0.0",
    "for a in range(3):\n        a = a + 1\n        s += x[a]",
    "for a in range(3):\n        for i in range(n):\n            s += x[i] * a",  # steps of a nest
])
def test_loops_it_leaves(loop):
    out = _unrolled(f"def f(x, n):\n    s = 0.0\n    {loop}\n    return s\n")
    assert "for a in range(" in out


def chain_loop(X, k):
    e = 0.0
    for i in range(X.shape[0] - 1):
        r2 = 0.0
        for a in range(3):
            d = X[i + 1, a] - X[i, a]
            r2 += d * d
        e += k * (math.sqrt(r2) - 1.0) ** 2
    return e


def chain_written_out(X, k):
    e = 0.0
    for i in range(X.shape[0] - 1):
        dx = X[i + 1, 0] - X[i, 0]
        dy = X[i + 1, 1] - X[i, 1]
        dz = X[i + 1, 2] - X[i, 2]
        e += k * (math.sqrt(dx * dx + dy * dy + dz * dz) - 1.0) ** 2
    return e


def counter_after(x, w):
    s = 0.0
    for a in range(3):
        s += w * x[a] * x[a]
    for t in range(2):
        for b in range(2):
            s += x[a - b] * w ** (t + 1)
    return s * (a + 1)


def blocks(A, x):
    y = np.zeros(2)
    for i in range(x.shape[0] // 2):
        for a in range(2):
            for b in range(2):
                y[a] += A[a, b] * x[2 * i + b]
    return np.sum(y * y)


X9 = np.cumsum(np.random.default_rng(2).standard_normal((9, 3)), axis=0)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_programs(target):
    check_grad(chain_loop, (X9, 1.3), (0, 1), target)
    check_grad(counter_after, (np.array([0.3, -1.2, 0.8]), 0.7), (0, 1), target)
    A = np.array([[0.5, -1.0], [2.0, 0.25]])
    check_grad(blocks, (A, np.linspace(-1.0, 1.0, 6)), (0, 1), target)


def test_the_loop_and_the_written_out_coordinates_give_one_adjoint():
    g_loop = sd.value_and_grad(chain_loop, wrt=(0, 1), target="python")
    g_out = sd.value_and_grad(chain_written_out, wrt=(0, 1), target="python")
    value, (dX, dk) = g_loop(X9, 1.3)
    value2, (dX2, dk2) = g_out(X9, 1.3)
    assert value == pytest.approx(value2, rel=1e-14) and dk == pytest.approx(dk2, rel=1e-14)
    np.testing.assert_allclose(dX, dX2, rtol=1e-13, atol=1e-13)
    # no buffer of the next row's adjoints indexed by the coordinate: scalars
    text = g_loop.source_for(X9, 1.3)
    assert not any(ln.strip().startswith("for a in") for ln in text.splitlines())


def chain_rows(X, k):
    e = 0.0
    for i in range(X.shape[0] - 1):
        d = X[i + 1] - X[i]
        e += k * (math.sqrt(np.sum(d * d)) - 1.0) ** 2
    return e


def test_the_element_loops_of_a_row_of_known_length_are_written_out_compiled():
    # the compiled gradient is specialized on rows of 3 (backends/row_lengths.py): the
    # element loops ``d = X[i + 1] - X[i]`` becomes count to 3 and are written out
    compiled = sd.value_and_grad(chain_rows, wrt=(0, 1))
    value, (dX, dk) = compiled(X9, 1.3)
    value2, (dX2, dk2) = sd.value_and_grad(chain_written_out, wrt=(0, 1))(X9, 1.3)
    assert value == pytest.approx(value2, rel=1e-13) and dk == pytest.approx(dk2, rel=1e-13)
    np.testing.assert_allclose(dX, dX2, rtol=1e-12, atol=1e-12)
    loops = [ln.strip() for ln in compiled.source_for(X9, 1.3).splitlines()
             if ln.strip().startswith("for ")]
    assert loops and all("X.shape[1]" not in ln and "range(3)" not in ln for ln in loops)
    # the Python target is not specialized on rows: its element loops stay
    text = sd.grad(chain_rows, wrt=0, target="python").source_for(X9, 1.3)
    assert any("range(X.shape[1])" in ln for ln in text.splitlines()
               if ln.strip().startswith("for "))
    check_grad(chain_rows, (X9, 1.3), (0, 1), "cpu")
    # rows of four: compiled anew, counting to 4
    X4 = np.concatenate([X9, np.ones((9, 1))], axis=1)
    check_grad(chain_rows, (X4, 0.7), (0, 1), "cpu")


def test_row_loops_count_to_the_length_only_of_parameters_never_rebound():
    from sourcediff.passes.unroll import known_row_loops
    fn = ast.parse(textwrap.dedent("""
        def f(X, Y, n):
            for j in range(X.shape[1]):
                s = X[0, j]
            for j in range(X.shape[0]):
                s = X[j, 0]
            Y = Y + 1.0
            for j in range(Y.shape[1]):
                s = Y[0, j]
            for j in range(n):
                s = X[0, j]
    """)).body[0]
    assert known_row_loops(fn, {"X": (2, 3), "Y": (2, 3)})
    bounds = [ast.unparse(s.iter.args[0]) for s in fn.body if isinstance(s, ast.For)]
    assert bounds == ["3", "X.shape[0]", "Y.shape[1]", "n"]
