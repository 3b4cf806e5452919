"""Checkpointed loops (``grad(..., checkpoint=...)`` and ``@sd.checkpoint``)
give the same gradients as the full tape, and keep fewer values alive."""
import re
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

from ..core import programs as P
from ..core.test_programs import CASES
from . import ckpt_programs as C

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import numeric_grad

# loops that cannot be checkpointed are reported: tested once, below
pytestmark = pytest.mark.filterwarnings("ignore:checkpoint:UserWarning")
rng = np.random.default_rng(7)
NEW = [
    (C.array_state, (np.array([0.3, 0.8]), 1.1, 13), (0, 1)),
    (C.offset_range, (0.4, 3, 17), 0),
    (C.offset_range, (0.4, 5, 5), 0),          # no iteration
    (C.offset_range, (0.4, 5, 6), 0),          # one iteration
    (C.nested_loops, (0.3, 9), 0),
    (C.two_loops, (0.3, 0.9, 11), (0, 1)),
    (C.branchy, (0.7, 25), 0),
    (C.rebinds_array, (rng.uniform(-1, 1, 3), 10), 0),
    (C.calls_marked, (0.6, 10), 0),
    (C.loops_of_different_lengths, (0.6, 30, 7), 0),
    (C.fused_after_checkpointed, (rng.uniform(-1, 1, 3), 0.4, 3), (0, 1)),
    (C.carried_first_in_loop, (np.array([0.6]), 0.9, 7), (0, 1)),
    (P.lorenz_rk4, (np.array([10.0, 28.0, 8.0 / 3.0]), 1.0, 101), (0, 1)),
    (C.stencil_swap, (rng.uniform(0, 1, 7), 0.2, 9), (0, 1)),
    (C.running_min_per_query, (np.array([0.4, 0.1, 0.9, 0.3]), np.array([0.3, 0.8, 0.2])), (0, 1)),
    (C.restored_after_segments, (0.3, 5), 0),
]
# the existing user programs must not change their gradients either
ALL = NEW + [c for c in CASES if c[0] is not P.lorenz_rk4]
CHECKPOINTED = {C.stencil_swap, C.loops_of_different_lengths, C.carried_first_in_loop, C.array_state, C.offset_range, C.nested_loops, C.two_loops, C.branchy,
                C.rebinds_array, P.lorenz_rk4, P.ode_euler, P.carried_nested}

_FULL: dict = {}


def _full(f, wrt, target):
    key = (f, wrt if not isinstance(wrt, list) else tuple(wrt), target)
    if key not in _FULL:
        _FULL[key] = sd.value_and_grad(f, wrt=wrt, target=target)
    return _FULL[key]


def _flat(g):
    if isinstance(g, tuple):
        return np.concatenate([_flat(x) for x in g]) if g else np.zeros(0)
    return np.ravel(np.asarray(g, dtype=float))


@pytest.mark.parametrize("every", [True, 1, 3])
@pytest.mark.parametrize("case", ALL, ids=[f"{c[0].__name__}-{k}" for k, c in enumerate(ALL)])
def test_same_gradient_as_full_tape(case, every):
    f, args, wrt = case
    full = _full(f, wrt, "python")
    ck = sd.value_and_grad(f, wrt=wrt, target="python", checkpoint=every)
    v0, g0 = full(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    v1, g1 = ck(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    assert v1 == pytest.approx(v0, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(_flat(g1), _flat(g0), rtol=1e-11, atol=1e-13)
    if f in CHECKPOINTED:
        # the loop really was checkpointed: snapshots, segments
        assert "_every" in ck.source and "for _start in range(" in ck.source


@pytest.mark.parametrize("case", NEW, ids=[f"{c[0].__name__}-{k}" for k, c in enumerate(NEW)])
def test_checkpointed_gradient_matches_finite_differences(case):
    f, args, wrt = case
    ck = sd.grad(f, wrt=wrt, target="python", checkpoint=True)
    got = ck(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    want = numeric_grad(f, args, wrt)
    np.testing.assert_allclose(_flat(got), _flat(want), rtol=1e-6, atol=1e-9)


CPU = [NEW[0], NEW[-1], next(c for c in NEW if c[0] is C.loops_of_different_lengths)]


# two loops changing one variable: one snapshot stack (it was made twice, a Numba typing error)
@pytest.mark.parametrize("case", CPU, ids=["array_state", "lorenz", "two_loops"])
def test_cpu_target(case):
    f, args, wrt = case
    full = _full(f, wrt, "cpu")
    ck = sd.value_and_grad(f, wrt=wrt, target="cpu", checkpoint=True)
    v0, g0 = full(*args)
    v1, g1 = ck(*args)
    assert v1 == v0
    np.testing.assert_allclose(_flat(g1), _flat(g0), rtol=1e-12)


def test_callee_marked_with_decorator_is_checkpointed():
    g = sd.grad(C.calls_marked, target="python")
    g(0.6, 10)
    assert "_every = 4" in g.source


def test_snapshot_holds_only_the_loops_state():
    # the inner loop's temporaries (``lap``, the index) are bound before they
    # are read in every iteration of the time loop: no snapshot of them
    g = sd.value_and_grad(C.stencil_swap, wrt=(0, 1), target="python", checkpoint=True)
    g(np.linspace(0.1, 0.9, 7), 0.2, 9)
    assert set(re.findall(r"\b(_ckpt_\w+) = \[\]", g.source)) == {"_ckpt_u", "_ckpt_unew"}


def _peak_bytes(fn, *args):
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_checkpointing_keeps_fewer_values_alive():
    # python target: the tape lists are Python objects tracemalloc can see
    n = 40_000
    full = sd.grad(C.long_scalar_loop, target="python")
    ck = sd.grad(C.long_scalar_loop, target="python", checkpoint=True)
    assert full(0.3, n) == pytest.approx(ck(0.3, n), rel=1e-12)
    peak_full = _peak_bytes(full, 0.3, n)
    peak_ck = _peak_bytes(ck, 0.3, n)
    # full tape: n floats; checkpointed: about 2 * sqrt(n) = 400
    assert peak_ck * 20 < peak_full


@pytest.mark.parametrize("bad", [0, -3, 2.5, "yes"])
def test_bad_checkpoint_values(bad):
    with pytest.raises(ValueError, match="checkpoint"):
        sd.grad(C.long_scalar_loop, checkpoint=bad)
    with pytest.raises(ValueError, match="every"):
        sd.checkpoint(C.long_scalar_loop, every=bad)


def test_loops_that_cannot_be_checkpointed_are_reported():
    g = sd.grad(C.branchy_while, target="python", checkpoint=True)
    with pytest.warns(UserWarning, match="a while loop in 'branchy_while' keeps its full tape"):
        got = g(0.5, 5)      # the warning comes when the code is generated
    assert got == pytest.approx(sd.grad(C.branchy_while, target="python")(0.5, 5))
    x = np.array([0.3, -0.4])
    g = sd.grad(C.carried_array_first_in_loop, target="python", checkpoint=True)
    with pytest.warns(UserWarning, match="an array first bound inside the loop and read in a "
                                         "later iteration"):
        got = g(x, 6)
    np.testing.assert_allclose(got, numeric_grad(C.carried_array_first_in_loop, (x, 6), 0),
                               rtol=1e-7)
