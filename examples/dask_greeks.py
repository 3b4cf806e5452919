"""Monte Carlo Greeks on a Dask cluster: summed pathwise gradients over chunks of paths.

The payoff of one path is the benchmark's (``sourcediff.bench.mc_greeks.payoff``,
a plain loop over 64 time steps).  Its normals are a Dask array drawn chunk by
chunk on the workers, so 10^8 paths never exist in one place; the model
parameters are shared.  With ``reduce="sum"`` each chunk returns the sum of its
payoffs and of their gradients with respect to ``s0`` and ``sigma``, and a
tree of tasks adds the chunks: price, delta and vega are those sums over the
number of paths.  Nothing per path comes back.

    python examples/dask_greeks.py                         # 10^6 paths, 2 local workers
    python examples/dask_greeks.py --paths 100000000       # 10^8 paths
    python examples/dask_greeks.py --scheduler tcp://10.0.0.5:8786   # a running cluster

On a real cluster the workers need sourcediff, numpy and numba installed (not
this file, nor any file of yours: the transform travels with its generated
source and compiles on each worker at its first chunk).
"""
import argparse
import math
import os
import time

import sourcediff as sd
from sourcediff.bench.mc_greeks import K, R, T, payoff


def black_scholes(s0, sigma, r, t, k):
    """Price, delta and vega of the European call, for comparison."""
    def cdf(x):
        return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))
    d1 = (math.log(s0 / k) + (r + 0.5 * sigma * sigma) * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    density = math.exp(-0.5 * d1 * d1) / math.sqrt(2.0 * math.pi)
    return s0 * cdf(d1) - k * math.exp(-r * t) * cdf(d2), cdf(d1), s0 * density * math.sqrt(t)


def greeks(paths, steps=64, chunk=250_000, s0=100.0, sigma=0.2, target="cpu", seed=0):
    """Lazy (Dask) sums of the payoffs and of their gradients over ``paths`` paths."""
    import dask.array as da

    normals = da.random.default_rng(seed).standard_normal((paths, steps),
                                                           chunks=(chunk, steps))
    total = sd.value_and_grad(payoff, wrt=(0, 1), target=target,
                              batch=(None, None, 0, None, None, None), reduce="sum")
    return total(s0, sigma, normals, R, T, K)        # (sum, (d sum/d s0, d sum/d sigma))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=250_000, help="paths per task")
    parser.add_argument("--workers", type=int, default=2, help="local cluster: processes")
    parser.add_argument("--threads", type=int, default=1, help="local cluster: threads each")
    parser.add_argument("--target", default="cpu", choices=["cpu", "parallel", "cuda"],
                        help="what runs each chunk on a worker")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler "
                        "(tcp://host:8786); default: a local cluster")
    args = parser.parse_args()

    import dask
    from dask.distributed import Client, LocalCluster

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=args.threads,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    cores = sum(client.nthreads().values())
    print(f"Dask cluster: {len(client.nthreads())} workers, {cores} threads; "
          f"target={args.target} on each chunk")

    # the first chunk on each worker compiles (or loads Numba's cache): not timed
    warm = greeks(args.chunk * len(client.nthreads()), chunk=args.chunk, target=args.target)
    dask.compute(*warm[:1], *warm[1])

    start = time.perf_counter()
    total, (d_s0, d_sigma) = greeks(args.paths, chunk=args.chunk, target=args.target)
    total, d_s0, d_sigma = dask.compute(total, d_s0, d_sigma)
    elapsed = time.perf_counter() - start
    n = args.paths
    price, delta, vega = total / n, d_s0 / n, d_sigma / n
    exact = black_scholes(100.0, 0.2, R, T, K)
    print(f"{n:,} paths of 64 steps in {elapsed:.2f} s: {n / elapsed:,.0f} paths/s, "
          f"{n / elapsed / cores:,.0f} per core (load average {os.getloadavg()[0]:.2f})")
    for name, mc, bs in zip(("price", "delta", "vega"), (price, delta, vega), exact):
        print(f"  {name:5s} {mc:10.5f}   Black-Scholes {bs:10.5f}")
    client.close()


if __name__ == "__main__":
    main()
