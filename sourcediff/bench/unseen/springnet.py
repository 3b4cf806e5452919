"""A hanging mass-spring net relaxed by plain gradient descent on its energy
(Hookean springs plus gravity, the top row pinned), then the squared distance
of the net's nodes to a target shape: the gradient is through the relaxation.

    E(x) = sum_s k_s / 2 (|x_i - x_j| - rest_s)^2 + g sum_i y_i,  x <- x - lr dE/dx
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "mass-spring net, gradient-descent relaxation"
SIZES = {
    "small": {"side": 3, "steps": 4},
    "default": {"side": 24, "steps": 300},
    "large": {"side": 48, "steps": 600},
}
WRT = (0, 1)
WRT_NAMES = ("k", "rest")
RTOL = 1e-8


def relax_loss(k, rest, pos0, springs, pinned, target, g, lr, steps):
    n = pos0.shape[0]
    m = springs.shape[0]
    pos = pos0.copy()
    force = np.zeros((n, 2))
    for step in range(steps):
        for a in range(n):
            force[a, 0] = 0.0
            force[a, 1] = -g
        for s in range(m):
            i = springs[s, 0]
            j = springs[s, 1]
            dx = pos[j, 0] - pos[i, 0]
            dy = pos[j, 1] - pos[i, 1]
            length = math.sqrt(dx * dx + dy * dy)
            f = k[s] * (length - rest[s]) / length
            force[i, 0] += f * dx
            force[i, 1] += f * dy
            force[j, 0] -= f * dx
            force[j, 1] -= f * dy
        for a in range(n):
            if not pinned[a]:
                pos[a, 0] += lr * force[a, 0]
                pos[a, 1] += lr * force[a, 1]
    loss = 0.0
    for a in range(n):
        ex = pos[a, 0] - target[a, 0]
        ey = pos[a, 1] - target[a, 1]
        loss += ex * ex + ey * ey
    return loss


def relax_hand(k, rest, pos0, springs, pinned, target, g, lr, steps):
    """Hand-written adjoint: the positions stored once per step, the spring geometry
    recomputed in the reverse sweep."""
    n = pos0.shape[0]
    m = springs.shape[0]
    hist = np.empty((steps, n, 2))
    pos = pos0.copy()
    force = np.zeros((n, 2))
    for step in range(steps):
        for a in range(n):
            hist[step, a, 0] = pos[a, 0]
            hist[step, a, 1] = pos[a, 1]
            force[a, 0] = 0.0
            force[a, 1] = -g
        for s in range(m):
            i = springs[s, 0]
            j = springs[s, 1]
            dx = pos[j, 0] - pos[i, 0]
            dy = pos[j, 1] - pos[i, 1]
            length = math.sqrt(dx * dx + dy * dy)
            f = k[s] * (length - rest[s]) / length
            force[i, 0] += f * dx
            force[i, 1] += f * dy
            force[j, 0] -= f * dx
            force[j, 1] -= f * dy
        for a in range(n):
            if not pinned[a]:
                pos[a, 0] += lr * force[a, 0]
                pos[a, 1] += lr * force[a, 1]
    loss = 0.0
    dpos = np.empty((n, 2))
    for a in range(n):
        ex = pos[a, 0] - target[a, 0]
        ey = pos[a, 1] - target[a, 1]
        loss += ex * ex + ey * ey
        dpos[a, 0] = 2.0 * ex
        dpos[a, 1] = 2.0 * ey
    dk = np.zeros_like(k)
    drest = np.zeros_like(rest)
    dforce = np.zeros((n, 2))
    for step in range(steps - 1, -1, -1):
        for a in range(n):
            if pinned[a]:
                dforce[a, 0] = 0.0
                dforce[a, 1] = 0.0
            else:
                dforce[a, 0] = lr * dpos[a, 0]
                dforce[a, 1] = lr * dpos[a, 1]
        for s in range(m):
            i = springs[s, 0]
            j = springs[s, 1]
            dx = hist[step, j, 0] - hist[step, i, 0]
            dy = hist[step, j, 1] - hist[step, i, 1]
            length = math.sqrt(dx * dx + dy * dy)
            inv = 1.0 / length
            f = k[s] * (1.0 - rest[s] * inv)
            gx = dforce[i, 0] - dforce[j, 0]
            gy = dforce[i, 1] - dforce[j, 1]
            df = gx * dx + gy * dy
            dk[s] += df * (1.0 - rest[s] * inv)
            drest[s] -= df * k[s] * inv
            c = df * k[s] * rest[s] * inv * inv * inv
            ddx = f * gx + c * dx
            ddy = f * gy + c * dy
            dpos[j, 0] += ddx
            dpos[j, 1] += ddy
            dpos[i, 0] -= ddx
            dpos[i, 1] -= ddy
    return loss, (dk, drest)


STYLES = {"relaxation loop": relax_loss}
HAND = relax_hand


def make_args(params: dict) -> tuple:
    """A square net, structural and shear springs, the top row pinned."""
    side, steps = params["side"], params["steps"]
    rng = np.random.default_rng(17)
    h = 1.0 / (side - 1)
    pos0 = np.array([(c * h, -r * h) for r in range(side) for c in range(side)])
    pos0 += 0.01 * h * rng.standard_normal(pos0.shape)
    pos0[:side] = [(c * h, 0.0) for c in range(side)]
    pairs = []
    for r in range(side):
        for c in range(side):
            a = r * side + c
            if c + 1 < side:
                pairs.append((a, a + 1))
            if r + 1 < side:
                pairs.append((a, a + side))
            if c + 1 < side and r + 1 < side:
                pairs.append((a, a + side + 1))
                pairs.append((a + 1, a + side))
    springs = np.array(pairs, dtype=np.int64)
    natural = np.sqrt(np.sum((pos0[springs[:, 1]] - pos0[springs[:, 0]]) ** 2, axis=1))
    rest = natural * (1.0 + 0.05 * rng.standard_normal(len(pairs)))
    k = 50.0 * (1.0 + 0.1 * rng.uniform(size=len(pairs)))
    pinned = np.zeros(side * side, dtype=np.bool_)
    pinned[:side] = True
    target = pos0.copy()
    target[:, 1] -= 0.1 * (-pos0[:, 1])
    g = 1.0
    lr = 0.2 / 50.0 / 4.0
    return k, rest, pos0, springs, pinned, target, g, lr, steps


def jax_objective():
    """Vectorized forces (gather, ``segment_sum``), ``lax.fori_loop`` over steps."""
    import jax
    import jax.numpy as jnp

    def relax_loss(k, rest, pos0, springs, pinned, target, g, lr, steps):
        n = pos0.shape[0]
        i, j = springs[:, 0], springs[:, 1]
        gravity = jnp.zeros_like(pos0).at[:, 1].set(-g)
        free = (~pinned)[:, None]

        def step(_, pos):
            d = pos[j] - pos[i]
            length = jnp.sqrt(jnp.sum(d * d, axis=1))
            fd = (k * (length - rest) / length)[:, None] * d
            force = (gravity + jax.ops.segment_sum(fd, i, num_segments=n)
                     - jax.ops.segment_sum(fd, j, num_segments=n))
            return jnp.where(free, pos + lr * force, pos)

        pos = jax.lax.fori_loop(0, steps, step, pos0)
        return jnp.sum((pos - target) ** 2)

    return relax_loss
