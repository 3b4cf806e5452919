"""Activation checkpointing (``torch.utils.checkpoint.checkpoint``): recompute in backward.

``checkpoint(fn, *args, use_reentrant=False)`` runs ``fn`` as usual but keeps
none of the tensors its operations save for backward: each is stored as a
number, and the first time backward needs one, ``fn`` runs again (same random
state) to make them all anew. Same gradients, less memory held between
forward and backward.

``use_reentrant=True`` is PyTorch's older variant: ``fn`` runs without
recording, and the checkpoint's backward re-runs it with recording and calls
``backward()`` from inside the backward pass (so it cannot serve
``autograd.grad``).

>>> import sourcediff as sd
>>> from sourcediff.utils.checkpoint import checkpoint
>>> x = sd.tensor([0.5, 1.0], requires_grad=True)
>>> checkpoint(lambda t: t.exp().sin(), x, use_reentrant=False).sum().backward()
>>> x.grad
tensor([-0.1283, -2.4784])
"""

from __future__ import annotations

import contextlib
import warnings

from ..tensor import engine, grad_mode
from ..tensor.core import Tensor
from ..tensor.custom_function import Function
from ..tensor.graph import saved_tensors_hooks
from ..tensor.rng import get_rng_state, set_rng_state

USE_REENTRANT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
    "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants."
)


class CheckpointError(RuntimeError):
    """The recomputation did not save what the original forward saved."""


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


def checkpoint(function, *args, use_reentrant: bool | None = None,
               context_fn=noop_context_fn, determinism_check: str = "default",
               debug: bool = False, **kwargs):
    """Run ``function(*args, **kwargs)`` now and again during backward instead of keeping
    the tensors it saves for backward."""
    if use_reentrant is None:
        warnings.warn(USE_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if context_fn is not noop_context_fn or debug:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)
    return _Recomputer(function, args, kwargs, preserve, context_fn).run()


# ---------------------------------------------------------------------------
# use_reentrant=False: saved-tensor hooks that store an index


class _Recomputer:
    """Stands in for the tensors one checkpointed call saves: they are recomputed on demand."""

    def __init__(self, function, args, kwargs, preserve_rng: bool, context_fn):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.rng_state = get_rng_state() if preserve_rng else None
        self.context_fn = context_fn
        self.saved_meta = []  # (shape, dtype) per saved tensor, in order
        self.recomputed = {}  # index -> tensor, emptied as backward takes them

    def run(self):
        forward_context, _ = self.context_fn()
        with saved_tensors_hooks(self._pack, self._unpack), forward_context:
            return self.function(*self.args, **self.kwargs)

    def _pack(self, tensor: Tensor) -> int:
        self.saved_meta.append((tuple(tensor.shape), tensor.dtype))
        return len(self.saved_meta) - 1

    def _unpack(self, index: int) -> Tensor:
        if index not in self.recomputed:
            self._recompute()
        return self.recomputed.pop(index)

    def _recompute(self) -> None:
        """Run the function again, with recording on, and keep what it saves."""
        saved = []

        def keep(tensor):
            saved.append(tensor.detach())
            return len(saved) - 1

        args = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a
                for a in self.args]
        _, recompute_context = self.context_fn()
        outer_rng = get_rng_state()
        if self.rng_state is not None:
            set_rng_state(self.rng_state)
        try:
            with saved_tensors_hooks(keep, _never), grad_mode.enable_grad(), recompute_context:
                self.function(*args, **self.kwargs)
        finally:
            set_rng_state(outer_rng)
        self._check(saved)
        self.recomputed = dict(enumerate(saved))

    def _check(self, saved) -> None:
        if len(saved) != len(self.saved_meta):
            raise CheckpointError(
                "torch.utils.checkpoint: A different number of tensors was saved during the "
                "original forward and recomputation.\n"
                f"Number of tensors saved during forward: {len(self.saved_meta)}\n"
                f"Number of tensors saved during recomputation: {len(saved)}.")
        different = ""
        for i, (meta, t) in enumerate(zip(self.saved_meta, saved)):
            if meta != (tuple(t.shape), t.dtype):
                different += (f"tensor at position {i}:\nsaved metadata: {meta}\n"
                              f"recomputed metadata: {(tuple(t.shape), t.dtype)}\n")
        if different:
            raise CheckpointError("torch.utils.checkpoint: Recomputed values for the following "
                                  "tensors have different metadata than during the forward "
                                  f"pass.\n{different}.")


def _never(index):  # pragma: no cover - the recomputed graph is never run backward
    raise RuntimeError("a checkpoint recomputation was differentiated")


# ---------------------------------------------------------------------------
# use_reentrant=True: a custom Function whose backward runs a backward


class CheckpointFunction(Function):
    """Forward without a graph; backward recomputes with one and runs ``backward()`` on it."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        ctx.run_function = run_function
        ctx.rng_state = get_rng_state() if preserve_rng_state else None
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                          UserWarning, stacklevel=4)
        ctx.save_for_backward(*(args[i] for i in ctx.tensor_positions))
        return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        if not engine.is_checkpoint_valid():
            raise RuntimeError("When use_reentrant=True, torch.utils.checkpoint is incompatible "
                               "with .grad() or passing an `inputs` parameter to .backward(). "
                               "To resolve this error, you can either set use_reentrant=False, "
                               "or call .backward() without passing the `inputs` argument.")
        inputs = list(ctx.inputs)
        for position, tensor in zip(ctx.tensor_positions, ctx.saved_tensors):
            inputs[position] = tensor.detach().requires_grad_(tensor.requires_grad)
        outer_rng = get_rng_state()
        if ctx.rng_state is not None:
            set_rng_state(ctx.rng_state)
        try:
            with grad_mode.enable_grad():
                outputs = ctx.run_function(*inputs)
        finally:
            set_rng_state(outer_rng)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads)
                 if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is "
                               "not necessary")
        engine.backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(a.grad if isinstance(a, Tensor) else None for a in inputs)
