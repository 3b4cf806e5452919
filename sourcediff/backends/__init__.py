"""Compilation backends: ``python`` (exec the source) and ``cpu`` (Numba)."""
from .numba_cpu import load_numba
from .python import load_python

TARGETS = ("python", "cpu")

__all__ = ["TARGETS", "load_numba", "load_python"]
