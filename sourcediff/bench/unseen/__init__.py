"""``unseen``: a fourth family of loop programs, written by a new user.

Six loop programs of kinds in none of ``programs``, ``heldout`` or ``fresh``,
written the way a scientist writes plain Python/Numba loops for their own
problem, without looking at the transform or the other families: a Morse
cluster energy with a cutoff and periodic wrap, an SEIR epidemic fit with forward
Euler and an intervention date, a Hawkes-process log-likelihood by the O(n)
recursion, an HMM forward pass in log space with a hand-written logsumexp, a
MUSCL finite-volume Burgers solver with a minmod limiter, and a mass-spring net
relaxed by gradient descent. One style each; hand-written Numba adjoints for
the four whose first measured gradient/primal ratio was above 3 (morse, hmm,
burgers, springnet), written after that measurement to see how much of the gap a
person closes. The module interface is the one :mod:`sourcediff.bench.family`
describes.

    sourcediff bench unseen [--size small|default|large] [--json FILE]
    python -m sourcediff.bench.unseen [--size ...] [--json FILE]
"""

from __future__ import annotations

import sys

TITLE = "unseen loop programs (a fourth family, by a new user), one style each, against JAX"
PROGRAMS = ("morse", "seir", "hawkes", "hmm", "burgers", "springnet")


def main(argv: list[str] | None = None) -> None:
    """Command line: run the family and print its table."""
    from .. import family

    family.command_line("unseen", sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
