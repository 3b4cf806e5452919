"""The examples in the public docstrings run and print what they show."""
import doctest

import pytest

import sourcediff
import sourcediff.api
import sourcediff.jacobians


@pytest.mark.parametrize("module", [sourcediff, sourcediff.api, sourcediff.jacobians])
def test_docstring_examples(module):
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failures == 0
