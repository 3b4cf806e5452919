"""``sourcediff bench`` on the small size: valid JSON, gradients that agree, peers that
are missing or unknown shown as rows. Timings are read, never asserted."""

import importlib.util
import json

import pytest

from .helpers import run_cli, run_script

WORKLOADS = ("rosen-loop", "gmm", "ode-rk4", "mlp-step", "mc-greeks", "ba-jacobian")
ROW_KEYS = {"status", "value", "first_call_s", "median_s", "min_s", "repeats", "peak_mib",
            "over_primal", "sourcediff_speedup", "max_rel_diff", "value_rel_diff"}


HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """Every workload at the small size with every peer, once for this module."""
    folder = tmp_path_factory.mktemp("bench")
    plot = ["--plot", str(folder / "results.png")] if HAVE_MATPLOTLIB else []
    done = run_cli("bench", *WORKLOADS, "--size", "small", "--repeat", "2", "--budget", "0.5",
                   "--no-fresh-process", "--no-extra-tools", "--no-progress",
                   "--json", str(folder / "results.json"), *plot)
    return done, folder / "results.json"


def test_bench_writes_json_with_every_workload(small_run):
    done, out = small_run
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert {"machine", "versions", "settings", "workloads"} <= set(results)
    assert results["machine"]["cores"] >= 1
    assert [w["workload"] for w in results["workloads"]] == list(WORKLOADS)
    for report in results["workloads"]:
        assert {"title", "size", "parameters", "wrt", "rtol", "primal", "tools", "fd_check",
                "memory_method", "targets"} <= set(report)
        assert report["size"] == "small"
        assert report["primal"]["median_s"] > 0
        ours = report["tools"]["sourcediff"]
        assert ROW_KEYS <= set(ours), report["workload"]
        assert ours["status"] == "ok" and ours["repeats"] >= 1
        for peer in ("jax", "torch", "autograd"):
            allowed = ("ok", "not installed")
            if peer == "autograd" and report["workload"] in ("mc-greeks", "ba-jacobian"):
                allowed += ("not written for this workload",)   # HIPS autograd has no vmap
            assert report["tools"][peer]["status"] in allowed, (report["workload"], peer)


def test_bench_gradients_agree_with_finite_differences_and_peers(small_run):
    done, out = small_run
    assert done.returncode == 0, done.stderr[-3000:]
    for report in json.loads(out.read_text())["workloads"]:
        name = report["workload"]
        # float64 workloads: tight; mlp-step computes its gradient in float32
        assert report["fd_check"]["rel_err"] < (1e-3 if name == "mlp-step" else 1e-6), name
        # the value of sourcediff's sweep matches the primal's
        assert report["tools"]["sourcediff"]["value_rel_diff"] < report["rtol"], name
        for tool, row in report["tools"].items():
            if row["status"] == "ok":
                assert row["max_rel_diff"] <= report["rtol"], (name, tool)
                assert row["value_rel_diff"] <= report["rtol"], (name, tool)


def test_bench_prints_a_table_per_workload(small_run):
    done, _ = small_run
    for name in WORKLOADS:
        assert f"### {name}:" in done.stdout
    assert "| sourcediff |" in done.stdout and "Peak memory:" in done.stdout


@pytest.mark.skipif(not HAVE_MATPLOTLIB, reason="--plot needs matplotlib")
def test_plot_is_a_png(small_run):
    done, out = small_run
    assert done.returncode == 0, done.stderr[-3000:]
    assert (out.parent / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_peers_or_matplotlib_rows_say_so(tmp_path):
    out = tmp_path / "results.json"
    # `sys.modules[name] = None` makes `import name` fail as if it were not installed
    blocked = "import sys\nfor name in ('torch', 'jax', 'autograd', 'matplotlib'):\n" \
              "    sys.modules[name] = None"
    done = run_cli("bench", "rosen-loop", "--size", "small", "--repeat", "1",
                   "--peers", "torch,jax,autograd,nosuchpeer", "--no-fresh-process",
                   "--no-progress", "--json", str(out), "--plot", str(tmp_path / "plot.png"),
                   prelude=blocked)
    assert "unknown peer 'nosuchpeer'" in done.stderr
    tools = json.loads(out.read_text())["workloads"][0]["tools"]
    for peer in ("torch", "jax", "autograd"):
        assert tools[peer]["status"] == "not installed"
        assert f"| {peer} | not installed" in done.stdout
    assert tools["nosuchpeer"]["status"].startswith("unknown peer")
    assert tools["sourcediff"]["status"] == "ok"
    # the plot is the one thing that needs matplotlib: a clear message, status 1
    assert done.returncode == 1
    assert "--plot needs matplotlib" in done.stderr and "Traceback" not in done.stderr


def test_unknown_workload_is_a_usage_error():
    done = run_cli("bench", "no-such-workload", "--size", "small")
    assert done.returncode == 2
    assert "unknown workload 'no-such-workload'" in done.stderr and "gmm" in done.stderr


def test_list_names_the_workloads():
    done = run_cli("bench", "--list")
    assert done.returncode == 0
    for name in WORKLOADS:
        assert name in done.stdout
    # and the family of programs (tests/cli/test_bench_programs.py), from the same run
    assert "programs" in done.stdout and "family" in done.stdout


def test_the_benchmark_scripts_call_into_the_package():
    """``benchmarks/*.py`` are thin scripts over ``sourcediff.bench`` (README's first command)."""
    done = run_script("benchmarks/rosen_loop.py", "--size", "small", "--repeat", "1",
                      "--no-fresh-processes")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Rosenbrock loop, n = 100,000 float64" in done.stdout
    assert "sourcediff value_and_grad (cpu)" in done.stdout
