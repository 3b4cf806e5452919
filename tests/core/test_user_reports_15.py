"""What new users and testers met in the fifteenth session."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

import sourcediff as sd


# -- an integer array in a product with floats (NumPy converts it) -----------
def weighted_by_counts(x, counts):
    return np.dot(x, counts) * 2.0


def through_incidence(x, incidence):
    return np.sum((x @ incidence) ** 2)


def rows_of_counts(x, counts):
    s = 0.0
    for i in range(counts.shape[0]):
        s += np.dot(x, counts[i]) ** 2
    return s


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_integer_array_times_float_array(target):
    x = np.array([0.3, -1.2, 0.8])
    m = np.array([[1, 0, 2], [0, 3, 1], [1, 1, 0]])
    check_grad(weighted_by_counts, (x, np.array([2, 0, 5])), target=target)
    check_grad(through_incidence, (x, m), target=target)
    check_grad(rows_of_counts, (x, m), target=target)
    value, _ = sd.value_and_grad(through_incidence, target=target)(x, m)
    assert value == pytest.approx(through_incidence(x, m), rel=1e-14)


# -- complex arrays: refused at the line (they had a zero gradient) -----------
def into_complex(x):
    z = x.astype(np.complex128)
    return np.sum(np.abs(z))


def complex_buffer(x):
    z = np.zeros(x.shape[0], dtype=np.complex128)
    for i in range(x.shape[0]):
        z[i] = x[i]
    return np.sum(np.abs(z) ** 2)


@pytest.mark.parametrize("f", [into_complex, complex_buffer])
def test_complex_arrays_are_refused_not_zero(f):
    with pytest.raises(sd.TransformError, match="unsupported dtype np.complex128"):
        sd.value_and_grad(f, target="python")(np.array([0.5, 1.0, 2.0]))
