"""Random time steps written as whole-array NumPy code, the shapes passes/lower.py
turns into element loops, checked for their value (against NumPy running the
same source) and their gradient (against finite differences).

Each program runs a few steps of a 1-d state ``u`` (and a second state ``v``
in some), each step built from blocks drawn at random, each in several
spellings:

* fluxes of neighbouring cells added into overlapping slices of a ``du`` the
  step allocates (``du[:-1] += f``, ``du[1:] -= f``; ``np.zeros_like(u)`` or
  ``np.zeros(n)``), the update ``u = u + c * du``, ``u += c * du`` or a new
  name moved to ``u`` (``un = u + c * du``, ``u = un``);
* a stencil stored into a state made each step (``un = np.empty(n)``,
  ``un[1:-1] = ...``, boundary copies, ``u = un``), reading a second state
  ``v`` rebound after it (``v = v + ...``);
* an array computed from the state and a row of a table, given whole to a
  helper of the user's that returns a number (filled into a buffer);
* a store and an update of overlapping slices (``du[:-1] = f``, ``du[1:] -=
  f``), which must stay array code;
* periodic stencils of ``np.roll``: the state rebound (``u = u + c * (np.roll(u,
  1) - ...)``), a stage the next line rolls, and a store into the array rolled
  (``u[:] = ...``, which must stay array code).

The seeds are fixed; set ``SOURCEDIFF_STEP_SEED`` to another base to explore.
"""
from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad
from sourceload import load_function

BASE = int(os.environ.get("SOURCEDIFF_STEP_SEED", "0"))
SEEDS = [BASE + k for k in range(16)]

SMOOTH = ["np.tanh({a})", "np.sin({a})", "{a} * np.exp(-{a} * {a})", "{a} / (1.0 + {a} * {a})"]


def _smooth(rng, a):
    return SMOOTH[int(rng.integers(len(SMOOTH)))].format(a=f"({a})")


def _update(rng, du):
    k = int(rng.integers(3))
    if k == 0:
        return f"        u = u + c * {du}\n"
    if k == 1:
        return f"        u += c * {du}\n"
    return f"        un = u + c * {du}\n        u = un\n"


def _fluxes(rng, k):
    alloc = "np.zeros_like(u)" if rng.integers(2) else "np.zeros(n)"
    grad = "u[1:] - u[:-1]" if rng.integers(2) else "(u[1:] - u[:-1]) * w"
    if rng.integers(2):
        lines = (f"        f{k} = {_smooth(rng, grad)}\n"
                 f"        du{k} = {alloc}\n"
                 f"        du{k}[:-1] += f{k}\n"
                 f"        du{k}[1:] -= f{k}\n")
    else:       # the flux written out in each update (one-liners)
        e = _smooth(rng, grad)
        lines = (f"        du{k} = {alloc}\n"
                 f"        du{k}[:-1] += {e}\n"
                 f"        du{k}[1:] -= {e}\n")
    return lines + _update(rng, f"du{k}")


def _fresh_state(rng, k):
    react = _smooth(rng, "u[1:-1] - v[1:-1]")
    return (f"        un{k} = np.empty(n)\n"
            f"        un{k}[1:-1] = u[1:-1] + 0.1 * (u[2:] - 2.0 * u[1:-1] + u[:-2]) + c * {react}\n"
            f"        un{k}[0] = un{k}[1]\n"
            f"        un{k}[-1] = un{k}[-2]\n"
            f"        v = v + 0.2 * (u - v)\n"
            f"        u = un{k}\n")


def _given_whole(rng, k):
    offset = " + u0 * T[step, 0]" if rng.integers(2) else " + T[step, 0]"
    return (f"        y{k} = {_smooth(rng, 'u * c')}{offset}\n"
            f"        s += peak(y{k}) * w\n")


def _store_then_update(rng, k):
    return (f"        g{k} = {_smooth(rng, 'u[1:] - u[:-1]')}\n"
            f"        dv{k} = np.zeros_like(u)\n"
            f"        dv{k}[:-1] = g{k}\n"
            f"        dv{k}[1:] -= g{k}\n"
            f"        u = u + c * dv{k}\n")


def _shift(rng):
    return int(rng.choice([-2, -1, 1, 2]))


def _rolled_step(rng, k):
    # a periodic stencil of rolls, the state rebound (a new array each step)
    return (f"        rk{k} = np.roll(u, {_shift(rng)})\n"
            f"        u = u + c * {_smooth(rng, f'rk{k} - 2.0 * u + np.roll(u, {_shift(rng)})')}\n")


