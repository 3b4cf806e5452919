"""The backward graph and the engine that runs it.

A recorded operation is a :class:`Node` (named like PyTorch's, e.g.
``MulBackward0``). Its ``next_functions`` are the edges to the nodes that
produced its inputs; a leaf that requires grad is reached through its
:class:`AccumulateGrad` node. The engine walks the graph from the outputs in
dependency order (like micrograd, but counting dependencies instead of
recursing, so deep graphs and shared subgraphs are handled once each) and
hands every node the sum of the gradients flowing into it.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
import warnings
import weakref

import numpy as np

from . import grad_mode

_sequence = itertools.count()

SECOND_BACKWARD_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)

CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the "
    "parameter and its gradient which can cause a memory leak. We recommend using "
    "autograd.grad when creating the graph to avoid this. If you have to use this function, "
    "make sure to reset the .grad fields of your parameters to None after use to break the "
    "cycle and avoid the leak."
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
        from .core import Tensor

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
            from .core import Tensor

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
    from .core import Tensor

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
    from .core import Tensor

    out = Tensor._wrap(grad._data.copy())
    attach(out, CopyBackwards(grad))
    return out


class GraphRoot(Node):
    """Virtual node feeding the initial gradients to the outputs' nodes."""

    def __init__(self, edges, grads):
        super().__init__()
        self.next_functions = tuple(edges)
        self._grads = grads

    def apply(self, *unused):
        return self._grads


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


# ---------------------------------------------------------------------------
# the engine


def _discover(roots):
    """All nodes reachable from ``roots``, in an order where parents precede children."""
    order, seen = [], set()
    stack = [(node, False) for node in roots]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                stack.append((child, False))
    order.reverse()  # reverse post-order: a topological order
    return order


def run_backward(edges, grads, *, keep_graph: bool, create_graph: bool,
                 capture=None, exec_targets=None, accumulate_captured=None):
    """Propagate ``grads`` from the ``edges`` through the graph.

    capture: {(node, output_nr): key} -- gradients to hand back (autograd.grad)
        or, with ``accumulate_captured``, to add to a non-leaf tensor's ``.grad``.
    exec_targets: AccumulateGrad nodes to run when only some inputs are wanted;
        None runs every reachable node.
    Returns {key: gradient} for the captured edges.
    """
    root = GraphRoot(edges, grads)
    order = _discover([root])
    capture = capture or {}
    captured_nodes = {node for node, _ in capture}

    if exec_targets is None and not capture:
        reach = execute = set(order)
    else:
        targets = exec_targets or set()
        reach, execute = set(), set()
        for node in reversed(order):  # children before parents
            child_reached = any(c in reach for c, _ in node.next_functions if c is not None)
            if child_reached or node in targets or node is root:
                execute.add(node)
            if child_reached or node in targets or node in captured_nodes:
                reach.add(node)
        reach.add(root)

    dependencies = dict.fromkeys(reach, 0)
    for node in execute:
        for child, _ in node.next_functions:
            if child is not None and child in reach:
                dependencies[child] += 1

    owned = {id(_root(g._data)) for g in grads if g is not None}
    results = {}
    buffers = {root: []}
    ready = [(0, -math.inf, root)]
    tie = itertools.count()
    # like torch's engine, everything (formulas, hooks, sums) runs in grad mode = create_graph
    with grad_mode.set_grad_enabled(create_graph):
        while ready:
            node = heapq.heappop(ready)[-1]
            inputs = buffers.pop(node, None) or [None] * node.num_outputs
            if node._tensor_pre_hooks or node._retained:
                _run_tensor_hooks(node, inputs, owned)
            if node in captured_nodes:
                for nr in range(len(inputs)):
                    key = capture.get((node, nr))
                    if key is None:
                        continue
                    if accumulate_captured is not None:
                        accumulate_into(accumulate_captured[key], inputs[nr], create_graph, owned)
                    else:
                        results[key] = inputs[nr]
            if node not in execute:
                continue
            outputs = _apply_node(node, inputs, create_graph, owned)
            if not keep_graph:
                node._release()
            for (child, nr), grad in zip(node.next_functions, outputs):
                if child is None or child not in reach:
                    continue
                if grad is not None:
                    buf = buffers.get(child)
                    if buf is None:
                        buf = buffers[child] = [None] * child.num_outputs
                    buf[nr] = grad if buf[nr] is None else buf[nr] + grad
                dependencies[child] -= 1
                if dependencies[child] == 0:
                    heapq.heappush(ready, (-child._sequence_nr, next(tie), child))
    return results


def _run_tensor_hooks(node, inputs, owned) -> None:
    for nr, hooks in (node._tensor_pre_hooks or {}).items():
        for hook in list(hooks.values()):
            if inputs[nr] is None:
                break
            result = hook(inputs[nr])
            if result is not None:
                inputs[nr] = result
                owned.add(id(_root(result._data)))
    for nr, ref in (node._retained or {}).items():
        tensor = ref()
        grad = inputs[nr]
        if tensor is None or grad is None:
            continue
        if tensor._grad is None:
            tensor._grad = grad.clone() if grad.requires_grad else grad.detach().clone()
        else:
            tensor._grad = tensor._grad + grad


