"""A benchmark family: many small programs, each written in two styles or more, in one table.

A family is a package of this one (``sourcediff.bench.programs``), registered
in ``FAMILIES``, with ``TITLE`` and ``PROGRAMS`` (names of its modules). Each
program module defines

* ``TITLE``; ``SIZES`` (``"small"``, ``"default"``, ``"large"`` -> parameters);
  ``WRT`` (positions of the differentiated arguments) and ``WRT_NAMES``;
  ``RTOL`` (how close the tools' gradients must agree);
* ``STYLES``: style name -> plain Python function, the same math written two
  ways or more; sourcediff differentiates each, and ``numba.njit`` of each is its
  primal;
* ``make_args(parameters) -> tuple``: every positional argument (NumPy arrays,
  floats, ints), fixed seed;
* ``HAND``: a plain function with the same arguments returning
  ``(value, grads)``, grads in ``WRT`` order, compiled with ``numba.njit``;
  or ``None``;
* ``jax_objective()``: the JAX version (``jax.numpy``, ``lax`` loops), a
  function of the same arguments; JAX is imported inside.

For every program and style, ``run_family`` measures the Numba primal and
sourcediff's value and gradient (first call with an empty sourcediff cache,
then the median after a warm-up, as :func:`harness.measure` does), checks the
gradient against central finite differences of the primal at the small size,
and compares it with the hand-written adjoint and JAX's
``jit(value_and_grad)`` at the size run, each measured once per program. ``format_family`` prints the one table.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import statistics
import tempfile
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from . import harness

# a gradient off the finite differences of its primal by more than this is wrong
FD_TOLERANCE = 1e-6


def programs_of(family: ModuleType, only: tuple = ()) -> list[ModuleType]:
    """The program modules of ``family``, in its ``PROGRAMS`` order (those named in
    ``only`` when it is not empty)."""
    unknown = [name for name in only if name not in family.PROGRAMS]
    if unknown:
        raise ValueError(f"no program {', '.join(map(repr, unknown))} in this family; "
                         f"choose from {', '.join(family.PROGRAMS)}")
    return [importlib.import_module(f"{family.__name__}.{name}") for name in family.PROGRAMS
            if not only or name in only]


def count_steps(family: ModuleType, peers: tuple, extra_tools: bool, only: tuple = ()) -> int:
    """How many progress messages ``run_family`` sends."""
    steps = 0
    for program in programs_of(family, only):
        steps += 3 * len(program.STYLES)  # primal, sourcediff, finite differences
        steps += int(extra_tools and program.HAND is not None) + int("jax" in peers)
    return steps


def fill_args(args: tuple, wrt: tuple, values: tuple) -> tuple:
    """``args`` with the differentiated positions replaced by ``values`` (floats stay floats)."""
    out = list(args)
    for position, value in zip(wrt, values, strict=True):
        out[position] = value if isinstance(args[position], np.ndarray) else float(value)
    return tuple(out)


def _row(measured: dict) -> dict:
    """A measured tool as a JSON-ready row (the result set aside)."""
    return {"status": "ok", **{k: v for k, v in measured.items() if k != "result"}}


def _failure(exc: BaseException) -> dict:
    from ..errors import TransformError

    text = str(exc).strip()
    if isinstance(exc, TransformError):
        return {"status": "refused", "detail": text}
    if isinstance(exc, ImportError):
        return {"status": "not installed", "detail": f"{type(exc).__name__}: {text}"}
    if isinstance(exc, harness.ToolTimeout):
        return {"status": "timed out", "detail": text}
    return {"status": "failed", "detail": f"{type(exc).__name__}: {text}"}


def _jax_call(program: ModuleType, args: tuple) -> Callable[[], Any]:
    """JAX ``jit(value_and_grad)`` of the program's JAX version: arrays and the
    differentiated floats are arguments, the other numbers constants of the trace."""
    jax = harness.import_jax()
    import jax.numpy as jnp

    objective = program.jax_objective()
    dynamic = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) or i in program.WRT]
    constants = {i: a for i, a in enumerate(args) if i not in dynamic}

    def over_dynamic(*values):
        full = dict(constants)
        full.update(zip(dynamic, values))
        return objective(*(full[i] for i in range(len(args))))

    argnums = tuple(dynamic.index(i) for i in program.WRT)
    value_and_grad = jax.jit(jax.value_and_grad(over_dynamic, argnums=argnums))
    values = tuple(jnp.asarray(args[i]) for i in dynamic)
    return lambda: jax.block_until_ready(value_and_grad(*values))


def run_program(program: ModuleType, size: str, peers: tuple, repeat: int, budget_s: float,
                timeout_s: float | None, extra_tools: bool,
                progress: Callable[[str], None]) -> dict:
    """One program: every style's primal and sourcediff gradient, the hand adjoint, JAX."""
    import numba

    import sourcediff as sd

    name = program.__name__.rsplit(".", 1)[1]
    args = program.make_args(program.SIZES[size])
    small = program.make_args(program.SIZES["small"])
    wrt = tuple(program.WRT)
    out: dict[str, Any] = {
        "program": name, "title": program.TITLE, "parameters": program.SIZES[size],
        "wrt": list(program.WRT_NAMES), "rtol": program.RTOL, "styles": [],
    }
    style_grads: dict[str, tuple] = {}  # style -> sourcediff's gradients
    tool_grads: dict[str, tuple] = {}  # "hand", "jax" -> their gradients

    for style, function in program.STYLES.items():
        row: dict[str, Any] = {"style": style, "function": function.__name__}
        progress(f"{name} ({style}): Numba primal")
        compiled = numba.njit(cache=True)(function)
        primal = harness.measure(lambda compiled=compiled: (lambda: compiled(*args)),
                                 repeat, budget_s, keep=float)
        row["primal"] = _row(primal)
        progress(f"{name} ({style}): sourcediff")
        made: dict[str, Any] = {}
        try:
            ours = harness.measure(
                lambda function=function, made=made: _sourcediff_call(sd, function, wrt, args,
                                                                      made),
                repeat, budget_s, keep=harness.normalize, timeout_s=timeout_s)
        except Exception as exc:  # noqa: BLE001  (a refusal is a row, not a crash)
            row["sourcediff"] = _failure(exc)
            out["styles"].append(row)
            progress(f"{name} ({style}): finite differences (skipped)")
            continue
        value, grads = ours["result"]
        style_grads[style] = grads
        row["sourcediff"] = _row(ours)
        row["sourcediff"]["value"] = value
        row["sourcediff"]["over_primal"] = ours["median_s"] / primal["median_s"]
        row["value_rel_diff"] = abs(value - primal["result"]) / max(abs(primal["result"]), 1e-300)
        # at the small size: at the large ones rounding in sums of 1e5 terms swamps the
        # differences (the hand adjoint and JAX check those)
        progress(f"{name} ({style}): finite differences")
        try:
            _, small_grads = harness.normalize(made["value_and_grad"](*small))
            row["fd_rel_err"] = harness.directional_fd_error(
                lambda *values, compiled=compiled: compiled(*fill_args(small, wrt, values)),
                tuple(small[i] for i in wrt), small_grads)
        except Exception as exc:  # noqa: BLE001
            row["fd_rel_err"] = float("nan")
            row["fd_failure"] = _failure(exc)["detail"]
        out["styles"].append(row)

    best_primal = min(row["primal"]["median_s"] for row in out["styles"])
    out["best_primal_s"] = best_primal
    tools: list[tuple[str, Callable]] = []
    if extra_tools and program.HAND is not None:
        tools.append(("hand", lambda: _hand_call(numba, program.HAND, args)))
    if "jax" in peers:
        tools.append(("jax", lambda: _jax_call(program, args)))
    for tool, make in tools:
        progress(f"{name}: {'hand adjoint' if tool == 'hand' else tool}")
        try:
            measured = harness.measure(make, repeat, budget_s, keep=harness.normalize,
                                       timeout_s=timeout_s)
        except Exception as exc:  # noqa: BLE001
            out[tool] = _failure(exc)
            continue
        tool_grads[tool] = measured["result"][1]
        out[tool] = _row(measured)
        out[tool]["value"] = measured["result"][0]
        out[tool]["over_primal"] = measured["median_s"] / best_primal
    if "jax" not in peers:
        out["jax"] = {"status": "not requested (--peers)"}
    if program.HAND is None:
        out["hand"] = {"status": "none written"}
    elif not extra_tools:
        out["hand"] = {"status": "not run (--no-extra-tools)"}

    _cross_check(out, style_grads, tool_grads)
    return out


