"""Batched gradients (SPEC section 4) on the python, cpu, parallel and cuda targets.

Every batched result is compared with the unbatched gradient of the same
element (``target="python"``, itself checked against finite differences in
tests/core) and, for a few cases, with central finite differences directly.
``cuda`` runs on a GPU where one is present and under Numba's simulator
otherwise (tests/conftest.py); batches stay tiny there.  Compiled transforms
are cached at module level so each (function, target) compiles once.
"""
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.backends import numba_cuda

from . import batch_funcs as F

N = 6          # batch size (the simulator runs one Python thread per element)


def _gbm_args(rng, n, dtype=np.float64):
    return (100.0 + 5.0 * rng.random(n).astype(dtype), (0.2 + 0.05 * rng.random(n)).astype(dtype),
            rng.standard_normal((n, 8)).astype(dtype), 0.05, 1.0, 92.0)


# name -> (function, wrt, batch, make_args(rng, n))
CASES = {
    "gbm_call": (F.gbm_call, (0, 1), (0, 0, 0, None, None, None), _gbm_args),
    "asian_call": (F.asian_call, (0, 1, 3), (0, 0, 0, None, None, None), _gbm_args),
    "branches": (F.branches, (0, 1), True,
                 lambda rng, n: (rng.standard_normal(n), rng.standard_normal(n))),
    "while_break": (F.while_break, 0, (0, None), lambda rng, n: (rng.random((n, 7)), 1.2)),
    "damped": (F.damped, (0, 1), (0, None, None),
               lambda rng, n: (rng.standard_normal(n), 0.3, 5)),
    "weighted": (F.weighted, (0, 1), (0, None),
                 lambda rng, n: (rng.standard_normal((n, 5)), rng.random(5))),
    "rosenbrock": (F.scratch, 0, True, lambda rng, n: (rng.standard_normal((n, 4)),)),
    "calls_helper": (F.calls_helper, (0, 1), (0, 0),
                     lambda rng, n: (rng.standard_normal((n, 3)), rng.random(n))),
    # element 0 runs few trips: its tapes (the capacities first guessed) are too
    # small for element 2, in local memory on the GPU too
    "taped_helpers": (F.calls_taped_helpers, 0, True,
                      lambda rng, n: (rng.random((n, 3)), np.array([1, 3, 12, 2, 5, 4][:n]))),
    # a tape with an axis per loop, flattened for the element (and sized per element)
    "nested_overwrite": (F.nested_overwrite, (0, 1), (0, None),
                         lambda rng, n: (rng.standard_normal((n, 4)), 0.7)),
    "exp_sums": (F.exp_sums, (0, 1), (0, None),
                 lambda rng, n: (rng.standard_normal((n, 3)), 0.7)),
}
# compiled targets run a representative subset (compile time in CI)
COMPILED = ["gbm_call", "while_break", "weighted", "calls_helper", "exp_sums"]
PARAMS = ([("python", c) for c in CASES] + [("cpu", c) for c in COMPILED]
          + [("parallel", c) for c in COMPILED] + [("cuda", c) for c in CASES])

_TRANSFORMS: dict = {}


def batched(name, target, kind="value_and_grad"):
    key = (name, target, kind)
    if key not in _TRANSFORMS:
        f, wrt, batch, _ = CASES[name]
        transform = sd.value_and_grad if kind == "value_and_grad" else sd.grad
        _TRANSFORMS[key] = transform(f, wrt=wrt, target=target, batch=batch)
    return _TRANSFORMS[key]


def element(args, batch, b):
    batch = batch if isinstance(batch, tuple) else (0,) * len(args)
    return [a[b] if k == 0 else a for a, k in zip(args, batch)]


def reference(name, args, n):
    """Unbatched value and gradients, element by element."""
    f, wrt, batch, _ = CASES[name]
    vg = sd.value_and_grad(f, wrt=wrt, target="python")
    out = [vg(*element(args, batch, b)) for b in range(n)]
    values = np.array([v for v, _ in out])
    per_element = [as_tuple(g, wrt) for _, g in out]
    grads = [np.stack([np.asarray(g[k], dtype=np.float64) for g in per_element])
             for k in range(len(per_element[0]))]
    return values, grads


