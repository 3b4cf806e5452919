"""Hooks: ``register_hook`` on tensors and nodes, ``retain_grad``, post-accumulate hooks.

Facts taken from PyTorch's ``TestAutograd`` (test/test_autograd.py), rewritten
as module-level tests that run against sourcediff and against torch.
"""

from __future__ import annotations

import copy
import gc
import warnings
import weakref

import numpy as np
import pytest
from tensor_helpers import values


def same(a, b, tol=1e-5) -> bool:
    return np.allclose(values(a), values(b), rtol=tol, atol=tol)


def mul2(lib, custom: bool):
    """``x * 2``, as a built-in op or as a custom Function."""
    if not custom:
        return lambda x: x * 2

    class Mul2(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    return Mul2.apply


# ---------------------------------------------------------------------------
# tensor hooks


def test_tensor_hooks_count_and_modify(lib):
    x = lib.ones(3, 3, requires_grad=True)
    y = (lib.ones(3, 3) * 4).requires_grad_(True)
    counter = [0]

    def count(inc):
        def hook(grad):
            assert isinstance(grad, lib.Tensor)
            counter[0] += inc

        return hook

    z = x ** 2 + x * 2 + x * y + y
    x.register_hook(count(0))
    h1 = z.register_hook(count(1))
    z.backward(lib.ones(3, 3), retain_graph=True)
    assert counter[0] == 1
    h2 = z.register_hook(count(2))
    z.backward(lib.ones(3, 3), retain_graph=True)
    assert counter[0] == 4
    h2.remove()
    z.backward(lib.ones(3, 3), retain_graph=True)
    assert counter[0] == 5
    h1.remove()
    z.register_hook(lambda g: g.mul(2))
    with lib.no_grad():
        y.grad.zero_()
    z.backward(lib.ones(3, 3), retain_graph=True)
    assert same(y.grad, (x.detach() + 1) * 2)
    y.register_hook(lambda g: g.mul(2))
    with lib.no_grad():
        y.grad.zero_()
    z.backward(lib.ones(3, 3))
    assert same(y.grad, (x.detach() + 1) * 4)


def test_hook_on_a_tensor_without_grad_raises(lib):
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't "
                                           "require gradient"):
        lib.ones(2).register_hook(lambda g: g)


def test_hook_object_without_a_name(lib):
    class CloneHook:
        def __call__(self, grad):
            return grad.clone()

    x = lib.randn(5, requires_grad=True).clone()
    x.register_hook(CloneHook())
    x.sum().backward()


def test_hook_on_an_unbound_output_fires_for_that_output_only(lib):
    x = lib.randn(5, requires_grad=True)
    parts = x.unbind()
    seen = [None]

    def hook(grad):
        seen[0] = grad

    parts[0].register_hook(hook)
    parts[0].backward()
    assert seen[0].item() == 1.0
    expected = [1.0, 0, 0, 0, 0]
    assert values(x.grad).tolist() == expected
    for i in range(1, 5):
        seen[0] = None
        parts[i].backward()
        assert seen[0] is None
        expected[i] = 1.0
        assert values(x.grad).tolist() == expected


