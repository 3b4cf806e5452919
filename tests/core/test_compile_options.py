"""The Numba options a generated module is compiled with: a derivative's sums
may be reassociated (vectorized reductions) and its quotients by a number a
loop does not change taken as products by its reciprocal, unless the user's own
``numba.njit`` said otherwise; a primal stays as written; the options are
part of the generated file's name (Numba's cache key does not hold them)."""
from __future__ import annotations

import os
import subprocess
import sys

import numba
import numpy as np

import sourcediff as sd
from sourcediff.backends.numba_cpu import module_path
from sourcediff.transforms.base import Transformed


def loss(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s += w * x[i] * x[i]
    return s


def test_a_derivative_may_add_its_terms_in_another_order():
    # (sums reassociated; quotients stay quotients: no ``arcp``)
    fast = {"fastmath": {"reassoc"}}
    assert sd.value_and_grad(loss, wrt=(0, 1)).compile_options() == fast
    assert sd.grad(loss).compile_options() == fast
    assert sd.vjp(loss).compile_options() == fast


def test_the_users_fastmath_setting_wins():
    strict = numba.njit(fastmath=False)(loss)
    assert sd.grad(strict).compile_options()["fastmath"] is False
    fast = sd.grad(numba.njit(fastmath=True, error_model="python")(loss)).compile_options()
    assert fast["fastmath"] is True and fast["error_model"] == "python"


def test_a_primal_is_compiled_as_written():
    assert Transformed(loss, 0, "cpu", "primal").compile_options() == {}


def test_the_options_name_the_generated_file():
    source = "def f(x):\n    return x\n"
    plain = module_path(source, "f")
    assert module_path(source, "f", {}) == plain
    assert module_path(source, "f", {"fastmath": {"reassoc"}}) != plain
    assert module_path(source, "f", {"fastmath": {"reassoc"}}) == \
        module_path(source, "f", {"fastmath": {"reassoc"}})


def test_the_file_name_is_the_same_in_every_run():
    """A set of fastmath flags iterates in an order that follows the run's
    string hashes: the name of the generated file must not, or half the runs
    compile again what an earlier run left in the cache."""
    script = ("from sourcediff.backends.numba_cpu import module_path\n"
              "print(module_path('def f(x):\\n    return x\\n', 'f', "
              "{'fastmath': {'reassoc', 'arcp', 'nsz', 'contract'}}).name)\n")
    names = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, env={**os.environ, "PYTHONHASHSEED": str(seed)}
                            ).stdout.strip() for seed in range(4)}
    assert len(names) == 1, names


def cells(a, xs, d):
    """``int(x / d)`` on grid nodes: a quotient taken as ``x * (1 / d)`` is
    0.9999999999999999 for 49 / 49 and picks the cell below."""
    s = 0.0
    for k in range(xs.shape[0]):
        q = xs[k] / d
        j = int(q)
        s += a * j + (q - j) * a * a
    return s


def test_quotients_on_grid_nodes_are_the_primals():
    xs = np.array([49.0, 98.0, 147.0])
    value, (da,) = sd.value_and_grad(cells, wrt=(0,))(2.0, xs, 49.0)
    assert value == cells(2.0, xs, 49.0) == 12.0 and da == 6.0
