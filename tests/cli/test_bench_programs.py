"""``sourcediff bench programs`` on the small size: the command runs two programs
(``programs:heat,rosen``, both with hand-written adjoints), each style is differentiated
on the cpu target, agrees with central finite differences of its Numba primal and with
the hand-written adjoint and JAX where present. Every program and style of the family
is checked on the python target in tests/bench/test_program_styles.py (no Numba
compile per style). Timings are read, never asserted."""

import json
import sys
import types

import numpy as np
import pytest

from sourcediff.bench import FAMILIES, family, load, names

from .helpers import run_cli, run_script

PROGRAMS = ("heat", "rosen")


@pytest.fixture(scope="module")
def programs_run(tmp_path_factory):
    """Two programs of the family once at the small size, JAX included where installed."""
    out = tmp_path_factory.mktemp("programs") / "programs.json"
    done = run_cli("bench", "programs:rosen,heat", "--size", "small", "--repeat", "1", "--budget", "0.2",
                   "--peers", "jax", "--no-progress", "--json", str(out))
    return done, out


def test_every_program_style_agrees_with_finite_differences(programs_run):
    done, out = programs_run
    assert done.returncode == 0, done.stderr[-3000:]
    (report,) = json.loads(out.read_text())["workloads"]
    assert report["workload"] == "programs" and report["kind"] == "family"
    assert [p["program"] for p in report["programs"]] == list(PROGRAMS)
    for program in report["programs"]:
        assert len(program["styles"]) == 2, program["program"]
        for row in program["styles"]:
            where = (program["program"], row["style"])
            assert row["sourcediff"]["status"] == "ok", (where, row["sourcediff"])
            assert row["fd_rel_err"] < family.FD_TOLERANCE, where
            assert row["value_rel_diff"] <= program["rtol"], where
            for tool in ("hand", "jax"):
                if program.get(tool, {}).get("status") == "ok":
                    assert row[f"vs_{tool}"] <= program["rtol"], (where, tool)
            assert row["check"] == "ok", where
        assert program["style_ratio"] >= 1.0
    # both have a hand-written adjoint, run and agreeing
    assert all(p["hand"]["status"] == "ok" and p["hand"]["check"] == "ok"
               for p in report["programs"])
    for program in report["programs"]:
        assert program["jax"]["status"] in ("ok", "not installed"), program["program"]
        if program["jax"]["status"] == "ok":
            assert program["jax"]["check"] == "ok", program["program"]
    summary = report["summary"]
    assert summary["wrong"] == 0 and summary["refused"] == 0 and summary["failed"] == 0
    assert summary["over_primal"]["worst"] >= summary["over_primal"]["median"] > 0


def test_the_table_has_a_row_per_program_and_style(programs_run):
    done, out = programs_run
    assert done.returncode == 0, done.stderr[-3000:]
    assert "### programs:" in done.stdout
    for program in json.loads(out.read_text())["workloads"][0]["programs"]:
        for row in program["styles"]:
            assert f"| {program['program']} | {row['style']} | sourcediff |" in done.stdout
    assert "| rosen | — | numba-hand |" in done.stdout
    assert "Style pairs, slower style's gradient time / faster style's" in done.stdout
    assert "median" in done.stdout and "worst" in done.stdout


def test_without_jax_the_row_says_so(monkeypatch):
    """One program, in this process, with JAX blocked: the hand adjoint still checks it."""
    monkeypatch.setitem(sys.modules, "jax", None)  # `import jax` fails as if not installed
    rosen = next(p for p in family.programs_of(load("programs"))
                 if p.__name__.endswith(".rosen"))
    row = family.run_program(rosen, "small", peers=("jax",), repeat=1, budget_s=0.1,
                             timeout_s=None, extra_tools=True, progress=lambda message: None)
    assert row["jax"]["status"] == "not installed"
    assert row["hand"]["status"] == "ok" and row["hand"]["check"] == "ok"
    assert all(style["check"] == "ok" for style in row["styles"])
    report = {"workload": "programs", "title": "t", "size": "small", "fd_tolerance": 1e-6,
              "programs": [row], "summary": family.summarize([row])}
    table = family.format_family(report)
    assert "| rosen | — | jax | not installed" in table


def _square_sum(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    return s


def _with_a_dict(x):
    scale = {"a": 1.0}
    s = 0.0
    for i in range(x.shape[0]):
        s += scale["a"] * x[i] * x[i]
    return s


def _wrong_by_hand(x):
    return np.sum(x * x), (3.0 * x,)


def test_refused_and_disagreeing_rows_are_marked():
    """A style sourcediff refuses is a row saying so with the message; a gradient that
    disagrees with the hand adjoint is marked WRONG (here the hand adjoint is the wrong one,
    which the finite differences show)."""
    program = types.ModuleType("fake.squares")
    program.__dict__.update(
        TITLE="squares", SIZES={"small": {"n": 5}}, WRT=(0,), WRT_NAMES=("x",), RTOL=1e-10,
        STYLES={"loop": _square_sum, "dict": _with_a_dict}, HAND=_wrong_by_hand,
        make_args=lambda parameters: (np.linspace(0.5, 1.5, parameters["n"]),))
    row = family.run_program(program, "small", peers=(), repeat=1, budget_s=0.1,
                             timeout_s=None, extra_tools=True, progress=lambda message: None)
    loop, refused = row["styles"]
    assert loop["fd_rel_err"] < 1e-8 and loop["check"].startswith("WRONG (hand")
    assert refused["sourcediff"]["status"] == "refused" and refused["check"] == "refused"
    assert "dict" in refused["sourcediff"]["detail"]
    assert row["style_ratio"] is None
    summary = family.summarize([row])
    assert summary["wrong"] == 1 and summary["refused"] == 1
    table = family.format_family({"workload": "programs", "title": "t", "size": "small",
                                  "fd_tolerance": 1e-6, "programs": [row], "summary": summary})
    assert "| squares | dict | sourcediff |" in table and "refused: " in table
    assert "1 WRONG, 1 refused" in table


def test_programs_define_the_interface():
    programs = family.programs_of(load("programs"))
    assert len(programs) >= 8
    for program in programs:
        for attribute in ("TITLE", "SIZES", "WRT", "WRT_NAMES", "RTOL", "STYLES", "HAND",
                          "make_args", "jax_objective"):
            assert hasattr(program, attribute), (program.__name__, attribute)
        assert {"small", "default", "large"} <= set(program.SIZES)
        assert len(program.STYLES) >= 2 and len(program.WRT) == len(program.WRT_NAMES)
        args = program.make_args(program.SIZES["small"])
        # the styles compute the same value
        first, *others = (f(*args) for f in program.STYLES.values())
        for other in others:
            assert np.isclose(first, other, rtol=1e-12), program.__name__


def test_a_subset_names_programs_of_a_family():
    done = run_cli("bench", "programs:rosen,nope", "--size", "small")
    assert done.returncode != 0
    assert "no program 'nope'" in done.stderr and "kmeans" in done.stderr
    done = run_cli("bench", "gmm:x", "--size", "small")
    assert done.returncode != 0 and "not a family" in done.stderr


def test_list_shows_the_family():
    # `sourcediff bench --list` printing the family is checked in the one run of it,
    # tests/cli/test_bench.py::test_list_names_the_workloads
    assert "programs" in FAMILIES and "programs" in names()


def test_the_script_is_a_thin_wrapper():
    done = run_script("benchmarks/programs.py", "--help")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "--size" in done.stdout
