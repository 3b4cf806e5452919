"""Planar 6-link arm forward kinematics, joint angles follow sinusoids,
loss on the end-effector path vs a target circle."""
import math
import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def f(theta0, amp, lengths, phase, omega, tgt):
    nt = tgt.shape[0]
    nl = theta0.shape[0]
    loss = 0.0
    for t in range(nt):
        tt = t * 0.01
        x = 0.0
        y = 0.0
        ang = 0.0
        for k in range(nl):
            ang += theta0[k] + amp[k] * math.sin(omega * tt + phase[k])
            x += lengths[k] * math.cos(ang)
            y += lengths[k] * math.sin(ang)
        dx = x - tgt[t, 0]
        dy = y - tgt[t, 1]
        loss += dx * dx + dy * dy
    return loss / nt


def make_args(small=False):
    rng = np.random.default_rng(0)
    nt = 7 if small else 5000
    nl = 6
    theta0 = 0.3 * rng.standard_normal(nl)
    amp = 0.2 * rng.standard_normal(nl)
    lengths = 0.5 + 0.2 * rng.random(nl)
    phase = rng.random(nl) * 2 * np.pi
    s = np.arange(nt) * 0.01
    tgt = np.stack([1.5 + 0.5 * np.cos(s), 0.5 * np.sin(s)], axis=1)
    return (theta0, amp, lengths, phase, 1.0, tgt)


WRT = (0, 1, 2)


def jax_f(theta0, amp, lengths, phase, omega, tgt):
    nt = tgt.shape[0]
    tt = jnp.arange(nt) * 0.01
    a = theta0[None, :] + amp[None, :] * jnp.sin(omega * tt[:, None] + phase[None, :])
    ang = jnp.cumsum(a, axis=1)
    x = jnp.sum(lengths * jnp.cos(ang), axis=1)
    y = jnp.sum(lengths * jnp.sin(ang), axis=1)
    return jnp.mean((x - tgt[:, 0]) ** 2 + (y - tgt[:, 1]) ** 2)
