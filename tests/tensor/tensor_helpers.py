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
