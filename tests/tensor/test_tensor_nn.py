"""``nn`` and ``optim``: registration, initialisation, losses, update rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tensor_helpers import TORCH, needs_torch, values


def make_mlp(lib):
    class MLP(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = lib.nn.Linear(3, 4)
            self.out = lib.nn.Linear(4, 2, bias=False)
            self.scale = lib.nn.Parameter(lib.ones(1))
            self.not_a_param = lib.ones(1)

        def forward(self, x):
            return self.out(lib.relu(self.hidden(x))) * self.scale

    return MLP()



def load_weights(lib, model, weights):
    """Make ``model`` float64 with the given parameter values (same start in both libraries)."""
    model.double()
    with lib.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(lib.tensor(w))

def test_module_registration(lib):
    model = make_mlp(lib)
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "hidden.weight", "hidden.bias", "out.weight"]
    assert len(list(model.parameters())) == 4
    assert [name for name, _ in model.named_children()] == ["hidden", "out"]
    assert model.out.bias is None
    assert isinstance(model.hidden.weight, lib.nn.Parameter)
    assert model.hidden.weight.requires_grad and model.hidden.weight.is_leaf
    assert model.hidden.weight.shape == (4, 3) and model.hidden.bias.shape == (4,)
    y = model(lib.ones(5, 3))
    assert y.shape == (5, 2) and type(y.grad_fn).__name__ == "MulBackward0"
    with pytest.raises(AttributeError, match="'MLP' object has no attribute 'missing'"):
        _ = model.missing


def test_zero_grad_and_training_flags(lib):
    model = make_mlp(lib)
    model(lib.ones(5, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.training and not model.eval().training and not model.hidden.training
    assert model.train().hidden.training


def test_linear_init_bounds(lib):
    lib.manual_seed(0)
    layer = lib.nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)
    w, b = values(layer.weight), values(layer.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound
    assert abs(w.mean()) < 0.01 and abs(w.std() - bound / math.sqrt(3)) < 0.005
    assert layer.weight.dtype is lib.float32


def test_sequential_and_losses(lib):
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 1))
    assert len(model) == 3 and isinstance(model[1], lib.nn.ReLU)
    x = lib.ones(2, 3)
    loss = lib.nn.MSELoss()(model(x), lib.zeros(2, 1))
    assert loss.dim() == 0 and type(loss.grad_fn).__name__ == "MseLossBackward0"
    loss.backward()
    assert model[0].weight.grad.shape == (4, 3)


def test_losses_values(lib):
    F = lib.nn.functional
    pred = lib.tensor([[1.0, 2.0], [3.0, 5.0]])
    target = lib.tensor([[1.0, 1.0], [1.0, 1.0]])
    assert F.mse_loss(pred, target).item() == pytest.approx((0 + 1 + 4 + 16) / 4)
    assert F.mse_loss(pred, target, reduction="sum").item() == pytest.approx(21.0)
    logits = lib.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    labels = lib.tensor([0, 1])
    expected = -np.mean([np.log(np.exp(2.0) / np.exp([2.0, 1.0, 0.1]).sum()),
                         np.log(np.exp(2.5) / np.exp([0.5, 2.5, 0.3]).sum())])
    assert F.cross_entropy(logits, labels).item() == pytest.approx(expected, rel=1e-6)
    assert lib.nn.CrossEntropyLoss()(logits, labels).item() == pytest.approx(expected, rel=1e-6)
    none = F.cross_entropy(logits, labels, reduction="none")
    assert none.shape == (2,)
    assert F.nll_loss(logits.log_softmax(1), labels).item() == pytest.approx(expected, rel=1e-6)
    assert F.relu(lib.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]


def test_cross_entropy_gradient(lib):
    logits = lib.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], requires_grad=True)
    lib.nn.functional.cross_entropy(logits, lib.tensor([0, 1])).backward()
    probs = np.exp(values(logits)) / np.exp(values(logits)).sum(1, keepdims=True)
    onehot = np.eye(3)[[0, 1]]
    assert np.allclose(values(logits.grad), (probs - onehot) / 2, atol=1e-7)


def _train(lib, optimizer_factory, steps=5):
    w = lib.nn.Parameter(lib.tensor([1.0, -2.0, 3.0]))
    optimizer = optimizer_factory([w])
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ((w - lib.tensor([0.5, 0.5, 0.5])) ** 2).sum() + (w ** 4).sum() * 0.01
        loss.backward()
        optimizer.step()
    return values(w)


def _reference_sgd(steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    w = np.array([1.0, -2.0, 3.0], dtype=np.float32).astype(np.float64)
    buf = None
    for _ in range(steps):
        g = 2 * (w - 0.5) + 0.04 * w ** 3
        g = g + weight_decay * w
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        w = w - lr * g
    return w


SGD_SETTINGS = [
    {"lr": 0.1}, {"lr": 0.05, "momentum": 0.9}, {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    {"lr": 0.1, "weight_decay": 0.1}, {"lr": 0.05, "momentum": 0.5, "dampening": 0.3},
]


@pytest.mark.parametrize("settings", SGD_SETTINGS, ids=str)
def test_sgd_matches_torch_rule(lib, settings):
    got = _train(lib, lambda params: lib.optim.SGD(params, **settings))
    assert np.allclose(got, _reference_sgd(5, **settings), rtol=1e-5)


def _reference_adam(steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    w = np.array([1.0, -2.0, 3.0])
    m = np.zeros(3)
    v = np.zeros(3)
    for t in range(1, steps + 1):
        g = 2 * (w - 0.5) + 0.04 * w ** 3 + weight_decay * w
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat = m / (1 - betas[0] ** t)
        v_hat = v / (1 - betas[1] ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w


@pytest.mark.parametrize("settings", [{"lr": 0.1}, {"lr": 0.05, "weight_decay": 0.1},
                                      {"lr": 0.01, "betas": (0.8, 0.9)}], ids=str)
def test_adam_matches_reference(lib, settings):
    got = _train(lib, lambda params: lib.optim.Adam(params, **settings), steps=7)
    assert np.allclose(got, _reference_adam(7, **settings), rtol=1e-5, atol=1e-6)


def test_optimizer_updates_bump_version(lib):
    w = lib.nn.Parameter(lib.ones(2))
    optimizer = lib.optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    optimizer.step()
    assert w._version == 1 and values(w).tolist() == pytest.approx([0.8, 0.8])


@needs_torch
def test_same_training_trajectory_as_torch(sd):
    """Same initial weights and data: same losses step by step (float64)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 4))
    labels = rng.integers(0, 3, 16)
    weights = [rng.standard_normal((8, 4)) * 0.5, rng.standard_normal(8) * 0.1,
               rng.standard_normal((3, 8)) * 0.5, rng.standard_normal(3) * 0.1]
    histories = []
    for lib in (sd, TORCH):
        model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 3))
        load_weights(lib, model, weights)
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
        losses = []
        for _ in range(10):
            optimizer.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(labels))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        histories.append(losses)
    assert np.allclose(histories[0], histories[1], rtol=1e-10)


