"""A state a time loop carries, read after its update only by statements whose
adjoints add into its adjoint (``d = I - obs[k]``, an observation of the new
state): it is kept once per iteration, at the start of it, like the states no
statement reads after their update (passes/planner.py ``carried_vars``), and
every stage value computed from it is recomputed in reverse instead of stored
before each overwrite (an SEIR fit by RK4: nine values stored per step ->
four).  Gradients against central differences on both targets."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def sir_fit(beta, gamma, I0, obs, dt, nsteps):
    S = 1.0 - I0
    I = I0
    loss = 0.0
    k = 0
    for step in range(nsteps):
        a1 = -beta * S * I
        c1 = beta * S * I - gamma * I
        S2 = S + 0.5 * dt * a1
        I2 = I + 0.5 * dt * c1
        a2 = -beta * S2 * I2
        c2 = beta * S2 * I2 - gamma * I2
        S = S + dt * a2
        I = I + dt * c2
        if (step + 1) % 4 == 0:
            d = I - obs[k]
            loss += d * d
            k += 1
    return loss


def scaled_observation(beta, gamma, I0, obs, dt, nsteps):
    """The same, observed through a product: its adjoint reads the new state,
    which the start-of-iteration copy does not hold."""
    S = 1.0 - I0
    I = I0
    loss = 0.0
    for step in range(nsteps):
        a1 = -beta * S * I
        c1 = beta * S * I - gamma * I
        S = S + dt * a1
        I = I + dt * c1
        d = I * I - obs[step % 3]
        loss += d * d
    return loss


ARGS = (2.1, 0.6, 0.05, np.linspace(0.05, 0.2, 3), 0.3, 12)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", [sir_fit, scaled_observation])
def test_gradient_matches_finite_differences(f, target):
    check_grad(f, ARGS, wrt=(0, 1, 2, 3), target=target)


def _plan(f):
    text = sd.value_and_grad(f, wrt=(0, 1, 2), target="python").source_for(*ARGS)
    return text[text.index("# Plan:"):text.index("# -- ")]


def test_an_observed_state_is_kept_once_per_iteration():
    plan = _plan(sir_fit)
    assert "'I', 'S' (carried from one iteration to the next" in plan, plan
    assert "'I2'" not in plan and "'S2'" not in plan, plan


def test_a_state_whose_observation_reads_it_is_stored_before_its_overwrite():
    plan = _plan(scaled_observation)
    assert "'I', 'S' (carried" not in plan, plan
