"""The Tensor example and benchmark run (no timing is asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load(relative: str):
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mlp_example_learns(capsys):
    accuracy = load("examples/mlp_tensor.py").main(epochs=100)
    lines = capsys.readouterr().out.splitlines()
    losses = [float(line.split()[-1]) for line in lines if line.startswith("epoch")]
    assert len(losses) == 3 and losses[-1] < losses[0] / 5
    assert accuracy > 0.9


def test_benchmark_run_returns_timings():
    from sourcediff.bench import mlp_step

    result = mlp_step.run(size="small", repeats=2)
    assert result["workload"] == "mlp_step"
    assert result["dims"] == {"n_in": 64, "hidden": 32, "n_out": 10, "batch": 32}
    assert result["sourcediff_ms"] > 0
    if result["torch_ms"] is not None:
        assert result["ratio"] == result["sourcediff_ms"] / result["torch_ms"]
