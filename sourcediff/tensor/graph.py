"""The backward graph: nodes, edges, saved tensors and gradient accumulation.

A recorded operation is a :class:`Node` (named like PyTorch's, e.g.
``MulBackward0``). Its ``next_functions`` are the edges to the nodes that
produced its inputs; a leaf that requires grad is reached through its
:class:`AccumulateGrad` node. ``engine.py`` runs the graph.
"""

from __future__ import annotations

import itertools
import math
import re
import weakref

import numpy as np

from . import anomaly, grad_mode
from .core import Tensor

_sequence = itertools.count()

SECOND_BACKWARD_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


INFERENCE_SAVE_MESSAGE = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a "
    "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
    "`torch.inference_mode()`."
)


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self.id = next(self._ids)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def short_name(name: str) -> str:
    """``MulBackward0`` -> ``Mul``, ``UnsqueezeBackward1`` -> ``Unsqueeze1``: how PyTorch
    names an op in version and view errors."""
    return re.sub(r"Backward(\d*)$", lambda m: m.group(1).lstrip("0"), name)


class SavedTensor:
    """A tensor saved for backward, with the version it had when saved.

    An output of the node itself is kept as its data only (so the node and
    its output do not reference each other); unpacking rebuilds a tensor whose
    ``grad_fn`` is the node, which makes double backward work.
    """

    __slots__ = ("counter", "data", "output_nr", "requires_grad", "tensor", "version")

    def __init__(self, tensor, is_output: bool):
        if tensor._inference:
            raise RuntimeError(INFERENCE_SAVE_MESSAGE)
        self.counter = tensor._version_counter
        self.version = self.counter.value
        if is_output:
            self.tensor = None
            self.data = tensor._data
            self.output_nr = tensor._output_nr
            self.requires_grad = True  # the node is (or becomes) its grad_fn
        else:
            self.tensor = tensor
            self.data = None

    def unpack(self, node):
        if self.counter.value != self.version:
            raise RuntimeError(self._modified_message(node))
        if self.tensor is not None:
            return self.tensor
        return self._as_output(self.data, node)

    def _as_output(self, array, node):
        out = Tensor._wrap(array)
        out._version_counter = self.counter
        if self.requires_grad:
            out._grad_fn = node
            out._output_nr = self.output_nr
            out._requires_grad = True
        return out

    def _modified_message(self, node) -> str:
        if self.tensor is not None:
            data = self.tensor
            owner = self.tensor.grad_fn
            output_nr = self.tensor._output_nr
        else:
            data = Tensor._wrap(self.data)
            owner, output_nr = node, self.output_nr
        message = (
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{data.type()} {list(data.shape)}]"
        )
        if owner is not None:
            message += f", which is output {output_nr} of {short_name(owner.name())},"
        return message + (
            f" is at version {self.counter.value}; expected version {self.version} instead. "
            "Hint: enable anomaly detection to find the operation that failed to compute its "
            "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
        )


class HookedSavedTensor(SavedTensor):
    """A saved tensor stored as whatever the active pack hook made of it."""

    __slots__ = ("packed", "unpack_hook")

    def __init__(self, tensor, is_output: bool, hooks):
        if tensor._inference:
            raise RuntimeError(INFERENCE_SAVE_MESSAGE)
        pack, self.unpack_hook = hooks
        version = tensor._version_counter.value
        self.packed = pack(tensor)
        if tensor._version_counter.value != version:
            raise RuntimeError("A saved tensor pack hook is modifying its input in place. "
                               "Tensors provided as input to pack hook can not be modified by "
                               "in-place operations as this can lead to unexpected side-effects. "
                               "Please open an issue if you need to perform in-place operations "
                               "on the input to a pack hook.")
        self.counter, self.version = tensor._version_counter, version
        self.tensor = self.data = None
        self.output_nr = tensor._output_nr
        self.requires_grad = is_output

    def unpack(self, node):
        value = self.unpack_hook(self.packed)
        if not isinstance(value, Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(value).__name__}")
        return self._as_output(value._data, node) if self.requires_grad else value


