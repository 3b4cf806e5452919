"""Derivative rules: one readable rule per primitive, registered in one place."""
# register the rules: reverse (operators, mathfuncs, numpyfuncs), forward (forward) and
# the rules of what generated code calls (generated)
from . import (  # noqa: F401
    axes,
    forward,
    generated,
    joins,
    linalg,
    mathfuncs,
    numpyfuncs,
    operators,
    registry,
)
from .registry import adjoint, rule

__all__ = ["adjoint", "registry", "rule"]
