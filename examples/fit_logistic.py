"""Fit a logistic regression to a million points with scipy.optimize.minimize.

The loss of one data point is plain Python; ``sd.value_and_grad(...,
batch=(0, None, 0), reduce="sum")`` evaluates it for every point and returns
the summed loss and the gradient with respect to the shared weights, without
ever holding one gradient per point: what ``minimize(jac=True)`` needs.

    python examples/fit_logistic.py                    # 10^6 points, 8 features
    python examples/fit_logistic.py --points 10000000 --target cpu
"""
import argparse
import math
import time

import numpy as np
from scipy.optimize import minimize

import sourcediff as sd


def point_loss(x, w, y):
    """Negative log-likelihood of label ``y`` (0 or 1) for features ``x``."""
    z = 0.0
    for j in range(x.shape[0]):
        z += w[j] * x[j]
    margin = (2.0 * y - 1.0) * z
    # log(1 + exp(-margin)), without overflow for either sign
    if margin > 0.0:
        return math.log1p(math.exp(-margin))
    return -margin + math.log1p(math.exp(margin))


def synthetic_data(n, features=8, seed=0):
    """Points, 0/1 labels drawn from a logistic model, and its true weights."""
    rng = np.random.default_rng(seed)
    truth = rng.uniform(-1.5, 1.5, features)
    points = rng.standard_normal((n, features))
    p = 1.0 / (1.0 + np.exp(-points @ truth))
    labels = (rng.random(n) < p).astype(np.float64)
    return points, labels, truth


def fit(points, labels, target="parallel"):
    """Maximum-likelihood weights (mean loss over the points, L-BFGS)."""
    loss = sd.value_and_grad(point_loss, wrt=1, target=target, batch=(0, None, 0),
                             reduce="sum")
    n = points.shape[0]

    def mean_loss(w):
        total, grad = loss(points, w, labels)
        return total / n, grad / n

    return minimize(mean_loss, np.zeros(points.shape[1]), jac=True, method="L-BFGS-B")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=8)
    parser.add_argument("--target", default="parallel", choices=["cpu", "parallel", "cuda"])
    args = parser.parse_args()
    points, labels, truth = synthetic_data(args.points, args.features)
    fit(points[:100], labels[:100], args.target)          # compile once
    start = time.perf_counter()
    result = fit(points, labels, args.target)
    elapsed = time.perf_counter() - start
    print(f"{args.points:,} points, {args.features} features, target={args.target}")
    print(f"  {result.nfev} loss+gradient evaluations in {elapsed:.2f} s "
          f"({elapsed / result.nfev * 1e3:.1f} ms each, "
          f"{args.points * result.nfev / elapsed / 1e6:.1f} M points/s)")
    print(f"  mean loss {result.fun:.5f}; largest weight error "
          f"{np.abs(result.x - truth).max():.4f}")


if __name__ == "__main__":
    main()
