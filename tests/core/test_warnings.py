"""Numba's performance hints about generated code (``'@' is faster on
contiguous arrays``, pointing into sourcediff's cache directory) are lines
the user did not write: the cpu target does not show them. The same program
compiled by plain ``numba.njit`` still gets its hint (the filter is about
generated files only), which also shows that the program triggers one."""
from __future__ import annotations

import warnings

import numba
import numpy as np
from numba.core.errors import NumbaPerformanceWarning

import sourcediff as sd
from tests.core.warning_funcs import strided_product

A = np.arange(12.0).reshape(3, 4) / 10.0
V = np.array([1.0, -2.0])


def hints(call) -> list:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        call()
    return [w for w in caught if issubclass(w.category, NumbaPerformanceWarning)]


def test_generated_code_compiles_without_performance_hints(monkeypatch, tmp_path):
    monkeypatch.setenv("SOURCEDIFF_CACHE_DIR", str(tmp_path))     # compiled here, now
    assert hints(lambda: sd.value_and_grad(strided_product)(A, V)) == []


def test_the_users_own_numba_functions_keep_their_hints():
    found = hints(lambda: numba.njit(strided_product)(A, V))
    assert found and "contiguous" in str(found[0].message)
