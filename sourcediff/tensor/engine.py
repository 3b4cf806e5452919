"""The engine that runs the backward graph (``backward`` and ``autograd.grad``).

Like micrograd's ``backward()``, but counting dependencies instead of
recursing: a node runs once all the gradients flowing into it are summed,
ready nodes in reverse creation order (as torch's engine), so deep graphs and
shared subgraphs are handled once each. With ``inputs`` only the part of the
graph that leads to them runs.

For each node, in torch's order: the hooks registered on its output tensors
(``register_hook``; for a leaf, the leaf's own hooks) and ``retain_grad``;
then, when ``autograd.grad`` asked for this gradient, it is captured; then the
node's pre-hooks, its backward formula (for a leaf: accumulation into
``.grad`` and the post-accumulate hooks) and its post-hooks.
"""

from __future__ import annotations

import heapq
import itertools
import math
import warnings

import numpy as np

from . import anomaly, grad_mode
from .core import Tensor
from .graph import (
    AccumulateGrad,
    Node,
    grad_accumulator,
    gradient_edge,
    storage_root,
)

CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the "
    "parameter and its gradient which can cause a memory leak. We recommend using "
    "autograd.grad when creating the graph to avoid this. If you have to use this function, "
    "make sure to reset the .grad fields of your parameters to None after use to break the "
    "cycle and avoid the leak."
)


# One entry per backward pass in progress (they nest when a backward runs its own):
# whether it was restricted to some inputs (autograd.grad, backward(inputs=...)).
RUNNING_PASSES: list = []


def is_checkpoint_valid() -> bool:
    """Whether the running backward pass is a plain ``backward()``, which reentrant
    checkpointing needs (it accumulates into ``.grad`` from inside the pass)."""
    return not RUNNING_PASSES or not RUNNING_PASSES[-1]


class GraphRoot(Node):
    """Virtual node feeding the initial gradients to the outputs' nodes."""

    def __init__(self, edges, grads):
        super().__init__()
        self.next_functions = tuple(edges)
        self._grads = grads

    def apply(self, *unused):
        return self._grads


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


def _plan(order, root, capture, targets):
    """Which nodes run (``execute``) and which receive gradients (``reach``).

    With nothing asked for (plain ``backward()``) everything runs. Otherwise a
    node runs when it is a target or leads to one, and receives gradients
    when it also leads to (or is) a captured edge.
    """
    if targets is None and not capture:
        everything = set(order)
        return everything, everything
    targets = targets or set()
    captured_nodes = {node for node, _ in capture}
    reach, execute = {root}, {root}
    for node in reversed(order):  # children before parents
        child_reached = any(c in reach for c, _ in node.next_functions if c is not None)
        if child_reached or node in targets:
            execute.add(node)
        if child_reached or node in targets or node in captured_nodes:
            reach.add(node)
    return reach, execute


class _Pass:
    """What one backward pass knows while it runs (see ``run_backward``)."""

    __slots__ = ("capture", "create_graph", "execute", "owned", "results")

    def __init__(self, capture, execute, create_graph: bool, owned: set):
        self.capture, self.execute = capture, execute
        self.create_graph, self.owned = create_graph, owned
        self.results = {}


def run_backward(edges, grads, *, keep_graph: bool, create_graph: bool,
                 capture=None, targets=None):
    """Propagate ``grads`` from the ``edges`` through the graph.

    capture: {(node, output_nr): key} -- gradients to hand back (autograd.grad).
    targets: nodes that must run when only some inputs are wanted (the leaves'
        AccumulateGrad, the grad_fn of non-leaf inputs); None runs every node.
    Returns {key: gradient} for the captured edges.
    """
    root = GraphRoot(edges, grads)
    capture = capture or {}
    reach, execute = _plan(_discover([root]), root, capture, targets)
    dependencies = dict.fromkeys(reach, 0)
    for node in execute:
        for child, _ in node.next_functions:
            if child is not None and child in reach:
                dependencies[child] += 1

    owned = {id(storage_root(g._data)) for g in grads if g is not None}
    task = _Pass(capture, execute, create_graph, owned)
    step = _run_watched if anomaly.ENABLED else _run_node
    buffers = {root: []}
    ready = [(0, -math.inf, root)]
    tie = itertools.count()
    RUNNING_PASSES.append(targets is not None or bool(capture))
    try:
        # like torch's engine, everything (formulas, hooks, sums) runs in grad mode =
        # create_graph; inf * 0 in a formula is NaN silently, as in torch (anomaly mode
        # is there to catch it)
        with grad_mode.set_grad_enabled(create_graph), np.errstate(all="ignore"):
            while ready:
                node = heapq.heappop(ready)[-1]
                outputs = step(node, buffers.pop(node, None) or [None] * node.num_outputs, task)
                if outputs is None:  # captured, but not needed further
                    continue
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
    finally:
        RUNNING_PASSES.pop()
    return task.results


