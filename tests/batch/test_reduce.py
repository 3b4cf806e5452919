"""``reduce="sum"`` (SPEC section 4): the value and the shared arguments' gradients
summed over the batch, on every batched target, against the per-element results
of the same target summed by NumPy.  Gradients with respect to batched
arguments stay per element and are the per-element call's, bit for bit on the
CPU targets."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

from . import batch_funcs as F

N = 9          # not a multiple of anything: uneven chunks and a partial CUDA block


def dotted(x, w):
    """A shared array's gradient built by whole-array NumPy (added row by row)."""
    return np.sum(np.sin(x) * w)


def _gbm(rng, n):
    return (100.0 + 5.0 * rng.random(n), 0.2 + 0.05 * rng.random(n),
            rng.standard_normal((n, 8)), 0.05, 1.0, 92.0)


# name -> (function, wrt, batch, make_args(rng, n))
CASES = {
    # shared array w: its gradient is added into one row per chunk / atomically
    "weighted": (F.weighted, (0, 1), (0, None),
                 lambda rng, n: (rng.standard_normal((n, 5)), rng.random(5))),
    # shared scalars r and T next to batched s0, sigma; tapes
    "asian": (F.asian_call, (0, 1, 3, 4), (0, 0, 0, None, None, None), _gbm),
    # shared scalar a, shared int n
    "damped": (F.damped, (0, 1), (0, None, None),
               lambda rng, n: (rng.standard_normal(n), 0.3, 5)),
    # boolean and integer tapes, a shared scalar that gets no gradient
    "while_break": (F.while_break, (0, 1), (0, None),
                    lambda rng, n: (rng.random((n, 7)), 1.2)),
    # a shared matrix: a 2-d summed row
    "bilinear": (F.bilinear, (0, 1), (0, None),
                 lambda rng, n: (rng.standard_normal((n, 3)), rng.random((3, 3)))),
}
PARAMS = [(t, c) for t in ("python", "cpu", "parallel", "cuda") for c in CASES
          if not (t in ("cpu", "parallel") and c in ("damped", "bilinear"))]  # compile time

_TRANSFORMS: dict = {}


def transform(name, target, reduce):
    key = (name, target, reduce)
    if key not in _TRANSFORMS:
        f, wrt, batch, _ = CASES[name]
        _TRANSFORMS[key] = sd.value_and_grad(f, wrt=wrt, target=target, batch=batch,
                                             reduce=reduce)
    return _TRANSFORMS[key]


def _host(a):
    return a.copy_to_host() if hasattr(a, "copy_to_host") else np.asarray(a)


@pytest.mark.parametrize("target,name", PARAMS)
def test_sum_matches_summed_per_element_results(target, name):
    _, wrt, batch, make = CASES[name]
    args = make(np.random.default_rng(1), N)
    value, grads = transform(name, target, "sum")(*args)
    each_value, each_grads = transform(name, target, None)(*args)
    assert np.ndim(value) == 0
    np.testing.assert_allclose(value, each_value.sum(), rtol=1e-12)
    for k, g, each in zip(wrt, grads, each_grads):
        each = _host(each)
        if batch[k] is None:        # shared: summed, with the argument's shape
            assert np.shape(g) == np.shape(args[k])
            np.testing.assert_allclose(g, each.sum(axis=0), rtol=1e-12, atol=1e-12)
        elif target == "cuda":      # batched: per element, as without reduce
            np.testing.assert_allclose(g, each, rtol=1e-14)
        else:
            np.testing.assert_array_equal(g, each)


@pytest.mark.parametrize("target", ["python", "cpu", "cuda"])
def test_grad_alone_and_a_row_summed_atomically(target):
    """sd.grad with reduce: only the gradients; on cuda the shared row is added
    into with atomic_add, each block into its copy of the row."""
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((200, 5)), rng.random(5)      # two CUDA blocks
    g = sd.grad(F.weighted, wrt="w", target=target, batch=(0, None), reduce="sum")
    dw = g(x, w)
    each = sd.grad(F.weighted, wrt="w", target="python", batch=(0, None))(x, w)
    np.testing.assert_allclose(dw, each.sum(axis=0), rtol=1e-12)
    if target == "cuda":
        assert "atomic_add(dw, i, _dt1)" in g.source and "cuda.syncthreads()" in g.source


@pytest.mark.parametrize("target", ["python", "parallel"])
def test_whole_array_gradient_is_added_into_the_row(target):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((N, 4)), rng.random(4)
    vg = sd.value_and_grad(dotted, wrt=1, target=target, batch=(0, None), reduce="sum")
    value, dw = vg(x, w)
    np.testing.assert_allclose(value, np.sum(np.sin(x) * w), rtol=1e-12)
    np.testing.assert_allclose(dw, np.sin(x).sum(axis=0), rtol=1e-12)


