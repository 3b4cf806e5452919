"""Small branches over numbers become selects (``passes/selects.py``).

The pass on its own (which ``if``s it converts, which it leaves, where a
merged number gets its value before the ``if``), then programs whose
branches it converts -- a slope limiter in a helper, nested early returns,
an ``abs`` in a loop, a number first set inside a loop, an int counter --
against finite differences on the compiled and the Python targets, in reverse
and forward mode, and the generated code of the limiter, which has no
``if`` left.
"""
import ast
import math
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.bench.unseen.burgers import minmod  # the slope limiter, an njit helper
from sourcediff.passes.selects import select_branches

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

FLOATS = {"a", "b", "x", "y", "z", "s", "w", "m"}


def _convert(src, kinds=None, live_out=()):
    fn = ast.parse(textwrap.dedent(src)).body[0]
    kinds = kinds or {}

    def kind(v):
        if v in kinds:
            return kinds[v]
        return "float" if v in FLOATS or v.startswith("_t") else \
            "bool" if v.startswith("_c") else None

    params = [a.arg for a in fn.args.args]
    fn.body, = select_branches([fn.body], params, kind, live_out)
    return ast.unparse(ast.fix_missing_locations(fn))


def _run(text, *args):
    env = {"math": math}
    exec(compile(text, "<converted>", "exec"), env)  # noqa: S102 - runs the converted function
    fn = next(v for k, v in env.items() if callable(v) and k != "math")
    return fn(*args)


# -- the pass on its own -------------------------------------------------------
def test_an_if_else_setting_one_number_is_one_select():
    text = _convert("""
        def f(a, b):
            _c1 = a > b
            if _c1:
                y = a * a
            else:
                y = -3.0 * b
            return y
    """)
    assert "if _c1:" not in text
    # (each arm computed in a statement of its own: Numba compiles a conditional
    # expression to branches, which LLVM makes a select when its arms are names)
    assert "y = y_then if _c1 else y_else" in text
    for a, b in ((1.0, 2.0), (2.0, 1.0), (1.5, 1.5)):
        assert _run(text, a, b) == (a * a if a > b else -3.0 * b)


def test_a_number_set_in_one_arm_keeps_its_value_from_before():
    text = _convert("""
        def f(a, b):
            y = b
            _c1 = a > 0.0
            if _c1:
                y += a
                y = y * 2.0
            return y
    """)
    assert "if _c1:" not in text
    for a, b in ((1.0, 2.0), (-1.0, 2.0)):
        assert _run(text, a, b) == ((b + a) * 2.0 if a > 0.0 else b)


def test_a_copy_before_the_if_goes_into_the_merge():
    # ``y = b`` then ``if c: y = ...``: the merge reads ``b`` and ``y`` is bound once
    # (a value the planner may recompute, where a name bound twice was stored)
    text = _convert("""
        def f(a, b):
            y = b
            s = y * 3.0
            _c1 = a > s
            if _c1:
                y = a * 2.0
            return y + s
    """)
    assert "if _c1:" not in text
    assert "y = b" not in text and "s = b * 3.0" in text, text
    assert text.count("y = ") == 1 and "else b" in text, text
    for a, b in ((1.0, 0.1), (-1.0, 0.1)):
        assert _run(text, a, b) == (a * 2.0 if a > b * 3.0 else b) + b * 3.0


def test_a_copy_an_index_store_reads_stays():
    # the store's index reads ``j``: the copy stays (only values of assignments to
    # names are read from ``k`` instead)
    text = _convert("""
        def f(a, k, z):
            j = k
            z[j] = 1.0
            _c1 = a > 0.0
            if _c1:
                j = 0
            return j
    """, kinds={"j": "int", "k": "int", "z": None})
    assert "j = k" in text, text
    z = [0.0, 0.0]
    assert _run(text, 1.0, 1, z) == 0 and z == [0.0, 1.0]
    assert _run(text, -1.0, 1, z) == 1


def test_nested_ifs_in_an_arm_convert_first():
    src = """
        def f(a, b):
            _c1 = a * b <= 0.0
            if _c1:
                m = 0.0
            else:
                _c2 = a > 0.0
                if _c2:
                    m = min(a, b)
                else:
                    m = max(a, b)
            return m
    """
    text = _convert(src)
    assert "if " not in text.replace(" if ", "")    # no if statement left
    for a, b in ((1.0, 2.0), (-1.0, -3.0), (1.0, -1.0), (0.0, 2.0), (3.0, 1.0)):
        want = 0.0 if a * b <= 0.0 else (min(a, b) if a > 0.0 else max(a, b))
        assert _run(text, a, b) == want


