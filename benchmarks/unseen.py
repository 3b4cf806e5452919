"""The ``unseen`` family: six loop programs written by a new user without looking at
the transform (Morse cluster, SEIR fit, Hawkes likelihood, HMM forward pass, MUSCL
Burgers, mass-spring relaxation), sourcediff against the Numba primal, JAX and, for
four of them, hand-written adjoints.

    python benchmarks/unseen.py [--size small|default|large] [--repeat N] [--json FILE]

The benchmark itself is ``sourcediff.bench.unseen`` (also ``sourcediff bench unseen``
and ``python -m sourcediff.bench.unseen``).
"""
from sourcediff.bench.unseen import main

if __name__ == "__main__":
    main()
