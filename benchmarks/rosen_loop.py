"""Rosenbrock written as an explicit loop: primal vs sourcediff value_and_grad.

    python benchmarks/rosen_loop.py [--size small|default] [--repeat N]

Prints the Numba primal time, sourcediff's value-and-gradient time, their
ratio (the cheap-gradient bound says at most ~3), a hand-written fused Numba
adjoint for reference, and first-call times: in a fresh process with an empty
cache (transform + compile) and in a second fresh process (Numba's on-disk
cache).  No peers are required; JAX is timed when installed.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

SIZES = {"small": 100_000, "default": 1_000_000, "large": 10_000_000}


def rosen(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def hand_adjoint(x):
    """Value and gradient in one fused loop, written by hand."""
    n = x.shape[0]
    dx = np.zeros_like(x)
    s = 0.0
    for i in range(n - 1):
        a = x[i + 1] - x[i] * x[i]
        b = 1.0 - x[i]
        s += 100.0 * a * a + b * b
        dx[i] += -400.0 * a * x[i] - 2.0 * b
        dx[i + 1] += 200.0 * a
    return s, dx


def median_ms(f, x, repeat):
    f(x)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f(x)
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1e3)


FIRST_CALL = """
import time, numpy as np, sys
sys.path.insert(0, {here!r})
t = time.perf_counter()
import sourcediff as sd
from rosen_loop import rosen
sd.value_and_grad(rosen)(np.random.rand(1000))
print(time.perf_counter() - t)
"""


def first_call_times():
    """(cold, cached) seconds for import + transform + compile + first call."""
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, SOURCEDIFF_CACHE_DIR=cache)
        out = []
        for _ in range(2):
            r = subprocess.run([sys.executable, "-c", FIRST_CALL.format(here=here)], env=env,
                               capture_output=True, text=True, check=True)
            out.append(float(r.stdout.strip().splitlines()[-1]))
    return out[0], out[1]


def run(size="default", repeat=20) -> dict:
    import numba

    import sourcediff as sd

    n = SIZES[size]
    x = np.random.default_rng(0).uniform(-1.0, 1.0, n)
    primal = numba.njit(cache=True)(rosen)
    hand = numba.njit(cache=True)(hand_adjoint)
    vg = sd.value_and_grad(rosen)
    v, g = vg(x)
    hv, hg = hand(x)
    err = float(np.max(np.abs(g - hg)) / np.max(np.abs(hg)))
    res = {"n": n, "primal_ms": median_ms(primal, x, repeat),
           "value_and_grad_ms": median_ms(vg, x, repeat),
           "hand_adjoint_ms": median_ms(hand, x, repeat), "max_rel_diff_vs_hand": err}
    res["ratio"] = res["value_and_grad_ms"] / res["primal_ms"]
    res["hand_ratio"] = res["hand_adjoint_ms"] / res["primal_ms"]
    res["first_call_cold_s"], res["first_call_cached_s"] = first_call_times()
    try:
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)

        def rosen_vec(x):
            return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
        jvg = jax.jit(jax.value_and_grad(rosen_vec))
        xj = jnp.asarray(x)
        res["jax_ms"] = median_ms(lambda a: jax.block_until_ready(jvg(a)), xj, repeat)
    except ImportError:
        res["jax_ms"] = None
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=sorted(SIZES), default="default")
    p.add_argument("--repeat", type=int, default=20)
    a = p.parse_args(argv)
    r = run(a.size, a.repeat)
    print(f"Rosenbrock loop, n = {r['n']:,} float64, one thread")
    print(f"  Numba primal                  {r['primal_ms']:8.3f} ms")
    print(f"  sourcediff value_and_grad     {r['value_and_grad_ms']:8.3f} ms   "
          f"ratio {r['ratio']:.2f}x")
    print(f"  hand-written fused adjoint    {r['hand_adjoint_ms']:8.3f} ms   "
          f"ratio {r['hand_ratio']:.2f}x   (max rel diff {r['max_rel_diff_vs_hand']:.1e})")
    jax_ms = r["jax_ms"]
    print(f"  JAX jit(value_and_grad)       " +
          (f"{jax_ms:8.3f} ms" if jax_ms is not None else "not installed"))
    print(f"  first call, new process, empty cache: {r['first_call_cold_s']:.2f} s")
    print(f"  first call, new process, warm cache:  {r['first_call_cached_s']:.2f} s")


if __name__ == "__main__":
    main()
