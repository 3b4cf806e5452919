"""Differential tester for passes/tables.py: random nests whose inner loop
computes costly values of its own counter (tabled) next to values that also
read the outer counter or a scratch array the nest writes (left alone), in
several loop shapes.  Value against the Python function, gradient against
finite differences; ``SOURCEDIFF_TABLE_SEED`` moves the seeds."""
from __future__ import annotations

import os
import random

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import numeric_grad
from tests.sourceload import load_function

BASE = int(os.environ.get("SOURCEDIFF_TABLE_SEED", "0"))
SEEDS = [BASE + k for k in range(30)]

OUTER = ["range(x.shape[0])", "range(x.shape[0] - 1, -1, -1)", "range(1, x.shape[0], 2)",
         "range(m)"]
INNER = ["range(w.shape[0])", "range(1, w.shape[0])", "range(lo, w.shape[0])"]
COSTLY = ["math.exp({})", "math.log(1.0 + {} * {})", "math.tanh({})", "math.sqrt(2.0 + {})",
          "math.sin({})", "math.atan2({}, 1.5)", "(1.5 + {} * {}) ** 0.75"]


def _costly(rng, inner_only, depth=0):
    """A costly expression of w[j], v[j], s, j (and x[i] unless ``inner_only``)."""
    leaves = ["w[j]", "v[j]", "s", "0.1 * j"] + ([] if inner_only else ["x[i]"])
    arg = rng.choice(leaves)
    if depth < 1 and rng.random() < 0.5:
        arg = f"({arg} {rng.choice('+-*')} {_costly(rng, inner_only, depth + 1)})"
    form = rng.choice(COSTLY)
    return form.format(*([f"math.tanh({arg})"] * form.count("{}")))


def program(seed: int) -> str:
    rng = random.Random(seed)
    outer, inner = rng.choice(OUTER), rng.choice(INNER)
    lines = ["def f(w, v, x, s, m, lo):", "    acc = 0.0", "    scratch = np.zeros(w.shape[0])",
             f"    for i in {outer}:", f"        for j in {inner}:"]
    names = []
    for k in range(rng.randint(1, 4)):
        inner_only = rng.random() < 0.7
        expr = _costly(rng, inner_only)
        if names and rng.random() < 0.4:
            expr = f"{expr} + {rng.choice(names)}"
        names.append(f"a{k}")
        lines.append(f"            a{k} = {expr}")
    mix = " + ".join(f"{n} * x[i]" if k % 2 == 0 else f"{n} * {n}" for k, n in enumerate(names))
    if rng.random() < 0.3:
        lines.append(f"            scratch[j] = {names[-1]} + x[i]")
        mix += " + scratch[j] * math.exp(w[j])"     # reads an array the nest writes
    lines.append(f"            acc += {mix}")
    if rng.random() < 0.3:
        lines.append("        acc += 0.5 * x[i] * x[i]")
    lines.append("    return acc")
    return "\n".join(lines) + "\n"


def arguments(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 4)) if seed % 7 == 0 else int(rng.integers(2, 6))
    return (rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal(n),
            float(rng.standard_normal()), int(min(n, 3)), int(rng.integers(0, 6)))


HEADER = "import math\n\nimport numpy as np\n\n\n"


def check(source, directory, target, seed):
    f = load_function(HEADER + source, directory, "sd_table_")
    args = arguments(seed)
    value, grads = sd.value_and_grad(f, wrt=(0, 1, 2, 3), target=target)(*args)
    expected = f(*args)
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12,
                               err_msg=f"value changed\n{source}")
    want = numeric_grad(f, args, wrt=(0, 1, 2, 3))
    scale = 1.0 + abs(expected)
    for k, (got, ref) in enumerate(zip(grads, want)):
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6 * scale,
                                   err_msg=f"argument {k}\n{source}")


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    return tmp_path_factory.mktemp("table_programs")


@pytest.mark.parametrize("seed", SEEDS)
def test_python_target(seed, directory):
    check(program(seed), directory, "python", seed)


@pytest.mark.parametrize("seed", SEEDS[::10])
def test_cpu_target(seed, directory):
    check(program(seed), directory, "cpu", seed)


def test_the_programs_use_the_pass(directory):
    """Most programs get a table (else the tester would test nothing)."""
    used = 0
    for seed in SEEDS:
        f = load_function(HEADER + program(seed), directory, "sd_table_")
        # the gradient check()'s: called, not .source_for, so the module
        # test_python_target[seed] built in this process is reused (sd.grad shares
        # value_and_grad's), not transformed again; elsewhere it is built here
        df = sd.grad(f, wrt=(0, 1, 2, 3), target="python")
        df(*arguments(seed))
        text = df.source
        used += "_per_j" in text
    assert used >= len(SEEDS) // 2, used
