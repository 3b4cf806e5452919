"""Keep the memory of freed tapes in the process (glibc only).

A gradient allocates its tapes (``np.empty`` of one slot per iteration) on
every call and frees them when it returns.  With glibc's default settings an
allocation above a threshold is mapped fresh from the system and, once freed,
given back (large free blocks at the top of the heap are trimmed), so every
call pays a page fault per 4 KiB of tape: for the SEIR program of
``sourcediff bench unseen`` (eight tapes of 1.6 MB) 6.1 ms per call against
1.7 ms once the memory stays.  Before the first compiled function runs, the
allocator is told to serve blocks up to 32 MiB from the heap (the largest
threshold its own adaptive rule reaches) and to keep up to 64 MiB of freed
memory instead of trimming it.  This is process-wide: the process may keep up
to 64 MiB more than it uses.  ``SOURCEDIFF_MALLOC_TUNING=0`` leaves the
allocator as it is.
"""
from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
_done = False


def keep_freed_memory() -> bool:
    """Apply the settings once (glibc, not turned off); whether they are on."""
    global _done
    if _done:
        return True
    if os.environ.get("SOURCEDIFF_MALLOC_TUNING", "1") == "0" or \
            platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    _done = bool(libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)) and \
        bool(libc.mallopt(M_TRIM_THRESHOLD, 64 << 20))
    return _done
