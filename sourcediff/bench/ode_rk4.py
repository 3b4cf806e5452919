"""Benchmark: the Lorenz-63 system integrated by an explicit RK4 loop.

    x' = sigma (y - x),   y' = x (rho - z) - y,   z' = x y - beta z

from ``state0 = (x0, y0, z0)`` over ``n_steps`` classic Runge-Kutta steps of
size ``dt``; the objective is ``x + y + z`` at the final time, differentiated
with respect to the parameters ``(sigma, rho, beta)`` and the initial state.
With sigma = 10, rho = 28, beta = 8/3 the trajectory is chaotic, so gradients
grow with the time span (20,000 steps of 0.0005: t = 10).

sourcediff differentiates ``lorenz_rk4`` (a plain loop); PyTorch eager and
HIPS autograd run the same function on their own scalars (tensors, boxes);
JAX runs the same step in ``lax.fori_loop`` under ``jit(value_and_grad)``.
"""

from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

TITLE = "Lorenz-63, explicit RK4 loop (float64)"
SIZES = {
    "small": {"n_steps": 50, "dt": 0.0005},
    "default": {"n_steps": 20_000, "dt": 0.0005},
    "large": {"n_steps": 200_000, "dt": 0.00005},
}
WRT = ("params", "state0")
RTOL = 1e-7  # chaos amplifies rounding differences between tools
TARGETS = {"max_over_primal": 3.0, "faster_than": "all"}
EXTRA_TOOLS = {"numba-hand": "hand_adjoint"}
NOTES = """
The generated adjoint (`sourcediff show sourcediff.bench.ode_rk4:lorenz_rk4 --wrt 0,1
--args "np.ones(3), np.ones(3), 10, 0.1"`) tapes 3 floats per step (the
loop-carried x, y, z) and recomputes the four stages in the reverse sweep,
which is also what the `numba-hand` row does: forward sweep about one primal,
reverse sweep one primal of recomputation plus the adjoint arithmetic. The
tape is three arrays with one slot per step, allocated before the loop (its
trip count is known there); what remains between the two is mostly a fixed
cost per call in Python before the compiled function runs (argument binding
and type checks, tens of microseconds), which dominates at the small size.
"""


def lorenz_rk4(params, state0, n_steps, dt):
    """x + y + z after ``n_steps`` RK4 steps of the Lorenz system (a plain loop)."""
    sigma = params[0]
    rho = params[1]
    beta = params[2]
    x = state0[0]
    y = state0[1]
    z = state0[2]
    for step in range(n_steps):
        k1x = sigma * (y - x)
        k1y = x * (rho - z) - y
        k1z = x * y - beta * z
        x2 = x + 0.5 * dt * k1x
        y2 = y + 0.5 * dt * k1y
        z2 = z + 0.5 * dt * k1z
        k2x = sigma * (y2 - x2)
        k2y = x2 * (rho - z2) - y2
        k2z = x2 * y2 - beta * z2
        x3 = x + 0.5 * dt * k2x
        y3 = y + 0.5 * dt * k2y
        z3 = z + 0.5 * dt * k2z
        k3x = sigma * (y3 - x3)
        k3y = x3 * (rho - z3) - y3
        k3z = x3 * y3 - beta * z3
        x4 = x + dt * k3x
        y4 = y + dt * k3y
        z4 = z + dt * k3z
        k4x = sigma * (y4 - x4)
        k4y = x4 * (rho - z4) - y4
        k4z = x4 * y4 - beta * z4
        x = x + dt / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
        y = y + dt / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
        z = z + dt / 6.0 * (k1z + 2.0 * k2z + 2.0 * k3z + k4z)
    return x + y + z


@register_jitable
def _lorenz(x, y, z, sigma, rho, beta):
    return sigma * (y - x), x * (rho - z) - y, x * y - beta * z


@register_jitable
def _lorenz_vjp(x, y, z, sigma, rho, beta, a1, a2, a3):
    """(a1, a2, a3) times the Jacobian of the Lorenz field at (x, y, z): the adjoints of
    x, y, z, then of sigma, rho, beta."""
    return (-sigma * a1 + (rho - z) * a2 + y * a3, sigma * a1 - a2 + x * a3, -x * a2 - beta * a3,
            (y - x) * a1, x * a2, -z * a3)


