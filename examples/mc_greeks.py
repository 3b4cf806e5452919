"""Monte Carlo option Greeks by batched pathwise differentiation.

A European call on a stock following geometric Brownian motion, simulated as a
plain loop over 64 time steps per path.  ``sd.value_and_grad(..., batch=...)``
differentiates the discounted payoff of every path at once: the normals are
batched (one row per path), the model parameters are shared (``None``), and
the gradient with respect to a shared argument is per path, so its mean is
the pathwise Monte Carlo estimate of delta (d price / d s0) and vega
(d price / d sigma).  For the European call they are compared with the
Black-Scholes closed form; an arithmetic Asian call (no closed form) follows.

Run: ``python examples/mc_greeks.py [--paths 1000000] [--steps 64]
[--target parallel]`` (``cpu``, ``parallel``, or ``cuda`` on a machine with a
GPU).
"""
import argparse
import math
import time

import numpy as np

import sourcediff as sd


def european_call(s0, sigma, z, r, T, K):
    """Discounted payoff of one path; z holds the path's standard normals."""
    n = z.shape[0]
    dt = T / n
    s = s0
    for i in range(n):
        s = s * math.exp((r - 0.5 * sigma * sigma) * dt + sigma * math.sqrt(dt) * z[i])
    return math.exp(-r * T) * max(s - K, 0.0)


def asian_call(s0, sigma, z, r, T, K):
    """Discounted payoff of an arithmetic-average Asian call along one path."""
    n = z.shape[0]
    dt = T / n
    s = s0
    total = 0.0
    for i in range(n):
        s = s * math.exp((r - 0.5 * sigma * sigma) * dt + sigma * math.sqrt(dt) * z[i])
        total += s
    return math.exp(-r * T) * max(total / n - K, 0.0)


def black_scholes(s0, sigma, r, T, K):
    """Price, delta and vega of a European call."""
    def cdf(x):
        return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))
    d1 = (math.log(s0 / K) + (r + 0.5 * sigma * sigma) * T) / (sigma * math.sqrt(T))
    d2 = d1 - sigma * math.sqrt(T)
    price = s0 * cdf(d1) - K * math.exp(-r * T) * cdf(d2)
    density = math.exp(-0.5 * d1 * d1) / math.sqrt(2.0 * math.pi)
    return price, cdf(d1), s0 * density * math.sqrt(T)


def estimate(payoffs, per_path):
    """Mean and standard error of each per-path quantity."""
    n = payoffs.shape[0]
    return [(float(np.mean(a)), float(np.std(a)) / math.sqrt(n)) for a in (payoffs, *per_path)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--target", default="parallel", choices=["cpu", "parallel", "cuda"])
    args = parser.parse_args()
    s0, sigma, r, T, K = 100.0, 0.2, 0.03, 1.0, 105.0
    z = np.random.default_rng(2024).standard_normal((args.paths, args.steps))

    # z batched (one row per path); s0, sigma, r, T, K shared by every path
    greeks = sd.value_and_grad(european_call, wrt=("s0", "sigma"), target=args.target,
                               batch=(None, None, 0, None, None, None))
    start = time.perf_counter()
    greeks(s0, sigma, z[:2], r, T, K)               # transform and compile
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    payoffs, (deltas, vegas) = greeks(s0, sigma, z, r, T, K)
    run_s = time.perf_counter() - start
    (price, price_se), (delta, delta_se), (vega, vega_se) = estimate(payoffs, (deltas, vegas))
    bs_price, bs_delta, bs_vega = black_scholes(s0, sigma, r, T, K)
    print(f"European call, {args.paths:,} paths x {args.steps} steps, target={args.target!r}: "
          f"{run_s:.3f} s (first call with compilation {compile_s:.1f} s)")
    print(f"{'':8}{'Monte Carlo':>22}{'Black-Scholes':>16}{'|diff| / s.e.':>16}")
    for name, mc, se, exact in (("price", price, price_se, bs_price),
                                ("delta", delta, delta_se, bs_delta),
                                ("vega", vega, vega_se, bs_vega)):
        print(f"{name:8}{mc:>13.5f} +- {se:<7.5f}{exact:>14.5f}{abs(mc - exact) / se:>14.2f}")

    asian = sd.value_and_grad(asian_call, wrt=("s0", "sigma"), target=args.target,
                              batch=(None, None, 0, None, None, None))
    payoffs, (deltas, vegas) = asian(s0, sigma, z, r, T, K)
    (price, price_se), (delta, delta_se), (vega, vega_se) = estimate(payoffs, (deltas, vegas))
    print(f"Asian call (arithmetic average): price {price:.5f} +- {price_se:.5f}, "
          f"delta {delta:.5f} +- {delta_se:.5f}, vega {vega:.5f} +- {vega_se:.5f}")


if __name__ == "__main__":
    main()