def as_tuple(g, wrt):
    return g if isinstance(wrt, tuple) else (g,)


def test_simulator_or_gpu():
    """The cuda cases below really use numba.cuda: a GPU or the simulator."""
    from numba import config, cuda
    assert config.ENABLE_CUDASIM or cuda.is_available()


@pytest.mark.parametrize("target,name", PARAMS)
def test_matches_unbatched(target, name):
    rng = np.random.default_rng(7)
    _, wrt, _, make = CASES[name]
    args = make(rng, N)
    value, grads = batched(name, target)(*args)
    ref_value, ref_grads = reference(name, args, N)
    assert value.shape == (N,)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12, atol=1e-300)
    for g, r in zip(as_tuple(grads, wrt), ref_grads):
        assert g.shape == r.shape
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-14)


def _fd(f, args, k, idx, h=1e-5):
    """Fourth-order central difference of f in args[k][idx] (or args[k] if scalar)."""
    def at(delta):
        a = list(args)
        if np.ndim(a[k]) == 0:
            a[k] = a[k] + delta
        else:
            a[k] = np.array(a[k], dtype=np.float64)
            a[k][idx] += delta
        return f(*a)
    x = args[k] if np.ndim(args[k]) == 0 else args[k][idx]
    step = h * max(1.0, abs(x))
    return (at(-2 * step) - 8 * at(-step) + 8 * at(step) - at(2 * step)) / (12 * step)


@pytest.mark.parametrize("name", ["gbm_call", "asian_call", "while_break", "weighted",
                                  "calls_helper", "taped_helpers"])
def test_finite_differences(name):
    rng = np.random.default_rng(3)
    f, wrt, batch, make = CASES[name]
    args = make(rng, 3)
    _, grads = batched(name, "cpu" if name in COMPILED else "python")(*args)
    for b in range(3):
        el = element(args, batch, b)
        for k, g in zip(as_tuple(wrt, wrt), as_tuple(grads, wrt)):
            for idx in np.ndindex(np.shape(el[k])):
                fd = _fd(f, el, k, idx)
                assert math.isclose(g[b][idx], fd, rel_tol=1e-6, abs_tol=1e-8), (b, k, idx)


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_float32_in_float32_out(target):
    rng = np.random.default_rng(5)
    args64 = _gbm_args(rng, N)
    args32 = tuple(a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in args64)
    vg = sd.value_and_grad(F.gbm_call, wrt=(0, 1), target=target,
                           batch=(0, 0, 0, None, None, None))
    value, (ds0, dsigma) = vg(*args32)
    assert ds0.dtype == dsigma.dtype == np.float32      # the value: float64 (r, T, K)
    ref_value, (ref_ds0, ref_dsigma) = batched("gbm_call", "python")(*args64)
    np.testing.assert_allclose(value, ref_value, rtol=2e-4, atol=1e-3)
    np.testing.assert_allclose(ds0, ref_ds0, rtol=2e-4, atol=1e-4)
    np.testing.assert_allclose(dsigma, ref_dsigma, rtol=2e-3, atol=1e-2)


@pytest.mark.parametrize("target", ["python", "cpu", "cuda"])
def test_grad_shapes_and_shared_gradients_per_element(target):
    """grad (not value_and_grad); a shared (None) argument's gradient is per element."""
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal((N, 5)), rng.random(5)
    g = sd.grad(F.weighted, wrt=(0, 1), target=target, batch=(0, None))
    dx, dw = g(x, w)
    assert dx.shape == (N, 5) and dw.shape == (N, 5)
    one = sd.grad(F.weighted, wrt=1, target="python")
    for b in range(N):
        np.testing.assert_allclose(dw[b], one(x[b], w), rtol=1e-12)
    assert not np.allclose(dw[0], dw[1])     # not summed over the batch
    single = sd.grad(F.weighted, wrt="w", target=target, batch=(0, None))(x, w)
    np.testing.assert_allclose(single, dw, rtol=1e-12)


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_strided_arguments(target):
    """A shared argument that is a strided view (x[1::2]) and a batched one
    that is a transpose: Numba copies one memory region to the device, so the
    cuda target makes the view contiguous first; the gradients are the same."""
    rng = np.random.default_rng(12)
    wide = rng.random(10)
    x = rng.standard_normal((5, N)).T          # (N, 5), neither C- nor F-ordered rows
    g = sd.grad(F.weighted, wrt=(0, 1), target=target, batch=(0, None))
    dx, dw = g(x, wide[1::2])
    want_dx, want_dw = g(np.ascontiguousarray(x), wide[1::2].copy())
    np.testing.assert_allclose(dx, want_dx, rtol=1e-12)
    np.testing.assert_allclose(dw, want_dw, rtol=1e-12)
    one = sd.grad(F.weighted, wrt=0, target="python")
    np.testing.assert_allclose(dx[2], one(x[2], wide[1::2]), rtol=1e-12)