def lorenz_rk4_value_and_grad_by_hand(params, state0, n_steps, dt):
    """A hand-written adjoint of ``lorenz_rk4``: the state of every step kept in a
    preallocated array, the four stages recomputed in the reverse loop."""
    sigma, rho, beta = params[0], params[1], params[2]
    states = np.empty((n_steps, 3))
    x, y, z = state0[0], state0[1], state0[2]
    for step in range(n_steps):
        states[step, 0], states[step, 1], states[step, 2] = x, y, z
        k1x, k1y, k1z = _lorenz(x, y, z, sigma, rho, beta)
        k2x, k2y, k2z = _lorenz(x + 0.5 * dt * k1x, y + 0.5 * dt * k1y, z + 0.5 * dt * k1z,
                                sigma, rho, beta)
        k3x, k3y, k3z = _lorenz(x + 0.5 * dt * k2x, y + 0.5 * dt * k2y, z + 0.5 * dt * k2z,
                                sigma, rho, beta)
        k4x, k4y, k4z = _lorenz(x + dt * k3x, y + dt * k3y, z + dt * k3z, sigma, rho, beta)
        x = x + dt / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
        y = y + dt / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
        z = z + dt / 6.0 * (k1z + 2.0 * k2z + 2.0 * k3z + k4z)
    value = x + y + z
    ax, ay, az = 1.0, 1.0, 1.0  # adjoint of the state
    d_sigma, d_rho, d_beta = 0.0, 0.0, 0.0
    for step in range(n_steps - 1, -1, -1):
        x, y, z = states[step, 0], states[step, 1], states[step, 2]
        k1x, k1y, k1z = _lorenz(x, y, z, sigma, rho, beta)
        x2, y2, z2 = x + 0.5 * dt * k1x, y + 0.5 * dt * k1y, z + 0.5 * dt * k1z
        k2x, k2y, k2z = _lorenz(x2, y2, z2, sigma, rho, beta)
        x3, y3, z3 = x + 0.5 * dt * k2x, y + 0.5 * dt * k2y, z + 0.5 * dt * k2z
        k3x, k3y, k3z = _lorenz(x3, y3, z3, sigma, rho, beta)
        x4, y4, z4 = x + dt * k3x, y + dt * k3y, z + dt * k3z
        # stage adjoints from the update, then each stage from the last to the first
        a4x, a4y, a4z = dt / 6.0 * ax, dt / 6.0 * ay, dt / 6.0 * az
        a3x, a3y, a3z = dt / 3.0 * ax, dt / 3.0 * ay, dt / 3.0 * az
        a2x, a2y, a2z = a3x, a3y, a3z
        a1x, a1y, a1z = a4x, a4y, a4z
        bx, by, bz, ps, pr, pb = _lorenz_vjp(x4, y4, z4, sigma, rho, beta, a4x, a4y, a4z)
        d_sigma, d_rho, d_beta = d_sigma + ps, d_rho + pr, d_beta + pb
        ax, ay, az = ax + bx, ay + by, az + bz
        a3x, a3y, a3z = a3x + dt * bx, a3y + dt * by, a3z + dt * bz
        bx, by, bz, ps, pr, pb = _lorenz_vjp(x3, y3, z3, sigma, rho, beta, a3x, a3y, a3z)
        d_sigma, d_rho, d_beta = d_sigma + ps, d_rho + pr, d_beta + pb
        ax, ay, az = ax + bx, ay + by, az + bz
        a2x, a2y, a2z = a2x + 0.5 * dt * bx, a2y + 0.5 * dt * by, a2z + 0.5 * dt * bz
        bx, by, bz, ps, pr, pb = _lorenz_vjp(x2, y2, z2, sigma, rho, beta, a2x, a2y, a2z)
        d_sigma, d_rho, d_beta = d_sigma + ps, d_rho + pr, d_beta + pb
        ax, ay, az = ax + bx, ay + by, az + bz
        a1x, a1y, a1z = a1x + 0.5 * dt * bx, a1y + 0.5 * dt * by, a1z + 0.5 * dt * bz
        bx, by, bz, ps, pr, pb = _lorenz_vjp(x, y, z, sigma, rho, beta, a1x, a1y, a1z)
        d_sigma, d_rho, d_beta = d_sigma + ps, d_rho + pr, d_beta + pb
        ax, ay, az = ax + bx, ay + by, az + bz
    return value, (np.array([d_sigma, d_rho, d_beta]), np.array([ax, ay, az]))


