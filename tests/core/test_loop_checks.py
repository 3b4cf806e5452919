"""Our generated functions compile with LLVM's overlap checks left where each
vectorized inner loop starts, and with a small budget for copying a loop per
condition it does not change (backends/loop_checks.py); a user's own Numba
functions compile with LLVM's defaults, before and after ours.

The sign of it in the optimized IR: a check widened over the enclosing loop
carries ``stride.check`` ("the range does not move backwards"), which a loop
nest reading rows backwards always fails, so its inner loop runs scalar.
The suite compiles at ``NUMBA_OPT=0`` (no vectorizer): the IR is made in a
process of its own at Numba's default level."""
import textwrap

import pytest

from sourcediff.backends import loop_checks
from tests.optimized import run_optimized

pytestmark = pytest.mark.skipif(
    not loop_checks.applies(), reason="LLVM before 18 does not widen these checks")

SCRIPT = textwrap.dedent('''
    import json, sys
    import numba
    import numpy as np
    import sourcediff as sd
    from sourcediff.backends import loop_checks
    from sourcediff.bench.programs import heat

    def backwards_rows(tape, dx, dy):
        # a reverse sweep by hand: rows read last first, into one buffer
        for t in range(tape.shape[0] - 1, -1, -1):
            for i in range(dx.shape[0]):
                dx[i] += dy[i] * tape[t, i]
        return dx[0]

    def widened(dispatcher, *args):
        dispatcher(*args)
        return "stride.check" in "\\n".join(dispatcher.inspect_llvm().values())

    args = (np.ones((6, 40)), np.zeros(40), np.ones(40))
    out = {"user_before": widened(numba.njit(backwards_rows), *args)}
    out["ours"] = widened(loop_checks.compiled_with_checks_in_place(
        numba.njit(backwards_rows)), *args)
    g = sd.value_and_grad(heat.heat_copy_back, wrt=(0, 1))
    hargs = heat.make_args(heat.SIZES["small"])
    value, (du0, dkappa) = g(*hargs)
    out["generated"] = "stride.check" in "\\n".join(
        g._last.names["grad"].inspect_llvm().values())
    out["user_after"] = widened(numba.njit(backwards_rows), *args)

    def invariant_branch(x, flag, y):
        # a test the loop does not change, costly arms: LLVM's -O3 copies the loop
        s = 0.0
        for i in range(x.shape[0]):
            if flag > 0.5:
                s += np.exp(x[i] * y)
            else:
                s -= x[i] * x[i] * y
            x[i] = s
        return s

    def copies(dispatcher):
        dispatcher(np.ones(50), 1.0, 0.5)
        return "\\n".join(dispatcher.inspect_llvm().values()).count(".us")

    out["unswitched"] = [copies(numba.njit(invariant_branch)),
                         copies(loop_checks.compiled_with_checks_in_place(
                             numba.njit(invariant_branch))),
                         copies(numba.njit(invariant_branch))]
    _, (hand_du0, hand_dkappa) = heat.heat_by_hand(*hargs)
    out["error"] = max(float(np.max(np.abs(du0 - hand_du0))), abs(dkappa - hand_dkappa))
    print(json.dumps(out))
''')


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return run_optimized(SCRIPT, tmp_path_factory)


def test_a_users_nest_compiles_with_llvm_defaults_around_ours(compiled):
    assert compiled["user_before"]          # LLVM's default: the check widened
    assert not compiled["ours"]
    assert compiled["user_after"]           # set back once ours compiled


def test_a_generated_reverse_time_loop_keeps_its_checks_where_it_starts(compiled):
    assert not compiled["generated"]
    assert compiled["error"] < 1e-10        # against the hand-written adjoint


def test_loops_are_not_copied_per_invariant_test_in_ours_only(compiled):
    # (blocks of an unswitched copy are named ``*.us``)
    user_before, ours, user_after = compiled["unswitched"]
    assert user_before > 0 and user_after == user_before
    assert ours == 0