def _sourcediff_call(sd, function, wrt: tuple, args: tuple, made: dict) -> Callable[[], Any]:
    made["value_and_grad"] = value_and_grad = sd.value_and_grad(function, wrt=wrt,
                                                                 target="cpu")
    return lambda: value_and_grad(*args)


def _hand_call(numba, function, args: tuple) -> Callable[[], Any]:
    by_hand = numba.njit(cache=True)(function)
    return lambda: by_hand(*args)


def _cross_check(out: dict, style_grads: dict, tool_grads: dict) -> None:
    """Relative differences between the tools' gradients and a verdict per row."""
    rtol = out["rtol"]
    for row in out["styles"]:
        ours = style_grads.get(row["style"])
        if ours is None:
            row["check"] = row["sourcediff"]["status"]
            continue
        for tool, theirs in tool_grads.items():
            row[f"vs_{tool}"] = harness.max_rel_diff(ours, theirs)
        problems = []
        if not row["value_rel_diff"] <= rtol:
            problems.append(f"value {row['value_rel_diff']:.1e} off the primal's")
        if "fd_failure" in row:
            problems.append(f"finite differences not run: {row['fd_failure']}")
        elif not row["fd_rel_err"] <= FD_TOLERANCE:
            problems.append(f"finite differences {row['fd_rel_err']:.1e}")
        problems += [f"{tool} {row[f'vs_{tool}']:.1e}" for tool in ("hand", "jax")
                     if f"vs_{tool}" in row and not row[f"vs_{tool}"] <= rtol]
        row["check"] = "ok" if not problems else "WRONG (" + ", ".join(problems) + ")"
    # the peers against the hand adjoint, or else against sourcediff's first style
    reference = next(iter(style_grads.values()), None)
    if "hand" in tool_grads and reference is not None:
        out["hand"]["vs_sourcediff"] = harness.max_rel_diff(tool_grads["hand"], reference)
    if "jax" in tool_grads:
        other, label = (tool_grads["hand"], "hand") if "hand" in tool_grads \
            else (reference, "sourcediff")
        if other is not None:
            out["jax"][f"vs_{label}"] = harness.max_rel_diff(tool_grads["jax"], other)
    for tool in ("hand", "jax"):
        row = out.get(tool, {})
        if row.get("status") == "ok":
            diffs = [v for k, v in row.items() if k.startswith("vs_")]
            row["check"] = "ok" if all(d <= rtol for d in diffs) else "disagrees"
    times = [row["sourcediff"]["median_s"] for row in out["styles"]
             if row["sourcediff"]["status"] == "ok"]
    out["style_ratio"] = max(times) / min(times) if len(times) == len(out["styles"]) else None
    # the same for the primals: how much of the gap the styles' primals already have
    primals = [row["primal"]["median_s"] for row in out["styles"]]
    out["primal_style_ratio"] = max(primals) / min(primals)


