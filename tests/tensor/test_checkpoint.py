"""``utils.checkpoint.checkpoint``: recompute in backward, same gradients, less memory.

Facts taken from PyTorch's checkpoint tests in ``TestAutograd``
(test/test_autograd.py), rewritten to run against sourcediff and torch.
"""

from __future__ import annotations

import copy
import importlib
import tracemalloc
import warnings

import numpy as np
import pytest
from tensor_helpers import values

import sourcediff


def same(a, b, tol=1e-5) -> bool:
    return np.allclose(values(a), values(b), rtol=tol, atol=tol)


def checkpoint_module(lib):
    return importlib.import_module(lib.__name__ + ".utils.checkpoint")


def deep(lib):
    def fn(x):
        for _ in range(4):
            x = (x * 1.5).sin() + x.exp() * 0.1
        return x

    return fn


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_same_gradients_as_without_checkpoint(lib, use_reentrant):
    cp = checkpoint_module(lib).checkpoint
    x = lib.randn(5, dtype=lib.double, requires_grad=True)
    deep(lib)(x).sum().backward()
    expected = x.grad.clone()
    x.grad = None
    out = cp(deep(lib), x, use_reentrant=use_reentrant)
    assert same(out, deep(lib)(x))
    out.sum().backward()
    assert same(x.grad, expected)


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_the_function_runs_again_in_backward(lib, use_reentrant):
    cp = checkpoint_module(lib).checkpoint
    calls = [0]

    def fn(t):
        calls[0] += 1
        return t.sin().exp()

    x = lib.randn(3, requires_grad=True)
    out = cp(fn, x, use_reentrant=use_reentrant)
    assert calls[0] == 1
    out.sum().backward()
    assert calls[0] == 2


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_module_parameters_get_their_gradients(lib, use_reentrant):
    cp = checkpoint_module(lib).checkpoint
    lib.manual_seed(0)
    module = lib.nn.Sequential(lib.nn.Linear(4, 16), lib.nn.ReLU(), lib.nn.Linear(16, 4))
    twin = copy.deepcopy(module)
    feats, plain = [], []
    for _ in range(5):
        data = lib.rand(1, 4).requires_grad_()
        feats.append(cp(module, data, use_reentrant=use_reentrant))
        plain.append(twin(data))
    lib.stack(feats).mean().backward()
    lib.stack(plain).mean().backward()
    for p, q in zip(module.parameters(), twin.parameters()):
        assert same(p.grad, q.grad)


def test_autograd_grad_through_a_non_reentrant_checkpoint(lib):
    cp = checkpoint_module(lib).checkpoint
    a = lib.randn(2, 2, requires_grad=True)
    lib.exp(a).sum().backward()
    expected = a.grad
    a.grad = None
    c = cp(lib.exp, a, use_reentrant=False).sum()
    c.backward()
    assert same(a.grad, expected)
    a.grad = None
    (g,) = lib.autograd.grad(cp(lib.exp, a, use_reentrant=False).sum(), (a,))
    assert same(g, expected)


def test_reentrant_checkpoint_refuses_autograd_grad(lib):
    cp = checkpoint_module(lib).checkpoint
    a = lib.randn(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="torch.utils.checkpoint is incompatible with .grad\\(\\) "
                                           "or passing an `inputs` parameter to .backward\\(\\)"):
        b = cp(lib.exp, a, use_reentrant=True).sum()
        lib.autograd.grad(b, (a,))
    cp(lib.exp, a, use_reentrant=True).sum().backward()  # still fine afterwards
    assert a.grad is not None


def test_checkpoint_without_use_reentrant_warns(lib):
    cp = checkpoint_module(lib).checkpoint
    a = lib.randn(1, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cp(lambda x: x * 2, a, use_reentrant=False)
    assert not [w for w in caught if "use_reentrant" in str(w.message)]
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed "
                                         "explicitly"):
        cp(lambda x: x * 2, a)


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_outputs_that_do_not_require_grad(lib, use_reentrant):
    cp = checkpoint_module(lib).checkpoint
    lin = lib.nn.Linear(2, 2, bias=False)

    def no_grad_module(x):
        with lib.no_grad():
            return lin(x)

    a = lib.randn(2, 2, requires_grad=True)
    out = cp(no_grad_module, a, use_reentrant=use_reentrant)
    out = out + a
    if use_reentrant:
        with pytest.raises(RuntimeError, match="none of output has requires_grad=True"):
            out.sum().backward()
    else:
        out.sum().backward()
        assert same(a.grad, lib.ones(2, 2))


def test_a_parameter_used_inside_and_outside_fires_its_hook_once(lib):
    cp = checkpoint_module(lib).checkpoint
    w = lib.randn(4, 4, requires_grad=True)
    count = [0]

    def hook(grad):
        count[0] += 1

    w.register_hook(hook)
    x = lib.rand(4, 4, requires_grad=True)
    h = w * x
    out = cp(lambda t: w * t, h, use_reentrant=False)
    out.sum().backward()
    assert count[0] == 1


def test_dict_input_and_output(lib):
    cp = checkpoint_module(lib).checkpoint
    lib.manual_seed(1)

    class Model(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = lib.nn.Linear(3, 3, bias=False)

        def forward(self, inputs):
            return {"result": self.layer(inputs["tensor"])}

    plain = Model()
    twin = copy.deepcopy(plain)
    inp = {"tensor": lib.randn(3, 3)}
    out_plain = plain(inp)["result"].sum()
    out_cp = cp(twin, inp, use_reentrant=False)["result"].sum()
    assert same(out_plain, out_cp)
    out_plain.backward()
    out_cp.backward()
    for p, q in zip(plain.parameters(), twin.parameters()):
        assert same(p.grad, q.grad)


def test_random_state_is_replayed(lib):
    cp = checkpoint_module(lib).checkpoint
    x = lib.ones(6, requires_grad=True)

    def noisy(t):
        return t * lib.rand(6)

    lib.manual_seed(7)
    out = cp(noisy, x, use_reentrant=False)
    out.sum().backward()
    assert same(x.grad, out.detach())  # d(x * r)/dx = r, the same draw as in forward


def test_non_determinism_is_detected(lib):
    cp = checkpoint_module(lib).checkpoint
    calls = [0]

    def changing(t):
        calls[0] += 1
        if calls[0] == 1:
            return t.sin().exp().sin()
        return t.sin().exp()

    a = lib.randn(1, requires_grad=True)
    with pytest.raises(RuntimeError, match="A different number of tensors was saved"):
        cp(changing, a, use_reentrant=False).backward()


# ---------------------------------------------------------------------------
# memory (sourcediff only: tracemalloc sees NumPy's buffers, not torch's)


def _held_after_forward(use_checkpoint: bool) -> int:
    x = sourcediff.randn(200_000, dtype=sourcediff.float64, requires_grad=True)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    if use_checkpoint:
        out = sourcediff.utils.checkpoint.checkpoint(deep(sourcediff), x, use_reentrant=False)
    else:
        out = deep(sourcediff)(x)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    out.sum().backward()
    return held


def test_checkpoint_holds_less_memory_between_forward_and_backward():
    plain = _held_after_forward(False)
    checkpointed = _held_after_forward(True)
    one_array = 200_000 * 8
    assert plain > 6 * one_array  # the graph keeps 8 intermediates (sin's input, exp's output)
    assert checkpointed < 2 * one_array  # only the output (and small bookkeeping)
