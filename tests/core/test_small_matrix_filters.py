"""A Kalman filter written with 4x4 matrices, ``@`` and ``np.linalg.inv``:
the constant matrices passes/small_arrays.py writes as numbers and makes
again for a product (``F.T``, ``H.T``, ``np.eye(4)``) are made once, before
the loop (passes/hoist.py), and the filter's states, whose shapes follow
from products of matrices of known shapes and from ``inv``
(passes/shapes.py), go on stacks allocated once instead of lists."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def kalman(q, rvar, zs, dt):
    """The process noise filled in a loop (``Qb[d, d + 2]`` at a variable index):
    ``Q`` and the covariance stay arrays, ``F`` and ``H`` are numbers."""
    T = zs.shape[0]
    F = np.eye(4)
    F[0, 2] = dt
    F[1, 3] = dt
    H = np.zeros((2, 4))
    H[0, 0] = 1.0
    H[1, 1] = 1.0
    Qb = np.zeros((4, 4))
    for d in range(2):
        Qb[d, d] = dt ** 3 / 3.0
        Qb[d, d + 2] = dt ** 2 / 2.0
        Qb[d + 2, d] = dt ** 2 / 2.0
        Qb[d + 2, d + 2] = dt
    Q = q * Qb
    R = rvar * np.eye(2)
    x = np.zeros(4)
    x[0] = zs[0, 0]
    x[1] = zs[0, 1]
    P = 10.0 * np.eye(4)
    nll = 0.0
    for t in range(1, T):
        x = F @ x
        P = F @ P @ F.T + Q
        v = zs[t] - H @ x
        S = H @ P @ H.T + R
        Sinv = np.linalg.inv(S)
        K = P @ H.T @ Sinv
        detS = S[0, 0] * S[1, 1] - S[0, 1] * S[1, 0]
        nll += 0.5 * (math.log(detS) + np.dot(v, Sinv @ v))
        x = x + K @ v
        P = (np.eye(4) - K @ H) @ P
    return nll


def kalman_dots(q, rvar, zs, dt):
    """The same filter written with ``np.dot``, ``np.linalg.solve`` and ``det``."""
    T = zs.shape[0]
    F = np.eye(4)
    F[0, 2] = dt
    F[1, 3] = dt
    H = np.zeros((2, 4))
    H[0, 0] = 1.0
    H[1, 1] = 1.0
    Qb = np.zeros((4, 4))
    for d in range(2):
        Qb[d, d] = dt ** 3 / 3.0
        Qb[d + 2, d + 2] = dt
    Q = q * Qb
    R = rvar * np.eye(2)
    x = np.zeros(4)
    x[0] = zs[0, 0]
    x[1] = zs[0, 1]
    P = 10.0 * np.eye(4)
    I4 = np.eye(4)
    nll = 0.0
    for t in range(1, T):
        x = np.dot(F, x)
        P = np.dot(np.dot(F, P), F.T) + Q
        v = zs[t] - np.dot(H, x)
        S = np.dot(np.dot(H, P), H.T) + R
        K = np.dot(np.dot(P, H.T), np.linalg.inv(S))
        nll += 0.5 * (math.log(np.linalg.det(S)) + np.dot(v, np.linalg.solve(S, v)))
        x = x + np.dot(K, v)
        P = np.dot(I4 - np.dot(K, H), P)
    return nll


def _zs(T=6, seed=11):
    rng = np.random.default_rng(seed)
    steps = np.cumsum(0.1 * rng.standard_normal((T, 2)) + 0.05, axis=0)
    return steps + 0.2 * rng.standard_normal((T, 2))


ARGS = (0.1, 0.05, _zs(), 0.1)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", [kalman, kalman_dots], ids=["matmul", "dots"])
def test_the_filter_matches_finite_differences(f, target):
    check_grad(f, ARGS, wrt=(0, 1), target=target)


def _text():
    return sd.grad(kalman, wrt=(0, 1), target="python").source_for(*ARGS)


def test_constant_matrices_are_made_once_before_the_loop():
    text = _text()
    for part in (text[:text.index("def kalman_grad")], text[text.index("def kalman_grad"):]):
        start = part.index("\n    for t in range(1, T):")
        made = re.findall(r"(\w+) = empty_grid", part[start:].split("return")[0])
        # (``Sinv``, a 2x2 inverse written as numbers, and the gain made from it
        # change in each step)
        assert set(made) <= {"Sinv", "K"}, made
        assert "F_00" not in part[start:].split("return")[0]
        assert {"F", "H"} <= set(re.findall(r"(\w+) = empty_grid", part[:start]))


@pytest.mark.parametrize("f", [kalman, kalman_dots], ids=["matmul", "dots"])
def test_the_states_go_on_stacks_not_lists(f):
    text = sd.grad(f, wrt=(0, 1), target="python").source_for(*ARGS)
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "in lists" not in plan and ".append(" not in text
    assert "_saved_P" in text and "arrays of its shape" in plan
