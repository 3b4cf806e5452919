"""The measuring helpers of ``sourcediff/bench/harness.py`` (in process, no timing asserted)."""

import signal
from types import SimpleNamespace

import numpy as np
import pytest

from sourcediff.bench import WORKLOADS, harness, load


def quartic(x, y):
    return float(np.sum(x**4) + 3.0 * y[0] * x[0])


def quartic_grad(x, y):
    gx = 4.0 * x**3
    gx[0] += 3.0 * y[0]
    gy = np.zeros_like(y)
    gy[0] = 3.0 * x[0]
    return gx, gy


def test_directional_fd_accepts_the_gradient_and_rejects_a_wrong_one():
    x, y = np.linspace(-1.0, 2.0, 7), np.array([0.5, -1.0])
    gx, gy = quartic_grad(x, y)
    assert harness.directional_fd_error(quartic, (x, y), (gx, gy)) < 1e-8
    assert harness.directional_fd_error(quartic, (x, y), (1.01 * gx, gy)) > 1e-3


def test_max_rel_diff_is_relative_to_the_largest_entry():
    reference = (np.array([1.0, -4.0]), np.array([[2.0]]))
    assert harness.max_rel_diff(reference, reference) == 0.0
    shifted = (np.array([1.0, -4.0 + 0.04]), np.array([[2.0]]))
    assert harness.max_rel_diff(shifted, reference) == pytest.approx(0.01)
    assert harness.max_rel_diff((np.zeros(3), reference[1]), reference) == np.inf


def test_normalize_reads_tuples_and_single_arrays():
    value, grads = harness.normalize((np.float32(2.5), np.arange(3, dtype=np.float32)))
    assert value == 2.5 and len(grads) == 1 and grads[0].dtype == np.float64


def test_measure_keeps_the_first_result_before_other_calls():
    calls = []

    def make():
        def step():
            calls.append(len(calls))
            return [len(calls)]  # a new list each call, like a training step's state
        return step

    row = harness.measure(make, repeat=3, budget_s=10.0, keep=lambda r: r[0])
    assert row["result"] == 1  # the first call's, not a later one
    assert row["repeats"] == 3 and len(calls) == 1 + 1 + 3  # first, warm-up, timed
    assert row["median_s"] >= 0.0 and row["peak_mib"] >= 0.0


def test_targets_compare_sourcediff_with_the_peers():
    workload = SimpleNamespace(TARGETS={"max_over_primal": 3.0, "faster_than": "all"})
    tools = {"sourcediff": {"status": "ok", "over_primal": 2.5, "sourcediff_speedup": 1.0},
             "numba-hand": {"status": "ok", "sourcediff_speedup": 0.5},  # not a peer
             "jax": {"status": "ok", "sourcediff_speedup": 4.0},
             "torch": {"status": "not installed"}}
    ratio, faster = harness.check_targets(workload, tools)
    assert ratio["met"] is True and faster["met"] is True
    tools["jax"]["sourcediff_speedup"] = 0.9
    assert harness.check_targets(workload, tools)[1]["met"] is False
    del tools["jax"]
    assert harness.check_targets(workload, tools)[1]["met"] is None  # nothing to compare


class _DeviceArray:
    """Stands for a numba.cuda device array: no arithmetic, copy_to_host only."""

    def __init__(self, a):
        self.a = a

    def copy_to_host(self):
        return self.a.copy()


def test_time_targets_adds_gradients_given_in_parts_on_the_host():
    # BA's cuda tool returns each gradient as one part per residual component,
    # on the device (a GPU run crashed here, comparing the parts as one array)
    x, y = np.arange(6.0).reshape(3, 2), np.ones((3, 2))
    tools = [("cpu", lambda d: lambda: (np.array([1.0, 2.0]), (x + y,))),
             ("cuda", lambda d: lambda: ((_DeviceArray(np.array([1.0])), np.array([2.0])),
                                         ((_DeviceArray(x), _DeviceArray(y)),))),
             ("wrong", lambda d: lambda: (np.array([3.0]), ((_DeviceArray(x), x),)))]
    rows = harness.time_targets(tools, {}, repeat=1)
    assert rows["cuda"]["max_rel_diff"] == 0.0 and rows["cuda"]["value_sum"] == 3.0
    assert rows["wrong"]["max_rel_diff"] > 0.1


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_workloads_define_the_interface(name):
    workload = load(name)
    for attribute in ("TITLE", "SIZES", "WRT", "RTOL", "make_data", "wrt_values", "primal",
                      "sourcediff"):
        assert hasattr(workload, attribute), (name, attribute)
    assert {"small", "default", "large"} <= set(workload.SIZES)
    data = workload.make_data("small")
    assert len(workload.wrt_values(data)) == len(workload.WRT)
    for function in getattr(workload, "EXTRA_TOOLS", {}).values():
        assert callable(getattr(workload, function))


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="the time limit needs SIGALRM")
def test_a_first_call_past_the_time_limit_raises():
    def make():
        def spin():
            while True:
                sum(range(1000))
        return spin

    with pytest.raises(harness.ToolTimeout):
        harness.measure(make, repeat=1, budget_s=1.0, timeout_s=0.2)


def test_the_clock_is_chosen_by_the_environment(monkeypatch):
    """Wall-clock by default; SOURCEDIFF_BENCH_CLOCK=cpu times by the process's CPU time
    (a sleep costs no CPU); anything else is an error."""
    import time

    monkeypatch.delenv("SOURCEDIFF_BENCH_CLOCK", raising=False)
    assert harness.clock_name() == "wall"
    assert harness.timed(lambda: time.sleep(0.05))[0] >= 0.04
    monkeypatch.setenv("SOURCEDIFF_BENCH_CLOCK", "cpu")
    assert harness.clock_name() == "cpu"
    seconds, result = harness.timed(lambda: time.sleep(0.05) or 7)
    assert result == 7 and seconds < 0.04
    monkeypatch.setenv("SOURCEDIFF_BENCH_CLOCK", "sundial")
    with pytest.raises(ValueError, match="wall or cpu"):
        harness.clock_name()
