"""User rules (``sd.adjoint``) for opaque C functions: used by grad and vjp on
both targets (on ``cpu`` SciPy's compiled function is called from Numba)."""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

from . import special_funcs as S

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import numeric_grad

X = np.array([0.5, 1.5, 2.5])


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_grad_through_scipy_special(target):
    g = sd.grad(S.gamma_loglik, wrt=(0, 1), target=target)
    ga, gx = g(1.2, X.copy())
    wa, wx = numeric_grad(S.gamma_loglik, (1.2, X.copy()), (0, 1))
    assert ga == pytest.approx(wa, rel=1e-7)
    np.testing.assert_allclose(gx, wx, rtol=1e-7)
    assert "adjoint_of_gammaln(" in g.source


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_vjp_through_scipy_special(target):
    cot = np.array([1.0, -2.0, 0.5])
    value, gx = sd.vjp(S.tail, target=target)(X.copy(), cot)
    np.testing.assert_allclose(value, S.tail(X), rtol=1e-14)
    rows = []
    for j in range(3):
        def fj(x, j=j):
            return float(S.tail(x)[j])
        fj.__name__ = "tail"
        rows.append(numeric_grad(fj, (X.copy(),), 0))
    np.testing.assert_allclose(gx, cot @ np.array(rows), rtol=1e-7)
