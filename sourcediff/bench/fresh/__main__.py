"""``python -m sourcediff.bench.fresh``: the fresh family's table."""

from . import main

main()
