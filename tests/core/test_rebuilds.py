"""When a transform is built again and when it is not.

``sd.grad(f)`` and ``sd.value_and_grad(f)`` share the module they build; a new
transform of ``f`` is built again once a helper ``f`` calls is bound to another
function (a notebook cell defining it again) or a rule is registered for
something it calls. Expected values are closed forms.
"""

import sourcediff as sd


def _square(x):
    return x * x


def _cube(x):
    return x * x * x


def _twice(x):
    return 2.0 * x


_helper = _square
_inner = _square


def calls_helper(x):
    return _helper(x) + 1.0


def _calls_inner(x):
    return _inner(x)


def calls_through_a_helper(x):
    return _calls_inner(x) + 1.0


def _ruled(x):
    return x * x


def calls_ruled(x):
    return 3.0 * _ruled(x)


def test_grad_and_value_and_grad_build_one_module():
    g = sd.grad(calls_helper, target="python")
    vg = sd.value_and_grad(calls_helper, target="python")
    assert g(3.0) == 6.0
    assert vg(3.0) == (10.0, 6.0)
    assert g._last is vg._last


def test_a_helper_bound_again_is_differentiated_as_it_is_now(monkeypatch):
    assert sd.grad(calls_helper, target="python")(3.0) == 6.0
    monkeypatch.setitem(globals(), "_helper", _cube)
    assert calls_helper(3.0) == 28.0
    # before: the helper parsed first (x * x) was inlined again, 6.0
    assert sd.grad(calls_helper, target="python")(3.0) == 27.0
    assert sd.value_and_grad(calls_helper, target="python")(3.0) == (28.0, 27.0)


def test_a_helper_of_a_helper_bound_again(monkeypatch):
    assert sd.grad(calls_through_a_helper, target="python")(3.0) == 6.0
    monkeypatch.setitem(globals(), "_inner", _twice)
    assert sd.grad(calls_through_a_helper, target="python")(3.0) == 2.0


def test_a_rule_registered_after_a_build_is_used_by_new_transforms():
    assert sd.grad(calls_ruled, target="python")(2.0) == 12.0

    @sd.adjoint(_ruled)
    def _(z, x, dz):
        return dz * 10.0       # not the derivative: shows the rule is the one called

    assert sd.grad(calls_ruled, target="python")(2.0) == 30.0
