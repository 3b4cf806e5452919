"""Costly values an inner loop recomputes in every outer iteration are
computed once into a table (passes/tables.py): gradients against central
differences, the code it writes, and where it must not apply."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.core import table_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(11)
X = rng.standard_normal(6)
W = rng.standard_normal(4)
TABLED = [
    (P.mixture, (rng.standard_normal(3), 0.3 * rng.standard_normal(3), X), (0, 1, 2), "exp_per_c"),
    (P.offset_inner, (W, X, 1), (0, 1), "g_per_j"),
    (P.offset_inner, (W, X, 7), (0, 1), "g_per_j"),      # an empty inner range
    (P.shared_intermediate, (W, X), (0, 1), "b_per_j"),
    (P.stepped_outer, (W, X), (0, 1), "tanh_per_j"),
    (P.stepped_outer, (W, X[:1]), (0, 1), "tanh_per_j"),
]
LEFT = [
    (P.depends_on_outer, (W, X), (0, 1)),
    (P.inner_in_branch, (W, X), (0, 1)),
    (P.writes_its_input, (W, X), (0, 1)),
    (P.writes_a_parameter, (W, X, np.zeros(6)), (0, 1)),
    (P.cheap_only, (W, X), (0, 1)),
    (P.bound_changes, (W, X), (0, 1)),
]


def _ids(c):
    return getattr(c, "__name__", "")


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt, table", TABLED, ids=_ids)
def test_tabled_gradients_match_finite_differences(f, args, wrt, table, target):
    check_grad(f, args, wrt=wrt, target=target)


@pytest.mark.parametrize("f, args, wrt, table", TABLED, ids=_ids)
def test_the_table_is_made_and_read(f, args, wrt, table):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    assert f"{table} = np.empty(" in text
    assert f"= {table}[" in text                       # read in the inner loop
    # the value matches the untransformed function
    value, _ = sd.value_and_grad(f, wrt=wrt, target="python")(*args)
    assert value == pytest.approx(f(*args), rel=1e-13)


def test_the_costly_call_leaves_the_inner_loop():
    args = TABLED[0][1]
    text = sd.grad(P.mixture, wrt=(0, 1, 2), target="python").source_for(*args)
    primal = text[:text.index("def mixture_grad")]
    code = [ln for ln in primal.splitlines() if not ln.strip().startswith("#")]
    assert sum("math.exp(" in ln for ln in code) == 1   # in the fill loop only
    assert "computed once per 'c' before the loop at line" in primal


@pytest.mark.parametrize("f, args, wrt", LEFT, ids=_ids)
def test_left_alone(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    assert "_per_" not in text
    if f is not P.writes_a_parameter:           # (the check calls f itself, which writes)
        check_grad(f, args, wrt=wrt, target="python")


def test_no_outer_iteration_gives_a_zero_gradient_not_nan():
    log_sigma = np.array([-800.0, 1.0])                  # exp(800) overflows
    g = sd.grad(P.no_points, wrt=(0, 1), target="cpu")
    d_log_sigma, d_x = g(log_sigma, np.zeros(0))
    assert np.array_equal(d_log_sigma, np.zeros(2)) and d_x.shape == (0,)
    assert "exp_per_c" in g.source_for(log_sigma, np.zeros(0))


def test_not_in_cuda_kernels():
    args = TABLED[0][1]
    xs = tuple(np.stack([a, a]) for a in args[:2]) + (args[2],)
    on_cpu = sd.grad(P.mixture, wrt=(0, 1), target="cpu", batch=(0, 0, None))
    assert "exp_per_c" in on_cpu.source_for(*xs)
    on_gpu = sd.grad(P.mixture, wrt=(0, 1), target="cuda", batch=(0, 0, None))
    assert "_per_" not in on_gpu.source_for(*xs)
