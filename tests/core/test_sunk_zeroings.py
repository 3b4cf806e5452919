"""The adjoint buffers a loop's forward part zeroes in every iteration, which
nothing else in that loop mentions (a neural ODE's RK4 stages ``dx2 =
np.zeros_like(x2)``, ``_dt3[:] = 0.0`` in the forward part of a sample loop
run fused: the reverse of the steps runs after all of them), are zeroed once,
after the loop (passes/hoist_adjoints.py ``sink_adjoint_zeroings``)."""
from __future__ import annotations

import re

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def field(x, W1, b1, W2, b2):
    h = np.tanh(W1 @ x + b1)
    return W2 @ h + b2


def neural_ode(W1, b1, W2, b2, X0, XT, nsteps, dt):
    loss = 0.0
    for s in range(X0.shape[0]):
        x = X0[s].copy()
        for k in range(nsteps):
            k1 = field(x, W1, b1, W2, b2)
            k2 = field(x + 0.5 * dt * k1, W1, b1, W2, b2)
            x = x + dt * k2
        d = x - XT[s]
        loss += np.sum(d * d)
    return loss


rng = np.random.default_rng(9)
ARGS = (0.8 * rng.standard_normal((3, 2)), 0.1 * rng.standard_normal(3),
        0.5 * rng.standard_normal((2, 3)), 0.1 * rng.standard_normal(2),
        rng.standard_normal((2, 2)), rng.standard_normal((2, 2)), 3, 0.1)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_gradient_matches_finite_differences(target):
    check_grad(neural_ode, ARGS, wrt=(0, 2), target=target)


def test_the_steps_forward_part_zeroes_no_adjoint():
    text = sd.grad(neural_ode, wrt=(0, 2), target="python").source_for(*ARGS)
    fused = text[text.index("# -- last loop"):]
    start = re.search(r"\n(\s+)for k in range\(nsteps\):", fused)
    indent = start.group(1)
    body = fused[start.end():]
    # the forward loop's body: up to the next line indented as the loop itself
    end = re.search(rf"\n{indent}\S", body)
    steps = body[:end.start()]
    assert "np.zeros_like(" not in steps and "[:] = 0.0" not in steps, steps