@pytest.mark.parametrize("target", ["python", "cpu", "parallel", "cuda"])
def test_sums_start_again_when_tapes_grow(target):
    """The first element stops at once, the others need longer tapes: the batch
    runs again and the partial sums of the aborted run are dropped."""
    x = np.full((N, 40), 0.05)
    x[0, 0] = 3.0
    vg = transform("while_break", target, "sum")
    vg._capacities.clear()
    value, (dx, dtol) = vg(x, 1.2)
    each_value, (each_dx, _) = transform("while_break", "python", None)(x, 1.2)
    np.testing.assert_allclose(value, each_value.sum(), rtol=1e-12)
    np.testing.assert_allclose(dx, each_dx, rtol=1e-14)
    assert dtol == 0.0
    assert next(iter(vg._capacities.values())).max() >= 40


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_empty_batch_sums_to_zero(target):
    vg = transform("weighted", target if target == "cuda" else "python", "sum")
    value, (dx, dw) = vg(np.empty((0, 5)), np.ones(5))
    assert value == 0.0 and dx.shape == (0, 5)
    np.testing.assert_array_equal(dw, np.zeros(5))


def test_float32_shared_array_keeps_its_dtype():
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((N, 5)).astype(np.float32), rng.random(5).astype(np.float32)
    dw = sd.grad(F.weighted, wrt=1, target="python", batch=(0, None), reduce="sum")(x, w)
    assert dw.dtype == np.float32
    each = sd.grad(F.weighted, wrt=1, target="python", batch=(0, None))(x, w)
    np.testing.assert_allclose(dw, each.sum(axis=0), rtol=1e-5)


def test_function_decorator_takes_reduce():
    fn = sd.function(F.weighted)
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((N, 5)), rng.random(5)
    dw = fn.grad(wrt=1, target="python", batch=(0, None), reduce="sum")(x, w)
    each = fn.grad(wrt=1, target="python", batch=(0, None))(x, w)
    np.testing.assert_allclose(dw, each.sum(axis=0), rtol=1e-12)


def test_fits_scipy_minimize():
    """The fitting example: a logistic regression by minimize(jac=True) on a
    loss summed over data points recovers the weights it was drawn with."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
    from fit_logistic import fit, synthetic_data
    points, labels, truth = synthetic_data(4000, seed=0)
    result = fit(points, labels, target="cpu")
    assert result.success
    np.testing.assert_allclose(result.x, truth, atol=0.25)


PTX_SCRIPT = """
import numpy as np, sourcediff as sd
from tests.batch import batch_funcs as F
rng = np.random.default_rng(0)
gbm = (100.0 + rng.random(4), 0.2 + 0.01 * rng.random(4), rng.standard_normal((4, 8)),
       0.05, 1.0, 98.0)
for name, f, wrt, batch, args in [
        ("gbm", F.gbm_call, (0, 1, 3), (0, 0, 0, None, None, None), gbm),
        ("weighted", F.weighted, (0, 1), (0, None), (rng.random((4, 5)), rng.random(5))),
        ("bilinear", F.bilinear, 1, (0, None), (rng.random((4, 3)), rng.random((3, 3))))]:
    vg = sd.value_and_grad(f, wrt=wrt, target="cuda", batch=batch, reduce="sum")
    ptx = vg.ptx(*args)
    print(name, ".entry" in ptx, "atom" in ptx, "bar.sync" in ptx)
"""


def test_summed_kernels_compile_to_ptx():
    """libnvvm accepts the kernels with sums (shared memory, barriers, atomics)."""
    from .test_batched import _libnvvm
    if _libnvvm() is None:
        pytest.skip("libnvvm (CUDA toolkit) not installed")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0", "CUDA_HOME": _libnvvm(),
           "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", PTX_SCRIPT], env=env, capture_output=True,
                         text=True, timeout=300, check=False, cwd=root)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["gbm", "True", "True", "True", "weighted", "True", "True",
                                  "True", "bilinear", "True", "True", "True"], out.stdout


# -- errors ---------------------------------------------------------------------
def test_bad_reduce_is_a_value_error():
    for bad in ("mean", "SUM", True, 0):
        with pytest.raises(ValueError, match="reduce must be None .* or 'sum'"):
            sd.grad(F.weighted, batch=(0, None), reduce=bad)
        with pytest.raises(ValueError, match="reduce must be None .* or 'sum'"):
            sd.value_and_grad(F.weighted, batch=(0, None), reduce=bad)


def test_reduce_needs_a_batch():
    with pytest.raises(ValueError, match="sums over a batch: pass batch="):
        sd.grad(F.weighted, wrt=1, reduce="sum")
    with pytest.raises(ValueError, match="sums over a batch"):
        sd.function(F.weighted).value_and_grad(wrt=1, reduce="sum")


def test_cuda_sum_of_a_numpy_gradient_is_refused_at_the_users_line():
    g = sd.grad(dotted, wrt=1, target="cuda", batch=(0, None), reduce="sum")
    with pytest.raises(sd.TransformError, match="CUDA kernel") as info:
        g(np.ones((2, 3)), np.ones(3))
    assert "test_reduce.py" in str(info.value)
