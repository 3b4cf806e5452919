"""Benchmark: Rosenbrock as an explicit loop over n = 1,000,000 float64 elements.

What it measures (medians of ``repeat`` timed calls after a warm-up call):

* ``primal``: ``numba.njit`` of the same loop, the cost of f alone;
* ``sourcediff``: ``sd.value_and_grad(rosen, target="cpu")``, value and gradient
  in one sweep, and its ratio to the primal (reverse mode's theoretical bound is
  a small constant, ~3-4 for this loop);
* ``hand adjoint``: a hand-written, fused Numba value-and-gradient, the
  reference for what generated code could reach;
* ``first call``: transform + compile in a fresh process (empty caches), and in
  a second fresh process sharing the same cache directories (Numba's on-disk
  cache), each measured with ``subprocess`` running ``python -c``;
* peers where installed: JAX ``jit(value_and_grad)`` and PyTorch eager (one
  thread) on the vectorized formula (float64); "not installed" otherwise.

Run ``python benchmarks/rosen_loop.py [--size small|default|large] [--repeat N]
[--no-fresh-processes]`` or call ``run(size=..., repeat=...)``, which returns
the numbers as a dict (seconds). No timing here is asserted anywhere:
performance is read, not tested.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

SIZES = {"small": 100_000, "default": 1_000_000, "large": 10_000_000}


def rosen(x):
    """The n-dimensional Rosenbrock function as a plain loop (what sourcediff differentiates)."""
    n = len(x)
    s = 0.0
    for i in range(n - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def rosen_value_and_grad_by_hand(x):
    """Hand-written adjoint of ``rosen``, fused with the primal in one loop."""
    n = len(x)
    grad = np.zeros(n)
    s = 0.0
    for i in range(n - 1):
        d = x[i + 1] - x[i] * x[i]
        e = 1.0 - x[i]
        s += 100.0 * d * d + e * e
        grad[i] += -400.0 * d * x[i] - 2.0 * e
        grad[i + 1] += 200.0 * d
    return s, grad


def make_input(n: int) -> np.ndarray:
    """The benchmark input: n float64 values in [-1.5, 1.5], fixed seed."""
    return np.random.default_rng(0).uniform(-1.5, 1.5, n)


def median_time(call: Callable[[], Any], repeat: int, warmup: int = 1) -> float:
    """Median wall time of ``call()`` in seconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# A fresh interpreter: import, transform + compile on the first call, time it.
_FRESH_PROCESS_CODE = """
import json, sys, time
start = time.perf_counter()
import numpy as np
sys.path.insert(0, {directory!r})
import sourcediff as sd
from sourcediff.bench import rosen_loop
imported = time.perf_counter()
x = rosen_loop.make_input({n})
begin = time.perf_counter()
value_and_grad = sd.value_and_grad(rosen_loop.rosen, wrt=0, target="cpu")
value_and_grad(x)
first = time.perf_counter()
value_and_grad(x)
second = time.perf_counter()
print(json.dumps({{"import_s": imported - start, "first_call_s": first - begin,
                  "second_call_s": second - first}}))
"""


def fresh_process_first_calls(n: int) -> dict[str, Any]:
    """First-call times in two new processes sharing one (initially empty) cache directory."""
    # the directory holding the sourcediff package: the new processes import this one
    root = Path(__file__).resolve().parents[2]
    code = _FRESH_PROCESS_CODE.format(directory=str(root), n=n)
    with tempfile.TemporaryDirectory(prefix="sourcediff_bench_") as cache:
        env = dict(os.environ)
        env["SOURCEDIFF_CACHE_DIR"] = cache
        env["NUMBA_CACHE_DIR"] = str(Path(cache) / "numba")
        runs = []
        for _ in range(2):
            completed = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
            )
            if completed.returncode != 0:
                return {"error": completed.stderr.strip().splitlines()[-1:]}
            runs.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    return {
        "first_call_cold_s": runs[0]["first_call_s"],
        "first_call_cached_s": runs[1]["first_call_s"],
        "import_s": runs[1]["import_s"],
    }


# -- the interface used by ``sourcediff bench`` (see sourcediff/bench/harness.py) --------

TITLE = "Rosenbrock as an explicit loop (float64)"
WRT = ("x",)
RTOL = 1e-10
TARGETS = {"max_over_primal": 3.0, "faster_than": "all"}
EXTRA_TOOLS = {"numba-hand": "hand_adjoint"}


def make_data(size: str) -> dict:
    """The input for ``size`` (a key of ``SIZES``)."""
    return {"x": make_input(SIZES[size])}


def wrt_values(data: dict) -> tuple:
    """The differentiated inputs, in ``WRT`` order."""
    return (data["x"],)


def primal(data: dict):
    """``rosen`` compiled with ``numba.njit``."""
    import numba

    return numba.njit(cache=True)(rosen)


def sourcediff(data: dict):
    """``sd.value_and_grad(rosen, target="cpu")`` on the input."""
    import sourcediff as sd

    value_and_grad = sd.value_and_grad(rosen, wrt=0, target="cpu")
    x = data["x"]
    return lambda: value_and_grad(x)


def hand_adjoint(data: dict):
    """The hand-written fused adjoint, compiled with ``numba.njit``."""
    import numba

    by_hand = numba.njit(cache=True)(rosen_value_and_grad_by_hand)
    x = data["x"]
    return lambda: by_hand(x)