def test_a_batched_argument_without_its_batch_axis_is_told():
    """Each call sees one element of a batched argument: a number has no shape."""
    def path_sum(theta, z):
        s = 0.0
        for i in range(z.shape[0]):
            s += theta[0] * z[i]
        return s
    def first_of_path(theta, z):
        n = z.shape[0]
        return theta[0] * n
    with pytest.raises(sd.TransformError, match=r"cannot index a float64: it is a number.*batched"):
        sd.grad(path_sum, wrt=0, batch=(None, 0))(np.ones(2), np.ones(8))
    with pytest.raises(sd.TransformError, match=r"'\.shape' of a number.*batched"):
        sd.grad(first_of_path, wrt=0, batch=(None, 0))(np.ones(2), np.ones(8))


@pytest.mark.parametrize("target", ["python", "cpu", "parallel", "cuda"])
def test_tapes_grow_when_an_element_needs_more(target):
    """Element 0 stops after one step, the others run long: the first guess of
    the tape capacities is too small, the batch runs again with the capacities
    the elements reported, and the results match the unbatched ones."""
    x = np.full((N, 40), 0.05)
    x[0, 0] = 3.0
    vg = (batched("while_break", target) if target in ("cpu", "parallel")
          else sd.value_and_grad(F.while_break, wrt=0, target=target, batch=(0, None)))
    vg._capacities.clear()
    value, dx = vg(x, 1.2)
    ref_value, (ref_dx,) = reference("while_break", (x, 1.2), N)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-12)
    caps = next(iter(vg._capacities.values()))
    assert caps.max() >= 40


def test_cuda_tape_need_is_kept_on_the_device_and_set_back_after_growing():
    """The kernel's tape_need lives on the device from call to call: after a
    launch that reported too small a tape it is zero again, so the next batch
    (and the relaunch) see only their own reports."""
    x = np.full((N, 40), 0.05)
    x[0, 0] = 3.0
    vg = sd.value_and_grad(F.while_break, wrt=0, target="cuda", batch=(0, None))
    for _ in range(2):
        vg._capacities.clear()
        value, dx = vg(x, 1.2)
        _values, types, _n = vg.bind((x, 1.2), {})
        runner = vg.compiled(types).run
        assert not runner.need.copy_to_host().any()
    ref_value, (ref_dx,) = reference("while_break", (x, 1.2), N)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-12)


def test_cuda_outputs_are_views_of_one_allocation_per_dtype():
    wanted = [((4,), np.dtype(np.float64)), ((4, 3), np.dtype(np.float64)),
              ((2,), np.dtype(np.float32)), ((0,), np.dtype(np.float64))]
    made = []
    out = numba_cuda.carve(wanted, lambda size, dtype: made.append(np.zeros(size, dtype))
                           or made[-1])
    assert [(a.shape, a.dtype) for a in out] == wanted
    assert [(m.size, m.dtype) for m in made] == [(16, np.float64), (2, np.float32)]
    out[1][...] = 1.0               # views of the block, apart from one another
    assert not out[0].any() and made[0][4:].all() and out[1].base is not None