class KeptValue:
    """A non-tensor a node needs in backward (advanced indices): freed like a saved tensor."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def unpack(self, node):
        return self.value


SAVED_TENSOR_HOOKS: list = []  # (pack, unpack) pairs, innermost last


def save_tensor(tensor, is_output: bool) -> SavedTensor:
    """A SavedTensor for ``tensor``, going through the innermost saved-tensor hooks if any."""
    if SAVED_TENSOR_HOOKS:
        return HookedSavedTensor(tensor, is_output, SAVED_TENSOR_HOOKS[-1])
    return SavedTensor(tensor, is_output)


class saved_tensors_hooks:
    """Context manager: tensors saved for backward inside it are stored as ``pack_hook(t)``
    and given back by ``unpack_hook(packed)`` when backward needs them (torch's API)."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        SAVED_TENSOR_HOOKS.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc) -> None:
        SAVED_TENSOR_HOOKS.pop()


class Node:
    """One recorded operation in the backward graph.

    Subclasses implement ``backward(grad)`` returning one gradient (or None)
    per entry of ``next_functions``. They build the result from Tensor
    operations, so with ``create_graph=True`` the backward pass is itself
    recorded and can be differentiated again.
    """

    num_outputs = 1

    def __init__(self, *inputs):
        self._sequence_nr = next(_sequence)
        self.next_functions = tuple(gradient_edge(t) for t in inputs)
        self._saved: dict | None = None
        self._released = False
        self._pre_hooks: dict | None = None
        self._post_hooks: dict | None = None
        self._tensor_pre_hooks: dict | None = None  # output_nr -> {id: hook}
        self._retained: dict | None = None  # output_nr -> weakref to a retain_grad tensor
        self._metadata: dict | None = None
        if anomaly.ENABLED:
            anomaly.record(self)

    @property
    def metadata(self) -> dict:
        """A dict for user data (and anomaly mode's forward trace)."""
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    # -- introspection, as on torch's nodes ---------------------------------
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def needs_input_grad(self, index: int) -> bool:
        """Whether the input at ``index`` wants a gradient (it has an edge)."""
        return self.next_functions[index][0] is not None

    # -- saved tensors ------------------------------------------------------
    def save(self, /, output=None, **tensors) -> None:
        """Save tensors for backward; ``output`` is the node's own result."""
        saved = self._saved
        if saved is None:
            saved = self._saved = {}
        hooks = SAVED_TENSOR_HOOKS[-1] if SAVED_TENSOR_HOOKS else None
        for key, value in tensors.items():
            if value is not None:
                saved[key] = (SavedTensor(value, value is output) if hooks is None
                              else HookedSavedTensor(value, value is output, hooks))

    def keep(self, **values) -> None:
        """Keep non-tensor values for backward; freed with the saved tensors."""
        if self._saved is None:
            self._saved = {}
        for key, value in values.items():
            self._saved[key] = KeptValue(value)

    def saved(self, key: str):
        """Unpack a saved tensor, checking it was neither freed nor modified."""
        if self._released:
            raise RuntimeError(SECOND_BACKWARD_MESSAGE)
        return self._saved[key].unpack(self)

    def _release(self) -> None:
        self._saved = None
        self._released = True

    # -- hooks --------------------------------------------------------------
    def register_hook(self, fn) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after the node; it may return new grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = {}
        handle = RemovableHandle(self._post_hooks)
        self._post_hooks[handle.id] = fn
        return handle

    def register_prehook(self, fn) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before the node; it may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        handle = RemovableHandle(self._pre_hooks)
        self._pre_hooks[handle.id] = fn
        return handle

    def _add_tensor_hook(self, output_nr: int, fn) -> RemovableHandle:
        if self._tensor_pre_hooks is None:
            self._tensor_pre_hooks = {}
        hooks = self._tensor_pre_hooks.setdefault(output_nr, {})
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle

    def _retain_grad(self, output_nr: int, tensor) -> None:
        if self._retained is None:
            self._retained = {}
        self._retained[output_nr] = weakref.ref(tensor)

    def _forget_retained(self, output_nr: int, tensor) -> None:
        """Stop filling ``tensor.grad`` from this node (the tensor moved on in the graph)."""
        ref = (self._retained or {}).get(output_nr)
        if ref is not None and ref() is tensor:
            del self._retained[output_nr]

    # -- running ------------------------------------------------------------
    def __call__(self, *grads):
        """Run the backward formula directly: one gradient per output, as torch's nodes."""
        if len(grads) != self.num_outputs:
            raise TypeError(f"expected {self.num_outputs} arguments, got {len(grads)} instead")
        result = self.apply(*grads)
        if not isinstance(result, tuple):
            return result
        return result[0] if len(result) == 1 else result

    def apply(self, *grads):
        """Compute the input gradients from the output gradients."""
        return self.backward(*grads)

    def backward(self, grad):  # pragma: no cover - every op overrides it
        raise NotImplementedError


class AccumulateGrad(Node):
    """The node a leaf tensor is reached through: adds incoming gradients to ``.grad``."""

    def __init__(self, variable):
        super().__init__()
        self._sequence_nr = math.inf  # run as soon as ready, like torch
        self.variable = variable
        if variable._hooks is not None:  # the leaf's hooks are this node's tensor hooks
            self._tensor_pre_hooks = {0: variable._hooks}

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def accumulate(self, grad, create_graph: bool, owned: set) -> None:
        """Add ``grad`` into ``.grad``, then run the post-accumulate-grad hooks."""
        var = self.variable
        accumulate_into(var, grad, create_graph, owned)
        hooks = var._post_accumulate_hooks
        for hook in list(hooks.values()) if hooks else ():
            if hook(var) is not None:
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")


def accumulate_into(var, grad, create_graph: bool, owned: set) -> None:
    """Add ``grad`` to ``var.grad`` the way torch's AccumulateGrad does."""
    if grad is None:
        return
    if grad.dtype is not var.dtype:
        grad = grad.to(var.dtype)
    old = var._grad
    if old is None:
        if create_graph:
            var._grad = _copy_with_graph(grad) if grad.requires_grad else grad.detach()
        else:
            var._grad = Tensor._wrap(_owned_array(grad._data, owned))
    elif create_graph or grad_mode.is_grad_enabled():
        var._grad = old + grad
    elif old.shape == grad.shape and old._data.flags.writeable:
        np.add(old._data, grad._data, out=old._data)
        old._version_counter.value += 1
    else:
        var._grad = Tensor._wrap(old._data + grad._data)


def storage_root(array: np.ndarray):
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _owned_array(array: np.ndarray, owned: set) -> np.ndarray:
    """Use the gradient's buffer for ``.grad`` when nothing else can see it, else copy.

    Gradients of leaves are usually fresh arrays (a matmul's result); a buffer
    that was passed through to two leaves, given by the user or not
    writeable is copied, so later in-place accumulation touches no one else.
    """
    root = storage_root(array)
    if id(root) in owned or not array.flags.c_contiguous or not array.flags.writeable \
            or (array.base is not None and not isinstance(array.base, np.ndarray)):
        return np.array(array, order="C", copy=True)
    owned.add(id(root))
    return array


class CopyBackwards(Node):
    """The graph-carrying copy of a leaf's first ``.grad`` (torch copies into a fresh tensor:
    edges to that empty destination, None, and to the gradient)."""

    def __init__(self, grad):
        super().__init__(None, grad)

    def backward(self, grad):
        return None, grad


def _copy_with_graph(grad):
    out = Tensor._wrap(grad._data.copy())
    attach(out, CopyBackwards(grad))
    return out


# ---------------------------------------------------------------------------
# edges


def gradient_edge(tensor):
    """The (node, output_nr) edge a gradient for ``tensor`` flows along."""
    if tensor is None or not hasattr(tensor, "_grad_fn"):
        return (None, 0)
    if tensor._base is not None and tensor._view_meta[0] != tensor._version_counter.value:
        tensor._sync_view()
    if tensor._grad_fn is not None:
        return (tensor._grad_fn, tensor._output_nr)
    if tensor._requires_grad:
        return (grad_accumulator(tensor), 0)
    return (None, 0)


def leaf_hooks(tensor) -> dict:
    """The dict of a leaf's tensor hooks, shared with its AccumulateGrad node."""
    if tensor._hooks is None:
        tensor._hooks = {}
        ref = tensor._accumulator
        node = ref() if ref is not None else None
        if node is not None:
            node._tensor_pre_hooks = {0: tensor._hooks}
    return tensor._hooks


def grad_accumulator(tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad node, shared by every graph that uses the leaf."""
    ref = tensor._accumulator
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(tensor)
        tensor._accumulator = weakref.ref(node)
    return node


def attach(out, node: Node, output_nr: int = 0) -> None:
    """Make ``node`` the ``grad_fn`` of the freshly computed tensor ``out``."""
    out._grad_fn = node
    out._output_nr = output_nr
    out._requires_grad = True


def increment_version(tensor) -> None:
    """Bump the version counter, as an in-place change would (torch.autograd.graph API)."""
    if not tensor._inference:
        tensor._version_counter.value += 1
