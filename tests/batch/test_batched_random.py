"""Random loop programs (the generator of tests/core/test_random_programs.py):
the batched gradient of each element equals the unbatched one.

This exercises the lowering of tapes (bool, int and float stacks pushed under
branches, breaks, nested and while loops), of array gradients written into
rows, and of stored transcendental values, on ``target="python"`` (no compile
per example), plainly and with checkpointed loops (pushes in the reverse
sweep).
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

import sourcediff as sd
from tests.core.test_random_programs import load_function, loop_programs

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("batched_random_programs")


def _unbatched(f, wrt, x, a, n, checkpoint):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # loops it cannot checkpoint
        vg = sd.value_and_grad(f, wrt=wrt, target="python", checkpoint=checkpoint)
        value, grads = vg(x.copy(), a, n)
    return value, grads if isinstance(wrt, tuple) else (grads,)


@SETTINGS
@given(case=loop_programs(), shift=st.floats(-0.3, 0.3), checkpoint=st.sampled_from([None, 2]))
def test_batched_loop_programs_match_unbatched(case, shift, checkpoint, module_dir):
    note(f"program:\n{case.source}")
    f = load_function(case.source, module_dir)
    x0, a0, n = case.args
    xs = np.stack([x0, x0 + shift, x0 * (1.0 - shift)])
    as_ = np.array([a0, a0 - shift, a0 + 0.5 * shift])
    try:
        with np.errstate(all="ignore"):      # overflowing examples are discarded below
            refs = [_unbatched(f, case.wrt, xs[b], as_[b], n, checkpoint) for b in range(3)]
    except (OverflowError, ValueError, ZeroDivisionError):
        assume(False)
    assume(all(math.isfinite(v) for v, _ in refs))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", UserWarning)
        vg = sd.value_and_grad(f, wrt=case.wrt, target="python", checkpoint=checkpoint,
                               batch=(0, 0, None))
        values, grads = vg(xs, as_, n)
    grads = grads if isinstance(case.wrt, tuple) else (grads,)
    for b, (value, ref_grads) in enumerate(refs):
        np.testing.assert_allclose(values[b], value, rtol=1e-13, atol=1e-13)
        for g, r in zip(grads, ref_grads):
            np.testing.assert_allclose(g[b], r, rtol=1e-12, atol=1e-12)
