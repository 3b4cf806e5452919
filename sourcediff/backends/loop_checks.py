"""Overlap checks of vectorized loops evaluated where the loop starts.

LLVM vectorizes a loop over arrays it cannot prove apart by checking, at run
time, that the ranges the loop reads and writes do not overlap, and runs a
scalar copy of the loop when they might.  Since LLVM 18 a check on an inner
loop is widened to cover every iteration of the enclosing loop and evaluated
once, before it ("hoisted").  A range that moves backwards as the enclosing
loop runs defeats that: the widened check adds "the step is not negative" and
fails for every call, and the inner loop always runs its scalar copy.

Every reverse sweep reads its tapes backwards: the reverse of a time loop
reads the row the forward sweep stored last first.  Where the adjoint
buffers the inner loop updates are the same arrays in every step (a heat
equation copied back, not swapped) the reverse stencil ran scalar, its sum
``dkappa += ...`` one dependent addition per element: 1.13 ms against
0.58 ms with the checks left inside the time loop, where they pass (the same
generated module, compiled both ways).  An outer loop whose iterations are
independent counts up instead (passes/ascending.py); a time loop cannot.

So the functions we generate are compiled with LLVM's
``-hoist-runtime-checks`` off (a check per entry into the inner loop: a few
comparisons against the hundreds of elements the loop then runs vectorized).
The option is process-wide in LLVM; it is set only while Numba compiles one of
our functions (under Numba's compiler lock) and set back to LLVM's default
after, so a user's own ``@njit`` functions compile as they would without us,
and so does the Numba primal the benchmarks time.  LLVM before 18 does not
hoist these checks (and has no such option): nothing is set there.

The same goes for a second option, for compile time: LLVM's ``-O3`` copies a
loop for each condition inside it that the loop does not change
("non-trivial unswitching", up to a cost of 50 per copy).  Numba's
whole-array expressions on arrays of three dimensions hold many such
conditions (one broadcast test per axis and operand), and a cloth simulation
written with ``(N, N, 3)`` slices compiled its gradient for 31 s (6 s for
its Numba primal).  Our functions compile with a budget of 1 (a loop is
still unswitched where the copy costs next to nothing): 7 s, the gradient
106 -> 135 us; at the simulation's full size 90 -> 11 s and 20 -> 30 ms (a
budget of 25: 26 s and 24 ms).  Over the bench families, first calls and
run times are within run-to-run noise, but for successive over-relaxation,
faster (1.81 -> 1.22 ms).
"""
from __future__ import annotations

import contextlib
import functools

OPTION = "-hoist-runtime-checks"
UNSWITCH = "-unswitch-threshold"
# each option: our value, LLVM's default
OPTIONS = {OPTION: ("false", "true"), UNSWITCH: ("1", "50")}
# (in the hash of every generated module: machine code cached before this
# was set is not loaded for it)
STAMP = " ".join(f"{k}={v}" for k, (v, _) in OPTIONS.items())


@functools.cache
def applies() -> bool:
    """Whether the LLVM under Numba hoists such checks (18 and later)."""
    try:
        import llvmlite.binding as llvm
        return tuple(llvm.llvm_version_info) >= (18, 0)
    except (ImportError, AttributeError):
        return False


@contextlib.contextmanager
def checks_where_loops_start():
    """While this is open, Numba compiles with the checks left in place."""
    if not applies():
        yield
        return
    import llvmlite.binding as llvm
    from numba.core.compiler_lock import global_compiler_lock
    with global_compiler_lock:
        for option, (ours, _) in OPTIONS.items():
            llvm.set_option("sourcediff", f"{option}={ours}")
        try:
            yield
        finally:
            for option, (_, default) in OPTIONS.items():
                llvm.set_option("sourcediff", f"{option}={default}")


def compiled_with_checks_in_place(dispatcher):
    """``dispatcher`` (a Numba ``njit`` function) whose compilations, for any
    argument types, run inside :func:`checks_where_loops_start`.  Numba
    compiles through the dispatcher's ``compile`` both for a call from Python
    and for a call from another compiled function."""
    if not applies():
        return dispatcher
    compile_for = dispatcher.compile

    def compile(sig):
        with checks_where_loops_start():
            return compile_for(sig)

    dispatcher.compile = compile
    return dispatcher
