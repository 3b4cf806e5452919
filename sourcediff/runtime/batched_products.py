"""Matrix products of stacks of matrices (``A @ B`` with a 3-d operand, as NumPy's
``matmul``: one product per leading index), for the rules of ``rules/operators.py``.

Numba's ``@`` takes vectors and matrices only; these helpers loop over the stack and
multiply each pair of matrices with it.  The stacks must have one length (NumPy would
broadcast a stack of one against a longer one: refused here with NumPy's message).
"""
from __future__ import annotations

import numpy as np

from .declare import numba_overload, runtime_helper

__all__ = ["batched_matmul", "batched_transposed", "summed_left_transposed",
           "summed_right_transposed"]


def _same_count(a, b):
    if a.shape[0] != b.shape[0]:
        raise ValueError("matmul: the stacks of matrices have different lengths")


@runtime_helper
def batched_matmul(a, b):
    """``a @ b`` with a stack of matrices on one side or both (3-d arrays)."""
    if a.ndim == 3 and b.ndim == 3:
        _same_count(a, b)
    return np.matmul(a, b)


@numba_overload(batched_matmul)
def _(a, b):
    if a.ndim == 3 and b.ndim == 3:
        def impl(a, b):
            if a.shape[0] != b.shape[0]:
                raise ValueError("matmul: the stacks of matrices have different lengths")
            out = np.empty((a.shape[0], a.shape[1], b.shape[2]))
            for k in range(a.shape[0]):
                out[k] = np.ascontiguousarray(a[k]) @ np.ascontiguousarray(b[k])
            return out
    elif a.ndim == 3:
        def impl(a, b):
            right = np.ascontiguousarray(b)
            out = np.empty((a.shape[0], a.shape[1], b.shape[1]))
            for k in range(a.shape[0]):
                out[k] = np.ascontiguousarray(a[k]) @ right
            return out
    else:
        def impl(a, b):
            left = np.ascontiguousarray(a)
            out = np.empty((b.shape[0], a.shape[0], b.shape[2]))
            for k in range(b.shape[0]):
                out[k] = left @ np.ascontiguousarray(b[k])
            return out
    return impl


@runtime_helper
def batched_transposed(x):
    """Each matrix of the stack ``x`` transposed, a new C-contiguous array."""
    return np.ascontiguousarray(np.swapaxes(x, 1, 2))


@numba_overload(batched_transposed)
def _(x):
    def impl(x):
        out = np.empty((x.shape[0], x.shape[2], x.shape[1]))
        for k in range(x.shape[0]):
            for i in range(x.shape[1]):
                for j in range(x.shape[2]):
                    out[k, j, i] = x[k, i, j]
        return out
    return impl


@runtime_helper
def summed_left_transposed(a, dz):
    """``sum_k a[k].T @ dz[k]``: the adjoint of the matrix of ``a[k] @ y`` (one
    ``y`` for the whole stack)."""
    return np.einsum("kij,kil->jl", a, dz)


@numba_overload(summed_left_transposed)
def _(a, dz):
    def impl(a, dz):
        out = np.zeros((a.shape[2], dz.shape[2]))
        for k in range(a.shape[0]):
            out += np.ascontiguousarray(a[k]).T @ np.ascontiguousarray(dz[k])
        return out
    return impl


@runtime_helper
def summed_right_transposed(dz, b):
    """``sum_k dz[k] @ b[k].T``: the adjoint of the matrix of ``x @ b[k]``."""
    return np.einsum("kil,kjl->ij", dz, b)


@numba_overload(summed_right_transposed)
def _(dz, b):
    def impl(dz, b):
        out = np.zeros((dz.shape[1], b.shape[1]))
        for k in range(dz.shape[0]):
            out += np.ascontiguousarray(dz[k]) @ np.ascontiguousarray(b[k]).T
        return out
    return impl
