"""What a new user met in the sixteenth session (second batch): float16
arguments, numba.prange loops, keyword-only helper parameters, print and
assert statements, None defaults and string flags."""
import math
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from numba import prange

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

import sourcediff as sd


# -- float16 arguments: Numba has none on the CPU (it leaked NotImplementedError)
def sum_of_squares(x):
    return np.sum(x * x)


def scaled_sum(x, s):
    return np.sum(x) * s


def test_float16_refused_by_name_on_cpu_runs_on_python():
    x = np.ones(3, dtype=np.float16)
    with pytest.raises(TypeError, match=r"argument 'x' of sum_of_squares\(\).*float16.*"
                                        r"Numba.*float32"):
        sd.value_and_grad(sum_of_squares, target="cpu")(x)
    with pytest.raises(TypeError, match=r"argument 's' of scaled_sum\(\).*float16"):
        sd.value_and_grad(scaled_sum, target="cpu")(np.ones(3), np.float16(2.0))
    with pytest.raises(TypeError, match=r"argument 'x' of sum_of_squares\(\).*float16"):
        sd.value_and_grad(sum_of_squares, batch=True, target="cpu")(
            np.ones((2, 3), dtype=np.float16))
    # the python target runs NumPy, which has float16
    x = np.array([0.5, 1.5, -2.0], dtype=np.float16)
    value, g = sd.value_and_grad(sum_of_squares, target="python")(x)
    assert value == pytest.approx(float(sum_of_squares(x)))
    np.testing.assert_allclose(g, 2 * x)


# -- numba.prange in the loop header is range (it was "no derivative rule") ---
def sines_over_prange(x):
    s = 0.0
    for i in numba.prange(x.shape[0]):
        s += math.sin(x[i]) * x[i]
    return s


def neighbours_over_prange(x, w):
    s = 0.0
    for i in prange(1, x.shape[0]):
        s += w[i] * x[i] * x[i - 1]
    return s


def buffer_over_prange(x):
    out = np.zeros_like(x)
    for i in prange(x.shape[0]):
        out[i] = x[i] ** 2
    return np.sum(out * x)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_prange_loops_are_range_loops(target):
    x = np.array([0.3, -1.2, 0.8, 2.0])
    check_grad(sines_over_prange, (x,), target=target)
    check_grad(neighbours_over_prange, (x, x + 1.0), wrt=(0, 1), target=target)
    check_grad(buffer_over_prange, (x,), target=target)


def test_prange_in_a_parallel_numba_function():
    x = np.array([0.3, -1.2, 0.8, 2.0])
    value, _ = sd.value_and_grad(numba.njit(parallel=True)(sines_over_prange))(x)
    assert value == pytest.approx(sines_over_prange(x), rel=1e-12)
    check_grad(sines_over_prange, (x,), target="parallel")
