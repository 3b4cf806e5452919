"""``xs = []``, ``xs.append(v)`` in a ``for`` loop, ``np.array(xs)`` after it: the
array NumPy makes, filled in the loop (passes/normalize.py ``appended_lists``: an array
of one element per iteration made before the loop, cut to the count of appends after
it), conditional appends and breaks included; in a ``while`` loop, whose count is not
known before it, an array with room for 16 that is given twice the room when full
(``grown``); what it does not cover (rows appended, a list read while it grows) stays a
located error that says what is covered."""
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forward"))
from fdcheck import check_grad
from jvpcheck import check_jvp


def every_step(x, n):
    xs = []
    for i in range(n):
        xs.append(x[i] ** 2 + 0.5 * x[i - 1])
    a = np.array(xs)
    return np.sum(a * a) + len(xs)


def some_steps(x):                     # appends under an if, then a break
    vals = []
    s = 0.0
    for v in x:
        if v > 0.0:
            vals.append(np.sin(v) * s + v)
        if s > 1.0:
            break
        s += v
    return np.sum(np.array(vals) ** 2) + np.max(np.array(vals))


def positions(x):                      # integers, as NumPy makes them: an index array
    idx = []
    for k in range(0, x.shape[0], 2):
        idx.append(k)                  # noqa: PERF402 (the idiom under test)
    return np.sum(x[np.array(idx)] ** 2)


def per_step(x):                       # a list made afresh in each step of an outer loop
    s = 0.0
    for t in range(3):
        row = []
        for i in range(x.shape[0]):
            row.append(x[i] * t + s)
        s += np.sum(np.array(row) ** 2) * 0.1
    return s


def while_steps(x):
    out = []
    t = 0.0
    while t < 1.0:
        out.append(t * x[0])
        t += 0.25
    return np.sum(np.array(out))


def while_until_a_sum(x, tol):         # 36 appends: the room grows twice (16, 32, 64)
    xs = []
    s = 0.0
    k = 0
    while s < tol:
        s += x[k % x.shape[0]] ** 2
        if k % 3 != 1:
            xs.append(s * x[0] + np.sin(x[k % x.shape[0]]))
        k += 1
    a = np.array(xs)
    return np.sum(a * a) * 0.001 + len(xs)


def while_never_runs(x):               # no append: an empty array
    xs = []
    t = 2.0
    while t < 1.0:
        xs.append(x[0])
        t += 1.0
    return np.sum(np.array(xs)) + x[1] ** 2


def while_counts(x):                   # integer items: an int64 array
    idx = []
    k = 0
    while k < x.shape[0]:
        idx.append(k)
        k += 2
    return np.sum(x[np.array(idx)] ** 2)


def two_lists(x):                      # two lists appended to in one loop
    vals = []
    idx = []
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            vals.append(x[i] ** 3)
            idx.append(i)
    return np.sum(np.array(vals)) + np.sum(x[np.array(idx)] ** 2)


def all_of_them(x):
    return (every_step(x, 4) + some_steps(x) + positions(x) + per_step(x) + while_steps(x)
            + while_until_a_sum(x, 11.0) + while_never_runs(x) + while_counts(x)
            + two_lists(x))


X = np.array([0.3, -0.2, 0.5, 0.8, -0.1])
CASES = [(every_step, (X, 4)), (some_steps, (X,)), (positions, (X,)), (per_step, (X,)),
         (while_steps, (X,)), (while_until_a_sum, (X, 11.0)), (while_never_runs, (X,)),
         (while_counts, (X,)), (two_lists, (X,))]


@pytest.mark.parametrize("f,args", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_and_tangent(f, args):
    check_grad(f, args, 0, "python")
    check_jvp(f, args, 0, "python")


def test_compiled():
    check_grad(all_of_them, (X,), 0, "cpu")


def test_the_array_is_made_before_the_loop_and_cut_after_it():
    src = sd.value_and_grad(some_steps, target="python").source_for(X)
    assert "vals = np.empty(" in src and "vals[vals_count] = " in src, src
    # integer items: an int64 array (its index reads need integers)
    made = sd.value_and_grad(positions, target="python").source_for(X)
    assert re.search(r"idx = np\.empty\(\w+, \w+\)", made), made
    # a while loop: room for 16, grown when full
    grows = sd.value_and_grad(while_until_a_sum, target="python").source_for(X, 11.0)
    assert "xs = np.empty(16)" in grows and "grown(xs)" in grows, grows
    counts = sd.value_and_grad(while_counts, target="python").source_for(X)
    assert re.search(r"_t\d+ = np\.int64\n +idx = np\.empty\(16, _t\d+\)", counts), counts


def test_values_are_numpys():
    for f, args in CASES:
        assert sd.value_and_grad(f, target="python")(*args)[0] == pytest.approx(
            f(*args), rel=1e-13), f.__name__
    # (the room grew twice in while_until_a_sum)
    assert sd.value_and_grad(while_until_a_sum, target="python")(X, 11.0)[0] > 32


def rows(x):
    out = []
    for i in range(3):
        out.append(x[i:i + 2] * 2.0)
    return np.sum(np.array(out) ** 2)


def read_while_growing(x):
    xs = []
    for i in range(3):
        xs.append(x[i])
        if xs[-1] > 0:
            xs.append(1.0)
    return np.sum(np.array(xs))


def nested_appends(x):
    xs = []
    for i in range(2):
        for j in range(3):
            xs.append(x[i] * j)
    return np.sum(np.array(xs) ** 2)


def two_loops(x):
    xs = []
    for i in range(2):
        xs.append(x[i])
    for i in range(2):
        xs.append(x[i] * 2.0)
    return np.sum(np.array(xs) ** 2)


def outside_a_loop(x):
    xs = []
    xs.append(x[0])
    return np.sum(np.array(xs))


@pytest.mark.parametrize("f,words", [
    (rows, ("the list 'out' appended to in a loop is made an array of numbers: appending "
            "arrays to it is not supported; fill the rows of an array made before the loop")),
    (read_while_growing, ("the list 'xs' cannot be differentiated here: it is read in the "
                          "loop while it grows")),
    (nested_appends, "it is appended to in a loop nested in its loop"),
    (two_loops, "it is appended to in more than one loop"),
    (outside_a_loop, "it is appended to outside a loop")])
def test_what_it_does_not_cover_is_a_located_error(f, words):
    with pytest.raises(sd.TransformError) as info:
        sd.grad(f, target="python")(X)
    assert words in str(info.value) and "test_appended_lists.py" in str(info.value)
