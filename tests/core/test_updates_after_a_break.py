"""A number a loop carries, bound and then updated (``s = ...; s += b``) after
an ``if`` that may ``break``: the statements after the break run under ``if not
_skip`` and get a name of their own (passes/webs.py ``split_carried_versions``);
the update keeps updating that name (``s_v3 += b``) instead of becoming an
assignment that reads its own target, which the reverse pass refused as an
internal error (found by the random-program test)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.fdcheck import check_grad


def damped_until(a, b, n):
    s = a
    for i in range(n):
        if s > 2.0:
            if s > 3.0:
                break
        elif i % 2 == 0:
            s = s + 0.5 * s
        s = -(s * 0.9)
        s += b
    return s + b


def found_by_hypothesis(x, a, n):
    """The program as tests/core/test_random_programs.py generated it."""
    s0 = a
    s1 = a
    for i in range(n):
        if s0 > s0:  # noqa: PLR0124
            if s0 > s0:  # noqa: PLR0124, SIM102
                if s0 > 0.5:
                    break
        elif i % 2 == 0 and s0 > s0:  # noqa: PLR0124
            s0 = s0 + -s0
        s0 = -(s0 + s0)
        s0 += s1
    return s0 + s1


CASES = [(damped_until, (0.7, 0.4, 9), (0, 1)),
         (damped_until, (2.5, 1.9, 9), (0, 1)),        # takes the break
         (found_by_hypothesis, (np.array([0.0016]), 0.0012, 3), (0, 1)),
         (found_by_hypothesis, (np.array([0.0016]), 0.0012, 0), 0)]


@pytest.mark.parametrize("f, args, wrt, target",
                         [(*c, t) for t in ("python", "cpu") for c in CASES],
                         ids=lambda c: getattr(c, "__name__", c if isinstance(c, str) else ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)
