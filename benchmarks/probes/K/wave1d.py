"""Damped 1-D string, leapfrog with three rotating buffers, moving point load
(linear hat between two nodes), sensor misfit over time."""
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(c, gamma, vload, amp, obs, n, nsteps, dt, dx, ksens):
    u_prev = np.zeros(n)
    u = np.zeros(n)
    u_next = np.zeros(n)
    r2 = (c * dt / dx) ** 2
    g = 0.5 * gamma * dt
    loss = 0.0
    for s in range(nsteps):
        t = s * dt
        xl = 0.1 * (n - 1) * dx + vload * t
        q = xl / dx
        jl = int(q)
        w = q - jl
        for i in range(1, n - 1):
            lap = u[i + 1] - 2.0 * u[i] + u[i - 1]
            u_next[i] = (2.0 * u[i] - (1.0 - g) * u_prev[i] + r2 * lap) / (1.0 + g)
        u_next[0] = 0.0
        u_next[n - 1] = 0.0
        if jl >= 1 and jl < n - 2:
            load = amp * dt * dt / dx / (1.0 + g)
            u_next[jl] += (1.0 - w) * load
            u_next[jl + 1] += w * load
        u_prev, u, u_next = u, u_next, u_prev
        d = u[ksens] - obs[s]
        loss += d * d
    return loss / nsteps


def make_args(small=False):
    rng = np.random.default_rng(0)
    if small:
        n, nsteps = 12, 20
    else:
        n, nsteps = 300, 2500
    dx = 1.0 / (n - 1)
    dt = 0.5 * dx
    obs = 1e-3 * rng.standard_normal(nsteps)
    return (1.1, 0.8, 0.35, 1.0, obs, n, nsteps, dt, dx, (2 * n) // 3)


WRT = (0, 1, 2)


def jax_f(c, gamma, vload, amp, obs, n, nsteps, dt, dx, ksens):
    r2 = (c * dt / dx) ** 2
    g = 0.5 * gamma * dt

    def step(carry, s):
        u_prev, u = carry
        t = s * dt
        xl = 0.1 * (n - 1) * dx + vload * t
        q = xl / dx
        jl = jnp.floor(q).astype(jnp.int32)
        w = q - jl
        lap = u[2:] - 2.0 * u[1:-1] + u[:-2]
        inner = (2.0 * u[1:-1] - (1.0 - g) * u_prev[1:-1] + r2 * lap) / (1.0 + g)
        un = jnp.zeros(n).at[1:-1].set(inner)
        ok = (jl >= 1) & (jl < n - 2)
        load = jnp.where(ok, amp * dt * dt / dx / (1.0 + g), 0.0)
        jc = jnp.clip(jl, 0, n - 2)
        un = un.at[jc].add((1.0 - w) * load).at[jc + 1].add(w * load)
        d = un[ksens] - obs[s]
        return (u, un), d * d

    _, ds = jax.lax.scan(step, (jnp.zeros(n), jnp.zeros(n)), jnp.arange(nsteps))
    return jnp.sum(ds) / nsteps


JAX_STATIC = (5, 6, 9)
