"""Shared test configuration.

Under CI (the ``CI`` environment variable is set) the property-based tests
draw the same examples every run, so a submission's CI result does not depend
on luck; locally they explore new random examples each run.
"""
import os

# The target="cuda" tests (tests/batch) run on a GPU where one is present and
# under Numba's CUDA simulator otherwise.  The flag is read when numba.cuda is
# first imported, so it is set here, before any test module imports Numba; it
# changes numba.cuda only (njit code is unaffected).
if not os.path.exists("/dev/nvidiactl"):
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
