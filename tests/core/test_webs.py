"""A name reused by independent loops gets a name per loop (passes/webs.py).

Each program is checked against finite differences on both targets; the
generated code is checked to treat each loop on its own: the loop that could
recompute its temporaries does, although the same names are stored in another
loop, and a name whose value flows out of a loop keeps one name.
"""
import atexit
import math
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad
from sourceload import load_function


def reused_in_two_loops(x, w):
    """``d`` in the first loop, and again in the time loop's inner loop."""
    n = x.shape[0]
    s = 0.0
    for i in range(n - 1):
        d = x[i + 1] - x[i]
        s += d * d * w
    u = x.copy()
    for t in range(3):
        for i in range(n - 1):
            d = u[i + 1] - u[i]
            u[i] = u[i] + 0.1 * math.sin(d) * w
    for i in range(n):
        s += u[i] * u[i]
    return s


def flows_out(x):
    """``d`` after the first loop is read: the loops stay one use of ``d``."""
    d = 0.0
    s = 0.0
    for i in range(x.shape[0]):
        d = x[i] * x[i]
        s += d
    for i in range(x.shape[0]):
        s += d * x[i]
        d = x[i]
    return s + d


def read_before_set(x):
    """The second loop reads ``p`` before setting it: a value carried across
    iterations, so it keeps the name."""
    p = 1.0
    for i in range(x.shape[0]):
        p = math.sin(x[i]) + p * 0.0
    s = 0.0
    for i in range(x.shape[0]):
        s += p * x[i]
        p = x[i] * 0.5
    return s


def under_a_branch(x, flag):
    """``d`` set in both branches before use: still a use of its own."""
    s = 0.0
    for i in range(x.shape[0]):
        d = x[i] * 2.0
        s += d
    for i in range(x.shape[0]):
        if flag > 0:
            d = math.cos(x[i])
        else:
            d = x[i] * x[i]
        s += d * d
    return s


def number_then_counter(x, w, m):
    """``t`` a differentiated number, then a loop counter: two uses."""
    t = x[0] * w
    s = math.sin(t)
    for t in range(m):
        s += x[1] * t * w
    return s


def counter_read_after(x, w, m):
    """The same, but the last count is read after the loop: one name, and the
    count takes nothing from the number the name held before."""
    t = x[0] * w
    s = math.sin(t)
    for t in range(m):
        s += x[1] * t * w
    return s + 0.1 * t


# Two inner loops of one time step setting one name ``w``: the first re-runs it
# in its reverse, the second overwrites what it is computed from (saved).  As
# one name, the first loop's reverse clobbered the value the second restores
# from (a new user's particle-in-cell deposit and gather: gradient 1-12% off).
# Each variant differs from the first in one respect.
STEP_VARIANTS = {
    "inner_loops_of_a_step": {},
    "restored_loop_first": {"order": "BA", "outer": "while"},    # other order, a while
    "two_levels_down": {"levels": 2},                            # a loop between them
    "set_before_the_step": {"before": "w = 1.0"},                # set, never read, before
    # names with a leading underscore are never split (the normalizer's
    # temporaries are assigned once): the re-run loop saves what it overwrites
    # too (Planner.save_where_rerun)
    "underscored_name": {"name": "_w"},
    # read at the top of each step (the second loop's last value): one name, carried
    "carried_into_the_step": {"before": "w = 0.2", "top": "s += w"},
}


def _step_source(fname, order="AB", outer="for", levels=1, before="", top="", name="w"):
    loops = {"A": ["for p in range(n):", "    w = x[p] * 0.5", "    s += w * w"],
             "B": ["for p in range(n):", "    w = math.sin(x[p])",
                   "    x[p] = x[p] + 0.5 * w * w"]}
    body = ([top] if top else []) + loops[order[0]] + loops[order[1]]
    for _ in range(levels - 1):
        body = ["for rep in range(2):"] + ["    " + b for b in body]
    if outer == "while":
        head, body = ["it = 0", "while it < steps:"], body + ["it += 1"]
    else:
        head = ["for it in range(steps):"]
    lines = ["n = x0.shape[0]", "x = x0.copy()", "s = 0.0"] + ([before] if before else []) + \
        head + ["    " + b for b in body] + ["return s"]
    text = re.sub(r"\bw\b", name, "\n".join("    " + ln for ln in lines))
    return f"import math\n\n\ndef {fname}(x0, steps):\n{text}\n"


_STEP_DIR = Path(tempfile.mkdtemp(prefix="sd_webs_"))
atexit.register(shutil.rmtree, _STEP_DIR, ignore_errors=True)   # (read until the run ends)
STEPS = {fname: load_function(_step_source(fname, **kw), _STEP_DIR, "sd_webs_", fname)
         for fname, kw in STEP_VARIANTS.items()}


def statement_then_loops(x0, steps):
    """``w`` set by a statement of the step, then by two loops."""
    n = x0.shape[0]
    x = x0.copy()
    s = 0.0
    for it in range(steps):
        w = x[0] * 0.5
        s += w * w
        for p in range(n):
            w = math.sin(x[p])
            x[p] = x[p] + w * w
        for p in range(n):
            w = x[p] * 0.25
            s += w * w
    return s


