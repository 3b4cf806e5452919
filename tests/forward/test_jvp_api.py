"""``sd.jvp`` as a user calls it: array and tuple results, dtypes, argument
checks, ``@sd.function``'s ``.jvp``, custom rules (``sd.defjvp``), JAX's
conventions at non-differentiable points, and ``sd.jacobian``'s forward mode."""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

from . import funcs as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from jvpcheck import check_jvp

X = np.array([0.3, -0.7, 1.1, 0.4])
A = np.random.default_rng(2).uniform(-1, 1, (3, 3))


CASES = {
    "vec_out": (F.vec_out, (X, 0.8), (0, 1)),
    "loop_out": (F.loop_out, (X, 0.8), (0, 1)),
    "tuple_out": (F.tuple_out, (X, 0.8), (0, 1)),
    "matrix_out": (F.matrix_out, (A, X[:3]), (0, 1)),   # 2-d: python only (Numba compile time)
}


@pytest.mark.parametrize("name, target", [(n, "python") for n in CASES] +
                         [(n, "cpu") for n in ("vec_out", "loop_out", "tuple_out")])
def test_array_and_tuple_results(name, target):
    f, args, wrt = CASES[name]
    value, tangent = check_jvp(f, args, wrt, target)
    if isinstance(value, tuple):
        assert isinstance(tangent, tuple) and len(tangent) == len(value)
        assert tangent[1].shape == value[1].shape
    else:
        assert tangent.shape == value.shape


@pytest.mark.parametrize("target", ["python"])
def test_broadcasting_keeps_the_result_shape(target):
    M = np.random.default_rng(0).uniform(-1, 1, (3, 4))
    check_jvp(F.broadcast_row, (X, M), (0, 1), target)
    _, tangent = check_jvp(F.add_const_array, (X, M), 0, target)
    assert tangent.shape == (3, 4)
    np.testing.assert_allclose(tangent - tangent[0], 0.0)   # each row is the tangent of x


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_float32_in_float32_out(target):
    x = X.astype(np.float32)
    value, tangent = sd.jvp(F.vec_out, target=target)(x, np.float32(0.8), np.ones(4, np.float32))
    assert value.dtype == np.float32 and tangent.dtype == np.float32
    np.testing.assert_allclose(tangent, 0.8 * np.cos(X) + 1.0, rtol=1e-5)   # x[0]'s tangent is 1


def test_helpers_get_their_own_jvp():
    text = sd.jvp(F.helper_twice, wrt=(0, 1), target="python").source_for(X, 0.5, (X, 1.0))
    # one JVP per signature: sq of an array, sq of a float
    assert "def sq_jvp(v, v_dot):" in text and "def sq_2_jvp(v, v_dot):" in text
    assert "sq_jvp(_t1, _t1_dot)" in text and "sq_2_jvp(w, w_dot)" in text
    assert "def sq(" not in text          # no primal copy that nothing calls
    check_jvp(F.helper_twice, (X, 0.5), (0, 1), "python")


def test_arguments_and_tangents_are_not_modified():
    buf, x, t = np.zeros(4), X.copy(), np.ones(4)
    sd.jvp(F.writes_arg, wrt=(0, 1), target="python")(x, buf, (t, t))
    np.testing.assert_array_equal(buf, 0.0)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(t, 1.0)
    check_jvp(F.writes_arg, (X, np.zeros(4)), 0, "python")


@pytest.mark.parametrize("target", ["python"])   # the same generated source runs on cpu
def test_non_differentiable_points_follow_jax_and_agree_with_grad(target):
    # abs'(0) = 1 (JAX: x >= 0), max(x, x) splits the derivative, np.maximum at a tie too
    for x, y in [(0.0, 0.0), (0.5, 0.5), (-0.2, 0.3)]:
        _, t = sd.jvp(F.kinks, wrt=(0, 1), target=target)(x, y, (1.0, 0.25))
        gx, gy = sd.grad(F.kinks, wrt=(0, 1), target=target)(x, y)
        assert t == pytest.approx(gx * 1.0 + gy * 0.25, rel=1e-14)
    _, t = sd.jvp(F.kinks, wrt=0, target=target)(0.0, 0.0, 1.0)
    assert t == pytest.approx(1.0 + 0.5 + 2.0 * 0.5)
    v = np.array([0.0, 0.5, -0.3, 0.5])          # abs at 0, ties with w and in the max
    t_v = np.array([1.0, -2.0, 0.5, 3.0])
    _, t = sd.jvp(F.kinks_array, wrt=(0, 1), target=target)(v, 0.5, (t_v, 0.75))
    gv, gw = sd.grad(F.kinks_array, wrt=(0, 1), target=target)(v, 0.5)
    assert t == pytest.approx(float(gv @ t_v) + gw * 0.75, rel=1e-14)


def test_wrt_by_name_and_tuple():
    g = sd.jvp(F.vec_out, wrt=("w", "x"), target="python")
    _, t1 = g(X, 0.8, (1.0, np.zeros(4)))
    np.testing.assert_allclose(t1, np.sin(X))
    _, t2 = sd.jvp(F.vec_out, wrt="w", target="python")(X, 0.8, 1.0)
    np.testing.assert_allclose(t2, t1)


def test_tangent_checks():
    g = sd.jvp(F.vec_out, wrt=(0, 1), target="python")
    with pytest.raises(ValueError, match="tuple of 2 tangents"):
        g(X, 0.8, np.ones(4))
    with pytest.raises(ValueError, match="tangent of 'x' has shape"):
        g(X, 0.8, (np.ones(3), 1.0))
    with pytest.raises(TypeError, match="last positional argument"):
        g()
    with pytest.raises(TypeError, match="cannot differentiate with respect to argument 'w'"):
        sd.jvp(F.loop_out, wrt=1, target="python")(X, 2, 1.0)


def test_function_decorator_jvp_and_source():
    F_ = sd.function(F.vec_out)
    _, tangent = F_.jvp(wrt=1, target="python")(X, 0.8, 1.0)
    np.testing.assert_allclose(tangent, np.sin(X))
    text = F_.source("jvp", wrt=1)
    assert text.startswith("def vec_out_jvp(x, w, w_dot):")
    assert "_dot" in text and "_grad" not in text
    assert "# vec_out:" in text            # comments quote the user's lines


def test_no_tangent_code_for_inactive_values():
    text = sd.jvp(F.vec_out, wrt=1, target="python").source_for(X, 0.8, 1.0)
    assert "x_dot" not in text             # x is not differentiated: no tangent for x[0]
    assert "_t1_dot = np.cos(x)" not in text


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_defjvp_rule_is_called_and_visible(target):
    check_jvp(F.model, (X, 0.7), (0, 1), target)
    text = sd.jvp(F.model, wrt=(0, 1), target=target).source_for(X, 0.7, (X, 1.0))
    assert "jvp_of_softplus(" in text and "jvp_of_scaled_sin(" in text
    # the user's rule wins over differentiating the function's source
    assert sd.jvp(F.uses_wrong, target=target)(0.5, 1.0)[1] == pytest.approx(4.0)


def test_jacobian_forward_mode_uses_jvp():
    jf = sd.jacobian(F.vec_out, wrt=(0, 1), target="python", mode="forward")(X, 0.8)
    jr = sd.jacobian(F.vec_out, wrt=(0, 1), target="python", mode="reverse")(X, 0.8)
    for a, b in zip(jf, jr):
        np.testing.assert_allclose(a, b, rtol=1e-14)


def test_docstring_examples():
    import doctest

    import sourcediff.transforms.forward
    failures, tried = doctest.testmod(sourcediff.transforms.forward, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0
