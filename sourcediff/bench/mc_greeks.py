"""Benchmark: Monte Carlo pathwise Greeks, a batched gradient (SPEC section 4).

A European call under geometric Brownian motion, ``steps`` time steps per path
written as a plain loop; per path, the gradient of the discounted payoff with
respect to the path's ``s0`` and ``sigma`` (delta and vega).  The normals are
drawn in advance, an array (paths, steps).

Tools (each returns the sum of the payoffs and the per-path gradients):

* ``sourcediff``: ``sd.value_and_grad(payoff, wrt=(0, 1), target="cpu",
  batch=(0, 0, 0, None, None, None))`` -- one compiled loop over the paths;
* ``sourcediff-parallel``: the same with ``target="parallel"`` (``prange``
  over chunks of paths, all cores);
* ``sourcediff-cuda``: ``target="cuda"`` where a GPU is present (device
  arrays in and out, so transfers are not timed);
* JAX ``jit(vmap(value_and_grad))`` and PyTorch ``torch.func.vmap(grad_and_value)``
  of the same loop, float64.

As a ``sourcediff bench`` workload (``sourcediff/bench/harness.py``) JAX and PyTorch
run on one thread, like the ``cpu`` target.  ``run()`` below measures every
target and the peers with their default threading as well, and reports the
machine's load, since other processes share the cores.

Run ``python benchmarks/mc_greeks.py [--size small|default|large] [--repeat N]``.
No timing here is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import math
import os

import numpy as np

TITLE = "Monte Carlo pathwise delta and vega, European call under GBM (batched, float64)"
SIZES = {
    "small": {"paths": 20_000, "steps": 64},
    "default": {"paths": 1_000_000, "steps": 64},
    "large": {"paths": 4_000_000, "steps": 64},
}
WRT = ("s0", "sigma")
RTOL = 1e-9
TARGETS = {"faster_than": ("jax",)}
EXTRA_TOOLS = {"sourcediff-parallel": "sourcediff_parallel"}
PRIMAL_TOOL = "numba"
R, T, K = 0.03, 1.0, 105.0


def payoff(s0, sigma, z, r, T, K):
    """Discounted European call payoff along one path (z: the path's normals)."""
    n = z.shape[0]
    dt = T / n
    s = s0
    for i in range(n):
        s = s * math.exp((r - 0.5 * sigma * sigma) * dt + sigma * math.sqrt(dt) * z[i])
    return math.exp(-r * T) * max(s - K, 0.0)


def make_data(size: str) -> dict:
    paths, steps = SIZES[size]["paths"], SIZES[size]["steps"]
    rng = np.random.default_rng(0)
    return {"s0": np.full(paths, 100.0), "sigma": np.full(paths, 0.2),
            "z": rng.standard_normal((paths, steps))}


def wrt_values(data: dict) -> tuple:
    return data["s0"], data["sigma"]


def primal(data: dict):
    """The sum of the payoffs over the paths, a ``numba.njit`` loop."""
    import numba

    one = numba.njit(cache=True)(payoff)

    @numba.njit(cache=True)
    def total(s0, sigma, z):
        acc = 0.0
        for p in range(z.shape[0]):
            acc += one(s0[p], sigma[p], z[p], R, T, K)
        return acc

    return lambda s0, sigma: total(s0, sigma, data["z"])


def _sourcediff(data: dict, target: str):
    import sourcediff as sd

    vg = sd.value_and_grad(payoff, wrt=(0, 1), target=target,
                           batch=(0, 0, 0, None, None, None))
    args = (data["s0"], data["sigma"], data["z"], R, T, K)

    def call():
        values, grads = vg(*args)
        return float(np.sum(values)), grads
    return call


def sourcediff(data: dict):
    """``target="cpu"``: one compiled loop over the paths."""
    return _sourcediff(data, "cpu")


def sourcediff_parallel(data: dict):
    """``target="parallel"``: chunks of paths spread over the cores."""
    return _sourcediff(data, "parallel")


def sourcediff_cuda(data: dict):
    """``target="cuda"`` with device arrays (no transfer timed); needs a GPU."""
    from numba import config, cuda

    import sourcediff as sd
    if config.ENABLE_CUDASIM or not cuda.is_available():
        raise ImportError("no CUDA GPU")
    vg = sd.value_and_grad(payoff, wrt=(0, 1), target="cuda",
                           batch=(0, 0, 0, None, None, None))
    args = (cuda.to_device(data["s0"]), cuda.to_device(data["sigma"]),
            cuda.to_device(data["z"]), R, T, K)

    def call():
        values, grads = vg(*args)
        cuda.synchronize()
        return values, grads
    return call


def _jax_payoff(jnp):
    def f(s0, sigma, z, r, T, K):
        n = z.shape[0]
        dt = T / n
        s = s0
        for i in range(n):     # unrolled while tracing: one fused XLA program
            s = s * jnp.exp((r - 0.5 * sigma * sigma) * dt + sigma * jnp.sqrt(dt) * z[i])
        return jnp.exp(-r * T) * jnp.maximum(s - K, 0.0)
    return f


def peer_jax(data: dict, threads_one: bool = True):
    """JAX ``jit(vmap(value_and_grad))`` over the paths, float64."""
    if threads_one:
        from .harness import import_jax
        jax = import_jax()
    else:
        import jax
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    vg = jax.jit(jax.vmap(jax.value_and_grad(_jax_payoff(jnp), argnums=(0, 1)),
                          in_axes=(0, 0, 0, None, None, None)))
    args = tuple(jnp.asarray(data[k]) for k in ("s0", "sigma", "z"))

    def call():
        values, grads = jax.block_until_ready(vg(*args, R, T, K))
        return float(jnp.sum(values)), grads
    return call


def peer_torch(data: dict, threads_one: bool = True):
    """PyTorch ``torch.func.vmap(grad_and_value)`` over the paths, float64."""
    if threads_one:
        from .harness import import_torch
        torch = import_torch()
    else:
        import torch

    def f(s0, sigma, z):
        n = z.shape[0]
        dt = T / n
        s = s0
        for i in range(n):
            s = s * torch.exp((R - 0.5 * sigma * sigma) * dt + sigma * math.sqrt(dt) * z[i])
        return math.exp(-R * T) * torch.clamp(s - K, min=0.0)

    vg = torch.func.vmap(torch.func.grad_and_value(f, argnums=(0, 1)))
    args = tuple(torch.from_numpy(data[k]) for k in ("s0", "sigma", "z"))

    def call():
        grads, values = vg(*args)
        return float(values.sum()), grads
    return call


# -- standalone run: every target, peers with default threads ---------------------


_SUBPROCESS = """
import json, sys
sys.path.insert(0, {root!r})
from sourcediff.bench import mc_greeks as m
data = m.make_data({size!r})
call = m.peer_{peer}(data, threads_one=False)
call()
from sourcediff.bench.harness import median_time
print(json.dumps(median_time(call, {repeat})))
"""


def _peer_default_threads(peer, size, repeat):
    """A peer with its default threading, in a fresh process (JAX reads its
    thread settings once, at import)."""
    import subprocess
    import sys
    from pathlib import Path
    root = str(Path(__file__).resolve().parents[2])   # holds the sourcediff package
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    done = subprocess.run([sys.executable, "-c", _SUBPROCESS.format(
        root=root, size=size, peer=peer, repeat=repeat)], capture_output=True, text=True,
        env=env, check=False)
    if done.returncode != 0:
        return {"status": "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]}
    median, best = json.loads(done.stdout.strip().splitlines()[-1])
    return {"status": "ok", "median_s": median, "min_s": best}


def run(size: str = "default", repeat: int = 5) -> dict:
    """Time every target and the peers on one data set; seconds, medians of
    ``repeat`` calls after a warm-up.  Gradients are cross-checked against the
    ``cpu`` target (max relative difference)."""
    import numba

    data = make_data(size)
    report = {"workload": "mc-greeks", "size": size, **SIZES[size],
              "numba_threads": numba.get_num_threads(), "cpu_count": os.cpu_count(),
              "load_before": os.getloadavg(), "tools": {}}
    tools = [("sourcediff-cpu", sourcediff), ("sourcediff-parallel", sourcediff_parallel),
             ("sourcediff-cuda", sourcediff_cuda),
             ("jax-1-thread", lambda d: peer_jax(d, True)),
             ("torch-1-thread", lambda d: peer_torch(d, True))]
    from .harness import relative_to_first, time_targets
    report["tools"] = time_targets(tools, data, repeat)
    for peer in ("jax", "torch"):
        report["tools"][f"{peer}-default-threads"] = _peer_default_threads(peer, size, repeat)
    relative_to_first(report["tools"])
    report["load_after"] = os.getloadavg()
    return report


def main():
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--size", default="default", choices=list(SIZES))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", help="write the report to this file")
    args = parser.parse_args()
    report = run(args.size, args.repeat)
    print(f"{TITLE}: {report['paths']:,} paths x {report['steps']} steps; "
          f"{report['numba_threads']} Numba threads; load {report['load_before']}")
    for name, row in report["tools"].items():
        if row["status"] != "ok":
            print(f"  {name:22} {row['status']}")
            continue
        extra = (f"; first call {row['first_call_s']:.1f} s; max rel diff "
                 f"{row['max_rel_diff']:.1e}" if "first_call_s" in row else "")
        print(f"  {name:22} {row['median_s']:8.3f} s  ({row['time_over_cpu_target']:.2f}x the "
              f"cpu target's time{extra})")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=2)


if __name__ == "__main__":
    main()
