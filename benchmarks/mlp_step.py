"""One training step of an MLP (784-256-256-10, batch 256, float32): forward,
cross-entropy, backward, SGD update — sourcediff's Tensor API against PyTorch eager.

    python benchmarks/mlp_step.py [--size default|small] [--repeats N]

``run(size)`` returns the timings as a dict (used by ``sourcediff bench``).
Both libraries run the same code (the module is passed in), on the same data.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

SIZES = {
    # in, hidden, hidden, out, batch
    "default": (784, 256, 256, 10, 256),
    "small": (64, 32, 32, 10, 32),
}


def _make_step(lib, dims, seed: int = 0):
    n_in, h1, h2, n_out, batch = dims
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((batch, n_in)).astype(np.float32))
    y = lib.tensor(rng.integers(0, n_out, batch))
    model = lib.nn.Sequential(
        lib.nn.Linear(n_in, h1), lib.nn.ReLU(),
        lib.nn.Linear(h1, h2), lib.nn.ReLU(),
        lib.nn.Linear(h2, n_out),
    )
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01)

    def step() -> float:
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def _time_interleaved(steps: dict, repeats: int, warmup: int = 3) -> dict:
    """Median ms per step of each library, alternating them so both see the same
    machine load."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    samples = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(s) * 1e3 for name, s in samples.items()}


def run(size: str = "default", repeats: int | None = None,
        torch_threads: int | None = None) -> dict:
    """Median step time (ms) of sourcediff and, when installed, PyTorch eager.

    ``torch_threads`` sets torch's intra-op threads (default: torch's own choice).
    """
    import sourcediff as sd

    dims = SIZES[size]
    repeats = repeats or (30 if size == "default" else 100)
    steps = {"sourcediff": _make_step(sd, dims)}
    result = {"workload": "mlp_step", "size": size, "dims": dims, "repeats": repeats,
              "sourcediff_ms": None, "torch_ms": None, "ratio": None, "torch_threads": None}
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        if torch_threads:
            torch.set_num_threads(torch_threads)
        steps["torch"] = _make_step(torch, dims)
        result["torch_threads"] = torch.get_num_threads()
    medians = _time_interleaved(steps, repeats)
    result["sourcediff_ms"] = medians["sourcediff"]
    if torch is not None:
        result["torch_ms"] = medians["torch"]
        result["ratio"] = medians["sourcediff"] / medians["torch"]
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch intra-op threads (default: torch's choice)")
    args = parser.parse_args(argv)
    r = run(args.size, args.repeats, args.torch_threads)
    print(f"MLP step {'-'.join(map(str, r['dims'][:4]))}, batch {r['dims'][4]}, float32, "
          f"median of {r['repeats']}")
    print(f"  sourcediff     {r['sourcediff_ms']:8.3f} ms")
    if r["torch_ms"] is None:
        print("  torch          not installed")
    else:
        print(f"  torch eager    {r['torch_ms']:8.3f} ms  ({r['torch_threads']} threads)")
        print(f"  ratio          {r['ratio']:8.2f}x  (sourcediff / torch)")


if __name__ == "__main__":
    main()
