"""Benchmark: one training step of an MLP (784-256-256-10, batch 256, float32):
forward, cross-entropy, backward, SGD update.

sourcediff runs it with its PyTorch-style Tensor API (``import sourcediff as
torch``); PyTorch eager runs the very same code; JAX jits a step built from
``value_and_grad``; HIPS autograd differentiates the NumPy formula. All start
from the same weights (fixed seed), so the first step's gradients are
cross-checked. The primal is the forward pass and loss in NumPy.

    python benchmarks/mlp_step.py [--size small|default|large] [--repeats N]

``run(size)`` times sourcediff and PyTorch alternately (the same machine load
for both) and returns milliseconds; ``sourcediff bench mlp-step`` measures it
like the other workloads.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

TITLE = "MLP training step, Tensor API (float32)"
SIZES = {
    "small": {"n_in": 64, "hidden": 32, "n_out": 10, "batch": 32},
    "default": {"n_in": 784, "hidden": 256, "n_out": 10, "batch": 256},
    "large": {"n_in": 784, "hidden": 1024, "n_out": 10, "batch": 1024},
}
WRT = ("w1", "b1", "w2", "b2", "w3", "b3")
RTOL = 1e-4  # float32
PRIMAL_TOOL = "numpy"
LEARNING_RATE = 0.01


def make_data(size: str) -> dict:
    """Inputs, labels and initial weights (PyTorch's Linear layout and init range)."""
    dims = SIZES[size]
    n_in, hidden, n_out, batch = dims["n_in"], dims["hidden"], dims["n_out"], dims["batch"]
    rng = np.random.default_rng(0)
    weights = []
    for fan_in, fan_out in ((n_in, hidden), (hidden, hidden), (hidden, n_out)):
        bound = 1.0 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        weights.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return {"x": rng.standard_normal((batch, n_in)).astype(np.float32),
            "y": rng.integers(0, n_out, batch), "weights": tuple(weights)}


def wrt_values(data: dict) -> tuple:
    """The differentiated inputs, in ``WRT`` order."""
    return data["weights"]


def _loss_numpy(x, y, w1, b1, w2, b2, w3, b3) -> float:
    h1 = np.maximum(x @ w1.T + b1, 0.0)
    h2 = np.maximum(h1 @ w2.T + b2, 0.0)
    logits = h2 @ w3.T + b3
    largest = logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(logits - largest).sum(axis=1)) + largest[:, 0]
    return float(np.mean(log_norm - logits[np.arange(len(y)), y]))


def primal(data: dict):
    """Forward pass and mean cross-entropy in NumPy (in the weights' dtype)."""
    x, y = data["x"], data["y"]
    return lambda *weights: _loss_numpy(x.astype(weights[0].dtype, copy=False), y, *weights)


def _make_step(lib, data: dict):
    """A training step with ``lib`` (``sourcediff`` or ``torch``): the same code for both.

    Returns ``step() -> (loss, grads)``, the gradients taken before the update."""
    dims = _layer_sizes(data)
    x = lib.tensor(data["x"])
    y = lib.tensor(data["y"])
    model = lib.nn.Sequential(
        lib.nn.Linear(dims[0], dims[1]), lib.nn.ReLU(),
        lib.nn.Linear(dims[1], dims[1]), lib.nn.ReLU(),
        lib.nn.Linear(dims[1], dims[2]),
    )
    with lib.no_grad():
        for parameter, value in zip(model.parameters(), data["weights"], strict=True):
            parameter.copy_(lib.tensor(value))
    parameters = list(model.parameters())
    optimizer = lib.optim.SGD(parameters, lr=LEARNING_RATE)

    def step():
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item(), tuple(p.grad for p in parameters)

    return step


def _layer_sizes(data: dict) -> tuple[int, int, int]:
    """(inputs, hidden, outputs) of the network in ``data``."""
    w1, _, _, _, w3, _ = data["weights"]
    return w1.shape[1], w1.shape[0], w3.shape[0]


def sourcediff(data: dict):
    """The step with sourcediff's Tensor API."""
    import sourcediff as sd

    return _make_step(sd, data)


def peer_torch(data: dict):
    """The same step with PyTorch eager (one thread)."""
    from .harness import import_torch

    return _make_step(import_torch(), data)


def _loss_with(np_module, logsumexp):
    def loss(weights, x, y):
        w1, b1, w2, b2, w3, b3 = weights
        h1 = np_module.maximum(np_module.dot(x, w1.T) + b1, 0.0)
        h2 = np_module.maximum(np_module.dot(h1, w2.T) + b2, 0.0)
        logits = np_module.dot(h2, w3.T) + b3
        picked = logits[np.arange(len(y)), y]
        return np_module.mean(logsumexp(logits) - picked)

    return loss


def peer_jax(data: dict):
    """``jax.jit`` of a step built from ``jax.value_and_grad`` and the SGD update."""
    from .harness import import_jax

    jax = import_jax()
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp

    loss = _loss_with(jnp, lambda logits: logsumexp(logits, axis=1))

    @jax.jit
    def step(weights, x, y):
        value, grads = jax.value_and_grad(loss)(weights, x, y)
        updated = tuple(w - LEARNING_RATE * g for w, g in zip(weights, grads))
        return value, grads, updated

    state = {"weights": tuple(jnp.asarray(w) for w in data["weights"])}
    x, y = jnp.asarray(data["x"]), jnp.asarray(data["y"])

    def call():
        value, grads, state["weights"] = jax.block_until_ready(step(state["weights"], x, y))
        return value, grads

    return call


def peer_autograd(data: dict):
    """HIPS autograd ``value_and_grad`` of the NumPy loss, then the SGD update."""
    import autograd
    import autograd.numpy as anp

    def logsumexp(logits):
        largest = anp.max(logits, axis=1, keepdims=True)
        return anp.log(anp.sum(anp.exp(logits - largest), axis=1)) + largest[:, 0]

    value_and_grad = autograd.value_and_grad(_loss_with(anp, logsumexp))
    state = {"weights": tuple(w.copy() for w in data["weights"])}
    x, y = data["x"], data["y"]

    def call():
        value, grads = value_and_grad(state["weights"], x, y)
        state["weights"] = tuple((w - LEARNING_RATE * g).astype(w.dtype)
                                 for w, g in zip(state["weights"], grads))
        return value, grads

    return call


# -- standalone run: sourcediff against PyTorch, interleaved ------------------------


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
    data = make_data(size)
    repeats = repeats or (30 if size == "default" else 100)
    steps = {"sourcediff": sourcediff(data)}
    result = {"workload": "mlp_step", "size": size, "dims": SIZES[size], "repeats": repeats,
              "sourcediff_ms": None, "torch_ms": None, "ratio": None, "torch_threads": None}
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        if torch_threads:
            torch.set_num_threads(torch_threads)
        steps["torch"] = _make_step(torch, data)
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
    dims = r["dims"]
    print(f"MLP step {dims['n_in']}-{dims['hidden']}-{dims['hidden']}-{dims['n_out']}, "
          f"batch {dims['batch']}, float32, median of {r['repeats']}")
    print(f"  sourcediff     {r['sourcediff_ms']:8.3f} ms")
    if r["torch_ms"] is None:
        print("  torch          not installed")
    else:
        print(f"  torch eager    {r['torch_ms']:8.3f} ms  ({r['torch_threads']} threads)")
        print(f"  ratio          {r['ratio']:8.2f}x  (sourcediff / torch)")


if __name__ == "__main__":
    main()
