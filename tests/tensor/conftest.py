"""Fixtures for the Tensor tests: every semantics test runs against sourcediff and,
when it is installed, against real PyTorch, so each expectation is proven on the original.
"""

from __future__ import annotations

import pytest
from tensor_helpers import TORCH, needs_torch

import sourcediff


@pytest.fixture(params=["sourcediff", pytest.param("torch", marks=needs_torch)])
def lib(request):
    """The module under test: ``sourcediff`` or ``torch`` (same API, same expectations)."""
    return TORCH if request.param == "torch" else sourcediff


@pytest.fixture
def sd():
    return sourcediff
