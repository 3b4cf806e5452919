"""In-place operations, version counters and the errors PyTorch raises about them."""

from __future__ import annotations

import pytest
from tensor_helpers import values

HINT = ("Hint: enable anomaly detection to find the operation that failed to compute its "
        "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")
MODIFIED = ("one of the variables needed for gradient computation has been modified by an "
            "inplace operation: ")
LEAF = "a leaf Variable that requires grad is being used in an in-place operation."


def raises_exactly(message):
    class Checker:
        def __enter__(self):
            self.ctx = pytest.raises(RuntimeError)
            self.info = self.ctx.__enter__()
            return self

        def __exit__(self, *exc):
            handled = self.ctx.__exit__(*exc)
            assert str(self.info.value) == message
            return handled

    return Checker()


def test_version_counter(lib):
    x = lib.ones(2, requires_grad=True)
    assert x._version == 0
    y = x * 1
    y.add_(1)
    assert y._version == 1 and type(y.grad_fn).__name__ == "AddBackward0"
    y.mul_(3)
    assert y._version == 2 and type(y.grad_fn).__name__ == "MulBackward0"
    y[0] = 5
    assert y._version == 3 and type(y.grad_fn).__name__ == "CopySlices"
    v = y[1:]
    v.add_(1)
    assert y._version == 4 and v._version == 4
    assert values(y).tolist() == [5.0, 7.0]


def test_views_share_version_but_data_does_not(lib):
    x = lib.ones(2, 2)
    v = x.view(4)
    d = x.detach()
    v.add_(1)
    assert x._version == 1 and d._version == 1
    x.data.mul_(2)
    assert x._version == 1
    assert values(x).tolist() == [[4.0, 4.0], [4.0, 4.0]]


def test_inplace_on_leaf_requiring_grad(lib):
    x = lib.ones(2, 2, requires_grad=True)
    with raises_exactly(LEAF):
        x.add_(1)
    with raises_exactly(LEAF):
        x += 1
    with raises_exactly("a view of a leaf Variable that requires grad is being used in an "
                        "in-place operation."):
        x[0] = 1
    with lib.no_grad():      # how optimizers update parameters
        x.sub_(0.5)
        x.mul_(2)
    assert values(x).tolist() == [[1.0, 1.0], [1.0, 1.0]] and x._version == 2


def test_modified_saved_input(lib):
    x = lib.ones(2, 2, requires_grad=True)
    a = x + 1
    b = a * a
    a.add_(1)
    with raises_exactly(MODIFIED + "[torch.FloatTensor [2, 2]], which is output 0 of Add, is at "
                        "version 1; expected version 0 instead. " + HINT):
        b.sum().backward()


def test_modified_saved_input_names_its_current_op(lib):
    x = lib.ones(2, requires_grad=True)
    a = x.exp()
    b = a * a
    a.mul_(2)
    with raises_exactly(MODIFIED + "[torch.FloatTensor [2]], which is output 0 of Mul, is at "
                        "version 1; expected version 0 instead. " + HINT):
        b.sum().backward()


def test_modified_saved_output(lib):
    x = lib.ones(2, requires_grad=True)
    b = x.exp()
    b.add_(1)
    with raises_exactly(MODIFIED + "[torch.FloatTensor [2]], which is output 0 of Exp, is at "
                        "version 1; expected version 0 instead. " + HINT):
        b.sum().backward()
    y = lib.ones(2, requires_grad=True).sigmoid()
    z = y.tanh()
    y.zero_()
    with raises_exactly(MODIFIED + "[torch.FloatTensor [2]], which is output 0 of Sigmoid, is "
                        "at version 1; expected version 0 instead. " + HINT):
        z.sum().backward()


def test_modified_leaf_and_double(lib):
    x = lib.ones(2, requires_grad=True)
    b = x * x
    with lib.no_grad():
        x.add_(1)
    with raises_exactly(MODIFIED + "[torch.FloatTensor [2]] is at version 1; expected version 0 "
                        "instead. " + HINT):
        b.sum().backward()
    x = lib.ones(2, dtype=lib.float64, requires_grad=True)
    a = x + 1
    b = a * a
    a.add_(1)
    with raises_exactly(MODIFIED + "[torch.DoubleTensor [2]], which is output 0 of Add, is at "
                        "version 1; expected version 0 instead. " + HINT):
        b.sum().backward()


