"""Periodic-review inventory, order-up-to level S, lead time L (ring buffer
pipeline), lost sales sold = min(stock, demand), price-dependent demand,
holding / shortage / ordering costs. loss = -profit. d/d S, price."""
import math
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(S, price, base, L, cost, hold, short, elast):
    T = base.shape[0]
    pipe = np.zeros(L)
    stock = S
    profit = 0.0
    scale = math.exp(-elast * (price - 10.0))
    for t in range(T):
        slot = t % L
        stock += pipe[slot]
        pipe[slot] = 0.0
        dem = base[t] * scale
        sold = min(stock, dem)
        stock -= sold
        lost = dem - sold
        position = stock
        for l in range(L):
            position += pipe[l]
        order = max(S - position, 0.0)
        pipe[slot] = order
        profit += price * sold - cost * order - hold * stock - short * lost
    return -profit / T


def make_args(small=False):
    rng = np.random.default_rng(0)
    T = 25 if small else 60000
    base = rng.gamma(4.0, 5.0, T)
    return (75.0, 12.0, base, 3, 6.0, 0.1, 2.0, 0.08)


WRT = (0, 1)
JAX_STATIC = (3,)


def jax_f(S, price, base, L, cost, hold, short, elast):
    T = base.shape[0]
    scale = jnp.exp(-elast * (price - 10.0))

    def step(c, inp):
        stock, pipe = c
        t, b = inp
        slot = t % L
        stock = stock + pipe[slot]
        pipe = pipe.at[slot].set(0.0)
        dem = b * scale
        sold = jnp.minimum(stock, dem)
        stock = stock - sold
        lost = dem - sold
        position = stock + jnp.sum(pipe)
        order = jnp.maximum(S - position, 0.0)
        pipe = pipe.at[slot].set(order)
        return (stock, pipe), price * sold - cost * order - hold * stock - short * lost

    _, pr = jax.lax.scan(step, (S + 0.0 * price, jnp.zeros(L)), (jnp.arange(T), base))
    return -jnp.sum(pr) / T
