"""``smallstate``: loop programs whose state is a few numbers kept in small
NumPy arrays (a 4-vector, 3x3 rotation matrices, 2x2 covariances).

Written after ``passes/small_arrays.py``, to measure it on programs other than
the Kalman filter it was written for, in the style a scientist uses for such
models (``np.array`` states, a right-hand-side helper returning a new array,
``@``, ``np.cross``, ``np.outer``, ``np.linalg.inv`` / ``det``): a double
pendulum by RK4, a rigid body's attitude by Rodrigues rotations, and an
extended Kalman filter tracking a pendulum from 2-D positions. One style
each, no hand adjoints. The module interface is the one
:mod:`sourcediff.bench.family` describes.

    sourcediff bench smallstate [--size small|default|large] [--json FILE]
    python -m sourcediff.bench.smallstate [--size ...] [--json FILE]
"""

from __future__ import annotations

import sys

TITLE = "small-state programs (vectors and matrices of a few elements), against JAX"
PROGRAMS = ("pendulum2", "attitude", "ekf")


def main(argv: list[str] | None = None) -> None:
    """Command line: run the family and print its table."""
    from .. import family

    family.command_line("smallstate", sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
