"""In-place operations, the version counter, views, ``detach``/``detach_``, indexing.

Facts taken from PyTorch's ``TestAutograd`` (test/test_autograd.py), rewritten
as module-level tests that run against sourcediff and against torch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from tensor_helpers import values


def same(a, b, tol=1e-5) -> bool:
    return np.allclose(values(a), values(b), rtol=tol, atol=tol)


MODIFIED = "modified by an inplace operation"


# ---------------------------------------------------------------------------
# version counter and saved tensors


def test_inplace_versus_saved_tensors(lib):
    x = lib.ones(3, 3, requires_grad=True)
    y = (lib.ones(3, 3) * 4).requires_grad_()
    z = x * y
    q = z + y
    w = z * y
    z.add_(2)
    q.backward(lib.ones(3, 3), retain_graph=True)  # add saves nothing
    with pytest.raises(RuntimeError):
        w.backward(lib.ones(3, 3))  # mul saved z

    z = x * y
    q = z * y
    r = z + y
    w = z.add_(y)
    w.backward(lib.ones(3, 3), retain_graph=True)
    r.backward(lib.ones(3, 3), retain_graph=True)
    with pytest.raises(RuntimeError):
        q.backward(lib.ones(3, 3))

    with lib.no_grad():
        x.grad.zero_()
    m = x / 2
    z = m + y / 8
    q = z * y
    r = z + y
    before = z._version
    w = z.exp_()
    assert z._version != before
    r.backward(lib.ones(3, 3), retain_graph=True)
    assert same(x.grad, lib.ones(3, 3) / 2)
    w.backward(lib.ones(3, 3), retain_graph=True)
    assert same(x.grad, lib.full((3, 3), (1 + math.e) / 2))
    with pytest.raises(RuntimeError):
        q.backward(lib.ones(3, 3))


def test_inplace_on_a_clone_of_a_leaf(lib):
    leaf = lib.ones(3, 3, requires_grad=True)
    x = leaf.clone()
    x.add_(10)
    assert same(x, lib.ones(3, 3) * 11)
    y = x + 2
    y.backward(lib.ones(3, 3))
    assert same(leaf.grad, lib.ones(3, 3))
    z = x * y
    x.add_(2)
    with pytest.raises(RuntimeError):
        z.backward(lib.ones(3, 3))


def test_version_counter_is_shared_with_views_and_kept_by_data_assignment(lib):
    x = lib.randn(1, 2)
    v0 = x._version
    x.add_(1).add_(1)
    assert x._version > v0
    xz = x[:]
    assert x._version == xz._version
    xz.add_(1)
    assert x._version == xz._version
    v1 = x._version
    x.data = lib.randn(2, 3)
    assert x._version == v1
    x.add_(1)
    assert x._version > v1 and x._version == xz._version
    xz.add_(1)
    assert x._version == xz._version


def test_data_assignment_checks_the_dtype(lib):
    a = lib.tensor(1.0, requires_grad=True)
    a.data = lib.tensor(2.0)
    with pytest.raises(RuntimeError, match="must be floating point or complex dtype"):
        a.data = lib.tensor(3, dtype=lib.int64)


def test_data_assignment_keeps_the_python_object(lib):
    a, b = lib.randn(1, 2), lib.randn(1, 2)
    identity = id(b)
    b.data = a
    assert id(b) == identity


def test_no_grad_inplace_still_bumps_the_version(lib):
    x = lib.randn(5, requires_grad=True)
    y = lib.randn(5, requires_grad=True)
    z = (x * y).sum()
    with lib.no_grad():
        x *= 2
    with pytest.raises(RuntimeError, match=MODIFIED):
        z.backward()


def test_inplace_on_a_detached_alias_is_detected(lib):
    x = lib.randn([], requires_grad=True)
    y = x ** 2
    z = x.detach()
    z.zero_()
    with pytest.raises(RuntimeError, match="has been modified by an inplace"):
        y.backward()


def test_unnecessary_saves_are_elided(lib):
    mu = lib.ones(1, requires_grad=True)
    x = lib.empty(1)
    loss = 0
    for i in range(3):
        x.detach_()
        x.copy_(mu + i)
        loss += (x * lib.tensor([float(i)])).sum()
    loss.backward()
    assert values(mu.grad).tolist() == [3.0]


def test_index_backward_does_not_save_the_indexed_tensor(lib):
    a = lib.tensor([1.0, 0, 0])
    b = lib.zeros(3, requires_grad=True)
    t = b + 0
    t[a != 0] = t[a != 0]
    t.backward(lib.zeros_like(t))


def test_version_error_message_names_the_tensor_and_the_op(lib):
    a = lib.randn(5, requires_grad=True)
    d1 = a + 1
    d2 = d1 ** 2
    d1 += 1
    with pytest.raises(RuntimeError) as info:
        lib.autograd.grad(d2.sum(), a)
    message = str(info.value)
    assert "[torch.FloatTensor [5]], which is output 0 of Add, is at version 1; " \
           "expected version 0 instead." in message


# ---------------------------------------------------------------------------
# in-place on leaves and requires_grad


def test_inplace_on_a_leaf_that_requires_grad_raises(lib):
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used "
                                           "in an in-place operation."):
        lib.ones(2, requires_grad=True).add_(1)


def test_inplace_with_an_operand_that_requires_grad(lib):
    a = lib.randn(3, 3)
    b = lib.randn(3, 3, requires_grad=True)
    a += b
    assert a.requires_grad
    a = lib.randn(3, 3) + 0
    a += b
    assert a.requires_grad


def test_inplace_before_requires_grad(lib):
    a = lib.randn(2, 3)
    a.add_(5)
    a.requires_grad = True
    a.sum().backward()
    assert values(a.grad).tolist() == [[1.0] * 3] * 2

    a = lib.randn(2, 3)
    b = a[:]
    b.add_(5)
    a.requires_grad = True
    a.sum().backward()
    assert values(a.grad).tolist() == [[1.0] * 3] * 2

    a = lib.randn(2, 3)
    b = a[:]
    a.requires_grad = True
    with pytest.raises(RuntimeError):
        a.add_(5)
    with pytest.raises(RuntimeError):
        b.add_(5)


def test_requires_grad_underscore(lib):
    x = lib.randn(3)
    y = lib.randn(3, requires_grad=True)
    assert x.requires_grad_() is x and x.requires_grad
    assert y.requires_grad_() is y and y.requires_grad
    assert x.requires_grad_(True) is x and x.requires_grad
    z = x * y
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf "
                                           "variables. If you want to use a computed variable"):
        z.requires_grad_(False)
    assert z.requires_grad_() is z and z.requires_grad
    assert z.requires_grad_(True) is z and z.requires_grad
    # the attribute refuses a non-leaf either way; only requires_grad_(True) is a no-op
    with pytest.raises(RuntimeError, match="^you can only change requires_grad flags of leaf "
                                           "variables.$"):
        z.requires_grad = True
    assert x.requires_grad_(False) is x and not x.requires_grad
    assert y.requires_grad_(False) is y and not y.requires_grad


def test_leaf_assignment_through_setitem(lib):
    x = lib.randn(5, 5)
    y = lib.randn(5, requires_grad=True)
    z = lib.randn(5, requires_grad=True)
    x[0] = y
    x[1] = 2 * z
    assert x.requires_grad and x.grad_fn is not None
    x.sum().backward()
    assert values(y.grad).tolist() == [1.0] * 5
    assert values(z.grad).tolist() == [2.0] * 5


def _setitem_case(lib, size, index):
    x = lib.ones(*size, requires_grad=True)
    y = x + 2
    v = y._version
    y[index] = 2
    assert y._version != v
    y.backward(lib.ones(*size))
    expected = np.ones(size)
    expected[index] = 0
    assert values(x.grad).tolist() == expected.tolist()


SETITEM_CASES = [
    ((5, 5), 1), ((5,), 1), ((1,), 0), ((10,), [0, 4, 2]), ((5, 5), ([0, 4], [2, 2])),
    ((5, 5, 5), (slice(None), slice(None), [1, 3])), ((5, 5, 5), (slice(None), [1, 3])),
    ((5, 5, 5), ([1, 3], slice(None), slice(None))), ((5, 5, 5), (slice(None), [2, 4], [1, 3])),
    ((5, 5, 5), ([1, 3], [2, 4], slice(None))),
]


@pytest.mark.parametrize("size, index", SETITEM_CASES, ids=[str(c) for c in SETITEM_CASES])
def test_setitem_with_a_constant(lib, size, index):
    _setitem_case(lib, size, index)


SETITEM_TENSOR_CASES = [
    ((5, 5), 3), ((5, 5), ([0, 1], [1, 0])), ((5,), 3), ((5,), ([0, 1, 2, 3],)),
    ((5, 5, 5), (slice(None), slice(None), [1, 3])), ((5, 5, 5), ([1, 3], slice(None))),
    ((5, 5, 5), (slice(None), [2, 4], [1, 3])), ((5, 5, 5), ([1, 3], [2, 4], slice(None))),
]


@pytest.mark.parametrize("size, index", SETITEM_TENSOR_CASES,
                         ids=[str(c) for c in SETITEM_TENSOR_CASES])
def test_setitem_with_a_tensor_that_requires_grad(lib, size, index):
    x = lib.ones(*size, requires_grad=True)
    y = x + 2
    value = lib.full(tuple(x[index].shape), 7.0).requires_grad_()
    y[index] = value
    y.backward(lib.ones(*size))
    expected = np.ones(size)
    expected[index] = 0
    assert values(x.grad).tolist() == expected.tolist()
    assert values(value.grad).tolist() == np.ones(tuple(value.shape)).tolist()


def test_setitem_broadcasts_the_value(lib):
    x = lib.randn(4, requires_grad=True)
    y = lib.zeros(2, 3, 4)
    y[1] = x
    y.backward(lib.randn(2, 3, 4))
    assert tuple(x.grad.shape) == (4,)


def test_setitem_with_a_mask(lib):
    lib.manual_seed(3)
    mask = lib.rand(5, 5) > 0.5
    _setitem_case(lib, (5, 5), mask)
    _setitem_case(lib, (5,), mask[0])


# ---------------------------------------------------------------------------
# indexing


INDEX_CASES = [
    1, (1, 1), slice(1, None), slice(None, 2), (slice(None, 2), 2), (slice(1, 2), 2),
    (1, slice(2, None)), (slice(None), slice(2, None)), [0, 2], (Ellipsis, slice(2, None)),
    ([0], [0]), ([1, 2, 3], [0]), ([1, 2], [2, 1]), ([[1, 2], [3, 0]], [[0, 1], [2, 3]]),
    (slice(None), [2, 3]), ([2, 3], slice(None)), ([0],),
]


@pytest.mark.parametrize("index", INDEX_CASES, ids=[str(c) for c in INDEX_CASES])
def test_indexing_gradient(lib, index):
    data = lib.arange(1.0, 17).view(4, 4)
    y = data.clone().requires_grad_()
    picked = y[index]
    assert same(picked, data[index])
    picked.sum().backward()
    expected = np.zeros((4, 4))
    expected[index] = 1
    assert values(y.grad).tolist() == expected.tolist()


def test_indexing_with_repeated_indices_accumulates(lib):
    y = lib.arange(1.0, 17).view(4, 4).requires_grad_()
    idx = [1, 1, 3, 2, 1, 2]
    y[lib.tensor(idx)].sum().backward()
    expected = np.zeros((4, 4))
    for i in idx:
        expected[i] += 1
    assert values(y.grad).tolist() == expected.tolist()

    y = lib.arange(1.0, 17).view(4, 4).requires_grad_()
    y[[[1, 2], [0, 0]], [[0, 1], [1, 1]]].sum().backward()
    assert values(y.grad).tolist() == [[0.0, 2.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0],
                                       [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]

    y = lib.arange(1.0, 65).view(4, 4, 4).requires_grad_()
    y[[1, 1, 1], :, :].sum().backward()
    expected = np.zeros((4, 4, 4))
    expected[1] = 3
    assert values(y.grad).tolist() == expected.tolist()


def test_select_and_slice_with_expanded_gradients(lib):
    a = lib.rand(4, 4, 4, requires_grad=True)
    v = lib.rand(4).expand(4, 4)
    (g,) = lib.autograd.grad(a[0], a, v)
    expected = np.zeros((4, 4, 4))
    expected[0] = values(v)
    assert same(g, lib.tensor(expected, dtype=lib.float32))
    v = lib.rand(4, 1).expand(2, 4, 4)
    (g,) = lib.autograd.grad(a[1:3], a, v)
    expected = np.zeros((4, 4, 4))
    expected[1:3] = values(v)
    assert same(g, lib.tensor(expected, dtype=lib.float32))


def test_select_then_sum_is_twice_differentiable(lib):
    x = lib.randn(6, dtype=lib.double, requires_grad=True)
    assert lib.autograd.gradcheck(lambda t: t.select(0, 1).sum(), [x])
    assert lib.autograd.gradgradcheck(lambda t: t.select(0, 1).sum(), [x])


# ---------------------------------------------------------------------------
# views and in-place on views


def test_inplace_on_a_view_of_a_leaf_raises(lib):
    x = lib.zeros(1, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is "
                                           "being used in an in-place operation."):
        x.view_as(x).add_(1)
    a = lib.rand(6, requires_grad=True).narrow(0, 0, 6)
    with pytest.raises(RuntimeError):
        a.relu_()


def test_inplace_on_a_view_rebases_the_view(lib):
    base = lib.zeros(3)
    v = base[:2]
    v.mul_(lib.ones(2, requires_grad=True))
    assert type(v.grad_fn).__name__ == "AsStridedBackward0"
    assert type(base.grad_fn).__name__ == "CopySlices"
    assert v.grad_fn.next_functions[0][0] is base.grad_fn


def test_other_views_see_an_inplace_made_through_one_view(lib):
    leaf = lib.ones(2, requires_grad=True)
    b = leaf.clone()
    v1, v2 = b[:], b[:]
    v1.mul_(3)
    v2.sum().backward()
    assert values(leaf.grad).tolist() == [3.0, 3.0]
    assert type(v2.grad_fn).__name__ == "AsStridedBackward0"


def test_hooks_of_a_view_do_not_follow_a_regenerated_grad_fn(lib):
    count = [0]

    def fail(grad):
        raise AssertionError("this hook belongs to an outdated grad_fn")

    def expect_one(grad):
        count[0] += 1
        assert values(grad).tolist() == [1.0]

    base = lib.tensor([1.0], requires_grad=True).clone()
    view = base[:]
    view2 = base[:]
    view.register_hook(fail)
    view2.register_hook(fail)
    view.mul_(2)
    view2.grad_fn  # noqa: B018 - the access brings view2 up to date
    view2.register_hook(expect_one)
    (view + view2).sum().backward()
    assert count[0] == 1


def test_inplace_on_a_view_keeps_the_graph_alive(lib):
    import gc

    a = lib.arange(10.0, requires_grad=True)
    b = a.narrow(0, 0, 2).clone().view(-1)
    b.relu_()
    c = b.clone()
    del b
    gc.collect()
    s = c.sum()
    s.backward()
    assert s.item() == 1.0


def test_view_made_under_no_grad_cannot_be_modified_with_grad(lib):
    with lib.no_grad():
        y = lib.ones(2, requires_grad=True)[:]
    # the view inherits requires_grad as a leaf of its own, and may not be modified with grad
    assert y.requires_grad and y.grad_fn is None and y.is_leaf and y._is_view()
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode and is being "
                                           "modified inplace with grad mode enabled."):
        y.add_(1)


def test_inplace_on_a_view_of_a_no_grad_view_chain(lib):
    x = lib.zeros(2)
    with lib.no_grad():
        y = x.view(2)
    y.requires_grad_(True)
    z = y.view(2)
    with pytest.raises(RuntimeError, match="a view of a view .* is being .* inside the no_grad "
                                           "block"):
        z /= 2


def test_views_in_grad_mode_without_requires_grad_can_be_modified(lib):
    for grad_mode in (True, False):
        inp = lib.rand(2).clone()
        with lib.set_grad_enabled(grad_mode):
            out = inp.view_as(inp)
        assert out._is_view()
        out.add_(1)


# ---------------------------------------------------------------------------
# detach


def test_detach_and_detach_(lib):
    x = lib.randn(4, 4, requires_grad=True)
    y = (x + 2).detach()
    z = y * 4 + 2
    assert not y.requires_grad and not z.requires_grad

    x = lib.randn(4, 4, requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.grad_fn is None
    (x + y).sum().backward()
    assert values(x.grad).tolist() == [[1.0] * 4] * 4

    x = lib.randn(4, 4, requires_grad=True)
    y = lib.randn(4, 4, requires_grad=True)
    a = x * 2
    (y + a).sum().backward(retain_graph=True)
    a.detach_()
    assert not a.requires_grad
    (y + a).sum().backward()
    assert values(x.grad).tolist() == [[2.0] * 4] * 4
    assert values(y.grad).tolist() == [[2.0] * 4] * 4


def test_detach_of_a_view_in_place_raises(lib):
    x = lib.randn(6, 6, requires_grad=True)
    with pytest.raises(RuntimeError, match="Can't detach views in-place. Use detach\\(\\) "
                                           "instead."):
        x.narrow(0, 1, 4).detach_()


def test_detaching_the_base_does_not_detach_its_views(lib):
    x = lib.randn(6, 6, requires_grad=True)
    view = x.narrow(0, 1, 4)
    x.detach_()
    assert not x.requires_grad
    assert view.requires_grad and view.grad_fn is not None
    assert view._base is x


def test_type_conversions_are_differentiable(lib):
    f = lib.randn(3, 3).float().requires_grad_()
    f.double().sum().backward()
    assert values(f.grad).tolist() == [[1.0] * 3] * 3 and f.grad.dtype == lib.float32
    d = lib.randn(3, 3).double().requires_grad_()
    d.float().sum().backward()
    assert values(d.grad).tolist() == [[1.0] * 3] * 3 and d.grad.dtype == lib.float64


# ---------------------------------------------------------------------------
# pow at zero


@pytest.mark.parametrize("size, exponent", [((6,), "zeros"), ((3, 3), "zeros"), ((6,), 0)])
def test_pow_of_zero_to_the_zero_has_zero_gradient(lib, size, exponent):
    inp = lib.zeros(*size, requires_grad=True)
    e = lib.zeros(*size) if exponent == "zeros" else exponent
    inp.pow(e).sum().backward()
    assert inp.grad.abs().sum().item() == 0


def test_power_gradient_with_respect_to_the_exponent_at_zero(lib):
    a = lib.tensor([0.0, 0.0, 0.0])
    b = lib.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    lib.sum(a ** b).backward()
    assert values(b.grad).tolist() == [-math.inf, 0.0, 0.0]
    b = lib.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    lib.sum(0 ** b).backward()
    assert values(b.grad).tolist() == [-math.inf, 0.0, 0.0]


# ---------------------------------------------------------------------------
# in-place on views, through the base (ported from TestAutogradDeviceType)


def test_inplace_on_a_view_backprops_through_the_base(lib):
    root = lib.randn(2, 2, requires_grad=True)
    x = root.clone()
    x.narrow(0, 0, 1).mul_(2)
    x.sum().backward()
    assert values(root.grad).tolist() == [[2.0, 2.0], [1.0, 1.0]]


def test_inplace_on_a_view_backprops_through_a_sibling_view(lib):
    root = lib.randn(2, 2, requires_grad=True)
    x = root.clone()
    v1 = x.narrow(0, 0, 1)
    v2 = x.narrow(0, 0, 1)
    v1.mul_(2)
    v2.sum().backward()
    assert values(root.grad).tolist() == [[2.0, 2.0], [0.0, 0.0]]


def test_inplace_on_a_view_of_a_view(lib):
    root = lib.randn(2, 2, requires_grad=True)
    x = root.clone()
    x.narrow(0, 0, 1).narrow(1, 1, 1).mul_(2)
    x.sum().backward()
    assert values(root.grad).tolist() == [[1.0, 2.0], [1.0, 1.0]]


def test_inplace_on_a_view_of_a_non_contiguous_base(lib):
    root = lib.ones(2, 3, 2).select(2, 1).t().requires_grad_(True)
    x = root.clone()
    x.narrow(0, 0, 1).narrow(1, 1, 1).mul_(2)
    x.sum().backward()
    assert values(root.grad).tolist() == [[1.0, 2.0], [1.0, 1.0], [1.0, 1.0]]


def test_view_grad_fn_renewed_under_no_grad(lib):
    a = lib.ones(3, 1, dtype=lib.double, requires_grad=True)
    b = a * 2
    c = b.view_as(b)
    c[0][0] = 3
    with lib.no_grad():
        c.grad_fn  # noqa: B018 - forces the view's graph to be brought up to date
    c.sum().backward()
    assert values(a.grad).tolist() == [[0.0], [2.0], [2.0]]


def test_inplace_on_views_passes_gradcheck(lib):
    a = lib.randn(4, 4, dtype=lib.double, requires_grad=True)
    b = lib.randn(2, 2, dtype=lib.double, requires_grad=True)

    def func(root, w):
        x = root.clone()
        x.narrow(1, 2, 2).narrow(0, 1, 2).mul_(w)
        x.narrow(1, 0, 2).narrow(0, 1, 2).mul_(w)
        return x

    assert lib.autograd.gradcheck(func, [a, b])
    go = lib.randn(4, 4, dtype=lib.double, requires_grad=True)
    assert lib.autograd.gradgradcheck(func, (a, b), (go,))


def test_inplace_on_a_view_makes_the_base_require_grad(lib):
    a = lib.randn(4, 4, dtype=lib.double)
    b = lib.randn(4, 2, dtype=lib.double, requires_grad=True)

    def func(root, w):
        x = root.clone()
        assert not x.requires_grad
        x.narrow(1, 2, 2).mul_(w)
        assert x.requires_grad
        return x

    assert lib.autograd.gradcheck(func, [a, b])
    go = lib.randn(4, 4, dtype=lib.double, requires_grad=True)
    assert lib.autograd.gradgradcheck(func, (a, b), (go,))


def test_inplace_on_a_view_backprops_through_the_view(lib):
    a = lib.tensor([2.0, 5.0])
    b = lib.tensor([3.0], requires_grad=True)
    res = a.narrow(0, 1, 1).mul_(b)
    res.sum().backward()
    assert values(b.grad).tolist() == [5.0]
    assert not a.is_leaf  # the in-place change put a in the graph
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert a.grad is None


def test_inplace_on_a_base_makes_its_views_require_grad(lib):
    r = lib.ones(1, dtype=lib.double, requires_grad=True)

    def fn(r):
        x = lib.ones(5, dtype=lib.double)
        v = x.select(0, 1)
        assert not v.requires_grad and v.grad_fn is None
        x.add_(r)  # v now depends on r through the in-place change of its base
        assert v.requires_grad
        return v

    assert lib.autograd.gradcheck(fn, [r])
    assert lib.autograd.gradgradcheck(fn, [r])


def test_custom_inplace_function_on_views(lib):
    class PyAdd(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.mark_dirty(x)
            x.add_(y)
            return x

        @staticmethod
        def backward(ctx, g):
            return g, g

    a = lib.randn(4, 4, dtype=lib.double, requires_grad=True)
    b = lib.randn(2, 2, dtype=lib.double, requires_grad=True)

    def func(root, w):
        x = root.clone()
        PyAdd.apply(x.narrow(1, 2, 2).narrow(0, 1, 2), w)
        PyAdd.apply(x.narrow(1, 0, 2).narrow(0, 1, 2), w)
        return x

    assert lib.autograd.gradcheck(func, [a, b])
    go = lib.randn(4, 4, dtype=lib.double, requires_grad=True)
    assert lib.autograd.gradgradcheck(func, (a, b), (go,))


def test_matrix_vector_gradient_of_an_expanded_vector(lib):
    mat = lib.randn(2, 2, dtype=lib.double)
    vec = lib.randn(1, dtype=lib.double).requires_grad_(True)

    def fn(v):
        return (mat @ v.expand(2)).sum()

    assert lib.autograd.gradcheck(fn, (vec,))
    assert lib.autograd.gradgradcheck(fn, (vec,))