def test_cuda_workspace_tapes(monkeypatch):
    """Tapes too large for local memory live in a global workspace."""
    monkeypatch.setattr(numba_cuda, "LOCAL_TAPE_BYTES", 0)
    rng = np.random.default_rng(2)
    args = _gbm_args(rng, N)
    vg = sd.value_and_grad(F.gbm_call, wrt=(0, 1), target="cuda",
                           batch=(0, 0, 0, None, None, None))
    value, (ds0, dsigma) = vg(*args)
    assert "workspace_0[:, b]" in vg.source and "cuda.local.array" not in vg.source
    ref_value, (ref_ds0, ref_dsigma) = reference("gbm_call", args, N)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    np.testing.assert_allclose(ds0, ref_ds0, rtol=1e-12)
    np.testing.assert_allclose(dsigma, ref_dsigma, rtol=1e-12)


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_callee_tapes_come_from_the_driver(target):
    """Helpers whose adjoints need tapes (a counted loop calling a while loop,
    called in a loop): their tapes are the element's, preallocated by the
    driver and passed down, and grow like the element's own."""
    rng = np.random.default_rng(12)
    args = CASES["taped_helpers"][3](rng, N)
    vg = batched("taped_helpers", target)
    vg._capacities.clear()
    value, dx = vg(*args)
    ref_value, (ref_dx,) = reference("taped_helpers", args, N)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-12, atol=1e-14)
    source = vg.source
    assert "def damp_steps_vjp(v, n, cotangent, _saved_y, relax_vjp_saved_y, tape_need)" in source
    assert "np.empty" not in source.split("def calls_taped_helpers_grad_element")[0]
    assert max(next(iter(vg._capacities.values()))) >= 12


