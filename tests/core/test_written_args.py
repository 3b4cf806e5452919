"""A user function that writes into an array argument and whose result is
used: the call works on a copy and returns the result and the array, so the
adjoint sees both (a wrong gradient before: the VJP read the array after the
call had changed it)."""
import numpy as np
import pytest

import sourcediff as sd
from tests.core import written_arg_callers as C
from tests.core import written_arg_funcs as W
from tests.fdcheck import check_grad

X = np.array([0.3, 0.7, 0.9])
CALLERS = [W.result_only, W.result_and_array, W.called_in_a_loop, C.result_and_array,
           C.called_in_a_loop]


@pytest.mark.parametrize("f", CALLERS, ids=lambda f: f"{f.__module__[12:]}.{f.__name__}")
def test_gradient_matches_finite_differences(f):
    check_grad(f, (X, 1.3), wrt=(0, 1), target="python")


def test_the_helper_is_called_where_it_is_not_inlined():
    source = sd.grad(C.result_and_array, wrt=(0, 1), target="python").source_for(X, 1.3)
    assert "h_scale_written_vjp(" in source
    inlined = sd.grad(W.result_and_array, wrt=(0, 1), target="python").source_for(X, 1.3)
    assert "_vjp(" not in inlined        # inlined where its globals agree


def test_on_cpu():
    check_grad(C.result_and_array, (X, 1.3), wrt=(0, 1), target="cpu")
