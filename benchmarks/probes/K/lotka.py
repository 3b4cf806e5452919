"""Lotka-Volterra by RK2 (midpoint) with `while t < T`, last step shortened by
h = min(h, T - t), running tracking cost + terminal cost. d/d params and T."""
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(theta, z0, T, h0, nmax, xbar, ybar):
    a = theta[0]
    b = theta[1]
    c = theta[2]
    d = theta[3]
    x = z0[0]
    y = z0[1]
    t = 0.0
    k = 0
    J = 0.0
    while t < T and k < nmax:
        h = min(h0, T - t)
        fx = a * x - b * x * y
        fy = d * x * y - c * y
        xm = x + 0.5 * h * fx
        ym = y + 0.5 * h * fy
        gx = a * xm - b * xm * ym
        gy = d * xm * ym - c * ym
        x = x + h * gx
        y = y + h * gy
        t += h
        k += 1
        J += h * ((x - xbar) ** 2 + (y - ybar) ** 2)
    return J + 10.0 * ((x - xbar) ** 2 + (y - ybar) ** 2)


def make_args(small=False):
    theta = np.array([1.1, 0.4, 0.4, 0.1])
    z0 = np.array([10.0, 4.0])
    T, h0 = (0.537, 0.05) if small else (40.0037, 1e-3)
    nmax = int(T / h0) + 10  # safety cap on the number of steps
    return (theta, z0, T, h0, nmax, 4.0, 2.75)


WRT = (0, 1, 2)


def jax_f(theta, z0, T, h0, nmax, xbar, ybar):
    a, b, c, d = theta[0], theta[1], theta[2], theta[3]

    def step(carry, _):
        x, y, t, J = carry
        active = t < T
        h = jnp.where(active, jnp.minimum(h0, T - t), 0.0)
        fx = a * x - b * x * y
        fy = d * x * y - c * y
        xm = x + 0.5 * h * fx
        ym = y + 0.5 * h * fy
        gx = a * xm - b * xm * ym
        gy = d * xm * ym - c * ym
        x = x + h * gx
        y = y + h * gy
        t = t + h
        J = J + h * ((x - xbar) ** 2 + (y - ybar) ** 2)
        return (x, y, t, J), None

    (x, y, t, J), _ = jax.lax.scan(step, (z0[0], z0[1], 0.0 * T, 0.0 * T), None, length=nmax)
    return J + 10.0 * ((x - xbar) ** 2 + (y - ybar) ** 2)


JAX_STATIC = (3, 4)
