"""Derivative rules: one readable rule per primitive, registered in one place."""
from . import mathfuncs, numpyfuncs, operators, registry  # noqa: F401  (register the rules)
from .registry import adjoint, rule

__all__ = ["adjoint", "registry", "rule"]
