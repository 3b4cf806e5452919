"""Forward mode through the NumPy functions of ``rules/ufuncs_more.py`` and
``rules/arrayfuncs.py``: ``sd.jvp`` against directional finite differences
(and ``dot(grad, v)``), and Hessian-vector products ``sd.jvp(sd.grad(f))``
against finite differences of the gradient, which differentiate the adjoint
rules and their runtime helpers once more.

Every function of ``tests/core/numpy_more_funcs.py`` runs on the ``python``
target; its groups are compiled for ``cpu`` (JVPs of all, HVPs of the groups
whose adjoints call runtime helpers).
"""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

from ..core import numpy_more_funcs as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from jvpcheck import check_hvp, check_jvp

CASES = {c.id: c for c in F.CASES}


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_jvp_python(case_id):
    c = CASES[case_id]
    check_jvp(c.f, c.args, c.wrt, "python")


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_hvp_python(case_id):
    c = CASES[case_id]
    check_hvp(c.f, c.args, c.wrt, "python")


@pytest.mark.parametrize("name", sorted(F.GROUPS))
def test_jvp_cpu(name):
    f, args, wrt = F.GROUPS[name]
    check_jvp(f, args, wrt, "cpu")


@pytest.mark.parametrize("name", ["cumulative", "products"])   # helpers' tangents
def test_hvp_cpu(name):
    f, args, wrt = F.GROUPS[name]
    check_hvp(f, args, wrt, "cpu")


def test_jvp_of_array_functions_gives_array_tangents():
    """Non-scalar outputs: the tangent of each array function has its result's shape."""
    def f(x, m):
        return (np.cumprod(x), np.cumsum(m, axis=1), np.diff(x, 2), np.flip(m, 0), np.roll(x, 1),
                np.reshape(m, (4, 3)), np.diag(x), np.diagonal(m, 1), np.triu(m), np.repeat(x, 2),
                np.tile(x, 2), np.kron(x[:2], x[2:]), np.cross(x[:3], x[2:]), np.atleast_1d(x[0]))

    for target in ("python", "cpu"):
        check_jvp(f, (F.X, F.M), (0, 1), target)


def test_third_derivative_of_the_elementwise_rules():
    """jvp(jvp(jvp(f))) and grad(grad(grad(f))): the rules' own derivatives have rules."""
    def f(x):
        return (np.exp2(x) + np.arcsinh(x) + np.arctanh(x / 3.0) + np.arccosh(x + 1.5)
                + np.logaddexp(x, 0.3) + np.logaddexp2(0.2, x) + np.sinc(x) + np.cbrt(x)
                + np.reciprocal(x + 2.0) + np.fmod(3.0, x) + np.float_power(x, x))

    def fd(g, x, h=1e-4):
        return (g(x - 2 * h) - 8 * g(x - h) + 8 * g(x + h) - g(x + 2 * h)) / (12 * h)

    x = 0.37
    g1 = sd.grad(f, target="python")
    g2 = sd.grad(g1, target="python")
    g3 = sd.grad(g2, target="python")
    assert g2(x) == pytest.approx(fd(g1, x), rel=1e-8)
    assert g3(x) == pytest.approx(fd(g2, x), rel=1e-7)
    j3 = sd.jvp(sd.jvp(sd.jvp(f, target="python"), target="python"), target="python")
    assert j3(x, 1.0, 1.0, 1.0)[1][1][1] == pytest.approx(g3(x), rel=1e-12)
