"""Ops added for ported torch code: scans (cumsum, cumprod), sorting (sort, argsort,
topk), reordering and selecting along a dim (flip, roll, repeat, gather, index_select)
and atan2, fmod, lerp.  The ``lib`` tests run against sourcediff and, when it is
installed, against torch (same expectations); the gradcheck tests need no torch."""

from __future__ import annotations

import numpy as np
import pytest
from tensor_helpers import TORCH, needs_torch, values

import sourcediff

DATA = [[0.3, -0.7, 1.2, 0.9], [0.5, 0.1, -0.4, 2.0], [1.5, -1.1, 0.8, -0.2]]
OTHER = [[1.3, 0.75, -1.25, 0.65], [-0.45, -0.55, -0.45, 0.27], [0.95, 1.7, -2.5, 0.35]]


def _x(lib, data=DATA):
    return lib.tensor(data, dtype=lib.float64, requires_grad=True)


def _grads(lib, fn, *inputs):
    """First and second derivatives of ``sum(fn(*inputs) ** 3)`` (create_graph)."""
    out = fn(*inputs)
    first = lib.autograd.grad((out * out * out).sum(), inputs, create_graph=True)
    second = lib.autograd.grad(sum(g.sum() for g in first), inputs, allow_unused=True)
    return [values(g) for g in first], [None if g is None else values(g) for g in second]


# ---------------------------------------------------------------------------
# values, dtypes, node names: the same in both libraries


def test_cumsum_cumprod_values_and_dtypes(lib):
    x = _x(lib)
    assert np.allclose(values(x.cumsum(1)), np.cumsum(DATA, axis=1))
    assert np.allclose(values(lib.cumsum(x, dim=-2)), np.cumsum(DATA, axis=0))
    assert np.allclose(values(x.cumprod(-1)), np.cumprod(DATA, axis=1))
    assert np.allclose(values(lib.cumprod(x, 0)), np.cumprod(DATA, axis=0))
    assert x.cumsum(0).grad_fn.name() == "CumsumBackward0"
    assert x.cumprod(0).grad_fn.name() == "CumprodBackward0"
    assert lib.tensor([1, 2, 3]).cumsum(0).dtype is lib.int64
    assert lib.tensor([1, 2, 3], dtype=lib.int32).cumprod(0).dtype is lib.int64
    assert lib.tensor([True, True]).cumsum(0).tolist() == [1, 2]
    assert lib.tensor([1, 2, 3]).cumsum(0, dtype=lib.float64).dtype is lib.float64
    assert lib.tensor(5.0).cumsum(0).item() == 5.0
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.cumsum(2)


def test_sort_and_topk(lib):
    x = _x(lib)
    result = x.sort()
    assert type(result).__name__ == "sort"
    assert np.allclose(values(result.values), np.sort(DATA, axis=1))
    assert result.indices.tolist() == np.argsort(DATA, axis=1).tolist()
    assert result.indices.dtype is lib.int64
    assert result.values.grad_fn.name() == "SortBackward0"
    down = lib.sort(x, 0, descending=True)
    assert down.indices.tolist() == np.argsort(-np.array(DATA), axis=0).tolist()
    assert lib.sort(x, stable=True).values.grad_fn.name() == "SortBackward1"
    ties = lib.tensor([2.0, 1.0, 2.0, 1.0, 3.0])
    assert ties.sort(stable=True).indices.tolist() == [1, 3, 0, 2, 4]
    assert ties.sort(descending=True, stable=True).indices.tolist() == [4, 0, 2, 1, 3]
    assert ties.argsort(stable=True).tolist() == [1, 3, 0, 2, 4]
    nan = lib.tensor([1.0, float("nan"), 0.0])
    assert nan.sort().indices.tolist() == [2, 0, 1]
    assert nan.sort(descending=True).indices.tolist() == [1, 0, 2]
    assert lib.tensor([3, 1, 2]).sort().values.dtype is lib.int64

    top = x.topk(2)
    assert type(top).__name__ == "topk"
    assert top.indices.tolist() == [[2, 3], [3, 0], [0, 2]]
    assert np.allclose(values(top.values), np.sort(DATA, axis=1)[:, ::-1][:, :2])
    assert top.values.grad_fn.name() == "TopkBackward0"
    low = lib.topk(x, 1, dim=0, largest=False)
    assert low.indices.tolist() == [[0, 2, 1, 2]]
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(5)


