"""The caller's arrays are left as they were, also when the function writes
into an argument through another name (``a = np.asarray(x)``, a reshaped
view) or through a helper it calls (``fill(x, c)``).  ``sd.jvp`` wrote into
the caller's ``x`` and tangent there, so a second call gave another answer."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd


def through_asarray(x, c):
    a = np.asarray(x)
    a[1:] = a[:-1] * c
    return np.sum(x * x)


def fill(a, c):
    a[1:] = a[:-1] * c


def through_a_helper(x, c):
    fill(x, c)
    return np.sum(x * x)


def through_a_flat_view(x, c):
    v = np.ravel(x)
    v *= c
    return np.sum(v)


def _same(a, b) -> bool:
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(_same, a, b))
    return np.array_equal(a, b)


def _call(f, mode, x, t):
    if mode == "jvp":
        return sd.jvp(f, wrt=(0, 1), target="python")(x, 0.5, (t, 1.0))
    if mode == "grad":
        return sd.value_and_grad(f, wrt=(0, 1), target="python")(x, 0.5)
    return sd.jvp(sd.grad(f, wrt=0, target="python"), wrt=0, target="python")(x, 0.5, t)


@pytest.mark.parametrize("f,modes", [
    (through_asarray, ["jvp"]),       # (reverse mode refuses it: x is read after the write)
    (through_a_helper, ["jvp", "grad", "hvp"]),
    (through_a_flat_view, ["jvp", "grad", "hvp"])])
def test_the_callers_arrays_are_kept(f, modes):
    x0, t0 = np.array([0.3, -1.2, 0.7, 1.5]), np.array([1.0, 2.0, 3.0, 4.0])
    for mode in modes:
        x, t = x0.copy(), t0.copy()
        first = _call(f, mode, x, t)
        assert np.array_equal(x, x0) and np.array_equal(t, t0), mode
        second = _call(f, mode, x, t)
        assert _same(first, second), mode
        if mode != "hvp":
            assert first[0] == pytest.approx(f(x0.copy(), 0.5)), mode


def test_reverse_mode_refuses_the_write_through_asarray():
    with pytest.raises(sd.TransformError, match="'a' shares memory with array 'x'"):
        _call(through_asarray, "grad", np.ones(4), np.ones(4))
