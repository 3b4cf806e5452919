"""Fixtures for the Tensor tests: every semantics test runs against sourcediff and,
when it is installed, against real PyTorch, so each expectation is proven on the original.
"""

from __future__ import annotations

import gc

import pytest
from tensor_helpers import TORCH, needs_torch

import sourcediff


@pytest.fixture(scope="package", autouse=True)
def _frozen_older_objects():
    """Keep the objects made before the Tensor tests out of their ``gc.collect()`` calls.

    Several tests call ``gc.collect()`` to prove that a cycle they made is (or is not)
    freed.  By the time this package runs, the earlier packages have left millions of
    objects (Numba's compiled functions and their IR) in the oldest generation, and each
    full collection scanned them all: seconds per call.  ``gc.freeze()`` moves them to
    the permanent generation, which a collection skips; the objects a test makes are
    still created after the freeze and collected exactly as before (an older object
    can only hold a new one by being reachable, in which case it was never garbage).
    ``gc.unfreeze()`` hands them back to the collector when the package ends.
    """
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(params=["sourcediff", pytest.param("torch", marks=needs_torch)])
def lib(request):
    """The module under test: ``sourcediff`` or ``torch`` (same API, same expectations).

    PyTorch gives some warnings once per process (``create_graph=True`` with
    ``backward()``); whether a test sees one would depend on which tests ran before it
    in the same process (under ``pytest -n``, a different set each run), so the torch
    runs turn its warn-always mode on, as sourcediff warns every time.
    """
    if request.param != "torch":
        yield sourcediff
        return
    before = TORCH.is_warn_always_enabled()
    TORCH.set_warn_always(True)
    try:
        yield TORCH
    finally:
        TORCH.set_warn_always(before)


@pytest.fixture
def sd():
    return sourcediff
