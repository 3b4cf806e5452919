"""Golden files of generated batched code (the parallel driver and the CUDA
kernel module).  Regenerate with SOURCEDIFF_REGEN_GOLDEN=1 and review the diff."""
import os
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.passes.kernel import tape_overflow

from . import batch_funcs as F

GOLDEN = Path(__file__).parent.parent / "golden"
GBM_BATCH = (0, 0, 0, None, None, None)
GBM_ARGS = (np.full(3, 100.0), np.full(3, 0.2), np.random.default_rng(0).standard_normal((3, 8)),
            0.05, 1.0, 95.0)
CASES = {
    "batched_gbm_parallel": (F.gbm_call, (0, 1), "parallel", GBM_BATCH, GBM_ARGS),
    "batched_gbm_cuda": (F.gbm_call, (0, 1), "cuda", GBM_BATCH, GBM_ARGS),
    "batched_weighted_cpu": (F.weighted, (0, 1), "cpu", (0, None),
                             (np.ones((3, 4)), np.ones(4))),
    # reduce="sum": partial sums per chunk; per block and atomic_add on the GPU
    "batched_weighted_sum_parallel": (F.weighted, (0, 1), "parallel", (0, None),
                                      (np.ones((3, 4)), np.ones(4)), "sum"),
    "batched_gbm_sum_cuda": (F.gbm_call, (0, 1, 3), "cuda", GBM_BATCH, GBM_ARGS, "sum"),
    "batched_weighted_sum_cuda": (F.weighted, (0, 1), "cuda", (0, None),
                                  (np.ones((3, 4)), np.ones(4)), "sum"),
    # helpers whose adjoints need tapes: they take them from the element
    "batched_taped_helpers_cuda": (F.calls_taped_helpers, 0, "cuda", True,
                                   (np.ones((3, 4)), np.array([2, 3, 4]))),
}


def _strip_header(text):
    # the first line names the absolute path of the test file
    return text.split("\n", 1)[1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_batched_source_matches_golden(name):
    func, wrt, target, batch, args, *reduce = CASES[name]
    g = sd.grad(func, wrt=wrt, target=target, batch=batch, reduce=reduce[0] if reduce else None)
    text = _strip_header(g.source_for(*args))
    path = GOLDEN / f"{name}.py"
    if os.environ.get("SOURCEDIFF_REGEN_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}; run with SOURCEDIFF_REGEN_GOLDEN=1"
    assert text == path.read_text(), f"generated source of {name} changed; review and regenerate"


def test_golden_driver_is_what_runs():
    """The golden parallel module, run as plain Python, gives the batched gradients."""
    ns = {"tape_overflow": tape_overflow}
    exec(compile((GOLDEN / "batched_gbm_parallel.py").read_text(), "golden", "exec"), ns)  # noqa: S102
    n = GBM_ARGS[0].shape[0]
    value, ds0, dsigma = np.empty(n), np.empty(n), np.empty(n)
    need = np.zeros((1, 2), np.int64)
    ns["gbm_call_grad_batched"](*GBM_ARGS, value, ds0, dsigma, np.array([8, 8]), need)
    assert not need.any()
    expected = sd.grad(F.gbm_call, wrt=(0, 1), target="python", batch=GBM_BATCH)(*GBM_ARGS)
    np.testing.assert_allclose(ds0, expected[0], rtol=1e-12)
    np.testing.assert_allclose(dsigma, expected[1], rtol=1e-12)
