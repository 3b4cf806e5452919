"""Batched gradients over Dask arrays (SPEC section 4, scale-out).

A module-scoped ``LocalCluster`` of two worker processes runs the chunks: the
transform reaches the workers pickled with its generated source and compiles
there.  Per-element results equal the single-process batched call bit for bit
(the same compiled code runs on each element); sums equal it to rounding (the
partial sums are added in another order).  A few tests use Dask's in-process
schedulers instead (``dask.config.set(scheduler=...)`` wins over the cluster).
"""
import importlib.util
import os
import pickle
import textwrap
import threading

import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason="dask is not installed (pip install "
                         "'dask[array]' distributed, or the 'dask' extra)")
distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")

import dask

import sourcediff as sd

from . import batch_funcs as F

WEIGHTED = (0, None)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, worker_dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _data(n=23, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 5)), rng.random(5)


def test_per_element_results_equal_the_single_process_call(client):
    x, w = _data()
    vg = sd.value_and_grad(F.weighted, wrt=(0, 1), target="cpu", batch=WEIGHTED)
    xd = da.from_array(x, chunks=((5, 9, 2, 7), (5,)))      # chunks of unequal size
    value, (dx, dw) = vg(xd, w)
    assert isinstance(value, da.Array) and value.chunks == ((5, 9, 2, 7),)
    assert dx.chunks == ((5, 9, 2, 7), (5,)) and dw.shape == (23, 5)
    got = dask.compute(value, dx, dw)
    expected = vg(x, w)
    for g, e in zip(got, (expected[0], *expected[1])):
        np.testing.assert_array_equal(g, e)


def test_sums_are_tree_reduced(client):
    x, w = _data(61, seed=1)
    vg = sd.value_and_grad(F.weighted, wrt=(0, 1), target="cpu", batch=WEIGHTED,
                           reduce="sum")
    xd = da.from_array(x, chunks=3)          # 21 chunks: a tree of three levels
    value, (dx, dw) = vg(xd, w)
    assert value.shape == () and dw.shape == (5,) and dx.shape == (61, 5)
    v, gx, gw = dask.compute(value, dx, dw)
    ev, (ex, ew) = vg(x, w)
    np.testing.assert_allclose(v, ev, rtol=1e-13)
    np.testing.assert_allclose(gw, ew, rtol=1e-13)
    np.testing.assert_array_equal(gx, ex)           # batched argument: per element


def test_a_chunk_whose_elements_need_larger_tapes(client):
    """Elements of the last chunk run long loops: that chunk's call grows its
    tapes on the worker; the other chunks stop at once."""
    x = np.full((24, 30), 0.9)
    x[18:] = 0.02
    vg = sd.value_and_grad(F.while_break, wrt=0, target="cpu", batch=(0, None))
    value, dx = vg(da.from_array(x, chunks=(6, 30)), 1.0)
    got_value, got_dx = dask.compute(value, dx)
    expected_value, expected_dx = vg(x, 1.0)
    np.testing.assert_array_equal(got_value, expected_value)
    np.testing.assert_array_equal(got_dx, expected_dx)


def _die_once(block, marker, block_info=None):
    """Kills the worker process running it, the first time it runs block 1."""
    if block_info[0]["chunk-location"][0] == 1:
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return block
        os._exit(1)
    return block


def test_a_worker_lost_mid_computation_is_retried(client, tmp_path):
    x, w = _data(40, seed=2)
    marker = str(tmp_path / "killed-once")
    xd = da.from_array(x, chunks=(10, 5)).map_blocks(_die_once, marker, dtype=x.dtype)
    vg = sd.value_and_grad(F.weighted, wrt=(0, 1), target="cpu", batch=WEIGHTED,
                           reduce="sum")
    value, (dx, dw) = vg(xd, w)
    v, gx, gw = client.compute([value, dx, dw], sync=True)
    assert os.path.exists(marker)              # a worker did die
    ev, (ex, ew) = vg(x, w)
    np.testing.assert_allclose(v, ev, rtol=1e-13)
    np.testing.assert_allclose(gw, ew, rtol=1e-13)
    np.testing.assert_array_equal(gx, ex)


