"""Measuring one workload against its peers: the engine behind ``sourcediff bench``.

A workload is a module of this package that defines

* ``TITLE`` (one line), ``SIZES`` (``"small"``, ``"default"``, ``"large"`` -> a dict
  of parameters), ``WRT`` (names of the differentiated inputs), ``RTOL`` (how
  close the tools' gradients are expected to agree);
* ``make_data(size) -> dict``: the inputs, NumPy arrays, fixed seed;
* ``wrt_values(data) -> tuple``: the differentiated inputs, in ``WRT`` order;
* ``primal(data) -> f``: the objective alone (a Numba loop, or NumPy), called as
  ``f(*wrt_values(data))`` and returning a float; ``PRIMAL_TOOL`` names it
  (default ``"numba"``); the finite-difference check calls it with float64
  copies of the inputs;
* ``sourcediff(data) -> call``: ``call()`` returns ``(value, grads)``, grads a
  tuple in ``WRT`` order; the transform is made inside, so the first call
  includes transform and compile time;
* ``peer_<name>(data) -> call`` for each peer it supports (``jax``, ``torch``,
  ``autograd``), importing the peer inside (``ImportError`` means "not
  installed"); ``call()`` must return only when the work is done;
* optionally ``EXTRA_TOOLS`` (row name -> name of a function of ``data``
  returning a callable like ``sourcediff``'s: a hand-written adjoint, another
  way of writing the objective), ``TARGETS`` (performance goals, see
  ``check_targets``) and ``NOTES`` (Markdown printed under the table).

Every tool's callable is measured the same way: the first call (transform,
tracing, compilation) is timed alone and its result kept for the
cross-check; then a warm-up call, during which peak memory is measured, and
``repeat`` timed calls whose median is reported. A tool whose warm-up call
shows it cannot make ``repeat`` calls within the time budget per tool gets
fewer (as many as fit, at least one; a tool slower than the whole budget is
timed by its warm-up call alone); the count is reported.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# the directory holding the sourcediff package (a checkout or site-packages): fresh
# processes import the same sourcediff as this one
PACKAGE_ROOT = Path(__file__).resolve().parents[2]

# Measured during one warm call of each tool (see peak_memory_mib).
MEMORY_METHOD = (
    "peak RSS growth during one warm call: Linux VmHWM, reset through /proc/self/clear_refs "
    "after glibc malloc_trim(0); memory an allocator keeps outside malloc is not counted"
)
_TRACEMALLOC_METHOD = (
    "peak of Python/NumPy allocations during one warm call (tracemalloc; allocations made "
    "by Numba, PyTorch or XLA are not seen)"
)


# -- timing and memory ---------------------------------------------------------


def clock_name() -> str:
    """Which clock times the warm calls: ``"wall"`` (``time.perf_counter``, the default) or
    ``"cpu"`` (``time.process_time``: CPU seconds of this process, all its threads), from
    the environment variable ``SOURCEDIFF_BENCH_CLOCK``. On a machine shared with other
    jobs a call longer than the scheduler's time slice is preempted and its wall time
    grows by the other jobs' slices, a call shorter than one is not: with a load average
    well above the core count, wall-clock ratios between a 1 ms primal and a 10 ms
    gradient are inflated several times, CPU-time ratios are not."""
    name = os.environ.get("SOURCEDIFF_BENCH_CLOCK", "wall").strip().lower() or "wall"
    if name not in ("wall", "cpu"):
        raise ValueError(f"SOURCEDIFF_BENCH_CLOCK={name!r}: choose wall or cpu")
    return name


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """``(seconds, result)`` of one call, on the clock :func:`clock_name` chooses."""
    clock = time.process_time if clock_name() == "cpu" else time.perf_counter
    start = clock()
    result = call()
    return clock() - start, result


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        return True
    except OSError:
        return False


def memory_method() -> str:
    """How ``peak_memory_mib`` measures on this machine."""
    if _status_kib("VmHWM") is not None and _reset_peak_rss():
        return MEMORY_METHOD
    return _TRACEMALLOC_METHOD


def _release_free_memory() -> None:
    """Hand the allocator's free pages back to the OS (glibc ``malloc_trim``), so that
    memory a call reuses from earlier calls shows up as RSS growth again."""
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def peak_memory_mib(call: Callable[[], Any]) -> tuple[float, float, Any]:
    """``(peak MiB, seconds, result)`` of one call; the method is ``memory_method()``."""
    gc.collect()
    _release_free_memory()
    if _status_kib("VmHWM") is not None and _reset_peak_rss():
        before = _status_kib("VmRSS")
        seconds, result = timed(call)
        peak = _status_kib("VmHWM")
        return max(0, peak - before) / 1024.0, seconds, result
    import tracemalloc

    tracemalloc.start()
    try:
        seconds, result = timed(call)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20, seconds, result


def measure(make: Callable[[], Callable[[], Any]], repeat: int, budget_s: float,
            keep: Callable[[Any], Any] = lambda result: result,
            timeout_s: float | None = None) -> dict:
    """Build a tool's callable with ``make()`` and measure it (see the module docstring).

    Returns a dict with ``first_call_s`` (``make()`` plus the first call),
    ``median_s``, ``min_s``, ``repeats``, ``peak_mib`` and ``result``:
    ``keep`` of the first call's result, taken before any other call (a
    training step changes its own state). ``make()`` and the first call
    together may take at most ``timeout_s`` (``ToolTimeout`` otherwise).
    """
    start = time.perf_counter()
    with _time_limit(timeout_s):
        call = make()
        result = keep(call())
    first_call_s = time.perf_counter() - start
    out: dict[str, Any] = {"first_call_s": first_call_s, "result": result}
    peak, warm_s, _ = peak_memory_mib(call)
    if warm_s > budget_s:
        samples = [warm_s]  # a very slow tool: the warm-up call is the one sample
    else:
        count = max(1, min(repeat, int(budget_s / max(warm_s, 1e-9))))
        samples = [timed(call)[0] for _ in range(count)]
    out.update(median_s=statistics.median(samples), min_s=min(samples), repeats=len(samples),
               peak_mib=peak)
    return out


class ToolTimeout(Exception):
    """A tool's first call took longer than the time limit."""


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Raise ``ToolTimeout`` in the main thread after ``seconds`` (where SIGALRM exists;
    otherwise no limit). Code running in C returns before the exception is raised."""
    usable = (seconds is not None and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise ToolTimeout(f"first call took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    # then again every half second: an exception raised where Python ignores it (a gc
    # callback, a __del__) must not let the call run on unbounded
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- results ---------------------------------------------------------------------


def to_numpy(value: Any) -> np.ndarray:
    """A float64 NumPy copy of a NumPy, JAX or PyTorch array (or a scalar)."""
    if hasattr(value, "detach"):  # a PyTorch or sourcediff Tensor
        value = value.detach().numpy()
    return np.array(value, dtype=np.float64)


def normalize(result: Any) -> tuple[float, tuple[np.ndarray, ...]]:
    """``(value, grads)`` of a tool as a float and float64 arrays."""
    value, grads = result
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    return float(to_numpy(value)), tuple(to_numpy(g) for g in grads)


def max_rel_diff(grads: tuple, reference: tuple) -> float:
    """max over inputs of max|g - g_ref| / max|g_ref| (relative to the largest entry)."""
    worst = 0.0
    for g, ref in zip(grads, reference, strict=True):
        if g.shape != ref.shape:
            return float("inf")
        scale = float(np.max(np.abs(ref))) if ref.size else 0.0
        diff = float(np.max(np.abs(g - ref))) if ref.size else 0.0
        worst = max(worst, diff / scale if scale > 0 else diff)
    return worst


def directional_fd_error(f: Callable[..., float], wrt: tuple, grads: tuple,
                         directions: int = 3, seed: int = 1) -> float:
    """Worst relative error of ``grads`` along random unit directions ``v`` against
    central finite differences of ``f`` in float64,
    |(f(w+hv) - f(w-hv)) / 2h - <g, v>| / max(|<g, v>|, |fd|).

    Per direction, the best of the steps h = 1e-2 ... 1e-7 (times the largest
    input) is kept: truncation error grows with h and rounding error with 1/h,
    and which dominates depends on the workload."""
    rng = np.random.default_rng(seed)
    base = tuple(np.asarray(w, dtype=np.float64) for w in wrt)
    scale = max(max(float(np.max(np.abs(w))) for w in base), 1.0)
    worst = 0.0
    for _ in range(directions):
        vs = tuple(rng.standard_normal(w.shape) for w in base)
        norm = np.sqrt(sum(float(np.sum(v * v)) for v in vs))
        vs = tuple(v / norm for v in vs)
        exact = sum(float(np.sum(g * v)) for g, v in zip(grads, vs))
        best = float("inf")
        for h in (scale * 10.0**-e for e in range(2, 8)):
            plus = f(*(w + h * v for w, v in zip(base, vs)))
            minus = f(*(w - h * v for w, v in zip(base, vs)))
            fd = (plus - minus) / (2 * h)
            best = min(best, abs(fd - exact) / max(abs(exact), abs(fd), 1e-300))
        worst = max(worst, best)
    return worst


# -- peers -------------------------------------------------------------------------


def import_jax():
    """JAX with float64 enabled and, unless ``XLA_FLAGS`` says otherwise, one CPU thread
    (like the Numba code it is compared with)."""
    if "jax" not in sys.modules and "XLA_FLAGS" not in os.environ:
        os.environ["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1")
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def limit_blas_threads(threads: int = 1) -> bool:
    """Set the thread count of the OpenBLAS that NumPy loaded (the sourcediff Tensor API
    and autograd multiply matrices with it), as threadpoolctl would; False when no
    OpenBLAS with a known entry point is loaded."""
    import ctypes
    import re

    import numpy  # noqa: F401  (loads its BLAS)

    try:
        with open("/proc/self/maps") as maps:
            libraries = set(re.findall(r"(/\S*openblas\S*\.so\S*)", maps.read()))
    except OSError:
        return False
    done = False
    for path in libraries:
        library = ctypes.CDLL(path)
        for symbol in ("openblas_set_num_threads", "openblas_set_num_threads64_",
                       "scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads"):
            if hasattr(library, symbol):
                getattr(library, symbol)(threads)
                done = True
                break
    return done


def import_torch():
    """PyTorch with one intra-op thread (like the Numba code it is compared with)."""
    import torch

    torch.set_num_threads(1)
    return torch


# -- compile time in fresh processes --------------------------------------------------

_FRESH_PROCESS_CODE = """
import json, sys, time
sys.path.insert(0, {root!r})
from sourcediff.bench import load
workload = load({name!r})
data = workload.make_data({size!r})
start = time.perf_counter()
call = workload.sourcediff(data)
call()
print(json.dumps({{"first_call_s": time.perf_counter() - start}}))
"""


def fresh_process_first_calls(name: str, size: str) -> dict:
    """sourcediff's first call (transform + compile) in two new processes sharing one
    initially empty cache: ``cold_s`` (empty cache) and ``cached_s`` (Numba's
    on-disk cache filled by the first)."""
    code = _FRESH_PROCESS_CODE.format(root=str(PACKAGE_ROOT), name=name, size=size)
    with tempfile.TemporaryDirectory(prefix="sourcediff_bench_") as cache:
        env = dict(os.environ, SOURCEDIFF_CACHE_DIR=cache,
                   NUMBA_CACHE_DIR=str(Path(cache) / "numba"))
        times = []
        for _ in range(2):
            done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                  text=True, check=False)
            if done.returncode != 0:
                lines = done.stderr.strip().splitlines()
                return {"error": lines[-1] if lines else f"exit status {done.returncode}"}
            times.append(json.loads(done.stdout.strip().splitlines()[-1])["first_call_s"])
    return {"cold_s": times[0], "cached_s": times[1]}


# -- one workload ------------------------------------------------------------------------


def _describe_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def run_workload(name: str, size: str = "default", peers: tuple = ("jax", "torch", "autograd"),
                 repeat: int = 20, budget_s: float = 10.0, timeout_s: float | None = 120.0,
                 fresh_process: bool = True, extra_tools: bool = True,
                 progress: Callable[[str], None] = lambda message: None) -> dict:
    """Measure workload ``name`` at ``size``: the primal, sourcediff and each peer.

    Returns a JSON-ready dict; times in seconds, memory in MiB. A peer that
    is not installed, unknown, or not written for this workload is a row with
    a ``status`` saying so.
    """
    from . import PEERS, load

    workload = load(name)
    if size not in workload.SIZES:
        raise ValueError(f"unknown size {size!r} for {name}; choose from "
                         f"{', '.join(workload.SIZES)}")
    data = workload.make_data(size)
    wrt = workload.wrt_values(data)
    report: dict[str, Any] = {
        "workload": name, "title": workload.TITLE, "size": size,
        "parameters": workload.SIZES[size], "wrt": list(workload.WRT), "rtol": workload.RTOL,
        "memory_method": memory_method(),
    }

    progress(f"{name}: primal")
    f = workload.primal(data)
    primal = measure(lambda: (lambda: f(*wrt)), repeat, budget_s, keep=float)
    primal_value = primal.pop("result")
    primal_tool = getattr(workload, "PRIMAL_TOOL", "numba")
    report["primal"] = {"tool": primal_tool, "value": primal_value, **primal}

    tools: dict[str, dict] = {}
    report["tools"] = tools
    progress(f"{name}: sourcediff")
    ours = measure(lambda: workload.sourcediff(data), repeat, budget_s, keep=normalize)
    value, grads = ours.pop("result")
    tools["sourcediff"] = {"status": "ok", "value": value, **ours}

    extras = getattr(workload, "EXTRA_TOOLS", {}) if extra_tools else {}
    candidates = [(tool, getattr(workload, function)) for tool, function in extras.items()]
    for peer in peers:
        if peer not in PEERS:
            tools[peer] = {"status": f"unknown peer (known: {', '.join(PEERS)})"}
            continue
        adapter = getattr(workload, f"peer_{peer}", None)
        if adapter is None:
            tools[peer] = {"status": "not written for this workload"}
            continue
        candidates.append((peer, adapter))
    for tool, adapter in candidates:
        progress(f"{name}: {tool}")
        try:
            row = measure(lambda adapter=adapter: adapter(data), repeat, budget_s,
                          keep=normalize, timeout_s=timeout_s)
        except ImportError as exc:
            tools[tool] = {"status": "not installed", "detail": _describe_error(exc)}
            continue
        except ToolTimeout as exc:
            tools[tool] = {"status": "timed out", "detail": str(exc)}
            continue
        except Exception as exc:  # noqa: BLE001  (a failing peer is a row, not a crash)
            tools[tool] = {"status": "failed", "detail": _describe_error(exc)}
            continue
        peer_value, peer_grads = row.pop("result")
        tools[tool] = {"status": "ok", "value": peer_value, **row,
                       "max_rel_diff": max_rel_diff(peer_grads, grads),
                       "value_rel_diff": abs(peer_value - value) / max(abs(value), 1e-300)}

    for row in tools.values():
        if row["status"] == "ok":
            row["over_primal"] = row["median_s"] / report["primal"]["median_s"]
            row["sourcediff_speedup"] = row["median_s"] / tools["sourcediff"]["median_s"]
    tools["sourcediff"]["max_rel_diff"] = 0.0
    tools["sourcediff"]["value_rel_diff"] = abs(primal_value - value) / max(abs(value), 1e-300)

    progress(f"{name}: finite-difference check")
    report["fd_check"] = {
        "method": "central differences of the primal along 3 random directions, float64, "
                  "best step of 1e-2..1e-7",
        "rel_err": directional_fd_error(f, wrt, grads),
    }
    if fresh_process:
        progress(f"{name}: first call in fresh processes")
        report["compile"] = fresh_process_first_calls(name, size)
    report["targets"] = check_targets(workload, tools)
    if getattr(workload, "NOTES", None):
        report["notes"] = workload.NOTES
    return report


def check_targets(workload, tools: dict) -> list[dict]:
    """The workload's performance targets (``TARGETS``), each met (True), missed (False)
    or not measurable in this run (None).

    ``TARGETS`` may hold ``max_over_primal`` (sourcediff's gradient/primal ratio)
    and ``faster_than`` (peers sourcediff must beat, ``"all"`` for every peer measured)."""
    from . import PEERS

    targets = getattr(workload, "TARGETS", {})
    ours = tools["sourcediff"]
    out = []
    if "max_over_primal" in targets:
        limit = targets["max_over_primal"]
        out.append({"target": f"gradient/primal <= {limit:g}", "met": ours["over_primal"] <= limit,
                    "measured": f"{ours['over_primal']:.2f}"})
    faster_than = targets.get("faster_than")
    if faster_than:
        measured = {tool: row for tool, row in tools.items()
                    if tool in PEERS and row["status"] == "ok"
                    and (faster_than == "all" or tool in faster_than)}
        label = "faster than every peer measured" if faster_than == "all" \
            else f"faster than {', '.join(faster_than)}"
        if measured:
            slowest_ratio = min(row["sourcediff_speedup"] for row in measured.values())
            out.append({"target": label, "met": slowest_ratio > 1.0,
                        "measured": ", ".join(f"{tool} {row['sourcediff_speedup']:.2f}x"
                                              for tool, row in measured.items())})
        else:
            out.append({"target": label, "met": None, "measured": "no peer measured"})
    return out


# -- machine and versions ---------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    """CPU, core count and OS of this machine."""
    return {"cpu": _cpu_model(), "cores": os.cpu_count(), "os": platform.platform(),
            "python": platform.python_version()}


def versions(peers: tuple = ("jax", "torch", "autograd")) -> dict:
    """Versions of sourcediff, NumPy, Numba and the peers (None when not installed).

    Read from the installed distributions, so no peer is imported here."""
    from importlib import metadata

    out = {}
    for dist in ("sourcediff", "numpy", "numba", *peers):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    if out["sourcediff"] is None:
        import sourcediff

        out["sourcediff"] = sourcediff.__version__
    return out


# -- standalone runs of the batched workloads ------------------------------------
def median_time(call, repeat: int) -> tuple:
    """``(median, min)`` seconds of ``repeat`` calls after one warm-up call."""
    call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples)


def _on_host(x):
    """A result as a NumPy array: a device array copied to the host, and one given
    in parts (a tuple: one per output component, as the cuda tools return them,
    which cannot add device arrays) the sum of its parts."""
    import numpy as np
    if isinstance(x, (tuple, list)):
        return sum(_on_host(part) for part in x)
    return np.asarray(x.copy_to_host() if hasattr(x, "copy_to_host") else x)


def time_targets(tools: list, data: dict, repeat: int) -> dict:
    """Rows for ``(name, make)`` pairs, ``make(data)`` returning a call that
    gives ``(value, grads)``: first call, median, min, and the max relative
    difference of the gradients from the first tool's (the ``cpu`` target's);
    a tool whose import fails is a row saying so."""
    import numpy as np
    rows: dict = {}
    reference = None
    for name, make in tools:
        try:
            start = time.perf_counter()
            call = make(data)
            value, grads = call()
            first = time.perf_counter() - start
        except ImportError as exc:
            rows[name] = {"status": f"not available ({exc})"}
            continue
        grads = tuple(_on_host(g) for g in grads)
        reference = grads if reference is None else reference
        median, best = median_time(call, repeat)
        diff = max(float(np.max(np.abs(g - r)) / max(np.max(np.abs(r)), 1e-300))
                   for g, r in zip(grads, reference))
        rows[name] = {"status": "ok", "median_s": median, "min_s": best, "first_call_s": first,
                      "max_rel_diff": diff, "value_sum": float(np.sum(_on_host(value)))}
    return rows


def relative_to_first(rows: dict) -> None:
    """Add each row's time over the first row's (the ``cpu`` target's)."""
    base = next(iter(rows.values()))["median_s"]
    for row in rows.values():
        if row.get("status") == "ok":
            row["time_over_cpu_target"] = row["median_s"] / base