def test_modified_through_detach(lib):
    x = lib.ones(2, 2, requires_grad=True)
    b = x * x
    x.detach().mul_(2)
    with raises_exactly(MODIFIED + "[torch.FloatTensor [2, 2]] is at version 1; expected "
                        "version 0 instead. " + HINT):
        b.sum().backward()


def test_unsaved_modification_is_fine(lib):
    x = lib.ones(2, requires_grad=True)
    y = x * 2          # MulBackward0 with a scalar saves nothing about y
    z = y + 1
    y.add_(1)
    z.sum().backward()
    assert values(x.grad).tolist() == [2.0, 2.0]


INPLACE_NAMES = [
    ("zero_()", "ZeroBackward0"), ("fill_(2.)", "FillBackward2"),
    ("copy_(torch.ones(2))", "CopyBackwards"), ("sub_(1)", "SubBackward0"),
    ("div_(2)", "DivBackward0"), ("clamp_(0, 1)", "ClampBackward1"), ("pow_(2)", "PowBackward0"),
    ("exp_()", "ExpBackward0"), ("neg_()", "NegBackward0"), ("mul_(w)", "MulBackward0"),
]


@pytest.mark.parametrize("call, name", INPLACE_NAMES, ids=[c[0] for c in INPLACE_NAMES])
def test_inplace_grad_fn_names(lib, call, name):
    w = lib.ones(2, requires_grad=True)
    y = w * 1
    eval("y." + call, {"y": y, "w": w, "torch": lib})
    assert type(y.grad_fn).__name__ == name


def test_inplace_gradients(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.mul_(x)            # y = x * x, the old y must be kept for x's gradient
    y.add_(x, alpha=2)   # y = x^2 + 2x
    y.sum().backward()
    assert values(x.grad).tolist() == [4.0, 6.0]
    x.grad = None
    y = x * 2
    y.zero_()
    y.add_(x)
    y.sum().backward()
    assert values(x.grad).tolist() == [1.0, 1.0]


def test_inplace_into_plain_tensor_joins_the_graph(lib):
    w = lib.ones(2, requires_grad=True)
    x = lib.ones(2)
    x.mul_(w)
    assert not x.is_leaf and type(x.grad_fn).__name__ == "MulBackward0"
    x.sum().backward()
    assert values(w.grad).tolist() == [1.0, 1.0]


def test_setitem_gradients(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = lib.tensor([10.0], requires_grad=True)
    y = x * 2
    y[1] = v * 3          # CopySlices: the old y[1] no longer matters
    (y * lib.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert values(x.grad).tolist() == [2.0, 0.0, 200.0]
    assert values(v.grad).tolist() == [30.0]
    x.grad = None
    y = x * 1
    y[[0, 2]] = lib.tensor([7.0, 8.0])
    y.sum().backward()
    assert values(x.grad).tolist() == [0.0, 1.0, 0.0]


def test_inplace_through_view(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[1:]
    v.mul_(10)
    assert type(y.grad_fn).__name__ == "CopySlices"
    assert values(y).tolist() == [1.0, 20.0, 30.0]
    y.sum().backward()
    assert values(x.grad).tolist() == [1.0, 10.0, 10.0]


def test_inplace_dtype_rules(lib):
    x = lib.tensor([1, 2])
    with raises_exactly("result type Float can't be cast to the desired output type Long"):
        x.add_(1.5)
    x.add_(1)
    assert x.tolist() == [2, 3]
    y = lib.ones(2, 2)
    y += lib.tensor([1.0, 2.0])     # broadcast into self is fine
    assert values(y).tolist() == [[2.0, 3.0], [2.0, 3.0]]
    with raises_exactly("output with shape [2] doesn't match the broadcast shape [2, 2]"):
        lib.ones(2).add_(lib.ones(2, 2))


def test_iadd_returns_same_object(lib):
    x = lib.ones(2)
    x_id = id(x)
    x += 1
    x *= 3
    x -= 1
    x /= 5
    assert id(x) == x_id and values(x).tolist() == [1.0, 1.0]
