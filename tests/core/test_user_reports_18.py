"""Fixes from the eighteenth session's reports: each test fails before its fix."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.core import user18_funcs as U
from tests.fdcheck import check_grad

G5 = np.linspace(0.1, 1.0, 5)
X = np.array([0.3, -0.2, 0.7, 1.1, 0.4])


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args", [
    (U.copied_each_step, (G5, 3)),
    (U.old_copy_then_new, (G5, 3)),
    (U.copied_each_step, (np.linspace(0.1, 1.0, 20), 2)),
], ids=["copy", "old_copy", "copy_large"])
def test_a_small_state_rebound_to_its_copy(f, args, target):
    # arrays of up to 16 elements become one number per element; the copy made
    # ``g_4 = g_4``, refused as an internal error ("both assigned and read")
    check_grad(f, args, wrt=0, target=target)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args", [
    (U.deposit_reset, (X, 4)),
    (U.row_store_2d, (X, 4, 3)),
], ids=["zeros_n", "zeros_n_m"])
def test_an_array_sized_by_a_whole_number_argument_stored_by_slices(f, args, target):
    # the slice store's element loop took its length from the whole-number argument as
    # if it were an array (``ng.shape[0]``: AttributeError on python, TypingError on cpu)
    check_grad(f, args, wrt=0, target=target)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_rows_given_to_a_helper_have_adjoint_buffers_made_once(target):
    rng = np.random.default_rng(8)
    args = (rng.normal(size=(3, 2)), rng.normal(size=(4, 2)), 0.3)
    check_grad(U.kernel_sums, args, wrt=(0, 1, 2), target=target)
    # ``a = Xq[q]``, ``b = X[i]`` are rows of arrays nothing writes: their adjoints are the
    # same rows of ``dXq`` and ``dX`` (passes/view_adjoints.py), no buffer is made for
    # them (they were made in every iteration of the nest, then once after the loops)
    source = sd.value_and_grad(U.kernel_sums, wrt=(0, 1, 2), target=target).source_for(*args)
    made = [line for line in source.splitlines() if "= np.zeros_like(" in line]
    assert not [line for line in made if line.strip().startswith(("da ", "db "))], made
    lines = [line.strip() for line in source.splitlines()]
    assert "da = dXq[q]" in lines and "db = dX[i]" in lines, source
