"""The ``python`` target: generated source executed as plain Python/NumPy.

Numerical semantics are NumPy's, as on the compiled targets: a singular point
gives inf or nan, never a Python exception.  Python's own floats raise
(``0.5 / 0.0`` is ZeroDivisionError, ``math.log(0.0)`` ValueError,
``math.exp(1000.0)`` OverflowError), so generated code sees NumPy's: the float
arguments of an entry point become ``np.float64`` numbers (whose arithmetic
gives inf and nan), ``math`` in the generated module is ``math`` with NumPy's
functions at the points where those raise (elsewhere the same bits as
Python's), and the call runs with NumPy's warnings about such values off
(compiled code gives no warning either).
"""
from __future__ import annotations

import ast
import functools
import linecache
import math
import types

import numpy as np


def _gamma_at_poles(x):
    return np.float64(np.inf) if x > 0 else np.float64(np.nan)      # overflow, a pole


def _lgamma_at_poles(x):
    return np.float64(np.inf)                                       # a pole, or overflow


# math functions that raise at singular points -> the NumPy function that gives inf/nan
_NUMPY_FOR_MATH = {
    "sqrt": np.sqrt, "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p,
    "log2": np.log2, "log10": np.log10, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "asin": np.arcsin, "acos": np.arccos, "atan2": np.arctan2, "sinh": np.sinh,
    "cosh": np.cosh, "acosh": np.arccosh, "atanh": np.arctanh, "pow": np.power,
    "hypot": np.hypot, "fmod": np.fmod, "exp2": np.exp2,
    "gamma": _gamma_at_poles, "lgamma": _lgamma_at_poles,
}
# and those that give a float without raising (theirs too an np.float64, so that
# what is computed from it gives inf, not ZeroDivisionError: ``1.0 / math.tanh(x)``)
_FLOAT_RESULTS = ("atan", "tanh", "asinh", "fabs", "copysign", "erf", "erfc", "degrees",
                  "radians", "cbrt")


def _numpy_at_singular_points(name, numpy_f):
    """``math.name``, as an ``np.float64``, where it gives a number (the same
    bits as plain Python), and ``numpy_f`` (inf or nan) where it raises."""
    math_f = getattr(math, name)

    @functools.wraps(math_f)
    def f(*args):
        try:
            return np.float64(math_f(*args))
        except (ValueError, OverflowError, ZeroDivisionError):
            if numpy_f is None:
                raise
            return numpy_f(*args)
    return f


NUMPY_MATH = types.ModuleType("math", "math, with NumPy's functions where math's raise")
NUMPY_MATH.__dict__.update({k: v for k, v in vars(math).items() if not k.startswith("__")})
NUMPY_MATH.__dict__.update({k: _numpy_at_singular_points(k, _NUMPY_FOR_MATH.get(k))
                            for k in list(_NUMPY_FOR_MATH) + list(_FLOAT_RESULTS)
                            if hasattr(math, k)})
NUMPY_MATH.__stands_for__ = math     # (passes/resolve.py: what generated code names)


class _NumpyConstants(ast.NodeTransformer):
    """Float constants as ``np.float64`` numbers (names bound in the module), so
    that ``1.0 / n`` at ``n == 0`` gives inf as compiled code does."""

    def __init__(self):
        self.values: dict = {}

    def visit_Constant(self, node):
        if type(node.value) is not float:
            return node
        name = self.values.setdefault(node.value, f"_sd_float{len(self.values)}")
        return ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node)


def load_python(source: str, filename: str, injected: dict) -> dict:
    """Execute ``source`` and return its namespace (functions by name)."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": "sourcediff_generated", "__file__": filename}
    tree = ast.parse(source, filename)
    constants = _NumpyConstants()
    tree = constants.visit(tree)
    namespace.update({name: np.float64(v) for v, name in constants.values.items()})
    namespace["float"] = np.float64
    exec(compile(tree, filename, "exec"), namespace)  # noqa: S102  (our own generated code)
    if namespace.get("math") is math:
        namespace["math"] = NUMPY_MATH
    namespace.update(injected)
    return namespace


def numpy_numbers(value):
    """``value`` with its Python floats (in tuples too) as ``np.float64``."""
    if type(value) is float:
        return np.float64(value)
    if type(value) is tuple:
        return tuple(numpy_numbers(v) for v in value)
    return value


def entry(fn):
    """``fn`` (a generated function) called as the compiled targets run: float
    arguments as ``np.float64``, NumPy's warnings about inf and nan off."""
    @functools.wraps(fn)
    def run(*args):
        with np.errstate(all="ignore"):
            return fn(*(numpy_numbers(a) for a in args))
    return run
