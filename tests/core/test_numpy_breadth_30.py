"""NumPy functions SPEC section 3 lists that were refused: ``np.tensordot``
(int and paired axes), ``np.concatenate`` along another axis, vector norms
with ``ord`` and no axis, ``np.rot90``, ``np.repeat`` / ``np.tile`` of 2-d
arrays, a boolean row mask into a 2-d array.  ``np.squeeze`` without an axis
and ``...`` in ``np.einsum`` subscripts stay refused (the first needs the
axes' lengths, the second the operands' ranks, at transform time).

Each is checked against central finite differences (float64) on the
``python`` and ``cpu`` targets and against ``jax.grad`` of the same source
with ``np`` bound to ``jax.numpy``; what stays unsupported is refused at
transform time with a ``TransformError`` naming the line.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad
from jaxcheck import jax_grad

RNG = np.random.default_rng(30)


def _rand(*shape):
    return RNG.uniform(-1.0, 1.0, shape)


# -- tensordot ---------------------------------------------------------------------------
def tensordot_int(A, B):
    return np.sum(np.tensordot(A, B, axes=1) ** 2)


def tensordot_default(A, B):
    return np.sum(np.sin(np.tensordot(A, B)))


def tensordot_zero(a, b):
    return np.sum(np.tensordot(a, b, 0) ** 2)


def tensordot_lists(A, B):
    return np.sum(np.tensordot(A, B, axes=([0, 1], [1, 0])) ** 2)


def tensordot_tuples(A, B):
    return np.sum(np.cos(np.tensordot(A, B, axes=((2,), (-1,)))))


def tensordot_pair_ints(A, B):
    z = np.tensordot(A, B.T, (1, 0))
    return np.sum(z * z * A[0, 0])


# -- concatenate along another axis --------------------------------------------------------
def concat_axis1(A, B):
    return np.sum(np.concatenate((A, B), axis=1) ** 2 * np.arange(5.0))


def concat_last(A, B, c):
    return np.sum(np.sin(np.concatenate([A, B * c, A], axis=-1)))


def concat_3d(A, B):
    z = np.concatenate((A, B), axis=1)
    return np.sum(z * z * z)


# -- vector norms with ord, no axis ----------------------------------------------------------
def norm_orders(x):
    return np.linalg.norm(x, ord=1) + np.linalg.norm(x, ord=np.inf) + 0.5 * np.linalg.norm(x, 2)


def norm_positional(x):
    return np.linalg.norm(x * x, 1) * np.linalg.norm(np.sin(x), np.inf)


# -- rot90, repeat and tile ---------------------------------------------------------------------
def rot90_default(A):
    return np.sum(np.rot90(A) * A ** 2)


def rot90_turns(A):
    w = np.arange(12.0).reshape(4, 3)
    return (np.sum(np.rot90(A, 2) * w) + np.sum(np.rot90(A, k=3) ** 3)
            + np.sum(np.sin(np.rot90(A, -1, axes=(1, 0)))))


def repeat_axis0(A):
    return np.sum(np.repeat(A, 2, axis=0) ** 2 * np.arange(12.0).reshape(6, 2))


def repeat_axis1(A, r):
    B = A.repeat(r, axis=1)
    return np.sum(np.sin(B) * np.arange(B.shape[1]))


def repeat_last(A):
    return np.sum(np.cos(np.repeat(A, 3, -1)) * np.arange(18.0).reshape(2, 9))


def tile_rows(A):
    return np.sum(np.sin(np.tile(A, (2, 1))) * np.arange(12.0).reshape(4, 3))


def tile_both(A, x):
    return np.sum(np.tile(A, [2, 3]) ** 2 * np.arange(36.0).reshape(4, 9)) + \
        np.sum(np.tile(x, (3,)) ** 3 * np.arange(6.0))


# -- a 1-d boolean mask picking rows ------------------------------------------------------------
def rowmask_read(A):
    return np.sum(A[A[:, 0] > 0.0] ** 3)


def rowmask_loop(A):
    s = 0.0
    for i in range(A.shape[1]):
        rows = A[A[:, i] > 0.0]
        s += np.sum(rows ** 2) * (i + 1.0)
    return s


def rowmask_write(A):
    B = A * 1.0
    B[B[:, 1] > 0.0] += 1.0
    return np.sum(B ** 2)


# the same math without a value-dependent shape, which jax.grad cannot trace
def rowmask_read_jax(A):
    return np.sum(np.where(A[:, 0:1] > 0.0, A ** 3, 0.0))


def rowmask_loop_jax(A):
    s = 0.0
    for i in range(A.shape[1]):
        s += np.sum(np.where(A[:, i:i + 1] > 0.0, A ** 2, 0.0)) * (i + 1.0)
    return s


def rowmask_write_jax(A):
    return np.sum(np.where(A[:, 1:2] > 0.0, A + 1.0, A) ** 2)


JAX_SAME_MATH = {"rowmask_read": rowmask_read_jax, "rowmask_loop": rowmask_loop_jax,
                 "rowmask_write": rowmask_write_jax}

ROWS = np.array([[1.0, 2.0, -0.3], [-1.0, 3.0, 0.4], [0.5, -0.1, 0.2], [0.2, 0.6, -0.9]])


CASES = {
    "tensordot_int": (tensordot_int, (_rand(2, 3), _rand(3, 4)), (0, 1)),
    "tensordot_default": (tensordot_default, (_rand(2, 3, 4), _rand(3, 4, 2)), (0, 1)),
    "tensordot_zero": (tensordot_zero, (_rand(3), _rand(2, 2)), (0, 1)),
    "tensordot_lists": (tensordot_lists, (_rand(2, 3, 4), _rand(3, 2, 5)), (0, 1)),
    "tensordot_tuples": (tensordot_tuples, (_rand(2, 3, 4), _rand(5, 4)), (0, 1)),
    "tensordot_pair_ints": (tensordot_pair_ints, (_rand(2, 3), _rand(4, 3)), (0, 1)),
    "concat_axis1": (concat_axis1, (_rand(3, 2), _rand(3, 3)), (0, 1)),
    "concat_last": (concat_last, (_rand(2, 2), _rand(2, 3), 0.7), (0, 1, 2)),
    "concat_3d": (concat_3d, (_rand(2, 1, 3), _rand(2, 2, 3)), (0, 1)),
    "norm_orders": (norm_orders, (np.array([0.3, -1.2, 0.7, 0.1]),), 0),
    "norm_positional": (norm_positional, (np.array([0.3, -1.2, 0.7]),), 0),
    "rot90_default": (rot90_default, (_rand(3, 3),), 0),
    "rot90_turns": (rot90_turns, (_rand(4, 3),), 0),
    "repeat_axis0": (repeat_axis0, (_rand(3, 2),), 0),
    "repeat_axis1": (repeat_axis1, (_rand(3, 2), 3), 0),
    "repeat_last": (repeat_last, (_rand(2, 3),), 0),
    "tile_rows": (tile_rows, (_rand(2, 3),), 0),
    "tile_both": (tile_both, (_rand(2, 3), _rand(2)), (0, 1)),
    "rowmask_read": (rowmask_read, (ROWS,), 0),
    "rowmask_loop": (rowmask_loop, (ROWS,), 0),
    "rowmask_write": (rowmask_write, (ROWS,), 0),
}


# Every case runs on the python target; the cpu target compiles one or two of each
# function's forms (a Numba compile per case was most of this file's time, 4 s each).
# The axes, counts and turns are constants the transform resolves (checked on the python
# target), so the forms left out compile the same calls as a form kept:
# tensordot_default, _zero, _tuples and _pair_ints by tensordot_lists (pairs of axes,
# 3-d) and tensordot_int; concat_axis1 by concat_last (axis -1 of 2-d arrays, the same
# axis) and concat_3d; norm_positional by norm_orders (ord 1 and inf, as keywords);
# rot90_default by rot90_turns (k of 2, 3 and -1, axes); repeat_last by repeat_axis1
# (the last axis of a 2-d array); tile_rows by tile_both (a 2-d tile of a 2-d array);
# rowmask_read by rowmask_loop (a boolean row mask read, in a loop).
GRAD_NOT_CPU = {"tensordot_default", "tensordot_zero", "tensordot_tuples",
                "tensordot_pair_ints", "concat_axis1", "norm_positional", "rot90_default",
                "repeat_last", "tile_rows", "rowmask_read"}
GRAD_CASES = [(name, "python") for name in sorted(CASES)] + \
    [(name, "cpu") for name in sorted(CASES) if name not in GRAD_NOT_CPU]


@pytest.mark.parametrize("name,target", GRAD_CASES, ids=[f"{n}-{t}" for n, t in GRAD_CASES])
def test_gradient(name, target):
    f, args, wrt = CASES[name]
    check_grad(f, args, wrt, target)


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_jax(name):
    f, args, wrt = CASES[name]
    # the transform test_gradient compiled (the python target's for GRAD_NOT_CPU)
    ours = sd.grad(f, wrt=wrt, target="python" if name in GRAD_NOT_CPU else "cpu")(*args)
    ours = ours if isinstance(wrt, tuple) else (ours,)
    for a, b in zip(ours, jax_grad(JAX_SAME_MATH.get(name, f), args, wrt)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# -- refused, with the line named --------------------------------------------------------
def tensordot_runtime_axes(A, B, k):
    return np.sum(np.tensordot(A, B, axes=k))


def norm_matrix_ord(A):
    return np.linalg.norm(A, ord=1)


def squeeze_no_axis(x):
    y = np.expand_dims(x, 0)
    return np.sum(np.squeeze(y * 2.0) ** 2)


def einsum_ellipsis(A):
    return np.sum(np.einsum('...ij,...jk->...ik', A, A))


REFUSED = {
    "squeeze_no_axis": (squeeze_no_axis, (_rand(3),), "np.squeeze(y, axis=0)"),
    "einsum_ellipsis": (einsum_ellipsis, (_rand(3, 3),), "no '...'"),
    "norm_matrix_ord": (norm_matrix_ord, (_rand(2, 3),), "for 1-d arrays"),
    "tensordot_runtime_axes": (tensordot_runtime_axes, (_rand(2, 3), _rand(3, 2), 1),
                               "axes must be a constant"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused(name):
    f, args, words = REFUSED[name]
    with pytest.raises(sd.TransformError) as info:
        sd.grad(f, wrt=0, target="python")(*args)
    assert words in str(info.value)
    assert f"{Path(__file__).name}:" in str(info.value)
