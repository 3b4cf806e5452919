"""Monte Carlo pathwise Greeks (batched gradients) on every target, JAX and PyTorch.

    python benchmarks/mc_greeks.py [--size small|default|large] [--repeat N] [--json FILE]

The benchmark itself is ``sourcediff.bench.mc_greeks`` (installed with sourcediff; also
``python -m sourcediff.bench.mc_greeks``).
"""
from sourcediff.bench.mc_greeks import main

if __name__ == "__main__":
    main()
