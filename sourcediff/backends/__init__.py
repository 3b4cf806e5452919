"""Compilation backends: ``python`` (exec the source) and ``cpu`` (Numba).

Batched gradients (``batch=``) also use ``numba_parallel`` (the ``cpu`` and
``parallel`` drivers) and ``numba_cuda`` (the ``cuda`` kernel); both are
imported when first needed."""
from .numba_cpu import load_numba
from .python import load_python

TARGETS = ("python", "cpu")

__all__ = ["TARGETS", "load_numba", "load_python"]
