"""A number each of two sibling loops sets at the top of its body before
reading it (``im1 = i - 1 if i > 0 else n - 1`` in a limiter loop and a flux
loop of one time step) is re-run in the reverse of each, from the loop index:
no slot per iteration of each loop for an index (passes/rerun.py
``_local_to_each_loop``; a new user's advection scheme kept two int64 tapes of
``nsteps * n`` for it).  A number read outside its loops keeps its saves."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def periodic_steps(u0, c, steps):
    n = u0.shape[0]
    u = u0.copy()
    unew = np.empty(n)
    face = np.empty(n)
    for t in range(steps):
        for i in range(n):
            im1 = i - 1 if i > 0 else n - 1
            face[i] = u[i] + c * np.tanh(u[i] - u[im1])
        for i in range(n):
            im1 = i - 1 if i > 0 else n - 1
            unew[i] = u[i] - c * (face[i] - face[im1])
        u, unew = unew, u
    return np.sum(u * u)


def read_after(u0, c, steps):
    """The same index also read after the loops: it is no loop's own."""
    n = u0.shape[0]
    u = u0.copy()
    im1 = 0
    for t in range(steps):
        for i in range(n):
            im1 = i - 1 if i > 0 else n - 1
            u[i] = u[i] + c * np.sin(u[im1])
        for i in range(n):
            im1 = i - 1 if i > 0 else n - 1
            u[i] = u[i] * (1.0 + 0.1 * c * u[im1])
    return np.sum(u * u) + u[im1]


ARGS = (np.random.default_rng(4).standard_normal(9), 0.3, 3)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", [periodic_steps, read_after])
def test_gradients_match_finite_differences(f, target):
    check_grad(f, ARGS, wrt=(0, 1), target=target)


def _plan(f):
    text = sd.grad(f, wrt=(0, 1), target="python").source_for(*ARGS)
    return text[text.index("# Plan:"):text.index("# -- ")]


def test_each_loop_re_runs_its_own_index():
    plan = _plan(periodic_steps)
    assert "'im1'" not in plan and "_saved_im1" not in plan, plan


def test_an_index_read_after_its_loops_is_still_put_back():
    assert "'im1'" in _plan(read_after)
