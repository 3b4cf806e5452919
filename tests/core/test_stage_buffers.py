"""A scratch array rewritten whole several times per iteration gets a buffer per
rewrite (passes/webs.py ``split_array_versions``), and nests reading each other's
re-run results are re-run in a chain (passes/rerun.py ``_upstream``): adaptive and
fixed-step integrators whose stages share one array, against central differences
on both targets and against the same math written with a buffer per stage."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.errors import TransformError
from tests.core import stage_programs as P
from tests.fdcheck import check_grad

Y0, K = P.make()
CASES = [(P.adaptive_heun, (Y0, K, 0.4, 1e-3), (0, 1)),
         (P.midpoint_steps, (Y0, K, 5, 0.05), (0, 1)),
         (P.carried_scratch, (Y0, 4), 0),
         (P.counter_rebound, (Y0,), 0),
         (P.scratch_with_a_rebound_counter, (Y0,), 0),
         (P.rk4_stage_rows, (Y0, K, 4, 0.05), (0, 1)),
         (P.helper_fills_columns, (Y0, 3), 0),
         (P.helper_fills_rows_and_returns, (Y0, 3), 0)]
# compiled too: all but the two small view-writing helpers (their gradient code is
# the python target's; rk4_stage_rows covers a view written back on cpu)
PYTHON_ONLY = {P.helper_fills_columns, P.helper_fills_rows_and_returns}


@pytest.mark.parametrize("f, args, wrt, target",
                         [(*c, "python") for c in CASES] +
                         [(*c, "cpu") for c in CASES if c[0] not in PYTHON_ONLY],
                         ids=lambda c: getattr(c, "__name__", c if isinstance(c, str) else ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target, check_value=target == "python")


def _plan(f, args, wrt):
    text = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    return text, [line for line in text.splitlines() if line.strip().startswith("#   ")]


def test_one_scratch_array_is_planned_as_a_buffer_per_stage():
    args = (Y0, K, 0.4, 1e-3)
    shared, shared_plan = _plan(P.adaptive_heun, args, (0, 1))
    _, buffers_plan = _plan(P.adaptive_heun_buffers, args, (0, 1))
    # the same decisions in both styles: the first trial state and both derivative
    # nests re-run in each reverse step (a chain: k2 from the trial state from k1),
    # none of them stored; the second trial state, read by the error and the accepted
    # step, is stored
    for plan, first, second in ((shared_plan, "ytmp", "ytmp_v2"),
                                (buffers_plan, "ypred", "ynew")):
        rerun = [line for line in plan
                 if "re-run in each reverse iteration of the while loop" in line]
        assert len(rerun) == 3, "\n".join(plan)
        for name in ("k1", first, "k2"):
            assert any(f"(writes '{name}')" in line for line in rerun), (name, plan)
        assert not any("stored: elements of 'k" in line or
                       f"stored: elements of '{first}'" in line for line in plan)
        assert any(f"stored: elements of '{second}'" in line for line in plan)
    assert "ytmp_v2 = np.empty(n)" in shared
    value, g = sd.value_and_grad(P.adaptive_heun, wrt=(0, 1), target="python")(*args)
    value2, g2 = sd.value_and_grad(P.adaptive_heun_buffers, wrt=(0, 1), target="python")(*args)
    assert value == value2
    for a, b in zip(g, g2):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_a_scratch_array_read_before_its_rewrite_keeps_one_buffer():
    text, _ = _plan(P.carried_scratch, (Y0, 4), 0)
    assert "w_v2" not in text


def test_a_scratch_array_written_through_a_view_keeps_one_buffer():
    """(A write through a view of a live array is refused; the message names the
    user's arrays, not a buffer of the split.)"""
    with pytest.raises(TransformError) as e:
        _plan(P.written_through_a_view, (Y0, 3), 0)
    assert "'head' shares memory with array 'w'" in str(e.value)


def test_a_rebound_loop_variable_indexes_what_follows_it():
    """(The reverse sweep read ``x[i]`` at the count; the array split took the loop
    with a rebound variable for a write of every element: value 6.0 against 24.0.)"""
    x = np.array([1.0, 2.0, 3.0])
    value, g = sd.value_and_grad(P.scratch_with_a_rebound_counter, target="python")(x)
    assert value == P.scratch_with_a_rebound_counter(x) == 24.0
    np.testing.assert_allclose(g, [0.0, 0.0, 2.0 + 4.0 * x[2]])
    x = np.array([0.3, 0.5, 0.7, 0.9])
    _, g = sd.value_and_grad(P.counter_rebound, target="python")(x)
    np.testing.assert_allclose(g, [np.cos(0.3), 3.0 * np.cos(0.5), 0.0, 0.0], rtol=1e-15)


def test_one_array_as_input_and_output_of_a_helper_is_refused():
    """``smooth_into(t, t)``: the helper's adjoint works on a copy of the array it writes,
    so its reads would miss its own writes (value 16.0 against 20.0 before)."""
    with pytest.raises(TransformError) as e:
        sd.value_and_grad(P.one_array_in_and_out, target="python")(np.arange(1.0, 5.0))
    message = str(e.value)
    assert "'t' is passed to 'smooth_into' as argument 2, which it writes into" in message
    assert "t.copy()" in message and "stage_programs.py:" in message


@pytest.mark.parametrize("target", ["python"])
def test_a_helper_writing_into_a_row_stores_it_back(target):
    """``rhs(ytmp, forcing, k[s])``: the new values went to a copy of the row and were
    lost; the value and both gradients were wrong (dforcing was zero)."""
    args = (Y0, K, 4, 0.05)
    value, (_, g_forcing) = sd.value_and_grad(P.rk4_stage_rows, wrt=(0, 1),
                                                 target=target)(*args)
    assert value == pytest.approx(P.rk4_stage_rows(*args), rel=1e-13)
    assert np.all(np.abs(g_forcing) > 1e-3)


def test_a_helper_writing_into_one_row_and_reading_another_is_refused():
    with pytest.raises(TransformError) as e:
        sd.value_and_grad(P.row_in_and_row_out, target="python")(np.arange(1.0, 4.0))
    message = str(e.value)
    assert "'a[1]' is passed to 'double_into' as argument 2, which it writes into, and " \
           "'a[0]' as argument 1" in message and "'a[0].copy()'" in message
