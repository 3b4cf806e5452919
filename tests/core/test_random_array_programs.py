"""Differential tester: random NumPy array programs (``array_programs.py``).

Each program's source text is written to a module and differentiated by
sourcediff; the same text, with ``np`` bound to ``jax.numpy`` (x64), gives the
reference gradient through ``jax.grad`` when JAX is installed, and central
finite differences of the NumPy function otherwise.  The value must equal
NumPy's (a transform never changes what the function computes).

The seeds are fixed, so CI draws the same programs every run; set
``SOURCEDIFF_ARRAY_SEED`` to another base to explore new ones locally.  Every
program runs on the ``python`` target, every fourth also on ``cpu`` (each pays
a Numba compile).  ``test_the_tester_catches_a_broken_rule`` breaks a rule on
purpose and checks that the comparison fails.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.rules import registry

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from array_programs import ARGS, program
from sourceload import load_function

BASE = int(os.environ.get("SOURCEDIFF_ARRAY_SEED", "0"))
N_PROGRAMS = 48
SEEDS = [BASE + k for k in range(N_PROGRAMS)]
RTOL, ATOL = 1e-6, 1e-8


def load(source: str, directory: Path):
    return load_function(source, directory, "sd_array_")


def arguments(seed: int):
    rng = np.random.default_rng(1000 + seed)
    return tuple(float(rng.uniform(-1.5, 1.5)) if not shape else rng.uniform(-1.5, 1.5, shape)
                 for shape in ARGS.values())


def jax_reference(source: str, args):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    namespace = {}
    # the program's own text, run with np bound to jax.numpy
    exec(compile(source.replace("import numpy as np", ""), "<program>", "exec"),  # noqa: S102
         {"np": jnp}, namespace)
    value, grads = jax.value_and_grad(namespace["f"], argnums=(0, 1, 2))(
        *[jnp.asarray(a) for a in args])
    return float(value), tuple(np.asarray(g) for g in grads)


def fd_reference(f, args, h=1e-6):
    def moved(k, i, v):
        new = list(args)
        flat = np.array(args[k], dtype=float).ravel()
        flat[i] = v
        new[k] = flat.reshape(np.shape(args[k])) if np.ndim(args[k]) else float(flat[0])
        return f(*new)

    grads = []
    for k, a in enumerate(args):
        flat = np.array(a, dtype=float).ravel()
        g = np.empty_like(flat)
        for i, x0 in enumerate(flat):
            g[i] = (moved(k, i, x0 - 2 * h) - 8 * moved(k, i, x0 - h) + 8 * moved(k, i, x0 + h)
                    - moved(k, i, x0 + 2 * h)) / (12 * h)
        grads.append(g.reshape(np.shape(a)) if np.ndim(a) else float(g[0]))
    return float(f(*args)), tuple(grads)


def check(source, directory, target, seed):
    f = load(source, directory)
    args = arguments(seed)
    ref = jax_reference(source, args)
    fd = ref is None
    if fd:
        with np.errstate(all="ignore"):
            ref = fd_reference(f, args)
    value, grads = sd.value_and_grad(f, wrt=(0, 1, 2), target=target)(*args)
    with np.errstate(all="ignore"):
        expected_value = f(*args)
    np.testing.assert_allclose(value, expected_value, rtol=1e-12, atol=1e-12,
                               err_msg=f"value changed\n{source}")
    assert np.isclose(ref[0], expected_value, rtol=1e-10), "reference disagrees with NumPy"
    scale = 1.0 + abs(expected_value)
    for name, got, want in zip(ARGS, grads, ref[1]):
        np.testing.assert_allclose(got, want, rtol=RTOL if not fd else 1e-5,
                                   atol=ATOL * scale if not fd else 1e-6 * scale,
                                   err_msg=f"d/d{name} ({'FD' if fd else 'JAX'})\n{source}")


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    return tmp_path_factory.mktemp("array_programs")


@pytest.mark.parametrize("seed", SEEDS)
def test_python_target(seed, directory):
    check(program(seed), directory, "python", seed)


@pytest.mark.parametrize("seed", SEEDS[::4])
def test_cpu_target(seed, directory):
    check(program(seed), directory, "cpu", seed)


def test_the_tester_catches_a_broken_rule(directory, monkeypatch):
    """A wrong adjoint for np.tanh (sign flipped) must make the comparison fail."""
    source = ("import numpy as np\n\n\ndef f(x, y, s):\n"
              "    t1 = np.tanh(x * s) + y\n    return np.sum(t1 * t1)\n")
    check(source, directory, "python", 0)   # the real rule passes
    prim = registry.get_primitive(np.tanh)
    good = prim.rules[0].template
    bad_outputs = [ast_negate(o) for o in good.outputs]
    monkeypatch.setattr(prim.rules[0], "template",
                        type(good)(good.result, good.inputs, good.adjoint, good.keywords,
                                   good.body, bad_outputs))
    broken = source.replace("return", "return 0.0 +")   # a new program: no cached transform
    with pytest.raises(AssertionError, match="d/dx"):
        check(broken, directory, "python", 0)


def ast_negate(expr):
    import ast
    return ast.UnaryOp(op=ast.USub(), operand=expr)
