"""The ``cpu`` target: generated modules compiled with ``numba.njit``.

Numba caches compiled code only for functions that live in a real file, so
each generated module is written to the cache directory under a name that
hashes its source; a second process imports the same file and Numba loads
the machine code from its on-disk cache instead of compiling again.  The hash
also covers the runtime helpers' source and Numba's version: Numba's cache
does not notice that a function the module calls has changed, so machine code
compiled against an older helper would be loaded (seen as a segmentation
fault after an upgrade, from a cache directory that outlived it).

The runtime's own Numba overloads (``unbroadcast``, ``reverse_cumsum``, ...)
are cached too, under a folder named by the same digest
(:func:`cache_overloads`): a new process, or a new program calling them,
loads their machine code instead of compiling it again.

The file Numba compiles has its ``for ... in range(...)`` loops over
``counted_range``, Numba's range with an index LLVM can bound
(``backends/counted_range.py``); the source a user reads says ``range``.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import re
import sys
import warnings
from pathlib import Path

import numpy as np

from .loop_checks import STAMP, compiled_with_checks_in_place


def cache_dir() -> Path:
    d = os.environ.get("SOURCEDIFF_CACHE_DIR")
    path = Path(d) if d else Path.home() / ".cache" / "sourcediff"
    path.mkdir(parents=True, exist_ok=True)
    return path


@functools.lru_cache(maxsize=1)
def runtime_stamp() -> str:
    """A digest of what generated modules call and are compiled by: the
    runtime package's source files, the backend's own lowerings and Numba's
    version."""
    import numba

    from ..runtime.declare import declaring_files
    digest = hashlib.sha256(numba.__version__.encode())
    package = Path(__file__).resolve().parent.parent
    files = {p.resolve() for p in (package / "runtime").glob("*.py")}
    # (and the typing and lowering this folder gives the names the compiled file calls
    # instead of range, the allocations and @: their machine code is inlined)
    files |= {(package / "backends" / f).resolve() for f in ("counted_range.py",
                                                              "direct_numpy.py")}
    files |= {Path(f).resolve() for f in declaring_files()}
    for path in sorted(files):
        digest.update(str(path.relative_to(package) if path.is_relative_to(package)
                          else path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def cache_overloads() -> Path:
    """Have Numba keep the machine code of the functions the runtime's
    overloads return under ``<cache dir>/overloads_<runtime digest>``.

    A Numba cache locator taking the functions whose source is a file that
    declares helpers or overloads (and nothing else: users' functions keep
    Numba's own locators).  Numba checks the source file of the function it
    loads, not the files of the functions it calls; the folder's digest
    covers all of them.  Nor does its key hold the optimization level
    (``NUMBA_OPT``), so the folder's name does.
    """
    from numba.core import caching, config

    from ..runtime.declare import declaring_files
    folder = cache_dir() / f"overloads_{runtime_stamp()[:16]}_opt{int(config.OPT)}"
    ours = {os.path.realpath(f) for f in declaring_files()}

    class OverloadCacheLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno

        def get_cache_path(self):
            return str(folder)

        @classmethod
        def from_function(cls, py_func, py_file):
            if os.path.realpath(py_file) not in ours:
                return None
            return super().from_function(py_func, py_file)

    caching.CacheImpl._locator_classes.insert(0, OverloadCacheLocator)
    return folder


def module_path(source: str, stem: str, options: dict | None = None,
                injected: dict | None = None) -> Path:
    """The file of a generated module: its name hashes the source, the runtime,
    the options its functions are compiled with (Numba's cache key does not
    hold them: the same source compiled with and without ``fastmath`` would
    otherwise load one machine code for both) and the global arrays it reads
    (``injected``: Numba compiles their values in, and its cache keeps them, so
    a global rebound to other values is another module)."""
    text = runtime_stamp() + source + repr(sorted((k, _stable_repr(v))
                                                  for k, v in (options or {}).items()))
    digest = hashlib.sha256(text.encode())
    for k, v in sorted((injected or {}).items()):
        if isinstance(v, np.ndarray):
            digest.update(f"{k} {v.dtype} {v.shape}".encode())
            digest.update(np.ascontiguousarray(v).tobytes())
    return cache_dir() / f"sd_{stem}_{digest.hexdigest()[:16]}.py"


def _stable_repr(value) -> str:
    """``repr`` of an option, the same in every process: a set's order follows
    the string hashes of its run (``fastmath={'arcp', 'reassoc'}``), so a set
    is written sorted (else a module compiled by one run would be compiled
    again, under another name, by the next)."""
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(_stable_repr(v) for v in value)) + "}"
    if isinstance(value, dict):
        return repr(sorted((k, _stable_repr(v)) for k, v in value.items()))
    return repr(value)


def write_module(source: str, stem: str, options: dict | None = None,
                 injected: dict | None = None) -> Path:
    path = module_path(source, stem, options, injected)
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)   # atomic: a concurrent process sees all or nothing
    return path


@functools.cache
def quiet_performance_warnings(folder: Path):
    """Numba's performance hints about generated code (``np.dot() is faster on
    contiguous arrays``, pointing into the cache directory) are about lines
    the user did not write and cannot change: not shown. Hints about the
    user's own functions are left alone."""
    from numba.core.errors import NumbaPerformanceWarning
    warnings.filterwarnings("ignore", category=NumbaPerformanceWarning,
                            module=re.escape(str(folder) + os.sep) + "sd_")
    # ``target="parallel"``: a generated function none of whose loops was
    # proven independent compiles serially, as it should
    warnings.filterwarnings("ignore", category=NumbaPerformanceWarning,
                            message=r"(?s).*parallel=True.*sd_\w+\.py")


