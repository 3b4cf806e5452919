"""The bridge: an @sd.function called with Tensors is one graph node whose
backward runs the compiled adjoint."""
import math

import numpy as np
import pytest

import sourcediff as sd


@sd.function
def energy(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s += w * math.sin(x[i]) ** 2
    return s


@sd.function
def vector_valued(x, w):
    return np.tanh(x * w) * 2.0


@sd.function
def two_results(x):
    return x * 2.0, np.sum(x)


def test_backward_flows_through_the_compiled_adjoint_on_both_sides():
    x = sd.tensor([0.1, 0.5, 0.9], dtype=sd.float64, requires_grad=True)
    w = sd.tensor(2.0, dtype=sd.float64, requires_grad=True)
    y = energy(x * 2, w)
    assert type(y.grad_fn).__name__ == "energyBackward"
    (y * 3 + (x ** 2).sum()).backward()
    xn = x.detach().numpy()
    expected_x = 3 * 2.0 * 2 * np.sin(2 * xn) * np.cos(2 * xn) * 2 + 2 * xn
    np.testing.assert_allclose(x.grad.numpy(), expected_x, rtol=1e-12)
    np.testing.assert_allclose(w.grad.item(), 3 * np.sum(np.sin(2 * xn) ** 2), rtol=1e-12)


@sd.function
def huber(r, delta=1.0):
    s = 0.0
    for i in range(r.shape[0]):
        a = abs(r[i])
        s += 0.5 * r[i] * r[i] if a <= delta else delta * (a - 0.5 * delta)
    return s


def test_keyword_arguments_beside_tensors_as_pytorch_takes_them():
    rn = np.array([0.3, -2.0, 1.4])
    want = np.where(np.abs(rn) <= 1.5, rn, 1.5 * np.sign(rn))
    for call in (lambda r: huber(r, delta=1.5), lambda r: huber(r=r, delta=1.5),
                 lambda r: huber(delta=1.5, r=r)):
        r = sd.tensor(rn, dtype=sd.float64, requires_grad=True)
        y = call(r)
        y.backward()
        assert y.item() == pytest.approx(huber(rn, 1.5), rel=1e-12)
        np.testing.assert_allclose(r.grad.numpy(), want, rtol=1e-12)
    r = sd.tensor(rn, dtype=sd.float64, requires_grad=True)
    huber(r).backward()                         # the default delta
    np.testing.assert_allclose(r.grad.numpy(), np.clip(rn, -1.0, 1.0), rtol=1e-12)
    with pytest.raises(TypeError, match="delta"):
        huber(r, 1.5, delta=2.0)


def test_value_matches_the_plain_call():
    xn = np.array([0.3, -0.4])
    y = energy(sd.tensor(xn, dtype=sd.float64, requires_grad=True), 1.5)
    assert y.item() == pytest.approx(energy(xn, 1.5), rel=1e-12)


def test_float32_tensors_get_float32_gradients():
    x = sd.tensor([0.1, 0.2], requires_grad=True)
    energy(x, 1.0).backward()
    assert x.grad.dtype == sd.float32
    np.testing.assert_allclose(x.grad.numpy(), np.sin(2 * np.array([0.1, 0.2])), rtol=1e-5)


def test_tensor_without_requires_grad_gives_a_value_without_graph():
    y = energy(sd.tensor([0.1, 0.2], dtype=sd.float64), 1.0)
    assert y.grad_fn is None and not y.requires_grad


def test_an_array_result_is_a_tensor_whose_backward_is_a_vjp():
    # (it was refused: "value_and_grad of vector_valued() needs a scalar result")
    x0, w0 = np.array([0.3, -0.8, 1.2]), 0.7
    x = sd.tensor(x0.copy(), dtype=sd.float64, requires_grad=True)
    w = sd.tensor(w0, dtype=sd.float64, requires_grad=True)
    y = vector_valued(x, w)
    assert type(y.grad_fn).__name__ == "vector_valuedBackward" and tuple(y.shape) == (3,)
    np.testing.assert_allclose(y.detach().numpy(), np.tanh(x0 * w0) * 2.0, rtol=1e-12)
    weights = np.array([1.0, -2.0, 0.5])
    (y * sd.tensor(weights)).sum().backward()
    slope = 2.0 * (1.0 - np.tanh(x0 * w0) ** 2) * weights
    np.testing.assert_allclose(x.grad.numpy(), slope * w0, rtol=1e-12)
    assert float(w.grad.numpy()) == pytest.approx(np.sum(slope * x0), rel=1e-12)
    x32 = sd.tensor([0.1, 0.2], requires_grad=True)
    y32 = vector_valued(x32, 1.5)
    assert y32.dtype == sd.float32
    y32.sum().backward()
    assert x32.grad.dtype == sd.float32


def test_an_array_result_differentiated_twice_raises():
    x = sd.tensor(np.array([0.3, -0.8]), dtype=sd.float64, requires_grad=True)
    g, = sd.autograd.grad(vector_valued(x, 0.7).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="second derivative through @sd.function "
                                           "vector_valued") as info:
        sd.autograd.grad(g.sum(), x)
    assert "return the number you differentiate" in str(info.value)


def test_a_tuple_result_is_refused_with_a_clear_error():
    with pytest.raises(TypeError, match="two_results\\(\\) returned a tuple"):
        two_results(sd.tensor([1.0, 2.0], requires_grad=True))


def test_second_derivatives_flow_through_the_node():
    # create_graph=True: the node's gradient is differentiated again (its second
    # derivative was dropped: d2/dx2 came out as 2 from the x ** 2 term alone)
    x0, w0 = np.array([0.3, -0.8]), 1.7
    x = sd.tensor(x0.copy(), dtype=sd.float64, requires_grad=True)
    w = sd.tensor(w0, dtype=sd.float64, requires_grad=True)
    y = energy(x, w) + (x ** 2).sum()
    gx, gw = sd.autograd.grad(y, (x, w), create_graph=True)
    # d/dx sin(x)^2 = sin(2x); d2/dx2 = 2 cos(2x); d2/dxdw = sin(2x)
    np.testing.assert_allclose(gx.detach().numpy(), w0 * np.sin(2 * x0) + 2 * x0, rtol=1e-12)
    (gx.sum() + gw).backward()
    want_x = w0 * 2 * np.cos(2 * x0) + 2 + np.sin(2 * x0)
    want_w = np.sum(np.sin(2 * x0))
    np.testing.assert_allclose(x.grad.numpy(), want_x, rtol=1e-12)
    assert float(w.grad.numpy()) == pytest.approx(want_w, rel=1e-12)


def test_a_third_derivative_through_the_node_raises():
    # it gave the other terms' part alone ([6, 6] instead of 24 x + 6), silently
    x = sd.tensor(np.array([1.0, 2.0]), dtype=sd.float64, requires_grad=True)
    w = sd.tensor(1.0, dtype=sd.float64)
    y = energy(x, w) + (x ** 3).sum()
    g1, = sd.autograd.grad(y, x, create_graph=True)
    g2, = sd.autograd.grad(g1.sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="third derivative through @sd.function energy"):
        sd.autograd.grad(g2.sum(), x)
