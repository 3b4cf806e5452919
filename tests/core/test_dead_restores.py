"""Saves whose restored values the reverse sweep never reads are not made
(passes/dead_restores.py): gradients against central differences, and the
generated adjoint checked for the tapes it no longer has."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.core import dead_restore_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(17)
TABLE = (0.3 * rng.standard_normal(40), np.linspace(0.0, 1.0, 40), rng.uniform(0.0, 0.95, 4), 6)
EDGES = np.array([0.0, 0.5, 1.0, 1.5, 2.0])
CASES = [
    (P.optical_depth, TABLE, (0, 2)),
    (P.search_then_scale, (rng.uniform(0.1, 2.4, 6), EDGES, rng.uniform(0.5, 1.5, 5)), (0, 2)),
    (P.newton_sqrt, (rng.uniform(0.5, 3.0, 5), 1e-12), (0,)),
    (P.branch_value, (0.7, 0.3), (0, 1)),
    (P.branch_value, (-0.4, 0.3), (0, 1)),
]
FITS = (0.3 * rng.standard_normal(4), rng.uniform(-1.0, 1.0, 5), rng.uniform(-0.5, 0.5, 5))
CASES += [(f, FITS, (0,)) for f in (P.horner_fit, P.squaring_fit, P.horner_fit_last)] + \
    [(P.horner_fit, FITS, (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def adjoint(f, args, wrt) -> str:
    source = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return source[source.index("def " + f.__name__ + "_grad"):]


def test_a_search_has_no_reverse_loop_and_no_tape_inside():
    source = adjoint(*CASES[0])
    # (the ray loop runs fused: its forward part, with the search, comes after the
    # reverse sweep's initialisations)
    search = source[source.index("while (True)"):]
    search = search[:search.index("# lookup:22")]
    assert "_saved" not in search and ".append(" not in search, search
    reverse = source[source.index("# -- reverse sweep"):]
    assert "for _k" not in reverse and ".pop()" not in reverse, reverse


def test_the_index_a_search_leaves_is_kept_once_per_query():
    source = adjoint(*CASES[1])
    plan = source[source.index("# Plan:"):source.index("# -- ")]
    # j is read by the reverse of the product; the search's steps are not replayed
    assert "'j'" in plan and "while loop" not in plan, plan
    assert "for _k" not in source[source.index("# -- reverse sweep"):]


def test_the_differentiated_iteration_keeps_its_tape():
    source = adjoint(*CASES[2])
    reverse = source[source.index("# -- reverse sweep"):]
    assert "for _k" in reverse       # each Newton step's y is read by its adjoint


def test_a_fused_loop_puts_back_no_value_that_nothing_reads():
    # the point loop runs fused; the inner Horner loop's snapshots of p were
    # pushed and popped for every coefficient, and no reverse statement read them
    source = adjoint(P.horner_fit, FITS, (0,))
    assert "_saved" not in source and "stored: nothing" in source, source
    assert "fused: the loop at line" in source
    # with xs differentiated too, the reverse of p * x reads p: kept
    assert "p = _saved_p[" in adjoint(P.horner_fit, FITS, (0, 1))


def test_a_fused_loop_keeps_what_its_reverse_reads():
    source = adjoint(P.squaring_fit, FITS, (0,))
    assert "fused: the loop at line" in source
    reverse = source[source.index("# -- last loop"):]
    assert "p = _saved_p[" in reverse, reverse     # the reverse of p * p * x reads p
