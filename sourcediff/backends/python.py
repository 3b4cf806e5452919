"""The ``python`` target: generated source executed as plain Python/NumPy."""
from __future__ import annotations

import linecache


def load_python(source: str, filename: str, injected: dict) -> dict:
    """Execute ``source`` and return its namespace (functions by name)."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": "sourcediff_generated", "__file__": filename}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102  (our own generated code)
    namespace.update(injected)
    return namespace
