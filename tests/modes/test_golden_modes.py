"""Golden files of the generated source of a checkpointed loop and of a VJP
(regenerate with SOURCEDIFF_REGEN_GOLDEN=1 and review the diff)."""
import os
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

from ..core import golden_funcs as g
from . import array_funcs as A

GOLDEN = Path(__file__).parent.parent / "golden"
X = np.array([0.3, -0.2, 0.5, 0.1])

CASES = {
    "ckpt_recurrence": (lambda: sd.grad(g.recurrence, wrt=(0, 1), target="python",
                                        checkpoint=3), (0.4, 1.1)),
    "vjp_loop_fill": (lambda: sd.vjp(A.loop_fill, wrt=(0, 1), target="python"),
                      (X, 1.3, np.ones(4))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_source_matches_golden(name):
    make, args = CASES[name]
    t = make()
    t(*args)
    text = t.source.split("\n", 1)[1]     # the first line names an absolute path
    path = GOLDEN / f"{name}.py"
    if os.environ.get("SOURCEDIFF_REGEN_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}; run with SOURCEDIFF_REGEN_GOLDEN=1"
    assert text == path.read_text(), f"generated source of {name} changed; review and regenerate"
