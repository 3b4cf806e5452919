"""Batched ``cpu`` and ``parallel`` targets: the generated batched module
compiled with ``numba.njit``; its driver with ``parallel=True`` for ``parallel``
(``prange`` over chunks of the batch).

Like the ``cpu`` target, the module is written to the cache directory so
Numba's on-disk cache serves a second process.
"""
from __future__ import annotations

import importlib.util
import sys

from .loop_checks import STAMP, compiled_with_checks_in_place
from .numba_cpu import cache_overloads, write_module

# chunks per thread: elements with data-dependent loops take different times
CHUNKS_PER_THREAD = 8


def chunk_count() -> int:
    import numba
    return numba.get_num_threads() * CHUNKS_PER_THREAD


_TAPE_HELPERS = {}


def tape_helpers() -> dict:
    """``tape_overflow`` compiled for the CPU."""
    if not _TAPE_HELPERS:
        import numba

        from ..passes.kernel import tape_overflow
        _TAPE_HELPERS["tape_overflow"] = numba.njit(cache=True)(tape_overflow)
    return _TAPE_HELPERS


def load_batched(source: str, stem: str, injected: dict, jit_options: dict,
                 function_names: list, driver: str, parallel: bool) -> dict:
    """Import the batched module and ``njit`` its functions (compiled at the first call)."""
    import inspect

    import numba

    from ..runtime.declare import install_numba_overloads
    from ..runtime.memory import keep_freed_memory
    from . import typing_memo
    from .direct_numpy import NOW, direct_calls
    keep_freed_memory()
    typing_memo.install()
    cache_overloads()
    install_numba_overloads("cpu", {"cache": True})
    if not parallel:
        source = direct_calls(source)        # (backends/direct_numpy.py)
    path = write_module(source, f"{stem}_batched", {**jit_options, "llvm": STAMP}, injected)
    name = path.stem
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        # Numba's cache records the module of every function called; one that
        # came by value (a user's rule on a Dask worker) has none to import
        cache = all(_cacheable(v) for v in injected.values())
        for k, v in {**injected, **tape_helpers()}.items():
            if callable(v) and not hasattr(v, "py_func") and inspect.isfunction(v):
                v = numba.njit(cache=cache)(v)
            setattr(module, k, v)
        for k, v in NOW.items():            # (typed and lowered as they are, not njit)
            setattr(module, k, v)
        options = {"cache": cache, "error_model": "numpy", **jit_options}
        for fname in function_names:
            setattr(module, fname, compiled_with_checks_in_place(
                numba.njit(**options)(getattr(module, fname))))
        setattr(module, driver, compiled_with_checks_in_place(
            numba.njit(parallel=parallel, **options)(getattr(module, driver))))
        sys.modules[name] = module
    return {fname: getattr(module, fname) for fname in function_names + [driver]}


def _cacheable(obj) -> bool:
    """Can Numba cache code that calls ``obj``?  Not a function whose module
    cannot be imported here (unpickled by value) or whose file is gone."""
    import inspect
    import os
    func = getattr(obj, "py_func", obj)
    if not inspect.isfunction(func):
        return True
    return inspect.getmodule(func) is not None and os.path.exists(func.__code__.co_filename)
