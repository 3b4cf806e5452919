"""``python -m sourcediff.bench.programs``: the family's table."""

from . import main

main()