def summarize(programs: list[dict]) -> dict:
    """Median and worst gradient/primal ratios over every program style, the ratio to
    the hand adjoints and JAX, and the style-pair ratios."""
    rows = [(p["program"], row["style"], row["sourcediff"]) for p in programs
            for row in p["styles"] if row["sourcediff"]["status"] == "ok"]
    summary: dict[str, Any] = {"styles_measured": len(rows),
                               "styles_total": sum(len(p["styles"]) for p in programs)}
    if rows:
        ratios = [ours["over_primal"] for _, _, ours in rows]
        worst = max(rows, key=lambda r: r[2]["over_primal"])
        summary["over_primal"] = {"median": statistics.median(ratios), "worst": max(ratios),
                                  "worst_at": f"{worst[0]} ({worst[1]})"}
    for tool in ("hand", "jax"):
        # the tool's time over sourcediff's, per style (above 1: sourcediff is faster)
        pairs = [(p[tool]["median_s"] / row["sourcediff"]["median_s"], p["program"], row["style"])
                 for p in programs if p.get(tool, {}).get("status") == "ok"
                 for row in p["styles"] if row["sourcediff"]["status"] == "ok"]
        if pairs:
            values = [v for v, _, _ in pairs]
            worst = min(pairs)
            summary[f"{tool}_over_sourcediff"] = {
                "median": statistics.median(values), "min": worst[0],
                "min_at": f"{worst[1]} ({worst[2]})",
                "sourcediff_faster": sum(v > 1.0 for v in values), "count": len(values)}
    summary["style_ratio"] = {p["program"]: p["style_ratio"] for p in programs}
    checks = [row["check"] for p in programs for row in p["styles"]]
    summary["wrong"] = sum(c.startswith("WRONG") for c in checks)
    summary["refused"] = sum(c == "refused" for c in checks)
    summary["failed"] = sum(c not in ("ok", "refused") and not c.startswith("WRONG")
                            for c in checks)
    return summary