def test_flip_roll_repeat(lib):
    x = _x(lib)
    a = np.array(DATA)
    assert np.array_equal(values(x.flip(0)), a[::-1])
    assert np.array_equal(values(x.flip(0, 1)), a[::-1, ::-1])
    assert np.array_equal(values(lib.flip(x, [-1])), a[:, ::-1])
    assert np.array_equal(values(x.flip(dims=(1,))), a[:, ::-1])
    assert x.flip(1).grad_fn.name() == "FlipBackward0"
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        x.flip(0, -2)
    assert np.array_equal(values(x.roll(1)), np.roll(a, 1))
    assert np.array_equal(values(lib.roll(x, (1, -1), (0, 1))), np.roll(a, (1, -1), (0, 1)))
    assert np.array_equal(values(x.roll(-2, -1)), np.roll(a, -2, 1))
    assert x.roll(1, 0).grad_fn.name() == "RollBackward0"
    with pytest.raises(RuntimeError, match="shifts and dimensions must align"):
        x.roll((1, 2), (0,))
    r = x.repeat(2, 1, 3)
    assert tuple(r.shape) == (2, 3, 12)
    assert np.array_equal(values(r), np.tile(a, (2, 1, 3)))
    assert r.grad_fn.name() == "RepeatBackward0"
    assert x.repeat((1, 2)).shape == (3, 8)
    with pytest.raises(RuntimeError, match="can not be smaller than number of dimensions"):
        x.repeat(2)


