"""``heldout``: loop programs no one tuned the transform for.

A held-out set for the ``programs`` family: eight loop programs written the way a
scientist writes Numba code (velocity-Verlet N-body, a Monte Carlo barrier option
with ``break``, a periodic XY-model energy, a Thomas solve per implicit step,
in-place SOR sweeps, a logistic regression with explicit loops, a Black-Scholes
smile fit with a Horner loop and ``math.erf``, a Kalman filter with 2x2 matrices),
written after the transform's tuning and not used for it. One style each; the
module interface is the one :mod:`sourcediff.bench.family` describes, so the
table has the same columns as ``sourcediff bench programs``.

    sourcediff bench heldout [--size small|default|large] [--json FILE]
    python -m sourcediff.bench.heldout [--size ...] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys

TITLE = "held-out loop programs (not used while tuning), one style each, against JAX"
PROGRAMS = ("nbody", "barrier", "xy", "thomas", "sor", "logreg", "smile", "kalman")


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
        "heldout", sys.modules[__name__], options.size,
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