def _run_node(node, inputs, task: _Pass):
    """One step of the engine; returns the input gradients, or None when the node does not run."""
    if node._tensor_pre_hooks or node._retained:
        _run_tensor_hooks(node, inputs, task.owned)
    if task.capture:
        for nr, grad in enumerate(inputs):
            key = task.capture.get((node, nr))
            if key is not None:
                task.results[key] = grad
    if node not in task.execute:
        return None
    return _apply_node(node, inputs, task.create_graph, task.owned)


def _run_watched(node, inputs, task: _Pass):
    """``_run_node`` in anomaly mode: NaN check, and the forward trace on failure."""
    anomaly.RUNNING.append(node)
    try:
        outputs = _run_node(node, inputs, task)
        if outputs is not None and anomaly.CHECK_NAN:
            anomaly.check_nan(node, outputs)
        return outputs
    except Exception:
        anomaly.report(node)
        raise
    finally:
        anomaly.RUNNING.pop()


def _run_tensor_hooks(node, inputs, owned) -> None:
    """Hooks of the tensors this node produced (or of the leaf), then ``retain_grad``."""
    for nr, hooks in (node._tensor_pre_hooks or {}).items():
        for hook in list(hooks.values()):
            if inputs[nr] is None:
                break
            result = hook(inputs[nr])
            if result is not None:
                inputs[nr] = result
                owned.add(id(storage_root(result._data)))
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
    if node._pre_hooks:
        for hook in list(node._pre_hooks.values()):
            result = hook(tuple(inputs))
            if result is not None:
                inputs = list(result)
    if isinstance(node, AccumulateGrad):
        node.accumulate(inputs[0], create_graph, owned)
        outputs = ()
    elif all(g is None for g in inputs) and not isinstance(node, GraphRoot) \
            and not getattr(node, "materialize_grads", False):
        outputs = (None,) * len(node.next_functions)
    else:
        outputs = node.apply(*inputs)
    if not isinstance(outputs, tuple):
        outputs = tuple(outputs) if isinstance(outputs, list) else (outputs,)
    if getattr(node, "foreign_grads", False):
        # a custom backward may hand out tensors someone else holds: never adopt those
        # (a gradient it merely passes through is the engine's own buffer)
        passed = {id(g) for g in inputs if g is not None}
        owned.update(id(storage_root(g._data)) for g in outputs
                     if g is not None and id(g) not in passed)
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
    given tensors; a non-leaf among them starts retaining its gradient.
    """
    outputs = _as_tuple(tensors)
    if inputs is not None and not _as_tuple(inputs):
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _seed_grads(outputs, grad_tensors, create_graph)
    edges = _root_edges(outputs)
    if create_graph:
        warnings.warn(CREATE_GRAPH_WARNING, UserWarning, stacklevel=3)
    if inputs is None:
        run_backward(edges, seeds, keep_graph=retain_graph, create_graph=create_graph)
        return
    targets = set()
    for t in _as_tuple(inputs):
        node = t.grad_fn
        if node is None:
            if not t.requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            node = grad_accumulator(t)
        else:
            t.retain_grad()
        targets.add(node)
    run_backward(edges, seeds, keep_graph=retain_graph, create_graph=create_graph,
                 targets=targets)


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
    if not ins:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _seed_grads(outs, grad_outputs, create_graph)
    edges = _root_edges(outs)
    wanted = []
    for t in ins:
        edge = gradient_edge(t)
        if edge[0] is None:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        wanted.append(edge)
    capture = {edge: edge for edge in wanted}
    results = run_backward(edges, seeds, keep_graph=retain_graph, create_graph=create_graph,
                           capture=capture)
    out = []
    for i, (t, edge) in enumerate(zip(ins, wanted)):
        g = results.get(edge)
        if g is None:
            if materialize_grads:
                g = Tensor._wrap(np.zeros(t.shape, dtype=t.dtype.np))
                g._requires_grad = create_graph
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
        elif not create_graph:
            g = g.detach()
        out.append(g)
    return tuple(out)
