"""``np.interp(x, xp, fp)`` differentiated with respect to the points, the knots
and the values (rules/arrayfuncs.py, runtime/interp.py): against central
differences on both targets away from the knots, against ``jax.grad`` of the
same source where JAX is installed (the same side at a knot: the segment to its
right), forward mode, and what stays refused."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forward"))
from jvpcheck import check_hvp, check_jvp

XK = np.array([0.0, 0.7, 1.5, 2.2, 3.0])
YK = np.sin(XK) + 0.3
# below, inside, above the knots; none on a knot (finite differences straddle the kink)
Q = np.array([-0.5, 0.2, 0.9, 1.55, 2.5, 3.5, 2.9])


def fit(q, yk, xk):
    """Points as an array and one at a time, through a non-linear loss."""
    s = 0.0
    v = np.interp(q, xk, yk)
    for i in range(q.shape[0]):
        s += v[i] * v[i] + math.sin(np.interp(q[i] * 0.5, xk, yk))
    return s


def knot_sides(q, yk, xk):
    return np.sum(np.interp(q, xk, yk) * q)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_gradient_matches_finite_differences(target):
    check_grad(fit, (Q, YK, XK), wrt=(0, 1, 2), target=target)


@pytest.mark.parametrize("target", ["python"])
def test_forward_mode_matches_finite_differences(target):
    check_jvp(fit, (Q, YK, XK), (0, 1, 2), target)


def test_at_a_knot_the_segment_to_its_right_counts():
    """x on a knot: the slope of the segment starting there (the last segment's at
    the last knot, none past it), as jax.numpy.interp's gradient."""
    q = np.array([0.7, 1.5, 3.0, 0.0])
    g = sd.grad(knot_sides, wrt=0, target="python")(q, YK, XK)
    slopes = np.diff(YK) / np.diff(XK)
    value = np.interp(q, XK, YK)
    np.testing.assert_allclose(g, value + q * slopes[[1, 2, 3, 0]], rtol=1e-13)
    jax = pytest.importorskip("jax", reason="JAX is an optional peer")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    ref = jax.grad(lambda q: jnp.sum(jnp.interp(q, XK, YK) * q))(q)
    np.testing.assert_allclose(g, np.asarray(ref), rtol=1e-13)


def test_agrees_with_jax():
    jax = pytest.importorskip("jax", reason="JAX is an optional peer")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def fit_jax(q, yk, xk):
        v = jnp.interp(q, xk, yk)
        return jnp.sum(v * v) + jnp.sum(jnp.sin(jnp.interp(q * 0.5, xk, yk)))

    ours = sd.grad(fit, wrt=(0, 1, 2), target="python")(Q, YK, XK)
    ref = jax.grad(fit_jax, argnums=(0, 1, 2))(Q, YK, XK)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-12, atol=1e-14)


def left_value(q, yk, xk):
    return np.sum(np.interp(q, xk, yk, left=0.0))


def test_what_is_not_covered_is_refused():
    with pytest.raises(sd.TransformError, match="'left=' of 'np.interp' is not supported"):
        sd.grad(left_value, target="python")(Q, YK, XK)


def times_point(x):
    return np.interp(x, XK, YK) * x


@pytest.mark.parametrize("wrt", [0, 1, 2])
def test_second_derivatives_match_finite_differences_of_the_gradient(wrt):
    # (refused: the rule's helpers had no tangents; the error pointed into the adjoint)
    check_hvp(fit, (Q, YK, XK), wrt, "python")
    check_hvp(knot_sides, (Q, YK, XK), wrt, "python")


def test_second_derivatives_compiled():
    # the knots' tangents reach every helper of the rule's (points and knots moving)
    check_hvp(fit, (Q, YK, XK), 2, "cpu")


def test_second_derivative_of_a_point():
    # d/dx (interp(x) x) = slope x + interp(x): the second derivative is twice the slope
    d2 = sd.grad(sd.grad(times_point, target="python"), target="python")(0.4)
    assert d2 == pytest.approx(2.0 * (YK[1] - YK[0]) / (XK[1] - XK[0]), rel=1e-14)
