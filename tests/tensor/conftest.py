"""Fixtures for the Tensor tests: every semantics test runs against sourcediff and,
when it is installed, against real PyTorch, so each expectation is proven on the original.
"""

from __future__ import annotations

import pytest

import sourcediff

if not hasattr(sourcediff, "Tensor"):  # pragma: no cover - only before the package exports them
    from sourcediff import autograd, nn, optim
    from sourcediff import tensor as _tensor_api

    for _name in _tensor_api.__all__:
        setattr(sourcediff, _name, getattr(_tensor_api, _name))
    sourcediff.autograd, sourcediff.nn, sourcediff.optim = autograd, nn, optim

from tensor_helpers import TORCH, needs_torch


@pytest.fixture(params=["sourcediff", pytest.param("torch", marks=needs_torch)])
def lib(request):
    """The module under test: ``sourcediff`` or ``torch`` (same API, same expectations)."""
    return TORCH if request.param == "torch" else sourcediff


@pytest.fixture
def sd():
    return sourcediff