# ``target="parallel"``: Numba's parallel transformations of the loops the
# transform wrote over ``prange`` only.  Its others (array expressions,
# ``setitem``, fusion) bring an array analysis that asserts shapes it cannot
# follow through the runtime's helpers (``unbroadcast``), failing at run time
# where the serial code is right, and compile for seconds.
PRANGE_ONLY = {"prange": True, "comprehension": False, "reduction": False,
               "inplace_binop": False, "setitem": False, "numpy": False, "stencil": False,
               "fusion": False}


def _own_options(options: dict, source: str, fname: str) -> dict:
    """``options`` for the generated function ``fname``: ``parallel`` only when
    it has a ``prange`` loop (a fresh dict: Numba empties the one it is given)."""
    if not options.get("parallel"):
        return options
    options = dict(options)
    text = re.search(rf"^def {fname}\(.*?(?=^def |\Z)", source, re.DOTALL | re.MULTILINE)
    if text is not None and "prange(" in text.group(0):
        options["parallel"] = dict(PRANGE_ONLY)
    else:
        del options["parallel"]
    return options


def load_numba(source: str, stem: str, injected: dict, jit_options: dict,
               function_names: list) -> dict:
    """Import the generated module and ``njit`` its functions (lazily compiled)."""
    import numba

    from ..runtime import scipy_special
    from ..runtime.declare import install_numba_overloads
    from ..runtime.memory import keep_freed_memory
    from . import typing_memo
    from .counted_range import counted_loops, counted_range
    from .direct_numpy import NOW, direct_calls
    keep_freed_memory()
    typing_memo.install()
    cache_overloads()
    install_numba_overloads("cpu", {"cache": True})
    scipy_special.install()
    options = {"cache": True, "error_model": "numpy", **jit_options}
    source = counted_loops(source)          # (backends/counted_range.py)
    if not options.get("parallel"):
        source = direct_calls(source)        # (backends/direct_numpy.py)
    path = write_module(source, stem, {**options, "llvm": STAMP}, injected)
    quiet_performance_warnings(path.parent)
    name = path.stem
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        module.counted_range = counted_range
        for now_name, fn in NOW.items():
            setattr(module, now_name, fn)
        for k, v in injected.items():
            setattr(module, k, v)
        for fname in function_names:
            py = getattr(module, fname)
            if not hasattr(py, "py_func"):
                setattr(module, fname, compiled_with_checks_in_place(
                    numba.njit(**_own_options(options, source, fname))(py)))
    out = {fname: getattr(module, fname) for fname in function_names}
    for fname in function_names:
        if _own_options(options, source, fname).get("parallel"):
            # (not cached: Numba's cache would hand back the parallel compile)
            serial = {k: v for k, v in options.items() if k != "parallel"} | {"cache": False}
            out[fname] = SerialFallback(out[fname], serial)
    return out


class SerialFallback:
    """A generated function with ``prange`` loops, compiled with Numba's parallel
    transformations; where those fail on code the serial compile runs right (their
    array analysis asserting at run time that two arrays it cannot follow have
    one size, ``Sizes of up.1, u.2 do not match``, or failing in their compile),
    the function compiled serially runs instead, from then on, and a warning says
    so once.  An error the serial function raises too is the program's own: it is
    raised, and the parallel function kept."""

    def __init__(self, parallel, serial_options):
        self.parallel = parallel
        self.py_func = parallel.py_func
        self.serial_options = serial_options
        self.serial = None

    def __call__(self, *args):
        if self.serial is not None:
            return self.serial(*args)
        try:
            return self.parallel(*args)
        except (AssertionError, ValueError, RuntimeError) as exc:
            import numba
            serial = compiled_with_checks_in_place(numba.njit(**self.serial_options)(self.py_func))
            result = serial(*args)          # (raises the program's own error)
            self.serial = serial
            warnings.warn(f"target='parallel': Numba's parallel compilation of "
                          f"'{self.py_func.__name__}' failed ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}); it runs "
                          f"serially, as on the cpu target", RuntimeWarning, stacklevel=2)
            return result
