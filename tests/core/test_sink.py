"""Adjoint statements that do nothing unless a branch was taken run inside it.

The reverse of ``r = abs(x[i] - x[j])`` before a cutoff ``if`` reads ``dr``,
which only the branch adds to: where ``dr`` is known to be zero on the path
that skips the branch, that reverse moves into the branch
(``passes/sink.py``). Each program writes the same math another way (helper
kernel, inlined kernel with the condition in a temporary, ``continue``,
nested ifs, an if/else feeding ``dr`` on one side, a single loop); each is
checked against finite differences, and the generated source is checked to
run the reverse of the line before the ``if`` inside it, or not, when that
line also feeds ``dr`` outside the branch.
"""
import ast
import inspect
import math
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.passes import reverse
from sourcediff.passes.sink import Adjoints, sink_adjoints

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad


def cubic(r, h):
    q = r / h
    if q < 1.0:
        return 1.0 - 1.5 * q * q + 0.75 * q * q * q
    t = 2.0 - q
    return 0.25 * t * t * t


def helper_kernel(x, h):         # the SPH pair loop: a helper kernel, the condition inline
    n = x.shape[0]
    rho = np.zeros(n)
    for i in range(n):
        for j in range(i + 1, n):
            r = abs(x[i] - x[j])
            if r < 2.0 * h:
                w = cubic(r, h)
                rho[i] += w
                rho[j] += w
    s = 0.0
    for i in range(n):
        s += rho[i] * rho[i]
    return s


def inlined_kernel(x, h):        # the kernel inlined, the condition in a temporary
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            d = x[i] - x[j]
            r = math.sqrt(d * d)
            near = r < 2.0 * h
            if near:
                q = r / h
                w = (2.0 - q) ** 3
                s += w * x[i]
    return s


def skip_far(x, h):              # 'if far: continue'
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r = abs(x[i] - x[j])
            if r >= 2.0 * h:
                continue
            q = r / h
            s += (2.0 - q) ** 2
    return s


def nested_ifs(x, h):            # the reverse moves two levels down
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r = abs(x[i] - x[j])
            if r < 2.0 * h:     # noqa: SIM102 (the nesting is what is tested)
                if r > 0.5 * h:
                    s += math.exp(-r / h)
    return s


def one_side(x, h, y):           # an if/else: only the taken side reads r
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        r = abs(x[i] - y[i])
        if r < h:
            s += r * r
        else:
            s += h * y[i]
    return s


def single_loop(x, h):           # not a nest
    s = 0.0
    for i in range(x.shape[0] - 1):
        r = (x[i + 1] - x[i]) ** 2
        if r < h:
            s += math.sin(r) * h
    return s


def fed_outside(x, h):           # r also feeds s outside the branch: dr is not zero
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r = abs(x[i] - x[j])
            s += 0.1 * r
            if r < 2.0 * h:
                s += (2.0 - r / h) ** 2
    return s


X = np.array([0.05, 0.31, 0.17, 0.77, 0.58, 0.93, 0.44])
Y = np.array([0.3, 0.2, 0.9, 0.6, 0.1, 0.85, 0.45])
# (function, arguments, how many ifs the reverse of the line before the branch is in)
CASES = [
    (helper_kernel, (X, 0.2), 1),
    (inlined_kernel, (X, 0.2), 1),
    (skip_far, (X, 0.2), 1),
    (nested_ifs, (X, 0.2), 2),
    (one_side, (X, 0.3, Y), 1),
    (single_loop, (X, 0.1), 1),
    (fed_outside, (X, 0.2), 0),
]
IDS = [c[0].__name__ for c in CASES]


def depth(line: str) -> int:
    return (len(line) - len(line.lstrip())) // 4


def branch_depth(text: str) -> int:
    """How many ifs deeper than its loop body the reverse of the line before
    the branch (``r = ...``, its comment) runs."""
    lines = text[text.index("# -- reverse sweep"):].splitlines()
    reset = max(k for k, ln in enumerate(lines) if ln.strip().startswith("#") and "  r = " in ln)
    loop = max(k for k in range(reset) if lines[k].lstrip().startswith("for "))
    return depth(lines[reset]) - depth(lines[loop]) - 1


@pytest.mark.parametrize("f,args,levels", CASES, ids=IDS)
def test_gradient(f, args, levels):
    check_grad(f, args, (0, 1), "python")


@pytest.mark.parametrize("f,args,levels", CASES, ids=IDS)
def test_moved_into_the_branch_exactly_when_dr_is_zero_outside_it(f, args, levels):
    text = sd.grad(f, wrt=(0, 1), target="python").source_for(*args)
    assert branch_depth(text) == levels
    reverse = text[text.index("_grad("):]
    # the line's comment moves with it
    first = f.__code__.co_firstlineno
    line = next(k for k, src in enumerate(inspect.getsource(f).splitlines())
                if src.strip().startswith("r = "))
    assert f"# {f.__name__}:{first + line}  r = " in reverse
    assert ("moved into the branch: dr is zero unless it runs" in reverse) == (levels > 0)


