"""Reverse mode specializes on which axes of the array arguments have one
length where one of them is a matrix (``X.shape[1] == w.shape[0]``:
transforms/base.py ``_axes_pattern``, part of the cache key).  With it
passes/shapes.py gives ``X.T @ r`` and ``w`` one shape key, so the states of
an optimizer over ``X``'s columns are read in reverse for their shapes from
their current values, not kept on a tape for that."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.core import axes_programs as P
from tests.fdcheck import check_grad, numeric_grad

rng = np.random.default_rng(23)
X = rng.normal(size=(9, 4))
Y = rng.normal(size=9)
W0 = rng.normal(size=4) * 0.1
LABELS = (rng.uniform(size=9) > 0.5).astype(float)
CASES = [(P.adam_fit, (np.log(0.05), 0.9, X, Y, W0, 5), (0, 1, 2, 3, 4)),
         (P.heavy_ball, (X, LABELS, W0, 0.1, 6), (0, 2, 3))]


def _stored(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return text[text.index("# Plan:"):text.index("# -- ")]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradients_match_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def test_states_read_only_for_their_shape_are_not_stored():
    plan = _stored(*CASES[0])
    assert "'v'" not in plan and "'vhat'" not in plan, plan     # their values: never read
    assert "'m'" in plan and "'w'" in plan, plan
    f, args, _ = CASES[1]
    plan = _stored(f, args, (0, 2))          # (d lr would read p's values)
    assert "'p'" not in plan and "'w'" in plan, plan


def test_a_call_with_other_equal_axes_is_compiled_for_them():
    """Square data (``X.shape[0] == X.shape[1]``) and then a tall matrix: each
    call's own specialization, each gradient right."""
    vg = sd.value_and_grad(P.heavy_ball, wrt=(0, 2, 3), target="python")
    square = rng.normal(size=(4, 4))
    for data, labels in ((square, LABELS[:4]), (X, LABELS), (square, LABELS[:4])):
        value, grads = vg(data, labels, W0, 0.1, 3)
        assert value == pytest.approx(P.heavy_ball(data, labels, W0, 0.1, 3), rel=1e-12)
        want = numeric_grad(P.heavy_ball, (data, labels, W0, 0.1, 3), (0, 2, 3))
        for g, w in zip(grads, want):
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8)


def test_remembered_patterns_are_the_patterns_of_each_call():
    """The patterns of the cache key are remembered per tuple of argument
    shapes: calls that alternate layouts get each layout's own patterns."""
    from sourcediff.transforms import base

    layouts = [((3,), (3,), 1.0), ((3,), (4,), 1.0), ((4, 4), (4,), 2), ((4, 3), (3,), 2),
               ((4, 3), (4,), None), ((3,), (3,), 1.0), ((4, 4), (4,), 2), ((2, 2), (2, 2), 0.5)]
    for layout in layouts + layouts[::-1]:
        values = [np.zeros(x) if isinstance(x, tuple) else x for x in layout]
        shapes = tuple(v.shape if isinstance(v, np.ndarray) else None for v in values)
        assert base._patterns(values, shapes) == \
            (base._shape_pattern(values), base._axes_pattern(values)), layout
