"""Names bound in one place: dead scalar stores go, a loop's own values get a
name of their own (passes/own_names.py; Numba's SSA pass walks the whole
function once per name bound in several places)."""
import ast
import math
import textwrap

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.passes import own_names
from sourcediff.passes.own_names import drop_dead_stores, split_loop_locals, unshared


def _fn(src):
    return ast.parse(textwrap.dedent(src)).body[0]


def _split(src):
    fn = _fn(src)
    taken = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}
    return ast.unparse(split_loop_locals(fn, taken, min_work=0))


def test_a_second_loop_binding_a_value_afresh_renames_it():
    out = _split("""
        def g(x, n):
            for i in range(n):
                e = x[i] * 2.0
                y = e + 1.0
            for i in range(n - 1, -1, -1):
                e = x[i] * 3.0
                z = e * e
            return y
    """)
    # the first loop keeps 'e', the second binds (and reads) its own
    assert "e = x[i] * 2.0\n        y = e + 1.0" in out
    assert "e_r = x[i] * 3.0\n        z_r = e_r * e_r" not in out     # z is bound once
    assert "e_r = x[i] * 3.0\n        z = e_r * e_r" in out


@pytest.mark.parametrize("second, after", [
    # read before the loop binds it: the value of the first loop comes in
    ("w = e + x[i]\n        e = x[i]", "x"),
    # carried from one iteration to the next
    ("e = e * 0.5 + x[i]", "x"),
    # bound twice in the loop: renaming leaves a name bound twice
    ("e = x[i]\n        e = e * 2.0", "x"),
    # read after the loop
    ("e = x[i] * 3.0", "e"),
])
def test_values_that_flow_in_or_out_or_are_bound_twice_keep_their_name(second, after):
    body = textwrap.indent(second.replace("\n        ", "\n"), " " * 16).lstrip()
    out = _split(f"""
        def g(x, n):
            for i in range(n):
                e = x[i] * 2.0
            for i in range(n):
                {body}
            return {after}
    """)
    assert "e_r" not in out


def test_a_name_bound_before_both_loops_is_renamed_in_both():
    # 'f = 1.0' before the loops is read before them: each loop's own value
    # gets a name, and 'f' is bound once
    out = _split("""
        def g(x, n):
            f = 1.0
            y = f * 2.0
            for i in range(n):
                f = x[i]
                x[i] = f * 2.0
            for i in range(n):
                f = x[i] + 1.0
                x[i] = f
            return y
    """)
    assert "f = 1.0" in out and "f_r = x[i]\n        x[i] = f_r * 2.0" in out
    assert "f_r2 = x[i] + 1.0\n        x[i] = f_r2" in out


def test_dead_stores_go_and_pops_stay():
    fn = _fn("""
        def g(x, n, tape):
            dv = 0.0
            s = 0.0
            for i in range(n):
                dv = x[i] * 2.0
                s += dv
                dv = 0.0
                u = tape.pop()
            return s
    """)
    out = ast.unparse(drop_dead_stores(unshared(fn)))
    assert "dv = 0.0" not in out and "u = tape.pop()" in out
    assert "s = 0.0" in out and "dv = x[i] * 2.0" in out


def test_an_add_into_a_view_is_kept_though_its_name_is_dead():
    fn = _fn("""
        def g(a, dt1):
            dt2 = dt1[:, ::2]
            dt2 += a
            dt3 = dt2 * 2.0
            return dt1
    """)
    out = ast.unparse(drop_dead_stores(unshared(fn)))
    assert "dt2 += a" in out and "dt3" not in out


def test_a_shared_statement_is_rewritten_in_one_place_only():
    fn = _fn("""
        def g(x, n):
            for i in range(n):
                e = x[i] * 2.0
                x[i] = e
            for i in range(n):
                pass
            return x
    """)
    # the reverse sweep runs the forward's statement node again
    fn.body[1].body = [fn.body[0].body[0], ast.parse("x[i] = e + 1.0").body[0]]
    taken = {"g", "x", "n", "i", "e"}
    out = ast.unparse(split_loop_locals(unshared(fn), taken, min_work=0))
    assert "e = x[i] * 2.0\n        x[i] = e" in out
    assert "e_r = x[i] * 2.0\n        x[i] = e_r + 1.0" in out


