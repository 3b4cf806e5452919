"""Random programs (the generators of ``tests/core/test_random_programs.py``:
straight-line code, and loops with nested loops, ``while``, branches, ``break``,
``continue``, early ``return`` and scratch arrays) through forward mode.

For each program and a random tangent ``v``: ``sd.jvp`` equals the
finite-difference gradient dotted with ``v`` and ``dot(sd.grad, v)``; and
``sd.jvp(sd.grad(f))`` (forward mode over the generated adjoint, tapes and
all) equals the directional finite difference of ``sd.grad``.  Examples whose
finite differences are not trustworthy are discarded, as there.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, assume, given, note, settings

import sourcediff as sd

from ..core.test_random_programs import (  # noqa: F401  (module_dir is a fixture)
    MAX_INTERMEDIATE,
    Case,
    call_primal,
    largest_intermediate,
    load_function,
    loop_programs,
    module_dir,
    reference_gradient,
    straight_line_programs,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from jvpcheck import flat, random_tangent

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def check_forward(case: Case, directory: Path) -> None:
    note(f"program:\n{case.source}")
    note(f"args={case.args!r}  wrt={case.wrt!r}")
    f = load_function(case.source, directory)
    value = call_primal(f, case.args)
    assume(largest_intermediate(f, case.args) < MAX_INTERMEDIATE)
    positions = case.positions()
    rng = np.random.default_rng(len(case.source))
    tangents = tuple(random_tangent(case.args[p], rng) for p in positions)
    single = not isinstance(case.wrt, tuple)
    packed = tangents[0] if single else tangents

    def args():
        return tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in case.args)

    # first order
    v, t = sd.jvp(f, wrt=case.wrt, target="python")(*args(), packed)
    assert v == value
    reference = sum(float(np.dot(reference_gradient(f, case.args, p).ravel(), flat(tk)))
                    for p, tk in zip(positions, tangents))
    scale = 1.0 + abs(value) + abs(reference)
    assert abs(t - reference) <= 1e-5 * abs(reference) + 1e-6 * scale, (t, reference)
    grads = sd.grad(f, wrt=case.wrt, target="python")(*args())
    grads = (grads,) if single else grads
    via_grad = sum(float(np.dot(flat(g), flat(tk))) for g, tk in zip(grads, tangents))
    assert abs(t - via_grad) <= 1e-10 * (abs(via_grad) + scale)

    # second order: H v from the JVP of the generated adjoint
    grad = sd.grad(f, wrt=case.wrt, target="python")
    _, hv = sd.jvp(grad, wrt=case.wrt, target="python")(*args(), packed)

    def along(s):
        moved = list(args())
        for p, tk in zip(positions, tangents):
            moved[p] = np.asarray(moved[p], dtype=float) + s * np.asarray(tk) \
                if isinstance(moved[p], np.ndarray) else moved[p] + s * float(tk)
        g = grad(*moved)
        return flat(g)

    h = 1e-4
    coarse = (along(h) - along(-h)) / (2 * h)
    fine = (along(h / 2) - along(-h / 2)) / h
    gscale = 1.0 + float(np.max(np.abs(along(0.0))))
    assume(np.all(np.abs(coarse - fine) <= 1e-5 * (gscale + np.abs(fine))))
    fd = (4 * fine - coarse) / 3
    np.testing.assert_allclose(flat(hv), fd, rtol=1e-4, atol=1e-5 * gscale,
                               err_msg="H v vs FD of the gradient")


@SETTINGS
@given(case=straight_line_programs())
def test_straight_line_forward(case: Case, module_dir: Path) -> None:  # noqa: F811
    check_forward(case, module_dir)


@SETTINGS
@given(case=loop_programs())
def test_loop_programs_forward(case: Case, module_dir: Path) -> None:  # noqa: F811
    check_forward(case, module_dir)
