"""An adjoint buffer whose first loop stores each element once is made with
``np.empty_like`` and the loop's adds become stores (passes/first_stores.py):
the code written, gradients at every length where it matters (0, 1, 2
elements: the loop runs not at all or once), and the shapes that keep their
zeros."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.bench.programs.rosen import rosen_one_liner, rosen_temporaries
from tests.fdcheck import check_grad


def squares_per_element(x, w):
    """Every element once, in a loop of its full length."""
    s = 0.0
    for i in range(x.shape[0]):
        s += w * x[i] * x[i]
    return s


def all_but_the_last(x):
    """The last element gets no add: its zero must stay."""
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += x[i] * x[i] * x[i]
    return s


def added_twice(x):
    """A second loop adds into the buffer again: the first stores, the second adds."""
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    for i in range(x.shape[0]):
        s += 3.0 * x[i]
    return s


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("n", [1, 2, 3, 9])
@pytest.mark.parametrize("f", [rosen_temporaries, rosen_one_liner, squares_per_element,
                               all_but_the_last, added_twice],
                         ids=lambda f: f.__name__)
def test_gradient_matches_finite_differences(f, n, target):
    x = np.linspace(-0.9, 1.1, n)
    args, wrt = ((x, 0.7), (0, 1)) if f is squares_per_element else ((x,), 0)
    # (value_and_grad's value: on the python target; one compile less on cpu)
    check_grad(f, args, wrt=wrt, target=target, check_value=target == "python")


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_no_elements(target):
    for f in (rosen_temporaries, squares_per_element):
        args = (np.zeros(0), 0.7) if f is squares_per_element else (np.zeros(0),)
        value, g = sd.value_and_grad(f, target=target)(*args)
        assert value == 0.0 and g.shape == (0,)


def _grad_code(f, *args):
    text = sd.grad(f, target="python").source_for(*args)
    return text[text.index(f"def {f.__name__}_grad"):]


def test_the_buffer_is_stored_not_zeroed_and_added():
    code = _grad_code(rosen_temporaries, np.ones(4))
    assert "dx = np.empty_like(x)" in code and "dx[i] = dx_i" in code
    assert "if (x.shape[0] - 1 >= 0):" in code and "dx[x.shape[0] - 1] = dx_i" in code
    assert "dx[i] +=" not in code
    code = _grad_code(squares_per_element, np.ones(4), 0.7)
    assert "dx = np.empty_like(x)" in code and "dx[i] = " in code


@pytest.mark.parametrize("f", [all_but_the_last, added_twice], ids=lambda f: f.__name__)
def test_a_buffer_not_covered_by_its_first_loop_keeps_its_zeros(f):
    code = _grad_code(f, np.ones(4))
    if f is all_but_the_last:
        assert "dx = np.zeros_like(x)" in code and "np.empty_like" not in code
    else:       # the first reverse loop (the second in the source) stores, the next adds
        assert "dx = np.empty_like(x)" in code and code.count("dx[i] += ") == 1
