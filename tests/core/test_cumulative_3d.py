"""``np.cumsum`` and ``np.cumprod`` along an axis of a 3-d array (axes 0, 1, 2
and negative): gradients (``sd.grad``) and directional derivatives
(``sd.jvp``) against central finite differences in float64, on the
``python`` and ``cpu`` targets; cumprod also with zeros in its input, and
Hessian-vector products (the helpers' own tangents)."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forward"))
from fdcheck import check_grad
from jvpcheck import check_hvp, check_jvp

rng = np.random.default_rng(7)
X = rng.uniform(-1.0, 1.0, (2, 3, 4))
XP = rng.uniform(0.5, 1.5, (2, 3, 4))              # cumprod: no tiny products
XZ = XP.copy()
XZ[0, 1, 2] = XZ[1, 0, 3] = XZ[1, 2, 0] = 0.0      # zeros: the adjoint stays exact
W = rng.uniform(-1.0, 1.0, (2, 3, 4))


def cumsum0(x, w):
    return np.sum(w * np.sin(np.cumsum(x, 0)))


def cumsum1(x, w):
    return np.sum(w * np.cumsum(x, axis=1) ** 2)


def cumsum2(x, w):
    return np.sum(w * np.sin(x.cumsum(2)))


def cumsum_neg(x, w):
    return np.sum(w * np.cumsum(x, -1) ** 3) + np.sum(np.sin(np.cumsum(x, axis=-3)))


def cumprod0(x, w):
    return np.sum(w * np.cumprod(x, 0))


def cumprod1(x, w):
    return np.sum(w * np.cumprod(x, axis=1) ** 2)


def cumprod2(x, w):
    return np.sum(w * np.sin(x.cumprod(2)))


def cumprod_neg(x, w):
    return np.sum(w * np.cumprod(x, -2)) + np.sum(np.cumprod(x, axis=-1) ** 2)


CUMSUMS = [cumsum0, cumsum1, cumsum2, cumsum_neg]
CUMPRODS = [cumprod0, cumprod1, cumprod2, cumprod_neg]
CASES = [(f, X) for f in CUMSUMS] + [(f, XP) for f in CUMPRODS] + [(f, XZ) for f in CUMPRODS]
IDS = [f"{f.__name__}-{k}" for k, (f, _) in enumerate(CASES)]


# every case on the python target; on cpu (each function a Numba compile of a few
# seconds) each helper overload along the first, middle and last axis and a
# negative axis: the grad cases for two axes of each, the jvp cases for the others
CPU_GRAD = {"cumsum1", "cumsum_neg", "cumprod0", "cumprod2"}
CPU_JVP = {"cumsum0", "cumsum2", "cumprod1", "cumprod_neg"}


def _params(cpu_names):
    out = [pytest.param(case, "python", id=f"{i}-python") for case, i in zip(CASES, IDS)]
    return out + [pytest.param(case, "cpu", id=f"{i}-cpu") for case, i in zip(CASES, IDS)
                  if case[0].__name__ in cpu_names]


@pytest.mark.parametrize("case, target", _params(CPU_GRAD))
def test_grad_matches_finite_differences(case, target):
    f, x = case
    g = check_grad(f, (x, W), 0, target)
    assert g.shape == x.shape


@pytest.mark.parametrize("case, target", _params(CPU_JVP))
def test_jvp_matches_finite_differences(case, target):
    f, x = case
    check_jvp(f, (x, W), 0, target)


@pytest.mark.parametrize("f, target", [(cumsum_neg, "python"), (cumprod1, "python"),
                                       (cumprod_neg, "python"), (cumprod_neg, "cpu")],
                         ids=["cumsum_neg-python", "cumprod1-python", "cumprod_neg-python",
                              "cumprod_neg-cpu"])
def test_hvp_matches_finite_differences(f, target):
    check_hvp(f, (XP, W), 0, target)


def test_a_4d_array_is_still_refused():
    import sourcediff as sd

    def f(x):
        return np.sum(np.cumsum(x, 1))
    with pytest.raises(sd.TransformError, match="1-d/2-d/3-d arrays"):
        sd.grad(f, target="python")(np.ones((2, 2, 2, 2)))
