"""Every program and style of ``sourcediff bench programs``, at its small size on the
``python`` target: the value is the primal's, the gradient agrees with central finite
differences of the plain function, the styles give the same gradient, and so does
the hand-written adjoint where there is one (run as plain Python here). No compilation,
no timing: the cpu target and the table are tests/cli/test_bench_programs.py."""

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.bench import family, harness, load

PROGRAMS = family.programs_of(load("programs"))
STYLES = [(program, style) for program in PROGRAMS for style in program.STYLES]


def _name(program) -> str:
    return program.__name__.rsplit(".", 1)[1]


def _gradient(program, function, args):
    return harness.normalize(
        sd.value_and_grad(function, wrt=tuple(program.WRT), target="python")(*args))


@pytest.mark.parametrize("program,style", STYLES,
                         ids=[f"{_name(p)}-{s}" for p, s in STYLES])
def test_style_agrees_with_finite_differences(program, style):
    args = program.make_args(program.SIZES["small"])
    wrt = tuple(program.WRT)
    function = program.STYLES[style]
    value, grads = _gradient(program, function, args)
    assert np.isclose(value, function(*args), rtol=1e-12, atol=0.0)
    for position, grad in zip(wrt, grads, strict=True):
        assert np.shape(grad) == np.shape(args[position])
    error = harness.directional_fd_error(
        lambda *values: function(*family.fill_args(args, wrt, values)),
        tuple(args[i] for i in wrt), grads)
    assert error < family.FD_TOLERANCE, (_name(program), style, error)


@pytest.mark.parametrize("program", PROGRAMS, ids=_name)
def test_styles_and_hand_adjoint_agree(program):
    args = program.make_args(program.SIZES["small"])
    first, *others = (_gradient(program, f, args) for f in program.STYLES.values())
    assert others
    for other in others:
        assert harness.max_rel_diff(first[1], other[1]) <= program.RTOL
    if program.HAND is not None:
        value, grads = harness.normalize(program.HAND(*args))
        assert np.isclose(value, first[0], rtol=program.RTOL)
        assert harness.max_rel_diff(grads, first[1]) <= program.RTOL
