"""A number a loop carries and binds in several statements of its body gets a name
per binding and one copy back (passes/webs.py ``split_carried_versions``): the
planner then keeps one value of it per iteration and recomputes the rest, as for
the same math written with a name per value.  Gradients against central
differences on both targets; plans against the other style."""
from __future__ import annotations

import re

import numpy as np
import pytest

import sourcediff as sd
from tests.core import carried_programs as P
from tests.fdcheck import check_grad

CASES = [(P.adaptive_heun, (1.3, 0.7, 2.0, 1e-4), (0, 1)),
         (P.adaptive_heun_named, (1.3, 0.7, 2.0, 1e-4), (0, 1)),
         (P.damped_steps, (0.8, 0.5, 20), (0, 1)),
         (P.leaves_before_the_last, (1.1, 0.3, 12), (0, 1)),
         (P.leaves_before_the_last, (1.4, 0.3, 12), (0, 1)),      # takes the break
         (P.running_sums, (0.6, 7), 0),
         (P.running_sums_under_a_flag, (0.6, 7), 0),
         (P.periodic_fluxes, (np.array([0.3, 0.5, -0.2, 0.8, 0.1]), 0.7, 3), (0, 1)),
         (P.periodic_fluxes_wrapped, (np.array([0.3, 0.5, -0.2, 0.8, 0.1]), 0.7, 3), (0, 1))]


@pytest.mark.parametrize("f, args, wrt, target",
                         [(*c, t) for t in ("python", "cpu") for c in CASES],
                         ids=lambda c: getattr(c, "__name__", c if isinstance(c, str) else ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target, check_value=target == "python")


def _source(f, args, wrt):
    return sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)


def _listed(text) -> set:
    """The names the plan stores in lists."""
    line = next((ln for ln in text.splitlines() if "in lists" in ln), "")
    return set(re.findall(r"'(\w+)'", line))


def test_the_step_is_kept_once_per_iteration_as_in_the_named_style():
    args = (1.3, 0.7, 2.0, 1e-4)
    text = _source(P.adaptive_heun, args, (0, 1))
    named = _source(P.adaptive_heun_named, args, (0, 1))
    carried = next(ln for ln in text.splitlines() if "stored once per iteration" in ln)
    assert "'h'" in carried, carried
    # each trip's step in one name per value: h_v2 (cut to the end), h_v3 (scaled), and
    # h = h_v4 (clamped) closing the body
    assert re.search(r"^\s+h = h_v4$", text, re.MULTILINE), text
    # no more values in lists than the same math written with a name per value
    assert len(_listed(text)) <= len(_listed(named)), (_listed(text), _listed(named))
    assert not any(name.startswith("_t") for name in _listed(text))
    # the step cut to the end by an ``if`` is one binding on each path (the other
    # arm copies it), recomputed in reverse rather than listed before each overwrite
    assert not any(name.startswith("h") for name in _listed(text)), _listed(text)


def test_an_index_wrapped_by_an_if_is_recomputed_as_the_remainder_is():
    args = (np.array([0.3, 0.5, -0.2, 0.8, 0.1]), 0.7, 3)
    plans = []
    for f in (P.periodic_fluxes, P.periodic_fluxes_wrapped):
        text = _source(f, args, (0, 1))
        plans.append([ln for ln in text.splitlines() if ln.startswith("    #   ")])
    stored = [ln for ln in plans[0] if "stored" in ln]
    assert len(stored) == 1 and "elements of 'u'" in stored[0], plans[0]
    assert not any("ip" in re.findall(r"'(\w+)'", ln) or "im" in re.findall(r"'(\w+)'", ln)
                   for ln in plans[0]), plans[0]
    assert len(stored) == len([ln for ln in plans[1] if "stored" in ln])


@pytest.mark.parametrize("f", [P.running_sums, P.running_sums_under_a_flag],
                         ids=lambda f: f.__name__)
def test_a_sum_added_to_twice_keeps_its_name(f):
    text = _source(f, (0.6, 7), 0)
    assert "s_v2" not in text and re.search(r"^\s+s \+= ", text, re.MULTILINE), text
