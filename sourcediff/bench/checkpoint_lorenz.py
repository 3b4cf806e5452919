"""Checkpointing benchmark: gradient of a Lorenz-63 RK4 loop of 1,000,000 steps.

Each configuration runs in a fresh process so that its peak resident memory
(``ru_maxrss``) belongs to it alone; the figure reported is the growth of the
peak over the process's footprint right before the first gradient call (Numba
loaded, function compiled on a short run), i.e. what the tape costs.

    python benchmarks/checkpoint_lorenz.py [--steps N] [--repeat R]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .ode_rk4 import lorenz_rk4

DT = 1e-4
STATE0 = (1.0, 1.0, 1.0)


def _peak_kib():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(checkpoint, steps, repeat) -> dict:
    """One configuration, in this process."""
    import numpy as np

    import sourcediff as sd
    p = np.array([10.0, 28.0, 8.0 / 3.0])
    s0 = np.array(STATE0)
    vg = sd.value_and_grad(lorenz_rk4, wrt=(0, 1), checkpoint=checkpoint)
    t0 = time.perf_counter()
    vg(p, s0, 10, DT)                   # transform + compile
    compile_s = time.perf_counter() - t0
    before = _peak_kib()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        value, (gp, gs0) = vg(p, s0, steps, DT)
        times.append(time.perf_counter() - t0)
    peak = _peak_kib() - before
    return {"checkpoint": checkpoint, "steps": steps, "grad_s": sorted(times)[len(times) // 2],
            "peak_growth_mib": peak / 1024.0, "compile_s": compile_s,
            "value": value, "grad": [*map(float, gp), *map(float, gs0)]}


def primal_time(steps, repeat) -> float:
    import numba
    import numpy as np
    f = numba.njit(lorenz_rk4)
    p = np.array([10.0, 28.0, 8.0 / 3.0])
    s0 = np.array(STATE0)
    f(p, s0, 10, DT)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f(p, s0, steps, DT)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def run(steps=1_000_000, repeat=5, configs=(None, True, 1000)) -> dict:
    # the new processes import the sourcediff package this one runs
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [
        root, os.environ.get("PYTHONPATH")])))
    results = []
    for c in configs:
        out = subprocess.run([sys.executable, "-m", "sourcediff.bench.checkpoint_lorenz",
                              "--one", json.dumps(c), "--steps", str(steps),
                              "--repeat", str(repeat)],
                             capture_output=True, text=True, check=True, env=env)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {"steps": steps, "primal_s": primal_time(steps, repeat), "results": results}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.one is not None:
        print(json.dumps(measure(json.loads(a.one), a.steps, a.repeat)))
        return
    r = run(a.steps, a.repeat)
    base = r["results"][0]
    print(f"Lorenz-63 RK4, {r['steps']:,} steps; Numba primal {r['primal_s'] * 1e3:.1f} ms")
    print(f"{'checkpoint':>12} {'gradient':>10} {'x primal':>9} {'x full':>7} "
          f"{'peak growth':>12} {'x less':>7} {'max rel diff':>13}")
    for res in r["results"]:
        diff = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(res["grad"], base["grad"]))
        # ru_maxrss moves in pages; growth under 0.1 MiB is below what it resolves
        grow = res["peak_growth_mib"]
        grow_s = f"{grow:9.2f}MiB" if grow >= 0.1 else f"{'< 0.1':>9}MiB"
        less = base["peak_growth_mib"] / max(grow, 0.1)
        less_s = f"{less:7.1f}" if grow >= 0.1 else f">{less:6.0f}"
        print(f"{res['checkpoint']!s:>12} {res['grad_s'] * 1e3:8.1f}ms "
              f"{res['grad_s'] / r['primal_s']:9.2f} {res['grad_s'] / base['grad_s']:7.2f} "
              f"{grow_s} {less_s} {diff:13.2e}")


if __name__ == "__main__":
    main()
