"""Derivative rules: one readable rule per primitive, registered in one place."""
# register the rules: reverse (operators, mathfuncs, numpyfuncs), forward (forward) and
# the rules of what generated code calls (generated)
from . import forward, generated, mathfuncs, numpyfuncs, operators, registry  # noqa: F401
from . import arrayfuncs, ufuncs_more  # noqa: F401  (more NumPy functions, both modes)
from .registry import adjoint, rule

__all__ = ["adjoint", "registry", "rule"]
