"""``sourcediff bench``: the benchmark workloads against the peers that are installed.

The workloads are the modules of :mod:`sourcediff.bench` (installed with the
package); the measuring is done by ``sourcediff.bench.harness``. This module
handles the command line, the progress display, the tables, the JSON file and
the plot.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

from .. import bench as benchmarks
from ..bench import family, harness
from ._common import CliError

SIZES = ("small", "default", "large")


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "bench", help="run the benchmark workloads against PyTorch, JAX and autograd",
        description="Time the gradient of each workload with sourcediff and with each "
                    "installed peer (a missing peer is a row saying so), check that their "
                    "gradients agree, and print a table per workload.")
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                        help="workloads or families to run (default: all; --list shows them); "
                             "FAMILY:P1,P2 runs some programs of a family")
    parser.add_argument("--peers", default="torch,jax,autograd",
                        help="comma-separated peers (default: torch,jax,autograd; '' for none)")
    parser.add_argument("--size", choices=SIZES, default="default",
                        help="problem size (small: seconds, for tests; default: the "
                             "figures in benchmarks/RESULTS.md)")
    parser.add_argument("--repeat", type=int, default=20,
                        help="timed calls per tool after the warm-up (median reported)")
    parser.add_argument("--budget", type=float, default=10.0,
                        help="seconds of timed calls per tool: slower tools get fewer repeats")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="limit in seconds for a peer's first call (its row says 'timed "
                             "out' past it)")
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    parser.add_argument("--plot", metavar="FILE.png", help="bar chart of gradient times "
                                                         "(needs matplotlib)")
    parser.add_argument("--markdown", metavar="FILE",
                        help="write the tables with the machine, versions and command as "
                             "Markdown (how benchmarks/RESULTS.md is made)")
    parser.add_argument("--no-fresh-process", action="store_true",
                        help="skip measuring sourcediff's first call in fresh processes "
                             "(empty and warm compile cache); in a family, use the usual "
                             "cache instead of an empty one")
    parser.add_argument("--no-extra-tools", action="store_true",
                        help="skip the extra rows of a workload (hand-written adjoints, other "
                             "ways of writing the objective)")
    parser.add_argument("--no-progress", action="store_true", help="no progress display")
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    parser.set_defaults(run=run)


class Progress:
    """One line per step on stderr, or a rich progress bar when rich is installed and
    stdout and stderr are a terminal (the tables printed meanwhile go above the bar)."""

    def __init__(self, total: int, enabled: bool = True):
        self.total, self.done, self.enabled = total, 0, enabled
        self.start = time.perf_counter()
        self._rich = None
        if enabled and sys.stderr.isatty() and sys.stdout.isatty():
            try:
                from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
                from rich.progress import Progress as RichProgress
            except ImportError:
                pass
            else:
                self._rich = RichProgress(TextColumn("{task.description}"), BarColumn(),
                                          TextColumn("{task.completed}/{task.total}"),
                                          TimeElapsedColumn(), transient=True,
                                          redirect_stdout=True)
                self._task = self._rich.add_task("bench", total=total)
                self._rich.start()

    def step(self, message: str) -> None:
        if not self.enabled:
            return
        if self._rich is not None:
            self._rich.update(self._task, completed=self.done, description=message)
        else:
            elapsed = time.perf_counter() - self.start
            print(f"[{self.done + 1}/{self.total} {elapsed:6.1f}s] {message}", file=sys.stderr,
                  flush=True)
        self.done += 1

    def close(self) -> None:
        if self._rich is not None:
            self._rich.stop()


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


def _describe_parameters(parameters) -> str:
    if isinstance(parameters, dict):
        return ", ".join(f"{key}={value:,}" if isinstance(value, int) else f"{key}={value}"
                         for key, value in parameters.items())
    return f"n={parameters:,}" if isinstance(parameters, int) else str(parameters)


_VERDICTS = {True: "met", False: "MISSED", None: "not measured"}


def format_report(report: dict) -> str:
    """A workload's table, or a family's (``sourcediff.bench.family``)."""
    if report.get("kind") == "family":
        return family.format_family(report)
    return format_table(report)


def format_table(report: dict) -> str:
    """A workload's results as a Markdown table with a short header."""
    primal = report["primal"]
    ours = report["tools"]["sourcediff"]
    lines = [
        f"### {report['workload']}: {report['title']}",
        "",
        (f"Size {report['size']} ({_describe_parameters(report['parameters'])}); gradient "
         f"with respect to {', '.join(report['wrt'])}."),
        (f"Primal ({primal['tool']}): {_time(primal['median_s'])} "
         f"(median of {primal['repeats']})."),
        (f"sourcediff against central finite differences: relative error "
         f"{report['fd_check']['rel_err']:.1e}."),
    ]
    compile_times = report.get("compile")
    if compile_times:
        if "error" in compile_times:
            lines.append(f"First call in a fresh process failed: {compile_times['error']}")
        else:
            lines.append(f"sourcediff first call in a fresh process (transform + compile): "
                         f"{_time(compile_times['cold_s'])} with an empty cache, "
                         f"{_time(compile_times['cached_s'])} with Numba's cache.")
    lines += [
        "",
        ("| tool | gradient (median) | / primal | sourcediff speed-up | first call | "
         "peak memory | max rel. diff vs sourcediff | runs |"),
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for tool, row in report["tools"].items():
        if row["status"] != "ok":
            detail = f" ({row['detail']})" if row.get("detail") else ""
            lines.append(f"| {tool} | {row['status']}{detail} | | | | | | |")
            continue
        speedup = "—" if tool == "sourcediff" else f"{row['sourcediff_speedup']:.2f}x"
        diff = "—" if tool == "sourcediff" else f"{row['max_rel_diff']:.1e}"
        lines.append(
            f"| {tool} | {_time(row['median_s'])} | {row['over_primal']:.2f} | {speedup} | "
            f"{_time(row['first_call_s'])} | {row['peak_mib']:.1f} MiB | {diff} | "
            f"{row['repeats']} |")
    worst = max((row["max_rel_diff"] for tool, row in report["tools"].items()
                 if row["status"] == "ok" and tool != "sourcediff"), default=None)
    if worst is not None:
        verdict = "agree" if worst <= report["rtol"] else "DISAGREE"
        lines.append("")
        lines.append(f"Gradients {verdict} (max relative difference {worst:.1e}, "
                     f"tolerance {report['rtol']:.0e}); sourcediff gradient "
                     f"{_time(ours['median_s'])}.")
    targets = report.get("targets")
    if targets:
        lines.append("")
        lines.append("Targets: " + "; ".join(
            f"{t['target']}: {_VERDICTS[t['met']]} ({t['measured']})"
            for t in targets) + ".")
    notes = report.get("notes")
    if notes:
        lines += ["", notes.strip()]
    return "\n".join(lines)


def legend(memory_method: str) -> str:
    """What the table columns mean."""
    columns = (
        "Columns: gradient = median wall time of one value-and-gradient call after a warm-up "
        "(mlp-step: one training step); / primal = that time over the primal's; sourcediff "
        "speed-up = the tool's time over sourcediff's (above 1: sourcediff is faster); first "
        "call = building the callable plus its first call (transform, tracing, compilation; "
        "sourcediff's may load Numba's on-disk cache); runs = timed calls in the median.")
    return f"{columns}\nPeak memory: {memory_method}."


def plot(reports: list, path: str) -> None:
    """Grouped bars: gradient time per tool, one group per workload, log scale."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CliError("--plot needs matplotlib (pip install matplotlib, or "
                       "pip install 'sourcediff[bench]')", status=1) from None
    tools: list[str] = []
    for report in reports:
        for tool, row in report["tools"].items():
            if row["status"] == "ok" and tool not in tools:
                tools.append(tool)
    width = 0.8 / max(len(tools), 1)
    figure, axes = plt.subplots(figsize=(2.2 + 2.0 * len(reports), 4.5))
    for t, tool in enumerate(tools):
        xs, heights = [], []
        for w, report in enumerate(reports):
            row = report["tools"].get(tool, {})
            if row.get("status") == "ok":
                xs.append(w + (t - (len(tools) - 1) / 2) * width)
                heights.append(row["median_s"] * 1e3)
        axes.bar(xs, heights, width=width, label=tool)
    axes.set_xticks(range(len(reports)), [f"{r['workload']}\n({r['size']})" for r in reports])
    axes.set_yscale("log")
    axes.set_ylabel("gradient time, ms (log scale)")
    axes.set_title("sourcediff bench: value and gradient, median")
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def markdown(results: dict, command: str, plot_path: str | None, markdown_path: str) -> str:
    """The whole run as a Markdown document (benchmarks/RESULTS.md)."""
    machine, versions, settings = results["machine"], results["versions"], results["settings"]
    installed = ", ".join(f"{name} {version}" for name, version in versions.items()
                          if version is not None)
    missing = [name for name, version in versions.items() if version is None]
    load = settings["load_average"]
    shared = ": other jobs shared the machine, so absolute times are noisy; the tools of one " \
        "workload ran one after another under similar load" if max(load) > 0.5 else ""
    not_installed = f"; not installed: {', '.join(missing)}" if missing else ""
    lines = [
        "# sourcediff bench results",
        "",
        "Regenerate (from the repository root, with the peers installed):",
        "",
        f"    {command}",
        "",
        (f"Run {settings['started_utc']} on {machine['cpu']}, {machine['cores']} cores, "
         f"{machine['os']}, Python {machine['python']}."),
        f"Versions: {installed}{not_installed}.",
        (f"Settings: size {settings['size']}, up to {settings['repeat']} timed calls per tool "
         f"within {settings['budget_s']:g} s, first-call limit {settings['timeout_s']:g} s; "
         f"threads: {settings['threads']}; warm calls timed by "
         + ("CPU time of the process (SOURCEDIFF_BENCH_CLOCK=cpu)"
            if settings.get("clock") == "cpu" else "wall-clock time") + "."),
        (f"Load average (1 min) {load[0]:.2f} at the start and {load[1]:.2f} at the end of "
         f"the run, on {machine['cores']} cores{shared}."),
        "",
    ]
    for report in results["workloads"]:
        lines += [format_report(report), ""]
    workload_reports = [report for report in results["workloads"]
                        if report.get("kind") != "family"]
    lines += [legend(workload_reports[0]["memory_method"]) if workload_reports else "", ""]
    if plot_path:
        relative = os.path.relpath(plot_path, Path(markdown_path).resolve().parent)
        lines += [f"![gradient times]({relative})", ""]
    return "\n".join(lines)


def _selected(words: list) -> tuple[list, dict]:
    """The workloads to run and, per family, the programs picked (``programs:heat,rosen``;
    none: all of them)."""
    selected = [word.partition(":") for word in words]
    names = [name for name, _, _ in selected]
    only = {name: tuple(p.strip() for p in programs.split(",") if p.strip())
            for name, _, programs in selected}
    unknown = [name for name in names if name not in benchmarks.names()]
    if unknown:
        raise CliError(f"unknown workload {', '.join(map(repr, unknown))}; choose from "
                       f"{', '.join(benchmarks.names())}")
    for name in names:
        if only[name] and not benchmarks.is_family(name):
            raise CliError(f"{name!r} is a workload, not a family: it has no programs to pick")
        if only[name]:
            try:
                family.programs_of(benchmarks.load(name), only[name])
            except ValueError as exc:
                raise CliError(f"{name}: {exc}") from None
    return names, only


def run(options: argparse.Namespace) -> int:
    if options.list:
        for name in benchmarks.names():
            kind = " (family: one table)" if benchmarks.is_family(name) else ""
            print(f"{name:12} {benchmarks.load(name).TITLE}{kind}")
        return 0
    names, only = _selected(options.workloads or benchmarks.names())
    peers = tuple(p.strip() for p in options.peers.split(",") if p.strip())
    for peer in peers:
        if peer not in benchmarks.PEERS:
            print(f"sourcediff bench: unknown peer {peer!r} (known: "
                  f"{', '.join(benchmarks.PEERS)}): shown as a row, not run", file=sys.stderr)
    if options.repeat < 1:
        raise CliError("--repeat must be at least 1")

    # one thread everywhere, like the Numba code (see harness.import_jax / import_torch)
    blas_limited = harness.limit_blas_threads(1)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    steps = 0
    for name in names:  # the progress messages run_workload will send
        workload = benchmarks.load(name)
        if benchmarks.is_family(name):
            steps += family.count_steps(workload, peers, not options.no_extra_tools, only[name])
            continue
        extra = 0 if options.no_extra_tools else len(getattr(workload, "EXTRA_TOOLS", {}))
        steps += 3 + extra + (not options.no_fresh_process)
        steps += sum(hasattr(workload, f"peer_{peer}") for peer in peers)
    progress = Progress(steps, enabled=not options.no_progress)
    reports, status = [], 0
    try:
        for name in names:
            try:
                if benchmarks.is_family(name):
                    report = family.run_family(
                        name, benchmarks.load(name), options.size, peers=peers,
                        repeat=options.repeat, budget_s=options.budget,
                        timeout_s=options.timeout, extra_tools=not options.no_extra_tools,
                        empty_cache=not options.no_fresh_process, progress=progress.step,
                        only=only[name])
                else:
                    report = harness.run_workload(
                        name, options.size, peers=peers, repeat=options.repeat,
                        budget_s=options.budget, timeout_s=options.timeout,
                        fresh_process=not options.no_fresh_process,
                        extra_tools=not options.no_extra_tools, progress=progress.step)
            except Exception as exc:  # noqa: BLE001  (report it, run the other workloads)
                print(f"sourcediff bench: {name} failed: {type(exc).__name__}: {exc}",
                      file=sys.stderr)
                status = 1
                continue
            reports.append(report)
            print(format_report(report), end="\n\n", flush=True)
    finally:
        progress.close()
    workload_reports = [report for report in reports if report.get("kind") != "family"]
    if workload_reports:
        print(legend(workload_reports[0]["memory_method"]))
    results = {
        "machine": harness.machine(), "versions": harness.versions(tuple(
            p for p in peers if p in benchmarks.PEERS)),
        "settings": {"size": options.size, "repeat": options.repeat, "budget_s": options.budget,
                     "timeout_s": options.timeout, "peers": list(peers),
                     "threads": "one (Numba code is serial; torch.set_num_threads(1); XLA "
                                "single-threaded unless XLA_FLAGS is set; NumPy's OpenBLAS "
                                + ("set to one thread)" if blas_limited
                                   else "left as it is: no OpenBLAS entry point found)"),
                     "clock": harness.clock_name(),
                     "started_utc": started,
                     "load_average": [load_start, os.getloadavg()[0] if hasattr(os, "getloadavg")
                                      else float("nan")]},
        "workloads": reports,
    }
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {options.json}", file=sys.stderr)
    if options.plot:
        plot(workload_reports, options.plot)
        print(f"wrote {options.plot}", file=sys.stderr)
    if options.markdown:
        command = "python -m sourcediff " + shlex.join(options.argv)
        Path(options.markdown).write_text(markdown(results, command, options.plot,
                                                   options.markdown))
        print(f"wrote {options.markdown}", file=sys.stderr)
    return status
