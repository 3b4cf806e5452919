"""Views, shape changes, indexing, concatenation and dtype conversion.

View operations return tensors sharing the NumPy buffer and the version
counter of their input; they remember the chain of view calls from their
base so that an in-place change through a view can be replayed on the base's
graph (torch's ``CopySlices``).
"""

from __future__ import annotations

import warnings

import numpy as np

from . import dtypes, grad_mode
from .common import as_operand, sum_to, wrap
from .core import Tensor, needs_grad
from .graph import Node, attach


def _make_view(x: Tensor, array: np.ndarray, node: Node | None, op: str, args: tuple) -> Tensor:
    """Wrap ``array``, a view of ``x``'s data, recording how it was made from the base.

    A view remembers the version of the storage when its ``grad_fn`` was set
    (so it can be renewed after an in-place change elsewhere) and the grad mode
    it was made in: a view made under ``no_grad`` or ``inference_mode`` of a
    tensor that requires grad is a leaf that requires grad, and may not be
    changed in place with grad mode on (torch's rules).
    """
    out = Tensor._wrap(array)
    if x._inference:  # views of inference tensors are inference tensors, not tracked views
        out._inference = True
        return out
    if out._inference:  # made in inference_mode, but a view of a normal tensor is normal
        out._inference = False
    if np.may_share_memory(array, x._data):
        base = x._base
        out._version_counter = x._version_counter
        out._base = base if base is not None else x
        out._view_chain = (x._view_chain or ()) + ((op, args),)
        creation = "default"
        if base is not None and x._view_meta[1] != "default":
            creation = x._view_meta[1]  # a view of such a view inherits the restriction
        elif node is None and not grad_mode.state.enabled:
            creation = "inference" if grad_mode.INFERENCE_BLOCKS and \
                grad_mode.is_inference_mode_enabled() else "no_grad"
        if node is None and creation != "default" and (
                x._requires_grad or (base is not None and x.requires_grad)):
            out._requires_grad = True
        # [version when grad_fn was set, grad mode it was made in, base's shape changes then]
        epoch = x._view_meta[2] if base is not None else len(x._shape_changes)
        out._view_meta = [x._version_counter.value, creation, epoch]
    if node is not None:
        attach(out, node)
    return out


def view_chain(view: Tensor) -> tuple:
    """The view calls that make ``view`` from its base as the base is shaped now.

    A view's chain starts from the base's shape when the view was made; the in-place
    shape changes of the base since then (``t_``, ``unsqueeze_``) are undone first.
    """
    changes = view._base._shape_changes[view._view_meta[2]:]
    return tuple(undo for undo, _ in reversed(changes)) + view._view_chain


def replay_view(tensor: Tensor, chain) -> Tensor:
    """Apply the recorded view calls ``chain`` to ``tensor``."""
    for op, args in chain:
        tensor = getattr(tensor, op)(*args)
    return tensor


def _sizes(args) -> tuple:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean shape (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, dtypes.Size)):
        args = args[0]
    return tuple(int(a) for a in args)


def _infer_shape(shape, numel: int) -> tuple:
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


# ---------------------------------------------------------------------------
# reshaping


class ViewBackward0(Node):
    def __init__(self, x):
        super().__init__(x)
        self.shape = x.shape

    def backward(self, grad):
        return (grad.reshape(self.shape),)


class UnsafeViewBackward0(ViewBackward0):
    pass


def view(input: Tensor, *shape) -> Tensor:
    """The same data with another shape; fails where a copy would be needed."""
    x = input
    if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
        raise NotImplementedError("view(dtype) is not supported")
    shape = _infer_shape(_sizes(shape), x.numel())
    try:
        array = np.reshape(x._data, shape, copy=False)
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    node = ViewBackward0(x) if needs_grad(x) else None
    return _make_view(x, array, node, "view", (shape,))


def reshape(input, *shape) -> Tensor:
    """The same data with another shape (a view when possible, else a copy)."""
    x = as_operand(input)
    shape = _infer_shape(_sizes(shape), x.numel())
    array = np.reshape(x._data, shape)
    if not needs_grad(x):
        return _make_view(x, array, None, "reshape", (shape,))
    shared = np.may_share_memory(array, x._data)
    node = (ViewBackward0 if shared else UnsafeViewBackward0)(x)
    return _make_view(x, array, node, "reshape", (shape,))


