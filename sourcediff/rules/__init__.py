"""Derivative rules: one readable rule per primitive, registered in one place."""
from . import registry
from . import operators, mathfuncs, numpyfuncs  # noqa: F401  (register the rules)
from .registry import adjoint, rule

__all__ = ["registry", "adjoint", "rule"]
