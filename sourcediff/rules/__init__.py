"""Derivative rules: one readable rule per primitive, registered in one place."""
# register the rules: reverse (operators, mathfuncs, numpyfuncs), forward (forward), the
# rules of what generated code calls (generated), and both kinds together for more NumPy
# functions (ufuncs_more, arrayfuncs, cumulative, axes, joins, linalg)
from . import (  # noqa: F401
    arrayfuncs,
    axes,
    cumulative,
    forward,
    generated,
    joins,
    linalg,
    mathfuncs,
    numpyfuncs,
    operators,
    registry,
    ufuncs_more,
)
from .registry import adjoint, rule

__all__ = ["adjoint", "registry", "rule"]
