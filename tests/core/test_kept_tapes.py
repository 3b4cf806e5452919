"""A gradient's tapes above 32 MiB come from the heap and stay there, freed,
for the next call (runtime/memory.py): the second call page-faults on none of
its tape (glibc maps a block above 32 MiB fresh from the system, and unmaps it
when freed: a fault on every page of it in every call).  Once the heap holds
the memory, a call finds it there."""
import platform
import resource

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.bench.programs import heat
from sourcediff.runtime.memory import TapesKept, keep_freed_memory

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc" or not keep_freed_memory(),
    reason="the allocator settings are glibc's (and SOURCEDIFF_MALLOC_TUNING=0 turns them off)")

N, STEPS = 1000, 6000          # a tape of 998 * 6000 float64: 46 MiB, 11,700 pages


def _faults(call) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    call()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_a_tape_above_32_mib_is_kept_between_calls():
    args = heat.make_args({"n": N, "steps": STEPS})
    g = sd.value_and_grad(heat.heat_swap, wrt=(0, 1))
    g(*args)
    grad = g._last.names["grad"]
    assert isinstance(grad, TapesKept)
    pages = (N - 2) * STEPS * 8 // 4096
    assert _faults(lambda: g(*args)) < pages // 10
    np.testing.assert_allclose(g(*args)[1][0], grad.fn(*args)[1][0], rtol=0, atol=0)
