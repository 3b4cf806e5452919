"""A ``while`` loop nested in the last loop of a function: the outer loop runs
each reverse iteration right after its forward one (a hand-written adjoint's
order) when the inner loop's values are its own (passes/planner.py
``inner_iteration_locals``), and an inner position that reaches the adjoint
only through inactive values (``fx = x - i`` of an interpolation) is
snapshotted once per trip and the rest recomputed from it
(``carried_vars``), not each of its derived values stored in lists."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def bilinear(mu, x, y):
    i = int(math.floor(x))  # noqa: RUF046 - as users write it (the cell index)
    j = int(math.floor(y))  # noqa: RUF046
    fx = x - i
    fy = y - j
    return ((1.0 - fx) * (1.0 - fy) * mu[i, j] + fx * (1.0 - fy) * mu[i + 1, j]
            + (1.0 - fx) * fy * mu[i, j + 1] + fx * fy * mu[i + 1, j + 1])


def ray_march(mu, ox, oy, dx, dy, meas, ds, tau_max):
    """Beer-Lambert absorption along rays: ``while True`` with two breaks."""
    nx = mu.shape[0]
    ny = mu.shape[1]
    loss = 0.0
    for r in range(ox.shape[0]):
        x = ox[r]
        y = oy[r]
        tau = 0.0
        while True:
            if x < 0.0 or x >= nx - 1.0 or y < 0.0 or y >= ny - 1.0:
                break
            tau += ds * bilinear(mu, x, y)
            if tau > tau_max:
                break
            x += ds * dx[r]
            y += ds * dy[r]
        tr = math.exp(-tau)
        loss += (tr - meas[r]) ** 2
    return loss


def march_counted(mu, ox, oy, dx, dy, meas, ds, steps):
    """The same march as a counted loop that may leave early."""
    nx = mu.shape[0]
    ny = mu.shape[1]
    loss = 0.0
    for r in range(ox.shape[0]):
        x = ox[r]
        y = oy[r]
        tau = 0.0
        for k in range(steps):
            if x < 0.0 or x >= nx - 1.0 or y < 0.0 or y >= ny - 1.0:
                break
            tau += ds * bilinear(mu, x, y)
            x += ds * dx[r]
            y += ds * dy[r]
        loss += (math.exp(-tau) - meas[r]) ** 2
    return loss


def last_value_read_after(a, w, n):
    """``z`` of the inner loop's last trip is read after it: not the trip's own."""
    s = 0.0
    for r in range(n):
        x = a[r]
        z = 0.0
        while x < 3.0:
            z = x * w[r]
            x = x + 0.7 + 0.1 * math.sin(x * w[r])
        s += z * z + x
    return s


def test_read_at_the_top(a, w, n):
    """The inner test reads ``d``, which the body sets before reading it."""
    s = 0.0
    for r in range(n):
        d = a[r]
        t = 0.0
        while d > 0.05:
            d = 0.5 * d * w[r]
            t += math.sin(d)
        s += t * a[r]
    return s


test_read_at_the_top.__test__ = False


def ranges(cd, v0, angles, targets, dt, g):
    """Trajectories with drag until the ground, ``while True`` left by a break;
    the last step's ``xp``, ``yp`` (bound in each trip) read after the loop."""
    loss = 0.0
    for k in range(angles.shape[0]):
        x = 0.0
        y = 0.0
        vx = v0 * math.cos(angles[k])
        vy = v0 * math.sin(angles[k])
        while True:
            sp = math.sqrt(vx * vx + vy * vy)
            xp = x
            yp = y
            x += dt * vx
            y += dt * vy
            vx += dt * (-cd * sp * vx)
            vy += dt * (-g - cd * sp * vy)
            if y < 0.0:
                break
        d = xp + (x - xp) * yp / (yp - y) - targets[k]
        loss += d * d
    return loss


def carried_past_the_loop(a, n):
    """``last``, bound in each trip of the ``while True``, is read by the next
    outer iteration before its loop binds it again: carried, not its own."""
    s = 0.0
    last = 0.0
    for r in range(n):
        s += last * a[r]
        x = a[r]
        while True:
            last = x * x * a[r]
            x = x - 0.3
            if x < 0.0:
                break
        s += last
    return s


def _march_args(n=9, rays=5, seed=8):
    rng = np.random.default_rng(seed)
    mu = 0.05 * (1.0 + rng.random((n, n)))
    ang = rng.uniform(0.2, np.pi / 2 - 0.2, rays)
    ox = rng.uniform(0.0, 0.3 * (n - 1), rays) + 0.013
    oy = np.full(rays, 0.017)
    return mu, ox, oy, np.cos(ang), np.sin(ang), 0.3 + 0.2 * rng.random(rays)


MARCH = _march_args()
CASES = [(ray_march, MARCH + (0.25, 1e9), 0),
         (ray_march, MARCH + (0.25, 0.3), 0),        # the second break ends some rays
         (march_counted, MARCH + (0.25, 20), 0),
         (last_value_read_after, (np.array([0.1, 1.3, 2.2, 0.4]), np.array([0.9, 1.1, 1.3, 0.7]),
                                  4), (0, 1)),
         (test_read_at_the_top, (np.array([0.9, 2.0, 0.3]), np.array([0.8, 0.6, 1.1]), 3),
          (0, 1)),
         (ranges, (0.02, 25.0, np.linspace(0.3, 1.2, 3), np.array([31.0, 38.0, 42.0]), 0.01,
                   9.81), (0, 1)),
         (carried_past_the_loop, (np.array([0.5, 1.45, 0.8, 1.0]), 4), 0)]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def _plan(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return text, text[text.index("# Plan:"):text.index("# -- ")]


@pytest.mark.parametrize("f, args", [CASES[0][:2], CASES[2][:2]], ids=["while", "counted"])
def test_the_march_snapshots_the_position_and_recomputes_the_weights(f, args):
    text, plan = _plan(f, args, 0)
    assert "fused: the loop at line" in plan
    assert "'x', 'y'" in plan
    # the cell indices and the interpolation weights come from the snapshot (the
    # counted loop keeps the flag its break leaves, one per trip)
    assert "'i'" not in plan and "'j'" not in plan
    assert "_saved_i" not in text and "_saved_j" not in text
    assert re.search(r"_saved_t\d", text) is None


def test_a_value_read_after_the_inner_loop_keeps_its_tape():
    text, plan = _plan(*CASES[3])
    reverse = text[text.index("# -- reverse sweep"):]
    assert "'z'" in plan or "_saved_z" in text or "z = " in reverse


def test_a_trajectory_read_after_its_while_true_runs_fused():
    """``xp``, ``yp`` are bound in the first trip of the ``while True``, before
    anything after the loop reads them: each outer iteration's own values."""
    text, plan = _plan(*CASES[5])
    assert "fused: the loop at line" in plan
    # the inner loop's break leaves the inner loop only: what its reverse sets first
    # is known zero there, set (``dsp = ...``), not added to and reset in each trip
    reverse = text[text.index("# -- last loop"):]
    assert "dsp = _dt" in reverse and "dsp = 0.0" not in reverse
