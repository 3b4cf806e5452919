"""A user's ``assert`` stays a check where it runs (passes/normalize.py
``check_assert``): gradients of valid arguments as without it, the
AssertionError of the function for the others (grad, value_and_grad, jvp,
hessian, the batched cpu target), left out only where nothing can raise."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def guarded(a, b):
    assert a > 0.0, "a must be positive"
    s = 0.0
    for i in range(5):           # (a loop: more trips than passes/unroll.py writes out)
        t = a * i + b
        assert t < 100.0
        s += t * t
    return s


def shaped(x, y):
    assert x.shape == y.shape
    assert np.all(x > -10.0), "bounded"
    z = x * y
    return np.sum(z * z)


def literal(a, b):
    assert {}
    return a * b


def outside_the_subset(x):
    assert x.dtype == np.float64
    assert True                 # (decided now: no check emitted)
    return np.sum(x * x)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_valid_arguments_get_their_gradient(target):
    check_grad(guarded, (1.3, 2.0), wrt=(0, 1), target=target)
    check_grad(shaped, (np.linspace(0.1, 1.0, 5), np.linspace(1.0, 2.0, 5)), wrt=(0, 1),
               target=target)
    check_grad(outside_the_subset, (np.linspace(0.1, 1.0, 5),), wrt=0, target=target)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_the_function_s_assertion_error_with_its_message(target):
    for args, message in (((-1.0, 2.0), "a must be positive"), ((1.0, 200.0), "t < 100.0")):
        with pytest.raises(AssertionError):     # (pytest rewrites this module's asserts)
            guarded(*args)
        with pytest.raises(AssertionError, match=message):
            sd.grad(guarded, wrt=(0, 1), target=target)(*args)
        with pytest.raises(AssertionError, match=message):
            sd.value_and_grad(guarded, wrt=0, target=target)(*args)
        with pytest.raises(AssertionError, match=message):
            sd.jvp(guarded, wrt=0, target=target)(*args, 1.0)
    x = np.linspace(0.1, 1.0, 5)
    with pytest.raises(AssertionError, match="bounded"):
        sd.grad(shaped, target=target)(x - 20.0, x)
    with pytest.raises(AssertionError, match="x.shape == y.shape"):
        sd.grad(shaped, target=target)(x, x[:4])
    with pytest.raises(AssertionError):
        sd.grad(literal, target=target)(1.0, 2.0)


def test_second_derivatives_keep_the_check():
    assert sd.hessian(guarded)(1.3, 2.0) == pytest.approx(2.0 * sum(i * i for i in range(5)))
    with pytest.raises(AssertionError, match="a must be positive"):
        sd.hessian(guarded)(-1.0, 2.0)


def test_the_check_runs_in_the_forward_sweep_only():
    text = sd.grad(guarded, wrt=(0, 1), target="python").source_for(1.3, 2.0)
    grad = text.split("def guarded_grad(", 1)[1]
    forward, reverse = grad.split("# -- reverse sweep", 1)
    assert "check_assertion(_t1, 'a must be positive')" in forward
    assert "check_assertion(" in reverse.split("# -- last loop", 1)[-1]   # fused: its iteration
    assert reverse.count("check_assertion(") == 1
    # a test the subset has no form for is left out, as under python -O; so is `assert True`
    other = sd.grad(outside_the_subset, target="python").source_for(np.ones(3))
    assert "check_assertion" not in other


def test_batched_cpu_raises_and_parallel_leaves_the_check_out():
    a, b = np.array([1.0, 2.0]), np.array([2.0, 3.0])
    expected = sd.grad(guarded, wrt=(0, 1), batch=True, target="cpu")(a, b)
    with pytest.raises(AssertionError, match="a must be positive"):
        sd.grad(guarded, wrt=(0, 1), batch=True, target="cpu")(-a, b)
    # (an exception inside a prange loop does not reach the caller: no check there)
    g = sd.grad(guarded, wrt=(0, 1), batch=True, target="parallel")
    assert "check_assertion" not in g.source_for(a, b)
    for got, want in zip(g(a, b), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)
