"""Behaviour of ``backward`` and ``autograd.grad``: arguments, accumulation, errors.

Facts taken from PyTorch's ``TestAutograd`` (test/test_autograd.py), rewritten
as module-level tests that run against sourcediff and against torch.
"""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest
from tensor_helpers import values


def same(a, b, tol=1e-5) -> bool:
    return np.allclose(values(a), values(b), rtol=tol, atol=tol)


# ---------------------------------------------------------------------------
# backward


def test_backward_of_a_leaf_and_of_a_rational_expression(lib):
    lib.manual_seed(0)
    v = lib.randn(4, 4, requires_grad=True)
    x = lib.randn(4, 4, requires_grad=True)
    y = (lib.rand(4, 4) + 0.5).requires_grad_(True)
    z = lib.randn(4, 4, requires_grad=True)
    seed = lib.randn(4, 4)
    v.backward(seed)
    assert same(v.grad, seed)
    a = x + y * z + 4 * z ** 2 * x / y
    a.backward(seed)
    with lib.no_grad():
        assert same(x.grad, (4 * z ** 2 / y + 1) * seed)
        assert same(y.grad, (z - 4 * x * z ** 2 / y ** 2) * seed)
        assert same(z.grad, (8 * x * z / y + y) * seed)


def test_backward_of_several_roots_shares_a_subgraph(lib):
    lib.manual_seed(1)
    x, y, q, a, b = (lib.randn(3, 3, requires_grad=True) for _ in range(5))
    q2 = q * 2
    z = x + y + q2
    c = a * b + q2
    gz, gc = lib.randn(3, 3), lib.randn(3, 3)
    lib.autograd.backward([z, c], [gz, gc])
    assert same(x.grad, gz) and same(y.grad, gz)
    assert same(a.grad, gc * b.detach()) and same(b.grad, gc * a.detach())
    assert same(q.grad, (gc + gz) * 2)


def test_backward_of_a_root_that_needs_no_grad_raises(lib):
    x = lib.randn(3, requires_grad=True)
    y = lib.randn(3)
    with pytest.raises(RuntimeError):
        lib.autograd.backward([x + y, y * 2], [lib.ones(3), lib.ones(3)])


def test_backward_of_the_same_root_twice_in_one_call(lib):
    a = lib.randn(3, requires_grad=True)
    b = lib.randn(3, requires_grad=True)
    x = a * b
    g = lib.randn(3)
    lib.autograd.backward([x, x], [g, g])
    assert same(a.grad, 2 * g * b.detach()) and same(b.grad, 2 * g * a.detach())


def test_dependent_roots(lib):
    x = lib.randn(6, requires_grad=True)
    y = x ** 2
    z = y ** 3
    gy, gz = lib.randn(6), lib.randn(6)
    lib.autograd.backward([y, z], [gy, gz])
    xd = x.detach()
    assert same(x.grad, 2 * xd * gy + 6 * xd ** 5 * gz, tol=1e-4)