def test_gather_and_index_select(lib):
    x = _x(lib)
    a = np.array(DATA)
    index = lib.tensor([[0, 3, 3], [2, 1, 0]])
    g = x.gather(1, index)
    assert np.array_equal(values(g), np.take_along_axis(a[:2], index.numpy(), axis=1))
    assert g.grad_fn.name() == "GatherBackward0"
    assert np.array_equal(values(lib.gather(x, -2, lib.tensor([[2, 0, 1, 0]]))),
                          [[1.5, -0.7, -0.4, 0.9]])
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(1, lib.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        x.gather(1, lib.tensor([[0.0]]))
    with pytest.raises(RuntimeError, match="index 4 is out of bounds for dimension 1 with size 4"):
        x.gather(1, lib.tensor([[4]]))
    with pytest.raises(RuntimeError, match="Size does not match at dimension 0"):
        x.gather(1, lib.tensor([[0]] * 4))
    s = x.index_select(1, lib.tensor([3, 0, 3]))
    assert np.array_equal(values(s), a[:, [3, 0, 3]])
    assert s.grad_fn.name() == "IndexSelectBackward0"
    assert lib.index_select(x, 0, lib.tensor(1)).shape == (1, 4)
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        x.index_select(0, lib.tensor([[0]]))
    with pytest.raises(IndexError, match="index out of range in self"):
        x.index_select(0, lib.tensor([3]))


def test_atan2_fmod_lerp_values(lib):
    x, y = _x(lib), _x(lib, OTHER)
    a, b = np.array(DATA), np.array(OTHER)
    assert np.allclose(values(x.atan2(y)), np.arctan2(a, b))
    assert np.allclose(values(lib.atan2(y, x[0])), np.arctan2(b, a[0]))
    assert x.atan2(y).grad_fn.name() == "Atan2Backward0"
    assert lib.atan2(lib.tensor([1]), lib.tensor([2])).dtype is lib.float32
    assert np.allclose(values(x.fmod(y)), np.fmod(a, b))
    assert np.allclose(values(lib.fmod(x, 0.25)), np.fmod(a, 0.25))
    assert x.fmod(y).grad_fn.name() == "FmodBackward1"
    assert x.fmod(0.25).grad_fn.name() == "FmodBackward0"
    assert lib.fmod(lib.tensor([-5, 5]), 3).tolist() == [-2, 2]
    w = lib.tensor([0.2, 0.6, -0.3, 1.4], dtype=lib.float64)
    assert np.allclose(values(x.lerp(y, 0.3)), a + 0.3 * (b - a))
    assert np.allclose(values(lib.lerp(x, y, w)), a + w.numpy() * (b - a))
    assert x.lerp(y, 0.3).grad_fn.name() == "LerpBackward0"
    assert x.lerp(y, w).grad_fn.name() == "LerpBackward1"
    with pytest.raises(RuntimeError, match="expected dtype double for `end` but got dtype float"):
        x.lerp(y.float(), 0.5)


# ---------------------------------------------------------------------------
# gradients, first and second order, against torch


def _graph_cases(lib):
    index = lib.tensor([[0, 3, 3], [2, 1, 0]])
    w = lib.tensor([0.2, 0.6, -0.3, 1.4], dtype=lib.float64, requires_grad=True)
    with_zero = [[0.3, 0.0, 1.2, 0.9], [0.0, 0.1, 0.0, 2.0], [1.5, -1.1, 0.8, 0.0]]
    return {
        "cumsum": (lambda x: x.cumsum(1) + lib.cumsum(x, -2), (_x(lib),)),
        "cumprod": (lambda x: x.cumprod(1) + x.cumprod(0), (_x(lib),)),
        "cumprod_zeros": (lambda x: x.cumprod(1) + x.cumprod(0), (_x(lib, with_zero),)),
        "sort": (lambda x: x.sort(0, descending=True).values * x.sort().values, (_x(lib),)),
        "topk": (lambda x: x.topk(2).values, (_x(lib),)),
        "flip": (lambda x: x.flip(0) * x.flip(0, 1), (_x(lib),)),
        "roll": (lambda x: x.roll(1) * x.roll((1, -1), (0, 1)), (_x(lib),)),
        "repeat": (lambda x: x.repeat(2, 1, 3), (_x(lib),)),
        "gather": (lambda x: x.gather(1, index), (_x(lib),)),
        "index_select": (lambda x: x.index_select(1, lib.tensor([3, 0, 3])), (_x(lib),)),
        "atan2": (lambda x, y: x.atan2(y), (_x(lib), _x(lib, OTHER))),
        "fmod": (lambda x, y: x.fmod(y) + y.fmod(0.3), (_x(lib), _x(lib, OTHER))),
        "lerp": (lambda x, y, w: x.lerp(y, w) + x.lerp(y, 0.8), (_x(lib), _x(lib, OTHER), w)),
    }


CASES = list(_graph_cases(sourcediff))


@needs_torch
@pytest.mark.parametrize("name", CASES)
def test_gradients_match_torch(name):
    fn, inputs = _graph_cases(sourcediff)[name]
    tfn, tinputs = _graph_cases(TORCH)[name]
    first, second = _grads(sourcediff, fn, *inputs)
    tfirst, tsecond = _grads(TORCH, tfn, *tinputs)
    for mine, theirs in zip(first, tfirst):
        assert np.allclose(mine, theirs, rtol=1e-10, atol=1e-12)
    for mine, theirs in zip(second, tsecond):
        if theirs is None or mine is None:
            assert mine is None or not mine.any()
        else:
            assert np.allclose(mine, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_gradcheck(name):
    fn, inputs = _graph_cases(sourcediff)[name]
    assert sourcediff.autograd.gradcheck(fn, inputs)
    if name not in ("fmod",):  # fmod's second derivative is zero almost everywhere
        assert sourcediff.autograd.gradgradcheck(fn, inputs)


def test_module_functions_exported(sd):
    for name in ("cumsum", "cumprod", "sort", "argsort", "topk", "flip", "roll", "gather",
                 "index_select", "atan2", "arctan2", "fmod", "lerp"):
        assert name in sd.__all__ and callable(getattr(sd, name))
        if name != "arctan2":
            assert callable(getattr(sd.Tensor, name))
    assert callable(sd.Tensor.repeat)
