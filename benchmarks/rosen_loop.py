"""Rosenbrock as an explicit loop: Numba primal, sourcediff, a hand-written adjoint,
JAX and PyTorch where installed.

    python benchmarks/rosen_loop.py [--size small|default|large] [--repeat N] [--no-fresh-processes]

The benchmark itself is ``sourcediff.bench.rosen_loop`` (installed with sourcediff; also
``python -m sourcediff.bench.rosen_loop``).
"""
from sourcediff.bench.rosen_loop import main

if __name__ == "__main__":
    main()
