"""``fresh``: a third family of loop programs, written by a new user.

Six loop programs of kinds in neither ``programs`` nor ``heldout``, written the
way a scientist writes plain Python/Numba loops, after the transform's tuning
and without looking at it: a 1-D SPH density sum with a kernel cutoff, a soft-DTW
dynamic program, an American put on a binomial tree, a Van der Pol fit with Heun
steps, a convolution layer by explicit loops, a bead-spring polymer chain energy.
One style each, no hand adjoints; the module interface is the one
:mod:`sourcediff.bench.family` describes.

    sourcediff bench fresh [--size small|default|large] [--json FILE]
    python -m sourcediff.bench.fresh [--size ...] [--json FILE]
"""

from __future__ import annotations

import sys

TITLE = "fresh loop programs (a third family, by a new user), one style each, against JAX"
PROGRAMS = ("sph", "softdtw", "binomial", "vdp", "conv2d", "polymer")


def main(argv: list[str] | None = None) -> None:
    """Command line: run the family and print its table."""
    from .. import family

    family.command_line("fresh", sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
