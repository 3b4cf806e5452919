"""Compilation backends: ``python`` (exec the source), ``cpu`` (Numba) and
``parallel`` (Numba's ``parallel=True``, loops the transform proved
independent over ``prange``).

Batched gradients (``batch=``) also use ``drivers`` (the generated loop over
the batch), ``numba_parallel`` (the ``cpu`` and ``parallel`` drivers compiled)
and ``numba_cuda`` (the ``cuda`` kernel); they are imported when first needed.
Backends compile and load generated source; they never import a transform."""
from .numba_cpu import load_numba
from .python import entry as python_entry
from .python import load_python

TARGETS = ("python", "cpu", "parallel")

__all__ = ["TARGETS", "load_numba", "load_python", "python_entry"]
