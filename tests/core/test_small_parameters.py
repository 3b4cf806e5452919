"""A small array parameter copied into a loop's state (``y = y0.copy()``)
is specialized on its shape (small_arrays.shape_seeds): the state becomes
scalars as when its elements are listed (``np.array([y0[0], y0[1]])``), each
shape its own entry of the cache, any length still right."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.frontend.source import get_source
from sourcediff.passes.small_arrays import SMALL, shape_seeds
from tests.core import small_array_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(5)
OSC = (np.array([1.0, -0.3]), 2.0, 0.05, 6)
CASES = [
    (P.rk4_copied_state, OSC, (0, 1, 2)),
    (P.damped_any_length, (rng.uniform(-1, 1, 3), 0.7, 5), (0, 1)),
    (P.damped_any_length, (rng.uniform(-1, 1, 1), 0.7, 5), (0, 1)),
    (P.damped_any_length, (rng.uniform(-1, 1, SMALL + 3), 0.7, 5), (0, 1)),   # not small
    (P.covariance_steps, (np.array([[1.0, 0.2], [0.1, 0.8]]),
                          np.array([[0.9, 0.1], [-0.2, 0.95]]), 0.01, 4), (0, 1, 2)),
    (P.parameter_read_whole_in_a_call, (np.array([0.4, 0.2]), 1.5, 4), (0, 1)),
]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def test_copied_state_is_scalars_like_listed_state():
    g = sd.value_and_grad(P.rk4_copied_state, wrt=(0, 1), target="python")
    text = "\n".join(line for line in g.source_for(*OSC).splitlines()
                     if not line.lstrip().startswith("#"))     # (comments quote the user)
    adjoint = text[text.index("_grad("):]
    assert "y0_0 = y0[0]" in adjoint and "y_1 = " in adjoint
    for array_code in (".append(", "np.array", "empty_stack", "= []"):
        assert array_code not in adjoint, array_code
    # the one array left: the parameter's gradient
    assert [line.strip() for line in adjoint.splitlines() if "zeros_like" in line] == \
        ["dy0 = np.zeros_like(y0)"]
    listed = sd.value_and_grad(P.rk4_listed_state, wrt=(0, 1), target="python")(*OSC)
    value, grads = g(*OSC)
    assert value == pytest.approx(listed[0], rel=1e-14)
    np.testing.assert_allclose(grads[0], listed[1][0], rtol=1e-13)
    assert grads[1] == pytest.approx(listed[1][1], rel=1e-13)


def test_each_shape_is_its_own_entry():
    # one transform called with states of three lengths, a small one again last
    g = sd.value_and_grad(P.damped_any_length, wrt=(0, 1), target="python")
    for n in (2, 5, SMALL + 1, 2):
        x0 = np.linspace(-0.5, 0.7, n)
        value, (dx0, _dc) = g(x0, 0.7, 4)
        assert value == pytest.approx(P.damped_any_length(x0, 0.7, 4), rel=1e-13)
        assert dx0.shape == (n,)
        check_grad(P.damped_any_length, (x0, 0.7, 4), wrt=(0, 1), target="python")
    assert "x0_1 = x0[1]" in g.source_for(np.zeros(2), 0.7, 4)
    assert "x0_1" not in g.source_for(np.zeros(SMALL + 1), 0.7, 4)


def test_which_parameters_are_specialized():
    def seeds(f):
        return shape_seeds(get_source(f).tree)
    assert seeds(P.rk4_copied_state) == (0,)
    assert seeds(P.covariance_steps) == (0,)
    assert seeds(P.damped_any_length) == (0,)
    # the elements listed: the state's parameter is not read whole (a and h, read
    # whole in the loop with a state of a constant shape, are numbers when
    # called: no shape, nothing specialized); written into: never
    assert 0 not in seeds(P.rk4_listed_state)
    # a matrix read whole only in the loop, with a state made np.zeros(2) and
    # np.eye(2) (a Kalman filter's transition matrix); the matrix of covariance_steps,
    # read with a state copied from an argument, is not (above)
    assert seeds(P.kalman_transition_argument) == (1,)
    assert seeds(P.parameter_written) == ()


def test_written_parameter_keeps_its_array():
    args = (np.array([0.4, 0.2]), 1.5, 3)
    g = sd.value_and_grad(P.parameter_written, wrt=(0, 1), target="python")
    assert "y0_0 = y0[0]" not in g.source_for(*args)
    check_grad(P.parameter_written, args, wrt=(0, 1), target="python")


BUFFER = (np.array([1.0, 0.2]), 9.81, 0.01, 7)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_element_loops_over_a_small_state(target):
    check_grad(P.euler_output_buffer, BUFFER, wrt=(0, 1, 2), target=target)
    check_grad(P.index_read_after_the_loop, BUFFER, wrt=(0, 1, 2), target=target)


def test_element_loops_over_a_small_state_are_written_out():
    text = sd.value_and_grad(P.euler_output_buffer, wrt=(0, 1), target="python") \
        .source_for(*BUFFER)
    adjoint = text[text.index("def euler_output_buffer_grad"):]
    assert "for i in range(2)" not in adjoint and ".append(" not in adjoint
    assert "y_1 = " in adjoint and "k_1 = " in adjoint
    kept = sd.value_and_grad(P.index_read_after_the_loop, wrt=(0, 1), target="python") \
        .source_for(*BUFFER)
    assert "for i in range(2)" in kept