X = np.array([0.3, -0.2, 0.5, 0.1, 0.7])


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("func, args, wrt", [
    (reused_in_two_loops, (X, 0.7), (0, 1)),
    (flows_out, (X,), 0),
    (read_before_set, (X,), 0),
    (under_a_branch, (X, 1.0), 0),
    (under_a_branch, (X, -1.0), 0),
    (number_then_counter, (X, 0.9, 4), (0, 1)),
    (counter_read_after, (X, 0.9, 4), (0, 1)),
    (counter_read_after, (X, 0.9, 0), (0, 1)),
    *[(STEPS[name], (X, 3), 0) for name in (
        "inner_loops_of_a_step", "restored_loop_first", "two_levels_down",
        "carried_into_the_step", "set_before_the_step")],
    (statement_then_loops, (X, 3), 0),
    (STEPS["underscored_name"], (X, 3), 0),
], ids=["two-loops", "flows-out", "read-before-set", "branch+", "branch-", "counter",
        "counter-read-after", "no-count", "inner-loops", "restored-first", "two-levels",
        "carried", "set-before", "statement-then-loops",
        "underscored"])
def test_gradient_matches_finite_differences(func, args, wrt, target):
    check_grad(func, args, wrt=wrt, target=target)


def _source(func, args, wrt):
    return sd.grad(func, wrt=wrt, target="python").source_for(*args)


def test_each_loop_gets_its_own_name():
    src = _source(reused_in_two_loops, (X, 0.7), (0, 1))
    assert "d_v2 = " in src
    # the first loop's d is recomputed, not stored; the time loop's d_v2 (read
    # from u, which that loop overwrites) is stored in an array allocated once
    assert "_saved_d =" not in src and "_saved_d_v2 = np.empty(" in src
    assert ".append(" not in src


def test_inner_loops_of_a_step_get_a_name_each():
    for func in [STEPS[name] for name in ("inner_loops_of_a_step", "restored_loop_first",
                                          "two_levels_down", "set_before_the_step")] + \
            [statement_then_loops]:
        assert "w_v2 = " in _source(func, (X, 3), 0), func.__name__
    assert "w_v2" not in _source(STEPS["carried_into_the_step"], (X, 3), 0)


def test_a_value_that_flows_out_keeps_its_name():
    assert "_v2" not in _source(flows_out, (X,), 0)
    assert "_v2" not in _source(read_before_set, (X,), 0)


def test_branches_defining_the_name_count_as_a_use_of_its_own():
    assert "d_v2" in _source(under_a_branch, (X, 1.0), 0)


def periodic_pairs(x, L, a):
    """``dx`` reassigned in the pair loop (minimum image): a name per assignment."""
    e = 0.0
    for i in range(x.shape[0]):
        for j in range(i + 1, x.shape[0]):
            dx = x[j] - x[i]
            dx -= L * round(dx / L)
            dx = dx * a
            e += math.exp(-dx * dx)
    return e


def reassigned_and_read_after(x, a):
    """``t`` is read after the loop: one name, its value stored."""
    e = 0.0
    t = 0.0
    for i in range(x.shape[0]):
        t = x[i] * a
        t = math.sin(t) + x[i]
        e += t * t
    return e + t


def reassigned_in_a_branch(x, a):
    """``t`` is also assigned inside a branch: a name per value there too (``t_v2``
    from the branch, read by ``math.sin``; webs.py ``split_carried_versions``)."""
    e = 0.0
    for i in range(x.shape[0]):
        t = x[i] * a
        if t > 0.0:
            t = t * 2.0
        t = math.sin(t)
        e += t * t
    return e


def running_max_then_again(x, a):
    """``m`` in the loop, then set afresh after it: two webs."""
    s = 0.0
    for k in range(3):
        m = -1e300
        for i in range(x.shape[0]):
            m = max(m, x[i] * a + k)
        s += m
    m = -1e300
    for i in range(x.shape[0]):
        m = max(m, math.sin(x[i]))
    return s + m


VERSION_CASES = [
    (periodic_pairs, (np.array([0.1, 0.45, 0.93, 0.31]), 0.8, 1.3), (0, 2), "dx_v3", True),
    (reassigned_and_read_after, (np.array([0.3, -0.2, 0.7]), 0.9), (0, 1), None, False),
    (reassigned_in_a_branch, (np.array([0.3, -0.2, 0.7]), 0.9), (0, 1), "t_v2", None),
    (running_max_then_again, (np.array([0.3, -0.2, 0.7]), 0.9), (0, 1), "m_v2", None),
]


@pytest.mark.parametrize("func,args,wrt,renamed,fused", VERSION_CASES,
                         ids=[c[0].__name__ for c in VERSION_CASES])
def test_a_name_reassigned_in_a_row_gets_a_name_per_value(func, args, wrt, renamed, fused):
    check_grad(func, args, wrt, "python")
    text = sd.grad(func, wrt=wrt, target="python").source_for(*args)
    if renamed is not None:
        assert f"{renamed} = " in text
    else:
        assert "_v2 = " not in text
    if fused is not None:            # (None: either is right; the gradient decides)
        assert ("forward and reverse iterations fused" in text) == fused
    if fused:
        assert "_saved" not in text and ".append(" not in text


def test_periodic_pairs_compiled():
    check_grad(periodic_pairs, (np.array([0.1, 0.45, 0.93, 0.31, 0.66]), 0.8, 1.3), (0, 2),
               "cpu")


def test_a_loop_counter_reusing_a_name_gets_its_own():
    src = _source(number_then_counter, (X, 0.9, 4), (0, 1))
    assert "for t_v2 in range(m" in src
    assert "_v2" not in _source(counter_read_after, (X, 0.9, 4), (0, 1))
