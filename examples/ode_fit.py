"""Fit the damping and frequency of an oscillator to noisy observations.

The model is the damped harmonic oscillator

    x'' = -2 * gamma * x' - omega**2 * x,      x(0) = 1, x'(0) = 0,

integrated with a classic fourth-order Runge-Kutta loop written in plain
Python. The loss (mean squared error against the observations) is one
function with nested loops; ``sd.grad`` turns it into its adjoint, so the
gradient with respect to ``(gamma, omega)`` costs about one more integration,
whatever the number of steps. That is the "adjoint method" for ODEs, derived
from the source of the integrator instead of by hand.

Run:
    python examples/ode_fit.py

The fit is plain gradient descent with momentum (no SciPy needed); the loss
printed every few iterations goes down, and the recovered parameters end up
next to the true ones.
"""

from __future__ import annotations

import time

import numpy as np

import sourcediff as sd

DT = 0.01  # integrator step
STEPS_PER_OBSERVATION = 10  # one observation every 0.1 time units
N_OBSERVATIONS = 80  # observed over t in (0, 8]


def simulate(params, n_obs, steps, dt):
    """x(t) at the observation times, for params = (gamma, omega) (used to make data)."""
    gamma = params[0]
    omega = params[1]
    x = 1.0
    v = 0.0
    out = np.zeros(n_obs)
    for k in range(n_obs):
        for _ in range(steps):
            x, v = rk4_step(x, v, gamma, omega, dt)
        out[k] = x
    return out


def rk4_step(x, v, gamma, omega, dt):
    """One Runge-Kutta 4 step of (x, v)' = (v, -2 gamma v - omega^2 x)."""
    k1x = v
    k1v = -2.0 * gamma * v - omega * omega * x
    k2x = v + 0.5 * dt * k1v
    k2v = -2.0 * gamma * k2x - omega * omega * (x + 0.5 * dt * k1x)
    k3x = v + 0.5 * dt * k2v
    k3v = -2.0 * gamma * k3x - omega * omega * (x + 0.5 * dt * k2x)
    k4x = v + dt * k3v
    k4v = -2.0 * gamma * k4x - omega * omega * (x + dt * k3x)
    return (
        x + dt / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x),
        v + dt / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v),
    )


def loss(params, observed, steps, dt):
    """Mean squared error between the RK4 trajectory and the observations.

    Plain loops calling ``rk4_step``: this is what sourcediff differentiates
    (with respect to ``params``, argument 0).
    """
    gamma = params[0]
    omega = params[1]
    x = 1.0
    v = 0.0
    total = 0.0
    n_obs = len(observed)
    for k in range(n_obs):
        for _ in range(steps):
            # a call to another plain function: its own adjoint is generated
            x, v = rk4_step(x, v, gamma, omega, dt)
        residual = x - observed[k]
        total += residual * residual
    return total / n_obs


def main() -> None:
    rng = np.random.default_rng(0)
    true_params = np.array([0.15, 2.0])  # gamma (damping), omega (angular frequency)
    clean = simulate(true_params, N_OBSERVATIONS, STEPS_PER_OBSERVATION, DT)
    observed = clean + 0.01 * rng.standard_normal(N_OBSERVATIONS)

    # The gradient of the loss with respect to params (argument 0), compiled with Numba.
    loss_grad = sd.grad(loss, wrt=0, target="cpu")

    params = np.array([0.5, 1.6])  # initial guess
    start = time.perf_counter()
    loss_grad(params, observed, STEPS_PER_OBSERVATION, DT)  # transform + compile once
    print(f"first call (transform + compile): {time.perf_counter() - start:.2f} s")

    # Gradient descent with momentum. The loss is much steeper in omega than
    # in gamma, so each parameter gets its own step size.
    learning_rate = np.array([0.05, 0.02])
    momentum = 0.9
    velocity = np.zeros_like(params)
    start = time.perf_counter()
    for iteration in range(1, 201):
        g = loss_grad(params, observed, STEPS_PER_OBSERVATION, DT)
        velocity = momentum * velocity - learning_rate * g
        params = params + velocity
        if iteration == 1 or iteration % 20 == 0:
            current = loss(params, observed, STEPS_PER_OBSERVATION, DT)
            print(
                f"  iteration {iteration:4d}   loss = {current:.6f}   "
                f"gamma = {params[0]:.4f}   omega = {params[1]:.4f}"
            )
    print(f"fit time: {time.perf_counter() - start:.2f} s")

    print(f"true      gamma = {true_params[0]:.4f}   omega = {true_params[1]:.4f}")
    print(f"recovered gamma = {params[0]:.4f}   omega = {params[1]:.4f}")
    print(
        f"noise floor (loss of the true parameters): "
        f"{loss(true_params, observed, STEPS_PER_OBSERVATION, DT):.6f}"
    )


if __name__ == "__main__":
    main()
