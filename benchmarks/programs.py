"""The ``programs`` family: loop programs in two styles each (k-means, heat equation,
LSTM cell, bisection, 2-D stencil, Rosenbrock, Lennard-Jones pairs, RK4, mixture
likelihood), sourcediff against the Numba primal, JAX and hand-written adjoints.

    python benchmarks/programs.py [--size small|default|large] [--repeat N] [--json FILE]

The benchmark itself is ``sourcediff.bench.programs`` (also ``sourcediff bench programs``
and ``python -m sourcediff.bench.programs``).
"""
from sourcediff.bench.programs import main

if __name__ == "__main__":
    main()