def run_family(name: str, family: ModuleType, size: str = "default",
               peers: tuple = ("jax",), repeat: int = 20, budget_s: float = 10.0,
               timeout_s: float | None = 120.0, extra_tools: bool = True,
               empty_cache: bool = True,
               progress: Callable[[str], None] = lambda message: None,
               only: tuple = ()) -> dict:
    """Measure every program of ``family`` at ``size`` (see the module docstring), or
    those named in ``only``.

    With ``empty_cache``, sourcediff's generated code goes to a new, empty cache
    directory for this run, so each first call is the transform plus Numba's
    compilation; otherwise the usual cache is used (faster when it is warm).
    """
    report: dict[str, Any] = {"workload": name, "kind": "family", "title": family.TITLE,
                              "size": size, "memory_method": harness.memory_method(),
                              "fd_tolerance": FD_TOLERANCE, "empty_cache": empty_cache}
    programs = []
    with _cache_directory(empty_cache):
        for program in programs_of(family, only):
            programs.append(run_program(program, size, peers, repeat, budget_s, timeout_s,
                                        extra_tools, progress))
    report["programs"] = programs
    report["summary"] = summarize(programs)
    return report


@contextlib.contextmanager
def _cache_directory(empty: bool):
    """A new, empty ``SOURCEDIFF_CACHE_DIR`` while inside (when ``empty``)."""
    if not empty:
        yield
        return
    previous = os.environ.get("SOURCEDIFF_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="sourcediff_family_") as cache:
        os.environ["SOURCEDIFF_CACHE_DIR"] = cache
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("SOURCEDIFF_CACHE_DIR", None)
            else:
                os.environ["SOURCEDIFF_CACHE_DIR"] = previous


# -- the table -------------------------------------------------------------------------


def _time(seconds) -> str:
    """A duration with three significant digits and a fitting unit."""
    if not isinstance(seconds, (int, float)):
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale or unit == "µs":
            value = seconds / scale
            digits = 0 if value >= 100 else 1 if value >= 10 else 2
            return f"{value:.{digits}f} {unit}"
    raise AssertionError("unreachable")


def _diff(row: dict, key: str) -> str:
    return f"{row[key]:.1e}" if key in row else "—"


def _parameters(parameters: dict) -> str:
    return ", ".join(f"{k}={v:,}" if isinstance(v, int) else f"{k}={v:g}"
                     for k, v in parameters.items())


def _status_row(program: str, style: str, tool: str, row: dict) -> str:
    detail = row.get("detail", "")
    detail = detail.splitlines()[0] if detail else ""
    text = f"{row['status']}: {detail}" if detail else row["status"]
    return f"| {program} | {style} | {tool} | {text} | | | | | | | |"


def format_family(report: dict) -> str:
    """The family's results as one Markdown table with the summary under it."""
    lines = [
        f"### {report['workload']}: {report['title']}",
        "",
        (f"Size {report['size']}. One row per program and style for sourcediff "
         "(`value_and_grad`, cpu target), then the program's hand-written Numba adjoint and "
         "JAX `jit(value_and_grad)`; their ratio is to the faster style's primal."),
        "",
        ("| program | style | tool | primal (Numba) | value+grad | / primal | first call | "
         "FD rel. err (small) | vs hand | vs JAX | check |"),
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for program in report["programs"]:
        name = program["program"]
        for row in program["styles"]:
            ours = row["sourcediff"]
            if ours["status"] != "ok":
                detail = ours.get("detail", "").splitlines()
                text = f"{ours['status']}: {detail[0] if detail else ''}"
                lines.append(f"| {name} | {row['style']} | sourcediff | "
                             f"{_time(row['primal']['median_s'])} | {text} | | | | | | "
                             f"{ours['status']} |")
                continue
            lines.append(
                f"| {name} | {row['style']} | sourcediff | {_time(row['primal']['median_s'])} | "
                f"{_time(ours['median_s'])} | {ours['over_primal']:.2f} | "
                f"{_time(ours['first_call_s'])} | {row['fd_rel_err']:.1e} | "
                f"{_diff(row, 'vs_hand')} | {_diff(row, 'vs_jax')} | {row['check']} |")
        for tool, label in (("hand", "numba-hand"), ("jax", "jax")):
            row = program.get(tool)
            if row is None:
                continue
            if row["status"] != "ok":
                if row["status"] != "none written":
                    lines.append(_status_row(name, "—", label, row))
                continue
            vs_hand = _diff(row, "vs_hand") if tool == "jax" else "—"
            vs_jax = "—"
            if tool == "hand" and program.get("jax", {}).get("status") == "ok":
                vs_jax = _diff(program["jax"], "vs_hand")
            reference = "" if "vs_sourcediff" not in row else \
                f" (vs sourcediff {row['vs_sourcediff']:.1e})"
            lines.append(
                f"| {name} | — | {label} | — | {_time(row['median_s'])} | "
                f"{row['over_primal']:.2f} | {_time(row['first_call_s'])} | — | {vs_hand} | "
                f"{vs_jax} | {row['check']}{reference} |")
    lines += ["", "Programs and sizes:"]
    for program in report["programs"]:
        lines.append(f"- {program['program']}: {program['title']} "
                     f"({_parameters(program['parameters'])}; gradient with respect to "
                     f"{', '.join(program['wrt'])}).")
    lines += ["", *summary_lines(report)]
    return "\n".join(lines)


def summary_lines(report: dict) -> list[str]:
    """The summary under the table, as sentences."""
    summary = report["summary"]
    lines = []
    over = summary.get("over_primal")
    if over:
        lines.append(
            f"sourcediff value+grad / Numba primal over the {summary['styles_measured']} "
            f"program styles measured (of {summary['styles_total']}): median "
            f"{over['median']:.2f}, worst {over['worst']:.2f} ({over['worst_at']}).")
    for tool, label in (("hand", "hand-written adjoint"), ("jax", "JAX")):
        ratio = summary.get(f"{tool}_over_sourcediff")
        if ratio:
            lines.append(
                f"{label} time / sourcediff time (above 1: sourcediff faster): median "
                f"{ratio['median']:.2f}, lowest {ratio['min']:.2f} ({ratio['min_at']}); "
                f"sourcediff faster in {ratio['sourcediff_faster']} of {ratio['count']}.")
    pairs = []
    for program in report["programs"]:
        if len(program["styles"]) < 2:
            continue  # one style: no pair to compare
        ratio = program["style_ratio"]
        if ratio is None:
            pairs.append(f"{program['program']} —")
            continue
        times = ", ".join(f"{row['style']} {_time(row['sourcediff']['median_s'])}"
                          for row in program["styles"])
        pairs.append(f"{program['program']} {ratio:.2f} ({times}; primals "
                     f"{program['primal_style_ratio']:.2f})")
    if pairs:
        lines.append("Style pairs, slower style's gradient time / faster style's (and the "
                     "same ratio for the two primals): " + "; ".join(pairs) + ".")
    problems = []
    if summary["wrong"]:
        problems.append(f"{summary['wrong']} WRONG")
    if summary["refused"]:
        problems.append(f"{summary['refused']} refused")
    if summary["failed"]:
        problems.append(f"{summary['failed']} failed")
    lines.append("Gradients: " + (", ".join(problems) if problems else
                                  "every style agrees with finite differences (tolerance "
                                  f"{report['fd_tolerance']:.0e}) and with the hand adjoint "
                                  "and JAX where present (each program's rtol)") + ".")
    lines.append(
        "Columns: times are medians of repeated calls after a warm-up; first call = building "
        "the callable plus its first call (sourcediff: transform and Numba compilation, "
        + ("with an empty cache" if report.get("empty_cache") else "Numba's cache possibly warm")
        + "; JAX: tracing and XLA compilation); FD rel. err (small) = sourcediff "
        "against central finite differences of the Numba primal along 3 random directions, "
        "at the small size (at large sizes rounding swamps them); vs hand, vs JAX = "
        "max |g - g_ref| / max |g_ref| over the differentiated inputs.")
    return lines


def command_line(name: str, family: ModuleType, argv: list[str] | None = None) -> None:
    """``python -m sourcediff.bench.<name>``: run the family, print its table."""
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(description=family.__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "default", "large"), default="default")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--budget", type=float, default=10.0,
                        help="seconds of timed calls per tool")
    parser.add_argument("--no-jax", action="store_true", help="skip the JAX rows")
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    options = parser.parse_args(argv)
    harness.limit_blas_threads(1)
    report = run_family(
        name, family, options.size,
        peers=() if options.no_jax else ("jax",), repeat=options.repeat,
        budget_s=options.budget,
        progress=lambda message: print(message, file=sys.stderr, flush=True))
    print(format_family(report))
    if options.json:
        with open(options.json, "w") as out:
            json.dump(report, out, indent=2)
            out.write("\n")

