"""A value computed from a number at the value the iteration leaves it is
computed again in the reverse iteration, not stored: the reverse of the later
iterations puts that number back, so it holds it when the reverse iteration
starts (passes/rerun.py ``_settled``). Gradients against central finite
differences (float64), on the Python and the CPU targets."""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from tests.core import settled_programs as P

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

rng = np.random.default_rng(23)
TIMES = np.cumsum(rng.uniform(0.1, 1.0, 12))
X = rng.standard_normal(9)
CASES = [
    (P.hawkes, (0.4, 0.5, 1.2, TIMES), (0, 1, 2)),
    (P.gated, (X, 0.7), (0, 1)),
    (P.rebound_after, (X, 0.8), (0, 1)),
    (P.until_small, (np.array([1.5, 0.7]), 0.6), (0, 1)),
    (P.inner_update, (X[:5], rng.standard_normal(3)), (0, 1)),
]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def source(f, args, wrt) -> str:
    return sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)


def test_the_intensity_is_computed_again_from_the_state():
    text = source(*CASES[0])
    stored = [line for line in text.splitlines() if line.startswith("    #   stored")]
    recomputed = [line for line in text.splitlines() if "#   recomputed" in line]
    assert any("and 'A' (line " in line and ") at the value the iteration leaves" in line
               for line in recomputed)
    # lam = mu + alpha * beta * A: not on a tape (A is, for the reverse of its update)
    assert not any("line 12" in line for line in stored), stored
    reverse = text[text.index("# -- reverse sweep"):]
    assert "lam = mu + " in reverse


def test_a_state_changed_after_the_read_keeps_its_tape():
    text = source(*CASES[2])
    assert not any("at the value the iteration leaves" in line for line in text.splitlines())
