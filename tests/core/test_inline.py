"""Small user helpers are inlined into their callers before differentiation
(passes/inline.py); helpers that are recursive, have a registered rule or are
too big stay calls with adjoints of their own."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.passes import inline

from . import custom_rule_funcs as C
from . import inline_funcs as H

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

X = np.array([0.3, -0.7, 1.1, 0.4])


def sum_squash(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += H.squash(x[i])
    return s


def run_cells(z0, w, steps):
    n = w.shape[0]
    c = np.zeros(n)
    h = np.zeros(n)
    s = 0.0
    for t in range(steps):
        z = z0 * (t + 1.0)
        H.gates(z, c, h)
        for j in range(n):
            s += w[j] * h[j]
    return s


def twice_in_one_expression(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += H.squash(x[i]) * H.squash(x[i + 1]) + H.scaled(x[i])
    return s


def clashing_names(x):
    s = x[0]
    s = s + H.scaled(s) + H.halve_then_sin(x[1])
    return s


def recursive(x):
    return H.rec(x, 3)


def mutually_recursive(x):
    return H.ping(x, 3)


def _with_other_xp():
    xp = math        # 'xp' here is not the helper module's NumPy

    def other_xp(x):
        return xp.sin(x) + H.squash(x)
    return other_xp


def march(c, k, xs):
    """``blend`` in a while loop per ray, in a 5-step loop, and once after."""
    total = 0.0
    for i in range(xs.shape[0]):
        t = 0.0
        n = 0
        while n < 6:
            t += 0.5 * H.blend(xs[i] + t, 0.3 * t, c, k)
            n += 1
        for _ in range(5):
            t -= 0.1 * H.blend(xs[i] + t, 0.2, c, k)
        total += t * t + H.blend(t, xs[i], c, k)
    return total


def source(func, *args):
    return sd.grad(func, target="python").source_for(*args)


def test_helper_returning_a_value():
    check_grad(sum_squash, (X,), target="python")
    text = source(sum_squash, X)
    assert "squash_vjp" not in text and "def squash" not in text
    assert "squash_result = " in text
    # the inlined statement quotes the helper's own line, then where it was inlined
    lines = Path(H.__file__).read_text().splitlines()
    line = 1 + next(k for k, s in enumerate(lines) if "return 1.0 / (1.0 + xp.exp(-v))" in s)
    call = 1 + next(k for k, s in enumerate(Path(__file__).read_text().splitlines())
                    if "s += H.squash(x[i])" in s)
    assert f"# squash:{line}  return 1.0 / (1.0 + xp.exp(-v))  (inlined at sum_squash:{call})" \
        in text


def test_helper_writing_into_array_arguments():
    z0 = np.linspace(-0.8, 0.9, 9)
    check_grad(run_cells, (z0, np.array([0.5, -1.2, 0.8]), 3), wrt=(0, 1), target="python")
    text = source(run_cells, z0, np.ones(3), 3)
    code = "\n".join(line.split("#")[0] for line in text.splitlines())
    assert "gates" not in code                           # no call, no adjoint of its own
    assert "(inlined at gates:" in text                   # squash, inlined into gates first


def test_helper_called_twice_and_names_kept_apart():
    check_grad(twice_in_one_expression, (X,), target="python")
    check_grad(clashing_names, (X,), target="python")


def test_recursive_helpers_stay_calls():
    for func in (recursive, mutually_recursive):
        with pytest.raises(sd.TransformError, match="recursive call"):
            sd.grad(func, target="python")(0.5)


def test_registered_rules_are_still_used():
    assert sd.grad(C.uses_wrong, target="python")(0.5) == pytest.approx(3.0)
    assert "adjoint_of_softplus(" in sd.grad(C.model, wrt=(0, 1), target="python").source_for(
        X, 0.5)


def test_helper_whose_globals_mean_something_else_here_stays_a_call():
    other_xp = _with_other_xp()
    assert sd.grad(other_xp, target="python")(0.3) == pytest.approx(
        math.cos(0.3) + math.exp(-0.3) / (1.0 + math.exp(-0.3)) ** 2)
    assert "squash_vjp" in source(other_xp, 0.3)


def test_helper_over_the_size_limit_stays_a_call(monkeypatch):
    monkeypatch.setattr(inline, "MAX_STATEMENTS", 1)
    check_grad(run_cells, (np.linspace(-0.5, 0.5, 6), np.array([0.3, 0.9]), 2), wrt=(0, 1),
               target="python")
    assert "gates_written_vjp" in source(run_cells, np.ones(6), np.ones(2), 2)


def euler_pendulum(th1, th2, m2, damp, steps):
    w1, w2 = 0.0, 0.3
    for k in range(steps):
        d1, d2, a1, a2 = H.pendulum_rhs(th1, th2, w1, w2, 1.0, m2, 1.0, 0.7, damp)
        th1 += 0.01 * d1
        th2 += 0.01 * d2
        w1 += 0.01 * a1
        w2 += 0.01 * a2
    return th1 * th1 + math.sin(th2) + w1 * w2


def test_a_larger_helper_is_copied_into_its_busiest_call_site_only():
    """A copy is compiled again with its adjoint: ``blend`` (17 statements) is
    copied into the while loop's call, the others stay calls of its own
    adjoint; ``MAX_COPIED`` statements in all."""
    c, xs = np.array([0.2, 0.1, 0.8, -0.3, 0.4, 0.6]), np.array([-0.5, 0.1, 0.7])
    assert 2 * inline.make_helper(H.blend, (), {}).size > inline.MAX_COPIED
    import ast
    text = sd.grad(march, wrt=(0, 1), target="python").source_for(c, 0.3, xs)
    primal = next(n for n in ast.parse(text).body
                  if isinstance(n, ast.FunctionDef) and n.name == "march")

    def calls(node):
        return [ast.unparse(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)
                and "blend" in ast.unparse(n.func)]
    # (the while loop counts to 6: a for loop once normalized, the first inner loop)
    loop = [n for n in ast.walk(primal) if isinstance(n, (ast.For, ast.While))][1]
    assert len(calls(primal)) == 2 and not calls(loop)
    assert "math.exp" in ast.unparse(loop)
    check_grad(march, (c, 0.3, xs), wrt=(0, 1), target="python")
    check_grad(march, (c, 0.3, xs), wrt=(0, 1), target="cpu")


def rk4_chain(y0, p, h, steps):
    y = y0.copy()
    k1 = np.empty(4)
    k2 = np.empty(4)
    k3 = np.empty(4)
    k4 = np.empty(4)
    for t in range(steps):
        H.chain_rhs(y, p, k1)
        H.chain_rhs(y + 0.5 * h * k1, p, k2)
        H.chain_rhs(y + 0.5 * h * k2, p, k3)
        H.chain_rhs(y + h * k3, p, k4)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y[0] * y[1] + y[2] * y[2]


CHAIN = (np.array([0.3, -0.2, 0.1, 0.0]), np.array([9.8, 0.7, 0.05]), 0.02, 6)


def test_sites_that_run_equally_often_are_all_copied():
    """Found by a new user: copied at two of its four RK4 stages, the other two
    stayed calls whose adjoints kept their arrays on lists in every step (3.5x
    the gradient); its four sites are in one loop, so all four are copied."""
    assert 2 * inline.make_helper(H.chain_rhs, (), {}).size <= inline.MAX_COPIED < \
        4 * inline.make_helper(H.chain_rhs, (), {}).size
    text = sd.value_and_grad(rk4_chain, wrt=(0, 1), target="python").source_for(*CHAIN)
    assert "chain_rhs" not in "\n".join(ln for ln in text.splitlines()
                                         if not ln.lstrip().startswith("#"))
    assert ".append(" not in text
    check_grad(rk4_chain, CHAIN, wrt=(0, 1), target="python")
    check_grad(rk4_chain, CHAIN, wrt=(0, 1), target="cpu")


def test_large_formula_of_numbers_stays_a_call():
    args = (1.2, -0.4, 0.8, 0.05, 5)
    assert inline._formula_operations(inline.get_source(H.pendulum_rhs).tree) > \
        inline.MAX_FORMULA_OPERATIONS
    assert "pendulum_rhs_vjp" in source(euler_pendulum, *args)
    check_grad(euler_pendulum, args, wrt=(0, 1, 2, 3), target="python")
    check_grad(euler_pendulum, args, wrt=(0, 1, 2, 3), target="cpu")


def test_small_formula_of_numbers_is_inlined():
    assert 0 < inline._formula_operations(inline.get_source(H.squash).tree) <= \
        inline.MAX_FORMULA_OPERATIONS
    assert "squash_vjp" not in source(sum_squash, X)


def test_forward_mode_through_inlined_helpers():
    z0, w = np.linspace(-0.8, 0.9, 9), np.array([0.5, -1.2, 0.8])
    direction = np.linspace(1.0, -1.0, 9)
    value, tangent = sd.jvp(run_cells, wrt=0, target="python")(z0, w, 3, direction)
    h = 1e-6
    fd = (run_cells(z0 + h * direction, w, 3) - run_cells(z0 - h * direction, w, 3)) / (2 * h)
    assert value == pytest.approx(run_cells(z0, w, 3))
    assert tangent == pytest.approx(fd, rel=1e-6)


def test_lstm_benchmark_helpers_on_cpu():
    """The benchmark's helper style (njit helpers, one writing into c and h): one compile."""
    from sourcediff.bench.programs import lstm
    args = lstm.make_args(lstm.SIZES["small"])
    check_grad(lstm.lstm_helpers, args, wrt=lstm.WRT, target="cpu", check_value=False)


def calls_matmul_of(x):
    return H.matmul_of(x, 2.0)


def unused_result(x):
    H.scaled(x)
    return x


def test_errors_point_at_the_call_and_name_the_helper_line():
    with pytest.raises(sd.TransformError, match=r"test_inline.py:\d+:\d+: matrix product needs "
                                                r"two arrays \(in the inlined matmul_of:\d+  "
                                                r"m = v.T @ n"):
        sd.grad(calls_matmul_of, target="python")(X)
    # a call for nothing is refused as before
    with pytest.raises(sd.TransformError, match="result of 'H.scaled' is not used"):
        sd.grad(unused_result, target="python")(0.5)
