"""``while`` loops that count an integer to a fixed limit become the ``for``
loops they are (passes/counted_whiles.py): the same values and gradients as
the ``while`` loop, a ``for`` in the generated code, and the loops that may
leave early, step by other amounts, count floats, or whose counter is read
after them (a ``for`` loop leaves another value in it) left as they are."""
from __future__ import annotations

import ast
import math
import re

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.frontend.source import get_source
from sourcediff.passes.counted_whiles import count_whiles, integer_names
from tests.fdcheck import check_grad

X = np.array([0.4, -1.3, 0.8, 2.1, -0.2, 0.9, 1.7])


def lindley(scale, x):
    n = x.shape[0]
    w = 0.0
    total = 0.0
    k = 0
    while k < n:
        w = w + scale * x[k] - 0.5
        if w < 0.0:                  # noqa: PLR1730 (as the queue is written)
            w = 0.0
        total += w
        k += 1
    return total / n


def inclusive_from(scale, x, start):
    k = start
    s = 0.0
    last = x.shape[0] - 1
    while last >= k:                 # k <= last, written the other way round
        s += scale * x[k] ** 2
        k += 1
    return s + k                     # start where the loop does not run


def nested(scale, x):
    s = 0.0
    for i in range(3):
        j = i
        while j < len(x):
            s += scale * x[j] * x[i]
            j += 1
    return s


def counter_read_after(scale, x):
    n = x.shape[0]
    total = 0.0
    k = 0
    while k < n:
        total += np.sin(scale * x[k])
        k += 1
    return total / k                 # k == n after the loop: stays a while loop


def resumed(scale, x):
    # k is not reset: the later runs start where the first left it (at the end)
    k = 0
    s = 0.0
    for t in range(3):
        while k < x.shape[0] - 2:
            s += scale * x[k] * (t + 1.0)
            k += 1
    return s


def to_an_int_parameter(scale, x, m):
    k = 0
    s = 0.0
    while k < m - 1:
        s += np.sin(scale * x[k]) * x[k + 1]
        k += 1
    return s


def seasonal(a, s0, y):
    # a Holt-Winters-like recursion: the counter steps before a seasonal index
    # that wraps with an if (nothing after the step reads t)
    m = s0.shape[0]
    s = s0.copy()
    level = 0.0
    loss = 0.0
    t = 0
    j = 0
    while t < y.shape[0]:
        e = y[t] - level - s[j]
        loss += e * e
        level = level + a * e
        s[j] = s[j] + a * e
        t += 1
        j += 1
        if j == m:
            j = 0
    return loss


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args", [
    (seasonal, (0.3, X[:3], np.concatenate([X, X]))),
    (lindley, (0.9, X)),
    (resumed, (0.8, X)),
    (counter_read_after, (0.8, X)),
    (inclusive_from, (0.7, X, 2)),
    (inclusive_from, (0.7, X, 9)),
    (nested, (1.3, X)),
    (to_an_int_parameter, (0.6, X, 5)),
])
def test_counted_whiles_keep_values_and_gradients(f, args, target):
    value, _ = sd.value_and_grad(f, wrt=(0, 1), target=target)(*args)
    assert np.isclose(value, f(*args), rtol=1e-12, atol=0.0)
    check_grad(f, args, wrt=(0, 1), target=target)


def _loops(f, int_params=()):
    tree = count_whiles(get_source(f), int_params).tree
    return [type(n).__name__ for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While))]


def leaves_early(x):
    k = 0
    s = 0.0
    while k < x.shape[0]:
        if x[k] > 2.0:
            break
        s += x[k]
        k += 1
    return s


def steps_twice(x):
    k = 0
    s = 0.0
    while k < x.shape[0]:
        s += x[k]
        k += 2
    return s


def counts_floats(x):
    t = 0.0
    s = 0.0
    while t < 3:
        s += x[0] * t
        t += 1
    return s


def steps_first(x):
    k = 0
    s = 0.0
    while k < x.shape[0] - 1:
        k += 1
        s += x[k]
    return s


def to_a_float_limit(x, limit):
    k = 0
    s = 0.0
    while k < limit:
        s += x[k]
        k += 1
    return s


