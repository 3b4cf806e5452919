"""Autograd semantics: graph, backward, accumulation, errors, grad modes, hooks,
higher-order gradients. Each test runs on sourcediff and on PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from tensor_helpers import NON_LEAF_WARNING, SECOND_BACKWARD, values


def node_name(node):
    return None if node is None else type(node).__name__


def edges(t):
    return [(node_name(n), i) for n, i in t.grad_fn.next_functions]


# ---------------------------------------------------------------------------
# the graph


GRAD_FN_NAMES = [
    ("x + 2", "AddBackward0"), ("2 + x", "AddBackward0"), ("x + x", "AddBackward0"),
    ("x - 1", "SubBackward0"), ("1 - x", "RsubBackward1"), ("x * 3", "MulBackward0"),
    ("3 * x", "MulBackward0"), ("x / 2", "DivBackward0"), ("2 / x", "MulBackward0"),
    ("x ** 2", "PowBackward0"), ("x ** x", "PowBackward1"), ("2 ** x", "PowBackward2"),
    ("-x", "NegBackward0"), ("x.mm(x)", "MmBackward0"), ("x @ x", "MmBackward0"),
    ("torch.mm(x, x)", "MmBackward0"), ("x @ torch.ones(2)", "MvBackward0"),
    ("x.sum()", "SumBackward0"), ("torch.sum(x)", "SumBackward0"), ("x.sum(0)", "SumBackward1"),
    ("x.sum((0, 1))", "SumBackward1"), ("x.mean()", "MeanBackward0"),
    ("x.mean(1)", "MeanBackward1"), ("x.exp()", "ExpBackward0"), ("x.log()", "LogBackward0"),
    ("x.sin()", "SinBackward0"), ("x.cos()", "CosBackward0"), ("x.tanh()", "TanhBackward0"),
    ("x.relu()", "ReluBackward0"), ("torch.relu(x)", "ReluBackward0"),
    ("x.sigmoid()", "SigmoidBackward0"), ("torch.sigmoid(x)", "SigmoidBackward0"),
    ("x.sqrt()", "SqrtBackward0"), ("x.abs()", "AbsBackward0"), ("x.pow(3)", "PowBackward0"),
    ("torch.pow(x, 2.5)", "PowBackward0"), ("x.max()", "MaxBackward1"),
    ("x.max(0)[0]", "MaxBackward0"), ("x.min()", "MinBackward1"),
    ("x.min(dim=1).values", "MinBackward0"), ("torch.max(x, x * 2)", "MaximumBackward0"),
    ("x.view(4)", "ViewBackward0"), ("x.reshape(4)", "ViewBackward0"), ("x.t()", "TBackward0"),
    ("x.T", "PermuteBackward0"), ("x.transpose(0, 1)", "TransposeBackward0"),
    ("x.squeeze()", "SqueezeBackward0"), ("x.squeeze(0)", "SqueezeBackward1"),
    ("x.unsqueeze(0)", "UnsqueezeBackward0"), ("x[0]", "SelectBackward0"),
    ("x[:, 1:]", "SliceBackward0"), ("x[[0, 1]]", "IndexBackward0"),
    ("x[x > 0]", "IndexBackward0"), ("x.clone()", "CloneBackward0"),
    ("x.double()", "ToCopyBackward0"), ("x.flatten()", "ViewBackward0"),
    ("torch.cat([x, x])", "CatBackward0"), ("torch.stack([x, x])", "StackBackward0"),
    ("x.log_softmax(1)", "LogSoftmaxBackward0"), ("x.softmax(1)", "SoftmaxBackward0"),
    ("torch.where(x > 0, x, 0.)", "WhereBackward0"), ("x.clamp(0, 1)", "ClampBackward1"),
    ("x.rsqrt()", "RsqrtBackward0"), ("x.reciprocal()", "ReciprocalBackward0"),
    ("x.square()", "PowBackward0"), ("x.norm()", "LinalgVectorNormBackward0"),
    ("x.var()", "VarBackward0"), ("x.std()", "StdBackward0"),
    ("x.logsumexp(1)", "LogsumexpBackward0"), ("x.expm1()", "Expm1Backward0"),
    ("x.log1p()", "Log1PBackward0"), ("x.tan()", "TanBackward0"),
    ("x.unsqueeze(0).expand(3, 2, 2)", "ExpandBackward0"),
    ("torch.addmm(torch.ones(2), x, x)", "AddmmBackward0"),
    ("torch.nn.functional.linear(x, x, torch.ones(2))", "AddmmBackward0"),
    ("torch.nn.functional.linear(x, x)", "MmBackward0"),
    ("torch.nn.functional.cross_entropy(x, torch.tensor([0, 1]))", "NllLossBackward0"),
    ("torch.nn.functional.mse_loss(x, torch.zeros(2, 2))", "MseLossBackward0"),
]


@pytest.mark.parametrize("expression, name", GRAD_FN_NAMES, ids=[g[0] for g in GRAD_FN_NAMES])
def test_grad_fn_names(lib, expression, name):
    x = lib.ones(2, 2, requires_grad=True)
    out = eval(expression, {"torch": lib, "x": x})
    assert node_name(out.grad_fn) == name
    assert out.requires_grad and not out.is_leaf


def test_next_functions(lib):
    x = lib.ones(2, 2, requires_grad=True)
    w = lib.ones(2, 2, requires_grad=True)
    assert edges(x + 2) == [("AccumulateGrad", 0), (None, 0)]
    assert edges(x * w) == [("AccumulateGrad", 0), ("AccumulateGrad", 0)]
    assert edges(1 - x) == [("AccumulateGrad", 0)]
    assert edges(2 / x) == [("ReciprocalBackward0", 0), (None, 0)]
    assert edges(x.mm(lib.ones(2, 2))) == [("AccumulateGrad", 0), (None, 0)]
    linear = lib.nn.functional.linear(x, w, lib.ones(2))
    assert edges(linear) == [(None, 0), ("AccumulateGrad", 0), ("TBackward0", 0)]
    ce = lib.nn.functional.cross_entropy(x, lib.tensor([0, 1]))
    assert edges(ce) == [("LogSoftmaxBackward0", 0)]
    # one AccumulateGrad per leaf, shared by every use
    a, b = x + 1, x * 2
    assert a.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[0][0]
    assert a.grad_fn.next_functions[0][0].variable is x


def test_leaves_and_requires_grad(lib):
    x = lib.ones(2)
    assert x.is_leaf and not x.requires_grad and x.grad_fn is None
    x.requires_grad = True
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.requires_grad
    assert lib.ones(2).requires_grad_().requires_grad
    z = lib.ones(2) * 2
    assert z.is_leaf and not z.requires_grad
    with pytest.raises(RuntimeError, match="^you can only change requires_grad flags of leaf "
                                           "variables.$"):
        y.requires_grad = True
    with pytest.raises(RuntimeError, match="If you want to use a computed variable in a "
                                           "subgraph that doesn't require differentiation use "
                                           "var_no_grad = var.detach()"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require "
                                           "gradients"):
        lib.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype "
                                           "can require gradients"):
        lib.tensor([1, 2], requires_grad=True)


# ---------------------------------------------------------------------------
# backward


def test_tutorial_mean_of_squares(lib):
    x = lib.ones(2, 2, requires_grad=True)
    out = ((x + 2) * (x + 2) * 3).mean()
    out.backward()
    assert values(x.grad).tolist() == [[4.5, 4.5], [4.5, 4.5]]
    assert out.item() == 27.0


def test_gradients_accumulate(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert values(x.grad).tolist() == [5.0, 7.0]
    x.grad.zero_()
    (x * x).sum().backward()
    assert values(x.grad).tolist() == [2.0, 4.0]
    x.grad = None
    x.sum().backward()
    assert values(x.grad).tolist() == [1.0, 1.0]


def test_grad_buffers_are_not_shared(lib):
    # one gradient flows unchanged to two leaves: each must get its own buffer
    a = lib.ones(3, requires_grad=True)
    b = lib.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.add_(1)
    assert values(b.grad).tolist() == [1.0, 1.0, 1.0]
    g = lib.tensor([1.0, 2.0, 3.0])
    c = lib.ones(3, requires_grad=True)
    (c + 0).backward(g)
    c.grad.mul_(10)
    assert values(g).tolist() == [1.0, 2.0, 3.0]


def test_shared_subgraph_and_broadcasting(lib):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = lib.tensor([10.0, 20.0], requires_grad=True)
    y = x * b + b          # b broadcasts over rows
    z = (y * y).sum() + y.mean()
    z.backward()
    yv = values(y)
    gy = 2 * yv + 0.25
    assert np.allclose(values(x.grad), gy * np.array([10.0, 20.0]))
    assert np.allclose(values(b.grad), (gy * (np.array([[1, 2], [3, 4]]) + 1)).sum(0))


def test_backward_of_non_scalar_needs_gradient(lib):
    x = lib.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="^grad can be implicitly created only for scalar "
                                           "outputs$"):
        (x * 2).backward()
    (x * 2).backward(lib.ones(2, 2) * 0.5)
    assert values(x.grad).tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_backward_through_tensor_without_grad(lib):
    with pytest.raises(RuntimeError, match="^element 0 of tensors does not require grad and "
                                           "does not have a grad_fn$"):
        lib.ones(2).sum().backward()


def test_second_backward_raises(lib):
    x = lib.ones(2, 2, requires_grad=True)
    z = ((x + 2) * (x + 2)).sum()
    z.backward()
    with pytest.raises(RuntimeError) as info:
        z.backward()
    assert str(info.value) == SECOND_BACKWARD


def test_second_backward_without_saved_tensors_is_fine(lib):
    x = lib.ones(2, 2, requires_grad=True)
    y = (x + 2).sum()   # neither node saves a tensor: torch allows the second pass
    y.backward()
    y.backward()
    assert values(x.grad).tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_retain_graph(lib):
    x = lib.tensor([3.0], requires_grad=True)
    y = x ** 2
    y.backward(retain_graph=True)
    y.backward()
    assert values(x.grad).tolist() == [12.0]


def test_non_leaf_grad_warns_and_is_none(lib):
    x = lib.ones(2, requires_grad=True)
    y = x * 2
    y.sum().backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert y.grad is None
    assert any(str(w.message).startswith(NON_LEAF_WARNING) for w in caught)
    assert caught[0].category is UserWarning


def test_retain_grad(lib):
    x = lib.ones(2, requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward()
    assert y.retains_grad and not x.retains_grad
    assert values(y.grad).tolist() == [4.0, 4.0]
    assert values(x.grad).tolist() == [8.0, 8.0]


def test_backward_inputs(lib):
    x = lib.tensor([3.0], requires_grad=True)
    w = lib.tensor([2.0], requires_grad=True)
    y = x * w
    y.backward(inputs=[x])
    assert values(x.grad).tolist() == [2.0] and w.grad is None
    y2 = (x * w) * 5
    mid = x * w
    (mid * 5).backward(inputs=[mid])
    assert values(mid.grad).tolist() == [5.0]
    assert y2.requires_grad


def test_hooks(lib):
    x = lib.ones(2, requires_grad=True)
    handle = x.register_hook(lambda g: g * 2)
    (x * 3).sum().backward()
    assert values(x.grad).tolist() == [6.0, 6.0]
    handle.remove()
    (x * 3).sum().backward()
    assert values(x.grad).tolist() == [9.0, 9.0]
    seen = []
    y = x * 3
    y.register_hook(lambda g: seen.append(values(g).tolist()))
    y.sum().backward()
    assert seen == [[1.0, 1.0]]
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't "
                                           "require gradient"):
        lib.ones(2).register_hook(lambda g: g)


def test_detach_and_data(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d[0] = 5.0                       # shares storage
    assert values(x).tolist() == [5.0, 2.0]
    assert not x.data.requires_grad
    y = 2 * x
    x.data += 100                    # invisible to autograd
    y.backward(lib.ones_like(y))
    assert values(x.grad).tolist() == [2.0, 2.0]
    assert values(x).tolist() == [105.0, 102.0]


# ---------------------------------------------------------------------------
# grad modes


def test_no_grad(lib):
    x = lib.ones(2, requires_grad=True)
    with lib.no_grad():
        y = x * 2
        assert not lib.is_grad_enabled()
        with lib.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and lib.is_grad_enabled()


def test_grad_mode_decorators(lib):
    x = lib.ones(2, requires_grad=True)

    @lib.no_grad()
    def doubled(t):
        return t * 2

    @lib.set_grad_enabled(False)
    def tripled(t):
        return t * 3

    @lib.no_grad
    def bare(t):
        return t * 4

    @lib.enable_grad
    def recorded(t):
        return t * 5

    assert lib.is_grad_enabled()
    assert not doubled(x).requires_grad and not tripled(x).requires_grad
    assert not bare(x).requires_grad
    with lib.no_grad():
        assert recorded(x).requires_grad and not lib.is_grad_enabled()
    assert lib.is_grad_enabled()


def test_set_grad_enabled(lib):
    x = lib.ones(2, requires_grad=True)
    with lib.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    lib.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        lib.set_grad_enabled(True)
    assert (x * 2).requires_grad


# ---------------------------------------------------------------------------
# autograd.grad and higher order


def test_autograd_grad(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    gx, gy = lib.autograd.grad(y.sum(), [x, y])
    assert values(gx).tolist() == [2.0, 2.0] and values(gy).tolist() == [1.0, 1.0]
    assert x.grad is None
    (g,) = lib.autograd.grad([x * 2], [x], grad_outputs=[lib.tensor([5.0, 1.0])])
    assert values(g).tolist() == [10.0, 2.0]


def test_autograd_grad_errors(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    z = lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^The differentiated Tensor at index 1 appears to "
                                           r"not have been used in the graph. Set "
                                           r"allow_unused=True if this is the desired "
                                           r"behavior.$"):
        lib.autograd.grad((x * 2).sum(), [x, z])
    gx, gz = lib.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None and values(gx).tolist() == [2.0, 2.0]
    _, gz = lib.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
    assert values(gz).tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require "
                                           "grad"):
        lib.autograd.grad((x * 2).sum(), [lib.ones(2)])


def test_second_derivative(lib):
    x = lib.tensor(3.0, requires_grad=True)
    y = x ** 3
    (g,) = lib.autograd.grad(y, x, create_graph=True)
    assert repr(g) == "tensor(27., grad_fn=<MulBackward0>)"
    (g2,) = lib.autograd.grad(g, x)
    assert repr(g2) == "tensor(18.)"


def test_backward_create_graph(lib):
    x = lib.tensor(3.0, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x ** 3).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.item() == 27.0
    x.grad = None
    g.backward()
    assert x.grad.item() == 18.0


HIGHER_ORDER = [
    ("(x ** 3).sum()", lambda v: 6 * v),
    ("(x.sin() * x).sum()", lambda v: -v * np.sin(v) + 2 * np.cos(v)),
    ("(x.exp() / (1 + x * x)).sum()", None),
    ("x.tanh().sum()", lambda v: -2 * np.tanh(v) * (1 - np.tanh(v) ** 2)),
    ("x.sigmoid().sum()", None),
    ("(x.log() * x).sum()", lambda v: 1 / v),
    ("x.sqrt().sum()", lambda v: -0.25 * v ** -1.5),
    ("(x.view(2, 2).t().mm(x.view(2, 2))).sum()", None),
    ("x.softmax(0).max()", None),
    ("(x.log_softmax(0) * x).sum()", None),
]


@pytest.mark.parametrize("expression, second", HIGHER_ORDER, ids=[h[0] for h in HIGHER_ORDER])
def test_diagonal_of_hessian(lib, expression, second):
    base = np.array([0.5, 1.0, 1.5, 2.0])
    x = lib.tensor(base, requires_grad=True)          # float64 from NumPy
    (g,) = lib.autograd.grad(eval(expression, {"x": x}), x, create_graph=True)
    diag = [lib.autograd.grad(g[i], x, retain_graph=True)[0][i].item() for i in range(4)]
    if second is not None:
        assert np.allclose(diag, second(base))
    # against finite differences of the first derivative
    eps = 1e-6
    fd = []
    for i in range(4):
        plus, minus = base.copy(), base.copy()
        plus[i] += eps
        minus[i] -= eps
        xp = lib.tensor(plus, requires_grad=True)
        xm = lib.tensor(minus, requires_grad=True)
        gp = lib.autograd.grad(eval(expression, {"x": xp}), xp)[0][i].item()
        gm = lib.autograd.grad(eval(expression, {"x": xm}), xm)[0][i].item()
        fd.append((gp - gm) / (2 * eps))
    assert np.allclose(diag, fd, rtol=1e-5, atol=1e-6)
