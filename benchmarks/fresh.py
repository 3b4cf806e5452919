"""The ``fresh`` family: six loop programs written by a new user, of kinds in
neither ``programs`` nor ``heldout`` (SPH density, soft-DTW, binomial-tree
American put, Van der Pol fit, convolution layer, polymer chain), sourcediff
against the Numba primal and JAX.

    python benchmarks/fresh.py [--size small|default|large] [--repeat N] [--json FILE]

The benchmark itself is ``sourcediff.bench.fresh`` (also ``sourcediff bench fresh``
and ``python -m sourcediff.bench.fresh``).
"""
from sourcediff.bench.fresh import main

if __name__ == "__main__":
    main()