def test_hook_sees_none_free_gradient_of_custom_outputs(lib):
    class Split(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            assert ctx.needs_input_grad[0] and not ctx.needs_input_grad[1]
            return x, y

        @staticmethod
        def backward(ctx, gx, gy):
            return gx, None

    called = [False]

    def hook(grad):
        assert grad is not None
        called[0] = True

    x = lib.randn(3, 3, requires_grad=True)
    y = lib.randn(3, 3)
    rx, ry = Split.apply(x, y)
    rx.register_hook(hook)
    ry.register_hook(hook)
    (rx + ry).sum().backward()
    assert called[0]


def test_hooks_registered_before_and_after_an_inplace_op(lib):
    counts = [0, 0]

    def before(grad):
        counts[0] += 1
        assert values(grad).tolist() == [4.0]
        return grad * 2

    def after(grad):
        counts[1] += 1
        assert values(grad).tolist() == [1.0]
        return grad * 2

    a = lib.tensor([1.0], requires_grad=True)
    b = a.clone()
    b.register_hook(before)
    b.mul_(2)
    b.register_hook(after)
    b.sum().backward()
    assert counts == [1, 1] and values(a.grad).tolist() == [8.0]

    a = lib.tensor([1.0], requires_grad=True)
    b = a.clone()
    b.register_hook(lambda g: g * 2 if values(g).tolist() == [4.0] else None)
    b.mul_(2)
    b.mul_(2)
    b.sum().backward()
    assert values(a.grad).tolist() == [8.0]


def test_hooks_on_outputs_of_a_multi_output_function_after_inplace(lib):
    class DoubleMul(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    counts = [0, 0, 0]
    b = lib.rand(3, 3, requires_grad=True)
    out1, out2 = DoubleMul.apply(b)

    def check(k, factor):
        def hook(grad):
            counts[k] += 1
            assert same(grad, lib.ones(3, 3) * factor)

        return hook

    out1.register_hook(check(0, 2))
    out2.register_hook(check(1, 3))
    out1.mul_(2)
    out1.register_hook(check(2, 1))
    (out1 + out2 * 3).sum().backward()
    assert counts == [1, 1, 1]


def test_hook_that_runs_its_own_backward_on_a_leaf(lib):
    param = lib.rand(6, requires_grad=True)
    handle = None

    def penalty(grad):
        handle.remove()
        old = param.grad
        param.grad = None
        with lib.enable_grad():
            g = grad.detach().requires_grad_()
            fresh = param.detach().requires_grad_()
            ((g * 2) + fresh).sum().backward()
        result = g.grad + grad
        param.grad = old
        return result

    handle = param.register_hook(penalty)
    (param * param).sum().backward()
    assert same(param.grad, 2 * param.detach() + 2)


def test_hook_that_runs_its_own_backward_on_a_non_leaf(lib):
    param = lib.rand(6, requires_grad=True)
    handle = None

    def bump(grad):
        handle.remove()
        with lib.enable_grad():
            g = grad.detach().requires_grad_()
            ((g * 2) + 5).sum().backward()
        return g.grad + grad

    tmp = param * param
    handle = tmp.register_hook(bump)
    tmp.sum().backward()
    assert same(param.grad, 6 * param.detach())


def test_tensor_hooks_run_before_node_prehooks(lib):
    log = []

    def tensor_hook(g):
        log.append(1)
        return g * 3

    def node_prehook(gs):
        log.append(2)
        return tuple(g * 2 for g in gs)

    a = lib.tensor(1.0, requires_grad=True)
    b = a.clone()
    b.grad_fn.register_prehook(node_prehook)
    b.register_hook(tensor_hook)
    b.grad_fn.register_prehook(node_prehook)
    acc = b.grad_fn.next_functions[0][0]
    a.register_hook(tensor_hook)
    acc.register_prehook(node_prehook)
    a.register_hook(tensor_hook)
    b.sum().backward(retain_graph=True)
    assert log == [1, 2, 2, 1, 1, 2]
    # grad() runs the tensor hooks of the inputs but not their accumulator's node hooks
    log.clear()
    lib.autograd.grad(b.sum(), inputs=(a,), retain_graph=True)
    assert log == [1, 2, 2, 1, 1]
    log.clear()
    b.sum().backward(inputs=(b,))
    assert log == [1, 2, 2]
    # the retained gradient sees the tensor hooks only
    assert b.grad.item() == 3


def test_retain_grad_sees_every_tensor_hook(lib):
    def double(g):
        return g * 2

    a = lib.tensor(1.0, requires_grad=True)
    b = a.clone()
    b.register_hook(double)
    b.retain_grad()
    b.register_hook(double)
    b.clone().backward()
    assert b.grad.item() == 4

    a = lib.tensor(1.0, requires_grad=True)
    b = a.clone()
    b.retain_grad()
    b.register_hook(double)
    b.clone().backward()
    assert b.grad.item() == 2


def test_accumulator_hooks_see_tensor_hook_changes(lib):
    a = lib.tensor(1.0, requires_grad=True)
    seen = []

    def posthook(grad_inputs, grad_outputs):
        seen.append(("post", len(grad_inputs), grad_outputs[0].item()))

    def prehook(grad_outputs):
        seen.append(("pre", len(grad_outputs), grad_outputs[0].item()))

    b = a.clone()
    acc = b.grad_fn.next_functions[0][0]
    acc.register_hook(posthook)
    acc.register_prehook(prehook)
    a.register_hook(lambda g: g * 2)
    b.backward()
    assert seen == [("pre", 1, 2.0), ("post", 0, 2.0)]


def test_which_hooks_grad_and_backward_run(lib):
    a = lib.tensor(1.0, requires_grad=True)
    b = a * 2
    c = b * 2
    counts = {"tensor": 0, "pre": 0, "post": 0}

    def bump(kind):
        def hook(*args):
            counts[kind] += 1

        return hook

    a.register_hook(bump("tensor"))
    b.register_hook(bump("tensor"))
    acc = b.grad_fn.next_functions[0][0]
    acc.register_hook(bump("post"))
    acc.register_prehook(bump("pre"))
    b.grad_fn.register_hook(bump("post"))
    b.grad_fn.register_prehook(bump("pre"))

    def run(call, tensor, pre, post):
        for k in counts:
            counts[k] = 0
        call()
        assert counts == {"tensor": tensor, "pre": pre, "post": post}

    run(lambda: lib.autograd.grad(c, inputs=(b,), retain_graph=True), 1, 0, 0)
    run(lambda: lib.autograd.grad(c, inputs=(a, b), retain_graph=True), 2, 1, 1)
    run(lambda: c.backward(retain_graph=True), 2, 2, 2)
    run(lambda: c.backward(inputs=(a, b), retain_graph=True), 2, 2, 2)


# ---------------------------------------------------------------------------
# node hooks


@pytest.mark.parametrize("custom", [False, True])
def test_node_pre_and_post_hooks(lib, custom):
    f = mul2(lib, custom)
    a = lib.tensor([1.0], requires_grad=True)
    b = f(a)
    post, pre = [0], [0]

    def posthook(grad_inputs, grad_outputs):
        assert pre[0] == 3
        assert same(grad_outputs[0], lib.ones(1) * 8)
        assert same(grad_inputs[0], lib.ones(1) * 16)
        post[0] += 1
        return grad_inputs

    def prehook(grad_outputs):
        pre[0] += 1
        return (grad_outputs[0] * 2,)

    b.grad_fn.register_hook(posthook)
    b.grad_fn.register_hook(posthook)
    b.grad_fn.register_prehook(prehook)
    b.grad_fn.register_prehook(lambda g: None)
    b.grad_fn.register_prehook(prehook)
    b.grad_fn.register_prehook(prehook)
    b.grad_fn.register_prehook(lambda g: g)
    b.grad_fn.register_prehook(lambda g: None)
    b.sum().backward()
    assert post[0] == 2 and pre[0] == 3

    a = lib.rand(3, 3, requires_grad=True)
    b = f(a)

    def quiet(grad_outputs):
        pre[0] += 1

    b.grad_fn.register_prehook(quiet)
    b.sum().backward()
    assert pre[0] == 4
    assert same(a.grad, lib.ones(3, 3) * 2)


def test_prehook_on_a_multi_output_custom_function(lib):
    class TwoOut(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k, y):
            ctx.k = k
            return k * x * 2, k, k * y * 2

        @staticmethod
        def backward(ctx, g1, _k, g2):
            return ctx.k * g1 * 2, None, ctx.k * g2 * 2

    counter = [0]

    def prehook(grad_outputs):
        g1, gk, g2 = grad_outputs
        assert gk is None
        counter[0] += 1
        return (g1 * 2, None, g2 * 2)

    a = lib.randn(3, 3, requires_grad=True)
    b = lib.randn(3, 3, requires_grad=True)
    c, _, d = TwoOut.apply(a, 3, b)
    c.grad_fn.register_prehook(prehook)
    (c + d).sum().backward()
    assert counter[0] == 1
    assert same(a.grad, lib.ones(3, 3) * 12) and same(b.grad, lib.ones(3, 3) * 12)


@pytest.mark.parametrize("custom", [False, True])
def test_node_prehooks_removed_before_and_during_backward(lib, custom):
    f = mul2(lib, custom)
    a = lib.rand(3, 3, requires_grad=True)
    b = f(a)
    counter = [0]

    def count(grad_outputs):
        counter[0] += 1

    handle = b.grad_fn.register_prehook(count)
    b.grad_fn.register_prehook(count)
    handle.remove()
    b.sum().backward()
    assert counter[0] == 1 and same(a.grad, lib.ones(3, 3) * 2)

    a = lib.rand(3, 3, requires_grad=True)
    b = f(a)
    counter = [0]

    def remover(grad_outputs):
        h2.remove()
        h3.remove()  # removing twice is fine

    b.grad_fn.register_prehook(remover)
    h2 = b.grad_fn.register_prehook(count)
    h3 = b.grad_fn.register_prehook(count)
    h3.remove()
    b.sum().backward()
    assert counter[0] == 1


def test_node_hook_kept_alive_by_its_closure(lib):
    count = [0]

    class Sentinel:
        pass

    def scope():
        a = lib.tensor(1.0, requires_grad=True)
        b = a.clone()
        grad_fn = b.grad_fn
        obj = Sentinel()

        def hook(*args):
            grad_fn, obj  # noqa: B018 - the closure keeps both alive
            count[0] += 1

        b.grad_fn.register_hook(hook)
        return b.clone(), weakref.ref(obj)

    out, ref = scope()
    out.backward(retain_graph=True)
    gc.collect()
    out.backward(retain_graph=True)
    assert count[0] == 2 and ref() is not None
    del out
    gc.collect()
    assert ref() is None


# ---------------------------------------------------------------------------
# retain_grad


def test_retain_grad_accumulates_and_is_a_no_op_on_leaves(lib):
    inp = lib.rand(1, 3, requires_grad=True)
    h1 = inp * 3
    out = (h1 * h1).sum()
    h1.retain_grad()
    h1.retain_grad()
    out.backward(retain_graph=True)
    assert same(h1.grad, h1.detach() * 2)
    out.backward(retain_graph=True)
    assert same(h1.grad, h1.detach() * 4)
    with lib.no_grad():
        inp.grad.zero_()
    inp.retain_grad()
    inp.retain_grad()
    out.backward()
    assert same(inp.grad, inp.detach() * 18)


def test_retain_grad_follows_inplace_ops(lib):
    a = lib.tensor([1.0], requires_grad=True).clone()
    a.retain_grad()
    a.mul_(2)
    a.sum().backward()
    assert values(a.grad).tolist() == [1.0]

    a = lib.tensor([1.0], requires_grad=True).clone()
    a.retain_grad()
    a.mul_(2)
    a.mul_(2)
    a.sum().backward()
    assert values(a.grad).tolist() == [1.0]

    # through a view: the retained gradient is that of the newest version of x
    x = lib.tensor([1.0], requires_grad=True).clone()
    x.retain_grad()
    x_view = x[:]
    x_view *= 2
    x *= 2
    x.sum().backward()
    assert values(x.grad).tolist() == [1.0]

    # nothing to move when the base never required grad
    x = lib.zeros(4)
    y = x.view(2, 2)
    y.add_(lib.randn(2, 2, requires_grad=True))


def test_retain_grad_on_views_after_an_inplace_through_one(lib):
    base = lib.tensor([1.0], requires_grad=True).clone()
    view = base[:]
    view2 = base[:]
    view.retain_grad()
    view2.retain_grad()
    view.mul_(2)
    (view + view2).sum().backward()
    assert values(view.grad).tolist() == [1.0]
    assert values(view2.grad).tolist() == [1.0]


def test_retain_grad_on_outputs_of_a_multi_output_function_after_inplace(lib):
    class DoubleMul(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    b = lib.rand(3, 3, requires_grad=True)
    first, second = DoubleMul.apply(b)
    first.retain_grad()
    second.retain_grad()
    first.mul_(2)
    (first + second).sum().backward()
    got = first.grad, second.grad

    a = b.detach().requires_grad_(True)
    first, second = DoubleMul.apply(a)
    first.mul_(2)
    expected = lib.autograd.grad((first + second).sum(), inputs=(first, second))
    assert same(got[0], expected[0]) and same(got[1], expected[1])


def test_grad_warning_on_non_leaves(lib):
    leaf = lib.empty(1).requires_grad_()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _ = leaf.grad
        assert len(caught) == 0
        mid = leaf.clone()
        _ = mid.grad
        assert len(caught) == 1
        mid.retain_grad()
        _ = mid.grad
        assert len(caught) == 1


def test_retain_grad_requires_grad(lib):
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has "
                                           "requires_grad=False"):
        lib.ones(2).retain_grad()


def test_retained_tensor_is_not_kept_alive_by_the_graph(lib):
    x = lib.ones(3, 3, requires_grad=True)

    def run():
        y = x * 2
        y.retain_grad()
        return y / 2, weakref.ref(y)

    z, ref = run()
    assert ref() is None
    z.sum().backward()


# ---------------------------------------------------------------------------
# post-accumulate-grad hooks


def test_post_accumulate_hook_refused_on_non_leaves(lib):
    leaf = lib.rand(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered "
                                           "on non-leaf tensors"):
        (2.0 * leaf).register_post_accumulate_grad_hook(lambda t: None)


def test_post_accumulate_hooks_run_in_order(lib):
    t = lib.rand(3, requires_grad=True)
    ref = t.detach().clone()

    def step(tensor):
        tensor.sub_(tensor.grad)

    def scale(tensor):
        tensor.mul_(4.0)

    t.register_post_accumulate_grad_hook(step)
    t.register_post_accumulate_grad_hook(scale)
    t.sum().backward()
    assert same(t, 4.0 * (ref - 1.0))


def test_post_accumulate_hooks_on_several_tensors(lib):
    def step(tensor):
        tensor.sub_(tensor.grad)

    t1 = lib.rand(3, requires_grad=True)
    t2 = lib.rand(5, requires_grad=True)
    r1, r2 = t1.detach().clone(), t2.detach().clone()
    t1.register_post_accumulate_grad_hook(step)
    t2.register_post_accumulate_grad_hook(step)
    t1.sum().backward()
    t2.sum().backward()
    assert same(t1, r1 - 1.0) and same(t2, r2 - 1.0)


def test_post_accumulate_hook_must_return_none(lib):
    t = lib.rand(2, 3, requires_grad=True)
    t.register_post_accumulate_grad_hook(lambda tensor: tensor.grad)
    with pytest.raises(RuntimeError, match="hooks should return None."):
        t.sum().backward()


def test_post_accumulate_hook_ordering_among_all_hooks(lib):
    t = lib.rand(3, requires_grad=True)

    def acc_post(grad_inputs, grad_outputs):
        t.grad = grad_outputs[0].mul(10)

    def bump(tensor):
        tensor.grad.add_(0.5)

    acc = t.view_as(t).grad_fn.next_functions[0][0]
    t.register_hook(lambda g: g.sub(2.0))
    acc.register_prehook(lambda gs: (gs[0].div(5.0),))
    t.register_post_accumulate_grad_hook(bump)
    acc.register_hook(acc_post)
    t.sum().backward()
    # tensor hook, node prehook, post-accumulate hook, node posthook: ((1-2)/5 + 0.5) * 10
    assert same(t.grad, lib.tensor([3.0, 3.0, 3.0]))


def test_post_accumulate_hook_runs_an_optimizer_step(lib):
    lib.manual_seed(0)
    model = lib.nn.Linear(3, 2)
    inp = lib.rand(2, 3)
    optims = {}

    def step(param):
        optims[param].step()
        optims[param].zero_grad()

    handles = []
    for p in model.parameters():
        optims[p] = lib.optim.SGD([p], lr=0.1)
        handles.append(p.register_post_accumulate_grad_hook(step))
    twin = copy.deepcopy(model)
    twin_optim = lib.optim.SGD(twin.parameters(), lr=0.1)
    for _ in range(3):
        model(inp).sum().backward()
        twin(inp).sum().backward()
        twin_optim.step()
        twin_optim.zero_grad()
    for p, q in zip(model.parameters(), twin.parameters()):
        assert same(p, q)
    frozen = [p.detach().clone() for p in model.parameters()]
    for h in handles:
        h.remove()
    model(inp).sum().backward()
    for p, f in zip(model.parameters(), frozen):
        assert same(p, f)


def test_post_accumulate_hook_keeps_its_closure_only_while_the_tensor_lives(lib):
    def scope():
        extra = lib.rand(3)

        def hook(tensor):
            tensor.sub_(tensor.grad)
            tensor.add_(extra)

        t = lib.rand(3, requires_grad=True)
        t.register_post_accumulate_grad_hook(hook)
        t.sum().backward()
        return t, weakref.ref(extra)

    t, ref = scope()
    assert ref() is not None
    del t
    gc.collect()
    assert ref() is None
