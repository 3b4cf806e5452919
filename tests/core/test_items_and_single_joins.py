"""``x.item()`` and joins of one array (``np.hstack((x,))``, ``np.vstack([x])``), as NumPy
computes them: refused before as unsupported; now each is what NumPy gives (a number, a
copy), checked against finite differences, forward mode and NumPy's own values."""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forward"))
from fdcheck import check_grad
from jvpcheck import check_jvp


def item_of_sum(x):
    s = np.sum(x * x).item()
    return s * 2.0


def item_of_element(x):
    return x[1].item() * x[0]


def item_at_flat_index(m):
    return m.item(4) * 3.0 + m.item(0) ** 2


def item_at_position(m):
    return np.sin(m.item(1, 2)) * m.item(0, 0)


def item_of_one_element_array(x):
    y = x[1:2] * 2.0
    return y.item() ** 2 + np.sum(x)


def hstack_of_one(x):
    y = np.hstack((x,))
    y[0] = 5.0                      # a copy: x is not written
    return np.sum(x * x) + np.sum(y * y * x)


def vstack_of_one(x):
    y = np.vstack([x])
    return np.sum(y * y) + y.shape[0] * y[0, 1]


def vstack_of_a_matrix(m):
    y = np.vstack((m,))
    return np.sum(np.sin(y) * m)


def all_of_them(x, m):
    """The forms above in one function: one cpu compile for all of them."""
    return (item_of_sum(x) + item_of_element(x) + item_at_flat_index(m) + item_at_position(m)
            + item_of_one_element_array(x) + hstack_of_one(x) + vstack_of_one(x)
            + vstack_of_a_matrix(m))


X = np.array([0.3, 0.7, 1.1])
M = np.array([[0.2, -0.4, 0.9], [1.3, 0.5, -0.8]])
CASES = [(item_of_sum, (X,)), (item_of_element, (X,)), (item_at_flat_index, (M,)),
         (item_at_position, (M,)), (item_of_one_element_array, (X,)), (hstack_of_one, (X,)),
         (vstack_of_one, (X,)), (vstack_of_a_matrix, (M,))]


@pytest.mark.parametrize("f, args", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_and_tangent_python(f, args):
    check_grad(f, args, wrt=0, target="python")
    check_jvp(f, args, wrt=0, target="python")


def test_gradient_compiled():
    check_grad(all_of_them, (X, M), wrt=(0, 1), target="cpu")


def test_values_are_numpys():
    for f, args in CASES:
        value, _ = sd.value_and_grad(f, target="python")(*args)
        assert value == pytest.approx(f(*args), rel=1e-14), f.__name__
    assert X[0] == 0.3          # hstack_of_one wrote into its copy only


def test_item_is_a_number_and_is_read_as_one():
    text = sd.value_and_grad(item_of_sum, target="python").source_for(X)
    assert "item_of(" in text
    text = sd.value_and_grad(item_at_flat_index, target="python").source_for(M)
    assert "np.ravel(m)" in text


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_item_of_a_larger_array_raises_numpys_error(target):
    def first(x):
        return x.item() * 2.0

    with pytest.raises(ValueError, match="size 1"):
        sd.value_and_grad(first, target=target)(X)


def test_column_stack_of_one_array_stays_a_located_error():
    def cols(x):
        return np.sum(np.column_stack([x]))

    with pytest.raises(sd.TransformError, match=r"column_stack\(\) of one array"):
        sd.grad(cols, target="python")(X)


def test_item_with_keywords_is_a_located_error():
    def kw(x):
        return x.item(index=0)

    with pytest.raises(sd.TransformError, match="takes no keywords"):
        sd.grad(kw, target="python")(X)
