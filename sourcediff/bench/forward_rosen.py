"""Benchmark: forward mode on the Rosenbrock loop of ``rosen_loop.py``.

Medians of ``repeat`` timed calls after a warm-up, on the ``cpu`` target:

* ``primal``: ``numba.njit(rosen)``;
* ``sd.jvp``: value and directional derivative along a random tangent, one
  sweep (issue 5's target: at most 2x the primal);
* ``hand jvp``: the same written by hand in Numba, the reference;
* ``sd.value_and_grad`` and ``sd.jvp(sd.grad)`` (Hessian-vector product,
  forward over the generated adjoint), for scale.

Run ``python benchmarks/forward_rosen.py [--size small|default|large]
[--repeat N]``; ``run(...)`` returns the numbers (seconds).  Nothing here is
asserted by a test.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

from .rosen_loop import SIZES, make_input, median_time, rosen


def rosen_jvp_by_hand(x, v):
    """Hand-written tangent of ``rosen`` along ``v``."""
    n = len(x)
    s = 0.0
    s_dot = 0.0
    for i in range(n - 1):
        d = x[i + 1] - x[i] * x[i]
        d_dot = v[i + 1] - 2.0 * x[i] * v[i]
        e = 1.0 - x[i]
        s += 100.0 * d * d + e * e
        s_dot += 200.0 * d * d_dot - 2.0 * e * v[i]
    return s, s_dot


def run(size: str = "default", repeat: int = 30) -> dict:
    import numba

    import sourcediff as sd
    x = make_input(SIZES[size])
    v = np.random.default_rng(1).uniform(-1.0, 1.0, x.size)
    primal = numba.njit(rosen)
    hand = numba.njit(rosen_jvp_by_hand)
    jvp = sd.jvp(rosen, target="cpu")
    vg = sd.value_and_grad(rosen, target="cpu")
    hvp = sd.jvp(sd.grad(rosen, target="cpu"), target="cpu")
    _, tangent = jvp(x, v)
    _, ref_tangent = hand(x, v)
    assert abs(tangent - ref_tangent) <= 1e-9 * abs(ref_tangent), (tangent, ref_tangent)
    return {
        "n": x.size,
        "primal": median_time(lambda: primal(x), repeat),
        "sd.jvp": median_time(lambda: jvp(x, v), repeat),
        "hand jvp": median_time(lambda: hand(x, v), repeat),
        "sd.value_and_grad": median_time(lambda: vg(x), repeat),
        "sd.jvp(sd.grad) (HVP)": median_time(lambda: hvp(x, v), max(3, repeat // 3)),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    r = run(args.size, args.repeat)
    primal = r["primal"]
    print(f"Rosenbrock loop, n = {r['n']:,} float64, cpu target "
          f"(load average {os.getloadavg()[0]:.2f})")
    for name, t in r.items():
        if name != "n":
            print(f"  {name:<24} {t * 1e3:8.3f} ms   {t / primal:5.2f} x primal")


if __name__ == "__main__":
    main()