def peer_jax(data: dict):
    """JAX ``jit(value_and_grad)`` of the vectorized formula, float64."""
    from .harness import import_jax

    jax = import_jax()
    import jax.numpy as jnp

    def rosen_vectorized(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    value_and_grad = jax.jit(jax.value_and_grad(rosen_vectorized))
    x = jnp.asarray(data["x"])
    return lambda: jax.block_until_ready(value_and_grad(x))


def peer_torch(data: dict):
    """PyTorch eager value and gradient of the vectorized formula, float64, one thread."""
    from .harness import import_torch

    torch = import_torch()
    x = torch.from_numpy(data["x"].copy())

    def value_and_grad():
        leaf = x.detach().requires_grad_(True)
        value = torch.sum(100.0 * (leaf[1:] - leaf[:-1] ** 2) ** 2 + (1.0 - leaf[:-1]) ** 2)
        (grad,) = torch.autograd.grad(value, leaf)
        return value.item(), grad

    return value_and_grad


def peer_autograd(data: dict):
    """HIPS autograd ``value_and_grad`` of the vectorized formula (NumPy)."""
    import autograd
    import autograd.numpy as anp

    def rosen_vectorized(x):
        return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    value_and_grad = autograd.value_and_grad(rosen_vectorized)
    x = data["x"]
    return lambda: value_and_grad(x)


def _time_peer(adapter, x: np.ndarray, repeat: int) -> float | str:
    try:
        call = adapter({"x": x})
    except ImportError:
        return "not installed"
    return median_time(call, repeat)


def run(size: str = "default", repeat: int = 20, fresh_processes: bool = True) -> dict[str, Any]:
    """Run the benchmark; returns seconds (medians) and ratios in a dict.

    ``size``: a key of ``SIZES`` or an int. ``fresh_processes=False`` skips the
    two subprocess first-call measurements (the slowest part).
    """
    import numba

    import sourcediff as sd

    n = SIZES[size] if isinstance(size, str) else int(size)
    x = make_input(n)
    results: dict[str, Any] = {"workload": "rosen_loop", "size": size, "n": n, "repeat": repeat}

    primal = numba.njit(rosen)
    results["primal_s"] = median_time(lambda: primal(x), repeat)

    value_and_grad = sd.value_and_grad(rosen, wrt=0, target="cpu")
    start = time.perf_counter()
    value, grad = value_and_grad(x)
    results["first_call_this_process_s"] = time.perf_counter() - start
    results["sourcediff_s"] = median_time(lambda: value_and_grad(x), repeat)
    results["sourcediff_over_primal"] = results["sourcediff_s"] / results["primal_s"]

    by_hand = numba.njit(rosen_value_and_grad_by_hand)
    results["hand_adjoint_s"] = median_time(lambda: by_hand(x), repeat)
    results["hand_adjoint_over_primal"] = results["hand_adjoint_s"] / results["primal_s"]
    results["sourcediff_over_hand_adjoint"] = results["sourcediff_s"] / results["hand_adjoint_s"]

    # Sanity, not a test: the generated gradient should match the hand-written one.
    hand_value, hand_grad = by_hand(x)
    results["value_rel_diff"] = abs(value - hand_value) / abs(hand_value)
    results["grad_max_rel_diff"] = float(
        np.max(np.abs(grad - hand_grad)) / np.max(np.abs(hand_grad))
    )

    results["jax_s"] = _time_peer(peer_jax, x, repeat)
    results["torch_eager_s"] = _time_peer(peer_torch, x, repeat)
    if fresh_processes:
        results.update(fresh_process_first_calls(n))
    return results


def report(results: dict[str, Any]) -> str:
    """The results as a readable table."""

    def ms(key: str) -> str:
        value = results.get(key, "n/a")
        return f"{value * 1e3:10.3f} ms" if isinstance(value, float) else f"{value:>13}"

    lines = [
        f"Rosenbrock loop, n = {results['n']:,} float64 (median of {results['repeat']})",
        f"  primal (numba.njit)                    {ms('primal_s')}",
        (
            f"  sourcediff value_and_grad (cpu)        {ms('sourcediff_s')}"
            f"   x{results['sourcediff_over_primal']:.2f} primal"
        ),
        (
            f"  hand-written fused Numba adjoint       {ms('hand_adjoint_s')}"
            f"   x{results['hand_adjoint_over_primal']:.2f} primal"
        ),
        f"  sourcediff / hand adjoint              {results['sourcediff_over_hand_adjoint']:10.2f}",
        f"  JAX jit(value_and_grad), vectorized    {ms('jax_s')}",
        f"  PyTorch eager, vectorized, 1 thread    {ms('torch_eager_s')}",
        f"  first call, this process               {ms('first_call_this_process_s')}",
        f"  first call, fresh process (cold)       {ms('first_call_cold_s')}",
        f"  first call, fresh process (cached)     {ms('first_call_cached_s')}",
        f"  grad max rel. diff vs hand adjoint     {results['grad_max_rel_diff']:10.1e}",
    ]
    if "error" in results:
        lines.append(f"  fresh-process run failed: {results['error']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--no-fresh-processes", action="store_true", help="skip the two subprocess first calls"
    )
    args = parser.parse_args(argv)
    print(report(run(args.size, args.repeat, fresh_processes=not args.no_fresh_processes)))


if __name__ == "__main__":
    main()