def test_state_dict_round_trip_and_dtype(lib):
    lib.manual_seed(1)
    source = make_mlp(lib)
    target = make_mlp(lib)
    state = source.state_dict()
    assert list(state) == ["scale", "hidden.weight", "hidden.bias", "out.weight"]
    target.load_state_dict(state)
    assert all(lib.equal(a, b) for a, b in zip(source.parameters(), target.parameters()))
    with pytest.raises(RuntimeError, match="Missing key"):
        target.load_state_dict({"scale": lib.ones(1)})
    target.double()
    assert target.hidden.weight.dtype is lib.float64
    assert isinstance(target.hidden.weight, lib.nn.Parameter)


@needs_torch
def test_gradient_penalty_matches_torch(sd):
    """Double backward through a network (create_graph=True), as in WGAN-GP."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3))
    labels = rng.integers(0, 2, 5)
    weights = [rng.standard_normal((4, 3)), rng.standard_normal(4),
               rng.standard_normal((2, 4)), rng.standard_normal(2)]
    results = []
    for lib in (sd, TORCH):
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
        load_weights(lib, model, weights)
        inputs = lib.tensor(x, requires_grad=True)
        loss = lib.nn.functional.cross_entropy(model(inputs), lib.tensor(labels))
        (g,) = lib.autograd.grad(loss, inputs, create_graph=True)
        penalty = ((g.norm(dim=1) - 1) ** 2).mean() + loss
        penalty.backward()
        results.append([values(p.grad) for p in model.parameters()] + [values(inputs.grad)])
    for mine, theirs in zip(*results):
        assert np.allclose(mine, theirs, rtol=1e-9, atol=1e-12)
