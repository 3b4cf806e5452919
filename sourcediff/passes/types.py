"""Type inference over normalized code, for one signature of argument types.

Types are few: float/int/bool scalars, arrays (dtype, ndim) and tuples.
They decide what an adjoint is (``0.0`` or ``np.zeros_like(x)``), which
values are differentiable at all (ints never are) and which rule variant
applies (``np.dot`` of matrices or vectors).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, replace

import numpy as np

# what a number where an array was expected may mean: a batched argument
BATCHED_HINT = (" (in batched mode, each call sees one element of a batched argument "
                "along its first axis)")


@dataclass(frozen=True)
class T:
    kind: str                  # 'float' | 'int' | 'bool' | 'array' | 'tuple' | 'list' | 'dtype'
    #                            | 'none' | 'static'  ('list': a tape of generated code, elts=(element,))
    dtype: object = None       # numpy dtype for scalars and arrays
    ndim: int = 0
    elts: tuple = ()
    # the shape of a small array argument the transform specializes on
    # (``small_arrays.shape_seeds``): part of the cache key, never inferred
    shape: tuple | None = None
    # a string or None argument the transform specializes on (kind 'static':
    # passes/static_args.py): its value, part of the cache key
    value: object = None
    # the position of the first array argument of this one's shape, where an
    # earlier one has it (reverse mode specializes on which array arguments
    # have one shape: passes/shapes.py): part of the cache key, never inferred
    same_shape_as: int | None = None
    # per axis, ``(position, axis)`` of the first axis of an earlier array
    # argument (or an earlier axis of this one) of its length, else None: which
    # axes are equal (``X.shape[1] == w.shape[0]``) is part of the cache key
    # too, where some argument has two dimensions (passes/shapes.py)
    axes_as: tuple | None = None
    # the length of a float array argument's last axis, where it is small and
    # the target compiles (backends/row_lengths.py): part of the cache key,
    # never inferred
    row_length: int | None = None

    def unspecialized(self) -> T:
        """This type without what the cache key alone carries (the small shape,
        which arguments share shapes or axes, the short last axis)."""
        if self.shape or self.same_shape_as is not None or self.axes_as is not None \
                or self.row_length is not None:
            return replace(self, shape=None, same_shape_as=None, axes_as=None, row_length=None)
        return self

    @property
    def is_array(self):
        return self.kind == "array"

    @property
    def is_float(self):
        """Differentiable: float scalars and float arrays."""
        return self.kind == "float" or (self.kind == "array" and self.dtype.kind == "f")

    @property
    def is_scalar(self):
        return self.kind in ("float", "int", "bool")

    def __str__(self):
        if self.kind == "array":
            return f"array({self.dtype}, {self.ndim}d)"
        if self.kind == "tuple":
            return "tuple(" + ", ".join(map(str, self.elts)) + ")"
        if self.kind == "float":
            return str(self.dtype)
        if self.kind == "static":
            return repr(self.value)
        return self.kind


F64 = T("float", np.dtype(np.float64))
F32 = T("float", np.dtype(np.float32))
INT = T("int", np.dtype(np.int64))
BOOL = T("bool", np.dtype(np.bool_))
NONE = T("none")


def scalar(dtype) -> T:
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return T("float", dtype)
    if dtype.kind == "b":
        return BOOL
    if dtype.kind in "iu":
        return INT
    raise TypeError(f"unsupported dtype {dtype}")


def array(dtype, ndim) -> T:
    return T("array", np.dtype(dtype), ndim)


class UnsupportedValue(TypeError):
    """An argument of a kind sourcediff takes in a form it does not (the message
    says which and what to pass instead)."""


def type_of_value(v) -> T:
    """The type of a runtime argument."""
    if isinstance(v, (bool, np.bool_)):
        return BOOL
    if isinstance(v, (int, np.integer)):
        return INT
    if isinstance(v, (float, np.floating)):
        return T("float", np.dtype(type(v)) if isinstance(v, np.floating) else np.dtype(np.float64))
    if isinstance(v, np.ma.MaskedArray):
        raise UnsupportedValue("masked arrays are not supported (compiled code has no "
                               "masks): pass np.ma.filled(x, value) or x.data")
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in "fiub":
            raise TypeError(f"unsupported array dtype {v.dtype}")
        return array(v.dtype, v.ndim)
    if isinstance(v, tuple):
        return T("tuple", elts=tuple(type_of_value(x) for x in v))
    if hasattr(v, "__cuda_array_interface__"):
        return array(np.dtype(v.dtype), len(v.shape))
    raise TypeError(f"unsupported argument type {type(v).__name__}")


def _sample(t: T):
    """A value of type ``t`` to call a function with (arrays of 3 per axis)."""
    if t.is_array:
        return np.full((3,) * t.ndim, 0.5, dtype=t.dtype)
    if t.kind == "float":
        return t.dtype.type(0.5)
    if t.kind == "int":
        return 2
    if t.kind == "bool":
        return True
    if t.kind == "tuple":
        return tuple(_sample(e) for e in t.elts)
    raise TypeError(f"no sample value of {t}")


def result_of_call(fn, args: list) -> T | None:
    """The type of ``fn(*args)`` (``args``: types) for a user's primitive with a
    derivative rule (``sd.adjoint``): found by calling it on small values of
    those types (``np.logaddexp.reduce``-like functions reduce an array to a
    number; a function written for a vector returns one).  None where the call
    fails."""
    try:
        samples = [_sample(a) for a in args]
        with np.errstate(all="ignore"):
            return type_of_value(fn(*samples))
    except Exception:   # noqa: BLE001 - the user's function: anything it raises means "unknown"
        return None


def argument_type(v) -> T:
    """The type of a user's argument: :func:`type_of_value`, and a string or
    None (a mode flag, an array left out) as the value the transform
    specializes on (``passes/static_args.py``)."""
    if v is None or isinstance(v, str):
        return T("static", value=v)
    return type_of_value(v)


def dtype_of(t: T):
    if t.kind in ("float", "int", "bool", "array"):
        return t.dtype
    raise TypeError(f"no dtype for {t}")


def promote(*ts: T) -> T:
    """Result type of an elementwise operation, as NumPy/Numba give it."""
    arrays = [t for t in ts if t.is_array]
    scalars = [t for t in ts if t.is_scalar]
    if arrays:
        # Python scalars do not upcast arrays (float32 array * 2.0 stays float32)
        dt = np.result_type(*[t.dtype for t in arrays])
        if any(t.kind == "float" for t in scalars) and dt.kind in "iub":
            dt = np.dtype(np.float64)
        return array(dt, max(t.ndim for t in arrays))
    kinds = {t.kind for t in scalars}
    if "float" in kinds:
        dts = [t.dtype for t in scalars if t.kind == "float"]
        return T("float", np.result_type(*dts))
    if "int" in kinds:
        return INT
    return BOOL


def join(a: T | None, b: T) -> T:
    """The type of a variable assigned both ``a`` and ``b``."""
    if a is None or a == b:
        return b
    if a.is_scalar and b.is_scalar:
        return promote(a, b)
    if a.is_array and b.is_array and a.ndim == b.ndim:
        return array(np.result_type(a.dtype, b.dtype), a.ndim)
    if a.kind == "list" and b.kind == "list":   # tapes of generated code
        if not a.elts or not b.elts:
            return a if a.elts else b
        return T("list", elts=(join(a.elts[0], b.elts[0]),))
    if a.kind == "tuple" and b.kind == "tuple" and len(a.elts) == len(b.elts):
        return T("tuple", elts=tuple(join(x, y) for x, y in zip(a.elts, b.elts)))
    err = TypeError(f"a variable holds both {a} and {b}")
    err.types = (a, b)
    raise err


def const_type(value) -> T:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return F64
    if isinstance(value, str):       # (an assert's message: passes/normalize.py)
        return T("static", value=value)
    raise TypeError(f"unsupported constant {value!r}")


def index_result(base: T, index: ast.expr, env) -> T:
    """Type of ``base[index]``."""
    if base.kind == "tuple":
        k = index.value if isinstance(index, ast.Constant) else \
            -index.operand.value if isinstance(index, ast.UnaryOp) and \
            isinstance(index.op, ast.USub) and isinstance(index.operand, ast.Constant) else None
        if isinstance(k, int) and not isinstance(k, bool):
            if not -len(base.elts) <= k < len(base.elts):
                raise TypeError(f"tuple index {k} out of range: the tuple has "
                                f"{len(base.elts)} elements")
            return base.elts[k]
        if isinstance(index, (ast.Slice, ast.Tuple)) or k is not None or \
                env(index).kind != "int":
            raise TypeError("a tuple can only be indexed by an integer")
        # a run-time index: any element
        try:
            t = base.elts[0]
            for e in base.elts[1:]:
                t = join(t, e)
            return t
        except TypeError:
            raise TypeError(f"a tuple indexed at run time must hold values of one type, "
                            f"not {base}") from None
    if not base.is_array:
        err = TypeError(f"cannot index a {base}: it is a number here{BATCHED_HINT}")
        err.scalar = True
        raise err
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    for p in parts:
        if not isinstance(p, ast.Slice) and not (isinstance(p, ast.Constant)
                                                 and p.value is Ellipsis) \
                and env(p).kind == "tuple":
            raise TypeError(f"the tuple '{ast.unparse(p)}' cannot be part of an index here: "
                            "unpack it (i, j = ...) and index with its elements")
        if not isinstance(p, ast.Slice) and not (isinstance(p, ast.Constant) and (
                p.value is Ellipsis or p.value is None)) and \
                env(p).kind == "bool" and not env(p).is_array:
            # NumPy reads x[True] as x[np.newaxis] (x[False]: an empty new axis), not x[1]
            raise TypeError(f"the bool '{ast.unparse(p)}' cannot be an index: NumPy reads a "
                            "bool index as a new axis, not an element; index with an int")
        if not isinstance(p, ast.Slice) and not (isinstance(p, ast.Constant) and (
                p.value is Ellipsis or p.value is None)) and env(p).kind == "float":
            raise TypeError(f"the float '{ast.unparse(p)}' cannot be an index (NumPy raises "
                            "IndexError): index with an int, int(...) of it")
    dots = [p for p in parts if isinstance(p, ast.Constant) and p.value is Ellipsis]
    if dots:
        # ``...`` fills the dimensions the other parts leave (passes/ellipsis.py
        # writes them out once the types are known)
        if len(dots) > 1:
            raise TypeError("an index can only have a single ellipsis ('...')")
        fill = base.ndim - (len(parts) - 1)
        if fill < 0:
            raise TypeError(f"too many indices for a {base.ndim}-d array")
        parts = [q for p in parts for q in ([ast.Slice()] * fill if p is dots[0] else [p])]
        index = ast.Tuple(elts=parts, ctx=ast.Load()) if len(parts) != 1 else parts[0]
    if len(parts) == 1 and not isinstance(index, (ast.Slice, ast.Tuple)) and env(index).is_array:
        return gather_result(base, env(index))
    arrays = [p for p in parts if not isinstance(p, ast.Slice) and env(p).is_array]
    axis = axis_gather(parts, env)
    if axis is not None and len(parts) <= base.ndim:
        # x[:, idx]: one axis picked by an index array, the others whole (read as
        # a gather of rows along that axis: passes/axis_gathers.py)
        return array(base.dtype, base.ndim)
    if arrays:
        # Z[rows, cols], Z[i, cols]: one element per index, every axis indexed; with
        # axes left over (D[rows, cols] of an (n, n, d) array) one row of them per index
        if len(parts) > base.ndim or any(isinstance(p, ast.Slice) for p in parts) or \
                any(env(p).dtype.kind not in "iu" or env(p).ndim != 1 for p in arrays) or \
                any(env(p).kind != "int" for p in parts if not any(p is a for a in arrays)):
            raise TypeError("index arrays are supported as one 1-d integer array or boolean "
                            "mask (x[idx]), with the leading axes indexed by 1-d integer "
                            "arrays or integers (Z[rows, cols], Z[i, cols]), or as one 1-d "
                            "integer array with the other axes whole (Z[:, cols]); not with "
                            "other slices")
        return array(base.dtype, 1 + base.ndim - len(parts))
    drop = 0
    for p in parts:
        if isinstance(p, ast.Slice):
            continue
        drop += 1
    ndim = base.ndim - drop
    if ndim < 0 or len(parts) > base.ndim:      # (slices count: x[:, :, 1:] of a matrix)
        raise TypeError(f"too many indices for a {base.ndim}-d array")
    return scalar(base.dtype) if ndim == 0 else array(base.dtype, ndim)


def _whole(p) -> bool:
    return isinstance(p, ast.Slice) and p.lower is None and p.upper is None and p.step is None


def axis_gather(parts, env) -> int | None:
    """The position of the index array in ``x[:, idx]`` (one 1-d integer array,
    every other part a whole slice ``:``; ``x[idx]`` alone is not one)."""
    if len(parts) < 2:
        return None
    arrays = [k for k, p in enumerate(parts) if not _whole(p)]
    if len(arrays) != 1 or isinstance(parts[arrays[0]], (ast.Slice, ast.Constant)):
        return None
    t = env(parts[arrays[0]])
    return arrays[0] if t.is_array and t.ndim == 1 and t.dtype.kind in "iu" else None


def gather_result(base: T, idx: T) -> T:
    """Type of ``base[idx]``: a 1-d integer array picks rows (repeats allowed), a
    boolean mask of ``base``'s dimensions picks elements, a 1-d one rows."""
    if idx.dtype.kind in "iu" and idx.ndim == 1:
        return array(base.dtype, base.ndim)
    if idx.dtype.kind == "b" and idx.ndim == base.ndim:
        return array(base.dtype, 1)      # (n-d masks are read flattened: passes/masks.py)
    if idx.dtype.kind == "b" and idx.ndim == 1:
        return array(base.dtype, base.ndim)     # rows picked (read as x[np.flatnonzero(m)])
    raise TypeError("indexing with an array needs a 1-d integer array or a boolean mask "
                    f"of the array's shape (got a {idx} index into a {base})")
