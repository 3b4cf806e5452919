"""A number an inner loop adds to in every iteration is summed per run of the
loop (passes/partial_sums.py): the code it writes, where it must not apply,
and the k-means gradient written with scalars, whose generated code now sums
each row as the row-temporary style's does."""
from __future__ import annotations

import ast

import pytest

import sourcediff as sd
from sourcediff.bench.programs import kmeans
from sourcediff.passes.partial_sums import sum_inner_loops


def rewrite(code: str, scalars=("s",)) -> str:
    out = sum_inner_loops(ast.parse(code).body, set(scalars))
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=out, type_ignores=[])))


NEST = """
for i in range(n):
    for j in range(m):
        t = x[i, j] * w
        s += t * t
        dx[i, j] += t
"""


def test_sums_each_run_of_the_inner_loop():
    assert rewrite(NEST) == (
        "for i in range(n):\n    s_j = 0.0\n    for j in range(m):\n        t = x[i, j] * w\n"
        "        s_j += t * t\n        dx[i, j] += t\n    s += s_j")


def test_a_subtraction_is_summed_then_added():
    text = rewrite(NEST.replace("s += t * t", "s -= t"))
    assert "s_j -= t" in text and "s += s_j" in text


@pytest.mark.parametrize("change", [
    ("s += t * t", "s += t * s"),                       # reads the running sum
    ("t = x[i, j] * w", "t = x[i, j] * w\n        if t > 1.0:\n            break"),
    ("dx[i, j] += t", "dx[i, j] += t\n        tape[j] = s"),   # saves it
    ("for i in range(n):\n", "for i in range(n):\n    s = 0.0\n"),  # a sum of this run already
])
def test_what_leaves_the_add_alone(change):
    code = NEST.replace(*change)
    assert rewrite(code) == ast.unparse(ast.parse(code))


def test_only_inner_loops_and_known_numbers():
    top = "for j in range(m):\n    s += x[j]"
    assert rewrite(top) == top                          # nothing to run side by side
    assert rewrite(NEST, scalars=()) == ast.unparse(ast.parse(NEST))   # s not a float64 number


def test_the_scalar_kmeans_sums_each_row():
    args = kmeans.make_args(kmeans.SIZES["small"])
    text = sd.value_and_grad(kmeans.kmeans_scalar, wrt=kmeans.WRT,
                             target="python").source_for(*args)
    assert "s_j = 0.0" in text and "s_j += _t3" in text and "s += s_j" in text
