"""What a new user met in the sixteenth session (second batch): float16
arguments, numba.prange loops, keyword-only helper parameters, print and
assert statements, None defaults and string flags."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad  # noqa: F401  (used below)

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
