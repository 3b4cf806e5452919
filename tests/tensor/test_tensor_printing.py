"""Reprs, dtypes and metadata print exactly as PyTorch prints them."""

from __future__ import annotations

import numpy as np
import pytest
from tensor_helpers import TORCH, needs_torch

REPRS = [
    ("torch.ones(2, 2)", "tensor([[1., 1.],\n        [1., 1.]])"),
    ("torch.ones(2, 2, requires_grad=True)",
     "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"),
    ("torch.ones(2, 2, requires_grad=True) + 2",
     "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)"),
    ("torch.tensor([1., 2.])", "tensor([1., 2.])"),
    ("torch.tensor([1, 2])", "tensor([1, 2])"),
    ("torch.tensor([1., 2.], dtype=torch.float64)", "tensor([1., 2.], dtype=torch.float64)"),
    ("torch.tensor([1, 2], dtype=torch.int32)", "tensor([1, 2], dtype=torch.int32)"),
    ("torch.tensor([True, False])", "tensor([ True, False])"),
    ("torch.tensor(3.)", "tensor(3.)"),
    ("torch.tensor(3)", "tensor(3)"),
    ("torch.tensor(0.1234567)", "tensor(0.1235)"),
    ("torch.tensor([1.5, 2.25])", "tensor([1.5000, 2.2500])"),
    ("torch.tensor([1e-5, 1.])", "tensor([1.0000e-05, 1.0000e+00])"),
    ("torch.tensor([1e10, 1.])", "tensor([1.0000e+10, 1.0000e+00])"),
    ("torch.tensor([0.1, 100000.])", "tensor([1.0000e-01, 1.0000e+05])"),
    ("torch.tensor([100., 1e-3])", "tensor([1.0000e+02, 1.0000e-03])"),
    ("torch.tensor(123456789.)", "tensor(1.2346e+08)"),
    ("torch.tensor([float('nan'), 1.])", "tensor([nan, 1.])"),
    ("torch.tensor([float('inf'), 1.5])", "tensor([   inf, 1.5000])"),
    ("torch.tensor([-0.0, 1.])", "tensor([-0., 1.])"),
    ("torch.tensor([0., 0.])", "tensor([0., 0.])"),
    ("torch.tensor([-1.5, 2.])", "tensor([-1.5000,  2.0000])"),
    ("torch.zeros(0)", "tensor([])"),
    ("torch.zeros(2, 0)", "tensor([], size=(2, 0))"),
    ("torch.zeros(0, dtype=torch.int64)", "tensor([], dtype=torch.int64)"),
    ("torch.arange(30.).view(5, 6)",
     ("tensor([[ 0.,  1.,  2.,  3.,  4.,  5.],\n"
     "        [ 6.,  7.,  8.,  9., 10., 11.],\n"
     "        [12., 13., 14., 15., 16., 17.],\n"
     "        [18., 19., 20., 21., 22., 23.],\n"
     "        [24., 25., 26., 27., 28., 29.]])")),
    ("torch.arange(12.).view(2, 2, 3)",
     ("tensor([[[ 0.,  1.,  2.],\n         [ 3.,  4.,  5.]],\n\n"
     "        [[ 6.,  7.,  8.],\n         [ 9., 10., 11.]]])")),
    ("torch.arange(2000.)",
     ("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
     "        1.9990e+03])")),
    ("torch.arange(30)",
     ("tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
     "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])")),
    ("torch.arange(1, 4, 0.5)", "tensor([1.0000, 1.5000, 2.0000, 2.5000, 3.0000, 3.5000])"),
    ("torch.full((2,), 3)", "tensor([3, 3])"),
    ("torch.eye(2, 3)", "tensor([[1., 0., 0.],\n        [0., 1., 0.]])"),
    ("torch.tensor([1.5, -2], dtype=torch.float64) * 1e9",
     "tensor([ 1.5000e+09, -2.0000e+09], dtype=torch.float64)"),
    ("torch.ones(2, requires_grad=True).sum(dim=0, keepdim=True)",
     "tensor([2.], grad_fn=<SumBackward1>)"),
    ("torch.ones(40, requires_grad=True) * 1.5",
     ("tensor([1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000,\n"
     "        1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000,\n"
     "        1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000,\n"
     "        1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000,\n"
     "        1.5000, 1.5000, 1.5000, 1.5000], grad_fn=<MulBackward0>)")),
    ("torch.ones(8, dtype=torch.float64, requires_grad=True) * 1.5",
     ("tensor([1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000],\n"
     "       dtype=torch.float64, grad_fn=<MulBackward0>)")),
    ("torch.nn.Parameter(torch.ones(2))",
     "Parameter containing:\ntensor([1., 1.], requires_grad=True)"),
    ("torch.float", "torch.float32"),
    ("torch.long", "torch.int64"),
    ("torch.double", "torch.float64"),
    ("torch.bool", "torch.bool"),
    ("torch.ones(2, 3).shape", "torch.Size([2, 3])"),
    ("torch.ones(2, 3).size()", "torch.Size([2, 3])"),
    ("torch.ones(2).device", "device(type='cpu')"),
    ("torch.ones(2).type()", "'torch.FloatTensor'"),
    ("torch.ones(2).double().type()", "'torch.DoubleTensor'"),
    ("torch.tensor([[1., 2.], [3., 4.]]).max(1)",
     "torch.return_types.max(\nvalues=tensor([2., 4.]),\nindices=tensor([1, 1]))"),
    ("torch.nn.Linear(3, 2)", "Linear(in_features=3, out_features=2, bias=True)"),
    ("torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))",
     ("Sequential(\n  (0): Linear(in_features=3, out_features=2, bias=True)\n  (1): ReLU()\n"
     "  (2): Linear(in_features=2, out_features=1, bias=True)\n)")),
]


