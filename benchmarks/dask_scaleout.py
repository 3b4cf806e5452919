"""Summed gradients and Dask scale-out, measured (nothing here is asserted anywhere).

    python benchmarks/dask_scaleout.py [--points 1000000] [--paths 1000000] [--repeat 3]

1. ``reduce="sum"`` against the per-element batched call summed by NumPy, on
   ``target="parallel"``: the logistic loss of ``examples/fit_logistic.py``
   (gradient with respect to 8 shared weights) and the Greeks payoff of
   ``sourcediff.bench.mc_greeks`` (gradients with respect to shared ``s0`` and
   ``sigma``).  Time (median) and the peak of memory allocated during the call
   (``tracemalloc``, which sees NumPy's allocations).
2. Greeks on a local Dask cluster of two single-threaded worker processes
   against ``target="parallel"`` on two threads in one process: the normals
   made in advance (persisted on the workers for Dask), and for Dask also drawn
   on the workers inside the timed computation.

The load average is printed with every figure: other processes share the cores.
"""
import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

import sourcediff as sd
from sourcediff.bench.mc_greeks import K, R, T, payoff

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from fit_logistic import point_loss, synthetic_data

LOGISTIC = (0, None, 0)
GREEKS = (None, None, 0, None, None, None)


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def timed(call, repeat):
    call()                                   # compile / warm up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak


def summed_vs_per_element(points, paths, repeat):
    x, y, _ = synthetic_data(points)
    w = np.full(x.shape[1], 0.1)
    z = np.random.default_rng(0).standard_normal((paths, 64))
    cases = {
        f"logistic loss, {points:,} points, d sum/d w (8)": (point_loss, 1, LOGISTIC, (x, w, y)),
        f"Greeks payoff, {paths:,} paths, d sum/d (s0, sigma)":
            (payoff, (0, 1), GREEKS, (100.0, 0.2, z, R, T, K)),
    }
    print("\n| workload (target=parallel) | per element, summed by NumPy | reduce=\"sum\" | "
          "speed-up | peak memory: per element | reduce=\"sum\" |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (f, wrt, batch, args) in cases.items():
        each = sd.value_and_grad(f, wrt=wrt, target="parallel", batch=batch)
        summed = sd.value_and_grad(f, wrt=wrt, target="parallel", batch=batch, reduce="sum")

        def per_element(each=each, args=args):
            value, grads = each(*args)
            grads = grads if isinstance(grads, tuple) else (grads,)
            return value.sum(), [np.sum(g, axis=0) for g in grads]

        before = load()
        t_each, m_each = timed(per_element, repeat)
        t_sum, m_sum = timed(lambda summed=summed, args=args: summed(*args), repeat)
        print(f"| {name} | {t_each * 1e3:.1f} ms | {t_sum * 1e3:.1f} ms | "
              f"{t_each / t_sum:.2f}x | {m_each / 2**20:.1f} MiB | {m_sum / 2**20:.2f} MiB |"
              f" ({before} / {load()})")


def cluster_vs_parallel(paths, repeat, chunk):
    import dask
    import dask.array as da
    import numba
    from dask.distributed import Client, LocalCluster, wait

    z = np.random.default_rng(0).standard_normal((paths, 64))
    numba.set_num_threads(2)
    vg = sd.value_and_grad(payoff, wrt=(0, 1), target="parallel", batch=GREEKS, reduce="sum")
    before = load()
    t_par, _ = timed(lambda: vg(100.0, 0.2, z, R, T, K), repeat)
    print(f"\nGreeks, {paths:,} paths x 64 steps, reduce=\"sum\":")
    print(f"  target=parallel, 2 threads, one process:   {t_par:.3f} s, "
          f"{paths / t_par:,.0f} paths/s, {paths / t_par / 2:,.0f} per core ({before} / {load()})")

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    on_cpu = sd.value_and_grad(payoff, wrt=(0, 1), target="cpu", batch=GREEKS, reduce="sum")
    # the same number of normals, drawn on the workers and kept there
    zd = da.random.default_rng(0).standard_normal((paths, 64), chunks=(chunk, 64)).persist()
    wait(zd)

    def on_cluster():
        total, (d_s0, d_sigma) = on_cpu(100.0, 0.2, zd, R, T, K)
        return dask.compute(total, d_s0, d_sigma)

    before = load()
    t_dask, _ = timed(on_cluster, repeat)
    print(f"  Dask, 2 workers x 1 thread (normals on the workers already): {t_dask:.3f} s, "
          f"{paths / t_dask:,.0f} paths/s, {paths / t_dask / 2:,.0f} per core "
          f"({before} / {load()})")

    def drawn_on_workers():
        normals = da.random.default_rng(1).standard_normal((paths, 64), chunks=(chunk, 64))
        total, (d_s0, d_sigma) = on_cpu(100.0, 0.2, normals, R, T, K)
        return dask.compute(total, d_s0, d_sigma)

    before = load()
    t_draw, _ = timed(drawn_on_workers, repeat)
    print(f"  Dask, 2 workers x 1 thread, normals drawn in the computation: {t_draw:.3f} s, "
          f"{paths / t_draw:,.0f} paths/s, {paths / t_draw / 2:,.0f} per core "
          f"({before} / {load()})")
    client.close()
    cluster.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--paths", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=125_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, numba {__import__('numba').__version__}, {load()}")
    summed_vs_per_element(args.points, args.paths, args.repeat)
    cluster_vs_parallel(args.paths, args.repeat, args.chunk)


if __name__ == "__main__":
    main()
