"""The ``heldout`` family: eight loop programs written after the transform's tuning
(N-body, barrier option, XY energy, Thomas solve, SOR sweeps, logistic regression,
smile fit, Kalman filter), sourcediff against the Numba primal, JAX and hand-written
adjoints.

    python benchmarks/heldout.py [--size small|default|large] [--repeat N] [--json FILE]

The benchmark itself is ``sourcediff.bench.heldout`` (also ``sourcediff bench heldout``
and ``python -m sourcediff.bench.heldout``).
"""
from sourcediff.bench.heldout import main

if __name__ == "__main__":
    main()
