"""The loop programs no one tuned for (``sourcediff.bench.heldout``, eight,
``sourcediff.bench.fresh`` and ``sourcediff.bench.unseen``, six each, written by new
users) keep differentiating:
each one, at its small size on the ``python`` target, gives the primal's value and a
gradient that agrees with central finite differences of the plain function. No
compilation, no timing; the measured tables are ``sourcediff bench heldout``,
``sourcediff bench fresh`` and ``sourcediff bench unseen``."""

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.bench import FAMILIES, family, harness, load, names

COUNTS = {"heldout": 8, "fresh": 6, "unseen": 6, "smallstate": 3}
PROGRAMS = [program for name in COUNTS for program in family.programs_of(load(name))]


def _name(program) -> str:
    return program.__name__.rsplit(".", 1)[1]


def _with(args: tuple, wrt: tuple, values: tuple) -> tuple:
    """``args`` with the differentiated positions replaced (floats stay floats)."""
    out = list(args)
    for position, value in zip(wrt, values, strict=True):
        out[position] = value if isinstance(args[position], np.ndarray) else float(value)
    return tuple(out)


@pytest.mark.parametrize("name", COUNTS)
def test_the_family_is_registered_with_its_programs(name):
    assert name in FAMILIES and name in names()
    programs = family.programs_of(load(name))
    assert len(programs) == COUNTS[name]
    for program in programs:
        for attribute in ("TITLE", "SIZES", "WRT", "WRT_NAMES", "RTOL", "STYLES", "HAND",
                          "make_args", "jax_objective"):
            assert hasattr(program, attribute), (program.__name__, attribute)
        assert {"small", "default", "large"} <= set(program.SIZES)
        assert len(program.STYLES) == 1 and len(program.WRT) == len(program.WRT_NAMES)


@pytest.mark.parametrize("program", PROGRAMS, ids=_name)
def test_gradient_agrees_with_finite_differences(program):
    args = program.make_args(program.SIZES["small"])
    wrt = tuple(program.WRT)
    (function,) = program.STYLES.values()
    value, grads = harness.normalize(
        sd.value_and_grad(function, wrt=wrt, target="python")(*args))
    assert np.isclose(value, function(*args), rtol=1e-12, atol=0.0)
    for position, grad in zip(wrt, grads, strict=True):
        assert np.shape(grad) == np.shape(args[position])
        assert np.all(np.isfinite(grad))
    error = harness.directional_fd_error(
        lambda *values: function(*_with(args, wrt, values)),
        tuple(args[i] for i in wrt), grads)
    assert error < family.FD_TOLERANCE, (_name(program), error)
