"""Golden files of generated source: a reviewer sees how a change alters the
code users read.  Regenerate with SOURCEDIFF_REGEN_GOLDEN=1 and review the diff.
"""
import os
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

from . import golden_callees as gc
from . import golden_funcs as g

GOLDEN = Path(__file__).parent.parent / "golden"
X = np.array([0.3, -0.2, 0.5, 0.1])

CASES = {
    "rosen_loop": (g.rosen_loop, 0, (X,)),
    "rosen_temporaries": (g.rosen_temporaries, 0, (X,)),
    "recurrence": (g.recurrence, (0, 1), (0.4, 1.1)),
    "branches": (g.branches, 0, (0.5, 0.2)),
    "while_break": (g.while_break, 0, (X, 0.2)),
    "scratch_array": (g.scratch_array, (0, 1), (X, 0.7)),
    "calls_helper": (g.calls_helper, 0, (X,)),
    "calls_sd_helper": (gc.calls_sd_helper, 0, (X,)),
    "horner_per_point": (g.horner_per_point, (0, 1), (np.array([0.5, -1.0, 2.0]), X)),
}


def _strip_header(text):
    # the first line names the absolute path of the test file
    return text.split("\n", 1)[1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_source_matches_golden(name):
    func, wrt, args = CASES[name]
    text = _strip_header(sd.grad(func, wrt=wrt, target="python").source_for(*args))
    path = GOLDEN / f"{name}.py"
    if os.environ.get("SOURCEDIFF_REGEN_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}; run with SOURCEDIFF_REGEN_GOLDEN=1"
    assert text == path.read_text(), f"generated source of {name} changed; review and regenerate"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_source_is_what_runs(name):
    """The golden code is executable and gives the same gradient as the transform."""
    func, wrt, args = CASES[name]
    ns = {}
    exec(compile((GOLDEN / f"{name}.py").read_text(), f"{name}.py", "exec"), ns)  # noqa: S102
    _, grads = ns[f"{func.__name__}_grad"](*args)
    expected = sd.grad(func, wrt=wrt, target="python")(*args)
    expected = expected if isinstance(wrt, tuple) else (expected,)
    for a, b in zip(grads, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_fusion_does_not_depend_on_the_form():
    """One-liner and temporaries: both run forward and reverse iterations fused."""
    for func in (g.rosen_loop, g.rosen_temporaries):
        text = sd.grad(func, target="python").source_for(X)
        assert "forward and reverse iterations fused" in text, func.__name__
