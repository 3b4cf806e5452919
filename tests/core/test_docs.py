"""The examples in the public docstrings run and print what they show."""
import doctest

import pytest

import sourcediff
import sourcediff.rules.registry
import sourcediff.transforms.function
import sourcediff.transforms.grad
import sourcediff.transforms.higher
import sourcediff.transforms.vjp

MODULES = [sourcediff, sourcediff.transforms.grad, sourcediff.transforms.function,
           sourcediff.transforms.vjp, sourcediff.transforms.higher, sourcediff.rules.registry]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module):
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failures == 0
