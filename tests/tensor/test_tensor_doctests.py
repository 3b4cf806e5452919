"""The examples in the Tensor API's docstrings run and print what they claim."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "sourcediff.tensor.core", "sourcediff.tensor.creation", "sourcediff.tensor.grad_mode",
    "sourcediff.tensor.engine", "sourcediff.tensor.rng", "sourcediff.tensor.custom_function",
    "sourcediff.tensor.gradcheck", "sourcediff.nn.module", "sourcediff.tensor.functional",
    "sourcediff.tensor.func", "sourcediff.tensor.anomaly", "sourcediff.utils.checkpoint",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), verbose=False)
    assert result.failed == 0
    assert result.attempted > 0