@pytest.mark.parametrize("f,args,levels", CASES, ids=IDS)
def test_the_same_gradient_as_without_the_move(f, args, levels, monkeypatch):
    value, grads = sd.value_and_grad(f, wrt=(0, 1), target="python")(*args)
    monkeypatch.setattr(reverse, "sink_adjoints", lambda stmts, *rest, **kw: stmts)
    unmoved = sd.value_and_grad(f, wrt=(0, 1), target="python")
    assert "moved into the branch" not in unmoved.source_for(*args)
    value0, grads0 = unmoved(*args)
    assert value == value0
    for g, g0 in zip(grads, grads0):
        assert np.array_equal(g, g0)         # bit for bit: only zeros are skipped


def test_compiled_gradient():
    check_grad(helper_kernel, (X, 0.2), (0, 1), "cpu")


def test_value_and_vjp_agree_with_grad():
    g = sd.grad(nested_ifs, wrt=0, target="python")(X, 0.2)
    value, (v,) = sd.vjp(nested_ifs, wrt=(0,), target="python")(X, 0.2, 1.0)
    assert value == pytest.approx(nested_ifs(X, 0.2))
    np.testing.assert_allclose(v, g, rtol=1e-12)


ADJOINTS = Adjoints(frozenset({"dr", "dh", "_dt5", "_dt4"}), frozenset({"dx"}))


def sink(code: str, live_out=()) -> str:
    stmts = ast.parse(textwrap.dedent(code)).body
    return ast.unparse(sink_adjoints(stmts, ADJOINTS, frozenset(live_out)))


REVERSE_OF_ABS = """
    dr = 0.0
    for j in range(n):
        if c:
            dr += a
        _dt5 = dr * np.sign(t)
        dr = 0.0
        _dt4 = -_dt5
        dx[j] += _dt4
        dx[i] += _dt5
"""


def test_the_pass_moves_what_only_adds_zeros_when_the_branch_is_skipped():
    out = sink(REVERSE_OF_ABS)
    body = out[out.index("if c:"):]
    assert all(depth(ln) == 2 for ln in body.splitlines()[1:])


def test_the_pass_keeps_a_define_read_outside_and_what_depends_on_it():
    out = sink(REVERSE_OF_ABS + "    dh += _dt5\n")      # _dt5 read after the loop
    assert depth(out.splitlines()[4]) == 1 and "_dt5 = dr" in out.splitlines()[4]


def test_the_pass_moves_nothing_where_the_adjoint_is_not_known_zero():
    out = sink(REVERSE_OF_ABS.replace("    dr = 0.0\n    for", "    dr = g\n    for"))
    assert depth(out.splitlines()[4]) == 1         # dr = g: not zero on the first iteration


# -- both arms, and statements that only share what they read ------------------


def exercise_or_hold(V, a, K):
    """An American-put node: the stock price's power feeds one arm, the hold
    value's average the other (the loop index ``j`` read by both reverses)."""
    n = V.shape[0]
    s = 0.0
    for j in range(n - 1):
        S = a ** j
        hold = 0.5 * (V[j] + V[j + 1])
        if K - S > hold:
            s += K - S
        else:
            s += hold
    return s


def triangle(S0, u, K, steps):
    """Backward induction over a triangle whose node prices are powers: their
    reverse has a tape's pop between its statements (the power stored before
    each overwrite)."""
    V = np.zeros((steps + 1, steps + 1))
    for j in range(steps + 1):
        V[steps, j] = max(K - S0 * u ** j * (1.0 / u) ** (steps - j), 0.0)
    for k in range(steps - 1, -1, -1):
        for j in range(k + 1):
            S = S0 * u ** j * (1.0 / u) ** (k - j)
            hold = 0.97 * (0.55 * V[k + 1, j + 1] + 0.45 * V[k + 1, j])
            if K - S > hold:
                V[k, j] = K - S
            else:
                V[k, j] = hold
    return V[0, 0]


V6 = np.array([0.4, 1.3, 0.2, 0.9, 1.7, 0.5])


def _arms(text: str, name: str, cond: str):
    """The statements of the ``if cond:`` of function ``name`` that holds
    augmented assignments (the reverse sweep's), by arm."""
    fn = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name == name)
    branch = next(n for n in ast.walk(fn) if isinstance(n, ast.If) and ast.unparse(n.test) == cond
                  and any(isinstance(m, ast.AugAssign) for m in ast.walk(n)))
    return [ast.unparse(s) for s in branch.body], [ast.unparse(s) for s in branch.orelse]


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_both_arms_gradient(target):
    check_grad(exercise_or_hold, (V6, 1.1, 2.0), (0, 1), target)
    check_grad(triangle, (95.0, 1.02, 100.0, 12), (0, 1), target)