def view_as(input: Tensor, other: Tensor) -> Tensor:
    """View with the shape of ``other``."""
    return view(input, other.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """Reshape to the shape of ``other``."""
    return reshape(input, other.shape)


def flatten(input, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    x = as_operand(input)
    if x.ndim == 0:
        return reshape(x, (1,))
    s, e = x._dim(start_dim), x._dim(end_dim)
    if s == e:
        return x
    shape = x.shape[:s] + (-1,) + x.shape[e + 1:]
    return reshape(x, tuple(shape))


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dimension ``dim`` into ``sizes``."""
    d = input._dim(dim)
    return reshape(input, tuple(input.shape[:d]) + tuple(sizes) + tuple(input.shape[d + 1:]))


class SqueezeBackward0(ViewBackward0):
    """squeeze() of all size-1 dims."""


class SqueezeBackward1(ViewBackward0):
    """squeeze(dim)."""


class SqueezeBackward2(ViewBackward0):
    """squeeze(dims)."""


def squeeze(input, dim=None) -> Tensor:
    """Drop size-1 dimensions (all, or the given one)."""
    x = as_operand(input)
    if dim is None:
        axes, cls = tuple(i for i, s in enumerate(x.shape) if s == 1), SqueezeBackward0
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        cls = SqueezeBackward2 if isinstance(dim, (tuple, list)) else SqueezeBackward1
        axes = tuple(x._dim(d) for d in dims if x.ndim and x.shape[x._dim(d)] == 1)
    array = np.squeeze(x._data, axis=axes) if axes else x._data.view()
    node = cls(x) if needs_grad(x) else None
    return _make_view(x, array, node, "squeeze", (dim,))


class UnsqueezeBackward0(Node):
    def __init__(self, x, dim):
        super().__init__(x)
        self.dim = dim

    def backward(self, grad):
        return (grad.squeeze(self.dim),)


def unsqueeze(input, dim: int) -> Tensor:
    """Insert a size-1 dimension at ``dim``."""
    x = as_operand(input)
    n = x.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    d = dim % n
    node = UnsqueezeBackward0(x, d) if needs_grad(x) else None
    return _make_view(x, np.expand_dims(x._data, d), node, "unsqueeze", (d,))


class ExpandBackward0(Node):
    def __init__(self, x):
        super().__init__(x)
        self.shape = x.shape

    def backward(self, grad):
        return (sum_to(grad, self.shape),)


def expand(input: Tensor, *sizes) -> Tensor:
    """Broadcast to a larger shape without copying (-1 keeps a dimension)."""
    x = input
    sizes = _sizes(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand({x.type()}{{{list(x.shape)}}}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in "
            f"the tensor ({x.ndim})"
        )
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    if shape == x.shape:
        array = x._data.view()
    else:
        try:
            array = np.broadcast_to(x._data, shape)
        except ValueError:
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[-1]}) must match the existing size "
                f"({x.shape[-1]}) at non-singleton dimension {len(shape) - 1}.  Target sizes: "
                f"{list(sizes)}.  Tensor sizes: {list(x.shape)}"
            ) from None
    node = ExpandBackward0(x) if needs_grad(x) else None
    return _make_view(x, array, node, "expand", (shape,))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """Broadcast to the shape of ``other``."""
    return expand(input, other.shape)


# ---------------------------------------------------------------------------
# transposes


class TBackward0(Node):
    def backward(self, grad):
        return (grad.t(),)


class TransposeBackward0(Node):
    def __init__(self, x, d0, d1):
        super().__init__(x)
        self.dims = (d0, d1)

    def backward(self, grad):
        return (grad.transpose(*self.dims),)


class PermuteBackward0(Node):
    def __init__(self, x, dims):
        super().__init__(x)
        self.inverse = tuple(np.argsort(dims))

    def backward(self, grad):
        return (grad.permute(self.inverse),)


def t(input) -> Tensor:
    """Transpose a matrix (0-d and 1-d tensors are returned as they are)."""
    x = as_operand(input)
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    node = TBackward0(x) if needs_grad(x) else None
    return _make_view(x, x._data.T, node, "t", ())


def transpose(input, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    x = as_operand(input)
    d0, d1 = x._dim(dim0), x._dim(dim1)
    array = np.swapaxes(x._data, d0, d1) if x.ndim else x._data.view()
    node = TransposeBackward0(x, d0, d1) if needs_grad(x) else None
    return _make_view(x, array, node, "transpose", (d0, d1))


swapaxes = swapdims = transpose


def permute(input, *dims) -> Tensor:
    """Reorder the dimensions."""
    x = as_operand(input)
    dims = tuple(x._dim(d) for d in _sizes(dims))
    if sorted(dims) != list(range(x.ndim)):
        raise RuntimeError("permute(sparse_coo): number of dimensions in the tensor input does "
                           "not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {x.ndim} is not equal to len(dims) = {len(dims)}")
    node = PermuteBackward0(x, dims) if needs_grad(x) else None
    return _make_view(x, np.transpose(x._data, dims), node, "permute", (dims,))


def T(input: Tensor) -> Tensor:
    """All dimensions reversed (torch warns for tensors that are not matrices)."""
    if input.ndim != 2:
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` "
            "to reverse the dimensions of a tensor.", UserWarning, stacklevel=2)
    return permute(input, tuple(range(input.ndim - 1, -1, -1)))


def mT(input: Tensor) -> Tensor:
    """The last two dimensions swapped."""
    if input.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {input.ndim}-D tensor.")
    return transpose(input, -2, -1)


# ---------------------------------------------------------------------------
# copies and dtype conversion


class CloneBackward0(Node):
    def backward(self, grad):
        return (grad,)


def clone(input, *, memory_format=None) -> Tensor:
    """A copy with its own storage (recorded, unlike ``detach``)."""
    x = as_operand(input)
    out = wrap(np.array(x._data, copy=True))
    if needs_grad(x):
        attach(out, CloneBackward0(x))
    return out


def contiguous(input: Tensor, memory_format=None) -> Tensor:
    """Self when already C-contiguous, else a contiguous copy."""
    if input._data.flags.c_contiguous:
        return input
    out = wrap(np.ascontiguousarray(input._data))
    if needs_grad(input):
        attach(out, CloneBackward0(input))
    return out


class ToCopyBackward0(Node):
    def __init__(self, x):
        super().__init__(x)
        self.dtype = x.dtype

    def backward(self, grad):
        return (grad.to(self.dtype),)


def _convert(x: Tensor, dtype: dtypes.dtype, copy: bool = False) -> Tensor:
    if dtype is x.dtype and not copy:
        return x
    out = wrap(x._data.astype(dtype.np))
    if dtype.is_floating_point and needs_grad(x):
        attach(out, ToCopyBackward0(x))
    return out


def to(input: Tensor, *args, dtype=None, device=None, copy: bool = False, **kwargs) -> Tensor:
    """Convert the dtype (``to(torch.float64)``, ``to(other)``); devices other than cpu fail."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, (str, dtypes.device)):
            dtypes.device(arg)
        elif arg is not None:
            dtype = arg
    if device is not None:
        dtypes.device(device)
    if dtype is None:
        return clone(input) if copy else input
    return _convert(input, dtypes.to_dtype(dtype), copy)


def type_as(input: Tensor, other: Tensor) -> Tensor:
    """Convert to the dtype of ``other``."""
    return _convert(input, other.dtype)


def _caster(dtype):
    def cast(self, memory_format=None):
        return _convert(self, dtype)

    cast.__doc__ = f"Convert to {dtype!r}."
    return cast


float_ = _caster(dtypes.float32)
double = _caster(dtypes.float64)
long = _caster(dtypes.int64)
int_ = _caster(dtypes.int32)
bool_ = _caster(dtypes.bool_)


# ---------------------------------------------------------------------------
# indexing


def _index_part(i):
    if isinstance(i, Tensor):
        return i._data
    if isinstance(i, slice):
        return slice(*(int(v) if isinstance(v, Tensor) else v for v in (i.start, i.stop, i.step)))
    return i


def normalize_index(index) -> tuple:
    """The index as a tuple NumPy understands, and whether it is advanced."""
    parts = index if isinstance(index, tuple) else (index,)
    parts = tuple(_index_part(i) for i in parts)
    advanced = False
    for i in parts:
        if isinstance(i, (list, np.ndarray)) and not (
            isinstance(i, np.ndarray) and i.ndim == 0 and i.dtype.kind in "iu"
        ):
            advanced = True
    if not advanced:
        parts = tuple(int(i) if isinstance(i, np.ndarray) else i for i in parts)
        if Ellipsis not in parts:
            parts = parts + (Ellipsis,)  # makes x[0] of a vector a 0-d view, not a scalar
    return parts, advanced


def _index_node_name(parts, advanced: bool) -> str:
    if advanced:
        return "IndexBackward0"
    if all(isinstance(i, (int, np.integer)) or i is Ellipsis for i in parts):
        return "SelectBackward0"
    if any(isinstance(i, slice) for i in parts):
        return "SliceBackward0"
    return "AliasBackward0"


class _IndexBackward(Node):
    def __init__(self, x, index, advanced):
        super().__init__(x)
        self.shape, self.dtype = x.shape, x.dtype
        self.advanced = advanced
        if advanced:
            self.keep(indices=index)  # torch saves advanced indices: one backward only
        else:
            self.index = index

    def backward(self, grad):
        index = self.saved("indices") if self.advanced else self.index
        return (index_embed(grad, self.shape, index, self.advanced),)


_INDEX_NODES = {
    name: type(name, (_IndexBackward,), {})
    for name in ("IndexBackward0", "SelectBackward0", "SliceBackward0", "AliasBackward0")
}
IndexBackward0 = _INDEX_NODES["IndexBackward0"]
SelectBackward0 = _INDEX_NODES["SelectBackward0"]
SliceBackward0 = _INDEX_NODES["SliceBackward0"]


def getitem(input: Tensor, index) -> Tensor:
    """``x[index]``: basic indexing gives a view, advanced indexing a copy."""
    x = input
    parts, advanced = normalize_index(index)
    try:
        array = x._data[parts]
    except IndexError as error:
        raise IndexError(str(error).replace("axis", "dimension")) from None
    node = None
    if needs_grad(x):
        node = _INDEX_NODES[_index_node_name(parts, advanced)](x, parts, advanced)
    if advanced:
        out = wrap(np.asarray(array))
        if node is not None:
            attach(out, node)
        return out
    return _make_view(x, array, node, "__getitem__", (index,))


class IndexEmbedBackward(Node):
    """Backward of ``index_embed``: read the indexed part again."""

    def __init__(self, grad, index):
        super().__init__(grad)
        self.index = index

    def backward(self, grad):
        return (grad[self.index],)


def index_embed(values: Tensor, shape, index, advanced: bool) -> Tensor:
    """Zeros of ``shape`` with ``values`` added at ``index`` (the adjoint of indexing)."""
    out = np.zeros(shape, dtype=values.dtype.np)
    if advanced:
        np.add.at(out, index, values._data)
    else:
        out[index] = values._data
    result = wrap(out)
    if needs_grad(values):
        attach(result, IndexEmbedBackward(values, index))
    return result


# ---------------------------------------------------------------------------
# joining and splitting


class CatBackward0(Node):
    def __init__(self, tensors, dim):
        super().__init__(*tensors)
        self.dim = dim
        self.sizes = [t.shape[dim] for t in tensors]

    def backward(self, grad):
        grads, start = [], 0
        for i, size in enumerate(self.sizes):
            if self.needs_input_grad(i):
                grads.append(grad.narrow(self.dim, start, size))
            else:
                grads.append(None)
            start += size
        return tuple(grads)


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    tensors = [as_operand(t) for t in tensors]
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    dtype = dtypes.result_type(*tensors)
    d = tensors[0]._dim(dim)
    out = wrap(np.concatenate([t._data.astype(dtype.np, copy=False) for t in tensors], axis=d))
    if needs_grad(*tensors):
        attach(out, CatBackward0(tensors, d))
    return out


concatenate = cat


class StackBackward0(Node):
    def __init__(self, tensors, dim):
        super().__init__(*tensors)
        self.dim = dim

    def backward(self, grad):
        return tuple(grad.select(self.dim, i) if self.needs_input_grad(i) else None
                     for i in range(len(self.next_functions)))


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors along a new dimension."""
    tensors = [as_operand(t) for t in tensors]
    dtype = dtypes.result_type(*tensors)
    n = tensors[0].ndim + 1
    d = dim % n
    out = wrap(np.stack([t._data.astype(dtype.np, copy=False) for t in tensors], axis=d))
    if needs_grad(*tensors):
        attach(out, StackBackward0(tensors, d))
    return out


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim`` (that dimension removed)."""
    d = input._dim(dim)
    return getitem(input, (slice(None),) * d + (index,))


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The part ``start:start+length`` along ``dim``."""
    d = input._dim(dim)
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


def split(input: Tensor, split_size_or_sections, dim: int = 0):
    """Pieces of the given size (or list of sizes) along ``dim``."""
    d = input._dim(dim)
    n = input.shape[d]
    if isinstance(split_size_or_sections, int):
        sizes = [split_size_or_sections] * (n // split_size_or_sections)
        if n % split_size_or_sections:
            sizes.append(n % split_size_or_sections)
    else:
        sizes = list(split_size_or_sections)
    pieces, start = [], 0
    for size in sizes:
        pieces.append(narrow(input, d, start, size))
        start += size
    return tuple(pieces)


def chunk(input: Tensor, chunks: int, dim: int = 0):
    """``chunks`` nearly equal pieces along ``dim``."""
    n = input.shape[input._dim(dim)]
    return split(input, -(-n // chunks), dim)


def unbind(input: Tensor, dim: int = 0):
    """All slices along ``dim``."""
    d = input._dim(dim)
    return tuple(select(input, d, i) for i in range(input.shape[d]))


# ---------------------------------------------------------------------------
# reordering, repeating and selecting along a dimension


def _dim_list(x: Tensor, dims) -> tuple:
    """``dims`` (an int or a sequence) as non-negative dims, each at most once."""
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    out = tuple(x._dim(int(d)) for d in dims)
    for d in out:
        if out.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return out


class FlipBackward0(Node):
    def __init__(self, x, dims):
        super().__init__(x)
        self.dims = dims

    def backward(self, grad):
        return (flip(grad, self.dims),)


def flip(input, *args, dims=None) -> Tensor:
    """The elements in reverse order along ``dims`` (a copy, as in torch):
    ``flip(x, dims)``, ``x.flip(0, 1)``, ``x.flip([0, 1])`` or ``x.flip(dims=...)``."""
    x = as_operand(input)
    if dims is None:
        if not args:
            raise TypeError("flip() missing 1 required positional argument: 'dims'")
        dims = args[0] if len(args) == 1 and not isinstance(args[0], int) else args
    dims = _dim_list(x, dims)
    array = np.flip(x._data, axis=dims) if x.ndim else x._data
    out = wrap(np.array(array, copy=True))
    if needs_grad(x):
        attach(out, FlipBackward0(x, dims))
    return out


class RollBackward0(Node):
    def __init__(self, x, shifts, dims):
        super().__init__(x)
        self.shifts, self.dims = shifts, dims

    def backward(self, grad):
        return (roll(grad, tuple(-s for s in self.shifts), self.dims),)


def roll(input, shifts, dims=None) -> Tensor:
    """Shift the elements cyclically along ``dims`` (the flattened tensor when None)."""
    x = as_operand(input)
    shifts = (int(shifts),) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    if dims is not None:
        dims = (int(dims),) if isinstance(dims, (int, np.integer)) else tuple(dims)
        if len(shifts) != len(dims):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               f"dims:{len(dims)}")
        dims = tuple(x._dim(d) for d in dims)
        array = np.roll(x._data, shifts, axis=dims) if x.ndim else x._data.copy()
    else:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims:0")
        array = np.roll(x._data, shifts[0])
    out = wrap(np.array(array, copy=True))
    if needs_grad(x):
        attach(out, RollBackward0(x, shifts, dims))
    return out


class RepeatBackward0(Node):
    def __init__(self, x, repeats):
        super().__init__(x)
        self.shape, self.repeats = x.shape, repeats

    def backward(self, grad):
        lead = len(self.repeats) - len(self.shape)
        padded = (1,) * lead + tuple(self.shape)
        split = []
        for r, s in zip(self.repeats, padded):
            split += [r, s]
        summed = grad.reshape(tuple(split)).sum(dim=tuple(range(0, len(split), 2)))
        return (summed.reshape(self.shape),)


def repeat(input: Tensor, *sizes) -> Tensor:
    """The tensor tiled ``sizes[i]`` times along dimension i (new leading dims allowed)."""
    x = input
    sizes = _sizes(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(sizes)}")
    array = np.tile(x._data.reshape((1,) * (len(sizes) - x.ndim) + x.shape), sizes)
    out = wrap(np.array(array, copy=True))
    if needs_grad(x):
        attach(out, RepeatBackward0(x, sizes))
    return out


def _index_array(index, name: str) -> np.ndarray:
    index = as_operand(index)
    if not isinstance(index, Tensor) or index.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    return index._data.astype(np.int64)


def along_dim_index(index: np.ndarray, dim: int) -> tuple:
    """The advanced index that reads ``x[..., index[...], ...]`` along ``dim``: position
    ``p`` of the result reads ``x`` at ``p`` with coordinate ``dim`` replaced by
    ``index[p]`` (torch's gather)."""
    grids = np.indices(index.shape, sparse=True) if index.ndim else ()
    return tuple(index if k == dim else g for k, g in enumerate(grids)) or (index,)


class GatherBackward0(Node):
    def __init__(self, x, dim, index):
        super().__init__(x)
        self.shape, self.dim = x.shape, dim
        self.keep(index=along_dim_index(index, dim))

    def backward(self, grad):
        return (index_embed(grad, self.shape, self.saved("index"), True),)


def gather(input, dim: int, index, *, sparse_grad: bool = False) -> Tensor:
    """``out[p] = input[p with coordinate dim replaced by index[p]]``."""
    x = as_operand(input)
    d = x._dim(dim)
    idx = _index_array(index, "gather")
    if max(idx.ndim, 1) != max(x.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if x.ndim == 0:  # a 0-d input reads like a 1-element vector
        return gather(x.reshape(1), 0, wrap(idx.reshape(-1))).reshape(idx.shape)
    for k in range(x.ndim):
        if k != d and idx.shape[k] > x.shape[k]:
            raise RuntimeError(
                f"Size does not match at dimension {k} expected index {list(idx.shape)} to "
                f"be no larger than self {list(x.shape)} apart from dimension {d}")
    bad = (idx < 0) | (idx >= x.shape[d])
    if np.any(bad):
        raise RuntimeError(f"index {int(idx[bad][0])} is out of bounds for dimension {d} "
                           f"with size {x.shape[d]}")
    out = wrap(np.array(x._data[along_dim_index(idx, d)], copy=True))
    if needs_grad(x):
        attach(out, GatherBackward0(x, d, idx))
    return out


class IndexSelectBackward0(Node):
    def __init__(self, x, dim, index):
        super().__init__(x)
        self.shape = x.shape
        self.keep(index=(slice(None),) * dim + (index,))

    def backward(self, grad):
        return (index_embed(grad, self.shape, self.saved("index"), True),)


def index_select(input, dim: int, index) -> Tensor:
    """The slices at positions ``index`` (a vector) along ``dim``."""
    x = as_operand(input)
    d = x._dim(dim)
    index = as_operand(index)
    if isinstance(index, Tensor) and index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    idx = _index_array(index, "index_select").reshape(-1)
    size = x.shape[d] if x.ndim else 1
    if np.any((idx < 0) | (idx >= size)):
        raise IndexError("index out of range in self")
    if x.ndim == 0:
        out = wrap(np.array(x._data, copy=True))
        if needs_grad(x):
            attach(out, CloneBackward0(x))
        return out
    out = wrap(np.take(x._data, idx, axis=d))
    if needs_grad(x):
        attach(out, IndexSelectBackward0(x, d, idx))
    return out
