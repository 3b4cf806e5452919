"""Fixes from the thirtieth session's new users: each test fails before its fix."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad

X = np.array([[1.0, -2.0], [3.0, -0.4], [0.1, 0.2]])


def gather_by_argmax(X):
    i = np.argmax(X, axis=1)          # one column per row: [0, 0, 1]
    return np.sum(X[0, i])            # X[0, 0] twice, X[0, 1] once


def row_minima_squared(X):
    j = np.argmin(X, axis=1)
    return np.sum(X[np.arange(X.shape[0]), j] ** 2)


def column_argmax_count(X):
    i = np.argmax(X, axis=0)
    return np.sum(X[i, np.arange(2)]) + np.sum(np.count_nonzero(X > 0.0, axis=1))


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", [gather_by_argmax, row_minima_squared, column_argmax_count])
def test_positions_along_an_axis_are_an_int_array(f, target):
    # np.argmax(X, axis=1) was typed as one int: the sum of the gathered row was
    # dropped (the value came back as an array) and repeated columns got one add
    value, _ = sd.value_and_grad(f, target=target)(X)
    assert np.ndim(value) == 0 and value == pytest.approx(f(X), rel=1e-14)
    check_grad(f, (X,), wrt=0, target=target)


def zero_d_from_a_literal(x):
    s = np.array(2.0)
    return np.sum(x * s) * np.asarray(3) + s


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_an_array_of_a_literal_number(target):
    # an AttributeError inside the activity analysis ('Constant' has no 'id')
    check_grad(zero_d_from_a_literal, (np.arange(3.0),), wrt=0, target=target)


_LOAD_BOTH = """
import sys
import numpy as np
import sourcediff as sd
from tests.core.test_user_reports_30 import X, column_argmax_count, row_minima_squared
fs = {"r": row_minima_squared, "c": column_argmax_count}
for k in sys.argv[1]:
    value = sd.value_and_grad(fs[k], target="cpu")(X)[0]
    assert abs(value - fs[k](X)) < 1e-12, (k, value, fs[k](X))
"""


def test_argmax_and_argmin_compiled_apart_and_loaded_together(tmp_path):
    # each compiled in a process of its own, then both loaded from the cache in
    # one: Numba's argmax and argmin along an axis were one closure, compiled
    # under one name in both processes, and the second loaded ran the first's
    # code (argmin for argmax: 2.1 for 7.2)
    import os
    import subprocess
    import sys
    from pathlib import Path
    env = dict(os.environ, SOURCEDIFF_CACHE_DIR=str(tmp_path),
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    for order in ("c", "r", "rc", "cr"):
        subprocess.run([sys.executable, "-c", _LOAD_BOTH, order], env=env, check=True)
