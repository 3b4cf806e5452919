"""A tester's probes of aliasing, loop state and helpers (reverse mode,
forward mode, Hessian-vector products): programs that crashed inside the
library before their fix.  Gradients against central differences, tangents
against directional differences."""
from __future__ import annotations

import numpy as np
import pytest

from tests.fdcheck import check_grad
from tests.forward.jvpcheck import check_hvp, check_jvp


def stored_then_rebound_after_a_loop(x):
    # (the planner asked whether a generated counter's constant was a view:
    # TypeError inside passes/views.py)
    c = x * 2.0
    c[:] = x
    for t in range(2):
        a = np.tanh(c)
    if t > 0:
        a = a * 3.0
    return np.sum(a)


def strided_adds_then_a_loop(x):
    a = x.astype(np.float64)
    b = x * 0.5
    c = x + 0.0
    for t in range(3):
        c[::2] += b[1::2] * x[1::2]
        if t > 0:
            pass
    for t in range(4):
        b += np.cos(a)
    return np.sum(np.sin(c))


X6 = np.linspace(-0.9, 1.1, 6)


@pytest.mark.parametrize("f", [stored_then_rebound_after_a_loop, strided_adds_then_a_loop])
def test_gradient_tangent_and_hessian_products(f):
    check_grad(f, (X6,), 0, "python")
    check_jvp(f, (X6,), 0, "python")
    check_hvp(f, (X6,), 0, "python")


def scale_inplace(a, s):
    a *= s


def scaled_by_a_helper(x):
    z = x.copy()
    scale_inplace(z, 3.0)
    return np.sum(z * x)


def test_a_helpers_in_place_update_reaches_the_caller():
    # it said the update "does not reach the caller" (NumPy's does) and offered '+=';
    # then it was refused with the remedy 'a[:] *= s'
    check_grad(scaled_by_a_helper, (X6,), 0, "python")
    check_jvp(scaled_by_a_helper, (X6,), 0, "python")
    check_hvp(scaled_by_a_helper, (X6,), 0, "python")


def swapped_after_a_shifted_store(x):
    # b's array, saved before b = b * 2.0, becomes a (the swap, through the
    # normalizer's temporaries) and is stored into next iteration while a view
    # of it is taped: it went on a stack of copies, so the put-back reached the
    # copy and the view read stored values (d/dx1 -2.22 for -4.8)
    a = x + 0.0
    b = x + 0.0
    for t in range(2):
        a[1:] = a[:-1] * x[:-1]
        b = b * 2.0
        if t > 5:
            pass
        a, b = b, a
    return np.sum(a)


def test_a_swapped_buffer_stored_into_is_restored_itself():
    x = np.array([0.3, -1.2, 0.7, 1.5])
    check_grad(swapped_after_a_shifted_store, (x,), 0, "python")
    check_hvp(swapped_after_a_shifted_store, (x,), 0, "python")
    check_grad(swapped_after_a_shifted_store, (x,), 0, "cpu")
