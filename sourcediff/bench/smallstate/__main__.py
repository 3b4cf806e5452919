"""``python -m sourcediff.bench.smallstate``: the small-state family's table."""

from . import main

main()
