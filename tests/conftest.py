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

# Most of the suite's time is Numba compiling generated code for target="cpu", and about
# a third of that is LLVM (the cpu-target checks of tests/core/test_fd_subset.py took
# 102 s of CPU at Numba's default -O3, 66 s at -O0).  The tests compile without LLVM
# optimization: every compiled check still goes through Numba's typing and lowering of
# the same generated code and runs it (the cpu target).  Primals compile without
# fastmath, and LLVM's optimizations do not change their floating-point results; a
# derivative's sums may be reassociated (fastmath={"reassoc"}, transforms/base.py), so
# at -O3 LLVM may add
# their terms in another order, within the tolerances every
# gradient check has (the fd_subset, bench and rolling/invariant-sum tests pass at -O3
# too).  One difference shows: Numba finds "dynamic globals" in some unoptimized
# functions (ones that call helpers or other compiled functions), warns "Cannot cache
# compiled function" and compiles them again in a new process.  Numba's on-disk
# cache does not key on the optimization level, so the tests keep their compiled code
# in a cache of their own (users' caches and the package's __pycache__ never receive
# unoptimized code).  SOURCEDIFF_TEST_NUMBA_OPT=3 runs the suite at Numba's default.
os.environ["NUMBA_OPT"] = os.environ.get("SOURCEDIFF_TEST_NUMBA_OPT", "0")
os.environ["NUMBA_CACHE_DIR"] = os.path.join(
    os.environ.get("SOURCEDIFF_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache",
                                                           "sourcediff"),
    f"numba-tests-opt{os.environ['NUMBA_OPT']}")

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


import gc

import pytest


@pytest.fixture
def put_back(monkeypatch):
    """Adjoints that put an array's overwritten elements back, not the ones
    that store the values read from it, which program.py chooses where they
    move less (the heat equation's): for the tests of the put-back path."""
    from sourcediff import program
    monkeypatch.setattr(program, "STORED_READS", False)


# Python's cycle collector: a full collection walks every object the process holds,
# and a worker holds more with every test module (Numba keeps each compiled function,
# its types and its overloads until the process exits: 7-9 million objects by the end
# of the suite).  Measured over the whole suite on two workers: 135 s of each
# worker's time went to collections, 112 s of it to 70-125 full ones.  At the start
# of each test module the objects the earlier modules left are frozen (gc.freeze():
# kept, never walked again); the collector still frees what each module leaves
# behind in cycles.  Whole suite, two workers: collections 135 -> 56-73 s per
# worker; CPU 2108 -> 1806 s.
#
# Within a module the collector still walked everything that module's compiles left: two
# rule-test files in one process (365 tests) spent 23 s of 135 in collections, 20 s of it
# in 77 full ones.  A full collection now waits for 100 collections of the middle
# generation rather than 10 (Python's default; the younger two stay as they are): the
# same files took 16 s in 17 full ones, the process's peak memory 1.84 -> 1.89 GiB.
gc.set_threshold(700, 10, 100)
_frozen_at = {"module": None}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    module = item.nodeid.split("::")[0]
    if module != _frozen_at["module"]:
        _frozen_at["module"] = module
        gc.freeze()