@pytest.mark.parametrize("arm, why", [
    ("y = x[0]", "reads an element (the test may guard its index)"),
    ("y = a / b", "divides by a number that may be zero"),
    ("y = math.exp(a)", "calls a function that may raise in Python"),
    ("y = a ** 2", "a power may overflow and raise in Python"),
    ("x[0] = a", "writes an element"),
    ("y = g(a)", "calls a function"),
])
def test_arms_that_could_fail_or_touch_memory_stay_branches(arm, why):
    text = _convert(f"""
        def f(a, b, x, g):
            y = 0.0
            _c1 = a > b
            if _c1:
                {arm}
            return y
    """, kinds={"x": None, "g": None})
    assert "if _c1:" in text, why


def test_a_name_the_arm_reads_must_be_bound_on_every_path():
    # ``t`` is only bound where ``_c1`` held: the second if reads it only then
    text = _convert("""
        def f(a):
            _c1 = a > 0.0
            if _c1:
                t = math.exp(a)
            if _c1:
                y = t * 2.0
            return y
    """, kinds={"t": "float"})
    assert text.count("if _c1:") == 2


def test_a_number_maybe_bound_before_outside_loops_stays_a_branch():
    text = _convert("""
        def f(a, b):
            _c1 = a > 0.0
            if _c1:
                y = math.exp(a)
            _c2 = b > 0.0
            if _c2:
                y = b
            return y
    """)
    assert "if _c2:" in text


def test_a_number_first_set_in_a_loop_is_zeroed_before_the_loop():
    src = """
        def f(x, n):
            s = 0.0
            for i in range(n):
                _t1 = x[i]
                _c1 = _t1 > 0.0
                if _c1:
                    m = _t1
                s = s + m
            return s
    """
    text = _convert(src, kinds={"x": None, "n": "int", "i": "int"})
    assert "if _c1:" not in text
    assert text.index("m = 0.0") < text.index("for i in range(n):")
    x = np.array([1.0, -2.0, 3.0, -4.0])
    # the branch not taken keeps the value of the iteration before
    assert _run(text, x, 4) == 1.0 + 1.0 + 3.0 + 3.0


def test_what_nothing_reads_after_the_if_is_not_computed():
    text = _convert("""
        def f(a, b):
            _c1 = a > b
            if _c1:
                dy = a * b
                dx = dy + 1.0
                dy = 0.0
            return dx
    """, kinds={"dx": "float", "dy": "float"}, live_out=())
    assert "dy = 0.0" not in text
    assert _run(text, 2.0, 1.0) == 3.0


def test_a_temporary_each_iteration_sets_before_reading_is_not_merged():
    # ``x < 0.0 or x >= n - 1.0`` in a loop: the arm's ``_t2`` is read in the arm
    # alone; only ``_c1``, read after the ``if``, is merged (the loop's liveness
    # is taken to its fixed point: a name read anywhere in the loop is not live
    # after the ``if`` where each iteration sets it first)
    text = _convert("""
        def f(x, m, n):
            s = 0.0
            for i in range(n):
                _c1 = x < 0.0
                _c3 = not _c1
                if _c3:
                    _t2 = m - 1.0
                    _c1 = x >= _t2
                if _c1:
                    s = s + 1.0
                x = x + 0.75
            return s
    """, kinds={"m": "float", "n": "int", "i": "int"})
    assert "_t2 =" in text and "_t2_then" not in text and " else _t2" not in text
    assert "_c1_then" in text or "_c1 = " in text
    assert _run(text, -1.0, 3.0, 6) == sum(1.0 for k in range(6) if not 0.0 <= -1.0 + 0.75 * k < 2.0)


def test_a_number_read_in_the_next_iteration_is_merged():
    # ``prev`` set in the arm is read at the top of the next iteration: live
    # where the ``if`` ends, so the branch not taken keeps the older value
    text = _convert("""
        def f(x, n):
            prev = 0.0
            s = 0.0
            for i in range(n):
                _t1 = x[i]
                s = s + prev
                _c1 = _t1 > 0.0
                if _c1:
                    prev = _t1 * 2.0
            return s
    """, kinds={"x": None, "n": "int", "i": "int", "prev": "float"})
    assert "if _c1:" not in text and "else prev" in text
    x = np.array([1.0, -2.0, 3.0, -4.0])
    assert _run(text, x, 4) == 0.0 + 2.0 + 2.0 + 6.0


def test_a_merge_reads_what_the_arm_read_not_what_it_set_after():
    # ``s = e`` then ``e = 0.0`` in one arm (the reverse of ``excess = s - cap``
    # followed by its reset): the merge of s must not read e after the reset
    text = _convert("""
        def f(a, b):
            _c1 = a > b
            s = b
            e = a * 2.0
            if _c1:
                s = e
                e = 0.0
            return s
    """, kinds={"e": "float"})
    assert not any(isinstance(n, ast.If) for n in ast.walk(ast.parse(text)))
    assert _run(text, 2.0, 1.0) == 4.0 and _run(text, 1.0, 2.0) == 2.0


