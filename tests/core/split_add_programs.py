"""Programs whose reverse sweeps add into several rows of one adjoint buffer in
a loop LLVM can vectorize (tests/core/test_split_adds.py)."""
import math

import numpy as np


def conduction_swap(u0, k0, beta, dt, steps):
    """2-D heat with a conductivity growing with temperature, nested loops, a
    buffer swap: the reverse adds into five elements of ``du`` on three rows."""
    ny, nx = u0.shape
    u = u0.copy()
    un = np.zeros_like(u0)
    for step in range(steps):
        for i in range(1, ny - 1):
            for j in range(1, nx - 1):
                uc = u[i, j]
                kc = k0 * (1.0 + beta * uc * uc)
                ke = k0 * (1.0 + beta * u[i, j + 1] * u[i, j + 1])
                kn = k0 * (1.0 + beta * u[i - 1, j] * u[i - 1, j])
                fe = 0.5 * (kc + ke) * (u[i, j + 1] - uc)
                fw = kc * (uc - u[i, j - 1])
                fn = 0.5 * (kc + kn) * (u[i - 1, j] - uc)
                fs = kc * (uc - u[i + 1, j])
                un[i, j] = uc + dt * (fe - fw + fn - fs)
        u, un = un, u
    s = 0.0
    for i in range(ny):
        for j in range(nx):
            s += u[i, j] * u[i, j] * (1.0 + 0.1 * i)
    return s


def conduction_copy_back(u0, k0, beta, dt, steps):
    """The same update written with a lap temporary and a copy back into ``u``."""
    ny, nx = u0.shape
    u = u0.copy()
    un = u0.copy()
    for step in range(steps):
        for i in range(1, ny - 1):
            for j in range(1, nx - 1):
                uc = u[i, j]
                kc = k0 * (1.0 + beta * uc * uc)
                lap = u[i + 1, j] + u[i - 1, j] + u[i, j + 1] + u[i, j - 1] - 4.0 * uc
                un[i, j] = uc + dt * kc * lap
        for i in range(1, ny - 1):
            for j in range(1, nx - 1):
                u[i, j] = un[i, j]
    return np.sum(u * u)


def row_differences(a, w):
    """Adds into ``da[i, j]`` and ``da[i + 1, j]``: two rows, one element each."""
    s = 0.0
    for i in range(a.shape[0] - 1):
        for j in range(a.shape[1]):
            d = a[i + 1, j] - a[i, j]
            s += w[j] * d * d
    return s


def row_differences_exp(a, w):
    """The same with ``exp`` in the loop: it stays scalar, so nothing is split."""
    s = 0.0
    for i in range(a.shape[0] - 1):
        for j in range(a.shape[1]):
            d = a[i + 1, j] - a[i, j]
            s += w[j] * math.exp(-d * d)
    return s


def row_differences_triangle(a):
    """A triangular nest: the inner loop's length changes with ``i``."""
    s = 0.0
    for i in range(a.shape[0] - 1):
        for j in range(i + 1):
            d = a[i + 1, j] - a[i, j]
            s += d * d
    return s


def row_differences_np_sqrt(a, w):
    """With ``np.sqrt`` of a number: the same intrinsic as ``math.sqrt``, so it splits."""
    s = 0.0
    for i in range(a.shape[0] - 1):
        for j in range(a.shape[1]):
            d = a[i + 1, j] - a[i, j]
            s += w[j] * np.sqrt(1.0 + d * d) + np.abs(d) * w[j]
    return s


def upwinded_swap(u0, nu, dt, steps):
    """Burgers' equation upwinded by an ``if`` on the sign of u[i]: the reverse
    adds into du[i - 1] or du[i + 1] by the branch taken."""
    n = u0.shape[0]
    u = u0.copy()
    un = np.empty(n)
    for k in range(steps):
        un[0] = u[0]
        un[n - 1] = u[n - 1]
        for i in range(1, n - 1):
            if u[i] > 0.0:
                adv = u[i] * (u[i] - u[i - 1])
            else:
                adv = u[i] * (u[i + 1] - u[i])
            diff = nu * (u[i + 1] - 2.0 * u[i] + u[i - 1])
            un[i] = u[i] + dt * (diff - adv)
        u, un = un, u
    return np.sum(u * u)


def upwinded_copy_back(u0, nu, dt, steps):
    """The same with a conditional expression and the new values copied back."""
    n = u0.shape[0]
    u = u0.copy()
    un = np.empty(n)
    for k in range(steps):
        for i in range(1, n - 1):
            back = u[i] - u[i - 1] if u[i] > 0.0 else u[i + 1] - u[i]
            un[i] = u[i] + dt * (nu * (u[i + 1] - 2.0 * u[i] + u[i - 1]) - u[i] * back)
        for i in range(1, n - 1):
            u[i] = un[i]
    return np.sum(u * u)