def _apply_node(node, inputs, create_graph: bool, owned: set):
    if isinstance(node, AccumulateGrad):
        node.accumulate(inputs[0], create_graph, owned)
        return ()
    if node._pre_hooks:
        for hook in list(node._pre_hooks.values()):
            result = hook(tuple(inputs))
            if result is not None:
                inputs = list(result)
    if all(g is None for g in inputs) and not isinstance(node, GraphRoot) \
            and not getattr(node, "materialize_grads", False):
        outputs = (None,) * len(node.next_functions)
    else:
        outputs = node.apply(*inputs)
    if not isinstance(outputs, tuple):
        outputs = tuple(outputs) if isinstance(outputs, list) else (outputs,)
    if getattr(node, "foreign_grads", False):
        # a custom backward may hand out tensors someone else holds: never adopt them
        owned.update(id(_root(g._data)) for g in outputs if g is not None)
    if node._post_hooks:
        for hook in list(node._post_hooks.values()):
            result = hook(outputs, tuple(inputs))
            if result is not None:
                outputs = tuple(result)
    if len(outputs) != len(node.next_functions):
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients "
            f"(expected {len(node.next_functions)}, got {len(outputs)})"
        )
    return outputs


# ---------------------------------------------------------------------------
# public entry points (torch.autograd.backward / torch.autograd.grad)


def _as_tuple(value):
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


def _seed_grads(outputs, grad_outputs, create_graph: bool):
    from .core import Tensor

    grads = list(_as_tuple(grad_outputs)) or [None] * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(
            f"grad requires one grad_output per output: got {len(grads)} grad_outputs "
            f"and {len(outputs)} outputs"
        )
    seeds = []
    for i, (out, grad) in enumerate(zip(outputs, grads)):
        if grad is None:
            if out.requires_grad:
                if out.numel() != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if not out.dtype.is_floating_point:
                    raise RuntimeError("grad can be implicitly created only for real scalar "
                                       f"outputs but got {out.dtype}")
                grad = Tensor._wrap(np.ones(out.shape, dtype=out.dtype.np))
        else:
            if not isinstance(grad, Tensor):
                grad = Tensor._wrap(np.asarray(grad, dtype=out.dtype.np))
            if grad.shape != out.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {grad.shape} and "
                    f"output[{i}] has a shape of {out.shape}."
                )
            if not create_graph:
                grad = grad.detach()
        seeds.append(grad)
    return seeds


def _root_edges(outputs):
    edges = []
    for i, out in enumerate(outputs):
        edge = gradient_edge(out)
        if edge[0] is None:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        edges.append(edge)
    return edges


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             inputs=None) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves.

    Like ``torch.autograd.backward``: ``inputs`` restricts accumulation to the
    given tensors (leaves or not).
    """
    outputs = _as_tuple(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _seed_grads(outputs, grad_tensors, create_graph)
    edges = _root_edges(outputs)
    if create_graph:
        warnings.warn(CREATE_GRAPH_WARNING, UserWarning, stacklevel=3)
    inputs = _as_tuple(inputs)
    if not inputs:
        run_backward(edges, seeds, keep_graph=retain_graph, create_graph=create_graph)
        return
    capture, targets, by_key = {}, set(), {}
    for i, t in enumerate(inputs):
        if t.grad_fn is None:
            if not t.requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            targets.add(grad_accumulator(t))
        else:
            capture[(t.grad_fn, t._output_nr)] = i
            by_key[i] = t
    run_backward(edges, seeds, keep_graph=retain_graph, create_graph=create_graph,
                 capture=capture, exec_targets=targets, accumulate_captured=by_key)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False,
         materialize_grads=False):
    """Return the gradients of ``outputs`` with respect to ``inputs`` (no ``.grad`` is touched).

    >>> import sourcediff as sd
    >>> x = sd.tensor(3.0, requires_grad=True)
    >>> (g,) = sd.autograd.grad(x ** 3, x, create_graph=True)
    >>> g, sd.autograd.grad(g, x)[0]
    (tensor(27., grad_fn=<MulBackward0>), tensor(18.))
    """
    if is_grads_batched:
        raise NotImplementedError("is_grads_batched=True is not supported")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _seed_grads(outs, grad_outputs, create_graph)
    edges = _root_edges(outs)
    capture = {}
    for i, t in enumerate(ins):
        edge = gradient_edge(t)
        if edge[0] is None:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        capture.setdefault(edge, []).append(i)
    keys = {edge: idx for idx, edge in enumerate(capture)}
    results = run_backward(edges, seeds, keep_graph=retain_graph, create_graph=create_graph,
                           capture=keys)
    out = []
    for i, t in enumerate(ins):
        g = results.get(keys[gradient_edge(t)])
        if g is None:
            if materialize_grads:
                from .core import Tensor

                g = Tensor._wrap(np.zeros(t.shape, dtype=t.dtype.np))
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
        elif not create_graph:
            g = g.detach()
        out.append(g)
    return tuple(out)