@pytest.mark.parametrize("expression, expected", REPRS, ids=[r[0] for r in REPRS])
def test_repr(lib, expression, expected):
    assert repr(eval(expression, {"torch": lib})) == expected


def test_str_is_repr(lib):
    x = lib.ones(2, requires_grad=True)
    assert str(x) == repr(x) == "tensor([1., 1.], requires_grad=True)"


def test_format_of_zero_dim_tensor(lib):
    assert f"{lib.tensor(2.5):.2f}" == "2.50"


def test_grad_fn_repr(lib):
    y = lib.ones(2, requires_grad=True) * 2
    assert repr(y.grad_fn).startswith("<MulBackward0 object at 0x")
    leaf_edge = y.grad_fn.next_functions[0][0]
    assert repr(leaf_edge).startswith("<AccumulateGrad object at 0x")


def test_item_and_tolist(lib):
    assert lib.tensor(2.).item() == 2.0 and isinstance(lib.tensor(2.).item(), float)
    assert lib.tensor(3).item() == 3 and isinstance(lib.tensor(3).item(), int)
    assert lib.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert lib.tensor([1.5]).tolist() == [1.5]
    with pytest.raises(RuntimeError, match="a Tensor with 6 elements cannot be converted to "
                                           "Scalar"):
        lib.ones(2, 3).item()


def test_metadata(lib):
    x = lib.ones(2, 3)
    assert x.dim() == 2 and x.ndim == 2 and x.numel() == 6
    assert x.size(0) == 2 and x.size(-1) == 3 and tuple(x.shape) == (2, 3)
    assert x.shape == (2, 3)
    assert x.dtype == lib.float32 and x.dtype is lib.float
    assert lib.tensor([1, 2]).dtype is lib.int64 is lib.long
    assert lib.tensor([True]).dtype is lib.bool
    assert len(x) == 2
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got 5\)"):
        x.size(5)


def test_numpy_of_requires_grad_tensor_fails(lib):
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad. "
                                           "Use tensor.detach\\(\\).numpy\\(\\) instead."):
        lib.ones(2, requires_grad=True).numpy()
    assert lib.ones(2, requires_grad=True).detach().numpy().tolist() == [1.0, 1.0]


def test_set_printoptions_precision(sd):
    try:
        sd.set_printoptions(precision=2)
        assert repr(sd.tensor([1.12345])) == "tensor([1.12])"
    finally:
        sd.set_printoptions(profile="default")
    assert repr(sd.tensor([1.12345])) == "tensor([1.1235])"


def _random_arrays():
    rng = np.random.default_rng(7)
    shapes = [(), (1,), (5,), (3, 4), (2, 3, 4), (30,), (7, 13), (1001,), (40, 40), (2, 1, 3)]
    scales = [1e-6, 1e-3, 1.0, 10.0, 1e4, 1e9]
    for i, shape in enumerate(shapes):
        for scale in scales:
            data = rng.standard_normal(shape) * scale
            yield f"{shape}-{scale:g}-float", data.astype(np.float32)
            yield f"{shape}-{scale:g}-double", data
        yield f"{shape}-int", rng.integers(-1000, 1000, shape)
        yield f"{shape}-rounded", np.round(rng.standard_normal(shape) * 10).astype(np.float32)
        yield f"{shape}-bool", rng.standard_normal(shape) > 0
        if i % 3 == 0:
            special = rng.standard_normal(shape).astype(np.float32)
            special.reshape(-1)[:1] = np.nan
            special.reshape(-1)[-1:] = -np.inf
            yield f"{shape}-special", special


RANDOM_ARRAYS = list(_random_arrays())


@needs_torch
@pytest.mark.parametrize("array", [a for _, a in RANDOM_ARRAYS], ids=[n for n, _ in RANDOM_ARRAYS])
def test_repr_matches_torch_on_random_values(sd, array):
    assert repr(sd.tensor(array)) == repr(TORCH.tensor(array))
    mine = sd.tensor(array.astype(np.float64), requires_grad=True) * 3
    theirs = TORCH.tensor(array.astype(np.float64), requires_grad=True) * 3
    assert repr(mine) == repr(theirs)