def test_cuda_device_arrays_stay_on_device():
    from numba import cuda
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((N, 5)), rng.random(5)
    g = sd.value_and_grad(F.weighted, wrt=(0, 1), target="cuda", batch=(0, None))
    value, (dx, dw) = g(cuda.to_device(x), w)
    assert not isinstance(value, np.ndarray) and not isinstance(dx, np.ndarray)
    host_value, (host_dx, host_dw) = g(x, w)
    assert isinstance(host_dx, np.ndarray)
    np.testing.assert_array_equal(value.copy_to_host(), host_value)
    np.testing.assert_array_equal(dx.copy_to_host(), host_dx)
    np.testing.assert_array_equal(dw.copy_to_host(), host_dw)
    # summed over the batch (added up on the host): back on the device too
    g = sd.value_and_grad(F.weighted, wrt=(0, 1), target="cuda", batch=(0, None), reduce="sum")
    value, (dx, dw) = g(cuda.to_device(x), cuda.to_device(w))
    assert not isinstance(dx, np.ndarray) and not isinstance(dw, np.ndarray)
    np.testing.assert_allclose(dw.copy_to_host(), host_dw.sum(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(dx.copy_to_host(), host_dx)



def test_cuda_names_a_numpy_numba_cuda_version_clash(monkeypatch):
    """numba-cuda releases that register np.row_stack fail to compile any kernel
    under NumPy 2.5, which removed it (seen on a GPU machine): the user gets an
    error naming the versions, not an AttributeError from inside numba-cuda."""
    real_load = numba_cuda.load_cuda

    class ClashingKernel:           # what numba-cuda does at the first launch
        def __getitem__(self, launch_shape):
            def launch(*args):
                raise AttributeError("module 'numpy' has no attribute 'row_stack'")
            return launch

    def load(source, stem, injected, names, kernel, helpers):
        funcs = real_load(source, stem, injected, names, kernel, helpers)
        return {**funcs, kernel: ClashingKernel()}
    monkeypatch.setattr(numba_cuda, "load_cuda", load)
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((N, 5)), rng.random(5)
    g = sd.value_and_grad(F.weighted, wrt=(0, 1), target="cuda", batch=(0, None))
    with pytest.raises(numba_cuda.CudaVersionError,
                       match=rf"cannot compile kernels with NumPy {np.__version__}.*row_stack"):
        g(x, w)


def test_cuda_passes_other_attribute_errors_through():
    with pytest.raises(AttributeError, match="no attribute 'nope'"), numba_cuda.version_clash():
        raise AttributeError("'Foo' object has no attribute 'nope'")

def test_sources_show_driver_and_kernel():
    vg = batched("gbm_call", "parallel")
    src = vg.source
    assert "def gbm_call_grad_element(" in src and "prange(n_chunks)" in src
    assert "# gbm_call:" in src                     # comments quote the user's lines
    assert "def gbm_call_grad(" not in src          # list-tape adjoint replaced
    cuda_vg = batched("gbm_call", "cuda")
    cuda_vg(*_gbm_args(np.random.default_rng(7), N))    # the tapes' sizes known: local memory
    kern = cuda_vg.source
    assert "cuda.grid(1)" in kern and "cuda.local.array(TAPE_CAPACITY_0" in kern
    # before any call: argument types read off the source
    fresh = sd.grad(F.damped, wrt=0, target="cpu", batch=(0, None, None))
    assert "def damped_grad_batched(" in fresh.source


def test_function_decorator_batch():
    fn = sd.function(F.branches)
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal(N), rng.standard_normal(N)
    gx, gy = fn.grad(wrt=(0, 1), target="python", batch=True)(x, y)
    one = sd.grad(F.branches, wrt=(0, 1), target="python")
    for b in range(N):
        assert (gx[b], gy[b]) == one(x[b], y[b])


# -- errors ---------------------------------------------------------------------
def test_cuda_needs_batch():
    # (``parallel`` without a batch runs proven-independent loops over prange:
    # tests/modes/test_parallel_target.py)
    with pytest.raises(ValueError, match="batch="):
        sd.grad(F.branches, target="cuda")


def test_batch_tuple_must_match_arguments():
    with pytest.raises(ValueError, match="batch has 1 entries but branches"):
        sd.grad(F.branches, batch=(0,))
    with pytest.raises(ValueError, match="argument 'y' must be 0"):
        sd.grad(F.branches, batch=(0, 1))
    with pytest.raises(ValueError, match="no argument as batched"):
        sd.grad(F.branches, batch=(None, None))


def test_mismatched_batch_lengths_name_the_argument():
    g = sd.grad(F.branches, target="python", batch=True)
    with pytest.raises(ValueError, match="'y' has 4 elements .* 'x' has 3"):
        g(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="argument 'y' of branches\\(\\) is batched but is a float"):
        g(np.ones(3), 2.0)


def test_integer_argument_is_a_type_error():
    g = sd.grad(F.damped, wrt=2, target="python", batch=(0, None, None))
    with pytest.raises(TypeError, match="argument 'n'"):
        g(np.ones(3), 0.3, 4)


def test_cuda_refuses_whole_array_numpy_at_the_users_line():
    g = sd.grad(F.uses_numpy, target="cuda", batch=True)
    with pytest.raises(sd.TransformError, match="CUDA kernel") as info:
        g(np.ones((2, 3)))
    assert "batch_funcs.py" in str(info.value) and "np.sum(np.sin(x) * x)" in str(info.value)
    # the same function is fine on the CPU
    gx = sd.grad(F.uses_numpy, target="python", batch=True)(np.ones((2, 3)))
    np.testing.assert_allclose(gx, np.sin(1.0) + np.cos(1.0))


def test_cuda_refusal_of_an_array_only_the_gradient_needs_says_so():
    """The user wrote no np.zeros_like: the message names what the gradient needs
    it for and what to write instead, at the column the line starts."""
    g = sd.grad(F.writes_shared_scratch, wrt=1, target="cuda", batch=(None, 0))
    with pytest.raises(sd.TransformError, match="the gradient needs a new array") as info:
        g(np.zeros(1), np.ones(4))
    assert "'np.zeros_like(...)' in the generated code" in str(info.value)
    assert "use target='cpu'" in str(info.value)


def test_cuda_refuses_a_helper_taking_an_array_at_the_call():
    g = sd.grad(F.calls_array_helper, target="cuda", batch=True)
    with pytest.raises(sd.TransformError, match="array argument 'a' in a new array") as info:
        g(np.ones((2, 3)))
    assert "batch_funcs.py" in str(info.value) and "return tanh_sum(x) * 2.0" in str(info.value)


# -- real CUDA code: compiled to PTX by libnvvm (no GPU needed) -------------------
def _libnvvm():
    for root in (os.environ.get("CUDA_HOME"), "/usr/local/cuda", *sorted(
            str(p) for p in Path("/usr/local").glob("cuda-*"))):
        if root and list(Path(root).glob("**/libnvvm.so*")):
            return root
    return None


PTX_SCRIPT = """
import sys
import numpy as np, sourcediff as sd
from sourcediff.backends import numba_cuda
from tests.batch import batch_funcs as F
rng = np.random.default_rng(0)
args = (100.0 + rng.random(4), 0.2 + 0.0 * rng.random(4), rng.standard_normal((4, 8)),
        0.05, 1.0, 98.0)
vg = sd.value_and_grad(F.gbm_call, wrt=(0, 1), target="cuda", batch=(0, 0, 0, None, None, None))
ptx = vg.ptx(*args)
print("local", ".local" in ptx, ".entry" in ptx)
args32 = tuple(a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in args)
print("float32", ".entry" in vg.ptx(*args32))
numba_cuda.LOCAL_TAPE_BYTES = 0
g = sd.grad(F.while_break, wrt=0, target="cuda", batch=(0, None))
print("workspace", ".entry" in g.ptx(rng.random((4, 7)), 1.2))
g = sd.grad(F.calls_helper, wrt=(0, 1), target="cuda", batch=(0, 0))
print("calls", ".entry" in g.ptx(rng.random((4, 3)), rng.random(4)))
g = sd.grad(F.calls_taped_helpers, wrt=0, target="cuda", batch=True)
print("callee tapes", ".entry" in g.ptx(rng.random((4, 3)), np.array([1, 2, 9, 3])))
sys.path.insert(0, "examples")
from bundle_adjustment import reprojection_residual
g = sd.grad(reprojection_residual, wrt=(0, 1), target="cuda", batch=(0, 0, 0, None))
print("ba", ".entry" in g.ptx(rng.random((4, 11)), rng.random((4, 3)), rng.random((4, 2)), 1))
"""


@pytest.mark.skipif(_libnvvm() is None, reason="libnvvm (CUDA toolkit) not installed")
def test_kernels_compile_to_ptx():
    """The simulator accepts anything Python does; libnvvm checks that the
    generated kernels are valid CUDA (types, device calls, local arrays)."""
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0", "CUDA_HOME": _libnvvm(),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = subprocess.run([sys.executable, "-c", PTX_SCRIPT], env=env, capture_output=True,
                         text=True, timeout=300, check=False, cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["local", "True", "True", "float32", "True", "workspace", "True",
                                  "calls", "True", "callee", "tapes", "True", "ba", "True"], \
        out.stdout


@pytest.mark.parametrize("target", ["python", "cuda"])
def test_arguments_written_by_the_function_are_left_alone(target):
    from numba import cuda
    x = np.arange(1.0, 7.0).reshape(2, 3)
    arg = cuda.to_device(x) if target == "cuda" else x.copy()
    gx = sd.grad(F.writes_argument, target=target, batch=True)(arg)
    gx = gx.copy_to_host() if target == "cuda" else gx
    np.testing.assert_allclose(gx, 2.0 * x)
    after = arg.copy_to_host() if target == "cuda" else arg
    np.testing.assert_array_equal(after, x)


@pytest.mark.parametrize("target", ["python", "cuda"])
def test_bundle_adjustment_jacobian_rows(target):
    """The example's reprojection residual: per-observation Jacobian rows (array
    gradients written into rows) match the unbatched gradients."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
    from bundle_adjustment import reprojection_residual, synthetic_problem
    cams, points, obs_cam, obs_point, features = synthetic_problem(3, 3, 2)
    args = (cams[obs_cam], points[obs_point], features + 0.5)
    one = sd.value_and_grad(reprojection_residual, wrt=(0, 1), target="python")
    for component in (0, 1):
        r, (dc, dp) = sd.value_and_grad(reprojection_residual, wrt=(0, 1), target=target,
                                        batch=(0, 0, 0, None))(*args, component)
        for i in range(obs_cam.shape[0]):
            ri, (dci, dpi) = one(args[0][i], args[1][i], args[2][i], component)
            # a real GPU contracts a * b + c into one rounding (FMA): equal to rounding
            assert r[i] == pytest.approx(ri, rel=1e-12, abs=1e-12)
            np.testing.assert_allclose(dc[i], dci, rtol=1e-13)
            np.testing.assert_allclose(dp[i], dpi, rtol=1e-13)
