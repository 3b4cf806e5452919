"""The adjoint of a full ``np.max`` / ``np.min`` shares its cotangent equally
among the elements at the extreme (JAX's rule), made as one new array by
``ties_shared`` (runtime/helpers.py) where it was four (a mask, its float
copy, the quotient and the product: a softmax's ``np.max(row)`` in every
row).  Ties, rows of one element, 2-d arrays and views, against central
differences away from ties and against the rule itself at them."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.runtime.helpers import add_ties_shared, ties_shared
from tests.fdcheck import check_grad


def softmax_rows(S, W):
    n = S.shape[0]
    out = 0.0
    for i in range(n):
        row = S[i]
        e = np.exp(row - np.max(row))
        p = e / np.sum(e)
        out += np.sum(p * W[i])
    return out


def extremes(x):
    return 2.0 * np.max(x) - np.min(x * x) + np.max(x[1:, ::2])


rng = np.random.default_rng(4)
CASES = [(softmax_rows, (rng.standard_normal((4, 5)), rng.standard_normal((4, 5))), 0),
         (extremes, (rng.standard_normal((3, 4)),), 0)]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_ties_share_the_cotangent_equally(target):
    x = np.array([[1.0, 3.0, -3.0], [3.0, 0.5, -3.0]])
    # two maxima (3.0) of x; of x * x one minimum (0.25); of the view [3.0, -3.0] one
    g = sd.grad(extremes, target=target)(x)
    expected = np.zeros_like(x)
    expected[x == 3.0] += 2.0 / 2                    # 2 * max: two ties
    sq = x * x
    expected -= 2.0 * x * (sq == sq.min()) / np.sum(sq == sq.min())
    view = x[1:, ::2]
    expected[1:, ::2] += (view == view.max()) / np.sum(view == view.max())
    np.testing.assert_allclose(g, expected, rtol=1e-15)


def test_the_helper_compiled_and_in_python_agree():
    import numba

    x = np.array([[2.0, -1.0], [2.0, 2.0]])
    compiled = numba.njit(lambda a, z, d: ties_shared(a, z, d))
    for a in (x, x.T, x[:, 0]):
        np.testing.assert_array_equal(compiled(a, a.max(), 3.0), ties_shared(a, a.max(), 3.0))
    np.testing.assert_array_equal(ties_shared(x, 2.0, 3.0), [[1.0, 0.0], [1.0, 1.0]])
    # a NaN max, equal to no element: NaN shares in both (JAX's rule gives NaN too)
    nan = np.array([np.nan, 1.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(compiled(nan, np.nan, 3.0), ties_shared(nan, np.nan, 3.0))


def test_the_adjoint_adds_the_shares_in_place():
    text = sd.grad(softmax_rows, target="python").source_for(*CASES[0][1])
    reverse = text[text.index("# -- reverse sweep"):]
    assert "add_ties_shared(" in reverse and "share_ties" not in reverse
    assert "+= ties_shared(" not in reverse


def test_shares_added_in_place_compiled_and_in_python_agree():
    import numba

    from sourcediff.runtime.declare import install_numba_overloads
    install_numba_overloads("cpu")
    compiled = numba.njit(lambda o, a, z, d: add_ties_shared(o, a, z, d))
    x = np.array([[2.0, -1.0, 2.0], [0.5, 2.0, -3.0]])
    cube = np.stack([x, x - 1.0])
    for a, z in ((x, 2.0), (x.T, 2.0), (x[:, 0], 2.0), (x[1], -3.0), (cube, 2.0),
                 (np.array([np.nan, 1.0]), np.nan)):        # (NaN: no element is the max)
        base = np.arange(float(a.size)).reshape(a.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            want = base + ties_shared(a, z, 3.0)
        ours, python = base.copy(), base.copy()
        viewed = np.asfortranarray(base.copy())            # (an adjoint not C-ordered)
        compiled(ours, a, z, 3.0)
        compiled(viewed, a, z, 3.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            add_ties_shared(python, a, z, 3.0)
        for got in (ours, viewed, python):
            np.testing.assert_array_equal(got, want)


def lse(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_second_derivative_through_the_shares_added_in_place(target):
    # (the gradient's add_ties_shared read back as dx += ties_shared(...))
    x = np.array([0.3, -1.2, 0.7, 0.1])
    p = np.exp(x - x.max())
    p /= p.sum()
    h = sd.hessian(lse, target=target)(x)
    np.testing.assert_allclose(h, np.diag(p) - np.outer(p, p), rtol=1e-12, atol=1e-15)
