"""``python -m sourcediff.bench.heldout``: the held-out family's table."""

from . import main

main()
