"""What a new user met in the sixteenth session (second batch): float16
arguments, numba.prange loops, keyword-only helper parameters, print and
assert statements, None defaults and string flags."""
import math
import sys
import warnings
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


# -- keyword-only parameters of a helper: bound by name where it is called ----
# (they were refused with "call 'h' with an argument for each parameter")
def scaled_square(a, *, c=1.0):
    return c * a * a


def rate_times(x, *, rate):
    return rate * x


def fill_scaled(out, x, *, c=2.0):
    out[:] = c * x


def clipped(v, *, lo=-1.0, hi):
    if v < lo:
        return lo * v
    if v > hi:
        return hi * v
    return v * v


def helper_keyword_in_a_loop(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += scaled_square(x[i], c=3.0)
    return s


def helper_keyword_defaults(x):
    return np.sum(scaled_square(x)) + np.sum(rate_times(x, rate=x[0]))


def helper_keyword_writes(x):
    o = np.zeros(3)
    fill_scaled(o, x, c=1.5)
    return np.sum(o * x)


def helper_keyword_stays_a_call(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += clipped(x[i], hi=0.5)
    return s + np.sum(x)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_keyword_only_parameters_of_helpers(target):
    x = np.array([0.3, -1.2, 0.8])
    for f in (helper_keyword_in_a_loop, helper_keyword_defaults, helper_keyword_writes,
              helper_keyword_stays_a_call):
        check_grad(f, (x,), target=target)


def misses_a_keyword(x):
    return np.sum(rate_times(x))


def unknown_keyword(x):
    return np.sum(scaled_square(x, scale=2.0))


def keyword_only_root(x, *, scale=2.0):
    return np.sum(x) * scale


def test_keyword_only_mistakes_are_named_at_the_line():
    x = np.array([0.3, -1.2, 0.8])
    with pytest.raises(sd.TransformError, match=r"test_user_reports_16b.py:\d+:\d+: cannot call "
                                                r"'rate_times' here: parameter 'rate' of "
                                                r"'rate_times' has no argument"):
        sd.grad(misses_a_keyword, target="python")(x)
    with pytest.raises(sd.TransformError, match=r"test_user_reports_16b.py:\d+:\d+: cannot call "
                                                r"'scaled_square' here: 'scaled_square' has no "
                                                r"parameter 'scale'"):
        sd.grad(unknown_keyword, target="python")(x)
    with pytest.raises(sd.TransformError, match=r"keyword-only parameters are not supported "
                                                r"in the function transformed: make 'scale'"):
        sd.grad(keyword_only_root, target="python")


# -- print and assert: left out of the transformed code (they were refused) ----
def prints_and_asserts(x):
    assert x.shape[0] == 3, "three values"
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] ** 2
        print("partial sum", i, s)
    if s > 100.0:
        print("big:", s)
    assert s >= 0.0
    return s * helper_that_prints(x)


def helper_that_prints(v):
    print(f"helper got {v}")
    assert v.ndim == 1
    return np.sum(np.sin(v))


def _fill(o, x):
    o[:] = x
    return 1.0


def print_of_a_writing_helper(x):
    o = np.zeros(3)
    print(_fill(o, x))
    return np.sum(o * x)


def prints_its_value(x):
    s = np.sum(x * x)
    print("s =", s)
    return s


def test_a_left_out_print_is_said_once_at_its_line():
    x = np.array([0.3, -1.2, 0.8])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for _ in range(2):
            sd.grad(prints_its_value, target="python")(x)
    said = [w for w in record if "print(...)" in str(w.message)]
    assert len(said) == 1 and said[0].filename == __file__
    assert "is left out of the transformed code of 'prints_its_value'" in str(said[0].message)


@pytest.mark.filterwarnings("ignore:print")
@pytest.mark.parametrize("target", ["python", "cpu"])
def test_print_and_assert_are_left_out(target):
    x = np.array([0.3, -1.2, 0.8])
    check_grad(prints_and_asserts, (x,), target=target)
    # a print whose argument writes into an array is not left out silently
    with pytest.raises(sd.TransformError, match=r"test_user_reports_16b.py:\d+:\d+: print\(\.\.\.\) "
                                                r"is left out .* it calls '_fill'"):
        sd.grad(print_of_a_writing_helper, target=target)(x)


# -- a string flag or None default: the transform specializes on its value -----
# (they were refused: "unsupported constant 'sum'", "unsupported constant None")
def weighted(x, w=None):
    if w is None:
        w = np.ones_like(x)
    return np.sum(w * x * x)


def reduced(x, mode="sum", scale=2.0):
    if mode == "sum":
        s = np.sum(x * x)
    elif mode in ("max", "top"):
        s = np.max(x * x)
    else:
        s = 0.0
        for i in range(x.shape[0]):
            s += math.sin(x[i])
    return s * scale if mode != "raw" else s


def loss(x, reduction="mean", w=None):
    out = 0.0
    for i in range(x.shape[0]):
        out += x[i] ** 2 if w is None else w[i] * x[i] ** 2
    if reduction == "mean":
        return out / x.shape[0]
    return out


def calls_flagged_helpers(x, mode="max"):
    return loss(x) + loss(x, "sum", x * 2.0) + reduced(x, mode) + reduced(x, mode="raw")


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_string_flags_and_none_defaults(target):
    x = np.array([0.3, -1.2, 0.8])
    w = np.array([1.0, 2.0, 3.0])
    check_grad(weighted, (x,), target=target)
    check_grad(weighted, (x, w), wrt=(0, 1), target=target)
    for mode in ("sum", "max", "top", "other", "raw"):
        check_grad(reduced, (x, mode), target=target)
    check_grad(loss, (x,), target=target)
    check_grad(loss, (x, "sum", w), wrt=(0, 2), target=target)
    check_grad(calls_flagged_helpers, (x,), target=target)
    check_grad(calls_flagged_helpers, (x, "sum"), target=target)
    # one transform, a module per value: the values do not mix up
    df = sd.value_and_grad(reduced, target=target)
    for mode in ("max", "sum", "max"):
        value, _ = df(x, mode=mode)
        assert value == pytest.approx(reduced(x, mode), rel=1e-14)


def flag_as_a_number(x, mode="sum"):
    return np.sum(x) * mode


def test_a_string_argument_used_as_a_value_is_named_at_its_line():
    x = np.array([0.3, -1.2, 0.8])
    with pytest.raises(sd.TransformError, match=r"test_user_reports_16b.py:\d+:\d+: argument "
                                                r"'mode' is 'sum', which is supported only in "
                                                r"the test of an 'if'"):
        sd.grad(flag_as_a_number, target="python")(x)
    with pytest.raises(TypeError, match=r"cannot differentiate with respect to argument "
                                        r"'mode' of reduced\(\): it is 'sum'"):
        sd.grad(reduced, wrt=1, target="python")(x, "sum")
