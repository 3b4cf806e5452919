"""``python -m sourcediff.bench.unseen``: the unseen family's table."""

from . import main

main()
