"""What forward mode cannot do is a ``sd.TransformError`` pointing at the
user's line (``file:line:col``), never a wrong tangent; call-time mistakes are
TypeError/ValueError naming the argument."""
import inspect

import numpy as np
import pytest

import sourcediff as sd

from . import funcs as F

MARKER = "# <- error"


def marked_line(func):
    lines, start = inspect.getsourcelines(func)
    for k, line in enumerate(lines):
        if MARKER in line:
            return start + k
    raise AssertionError(f"{func.__name__} has no marked line")


@pytest.mark.parametrize("func, what", [
    (F.e_yield, "yield"), (F.e_try, "'try'"), (F.e_listcomp, "list comprehensions"),
])
def test_outside_the_subset_fails_when_the_transform_is_made(func, what):
    with pytest.raises(sd.TransformError) as info:
        sd.jvp(func, target="python")
    err = info.value
    assert what in err.message
    assert err.filename == inspect.getsourcefile(func)
    assert err.lineno == marked_line(func)
    assert f"{err.filename}:{err.lineno}:" in str(err)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_primitive_without_a_jvp_rule_is_named(target):
    with pytest.raises(sd.TransformError, match=r"no forward-mode \(JVP\) rule for "
                                                r"'only_adjoint\(y\)'.*defjvp") as info:
        sd.jvp(F.e_no_tangent_rule, target=target)(0.5, 1.0)
    assert info.value.lineno == marked_line(F.e_no_tangent_rule)
    # reverse mode has its rule: only forward mode refuses
    assert sd.grad(F.e_no_tangent_rule, target="python")(0.5) == pytest.approx(6.0)


def test_writing_through_a_view_reaches_the_tangent_of_its_base():
    # a[0] changes through the view v: d/dx (sum(a) + x) = 2, not 1
    value, t = sd.jvp(F.alias_write, target="python")(0.5, np.ones(3), 1.0)
    assert value == pytest.approx(3.0) and t == pytest.approx(2.0)
    a = np.ones(3)
    F.alias_write(0.5, a)
    assert a[0] == 0.5                      # the primal really writes through the view


def test_recursion_is_refused():
    with pytest.raises(sd.TransformError, match="recursive call"):
        sd.jvp(F.e_recursive, target="python")(3.0, 1.0)


def test_transforms_jvp_cannot_take():
    with pytest.raises(TypeError, match="sd.jvp cannot transform a VJP"):
        sd.jvp(sd.vjp(F.vec_out, target="python"))
    with pytest.raises(ValueError, match="unknown target"):
        sd.jvp(F.vec_out, target="gpu")
    with pytest.raises(ValueError, match="wrt='z' is not a parameter"):
        sd.jvp(F.vec_out, wrt="z")
    with pytest.raises(TypeError, match="cannot differentiate with respect to argument 'x'"):
        sd.jvp(F.vec_out, target="python")(np.arange(3), 0.5, np.ones(3))
