"""Whole-array statements of the reverse sweep as one element loop
(passes/array_loops.py): gradients against central differences, the
adjoint's text, and the pass on statements written here, run before and
after on random arrays."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.passes.array_loops import fuse_array_statements
from tests.core import array_loop_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(23)
CASES = [
    (P.cg_solve, (0.05 + 0.1 * rng.random(12), rng.normal(size=12), 1e-12, 40), (0, 1)),
    (P.heavy_ball, (rng.normal(size=5), rng.normal(size=5), 0.05, 0.8, 6), (0, 1, 2, 3)),
    (P.adam, (rng.normal(size=4), rng.normal(size=4), 0.05, 5), (0, 1, 2)),
    (P.row_and_column, (rng.normal(size=(1, 3)), rng.normal(size=(4, 1)), 3), (0, 1)),
    # the same transform called again with a target that broadcasts: specialized anew
    (P.heavy_ball, (rng.normal(size=5), rng.normal(size=1), 0.05, 0.8, 6), (0, 1, 2, 3)),
    (P.adam, (rng.normal(size=(3, 2)), rng.normal(size=(1, 2)), 0.05, 3), (0, 1)),
    (P.coordinate_steps, (rng.normal(size=(40, 3)), rng.normal(size=40), 0.3, 2), (0, 1, 2)),
]
NOTE = "# whole-array statements as one loop over their elements"


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def reverse_sweep(f, args, wrt) -> str:
    source = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    source = source[source.index("def " + f.__name__ + "_grad"):]
    return source[source.index("# -- reverse sweep"):]


def test_the_conjugate_gradient_reverse_allocates_nothing_per_step():
    rev = reverse_sweep(*CASES[0])
    loop = rev[rev.index("for it in range"):rev.index("# -- result")]
    assert NOTE in loop
    assert "np.sum(" not in loop and "unbroadcast(" not in loop, loop
    # no statement left does arithmetic on whole arrays: each reads one element
    arrays = ("dp", "dr", "dx", "dAp", "p", "r", "Ap", "x")
    for line in loop.splitlines():
        s = line.strip()
        if s.startswith(("#", "for ")) or ".pop()" in s or "=" not in s:
            continue
        rhs = s.split("=", 1)[1]
        for name in arrays:
            for k in [m for m in range(len(rhs)) if rhs.startswith(name, m)]:
                before = rhs[k - 1] if k else " "
                after = rhs[k + len(name):k + len(name) + 1]
                if not (before.isalnum() or before == "_") and \
                        not (after.isalnum() or after == "_"):
                    assert after == "[", s


def test_a_state_broadcast_against_a_column_keeps_its_array_code():
    # u has shape (1, 3) and v = u * c (4, 3): no loop joins the two shapes
    rev = reverse_sweep(*CASES[3])
    for block in rev.split(NOTE)[1:]:
        body = block.split("\n\n")[0]
        assert not ("du[" in body and "dv[" in body), body


def test_arguments_of_one_shape_are_specialized_on():
    # x0 and target of one shape: the momentum step's reverse is element loops
    # over both; with a target of one element it broadcasts, and keeps NumPy's code
    same = reverse_sweep(*CASES[1])
    step = same[same.index("for t in range"):same.index("# -- result")]
    assert "dtarget[j] +=" in step and "unbroadcast" not in step.split("g = ")[0], step
    broadcast = reverse_sweep(*CASES[4])
    assert "dtarget[j]" not in broadcast and "unbroadcast(" in broadcast


# -- the pass itself, on statements written here ------------------------------
ARRAYS = {"a": (1, "n"), "b": (1, "n"), "c": (1, "n"), "da": (1, "n"), "db": (1, "n"),
          "dw": (1, "m"), "w": (1, "m")}
NUMBERS = {"s", "t", "k"}
BUFFERS = {"da", "db", "dw"}


def run(code, setup="", whole=""):
    """``code`` as the pass leaves it, and both versions' results on random
    arrays."""
    stmts = ast.parse(code).body
    fused = fuse_array_statements(
        [ast.parse(ast.unparse(s)).body[0] for s in stmts],
        ast.parse(setup + "\n" + whole + "\n" + code).body, ARRAYS, NUMBERS, BUFFERS,
        lambda base: base)
    after = ast.unparse(ast.fix_missing_locations(ast.Module(body=fused, type_ignores=[])))
    results = []
    for text in (code, after):
        r = np.random.default_rng(5)
        env = {"np": np, "unbroadcast": lambda g, x: g,
               **{k: r.normal(size=4 if ARRAYS[k][1] == "n" else 3) for k in ARRAYS},
               "s": 0.5, "t": -1.5, "k": 2.0}
        exec(setup + "\n" + text, env)  # noqa: S102  (statements written in this file)
        results.append({k: np.copy(env[k]) for k in (*ARRAYS, *NUMBERS)})
    for k in results[0]:
        np.testing.assert_allclose(results[1][k], results[0][k], rtol=1e-13, err_msg=k)
    return after


def test_statements_over_one_shape_become_one_loop():
    after = run("da += unbroadcast(db, a)\n"
                "da[:] = 0.0\n"
                "s = np.sum(db * a)\n"
                "da += db * t - a / k\n"
                "db[:] = 0.0\n")
    assert after.count("for j in range") == 1 and "np.sum" not in after
    assert "unbroadcast" not in after


def test_a_sum_read_in_the_run_ends_it():
    after = run("s = np.sum(db * a)\n"
                "da += s * b\n")
    assert after.count("for j") == 2 and after.index("s +=") < after.index("da[j] +=")


def test_a_sum_started_twice_is_two_runs():
    after = run("s = np.sum(a * b)\n"
                "s = np.sum(b * b)\n")
    assert after.count("s = 0.0") == 2 and after.count("for j") == 2


def test_a_number_read_before_its_sum_ends_the_run():
    after = run("da += s * b\n"
                "s = np.sum(db * a)\n")
    assert after.count("for j") == 2 and after.index("da[j] +=") < after.index("s = 0.0")


def test_arrays_of_another_shape_are_another_run():
    after = run("da += a * b\n"
                "dw += w * t\n")
    assert after.count("for j") == 2


def test_a_buffer_viewed_or_bound_to_another_array_is_not_written_element_by_element():
    # a view passed on (``f(da[1:])``, which may keep it): never
    viewed = run("da += a * b\n", setup="keep = list\nkeep(da[1:])")
    assert viewed.strip() == "da += a * b"
    # a view under a name of its own (passes/view_adjoints.py's ``_dt8 = dXw.T``):
    # a run that does not read it writes the array element by element, one
    # that reads it does not run beside a write into the array
    named = run("da += a * b\n", setup="v = da[1:]")
    assert "da[j] += a[j] * b[j]" in named
    arrays = dict(ARRAYS, v=(1, "n"))
    code = "da += a * b\ndb += v * a\n"
    out = fuse_array_statements(ast.parse(code).body, ast.parse("v = da[:]\n" + code).body,
                                arrays, NUMBERS, BUFFERS, lambda base: base)
    assert len(out) == 2, ast.unparse(ast.fix_missing_locations(ast.Module(out, [])))
    stmts = ast.parse("db += a * b").body
    out = fuse_array_statements(stmts, ast.parse("db = tape.pop()\ndb += a * b").body,
                                ARRAYS, NUMBERS, BUFFERS, lambda base: base)
    assert ast.unparse(out[0]) == "db += a * b"


def test_a_single_update_without_a_temporary_stays():
    assert run("da += b\n").strip() == "da += b"


def test_a_named_view_of_a_buffer_is_written_element_by_element_beside_other_arrays():
    # ``dxj = dX[:, j]``, a column's adjoint (a coordinate-descent step): its run with
    # another buffer is one loop; not where the run also mentions the array viewed
    arrays = dict(ARRAYS, dv=(1, "n"), dM=(2, "nn"))
    buffers = set(BUFFERS) | {"dv", "dM"}
    whole = "dM = np.zeros((4, 4))\ndv = dM[:, 2]\n"
    code = "dv += s * a\nda += s * b\n"
    out = fuse_array_statements(ast.parse(code).body, ast.parse(whole + code).body, arrays,
                                NUMBERS, buffers, lambda base: base)
    text = ast.unparse(ast.fix_missing_locations(ast.Module(out, [])))
    assert "dv[j] += s * a[j]" in text and text.count("for j") == 1, text
    envs = []
    for version in (code, text):
        r = np.random.default_rng(2)
        env = {"np": np, "s": 0.5, "a": r.normal(size=4), "b": r.normal(size=4),
               "da": r.normal(size=4)}
        exec(whole + version, env)  # noqa: S102  (statements written in this file)
        envs.append(env)
    np.testing.assert_allclose(envs[1]["dM"], envs[0]["dM"], rtol=1e-14)
    np.testing.assert_allclose(envs[1]["da"], envs[0]["da"], rtol=1e-14)
    # (a run reading another view of the array: each statement its own loop)
    arrays["w2"] = (1, "n")
    other = code.replace("s * b", "s * w2")
    out = fuse_array_statements(ast.parse(other).body,
                                ast.parse(whole + "w2 = dM[:, 1]\n" + other).body, arrays,
                                NUMBERS, buffers, lambda base: base)
    assert ast.unparse(ast.fix_missing_locations(ast.Module(out, []))).count("for j") == 2
    # (a view bound once to another array's view too: not its own)
    out = fuse_array_statements(ast.parse(code).body,
                                ast.parse(whole + "dv = da[1:]\n" + code).body, arrays,
                                NUMBERS, buffers, lambda base: base)
    assert "dv[j]" not in ast.unparse(ast.fix_missing_locations(ast.Module(out, [])))


def test_a_columns_adjoint_is_added_in_the_residuals_loop():
    rev = reverse_sweep(*CASES[6])
    assert "dxj[j2] += drho * r[j2]" in rev and "dxj +=" not in rev, rev
