"""Helpers shared by the Tensor tests (imported by name: tests/ has no packages)."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest

try:
    import torch as TORCH

    TORCH.set_num_threads(1)  # small ops; avoids thread start-up noise on tiny machines
except ImportError:  # pragma: no cover - depends on the machine
    TORCH = None

needs_torch = pytest.mark.skipif(TORCH is None, reason="torch not installed")


def values(t) -> np.ndarray:
    """A tensor of either library as a float64 NumPy array."""
    return np.asarray(t.detach().numpy(), dtype=np.float64)


def run_printing(code: str, namespace: dict | None = None):
    """Execute ``code``; return (stdout, warnings raised, namespace)."""
    namespace = {"__name__": "__snippet__"} if namespace is None else namespace
    out = io.StringIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<snippet>", "exec"), namespace)  # noqa: S102 - runs snippets
    return out.getvalue(), [str(w.message) for w in caught], namespace


# PyTorch's wording, shared by the tests that check it
SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)
NON_LEAF_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward()."
)
