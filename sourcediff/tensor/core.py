"""The :class:`Tensor`: a NumPy array plus the autograd bookkeeping of PyTorch.

The bottom layer of the Tensor package: the class holds state and the Python
protocol and imports no other part of autograd.  The operations live in the
op modules (``pointwise``, ``reductions``, ``shape_ops``, ``linalg``,
``inplace``), ``backward`` and ``register_hook`` next to the graph they work
on; ``methods.bind_methods`` attaches them all to the class when the package
is assembled (``tensor/__init__.py``).
"""

from __future__ import annotations

import copy as _copy
import warnings

import numpy as np

from . import dtypes, grad_mode, printing

DETACH_VIEW_MESSAGE = (
    "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel "
    "(DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP "
    "buckets, and hence detach_() cannot be called on these gradients. To fix this error, please "
    "refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
)

NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information."
)


class VersionCounter:
    """Counts in-place changes of a storage; shared by a tensor and its views."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


def new_tensor(cls, array: np.ndarray):
    t = object.__new__(cls)
    t._data = array
    t._requires_grad = False
    t._grad_fn = None
    t._output_nr = 0
    t._grad = None
    t._version_counter = VersionCounter()
    t._retains_grad = False
    t._hooks = None
    t._accumulator = None
    t._base = None
    t._view_chain = None
    if grad_mode.INFERENCE_BLOCKS and grad_mode.is_inference_mode_enabled():
        t._inference = True
    return t


class Tensor:
    """A multi-dimensional array with PyTorch's autograd semantics.

    ``Tensor(2, 3)`` makes an uninitialised (here: zero) float tensor of that
    shape and ``Tensor([1, 2])`` a float tensor from data, as in PyTorch;
    :func:`sourcediff.tensor` is the usual way to build one.

    >>> import sourcediff as sd
    >>> x = sd.ones(2, 2, requires_grad=True)
    >>> out = ((x + 2) * (x + 2) * 3).mean()
    >>> out.backward()
    >>> x.grad
    tensor([[4.5000, 4.5000],
            [4.5000, 4.5000]])
    """

    __slots__ = (
        "__dict__",
        "__weakref__",
        "_accumulator",
        "_base",
        "_data",
        "_grad",
        "_grad_fn",
        "_hooks",
        "_output_nr",
        "_requires_grad",
        "_retains_grad",
        "_version_counter",
        "_view_chain",
        "_view_meta",
    )

    # set (in the instance dict) only on tensors made inside inference_mode
    _inference = False
    # {id: hook} of register_post_accumulate_grad_hook, on the leaves that have some
    _post_accumulate_hooks = None
    # the in-place shape changes (``t_``, ``unsqueeze_``) of a tensor that is no view, as
    # (undo, done) view calls; its views record how many there were when they were made
    _shape_changes = ()

    # NumPy defers binary operators to ours (ndarray * Tensor -> Tensor)
    __array_priority__ = 1000

    def __new__(cls, *args, **kwargs):
        device = kwargs.pop("device", None)
        if device is not None:
            dtypes.device(device)
        if kwargs:
            raise TypeError(f"Tensor() got unexpected keyword arguments {sorted(kwargs)}")
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            data = args[0]
            if isinstance(data, Tensor):
                return new_tensor(cls, data._data)
            array = np.array(data, dtype=np.float32)
        else:
            array = np.zeros([int(a) for a in args], dtype=np.float32)
        return new_tensor(cls, array)

    @staticmethod
    def _wrap(array: np.ndarray) -> Tensor:
        """A fresh tensor around ``array`` (no copy, no grad)."""
        return new_tensor(Tensor, array)

    # -- metadata -----------------------------------------------------------
    @property
    def shape(self) -> dtypes.Size:
        return dtypes.Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the length of one dimension."""
        if dim is None:
            return dtypes.Size(self._data.shape)
        return self._data.shape[self._dim(dim)]

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy_dtype(self._data.dtype)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        """The number of elements."""
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def device(self) -> dtypes.device:
        return dtypes.CPU

    is_cuda = False
    is_sparse = False
    is_quantized = False
    is_meta = False
    is_complex = staticmethod(lambda: False)

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def type(self, dtype=None):
        """``'torch.FloatTensor'`` and the like; with a dtype, a converted copy."""
        if dtype is None:
            return "torch." + self.dtype.legacy_name
        return self.to(dtype)

    def stride(self, dim: int | None = None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[self._dim(dim)]

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def _dim(self, dim: int) -> int:
        """Normalise a possibly negative dimension, with torch's error."""
        n = max(self._data.ndim, 1)
        if not -n <= dim < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                f"but got {dim})"
            )
        return dim % n

    # -- autograd state -----------------------------------------------------
    # A view's grad_fn goes stale when its base or another view of the base is
    # changed in place (the shared version counter moved on since the view's
    # grad_fn was set); ``_sync_view`` (bound by methods.bind_methods) renews it.
    @property
    def requires_grad(self) -> bool:
        if self._base is not None and self._view_meta[0] != self._version_counter.value:
            self._sync_view()
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            raise RuntimeError(_non_leaf_message(value))
        if value and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(value)

    @requires_grad.deleter
    def requires_grad(self) -> None:
        raise RuntimeError("requires_grad must be a bool")

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self (a no-op ``True`` on a non-leaf)."""
        if requires_grad and self.grad_fn is not None:
            return self
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        if self._base is not None and self._view_meta[0] != self._version_counter.value:
            self._sync_view()
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def _is_view(self) -> bool:
        """Whether this tensor is a view of another one (``_base``)."""
        return self._base is not None

    def is_inference(self) -> bool:
        """Whether this tensor was made inside ``inference_mode``."""
        return self._inference

    @property
    def grad(self):
        if self._grad_fn is not None and not self._retains_grad and self._grad is None:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                    f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                    "tensor are the same size"
                )
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def _version(self) -> int:
        if self._inference:
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._version_counter.value

    @property
    def data(self) -> Tensor:
        """The same storage, detached, with a version counter of its own (torch's ``.data``)."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if self._requires_grad and not value.dtype.is_floating_point:
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype")
        self._data = value._data

    @data.deleter
    def data(self) -> None:
        raise RuntimeError("Deleting tensor data is not allowed. Delete tensor instead!")

    def detach(self) -> Tensor:
        """A tensor sharing storage and version counter, cut off from the graph."""
        out = Tensor._wrap(self._data)
        out._version_counter = self._version_counter
        if self._inference:
            out._inference = True
        return out

    def detach_(self) -> Tensor:
        """Detach in place: self becomes a leaf that does not require grad."""
        if self._base is not None:
            raise RuntimeError(DETACH_VIEW_MESSAGE)
        self._grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        node = self.grad_fn
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if node is None or self._retains_grad:
            return
        node._retain_grad(self._output_nr, self)
        self._retains_grad = True

    # -- conversion ---------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        """The values as (nested) Python lists."""
        return self._data.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying NumPy array (shared, not copied)."""
        if self._requires_grad and not force and grad_mode.is_grad_enabled():
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        if dtype is None:
            return self._data
        return self._data.astype(dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.category == 2 or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                "Boolean value of Tensor with more than one value is ambiguous"
            )
        return bool(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self) -> int:
        return id(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return repr(self).__format__(spec)

    def __repr__(self) -> str:
        return printing.tensor_repr(self)

    def __deepcopy__(self, memo):
        out = new_tensor(type(self), self._data.copy())
        out._requires_grad = self._requires_grad
        if self._grad is not None:
            out._grad = _copy.deepcopy(self._grad, memo)
        if self.__dict__:
            state = {k: v for k, v in self.__dict__.items() if k != "_post_accumulate_hooks"}
            out.__dict__.update(_copy.deepcopy(state, memo))
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol):
        return (_rebuild, (type(self), self._data.copy(), self._requires_grad))


def _non_leaf_message(value: bool) -> str:
    message = "you can only change requires_grad flags of leaf variables."
    if not value:
        message += (" If you want to use a computed variable in a subgraph that doesn't require "
                    "differentiation use var_no_grad = var.detach().")
    return message


def _rebuild(cls, array, requires_grad):
    out = new_tensor(cls, array)
    out._requires_grad = requires_grad
    return out


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a sourcediff Tensor."""
    return isinstance(obj, Tensor)


def needs_grad(*values) -> bool:
    """Whether an operation on ``values`` has to be recorded."""
    if not grad_mode.is_grad_enabled():
        return False
    for v in values:
        if isinstance(v, Tensor):
            if v._requires_grad:
                return True
            # a view may have come to require grad through an in-place change of its base
            if v._base is not None and v._view_meta[0] != v._version_counter.value \
                    and v.requires_grad:
                return True
    return False