def test_a_test_that_reads_an_element_is_evaluated_once_as_before():
    text = _convert("""
        def f(x, a):
            y = a
            if x[0] > a:
                y = a * 2.0
            return y
    """, kinds={"x": None})
    assert "x[0] > a" in text and "if x[0]" not in text
    assert text.count("x[0]") == 1


# -- programs ------------------------------------------------------------------
def limited_slopes(u):
    n = u.shape[0]
    s = 0.0
    for i in range(1, n - 1):
        d = minmod(u[i] - u[i - 1], u[i + 1] - u[i])
        s += d * d * u[i]
    return s


def leaky(x, alpha):
    s = 0.0
    for i in range(x.shape[0]):
        v = x[i]
        if v > 0.0:
            y = v
        else:
            y = alpha * v
        s += y * y
    return s


def running_peak(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0.5:
            peak = x[i] * x[i]
        s += peak * x[i]
    return s


def clipped_steps(x, lo, hi):
    v = x[0]
    s = 0.0
    for i in range(1, x.shape[0]):
        v = v + 0.5 * x[i]
        if v > hi:
            v = hi
        elif v < lo:
            v = lo + 0.1 * (lo - v)
        s += v * x[i]
    return s


def counted(x):
    k = 0
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            k += 1
            s += x[i] * k
        else:
            s -= 0.5 * x[i] * x[i]
    return s


def accumulated_in_arms(x, y):
    s = x * y
    if x < y:
        s = s + x
    if x != y:
        s = s - y * y
    if x >= 0.5 * y:
        s = s * x
    return s


def overflow(cap, x):
    """A bucket that overflows: the excess gets a default before the ``if`` that
    sets it and caps the level it was computed from (an HBV soil routine)."""
    s = 0.0
    out = 0.0
    for t in range(x.shape[0]):
        s += x[t]
        excess = 0.0
        if s > cap:
            excess = s - cap
            s = cap
        out += excess * excess + 0.1 * s
    return out


def overflow_while(cap, x):
    s = 0.0
    out = 0.0
    t = 0
    while t < x.shape[0]:
        s += x[t]
        excess = 0.0
        if s > cap:
            excess = s - cap
            s = cap
        out += excess
        t += 1
    return out


def _data(n, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n)


PROGRAMS = [
    (limited_slopes, (np.sin(np.linspace(0.0, 6.0, 13)) + 0.1 * _data(13, 1),), 0),
    (leaky, (_data(11, 2), 0.1), (0, 1)),
    (running_peak, (np.abs(_data(9, 3)) + 0.05,), 0),
    (clipped_steps, (_data(10, 4), -0.7, 0.8), (0, 1, 2)),
    (counted, (_data(12, 5),), 0),
    # (an arm's ``s = s + x`` printed ``s_then += x`` in the tangent: unbound)
    (accumulated_in_arms, (0.3, 0.7), (0, 1)),
    (accumulated_in_arms, (0.9, 0.7), (0, 1)),
    # (the excess's gradient was 5x off: the merge read its reset)
    (overflow, (1.0, np.array([0.5, 0.9, 0.2, 0.8, 0.4, 1.1])), (0, 1)),
    (overflow_while, (1.0, np.array([0.5, 0.9, 0.2, 0.8, 0.4, 1.1, 0.05, 0.7])), (0, 1)),
]


@pytest.mark.parametrize("f, args, wrt", PROGRAMS, ids=[p[0].__name__ for p in PROGRAMS])
@pytest.mark.parametrize("target", ["cpu", "python"])
def test_programs_with_converted_branches_match_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


@pytest.mark.parametrize("f, args, wrt", PROGRAMS, ids=[p[0].__name__ for p in PROGRAMS])
def test_their_tangents_match_finite_differences(f, args, wrt):
    wrt = wrt if isinstance(wrt, tuple) else (wrt,)
    rng = np.random.default_rng(7)
    tangents = tuple(rng.standard_normal(np.shape(args[k])) if np.ndim(args[k])
                     else float(rng.standard_normal()) for k in wrt)

    def moved(h):
        out = list(args)
        for k, t in zip(wrt, tangents):
            out[k] = args[k] + h * t
        return f(*out)

    h = 1e-6
    fd = (moved(h) - moved(-h)) / (2 * h)
    value, tangent = sd.jvp(f, wrt=wrt)(*args, tangents)
    assert value == pytest.approx(f(*args), rel=1e-12)
    assert tangent == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_the_limiter_and_its_vjp_have_no_branch_left():
    g = sd.value_and_grad(limited_slopes)
    text = g.source
    for name in ("minmod", "minmod_vjp"):
        body = text[text.index(f"def {name}("):]
        body = body[:body.index("\ndef ", 1)]
        assert "\n    if " not in body and "\n        if " not in body, body