def _rolled_stage(rng, k):
    # a stage the next line rolls: stored whole by a loop of its own first
    return (f"        y{k} = u + 0.5 * c * (np.roll(u, {_shift(rng)}) - u)\n"
            f"        u = u + c * {_smooth(rng, f'np.roll(y{k}, {_shift(rng)}) - y{k}')}\n")


def _rolled_in_place(rng, k):
    # stored into the array it rolls: the rolls read a copy of u taken first
    return (f"        rc{k} = np.roll(u, {_shift(rng)})\n"
            f"        u[:] = u + c * (rc{k} - u) * w\n")


BLOCKS = [_fluxes, _fresh_state, _given_whole, _store_then_update, _rolled_step, _rolled_stage,
          _rolled_in_place]

HELPER = '''

def peak(y):
    """The largest element, refined by the parabola through its neighbours."""
    k = 1
    for i in range(1, y.shape[0] - 1):
        if y[i] > y[k]:
            k = i
    den = y[k - 1] - 2.0 * y[k] + y[k + 1]
    return y[k] + 0.125 * (y[k - 1] - y[k + 1]) ** 2 / (den - 4.0)
'''


def program(seed: int, kinds=None) -> str:
    rng = np.random.default_rng(seed)
    count = int(rng.integers(1, 4))
    drawn = [BLOCKS[int(rng.integers(len(BLOCKS)))] for _ in range(count)]
    if kinds is not None:
        kinds.extend(b.__name__ for b in drawn)
    body = "".join(block(rng, k) for k, block in enumerate(drawn))
    return ("import numpy as np\n\n\n"
            "def f(u0, v0, c, w, T, nsteps):\n"
            "    n = u0.shape[0]\n"
            "    u = u0.copy()\n"
            "    v = v0.copy()\n"
            "    s = 0.0\n"
            "    for step in range(nsteps):\n"
            f"{body}"
            "    return s + np.sum(u * u * u0) + np.sum(v * v)\n" + HELPER)


def arguments(seed: int):
    rng = np.random.default_rng(700 + seed)
    n = 24          # (arrays of a few elements are numbers: passes/small_arrays.py)
    return (rng.normal(size=n), rng.normal(size=n), float(rng.uniform(0.1, 0.3)),
            float(rng.uniform(0.5, 1.5)), rng.normal(size=(3, n)), 3)


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    path = tmp_path_factory.mktemp("time_steps")
    sys.path.insert(0, str(path))
    yield path
    sys.path.remove(str(path))


@pytest.mark.parametrize("seed", SEEDS)
def test_random_time_steps(seed, directory):
    source = program(seed)
    f = load_function(source, directory, "sd_steps_")
    args = arguments(seed)
    target = "cpu" if seed % 8 == 0 else "python"
    try:
        value, _ = sd.value_and_grad(f, wrt=(0, 1, 2, 3), target=target)(*args)
        assert np.isclose(value, f(*args), rtol=1e-12, atol=1e-12), (value, f(*args))
        check_grad(f, args, (0, 1, 2, 3), target)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- program (seed {seed}) ---\n{source}") from None


# what the primal reads like once lowered (and, for the last, once not)
LOWERED = {"_fluxes": lambda k, text: f"du{k}[:-1]" not in text and f"du{k}[1:]" not in text,
           "_fresh_state": lambda k, text: f"un{k}[1:-1] =" not in text,
           "_given_whole": lambda k, text: f"y{k} = np.empty_like(" in text,
           "_store_then_update": lambda k, text: f"sub_into(dv{k}[1:]" in text,
           "_rolled_step": lambda k, text: f"rk{k} = np.roll(" not in text,
           "_rolled_stage": lambda k, text: f"y{k} = np.empty_like(" in text and
           f"np.roll(y{k}" not in text,
           "_rolled_in_place": lambda k, text: f"rc{k} = np.roll(" not in text and
           "u.copy()" in text}


@pytest.mark.parametrize("seed", SEEDS[::3])
def test_the_blocks_are_element_loops(seed, directory):
    """Each block's whole-array statements are element loops in the generated
    primal (else the test above would check nothing new), but for a store and
    an update of overlapping slices."""
    kinds: list = []
    source = program(seed, kinds)
    f = load_function(source, directory, "sd_steps_")
    text = sd.grad(f, wrt=(0, 1, 2, 3), target="python").source_for(*arguments(seed))
    primal = ast.unparse(next(n for n in ast.parse(text).body
                              if isinstance(n, ast.FunctionDef) and n.name == "f"))
    for k, kind in enumerate(kinds):
        if kind == "_rolled_in_place" and "_fresh_state" in kinds:
            # (u = un0 holds another name's buffer: the store stays NumPy's)
            assert f"rc{k} = np.roll(" in primal, primal
            continue
        assert LOWERED[kind](k, primal), f"{kind} (block {k}) not as expected:\n{primal}"
