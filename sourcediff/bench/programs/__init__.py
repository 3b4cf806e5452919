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

import sys

TITLE = "loop programs, two styles or more each, against JAX and hand-written adjoints"
PROGRAMS = ("kmeans", "heat", "lstm", "interp", "stencil2d", "rosen", "pairs", "rk4", "mixture",
            "option_fd", "diffusion", "wave")


def main(argv: list[str] | None = None) -> None:
    """Command line: run the family and print its table."""
    from .. import family

    family.command_line("programs", sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