def test_the_power_goes_into_one_arm_and_the_average_into_the_other():
    text = sd.grad(exercise_or_hold, wrt=(0, 1), target="python").source_for(V6, 1.1, 2.0)
    exercise, hold = _arms(text, "exercise_or_hold_grad", "_c6")
    assert any("da +=" in s for s in exercise) and not any("dV[" in s for s in exercise)
    assert any("dV[j] +=" in s for s in hold) and not any("da" in s for s in hold)


def test_the_price_chain_passes_the_tapes_pop():
    text = sd.grad(triangle, wrt=(0, 1), target="python").source_for(95.0, 1.02, 100.0, 12)
    reverse = text[text.index("# -- reverse sweep"):]
    # every power's derivative (u ** (j - 1 ...)) in the exercise arm, none outside
    lines = reverse[reverse.index("    for k in range(steps)"):].splitlines()
    end = next(k for k in range(1, len(lines)) if depth(lines[k]) <= 1 and lines[k].strip()
               and not lines[k].lstrip().startswith("#"))
    powers = [ln for ln in lines[:end] if "** (" in ln and "+=" in ln]
    assert powers and all(depth(ln) >= 4 for ln in powers)
    value, _ = sd.value_and_grad(triangle, wrt=(0, 1), target="python")(95.0, 1.02, 100.0, 12)
    assert value == pytest.approx(triangle(95.0, 1.02, 100.0, 12), rel=1e-14)


TWO_ARMS = """
    for j in range(n):
        if c:
            dr += a
        else:
            dh += b
        _dt4 = dh * w[j]
        dh = 0.0
        dx[j] += _dt4
        _t5 = stack[top]
        top -= 1
        _dt5 = dr * _t5
        dr = 0.0
        dy[j] += _dt5
"""
TWO_ADJOINTS = Adjoints(frozenset({"dr", "dh", "_dt5", "_dt4"}), frozenset({"dx", "dy"}))


def sink_two(code: str) -> list:
    stmts = ast.parse(textwrap.dedent("    dr = 0.0\n    dh = 0.0\n" + code)).body
    return ast.unparse(sink_adjoints(stmts, TWO_ADJOINTS, frozenset())).splitlines()


def test_the_pass_fills_each_arm_and_moves_past_what_only_shares_reads():
    out = sink_two(TWO_ARMS)
    body = out[out.index("    if c:") + 1:out.index("    else:")]
    orelse = out[out.index("    else:") + 1:]
    assert [ln.strip() for ln in orelse if depth(ln) == 2] == [
        "dh += b", "_dt4 = dh * w[j]", "dh = 0.0", "dx[j] += _dt4"]
    # the pop stays; the statements reading its value stay after it
    assert [ln.strip() for ln in body] == ["dr += a"]
    assert [ln.strip() for ln in out if depth(ln) == 1][-5:] == [
        "_t5 = stack[top]", "top -= 1", "_dt5 = dr * _t5", "dr = 0.0", "dy[j] += _dt5"]


def test_the_pass_does_not_move_a_statement_past_one_writing_what_it_reads():
    # the adds of _dt5 read _t5 before the pop overwrites it: they may move (past
    # the adds into dx, which they share only j with), the pop stays after them
    code = TWO_ARMS.replace("        _t5 = stack[top]\n        top -= 1\n", "").replace(
        "        dy[j] += _dt5\n", "        dy[j] += _dt5\n        _t5 = stack[top]\n")
    out = sink_two(code)
    body = out[out.index("    if c:") + 1:out.index("    else:")]
    assert [ln.strip() for ln in body] == ["dr += a", "_dt5 = dr * _t5", "dr = 0.0", "dy[j] += _dt5"]
    assert out[-1].strip() == "_t5 = stack[top]" and depth(out[-1]) == 1
    # a call may write into its arguments: nothing moves past it
    called = code.replace("_t5 = stack[top]", "pop_into(stack, _t5)").replace(
        "        _dt4 = dh * w[j]\n", "        _dt4 = dh * w[j]\n        scale(_dt4, dy)\n")
    out = sink_two(called)
    assert [ln.strip() for ln in out[out.index("    if c:") + 1:out.index("    else:")]] == [
        "dr += a"]
    # NumPy's functions that write into an argument count as writes
    copied = TWO_ARMS.replace("_t5 = stack[top]", "np.copyto(_t5, stack)")
    out = sink_two(copied)
    assert [ln.strip() for ln in out[out.index("    if c:") + 1:out.index("    else:")]] == [
        "dr += a"]
    # nor does an add into an array pass another add into it (the order of the
    # sums stays), and what it reads stays with it
    same = code.replace("dy[j] += _dt5", "dx[j + 1] += _dt5")
    out = sink_two(same)
    assert [ln.strip() for ln in out[out.index("    if c:") + 1:out.index("    else:")]] == [
        "dr += a"]
