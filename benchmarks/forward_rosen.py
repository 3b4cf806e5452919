"""Forward mode on the Rosenbrock loop: sd.jvp against the primal and a hand-written
Numba JVP; value_and_grad and the Hessian-vector product for scale.

    python benchmarks/forward_rosen.py [--size small|default|large] [--repeat N]

The benchmark itself is ``sourcediff.bench.forward_rosen`` (installed with sourcediff; also
``python -m sourcediff.bench.forward_rosen``).
"""
from sourcediff.bench.forward_rosen import main

if __name__ == "__main__":
    main()
