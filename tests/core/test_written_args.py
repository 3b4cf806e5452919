"""A user function that writes into an array argument and whose result is
used: the call works on a copy and returns the result and the array, so the
adjoint sees both (a wrong gradient before: the VJP read the array after the
call had changed it)."""
import numpy as np
import pytest

from tests.core import written_arg_funcs as W
from tests.fdcheck import check_grad

X = np.array([0.3, 0.7, 0.9])


@pytest.mark.parametrize("f", [W.result_only, W.result_and_array, W.called_in_a_loop],
                         ids=lambda f: f.__name__)
def test_gradient_matches_finite_differences(f):
    check_grad(f, (X, 1.3), wrt=(0, 1), target="python")


def test_on_cpu():
    check_grad(W.result_and_array, (X, 1.3), wrt=(0, 1), target="cpu")
