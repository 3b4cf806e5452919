"""Golden files of generated forward-mode source (``tests/golden/jvp_*.py``):
a reviewer sees how a change alters the JVP code users read.  Regenerate with
SOURCEDIFF_REGEN_GOLDEN=1 and review the diff."""
import os
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

from ..core import golden_callees as gc
from ..core import golden_funcs as g

GOLDEN = Path(__file__).parent.parent / "golden"
X = np.array([0.3, -0.2, 0.5, 0.1])
V = np.array([1.0, 0.5, -0.5, 2.0])

# name -> (transform, arguments with the tangent last, generated entry point)
CASES = {
    "jvp_rosen_loop": (lambda: sd.jvp(g.rosen_loop, target="python"), (X, V), "rosen_loop_jvp"),
    "jvp_branches": (lambda: sd.jvp(g.branches, wrt=(0, 1), target="python"),
                     (0.5, 0.2, (1.0, 0.5)), "branches_jvp"),
    "jvp_while_break": (lambda: sd.jvp(g.while_break, target="python"), (X, 0.2, V),
                        "while_break_jvp"),
    "jvp_scratch_array": (lambda: sd.jvp(g.scratch_array, wrt=(0, 1), target="python"),
                          (X, 0.7, (V, 1.0)), "scratch_array_jvp"),
    "jvp_calls_helper": (lambda: sd.jvp(g.calls_helper, target="python"), (X, V),
                         "calls_helper_jvp"),
    "jvp_calls_sd_helper": (lambda: sd.jvp(gc.calls_sd_helper, target="python"), (X, V),
                            "calls_sd_helper_jvp"),
    # forward over reverse: the JVP of the generated adjoint (a Hessian-vector product)
    "hvp_recurrence": (lambda: sd.jvp(sd.grad(g.recurrence, wrt=(0, 1), target="python"),
                                      wrt=(0, 1), target="python"),
                       (0.4, 1.1, (1.0, 0.5)), "recurrence_grad_jvp"),
}


def _strip_header(text):
    # the first line names the absolute path of the test file
    return text.split("\n", 1)[1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_jvp_matches_golden(name):
    make, args, _ = CASES[name]
    text = _strip_header(make().source_for(*args))
    path = GOLDEN / f"{name}.py"
    if os.environ.get("SOURCEDIFF_REGEN_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}; run with SOURCEDIFF_REGEN_GOLDEN=1"
    assert text == path.read_text(), f"generated source of {name} changed; review and regenerate"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_jvp_is_what_runs(name):
    """The golden code is executable and gives what the transform returns."""
    make, args, entry = CASES[name]
    ns = {}
    exec(compile((GOLDEN / f"{name}.py").read_text(), f"{name}.py", "exec"), ns)  # noqa: S102
    *primals, tangents = args
    flat = list(primals) + (list(tangents) if isinstance(tangents, tuple) else [tangents])
    value, tangent = ns[entry](*[a.copy() if isinstance(a, np.ndarray) else a for a in flat])
    expected = make()(*args)
    if name.startswith("hvp"):
        value, tangent = value[1], tangent[1]      # f_grad returns (value, grads)
    for got, want in ((value, expected[0]), (tangent, expected[1])):
        np.testing.assert_allclose(np.hstack([got]), np.hstack([want]), rtol=1e-13)
