"""Operations: values, dtypes, broadcasting, indexing, views, gradients (vs finite
differences), and error messages — each on sourcediff and on PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from tensor_helpers import TORCH, needs_torch, values

# ---------------------------------------------------------------------------
# factories and dtypes


def test_factories(lib):
    assert values(lib.ones(2, 3)).tolist() == [[1.0] * 3] * 2
    assert lib.ones((2, 3)).shape == (2, 3) and lib.zeros([4]).shape == (4,)
    assert lib.ones(2, dtype=lib.float64).dtype is lib.float64
    assert lib.full((2,), 3.5).tolist() == [3.5, 3.5] and lib.full((2,), 3).dtype is lib.int64
    assert lib.eye(3).tolist() == np.eye(3).tolist()
    assert lib.arange(5).tolist() == [0, 1, 2, 3, 4] and lib.arange(5).dtype is lib.int64
    assert lib.arange(1, 2, 0.25).tolist() == [1.0, 1.25, 1.5, 1.75]
    assert lib.arange(3.0).dtype is lib.float32
    x = lib.tensor([[1.0, 2.0]])
    assert lib.zeros_like(x).tolist() == [[0.0, 0.0]] and lib.ones_like(x).dtype is lib.float32
    assert lib.ones_like(lib.tensor([1, 2])).dtype is lib.int64
    assert lib.tensor(np.array([1.0, 2.0])).dtype is lib.float64   # NumPy keeps its dtype
    assert lib.tensor(np.array([1.0], dtype=np.float32)).dtype is lib.float32
    assert lib.tensor([1, 2.5]).dtype is lib.float32
    assert lib.tensor([[True, False]]).dtype is lib.bool
    assert lib.tensor(5).dim() == 0 and lib.tensor([]).shape == (0,)
    assert lib.Tensor([1, 2]).dtype is lib.float32 and lib.Tensor(2, 3).shape == (2, 3)


def test_random_factories(lib):
    lib.manual_seed(123)
    a = lib.rand(1000)
    b = lib.randn(2, 500)
    assert a.dtype is lib.float32 and b.shape == (2, 500)
    assert 0.0 <= values(a).min() and values(a).max() < 1.0
    assert abs(values(b).mean()) < 0.2 and 0.8 < values(b).std() < 1.2
    lib.manual_seed(123)
    assert lib.equal(lib.rand(1000), a)
    r = lib.randint(0, 5, (100,))
    assert r.dtype is lib.int64 and set(r.tolist()) <= set(range(5))
    assert sorted(lib.randperm(6).tolist()) == list(range(6))
    assert lib.rand(3, requires_grad=True).requires_grad


PROMOTIONS = [
    ("torch.ones(2) + 1", "float32"), ("torch.ones(2) + 1.5", "float32"),
    ("torch.tensor([1, 2]) + 1", "int64"), ("torch.tensor([1, 2]) * 1.5", "float32"),
    ("torch.tensor([1, 2]) / 2", "float32"), ("torch.tensor([1, 2]) / torch.tensor([2, 2])",
                                              "float32"),
    ("torch.ones(2) + torch.ones(2, dtype=torch.float64)", "float64"),
    ("torch.ones(2) + torch.tensor(1.5, dtype=torch.float64)", "float32"),
    ("torch.tensor([1, 2]) + torch.tensor(1.5, dtype=torch.float64)", "float64"),
    ("torch.tensor([True]) + 1", "int64"), ("torch.tensor([1, 2]) // 2", "int64"),
    ("torch.tensor([1.5, 2.0]) // 1", "float32"), ("torch.tensor(2) ** 2", "int64"),
    ("torch.tensor(2) ** -1.0", "float32"), ("torch.tensor([1, 2]).exp()", "float32"),
    ("torch.ones(2) == 1", "bool"), ("torch.tensor([1, 2]).sum()", "int64"),
    ("torch.tensor([True, True]).sum()", "int64"),
    ("torch.ones(2, dtype=torch.float64).mean()", "float64"),
    ("torch.tensor([1, 2], dtype=torch.int32) + torch.tensor([1, 2])", "int64"),
]


@pytest.mark.parametrize("expression, dtype", PROMOTIONS, ids=[p[0] for p in PROMOTIONS])
def test_type_promotion(lib, expression, dtype):
    assert eval(expression, {"torch": lib}).dtype is getattr(lib, dtype)


def test_arithmetic_values(lib):
    a = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
    b = lib.tensor([10.0, 20.0])
    assert values(a + b).tolist() == [[11.0, 22.0], [13.0, 24.0]]
    assert values(b - a).tolist() == [[9.0, 18.0], [7.0, 16.0]]
    assert values(a * b).tolist() == [[10.0, 40.0], [30.0, 80.0]]
    assert values(a / b).tolist() == [[0.1, 0.1], [0.3, 0.2]] or \
        np.allclose(values(a / b), [[0.1, 0.1], [0.3, 0.2]])
    assert values(a ** 2).tolist() == [[1.0, 4.0], [9.0, 16.0]]
    assert values(2 ** a).tolist() == [[2.0, 4.0], [8.0, 16.0]]
    assert values(-a).tolist() == [[-1.0, -2.0], [-3.0, -4.0]]
    assert values(a @ a).tolist() == [[7.0, 10.0], [15.0, 22.0]]
    assert lib.tensor([7, -7]).__floordiv__(2).tolist() == [3, -4]
    assert lib.tensor([7, -7]).__mod__(3).tolist() == [1, 2]
    assert (a > 2).tolist() == [[False, False], [True, True]]
    same = a.clone()
    assert (a == same).all().item() and not (a != same).any().item()
    assert ((a > 1) & (a < 4)).tolist() == [[False, True], [True, False]]
    assert (~(a > 2)).tolist() == [[True, True], [False, False]]


def test_unary_values(lib):
    x = lib.tensor([-1.0, 0.5, 2.0])
    expected = {
        "exp": np.exp, "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "abs": np.abs,
        "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "relu": lambda v: np.maximum(v, 0),
        "neg": np.negative, "sign": np.sign,
    }
    base = np.array([-1.0, 0.5, 2.0], dtype=np.float32)
    for name, fn in expected.items():
        assert np.allclose(values(getattr(x, name)()), fn(base), rtol=1e-6), name
        assert np.allclose(values(getattr(lib, name)(x)), fn(base), rtol=1e-6), name
    y = lib.tensor([0.25, 4.0])
    assert np.allclose(values(y.sqrt()), [0.5, 2.0]) and np.allclose(values(y.log()),
                                                                     np.log([0.25, 4.0]))
    assert np.allclose(values(y.rsqrt()), [2.0, 0.5])
    assert values(x.clamp(0, 1)).tolist() == [0.0, 0.5, 1.0]
    assert values(x.clamp(min=0)).tolist() == [0.0, 0.5, 2.0]
    assert values(lib.maximum(x, lib.zeros(3))).tolist() == [0.0, 0.5, 2.0]
    assert values(lib.where(x > 0, x, lib.zeros(3) - 5)).tolist() == [-5.0, 0.5, 2.0]


def test_reductions(lib):
    a = lib.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    assert a.sum().item() == 21.0 and lib.sum(a).item() == 21.0
    assert values(a.sum(0)).tolist() == [5.0, 7.0, 9.0]
    assert values(a.sum(dim=1, keepdim=True)).tolist() == [[9.0], [12.0]]
    assert values(a.sum((0, 1))).tolist() == 21.0
    assert a.mean().item() == 3.5 and values(a.mean(-1)).tolist() == [3.0, 4.0]
    assert a.max().item() == 6.0 and a.min().item() == 1.0
    m = a.max(1)
    assert values(m.values).tolist() == [5.0, 6.0] and m.indices.tolist() == [1, 2]
    values_, indices = lib.min(a, dim=0, keepdim=True)
    assert values(values_).tolist() == [[1.0, 2.0, 3.0]] and indices.tolist() == [[0, 1, 0]]
    assert a.argmax().item() == 5 and a.argmax(1).tolist() == [1, 2]
    assert np.isclose(a.var().item(), np.var([1, 5, 3, 4, 2, 6], ddof=1))
    assert np.isclose(a.std(1)[0].item(), np.std([1, 5, 3], ddof=1))
    assert np.isclose(a.norm().item(), np.sqrt(91.0))
    s = a.softmax(1)
    assert np.allclose(values(s).sum(1), 1.0)
    assert np.allclose(values(a.log_softmax(1)), np.log(values(s)), atol=1e-6)
    assert np.allclose(values(a.logsumexp(1)), np.log(np.exp(values(a)).sum(1)))
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype. Input "
                                           "dtype must be either a floating point or complex "
                                           "dtype. Got: Long"):
        lib.tensor([1, 2]).mean()
    with pytest.raises(IndexError, match="Dimension out of range"):
        a.sum(dim=5)


# ---------------------------------------------------------------------------
# shapes, views, indexing


def test_views_share_memory(lib):
    x = lib.arange(6.0)
    v = x.view(2, 3)
    v[0, 0] = 100.0
    assert x[0].item() == 100.0
    t = v.t()
    t[2, 1] = -1.0
    assert x[5].item() == -1.0
    s = x[1:4]
    s.mul_(0)
    assert values(x).tolist() == [100.0, 0.0, 0.0, 0.0, 4.0, -1.0]
    c = x.clone()
    c[0] = 7.0
    assert x[0].item() == 100.0


def test_shape_ops(lib):
    x = lib.arange(24.0).reshape(2, 3, 4)
    assert x.view(-1, 4).shape == (6, 4) and x.reshape(4, -1).shape == (4, 6)
    assert x.transpose(0, 2).shape == (4, 3, 2) and x.permute(2, 0, 1).shape == (4, 2, 3)
    assert x.unsqueeze(1).shape == (2, 1, 3, 4) and x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert lib.ones(1, 3, 1).squeeze().shape == (3,) and lib.ones(1, 3, 1).squeeze(0).shape == (3, 1)
    assert lib.ones(1, 3).squeeze(1).shape == (1, 3)
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12)
    assert lib.ones(3, 1).expand(3, 4).shape == (3, 4) and lib.ones(3).expand(2, -1).shape == (2, 3)
    assert lib.ones(2, 3).t().shape == (3, 2) and lib.ones(2, 3).T.shape == (3, 2)
    assert lib.cat([lib.ones(2, 3), lib.zeros(1, 3)]).shape == (3, 3)
    assert lib.cat([lib.ones(2, 3), lib.zeros(2, 1)], dim=1).shape == (2, 4)
    assert lib.stack([lib.ones(2), lib.zeros(2)], dim=1).tolist() == [[1.0, 0.0], [1.0, 0.0]]
    assert [p.shape[0] for p in lib.ones(5, 2).split(2)] == [2, 2, 1]
    assert [p.shape[1] for p in lib.ones(2, 5).chunk(2, dim=1)] == [3, 2]
    assert not x.transpose(0, 1).is_contiguous() and x.transpose(0, 1).contiguous().is_contiguous()
    with pytest.raises(RuntimeError, match=r"shape '\[4\]' is invalid for input of size 6"):
        lib.ones(2, 3).view(4)
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size "
                                           "and stride"):
        lib.ones(2, 3).t().view(6)
    assert lib.ones(2, 3).t().reshape(6).shape == (6,)
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions, but "
                                           "self is 3D"):
        x.t()


def test_indexing(lib):
    x = lib.arange(12.0).view(3, 4)
    assert x[1].tolist() == [4.0, 5.0, 6.0, 7.0] and x[-1, -1].item() == 11.0
    assert x[:, 1].tolist() == [1.0, 5.0, 9.0] and x[1:, ::2].tolist() == [[4.0, 6.0],
                                                                           [8.0, 10.0]]
    assert x[..., 0].tolist() == [0.0, 4.0, 8.0] and x[None].shape == (1, 3, 4)
    assert x[[0, 2]].tolist() == [[0.0, 1.0, 2.0, 3.0], [8.0, 9.0, 10.0, 11.0]]
    assert x[x > 9].tolist() == [10.0, 11.0]
    assert x[lib.tensor([2, 0]), lib.tensor([1, 3])].tolist() == [9.0, 3.0]
    assert x[0, 1].dim() == 0 and isinstance(x[0, 1].item(), float)
    assert [row.tolist() for row in lib.tensor([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]


def test_broadcast_error(lib):
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of "
                                           r"tensor b \(4\) at non-singleton dimension 1"):
        lib.ones(2, 3) + lib.ones(4)


def test_matmul_shapes_and_errors(lib):
    assert (lib.ones(3) @ lib.ones(3)).shape == ()
    assert (lib.ones(2, 3) @ lib.ones(3)).shape == (2,)
    assert (lib.ones(3) @ lib.ones(3, 2)).shape == (2,)
    assert (lib.ones(5, 2, 3) @ lib.ones(3, 4)).shape == (5, 2, 4)
    assert (lib.ones(5, 2, 3) @ lib.ones(5, 3, 4)).shape == (5, 2, 4)
    assert lib.bmm(lib.ones(5, 2, 3), lib.ones(5, 3, 4)).shape == (5, 2, 4)
    assert lib.mm(lib.ones(2, 3), lib.ones(3, 2)).tolist() == [[3.0, 3.0], [3.0, 3.0]]
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and "
                                           r"2x3\)"):
        lib.ones(2, 3).mm(lib.ones(2, 3))


# ---------------------------------------------------------------------------
# gradients against finite differences (gradcheck of the library under test)

GRADCHECK = [
    "a + b", "a - b", "a * b", "a / (b.abs() + 1)", "a ** 2", "(a.abs() + 1) ** b",
    "2 ** a", "1 - a", "3 / (a.abs() + 1)", "-a", "a.exp()", "(a.abs() + 0.5).log()",
    "a.sin()", "a.cos()", "a.tanh()", "a.sigmoid()", "(a.abs() + 0.5).sqrt()", "a.abs()",
    "(a.abs() + 0.5).rsqrt()", "(a.abs() + 0.5).reciprocal()", "a.relu()", "a.clamp(-0.5, 0.5)",
    "torch.maximum(a, b)", "torch.where(a > 0, a, b)", "a.sum()", "a.sum(0)",
    "a.sum(1, keepdim=True)", "a.mean()", "a.mean(0)", "a.max()", "a.max(1).values",
    "a.min(0)[0]", "a.var(1)", "a.std()", "a.norm()", "a.softmax(1)", "a.log_softmax(0)",
    "a.logsumexp(1)", "a @ b.t()", "a.t() @ b", "a.mm(b.t())", "a[0] @ b[1]", "a @ b[0]",
    "a.view(6)", "a.reshape(3, 2)", "a.t()", "a.T", "a.transpose(0, 1)", "a.unsqueeze(1)",
    "a.unsqueeze(0).squeeze()", "a[1]", "a[:, 1:]", "a[[0, 1, 1]]", "a[a > 0]",
    "a[0].expand(4, 3)", "torch.cat([a, b], 1)", "torch.stack([a, b])", "a.clone()",
    "a.flatten()", "a * b[0]", "a[:, :1] + b", "a.expm1()", "a.abs().log1p()", "a.tan()", "torch.addmm(b[0, :2], a, b.t())",
    "torch.nn.functional.linear(a, b, b[0, :2])", "torch.nn.functional.mse_loss(a, b)",
    "torch.nn.functional.cross_entropy(a, torch.tensor([2, 0]))",
    "torch.nn.functional.cross_entropy(a, b.softmax(1))", "(a ** 3).sum() * b",
    "a.amax(1)", "a.amin(0, keepdim=True)", "a.amax((0, 1))", "a.prod()", "a.prod(1, keepdim=True)",
]


@pytest.mark.parametrize("expression", GRADCHECK)
def test_gradcheck_ops(lib, expression):
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.uniform(-1, 1, (2, 3)), requires_grad=True)
    b = lib.tensor(rng.uniform(-1, 1, (2, 3)), requires_grad=True)
    assert lib.autograd.gradcheck(lambda a, b: eval(expression, {"torch": lib, "a": a, "b": b}),
                                  (a, b))


@pytest.mark.parametrize("expression", GRADCHECK)
@needs_torch
def test_same_values_and_gradients_as_torch(sd, expression):
    rng = np.random.default_rng(1)
    data = [rng.uniform(-1, 1, (2, 3)) for _ in range(2)]
    results = []
    for lib in (sd, TORCH):
        a, b = (lib.tensor(d, requires_grad=True) for d in data)
        out = eval(expression, {"torch": lib, "a": a, "b": b})
        weights = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
        (out * weights).sum().backward()
        grads = [values(t.grad) if t.grad is not None else np.zeros(t.shape) for t in (a, b)]
        results.append((values(out), *grads))
    for mine, theirs in zip(*results):
        assert np.allclose(mine, theirs, rtol=1e-10, atol=1e-12)


TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
ZEROS = np.array([[1.5, 0.0, 2.0], [0.0, -2.0, 0.0]])


@pytest.mark.parametrize("expression,data", [
    ("a.amax()", TIES), ("a.amax(1)", TIES), ("a.amin(0, keepdim=True)", TIES),
    ("a.amax((0, 1))", TIES), ("a.amin(-1)", TIES), ("a.max()", TIES),
    ("a.prod()", ZEROS), ("a.prod(0)", ZEROS), ("a.prod(1, keepdim=True)", ZEROS),
    ("a.prod(1)", TIES)])
@needs_torch
def test_ties_and_zeros_as_torch(sd, expression, data):
    """Where the gradient is not the finite difference: amax/amin share it
    evenly among tied elements, prod's is the product of the others (no
    division by a zero)."""
    results = []
    for lib in (sd, TORCH):
        a = lib.tensor(data, requires_grad=True)
        out = eval(expression, {"a": a})
        weights = lib.tensor(np.linspace(1, 2, out.numel()).reshape(tuple(out.shape)))
        (out * weights).sum().backward()
        results.append((values(out), values(a.grad), type(out.grad_fn).__name__))
    assert results[0][2] == results[1][2]
    for mine, theirs in zip(results[0][:2], results[1][:2]):
        assert np.allclose(mine, theirs, rtol=1e-12, atol=0)
