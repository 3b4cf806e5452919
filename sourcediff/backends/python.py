"""The ``python`` target: generated source executed as plain Python/NumPy."""
from __future__ import annotations

import functools
import linecache
import types

import numpy as np


def load_python(source: str, filename: str, injected: dict) -> dict:
    """Execute ``source`` and return its namespace (functions by name).

    Each generated function takes its float arguments as ``np.float64``, so
    arithmetic follows NumPy's rules as on the compiled targets (``1.0 / 0.0``
    is inf with a warning, not a ``ZeroDivisionError``)."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": "sourcediff_generated", "__file__": filename}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102  (our own generated code)
    for name, value in list(namespace.items()):
        if isinstance(value, types.FunctionType) and value.__module__ == "sourcediff_generated":
            namespace[name] = _numpy_floats(value)
    namespace.update(injected)
    return namespace


def _numpy_floats(fn):
    @functools.wraps(fn)
    def call(*args):
        return fn(*[np.float64(a) if type(a) is float else a for a in args])
    return call
