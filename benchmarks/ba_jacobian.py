"""Per-residual Jacobians of bundle adjustment (batched) on every target, JAX and
PyTorch.

    python benchmarks/ba_jacobian.py [--size small|default|large] [--repeat N] [--json FILE]

The benchmark itself is ``sourcediff.bench.ba_jacobian`` (installed with sourcediff; also
``python -m sourcediff.bench.ba_jacobian``).
"""
from sourcediff.bench.ba_jacobian import main

if __name__ == "__main__":
    main()
