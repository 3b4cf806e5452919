"""Keep the memory of freed tapes in the process (glibc only).

A gradient allocates its tapes (``np.empty`` of one slot per iteration) on
every call and frees them when it returns.  With glibc's default settings an
allocation above a threshold is mapped fresh from the system and, once freed,
given back (large free blocks at the top of the heap are trimmed), so every
call pays a page fault per 4 KiB of tape: for the SEIR program of
``sourcediff bench unseen`` (eight tapes of 1.6 MB) 6.1 ms per call against
1.7 ms once the memory stays.  Before the first compiled function runs, the
allocator is told to serve blocks up to 32 MiB from the heap (the largest
threshold its own adaptive rule reaches) and to keep up to 1 GiB of freed
memory at the top of the heap instead of trimming it.

A tape above 32 MiB is still mapped fresh: glibc takes no higher threshold.
While a gradient that allocates tapes runs (:class:`TapesKept`), the
allocator maps nothing (``M_MMAP_MAX`` 0), so its tapes come from the heap
too, and stay there for the next call: a new user's advection scheme (146
MiB of tapes) 87 -> 30 ms a call, a 2-D wave equation (121 MiB) 90 -> 50 ms.
Outside those calls the allocator maps large blocks as before, so the
process's own large arrays are given back when freed.

This is process-wide: the process may keep up to 1 GiB more than it uses
(``SOURCEDIFF_KEEP_FREED_MIB`` sets the amount), as caching allocators (XLA's,
PyTorch's on a GPU) keep theirs.  ``SOURCEDIFF_MALLOC_TUNING=0`` leaves the
allocator as it is.
"""
from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_MMAP_MAX = -4
MMAP_MAX_DEFAULT = 65536         # glibc's
_done = False
_mallopt = None


def keep_freed_memory() -> bool:
    """Apply the settings once (glibc, not turned off); whether they are on."""
    global _done, _mallopt
    if _done:
        return True
    if os.environ.get("SOURCEDIFF_MALLOC_TUNING", "1") == "0" or \
            platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    mallopt = libc.mallopt
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    try:
        keep = max(int(os.environ.get("SOURCEDIFF_KEEP_FREED_MIB", "1024")), 0) << 20
    except ValueError:
        keep = 1024 << 20
    _done = bool(mallopt(M_MMAP_THRESHOLD, 32 << 20)) and \
        bool(mallopt(M_TRIM_THRESHOLD, min(keep, (1 << 31) - 1)))
    _mallopt = mallopt if _done else None
    return _done


class TapesKept:
    """A compiled function that allocates tapes, called with the allocator
    mapping nothing: its tapes come from the heap and stay there, freed, for
    the next call.  Everything else is the function's (``inspect_llvm``...)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args):
        mallopt = _mallopt
        if mallopt is None:
            return self.fn(*args)
        mallopt(M_MMAP_MAX, 0)
        try:
            return self.fn(*args)
        finally:
            mallopt(M_MMAP_MAX, MMAP_MAX_DEFAULT)

    def __getattr__(self, name):
        return getattr(self.fn, name)