def test_workers_need_no_copy_of_the_users_file(client, tmp_path, monkeypatch):
    module = tmp_path / "sd_dask_user_module.py"
    module.write_text(textwrap.dedent("""
        import math
        import numpy as np

        import sourcediff as sd

        SCALE = np.array([1.0, 2.0, 3.0])

        def scaled(x, a):
            s = 0.0
            for i in range(x.shape[0]):
                s += SCALE[i] * math.sin(a * x[i])
            return s

        def softplus(v):
            return math.log1p(math.exp(v))

        @sd.adjoint(softplus)
        def _(z, v, dz):
            return dz / (1.0 + math.exp(-v))

        def uses_rule(x, a):
            return softplus(a * x)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    from sd_dask_user_module import scaled
    seen = client.run(lambda: importlib.util.find_spec("sd_dask_user_module") is None)
    assert all(seen.values())                  # the workers cannot import it
    x = np.random.default_rng(3).random((12, 3))
    vg = sd.value_and_grad(scaled, wrt=(0, 1), target="cpu", batch=(0, None), reduce="sum")
    value, (dx, da_) = vg(da.from_array(x, chunks=(4, 3)), 0.7)
    got = dask.compute(value, dx, da_)
    ev, (ex, ea) = vg(x, 0.7)
    np.testing.assert_allclose(got[0], ev, rtol=1e-13)
    np.testing.assert_array_equal(got[1], ex)
    np.testing.assert_allclose(got[2], ea, rtol=1e-13)
    # a derivative rule of the user's goes to the workers by value
    from sd_dask_user_module import uses_rule
    vg = sd.value_and_grad(uses_rule, wrt=(0, 1), target="cpu", batch=(0, None), reduce="sum")
    value, (dx, da_) = vg(da.from_array(x[:, 0], chunks=4), 0.7)
    got = dask.compute(value, dx, da_)
    ev, (ex, ea) = vg(x[:, 0], 0.7)
    np.testing.assert_allclose(got[0], ev, rtol=1e-13)
    np.testing.assert_array_equal(got[1], ex)
    np.testing.assert_allclose(got[2], ea, rtol=1e-13)


def test_generated_code_that_cannot_be_pickled_is_named(client):
    lock = threading.Lock()

    def square(v):
        with lock:          # a lock cannot be sent to another process
            return v * v

    def uses_square(x):
        return square(x) + 1.0

    @sd.adjoint(square)
    def _(z, v, dz):
        return 2.0 * v * dz

    g = sd.grad(uses_square, target="python", batch=True)
    np.testing.assert_allclose(g(np.arange(3.0)), 2.0 * np.arange(3.0))
    with pytest.raises(TypeError, match="uses 'square' .*cannot be pickled"):
        g(da.arange(3.0, chunks=2))
    with pytest.raises(TypeError, match="'square'"):
        pickle.dumps(g)
    with dask.config.set(scheduler="threads"):      # nothing is pickled in this process
        np.testing.assert_allclose(g(da.arange(3.0, chunks=2)).compute(), [0.0, 2.0, 4.0])


# -- in this process: Dask's threads and synchronous schedulers -------------------
def test_nothing_is_computed_until_asked():
    x, w = _data(12)
    runs = []

    def count(block):
        if block.size:          # (map_blocks calls it on an empty block for its type)
            runs.append(len(block))
        return block

    xd = da.from_array(x, chunks=(4, 5)).map_blocks(count, dtype=x.dtype)
    vg = sd.value_and_grad(F.weighted, wrt=(0, 1), target="python", batch=WEIGHTED,
                           reduce="sum")
    value, (dx, dw) = vg(xd, w)
    assert runs == []
    with dask.config.set(scheduler="sync"):
        got = dask.compute(value, dx, dw)
    assert sorted(runs) == [4, 4, 4]
    ev, (ex, ew) = vg(x, w)
    np.testing.assert_allclose(got[0], ev, rtol=1e-13)
    np.testing.assert_array_equal(got[1], ex)
    np.testing.assert_allclose(got[2], ew, rtol=1e-13)


@pytest.mark.parametrize("target", ["parallel", "cuda"])
def test_threads_scheduler_on_parallel_and_cuda(target):
    x, w = _data(20, seed=4)
    vg = sd.value_and_grad(F.weighted, wrt=(0, 1), target=target, batch=WEIGHTED,
                           reduce="sum")
    with dask.config.set(scheduler="threads"):
        value, (dx, dw) = vg(da.from_array(x, chunks=(7, 5)), w)
        got = dask.compute(value, dx, dw)
    ev, (ex, ew) = vg(x, w)
    np.testing.assert_allclose(got[0], ev, rtol=1e-13)
    np.testing.assert_allclose(got[1], ex, rtol=1e-14)
    np.testing.assert_allclose(got[2], ew, rtol=1e-13)


def test_processes_scheduler():
    """Dask's local process pool: each task's transform is pickled."""
    x, w = _data(10, seed=6)
    vg = sd.value_and_grad(F.weighted, wrt=(0, 1), target="python", batch=WEIGHTED,
                           reduce="sum")
    with dask.config.set(scheduler="processes", num_workers=2):
        value, (dx, dw) = vg(da.from_array(x, chunks=(5, 5)), w)
        got = dask.compute(value, dx, dw)
    ev, (ex, ew) = vg(x, w)
    np.testing.assert_allclose(got[0], ev, rtol=1e-13)
    np.testing.assert_array_equal(got[1], ex)
    np.testing.assert_allclose(got[2], ew, rtol=1e-13)


def test_numpy_and_dask_batched_arguments_mix_and_shared_dask_arrays_are_dependencies():
    rng = np.random.default_rng(5)
    s0, sigma, z = 100.0 + rng.random(10), 0.2 + 0.01 * rng.random(10), rng.standard_normal((10, 4))
    vg = sd.value_and_grad(F.gbm_call, wrt=(0, 1), target="python",
                           batch=(0, 0, 0, None, None, None))
    with dask.config.set(scheduler="sync"):
        value, (ds0, dsigma) = vg(s0, da.from_array(sigma, chunks=4), z, 0.05, 1.0, 99.0)
        assert ds0.chunks == ((4, 4, 2),)
        got = dask.compute(value, ds0, dsigma)
    expected = vg(s0, sigma, z, 0.05, 1.0, 99.0)
    for g, e in zip(got, (expected[0], *expected[1])):
        np.testing.assert_array_equal(g, e)
    x, w = _data(9)
    vg = sd.value_and_grad(F.weighted, wrt=(0, 1), target="python", batch=WEIGHTED)
    expected = vg(x, w)
    for batched in (da.from_array(x, chunks=(3, 5)), x):       # shared w: a Dask array
        with dask.config.set(scheduler="sync"):
            value, (dx, dw) = vg(batched, da.from_array(w, chunks=2))
            got = dask.compute(value, dx, dw)
        for g, e in zip(got, (expected[0], *expected[1])):
            np.testing.assert_array_equal(g, e)


def test_pickled_transform_runs_without_its_function():
    """Unpickled where the function's source cannot be read, the transform
    runs the signatures it was pickled with and names what is missing."""
    from sourcediff.transforms import batched
    x, w = _data(6)
    vg = sd.value_and_grad(F.weighted, wrt=(0, 1), target="python", batch=WEIGHTED)
    vg.source_for(x, w)                      # generated here, for these types
    state = pickle.dumps(vg)
    batched._UNPICKLED.clear()
    other = pickle.loads(state)
    assert type(other) is type(vg) and other is not vg and other.func is None
    assert pickle.loads(state) is other      # one object per process
    assert "def weighted_grad_element(" in other.source
    got = other(x, w)
    expected = vg(x, w)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1][0], expected[1][0])
    other._function_bytes = None             # as where tests.batch cannot be imported
    with pytest.raises(ValueError, match="unpickled without the generated code"):
        other(x.astype(np.float32), w)


def test_chunks_of_unknown_size_are_refused():
    x, w = _data(8)
    xd = da.from_array(x, chunks=(4, 5))
    xd = xd[da.from_array(x[:, 0] > 0.0, chunks=4)]     # lengths known only once computed
    vg = sd.grad(F.weighted, wrt=1, target="python", batch=WEIGHTED)
    with pytest.raises(ValueError, match="'x' of weighted\\(\\) has chunks of unknown size"):
        vg(xd, w)