def damped(x, a):
    s = 0.0
    for i in range(x.shape[0]):
        e = a * x[i] - 1.0
        s = s * math.cos(e) + e * e
    return s


def covariance_steps(x, q):
    # a 4x4 state updated by small matrix products, which the reverse loop
    # computes again: big enough that its own names are worth their compile time
    P = np.eye(4)
    F = np.eye(4)
    F[0, 2] = 0.1
    F[1, 3] = 0.1
    FP = np.zeros((4, 4))
    ll = 0.0
    for t in range(x.shape[0]):
        for i in range(4):
            for j in range(4):
                s = 0.0
                for k in range(4):
                    s += F[i, k] * P[k, j]
                FP[i, j] = s
        Pp = np.zeros((4, 4))
        for i in range(4):
            for j in range(4):
                s = q * (i == j)
                for k in range(4):
                    s += FP[i, k] * F[j, k]
                Pp[i, j] = s
        d = Pp[0, 0] + x[t]
        ll += math.log(d)
        for i in range(4):
            for j in range(4):
                P[i, j] = Pp[i, j] / d
    return ll


def _bound_twice(text, fname):
    tree = ast.parse(text)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == fname)
    counts = {}
    for n in ast.walk(fn):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            counts[n.id] = counts.get(n.id, 0) + 1
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            counts[n.target.id] = counts.get(n.target.id, 0) + 1
    return {k for k, c in counts.items() if c > 1}


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_gradients_of_renamed_code_match_finite_differences(target, monkeypatch):
    monkeypatch.setattr(own_names, "SPLIT_MIN_WORK", 0)       # small programs renamed too
    rng = np.random.default_rng(3)
    for f, args in [(damped, (rng.random(7), 0.7)), (covariance_steps, (rng.random(5) + 1.0, 0.3))]:
        g = sd.grad(f, wrt=(0, 1), target=target)
        gx, ga = g(*args)
        h = 1e-6
        for k in range(args[0].shape[0]):
            e = np.zeros_like(args[0])
            e[k] = h
            fd = (f(args[0] + e, args[1]) - f(args[0] - e, args[1])) / (2 * h)
            assert gx[k] == pytest.approx(fd, rel=1e-6, abs=1e-9)
        fd = (f(args[0], args[1] + h) - f(args[0], args[1] - h)) / (2 * h)
        assert ga == pytest.approx(fd, rel=1e-6, abs=1e-9)


def test_small_programs_keep_the_names_they_share():
    x = np.random.default_rng(0).random(6) + 1.0
    text = sd.grad(damped, wrt=(0, 1), target="python").source_for(x, 0.3)
    reverse = text[text.index("# -- reverse sweep"):]
    assert "_r = " not in text and "\n        e = _t2 - 1.0" in reverse, reverse


def test_the_reverse_loop_binds_few_names_the_forward_binds(monkeypatch):
    x = np.random.default_rng(0).random(6) + 1.0
    text = sd.grad(covariance_steps, wrt=(0, 1), target="python").source_for(x, 0.3)
    twice = _bound_twice(text, "covariance_steps_grad")
    # left bound twice: the state carried from one step to the next and what
    # the loops accumulate -- not the values each reverse step computes again
    assert "d_r = " in text and "d" not in twice, sorted(twice)
    monkeypatch.setattr(own_names, "SPLIT_MIN_WORK", 10 ** 12)
    kept = sd.grad(covariance_steps, wrt=(0, 1), target="python").source_for(x, 0.3)
    before = _bound_twice(kept, "covariance_steps_grad")
    assert "_r = " not in kept and twice < before and 4 * len(twice) < len(before), \
        (len(twice), len(before))
