"""``programs``: a family of loop programs written the way scientists write Numba code.

Each program is the same math written in two styles (temporaries or one-liners,
buffer swap or copy-back, helper functions or inline code), differentiated by
sourcediff, and compared with its Numba primal, JAX's ``jit(value_and_grad)``
(``lax`` loops or vectorized, float64) and, for most, a hand-written Numba
adjoint. The interface of a program module is described in
:mod:`sourcediff.bench.family`; adding a program is one module and one line in
``PROGRAMS``.

    sourcediff bench programs [--size small|default|large] [--json FILE]
    python benchmarks/programs.py [--size ...] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys

TITLE = "loop programs, two styles each, against JAX and hand-written adjoints"
PROGRAMS = ("kmeans", "heat", "lstm", "interp", "stencil2d", "rosen", "pairs", "rk4", "mixture")


def main(argv: list[str] | None = None) -> None:
    """Command line: run the family and print its table."""
    from .. import family
    from ..harness import limit_blas_threads

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "default", "large"), default="default")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--budget", type=float, default=10.0,
                        help="seconds of timed calls per tool")
    parser.add_argument("--no-jax", action="store_true", help="skip the JAX rows")
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    options = parser.parse_args(argv)
    limit_blas_threads(1)
    report = family.run_family(
        "programs", sys.modules[__name__], options.size,
        peers=() if options.no_jax else ("jax",), repeat=options.repeat,
        budget_s=options.budget,
        progress=lambda message: print(message, file=sys.stderr, flush=True))
    print(family.format_family(report))
    if options.json:
        with open(options.json, "w") as out:
            json.dump(report, out, indent=2)
            out.write("\n")


if __name__ == "__main__":
    main()