def make_data(size: str) -> dict:
    """The classic parameters and initial state, and the steps of ``size``."""
    return {"params": np.array([10.0, 28.0, 8.0 / 3.0]),
            "state0": np.array([1.0, 1.0, 1.0]), **SIZES[size]}


def wrt_values(data: dict) -> tuple:
    """The differentiated inputs, in ``WRT`` order."""
    return data["params"], data["state0"]


def primal(data: dict):
    """``lorenz_rk4`` compiled with ``numba.njit``."""
    import numba

    compiled = numba.njit(cache=True)(lorenz_rk4)
    n_steps, dt = data["n_steps"], data["dt"]
    return lambda params, state0: compiled(params, state0, n_steps, dt)


def sourcediff(data: dict):
    """``sd.value_and_grad(lorenz_rk4, wrt=(0, 1), target="cpu")``."""
    import sourcediff as sd

    value_and_grad = sd.value_and_grad(lorenz_rk4, wrt=(0, 1), target="cpu")
    args = (data["params"], data["state0"], data["n_steps"], data["dt"])
    return lambda: value_and_grad(*args)


def hand_adjoint(data: dict):
    """``lorenz_rk4_value_and_grad_by_hand`` compiled with ``numba.njit``."""
    import numba

    by_hand = numba.njit(cache=True)(lorenz_rk4_value_and_grad_by_hand)
    args = (data["params"], data["state0"], data["n_steps"], data["dt"])
    return lambda: by_hand(*args)


def peer_jax(data: dict):
    """JAX ``jit(value_and_grad)``, the RK4 step as the body of ``lax.fori_loop``."""
    from .harness import import_jax

    jax = import_jax()
    import jax.numpy as jnp

    n_steps, dt = data["n_steps"], data["dt"]

    def objective(params, state0):
        sigma, rho, beta = params[0], params[1], params[2]

        def derivative(x, y, z):
            return sigma * (y - x), x * (rho - z) - y, x * y - beta * z

        def step(_, state):
            x, y, z = state
            k1 = derivative(x, y, z)
            k2 = derivative(x + 0.5 * dt * k1[0], y + 0.5 * dt * k1[1], z + 0.5 * dt * k1[2])
            k3 = derivative(x + 0.5 * dt * k2[0], y + 0.5 * dt * k2[1], z + 0.5 * dt * k2[2])
            k4 = derivative(x + dt * k3[0], y + dt * k3[1], z + dt * k3[2])
            return tuple(s + dt / 6.0 * (a + 2.0 * b + 2.0 * c + e)
                         for s, a, b, c, e in zip(state, k1, k2, k3, k4))

        x, y, z = jax.lax.fori_loop(0, n_steps, step, (state0[0], state0[1], state0[2]))
        return x + y + z

    value_and_grad = jax.jit(jax.value_and_grad(objective, argnums=(0, 1)))
    params, state0 = jnp.asarray(data["params"]), jnp.asarray(data["state0"])
    return lambda: jax.block_until_ready(value_and_grad(params, state0))


def peer_torch(data: dict):
    """PyTorch eager: ``lorenz_rk4`` itself on 0-d tensors, float64, one thread."""
    from .harness import import_torch

    torch = import_torch()
    params = torch.from_numpy(data["params"].copy())
    state0 = torch.from_numpy(data["state0"].copy())
    n_steps, dt = data["n_steps"], data["dt"]

    def value_and_grad():
        p = params.detach().requires_grad_(True)
        s = state0.detach().requires_grad_(True)
        value = lorenz_rk4(p, s, n_steps, dt)
        grads = torch.autograd.grad(value, (p, s))
        return value.item(), grads

    return value_and_grad


def peer_autograd(data: dict):
    """HIPS autograd: ``lorenz_rk4`` itself on autograd's boxed scalars."""
    import autograd

    n_steps, dt = data["n_steps"], data["dt"]
    value_and_grad = autograd.value_and_grad(
        lambda params, state0: lorenz_rk4(params, state0, n_steps, dt), argnum=(0, 1))
    params, state0 = data["params"], data["state0"]
    return lambda: value_and_grad(params, state0)
