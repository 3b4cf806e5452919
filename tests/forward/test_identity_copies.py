"""Forward mode and the normalizer on operations that copy without changing a
value (``u[1:-1] * 1.0``, ``x + 0.0``, ``+u[1:-1]``, ``np.positive``), and on
in-place updates of an array another name shares.  Each gave a wrong value
or tangent, silently, before its fix: the rule's tangent was the operand's
own tangent (a view of the array later stored into), ``+e`` was dropped, and
``Q = P; P *= c`` rebound ``P`` while NumPy writes into the array ``Q`` shows."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad
from tests.forward.jvpcheck import check_jvp


def times_one(u0, c):
    u = u0.copy()
    v = u[1:-1] * 1.0
    u[1:-1] = u[1:-1] * c
    return np.sum(v * u[1:-1])


def plus_zero(u0, c):
    u = u0.copy()
    v = u[1:-1] + 0.0
    u[1:-1] = u[1:-1] * c
    return np.sum(v * u[1:-1])


def unary_plus(u0, c):
    u = u0.copy()
    v = +u[1:-1]
    u[1:-1] = u[1:-1] * c
    return np.sum(v * u[1:-1]) + (+c)


def positive_then_stored(x, c):
    y = np.positive(x * c)
    z = +y[1:]
    y[1:] = 2.0 * y[1:]
    return np.sum(z * y[1:])


def plus_in_a_loop(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += +x[i] * x[i]
    return s


U = np.linspace(0.5, 1.5, 8)
CASES = [(times_one, (U, 1.3)), (plus_zero, (U, 1.3)), (unary_plus, (U, 1.3)),
         (positive_then_stored, (U, 0.7))]


@pytest.mark.parametrize("f,args", CASES, ids=[c[0].__name__ for c in CASES])
def test_tangent_and_gradient(f, args):
    check_jvp(f, args, (0, 1), "python")
    check_grad(f, args, (0, 1), "python")


def test_compiled():
    # (one compile per mode: the tangent code is the same on both targets)
    check_jvp(unary_plus, (U, 1.3), (0, 1), "cpu")
    check_grad(plus_in_a_loop, (U,), 0, "cpu")


def shared_then_scaled(P, c):
    Q = P
    P *= c
    return np.sum(Q) + np.sum(P * P)


def view_then_added(x, c):
    y = x * c
    z = y[1:]
    y += 1.0
    return np.sum(z * z)


def reshaped_then_scaled(x, c):
    y = x * c
    z = y.reshape(-1)
    y *= 2.0
    return np.sum(z * z)


def row_then_updated(P, c):
    r = P[0]
    P += c * np.sin(P)
    return np.sum(r * r) + np.sum(P)


@pytest.mark.parametrize("f,line,names", [
    (shared_then_scaled, "P *= c", ("'P'", "'Q'")),
    (view_then_added, "y += 1.0", ("'y'", "'z'")),
    (reshaped_then_scaled, "y *= 2.0", ("'y'", "'z'")),
    (row_then_updated, "P += c * np.sin(P)", ("'P'", "'r'")),
])
def test_in_place_update_of_a_shared_array_is_refused(f, line, names):
    """As reverse mode does: NumPy writes into the array the other name shows,
    the transform would bind a new one."""
    P = np.linspace(0.5, 1.5, 6).reshape(2, 3)
    for transform in (sd.jvp(f, wrt="c", target="python"),
                      sd.grad(f, wrt="c", target="python")):
        with pytest.raises(sd.TransformError, match="shares memory") as e:
            transform(P.copy(), 1.3, 1.0) if transform.__class__.__name__.startswith("J") \
                else transform(P.copy(), 1.3)
        assert line in str(e.value) and all(n in str(e.value) for n in names)


def paired_index_store(x):
    z = x.copy()
    z[np.array([0, 1]), np.array([1, 2])] = x[1, :2]
    return np.sum(z * x)


def test_hessian_vector_product_of_a_paired_index_store():
    # the adjoint's mask of the positions written last (last_pair_writes) had no
    # forward rule: "no derivative rule for 'last_pair_writes'", in generated code
    x = np.array([[0.3, -1.2, 0.7], [1.5, 0.2, -0.4], [0.9, 1.1, -0.8]])
    g = sd.grad(paired_index_store, target="python")
    v = np.arange(9.0).reshape(3, 3) / 7.0
    fd = (g(x + 1e-6 * v) - g(x - 1e-6 * v)) / 2e-6
    _, hv = sd.jvp(g, target="python")(x, v)
    np.testing.assert_allclose(hv, fd, atol=1e-6)
