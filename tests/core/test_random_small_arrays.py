"""Differential tester for passes/small_arrays.py: the random array programs of
``array_programs.py`` with their inputs first copied, element by element, into
arrays of a literal shape (``xs = np.array([[x[0, 0], ...], ...])``), in a
loop of two iterations that adds up the result.  Every array of such a program
has a shape known when it is transformed, so the pass writes as scalars all it
can, and the operations it does not take (reductions along an axis, slices
with bounds, ``np.where``, ...) keep their arrays next to it.  Value against
NumPy, gradient against JAX (same text) or finite differences, as in
test_random_array_programs.py; ``SOURCEDIFF_ARRAY_SEED`` moves the seeds."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from array_programs import ARGS, program
from test_random_array_programs import BASE, arguments, check, load

SEEDS = [BASE + k for k in range(24)]


def small(source: str) -> str:
    """``source`` with ``x`` and ``y`` read into literal-shape arrays, its body in a loop."""
    head, body = source.split("def f(x, y, s):\n")
    rows, cols = ARGS["x"]
    xs = "[" + ", ".join("[" + ", ".join(f"x[{i}, {j}]" for j in range(cols)) + "]"
                         for i in range(rows)) + "]"
    ys = "[" + ", ".join(f"y[{j}]" for j in range(ARGS["y"][0])) + "]"
    lines = [f"    xs = np.array({xs})", f"    ys = np.array({ys})", "    total = 0.0",
             "    for k in range(2):"]
    for line in body.rstrip().splitlines():
        line = re.sub(r"\bx\b", "xs", re.sub(r"\by\b", "ys", line))
        line = line.replace("return ", "total += 0.5 * k + ")
        lines.append("    " + line)
    lines.append("    return total")
    return head + "def f(x, y, s):\n" + "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    return tmp_path_factory.mktemp("small_array_programs")


@pytest.mark.parametrize("seed", SEEDS)
def test_python_target(seed, directory):
    check(small(program(seed)), directory, "python", seed)


@pytest.mark.parametrize("seed", SEEDS[::6])
def test_cpu_target(seed, directory):
    check(small(program(seed)), directory, "cpu", seed)


def test_the_programs_use_the_pass(directory):
    """Most programs get scalars (else the tester would test nothing new)."""
    hits = 0
    for seed in SEEDS[:8]:
        f = load(small(program(seed)), directory)
        # called, not .source_for: the module test_python_target[seed] built for these
        # arguments in this process is reused (sd.grad shares value_and_grad's), not
        # transformed again; in a process that did not run it, it is built here
        df = sd.grad(f, wrt=(0, 1, 2), target="python")
        df(*arguments(seed))
        text = df.source
        # scalarized, the literal is no array bound to xs (ys) whole
        hits += "xs = _a" not in text or "ys = _a" not in text
    assert hits >= 4
