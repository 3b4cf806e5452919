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

import sys

TITLE = "held-out loop programs (not used while tuning), one style each, against JAX"
PROGRAMS = ("nbody", "barrier", "xy", "thomas", "sor", "logreg", "smile", "kalman")


def main(argv: list[str] | None = None) -> None:
    """Command line: run the family and print its table."""
    from .. import family

    family.command_line("heldout", sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
