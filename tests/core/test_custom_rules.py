"""User derivative rules registered with @sd.adjoint: called from the
generated adjoint, visible in its source, used on both targets."""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

from . import custom_rule_funcs as C

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_one_input_rule(target):
    check_grad(C.model, (np.array([0.2, -0.4, 0.9]), 0.7), wrt=(0, 1), target=target)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_two_input_rule(target):
    check_grad(C.uses_two_inputs, (0.3, 0.8), wrt=(0, 1), target=target)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_the_registered_rule_is_the_one_used(target):
    # the user's rule wins over differentiating the function's own source
    assert sd.grad(C.uses_wrong, target=target)(0.5) == pytest.approx(3.0)


def test_rule_call_is_visible_in_the_generated_source():
    src = sd.grad(C.model, wrt=(0, 1)).source_for(np.array([0.1, 0.2]), 0.5)
    assert "adjoint_of_softplus(" in src


def test_two_user_functions_with_one_name_keep_their_own_rules():
    """Both modules define ``softplus`` with an ``@sd.adjoint`` rule: each
    gradient uses its own (a lookup by name once gave the other's rule)."""
    from . import custom_rule_funcs as first
    from . import same_name_rule_funcs as second
    x = np.array([0.3, -0.7, 1.1])
    for mod in (first, second):
        for target in ("python", "cpu"):
            check_grad(mod.model, (x, 0.7), (0, 1), target)


X5 = np.linspace(-1.0, 1.0, 5)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", [C.squared_lse, C.soft_min_table, C.windows])
def test_a_rule_for_a_function_returning_a_number_of_an_array(f, target):
    # its result is a number (the function returns one), not an array like its input
    check_grad(f, (X5,), wrt=0, target=target)


def test_a_rule_for_a_numpy_function_numba_cannot_compile():
    check_grad(C.squared_scipy_lse, (X5,), wrt=0, target="python")
    with pytest.raises(sd.TransformError, match=r"Numba cannot compile 'lse_scipy'.*"
                                                r"target='python'") as info:
        sd.grad(C.squared_scipy_lse, target="cpu")(X5)
    assert info.value.filename.endswith("custom_rule_funcs.py")
