"""Dtypes, ``Size`` and ``device``: the small value types around a Tensor.

Their reprs are PyTorch's (``torch.float32``, ``torch.Size([2, 2])``,
``device(type='cpu')``) so that a tutorial run with ``import sourcediff as
torch`` prints exactly what PyTorch prints.
"""

from __future__ import annotations

import numpy as np


class dtype:
    """A tensor element type, backed by a NumPy dtype."""

    __slots__ = ("category", "is_floating_point", "legacy_name", "name", "np", "rank")

    def __init__(self, name: str, np_dtype, category: int, rank: int, legacy_name: str):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = category == 2
        # 0: bool, 1: integer, 2: floating point (torch's promotion categories)
        self.category = category
        self.rank = rank
        self.legacy_name = legacy_name

    @property
    def itemsize(self) -> int:
        return self.np.itemsize

    @property
    def is_signed(self) -> bool:
        return self.category != 0

    is_complex = False

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


bool_ = dtype("bool", np.bool_, 0, 0, "BoolTensor")
int32 = dtype("int32", np.int32, 1, 1, "IntTensor")
int64 = dtype("int64", np.int64, 1, 2, "LongTensor")
float32 = dtype("float32", np.float32, 2, 3, "FloatTensor")
float64 = dtype("float64", np.float64, 2, 4, "DoubleTensor")

ALL = (bool_, int32, int64, float32, float64)
_FROM_NUMPY = {d.np: d for d in ALL}


def _by_name(name: str) -> dtype:
    return {d.name: d for d in ALL}[name]


_default_dtype = float32


def get_default_dtype() -> dtype:
    """The dtype of tensors made from Python floats (float32, like torch)."""
    return _default_dtype


def set_default_dtype(d: dtype) -> None:
    """Set the floating point dtype used for Python floats (float32 or float64)."""
    global _default_dtype
    if d not in (float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _default_dtype = d


def from_numpy_dtype(np_dtype) -> dtype:
    """The dtype matching a NumPy dtype; other widths map to the nearest one we have."""
    found = _FROM_NUMPY.get(np_dtype)
    if found is not None:
        return found
    np_dtype = np.dtype(np_dtype)
    if np_dtype.kind == "f":
        return float64 if np_dtype.itemsize > 4 else float32
    if np_dtype.kind in "iu":
        return int64
    if np_dtype.kind == "b":
        return bool_
    raise TypeError(f"can't convert np.ndarray of type {np_dtype}. The only supported types "
                    "are: float64, float32, int64, int32, and bool.")


def to_dtype(d) -> dtype:
    """Accept a sourcediff dtype, a NumPy dtype or a Python type."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    return from_numpy_dtype(d)


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` convert to (torch.promote_types)."""
    return a if a.rank >= b.rank else b


def scalar_dtype(value) -> dtype:
    """The dtype a Python scalar takes part in promotion with."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    return _default_dtype


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # A lower-priority participant only matters when it is of a higher category.
    if higher is None:
        return lower
    if lower is None or lower.category <= higher.category:
        return higher
    return promote_types(higher, lower)


def result_type(*operands) -> dtype:
    """Torch's type promotion: dimensioned tensors > 0-dim tensors > Python scalars."""
    dims = zeros = scalars = None
    for op in operands:
        d = getattr(op, "dtype", None)
        if isinstance(d, dtype):
            if op.ndim:
                dims = d if dims is None else promote_types(dims, d)
            else:
                zeros = d if zeros is None else promote_types(zeros, d)
        else:
            d = scalar_dtype(op)
            scalars = d if scalars is None else promote_types(scalars, d)
    return _combine(dims, _combine(zeros, scalars))


class Size(tuple):
    """A tensor shape: a tuple that prints as ``torch.Size([2, 2])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        result = tuple.__getitem__(self, item)
        return Size(result) if isinstance(item, slice) else result

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))


class device:
    """The device a tensor lives on; NumPy-backed tensors are always on the CPU."""

    __slots__ = ("index", "type")

    def __init__(self, type: str = "cpu", index: int | None = None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if type != "cpu":
            raise RuntimeError(f"sourcediff tensors live on the CPU only, not on {type!r}")
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __str__(self) -> str:
        return self.type

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            return other == self.type
        return isinstance(other, device) and other.type == self.type

    def __hash__(self) -> int:
        return hash(self.type)


CPU = device("cpu")
