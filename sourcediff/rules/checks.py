"""What the type rules of NumPy functions check of their arguments, shared by
the rules files (``arrayfuncs``, ``cumulative``): an unsupported form is
refused at transform time, with a TypeError the user reads."""
import numpy as np

from ..passes.types import T


def ndim_of(info, name):
    """The number of dimensions of the rule's argument ``name`` (0: not an array)."""
    t = info.types.get(name)
    return t.ndim if t is not None and t.is_array else 0


def numbers(*names):
    """A rule's ``when``: the arguments ``names`` are numbers, not arrays.  The
    variants for numbers write ``dz if x > y else 0.0``, which LLVM compiles to
    a select, where the array variants multiply by comparisons (bool-to-float
    conversions: a third of the time of a reverse loop over ``abs`` and ``max``).
    One select per term (``(dz if x > y else 0.0) + (0.5 * dz if x == y else
    0.0)``, not nested ternaries, which LLVM may turn into branches that a random
    comparison mispredicts: 2.3x slower in a minmod VJP)."""
    return lambda info: all(ndim_of(info, n) == 0 for n in names)


def given(info, name):
    """Whether the call passes the rule's argument ``name``."""
    return info.types.get(name) is not None


def float_dtype(t: T):
    """The dtype of ``t`` if it is a float, else float64."""
    return t.dtype if t.dtype is not None and t.dtype.kind == "f" else np.dtype(np.float64)


def check_array(args, kw, name, ndims, allowed=()):
    """The first argument is an array of one of ``ndims`` dimensions and no
    keyword outside ``allowed`` is passed; otherwise a TypeError for the user."""
    x = args[0] if args else None
    if x is None or not x.is_array or x.ndim not in ndims:
        dims = "/".join(f"{n}-d" for n in ndims)
        raise TypeError(f"{name} is differentiated for {dims} arrays, not {x}")
    extra = sorted(set(kw) - set(allowed))
    if extra:
        raise TypeError(f"{name}: the argument '{extra[0]}' is not supported")
    return x


def int_arg(args, kw, k, key, name):
    """The type of argument ``k`` (or keyword ``key``), which must be an int if given."""
    t = args[k] if len(args) > k else kw.get(key)
    if t is not None and t.kind != "int":
        raise TypeError(f"{name}: '{key}' must be an int, not {t}")
    return t
