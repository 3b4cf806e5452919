"""Random loops whose body tests the index against the ends of the range
(passes/peel_ends.py): every comparison operator, either branch order, tests
against whole numbers and against the length plus a whole number, ranges that
start or stop inside the array, lengths from 1 up. Whether or not the pass
splits a loop, the gradient must match central finite differences (python
target: no compilation); the programs are written out as source text, as a
user would, and the seed is fixed so a failure names its program."""
from __future__ import annotations

import random

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad
from tests.sourceload import load_function

OPS = ["<", "<=", ">", ">=", "==", "!="]


def _test(rng, i):
    """A test on ``i`` against a whole number or ``n`` plus one."""
    op = rng.choice(OPS)
    if rng.random() < 0.5:
        right = str(rng.randint(-1, 3))
    else:
        k = rng.randint(-3, 1)
        right = "n" if k == 0 else f"n - {-k}" if k < 0 else f"n + {k}"
    left = i if rng.random() < 0.8 else f"{i} + {rng.randint(1, 2)}"
    if rng.random() < 0.2:
        left, right = right, left
    return f"{left} {op} {right}"


def _index(rng, i):
    """An index in ``[0, n)`` for every ``i`` in ``[0, n)``: a clamp or a wrap
    picked by a test (which may or may not be at an end), or a remainder."""
    form = rng.randrange(4)
    if form == 0:
        return f"{i} + 1 if {i} < n - 1 else 0"
    if form == 1:
        return f"{i} - 1 if {i} > 0 else n - 1"
    if form == 2:
        c = rng.randint(-2, 2)
        if c < 0 and rng.random() < 0.5:
            return f"({i} - {-c} + n) % n"
        return f"({i} + {c}) % n" if c >= 0 else f"({i} - {-c}) % n"
    return f"min(max({i} + {rng.randint(-2, 2)}, 0), n - 1) if {_test(rng, i)} else {i}"


def _program(seed):
    rng = random.Random(seed)
    start = rng.choice(["0", "0", "1"])
    stop = rng.choice(["n", "n", "n - 1"])
    lines = ["def f(x0, w):", "    n = x0.shape[0]", "    x = x0.copy()", "    s = 0.0",
             "    for t in range(2):", f"        for i in range({start}, {stop}):"]
    names = []
    for k in range(rng.randint(1, 3)):
        name = f"k{k}"
        lines.append(f"            {name} = {_index(rng, 'i')}")
        names.append(name)
    if rng.random() < 0.5:
        lines += [f"            if {_test(rng, 'i')}:",
                  f"                a = x[{rng.choice(names)}] * w[i]",
                  "            else:",
                  f"                a = np.sin(x[{rng.choice(names)}])"]
    else:
        lines.append(f"            a = x[{rng.choice(names)}] * w[i]")
    terms = " + ".join(f"x[{nm}] * x[i]" for nm in names)
    lines.append(f"            x[i] = x[i] + 0.1 * np.tanh(a + {terms})")
    lines.append("            s += a * a")
    lines.append("    return s + np.sum(x * x)")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(40))
def test_random_index_tests_match_finite_differences(seed, tmp_path_factory):
    source = "import numpy as np\n\n\n" + _program(seed)
    f = load_function(source, tmp_path_factory.mktemp("peel"), "peel_random_")
    for n in (1, 2, 3, 7):
        rng = np.random.default_rng(seed * 10 + n)
        args = (rng.standard_normal(n), rng.standard_normal(n))
        check_grad(f, args, wrt=(0, 1), target="python")


@pytest.mark.parametrize("seed", [0, 5, 26])
def test_compiled_random_programs_agree_with_python(seed, tmp_path_factory):
    source = "import numpy as np\n\n\n" + _program(seed)
    f = load_function(source, tmp_path_factory.mktemp("peel"), "peel_random_")
    for n in (2, 7):
        rng = np.random.default_rng(seed + n)
        args = (rng.standard_normal(n), rng.standard_normal(n))
        want = sd.grad(f, wrt=(0, 1), target="python")(*args)
        got = sd.grad(f, wrt=(0, 1))(*args)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
