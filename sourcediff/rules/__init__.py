"""Derivative rules: one readable rule per primitive, registered in one place."""
# register the rules: reverse (operators, mathfuncs, numpyfuncs), forward (forward), the
# rules of what generated code calls (generated), and both kinds for more NumPy functions
# (ufuncs_more: elementwise, arrayfuncs: array functions)
from . import (  # noqa: F401
    arrayfuncs,
    forward,
    generated,
    mathfuncs,
    numpyfuncs,
    operators,
    registry,
    ufuncs_more,
)
from .registry import adjoint, rule

__all__ = ["adjoint", "registry", "rule"]
