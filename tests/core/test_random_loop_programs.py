"""Random loop programs in the shapes the planner and the reverse pass have
special handling for, checked against finite differences.

Each program strings together two or three blocks drawn at random, each block
in one of several spellings:

* a pair loop with a cutoff ``if`` (the reverse of what precedes the branch
  moves into it, passes/sink.py), with or without a minimum-image
  reassignment ``d -= L * round(d / L)`` (a name per value, passes/webs.py);
* a table filled by a recurrence, rows counting up or down, read back by the
  next rows (final reads, passes/dependence.py);
* an accumulation loop (fused, or fused alongside another one);
* a loop whose next iteration reads what an inner loop or a branch of this
  one assigned last (not fused), or rows of independent cells (fused at
  both levels);
* time steps through a scratch array made from the state (re-run late,
  passes/rerun.py), a matrix-vector recurrence (passes/shapes.py);
* two inner loops of a time step setting one name, one re-running it in
  reverse and one saving it (passes/webs.py, ``Planner.decide_saves``);

and returns a combination of their results (a sum, so that several loops can
run fused, or a product, so that they cannot).  The seeds are fixed; set
``SOURCEDIFF_LOOP_SEED`` to another base to explore new programs locally.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad
from sourceload import load_function

BASE = int(os.environ.get("SOURCEDIFF_LOOP_SEED", "0"))
SEEDS = [BASE + k for k in range(24)]

SMOOTH = ["math.sin({a})", "math.exp(-{a} * {a})", "{a} * {a}", "math.tanh({a})",
          "math.log1p({a} * {a})"]


def _smooth(rng, a):
    return SMOOTH[rng.integers(len(SMOOTH))].format(a=f"({a})")


def _pairs(rng, k):
    image = "            d -= L * round(d / L)\n" if rng.integers(2) else ""
    scaled = "            d = d * w\n" if rng.integers(2) else ""
    body = (f"    r{k} = 0.0\n"
            f"    for i in range(n):\n"
            f"        for j in range(i + 1, n):\n"
            f"            d = x[j] - x[i]\n{image}{scaled}"
            f"            q = abs(d) / c\n"
            f"            if q < 1.0:\n"
            f"                e = (1.0 - q) ** 2 * ({_smooth(rng, 'q')} + 1.0)\n"
            f"                r{k} += e\n")
    return body


def _table(rng, k):
    step = "p * T[i - 1, j] + (1.0 - p) * T[i, j - 1]"
    extra = _smooth(rng, "T[i - 1, j - 1]")
    down = rng.integers(2)
    if down:
        fill = (f"    for i in range(m - 1, -1, -1):\n"
                f"        for j in range(i + 1):\n"
                f"            T[i, j] = p * T[i + 1, j + 1] + (1.0 - p) * T[i + 1, j]"
                f" + 0.1 * {_smooth(rng, 'x[j % n] * w')}\n"
                f"    r{k} = T[0, 0]\n")
        init = ("    for j in range(m + 1):\n"
                "        T[m, j] = x[j % n] * w\n")
    else:
        fill = (f"    for i in range(1, m + 1):\n"
                f"        for j in range(1, m + 1):\n"
                f"            T[i, j] = {step} + 0.1 * {extra}\n"
                f"    r{k} = T[m, m]\n")
        init = ("    for i in range(m + 1):\n"
                "        T[i, 0] = x[i % n] * w\n"
                "        T[0, i] = x[(i + 1) % n] - w\n")
    return f"    p = 0.3 + 0.2 * math.tanh(w)\n    T = np.zeros((m + 1, m + 1))\n{init}{fill}"


def _accumulate(rng, k):
    temp = rng.integers(2)
    if temp:
        return (f"    r{k} = 0.0\n"
                f"    for i in range(n):\n"
                f"        a = x[i] * w + {rng.uniform(-0.5, 0.5):.3f}\n"
                f"        b = {_smooth(rng, 'a')}\n"
                f"        r{k} += b * x[i]\n")
    return (f"    r{k} = 0.0\n"
            f"    for i in range(n):\n"
            f"        r{k} += {_smooth(rng, 'x[i] - w')}\n")


def _carried(rng, k):
    kind = rng.integers(3)
    if kind == 0:       # the head of a row reads the last value of the previous row
        return (f"    r{k} = 0.0\n    t = 0.1\n"
                f"    for i in range(n):\n"
                f"        u = t * w\n"
                f"        for j in range(m):\n"
                f"            t = x[(i + j) % n] * w + 0.5 * u\n"
                f"            r{k} += {_smooth(rng, 't')}\n")
    if kind == 1:       # a branch assigns t, the next iteration's head reads it
        return (f"    r{k} = 0.0\n    t = 0.2\n"
                f"    for i in range(n):\n"
                f"        u = t * w\n"
                f"        if x[i] > 0.2:\n"
                f"            t = x[i] + 0.5 * u\n"
                f"            r{k} += {_smooth(rng, 't')}\n")
    return (f"    r{k} = 0.0\n"    # rows of independent cells: fused at both levels
            f"    for i in range(n):\n"
            f"        c = x[i] * w\n"
            f"        for j in range(m):\n"
            f"            t = x[(i + j) % n] - c * (j + 1)\n"
            f"            r{k} += {_smooth(rng, 't')}\n")


def _stepped(rng, k):
    """Time steps: a scratch array made from the state (re-run in reverse once
    the update's reverse restored the state), then the state updated in place."""
    later = rng.integers(2)
    extra = (f"        for i in range(n):\n"
             f"            r{k} += 0.01 * g[i] * u[i]\n") if later else ""
    return (f"    u = x.copy()\n    g = np.zeros(n)\n    r{k} = 0.0\n"
            f"    for t in range(m):\n"
            f"        for i in range(n):\n"
            f"            g[i] = {_smooth(rng, 'u[i] - u[i - 1]')}\n"
            f"        for i in range(n):\n"
            f"            u[i] += 0.1 * w * (g[(i + 1) % n] - g[i])\n{extra}"
            f"    for i in range(n):\n"
            f"        r{k} += u[i] * u[i] * (i + 1)\n")


def _recurrence(rng, k):
    """A matrix-vector recurrence: temporaries of one shape re-bound each step."""
    act = ["np.tanh(z)", "np.sin(z)", "z / (1.0 + z * z)"][rng.integers(3)]
    return (f"    A = np.outer(x, x) * 0.3\n    h = np.zeros(n)\n    r{k} = 0.0\n"
            f"    for t in range(m):\n"
            f"        z = np.dot(A, h) + x * w\n"
            f"        h = {act}\n"
            f"        r{k} += np.sum(h * h) * (t + 1)\n")


def _two_loops(rng, k):
    """Two inner loops of a time step setting one name: one can re-run it in
    reverse, the other overwrites what it is computed from (saved), in either
    order, under ``for`` or ``while``, the name maybe read at the step's top."""
    v = ["q", "_q"][rng.integers(2)]
    rerun = (f"        for i in range(n):\n"
             f"            {v} = y[i] * w + 0.1\n"
             f"            r{k} += {_smooth(rng, v)}\n")
    saved = (f"        for i in range(n):\n"
             f"            {v} = {_smooth(rng, 'y[i]')}\n"
             f"            y[i] = y[i] + 0.1 * {v} * {v}\n")
    loops = rerun + saved if rng.integers(2) else saved + rerun
    # (set before the loop or not; if so, maybe read at the top of each step)
    init = f"    {v} = 0.5\n" if rng.integers(2) else ""
    top = f"        r{k} += 0.01 * {v}\n" if init and rng.integers(2) else ""
    if rng.integers(2):
        head, tail = "    t = 0\n    while t < m:\n", "        t += 1\n"
    else:
        head, tail = "    for t in range(m):\n", ""
    return f"    y = x.copy()\n{init}    r{k} = 0.0\n{head}{top}{loops}{tail}"


BLOCKS = [_pairs, _table, _accumulate, _carried, _stepped, _recurrence, _two_loops]


def program(seed: int) -> str:
    rng = np.random.default_rng(seed)
    count = int(rng.integers(2, 4))
    kinds = [BLOCKS[int(rng.integers(len(BLOCKS)))] for _ in range(count)]
    body = "".join(kind(rng, k) for k, kind in enumerate(kinds))
    terms = [f"r{k}" for k in range(count)]
    if rng.integers(3) == 0:
        ret = f"{terms[0]} * ({' + '.join(terms[1:])})"
    else:
        coefs = [f"{rng.uniform(0.5, 2.0):.3f} * {t}" for t in terms]
        ret = " + ".join(coefs)
    return ("import math\n\nimport numpy as np\n\n\n"
            "def f(x, w, c, L, n, m):\n"
            f"{body}    return {ret}\n")


def load(source: str, directory: Path):
    return load_function(source, directory, "sd_loop_")


def arguments(seed: int):
    rng = np.random.default_rng(500 + seed)
    n = 6
    # distinct points closer than half the period: the minimum image is the
    # difference itself, away from round()'s jumps
    x = np.sort(rng.uniform(0.0, 0.45, n)) + np.arange(n) * 1e-3
    return x, float(rng.uniform(0.6, 1.2)), 0.3, 1.0, n, 4


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    path = tmp_path_factory.mktemp("loop_programs")
    sys.path.insert(0, str(path))
    yield path
    sys.path.remove(str(path))


@pytest.mark.parametrize("seed", SEEDS)
def test_random_loop_program(seed, directory):
    source = program(seed)
    f = load(source, directory)
    target = "cpu" if seed % 12 == 0 else "python"
    try:
        check_grad(f, arguments(seed), (0, 1), target)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- program (seed {seed}) ---\n{source}") from None
