"""``sd.vjp`` and ``sd.jacobian`` against finite-difference Jacobians."""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

from . import array_funcs as A

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import numeric_grad

rng = np.random.default_rng(3)
CASES = [
    (A.elementwise, (rng.uniform(-1, 1, 4), 0.7), (0, 1)),
    (A.with_axis, (rng.uniform(-1, 1, (3, 4)),), 0),
    (A.matvec, (rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, 4)), (0, 1)),
    (A.loop_fill, (rng.uniform(-1, 1, 5), 1.3), (0, 1)),
    (A.running, (rng.uniform(-1, 1, 5),), 0),
    (A.matrix_out, (rng.uniform(-1, 1, 3),), 0),
    (A.scalar_out, (rng.uniform(-1, 1, 3),), 0),
    (A.ode, (rng.uniform(-1, 1, 3), 0.8, 6), (0, 1)),
]
IDS = [c[0].__name__ for c in CASES]


def fd_jacobian(f, args, k):
    """Dense FD Jacobian of f w.r.t. argument k: output shape + input shape."""
    out = np.asarray(f(*[a.copy() if isinstance(a, np.ndarray) else a for a in args]))
    rows = []
    for j in range(out.size):
        def fj(*a, j=j):
            return float(np.ravel(np.asarray(f(*a)))[j])
        fj.__name__ = f.__name__
        rows.append(np.ravel(numeric_grad(fj, args, k)))
    shape = np.shape(args[k])
    return np.array(rows).reshape(out.shape + shape)


def _copy(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_vjp_matches_fd_jacobian(case):
    f, args, wrt = case
    value, grads = sd.vjp(f, wrt=wrt, target="python")(*_copy(args), _cotangent(f, args))
    np.testing.assert_allclose(value, f(*_copy(args)), rtol=1e-13)
    cot = _cotangent(f, args)
    grads = grads if isinstance(wrt, tuple) else (grads,)
    for k, g in zip(wrt if isinstance(wrt, tuple) else (wrt,), grads):
        J = fd_jacobian(f, args, k)
        out_axes = np.ndim(cot)
        want = np.tensordot(cot, J, axes=out_axes) if out_axes else cot * J
        np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-9)
        assert np.shape(g) == np.shape(args[k])


def _cotangent(f, args):
    out = f(*_copy(args))
    r = np.random.default_rng(len(f.__name__))
    return r.uniform(-1, 1, np.shape(out)) if np.ndim(out) else 0.7


@pytest.mark.parametrize("mode", ["reverse", "auto"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jacobian_matches_fd(case, mode):
    f, args, wrt = case
    jac = sd.jacobian(f, wrt=wrt, target="python", mode=mode)(*_copy(args))
    jac = jac if isinstance(wrt, tuple) else (jac,)
    for k, J in zip(wrt if isinstance(wrt, tuple) else (wrt,), jac):
        want = fd_jacobian(f, args, k)
        assert np.shape(J) == want.shape
        np.testing.assert_allclose(J, want, rtol=1e-6, atol=1e-9)


def test_tuple_result_vjp():
    x, w = rng.uniform(-1, 1, 3), 0.4
    value, (gx, gw) = sd.vjp(A.two_outputs, wrt=(0, 1), target="python")(x, w, (2.0, -1.0))
    assert value == pytest.approx(A.two_outputs(x, w))
    # d/dx [2 * sum(x w) - x0 w] and d/dw
    want_x = 2.0 * w * np.ones(3)
    want_x[0] -= w
    np.testing.assert_allclose(gx, want_x, rtol=1e-14)
    assert gw == pytest.approx(2.0 * np.sum(x) - x[0], rel=1e-14)


@pytest.mark.parametrize("case", [CASES[3], CASES[7]], ids=["loop_fill", "ode"])
def test_cpu_target_matches_python(case):
    f, args, wrt = case
    jp = sd.jacobian(f, wrt=wrt, target="python", mode="reverse")(*_copy(args))
    jc = sd.jacobian(f, wrt=wrt, target="cpu", mode="reverse")(*_copy(args))
    for a, b in zip(jp, jc):
        np.testing.assert_allclose(b, a, rtol=1e-13)


def test_float32_keeps_dtype():
    x = np.linspace(0.1, 0.5, 4, dtype=np.float32)
    _, g = sd.vjp(A.elementwise, target="python")(x, 0.5, np.ones(4, np.float32))
    assert g.dtype == np.float32
    J = sd.jacobian(A.elementwise, target="python")(x, 0.5)
    assert J.dtype == np.float32 and J.shape == (4, 4)


def test_cotangent_errors():
    v = sd.vjp(A.elementwise, target="python")
    x = np.ones(3)
    with pytest.raises(TypeError, match="1-d array like its result"):
        v(x, 0.5, 1.0)
    with pytest.raises(ValueError, match=r"shape \(4,\), but the result has shape \(3,\)"):
        v(x, 0.5, np.ones(4))
    with pytest.raises(TypeError, match="tuple of 2"):
        sd.vjp(A.two_outputs, target="python")(x, 0.5, 1.0)
    with pytest.raises(TypeError, match="followed by the cotangent"):
        v()


def test_grad_of_array_function_points_to_vjp():
    with pytest.raises(TypeError, match="sd.vjp or sd.jacobian"):
        sd.grad(A.elementwise, target="python")(np.ones(3), 0.5)