def test_what_becomes_a_for_loop():
    assert _loops(lindley) == ["For"]
    assert _loops(seasonal) == ["For"]
    assert _loops(nested) == ["For", "For"]                   # j = i before each run
    assert _loops(to_an_int_parameter, ["m"]) == ["For"]
    assert _loops(to_an_int_parameter) == ["While"]          # m not known an int
    # the counter read after the loop, or carried into the next run of an outer loop
    assert _loops(counter_read_after) == ["While"]
    assert _loops(inclusive_from) == ["While"]
    assert _loops(resumed) == ["For", "While"]
    # the statements after the step read the next count (k + 1)
    assert _loops(steps_first) == ["For"]
    assert _loops(observed_every, ["n", "stride"]) == ["For"]
    for f in (leaves_early, steps_twice, counts_floats, to_a_float_limit):
        assert _loops(f) == ["While"], f.__name__


def observed_every(rate, x0, obs, n, stride):
    # Euler steps of a decay, compared with an observation every stride steps: the
    # test after the step reads the new count
    x = x0
    loss = 0.0
    t = 0
    k = 0
    while t < n:
        x = x - 0.1 * rate * x * x
        t += 1
        if t % stride == 0:
            e = math.log(x) - math.log(obs[k])
            loss += e * e
            k += 1
    return loss / k


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_count_read_after_its_step_keeps_values_and_gradients(target):
    args = (0.7, 1.3, np.linspace(1.2, 0.4, 6), 12, 2)
    value, _ = sd.value_and_grad(observed_every, wrt=(0, 1), target=target)(*args)
    assert np.isclose(value, observed_every(*args), rtol=1e-12, atol=0.0)
    check_grad(observed_every, args, wrt=(0, 1), target=target)
    check_grad(steps_first, (X,), wrt=0, target=target)


def test_a_count_read_after_its_step_needs_no_growing_tape():
    args = (0.7, 1.3, np.linspace(1.2, 0.4, 6), 12, 2)
    source = sd.value_and_grad(observed_every, wrt=(0, 1), target="python").source_for(*args)
    assert "room_for(" not in source and ".append(" not in source, source


@pytest.mark.parametrize("f, args", [
    (leaves_early, (X,)), (steps_twice, (X,)), (counts_floats, (X,)),
    (to_a_float_limit, (X, 4.5)),
])
def test_loops_left_as_whiles_keep_their_gradients(f, args):
    check_grad(f, args, wrt=0, target="python")


def test_integer_names():
    def f(x, n, y):
        a = n - 1
        b = x.shape[0] // 2
        c, d = x.shape
        e = len(x) + a * b
        g = 0.5
        h = 1
        h = h * g
        for i in range(n):
            pass
        return a, c, d, e, h, i
    tree = get_source(f).tree
    assert integer_names(tree, {"n"}) == {"n", "a", "b", "c", "d", "e", "i"}


def test_the_counted_loop_reads_its_elements_again_in_reverse():
    text = sd.grad(lindley, wrt=(0, 1), target="python").source_for(0.9, X)
    reverse = text.split("# -- reverse sweep", 1)[1]
    code = [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]
    assert any(re.match(r"for k\w* in range\(", line) for line in code)
    assert not any(line.startswith("while") for line in code)
    assert re.search(r"x\[k\w*\]", reverse)   # read again, not stored
    assert "_saved_t" not in text and "room_for" not in text


def test_counted_whiles_in_forward_mode():
    from tests.forward.jvpcheck import check_jvp
    check_jvp(to_an_int_parameter, (0.6, X, 5), (0, 1), "python")
    check_jvp(inclusive_from, (0.7, X, 2), (0, 1), "cpu")


def test_a_counted_while_is_checkpointed():
    import warnings

    def relax(x, n):
        y = x
        k = 0
        while k < n:
            y = np.sin(y) + 0.1
            k += 1
        return y
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # (no "keeps its full tape")
        got = sd.grad(relax, target="python", checkpoint=True)(0.5, 9)
    assert got == pytest.approx(sd.grad(relax, target="python")(0.5, 9), rel=1e-12)
