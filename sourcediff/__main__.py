"""``python -m sourcediff``: the ``sourcediff`` command line."""

import sys

from sourcediff.cli import main

if __name__ == "__main__":
    sys.exit(main())
