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

from . import grad_mode
from .core import Tensor

_sequence = itertools.count()

SECOND_BACKWARD_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
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
    """``MulBackward0`` -> ``Mul``: how PyTorch names an op in version errors."""
    return re.sub(r"Backward\d*$", "", name)


class SavedTensor:
    """A tensor saved for backward, with the version it had when saved.

    An output of the node itself is kept as its data only (so the node and
    its output do not reference each other); unpacking rebuilds a tensor whose
    ``grad_fn`` is the node, which makes double backward work.
    """

    __slots__ = ("counter", "data", "output_nr", "requires_grad", "tensor", "version")

    def __init__(self, tensor, is_output: bool):
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
        out = Tensor._wrap(self.data)
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
        self.metadata: dict = {}

    # -- introspection, as on torch's nodes ---------------------------------
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    def needs_input_grad(self, index: int) -> bool:
        """Whether the input at ``index`` wants a gradient (it has an edge)."""
        return self.next_functions[index][0] is not None

    # -- saved tensors ------------------------------------------------------
    def save(self, /, output=None, **tensors) -> None:
        """Save tensors for backward; ``output`` is the node's own result."""
        saved = self._saved
        if saved is None:
            saved = self._saved = {}
        for key, value in tensors.items():
            if value is not None:
                saved[key] = SavedTensor(value, is_output=value is output)

    def saved(self, key: str):
        """Unpack a saved tensor, checking it was neither freed nor modified."""
        if self._released:
            raise RuntimeError(SECOND_BACKWARD_MESSAGE)
        return self._saved[key].unpack(self)

    def _release(self) -> None:
        if self._saved:
            self._saved = {}
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

    # -- running ------------------------------------------------------------
    def __call__(self, *grads):
        return self.apply(*grads)

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

    def accumulate(self, grad, create_graph: bool, owned: set) -> None:
        var = self.variable
        if var._hooks:
            for hook in list(var._hooks.values()):
                result = hook(grad)
                if result is not None:
                    grad = result
                    owned.add(id(_root(result._data)))
        accumulate_into(var, grad, create_graph, owned)


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


def _root(array: np.ndarray):
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _owned_array(array: np.ndarray, owned: set) -> np.ndarray:
    """Use the gradient's buffer for ``.grad`` when nothing else can see it, else copy.

    Gradients of leaves are usually fresh arrays (a matmul's result); a buffer
    that was passed through to two leaves, given by the user or not
    writeable is copied, so later in-place accumulation touches no one else.
    """
    root = _root(array)
    if id(root) in owned or not array.flags.c_contiguous or not array.flags.writeable \
            or (array.base is not None and not isinstance(array.base, np.ndarray)):
        return np.array(array, order="C", copy=True)
    owned.add(id(root))
    return array


class CopyBackwards(Node):
    """Identity node: torch names the graph-carrying copy of a leaf's ``.grad`` so."""

    def backward(self, grad):
        return (grad,)


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
    if tensor._grad_fn is not None:
        return (tensor._grad_fn, tensor._output_nr)
    if tensor._requires_grad:
        return (grad_accumulator(tensor), 0)
    return (None, 0)


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
