"""Compilation backends: ``python`` (exec the source) and ``cpu`` (Numba)."""
from .python import load_python
from .numba_cpu import load_numba

TARGETS = ("python", "cpu")

__all__ = ["load_python", "load_numba", "TARGETS"]