def test_none_gradient_for_a_non_scalar_root_raises(lib):
    a = lib.randn(3, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        lib.autograd.backward([a + 2], [None])


def test_backward_without_grad_raises(lib):
    with pytest.raises(RuntimeError, match="does not require grad"):
        lib.ones(1).backward()


def test_backward_copy_of_a_shared_gradient_buffer(lib):
    # one gradient buffered in three places must not be summed in place
    x = lib.ones(2, 2, requires_grad=True)
    y = lib.ones(2, 2, requires_grad=True)
    a, b, c = x + 2, y + 2, x + 2
    add2 = (a + b) + c
    for _ in range(4):
        a, b, c = a * 2, b * 2, c * 2
    out = add2 + (a + b + c)
    out.backward(lib.ones(2, 2))
    assert values(x.grad).tolist() == [[34.0, 34.0]] * 2
    assert values(y.grad).tolist() == [[17.0, 17.0]] * 2


def test_isolated_integer_branch_is_ignored(lib):
    x = lib.randn(3, 3, requires_grad=True)
    y = lib.randn(3, 3, requires_grad=True)
    a = x + y
    b = lib.max(a, 1, True)[1].expand(3, 3).double()
    (b + a).sum().backward()
    assert values(x.grad).tolist() == [[1.0] * 3] * 3


def test_unused_chunk_gets_zero_gradient(lib):
    x = lib.randn(10, 4, requires_grad=True)
    o = x.chunk(5)[2] * 4 + 2
    o.sum().backward()
    expected = np.zeros((10, 4))
    expected[4:6] = 4
    assert values(x.grad).tolist() == expected.tolist()
    x.grad = None
    g = lib.randn(2, 4)
    x.chunk(5)[0].backward(g)
    expected = np.zeros((10, 4))
    expected[:2] = values(g)
    assert same(x.grad, lib.tensor(expected))


def test_sum_to_an_empty_tensor(lib):
    a = lib.rand(4, 0, requires_grad=True)
    b = lib.rand(4, 1, requires_grad=True)
    c = a + b
    assert tuple(c.shape) == (4, 0)
    c.sum().backward()
    assert values(b.grad).tolist() == [[0.0]] * 4
    assert tuple(a.grad.shape) == (4, 0)


def test_multiple_backward_through_a_pure_graph_needs_no_retain(lib):
    b = lib.randn(3, dtype=lib.double, requires_grad=True)
    c = b + 1
    c.backward(lib.ones(3, dtype=lib.double))
    c.backward(lib.ones(3, dtype=lib.double))
    assert values(b.grad).tolist() == [2.0, 2.0, 2.0]


def _scatter_graph(lib):
    b = lib.randn(3, dtype=lib.double, requires_grad=True)
    c = lib.zeros(3, dtype=lib.double)
    c[[1, 2]] = b[[1, 1]]
    return b, c


def test_second_backward_through_index_assignment_raises(lib):
    b, c = _scatter_graph(lib)
    c.backward(lib.ones(3, dtype=lib.double))
    assert values(b.grad).tolist() == [0.0, 2.0, 0.0]
    with pytest.raises(RuntimeError, match="Specify retain_graph=True"):
        c.backward(lib.ones(3, dtype=lib.double))


def test_second_backward_through_index_assignment_with_retained_graph(lib):
    b, c = _scatter_graph(lib)
    c.backward(lib.ones(3, dtype=lib.double), retain_graph=True)
    c.backward(lib.ones(3, dtype=lib.double))
    assert values(b.grad).tolist() == [0.0, 4.0, 0.0]


def test_second_backward_through_advanced_indexing_raises(lib):
    x = lib.randn(4, requires_grad=True)
    y = x[[0, 2, 2]].sum()
    y.backward(retain_graph=False)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_second_backward_through_basic_indexing_is_allowed(lib):
    x = lib.randn(4, requires_grad=True)
    y = x[1:3].sum() + x[0]
    y.backward()
    y.backward()
    assert values(x.grad).tolist() == [2.0, 2.0, 2.0, 0.0]


def test_second_backward_with_saved_tensors_raises(lib):
    x = lib.randn(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_backward_warns_about_create_graph_but_grad_does_not(lib):
    b = lib.randn(3, requires_grad=True, dtype=lib.double)
    c = b * b
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c.backward(lib.ones_like(c), create_graph=True)
    b.grad = None
    assert any("Using backward() with create_graph=True" in str(w.message) for w in caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lib.autograd.grad(c, b, lib.ones_like(c), create_graph=True)
    assert not any("Using backward() with create_graph=True" in str(w.message) for w in caught)


# ---------------------------------------------------------------------------
# backward(inputs=...)


def _quadratic(lib):
    x = lib.randn(2, 2, dtype=lib.double, requires_grad=True)
    y = lib.randn(2, 2, dtype=lib.double, requires_grad=True)
    return x, y, lambda: x ** 2 + y * x + y ** 2


def test_backward_inputs_restricts_accumulation(lib):
    x, y, fn = _quadratic(lib)
    ones = lib.ones(2, 2, dtype=lib.double)
    lib.autograd.backward(fn(), ones, inputs=[x, y])
    gx, gy = (2 * x + y).detach(), (x + 2 * y).detach()
    assert same(x.grad, gx) and same(y.grad, gy)
    with lib.no_grad():
        x.grad.zero_()
        y.grad.zero_()
    lib.autograd.backward(fn(), ones, inputs=[x])
    assert same(x.grad, gx) and values(y.grad).tolist() == [[0.0, 0.0]] * 2
    with lib.no_grad():
        x.grad.zero_()
    lib.autograd.backward(fn(), ones, inputs=y)
    assert same(y.grad, gy) and values(x.grad).tolist() == [[0.0, 0.0]] * 2


def test_backward_empty_inputs_raises(lib):
    _, _, fn = _quadratic(lib)
    with pytest.raises(RuntimeError, match="cannot be empty"):
        lib.autograd.backward(fn(), lib.ones(2, 2, dtype=lib.double), inputs=[])
    with pytest.raises(RuntimeError, match="`inputs` argument to `backward\\(\\)` cannot be empty"):
        fn().sum().backward(inputs=[])


def test_backward_inputs_with_a_scalar_input(lib):
    x = lib.randn([], dtype=lib.double, requires_grad=True)
    (x ** 2).backward(inputs=x)
    assert same(x.grad, 2 * x.detach())


def test_backward_inputs_with_non_leaf_inputs(lib):
    x = lib.randn(2, 2, dtype=lib.double, requires_grad=True)
    x_mid = x * 1
    y = lib.randn(2, 2, dtype=lib.double, requires_grad=True)
    z = lib.randn(2, 2, dtype=lib.double, requires_grad=True)
    out = x_mid ** 2 + y * x_mid + y ** 2
    ones = lib.ones(2, 2, dtype=lib.double)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out.backward(ones, create_graph=True, inputs=[x, y, x_mid])
        assert same(y.grad, x + 2 * y) and same(x.grad, 2 * x + y)
        assert same(x_mid.grad, 2 * x_mid + y)
        # an input the graph does not reach keeps grad None (no allow_unused needed)
        out.backward(ones, create_graph=True, inputs=[z])
    assert z.grad is None
    x.grad = y.grad = x_mid.grad = None


def test_backward_inputs_does_not_run_unrelated_accumulators(lib):
    def explode(*args):
        raise RuntimeError("must not run")

    a = lib.tensor(1.0, requires_grad=True)
    a.register_hook(explode)
    b = lib.tensor(1.0, requires_grad=True)
    c = a.clone()
    c.grad_fn.next_functions[0][0].register_hook(explode)
    (a + b + c).sum().backward(inputs=[b])
    assert b.grad.item() == 1.0


def test_backward_to_an_unreachable_input_leaves_it_none(lib):
    class Identity(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            raise AssertionError("this node must not run")

    x = Identity.apply(lib.randn(1, requires_grad=True) * 2)
    y = lib.randn(1, requires_grad=True)
    lib.autograd.backward(x, inputs=(y,))
    assert y.grad is None


# ---------------------------------------------------------------------------
# autograd.grad


def test_grad_returns_gradients_without_touching_dot_grad(lib):
    x = lib.randn(2, 2, requires_grad=True)
    y = lib.randn(2, 2, requires_grad=True)
    z = x ** 2 + y * x + y ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z.backward(lib.ones(2, 2), create_graph=True)
    gx, gy = 2 * x + y, x + 2 * y
    assert same(x.grad, gx) and same(y.grad, gy)
    grad_sum = 2 * x.grad + y.grad
    (hv,) = lib.autograd.grad(outputs=[grad_sum], grad_outputs=[lib.ones(2, 2)], inputs=[x],
                              create_graph=True)
    assert values(hv).tolist() == [[5.0, 5.0]] * 2
    assert same(x.grad, gx) and same(y.grad, gy)
    x.grad = y.grad = None


def test_grad_shape_mismatch_message(lib):
    x = lib.randn(2, 2, requires_grad=True)
    out = x * 3
    with pytest.raises(RuntimeError) as info:
        lib.autograd.grad(outputs=[out], grad_outputs=[lib.ones(2)], inputs=[x])
    assert str(info.value) == ("Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) "
                               "and output[0] has a shape of torch.Size([2, 2]).")


def test_grad_of_non_leaf_inputs_in_a_loop(lib):
    x0 = lib.randn(2, 2, requires_grad=True)
    y = lib.randn(2, 2, requires_grad=True)
    ones = lib.ones(2, 2)

    def fn(t):
        return t ** 2 + y * t + y ** 2

    x = x0
    for _ in range(4):
        (gx,) = lib.autograd.grad(fn(x), x, grad_outputs=ones, create_graph=True)
        assert same(gx, 2 * x + y)
        assert y.grad is None and x0.grad is None
        x = x + 0.05 * gx
    assert fn(x).sum().item() > fn(x0).sum().item()
    x.backward(ones)
    assert y.grad is not None and x0.grad is not None


def test_grad_of_two_outputs_of_one_node(lib):
    x = lib.randn(4, 2, requires_grad=True)
    a, b = x.chunk(2)
    called = []
    x.register_hook(lambda g: called.append(g))
    go = lib.randn(2, 2)
    ga, gb = lib.autograd.grad(a + 2 * b, [a, b], grad_outputs=go, create_graph=True)
    assert same(ga, go) and same(gb, go * 2)
    assert not called and x.grad is None


def test_grad_unreachable_inputs(lib):
    x = lib.ones(1, requires_grad=True)
    y = lib.ones(1, requires_grad=True)
    _ = x * 2, y * 2
    gx, gy = lib.autograd.grad(x * 2, [x, y], allow_unused=True)
    assert values(gx).tolist() == [2.0] and gy is None
    z = lib.ones(1, requires_grad=True)
    gx, gz = lib.autograd.grad(x * 2, [x, z], allow_unused=True)
    assert values(gx).tolist() == [2.0] and gz is None
    with pytest.raises(RuntimeError, match="Set allow_unused=True"):
        lib.autograd.grad(x * 2, [x, y], allow_unused=False)


def test_grad_does_not_run_nodes_that_cannot_reach_the_inputs(lib):
    class Tripwire(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            raise AssertionError("this node must not run")

    x = Tripwire.apply(lib.randn(1, requires_grad=True) * 2)
    y = lib.randn(1, requires_grad=True)
    assert lib.autograd.grad(x, (y,), allow_unused=True) == (None,)
    x = Tripwire.apply(lib.randn(1, requires_grad=True) * 2)
    z = lib.randn(1, requires_grad=True)
    gy, gz = lib.autograd.grad(x + z, (y, z), allow_unused=True)
    assert gy is None and gz is not None


def test_grad_without_requires_grad_raises(lib):
    x = lib.ones(1)
    y = x ** 2
    with pytest.raises(RuntimeError, match="does not require grad"):
        lib.autograd.grad(x, y)
    with pytest.raises(RuntimeError, match="does not require grad"):
        lib.autograd.grad(y, x)
    x = lib.ones(1, requires_grad=True)
    (g,) = lib.autograd.grad(x ** 2, x)
    assert values(g).tolist() == [2.0]


def test_grad_with_empty_inputs_raises(lib):
    x = lib.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="`inputs` argument to `grad\\(\\)` cannot be empty"):
        lib.autograd.grad(2 * x, [], grad_outputs=lib.tensor([1.0]))


def test_grad_materialize_grads(lib):
    x = lib.tensor(0.5, requires_grad=True)
    a = lib.tensor(1.0, requires_grad=True)
    y = x * a
    dydx = lib.autograd.grad(y, x, create_graph=True)
    (none,) = lib.autograd.grad(dydx, x, create_graph=True, allow_unused=True)
    (d2,) = lib.autograd.grad(dydx, x, create_graph=True, allow_unused=True,
                              materialize_grads=True)
    (d3,) = lib.autograd.grad(d2, x, materialize_grads=True)
    assert none is None and d2.item() == 0 and d3.item() == 0
    with pytest.raises(ValueError, match="Expected allow_unused to be True or not passed when"):
        lib.autograd.grad(y, x, allow_unused=False, materialize_grads=True)


def test_materialized_unused_grads_do_not_require_grad(lib):
    x = lib.ones(4, requires_grad=True)
    y = lib.ones(4, requires_grad=True)
    g = lib.autograd.grad((x ** 2).sum(), (x, y), allow_unused=True, materialize_grads=True)
    assert not g[0].requires_grad and not g[1].requires_grad
    assert values(g[1]).tolist() == [0.0] * 4


def test_grad_in_shards_then_backward_the_rest(lib):
    leaves = [lib.zeros(3, 3, requires_grad=True) for _ in range(6)]
    mids = [leaf * i + leaf * leaf for i, leaf in enumerate(leaves)]
    loss = sum(m * i for i, m in enumerate(mids)).sum()
    d_mids = []
    for start in range(0, len(mids), 2):
        d_mids.extend(lib.autograd.grad(loss, mids[start:start + 2], retain_graph=True))
    lib.autograd.backward(mids, d_mids)
    for i, leaf in enumerate(leaves):
        assert same(leaf.grad, i * i * (1 + leaf.detach()))


def test_grad_with_a_batched_grad_output_is_refused_or_matches(lib):
    # sourcediff has no vmap: is_grads_batched must not silently do something else
    x = lib.randn(2, 2, requires_grad=True)
    out = x.clone()
    batched = lib.arange(3.0).reshape(3, 1, 1).expand(3, 2, 2)
    try:
        (g,) = lib.autograd.grad(out, (x,), (batched,), is_grads_batched=True)
    except NotImplementedError:
        return
    assert same(g, batched)


# ---------------------------------------------------------------------------
# accumulation into .grad


def test_accumulation_is_in_place_without_create_graph(lib):
    x = lib.randn(3, 3, requires_grad=True)
    y = x + 2
    ones = lib.ones(3, 3)
    y.backward(ones, retain_graph=True)
    first, snapshot = x.grad, x.grad.clone()
    y.backward(ones)
    assert same(first, snapshot * 2)


def test_accumulation_is_out_of_place_with_create_graph(lib):
    x = lib.randn(3, 3, requires_grad=True)
    y = x + 2
    ones = lib.ones(3, 3)
    y.backward(ones, retain_graph=True)
    first, snapshot = x.grad, x.grad.clone()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y.backward(ones, create_graph=True)
    assert same(first, snapshot)
    assert same(x.grad, snapshot * 2)


@pytest.mark.parametrize("create_graph", [False, True])
def test_accumulation_keeps_the_grad_object_only_without_create_graph(lib, create_graph):
    p = lib.tensor([1.5, 1.5]).requires_grad_()
    p.grad = lib.tensor([1.5, 1.5])
    before = p.grad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p.backward(lib.tensor([1.5, 1.5]), create_graph=create_graph)
    assert (before is p.grad) == (not create_graph)
    assert values(p.grad).tolist() == [3.0, 3.0]


def test_non_contiguous_gradient_is_copied_into_grad(lib):
    seen = {}

    class Add(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            seen["ptr"] = g.data_ptr()
            return g, g

    class Broadcast(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.size = a.size()
            return lib.tensor([1.0])

        @staticmethod
        def backward(ctx, g):
            return lib.ones(1).expand(ctx.size)

    a = lib.randn(3, 4, requires_grad=True)
    b = lib.randn(3, 4, requires_grad=True)
    Broadcast.apply(Add.apply(a, b)).backward()
    assert a.grad.data_ptr() != seen["ptr"] and b.grad.data_ptr() != seen["ptr"]
    assert a.grad.is_contiguous() and values(a.grad).tolist() == [[1.0] * 4] * 3
    a.grad = b.grad = None
    Add.apply(a, b)[1][0].backward()
    # the two leaves never share one buffer; one of them may reuse the computed one
    assert a.grad.data_ptr() != b.grad.data_ptr()
    assert seen["ptr"] in (a.grad.data_ptr(), b.grad.data_ptr())


def test_given_gradients_are_not_modified(lib):
    leaf = lib.rand(2, 2, requires_grad=True)
    out1, out2 = leaf.clone(), leaf * 1
    g1 = lib.rand(2, 2)
    g1_copy = g1.clone()
    lib.autograd.backward((out1, out2), (g1, lib.rand(2, 2)))
    assert same(g1, g1_copy)


def test_sharing_one_upstream_gradient_keeps_buffers_apart(lib):
    # two leaves receive the very same gradient tensor; growing one must not grow the other
    a = lib.zeros(3, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    (a + b).sum().backward()
    with lib.no_grad():
        a.grad.mul_(5)
    assert values(b.grad).tolist() == [1.0, 1.0, 1.0]


# ---------------------------------------------------------------------------
# graph structure and misc


def test_next_functions_of_add(lib):
    x = lib.randn(2, 2, requires_grad=True)
    y = lib.randn(2, 2, requires_grad=True)
    a = x + y
    nf = a.grad_fn.next_functions
    assert len(nf) == 2
    assert all(type(n).__name__ == "AccumulateGrad" and i == 0 for n, i in nf)
    b = a + 5
    assert b.grad_fn.next_functions[0][0] is a.grad_fn
    assert b.grad_fn.next_functions[1][0] is None


def test_accumulate_grad_node_name(lib):
    x = lib.ones(2, requires_grad=True)
    acc = (x * 2).grad_fn.next_functions[0][0]
    assert acc.name() == "torch::autograd::AccumulateGrad"
    assert acc.variable is x


def test_grad_fn_called_directly(lib):
    x = lib.ones(1, requires_grad=True)
    y = x ** 2
    g = y.grad_fn(x.detach())  # one input edge: a tensor, not a tuple
    assert values(g).tolist() == [2.0]
    with pytest.raises(TypeError, match="expected .* arguments, got .* instead"):
        y.grad_fn(x.detach(), x.detach())
    with pytest.raises(TypeError, match="expected .* arguments, got .* instead"):
        y.grad_fn()


def test_requires_grad_propagates(lib):
    x, y = lib.randn(2, 2), lib.randn(2, 2)
    z = lib.randn(2, 2, requires_grad=True)
    a = x + y
    assert not a.requires_grad
    b = a + z
    assert b.requires_grad
    b.backward(lib.ones(2, 2))
    assert x.grad is None and a.grad is None


def test_integer_results_do_not_require_grad(lib):
    inp = lib.rand(4, requires_grad=True)
    for out in (inp.argmax(), inp.argmin(), (inp > 0.5), inp.max(0)[1]):
        assert not out.dtype.is_floating_point and not out.requires_grad


def test_pickle_keeps_values_and_requires_grad(lib):
    x = lib.randn(3, 3, requires_grad=True)
    y = lib.randn(3, 3)
    for protocol in range(3):
        xc, yc = pickle.loads(pickle.dumps([x, y], protocol=protocol))
        assert same(xc, x) and same(yc, y)
        assert xc.requires_grad and not yc.requires_grad


def test_attribute_deletion_rules(lib):
    x = lib.randn(3, requires_grad=True)
    del x.grad
    assert x.grad is None
    with pytest.raises(RuntimeError):
        del x.data
    with pytest.raises(TypeError):
        x.data = None
    with pytest.raises(RuntimeError):
        del x.requires_grad


def test_shape_is_a_sequence(lib):
    x = lib.randn(3, 4)
    assert len(x.shape) == 2 and x.shape[0] == 3 and x.shape[1] == 4


def test_deep_graph_backward_and_free(lib):
    x = lib.randn(1, requires_grad=True)
    y = x.clone()
    for _ in range(20000):
        y = y + y * 1e-6
    y.backward()
    assert math.isfinite(x.grad.item())
    del y  # freeing a long chain must not overflow the stack


def test_deep_custom_function_chain_is_freed(lib):
    class Copy(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a.clone()

        @staticmethod
        def backward(ctx, g):
            return g

    x = lib.randn(1, requires_grad=True)
    y = x.clone()
    for _ in range(20000):
        y = Copy.apply(y)
    del y


def test_traversal_survives_unreferenced_cycles(lib):
    import gc

    def make():
        inp = lib.randn(6, requires_grad=True)
        tmp = inp.view(6, 1)
        out = tmp.view(6)
        cycle = [tmp]
        cycle.append(cycle)
        return out

    out = make()
    gc.collect()
    out.backward(lib.randn(6))
