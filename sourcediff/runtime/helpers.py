"""Array helpers used by generated adjoint code.

Each helper is a plain NumPy function (the ``"python"`` target runs it as
is) declared with its Numba overload (``runtime/declare.py``), so the
``"cpu"`` target compiles it in nopython mode.  Numba lacks ``axis=`` for
``np.mean/max/min/prod``; the ``*_axis`` helpers stand in for them in primal
code too.
"""
from __future__ import annotations

import numpy as np

from .declare import install_numba_overloads, jitable, numba_overload, runtime_helper
from .joins import append_flat, column_stack2, hstack2, pad_constant, vstack2

__all__ = [
    "add_into",
    "add_ties_shared",
    "append_flat",
    "as_vector",
    "broadcast_into",
    "broadcast_length",
    "cholesky_adjoint",
    "cholesky_adjoint_tangent",
    "cholesky_tangent",
    "column_stack2",
    "eigh_values",
    "eigh_values_adjoint",
    "eigh_values_adjoint_along_v",
    "eigh_values_tangent",
    "eigh_vectors",
    "eigh_vectors_adjoint",
    "eigh_vectors_adjoint_along_v",
    "eigh_vectors_adjoint_along_w",
    "eigh_vectors_tangent",
    "empty_grid",
    "empty_rows",
    "empty_stack",
    "equal_length",
    "first_axis_last",
    "fresh",
    "hstack2",
    "install_numba_overloads",
    "keep_all_dims",
    "last_axis_first",
    "last_pair_writes",
    "last_writes",
    "logabsdet",
    "max_axis",
    "mean_axis",
    "min_axis",
    "outer_product",
    "pad_constant",
    "prod_axis",
    "prod_others",
    "prod_others_along",
    "prod_others_along_jvp",
    "prod_others_jvp",
    "reshape_like",
    "reuse_zeros",
    "room_for",
    "searchsorted_right",
    "share_ties",
    "share_ties_along",
    "slice_length",
    "slice_start",
    "slogdet_sign",
    "sort_rows_like",
    "store_row",
    "sub_into",
    "sum_axis",
    "tangent_like",
    "ties_shared",
    "transpose_axes",
    "transposed",
    "unbroadcast",
    "unpermute",
    "unsort_rows",
    "vstack2",
    "wrap_index",
]


@runtime_helper
def fresh(g):
    """``g`` itself when it is a number, a copy when it is an array: an adjoint
    that must not share memory with another one that is still accumulated into."""
    return g.copy() if isinstance(g, np.ndarray) else g


@numba_overload(fresh)
def _(g):
    from numba import types
    if isinstance(g, types.Array):
        return lambda g: g.copy()
    return lambda g: g


@runtime_helper
def reuse_zeros(buffer, x):
    """``buffer`` (all zeros) when it has ``x``'s shape, else ``np.zeros_like(x)``:
    the adjoint buffer a moved array leaves behind, reused for the array its
    name held before (no allocation per step).

    >>> reuse_zeros(np.zeros(3), np.ones(3)).shape, reuse_zeros(np.zeros(2), np.ones(3)).shape
    ((3,), (3,))
    """
    return buffer if buffer.shape == x.shape else np.zeros_like(x)


@numba_overload(reuse_zeros)
def _(buffer, x):
    def impl(buffer, x):
        if buffer.shape == x.shape:
            return buffer
        return np.zeros_like(x)
    return impl


@runtime_helper
def outer_product(a, b):
    """``np.outer(a, b)`` of two vectors, the adjoint of a matrix-vector
    product; compiled as two loops (Numba's own ``np.outer`` takes about 1.5 s
    to compile the first time, these 0.1 s).

    >>> outer_product(np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])).shape
    (2, 3)
    """
    return np.outer(a, b)


@numba_overload(outer_product)
def _(a, b):
    from numba.np.numpy_support import as_dtype
    kind = np.result_type(as_dtype(a.dtype), as_dtype(b.dtype)).type

    def impl(a, b):
        out = np.empty((a.shape[0], b.shape[0]), kind)
        for i in range(a.shape[0]):
            for j in range(b.shape[0]):
                out[i, j] = a[i] * b[j]
        return out
    return impl


@runtime_helper
def transposed(x):
    """``x.T`` of a matrix as a new C-contiguous array, in the adjoints of matrix
    products: Numba compiles ``@`` once per combination of memory layouts (0.2 s
    each), and a transpose is a layout of its own; the copy's loops compile in a
    fraction of that.

    >>> transposed(np.arange(6.0).reshape(2, 3)).flags.c_contiguous
    True
    """
    return np.ascontiguousarray(x.T)


def _transpose_copy(x):
    """The overload of a matrix's transpose copied by two loops."""
    dtype = x.dtype

    def impl(x):
        m, n = x.shape
        out = np.empty((n, m), dtype)
        for j in range(n):
            for i in range(m):
                out[j, i] = x[i, j]
        return out
    return impl


numba_overload(transposed)(_transpose_copy)


@runtime_helper
def add_into(view, g):
    """``view += g`` for a view of an adjoint (``dx[i, :] += g`` in generated code is
    ``add_into(dx[i, :], g)``): Numba compiles a slice assignment from an array
    with its error message's string formatting, over a second the first time;
    an in-place addition to the view is the same update without it.

    >>> d = np.zeros((2, 2)); add_into(d[0, :], np.array([1.0, 2.0])); d[0]
    array([1., 2.])
    """
    view += g


@numba_overload(add_into)
def _(view, g):
    def impl(view, g):
        view += g
    return impl


@runtime_helper
def sub_into(view, g):
    """``view -= g`` for a view (the user's ``a[i] -= row``): see :func:`add_into`.

    >>> d = np.zeros((2, 2)); sub_into(d[1], np.array([1.0, 2.0])); d[1]
    array([-1., -2.])
    """
    view -= g


@numba_overload(sub_into)
def _(view, g):
    def impl(view, g):
        view -= g
    return impl


@runtime_helper
def copy_into(view, g):
    """``view[...] = g`` for a view (the user's ``c[:m] = t[:m]`` or ``U[i] = row``
    in generated code is ``copy_into(c[:m], t[:m])``): Numba compiles a slice
    assignment from an array with its error message's string formatting, over
    a second the first time; a loop over a vector does the same copy without it.

    >>> c = np.arange(4.0); copy_into(c[1:], c[:-1]); c
    array([0., 0., 1., 2.])
    """
    view[...] = g


@numba_overload(copy_into)
def _(view, g):
    from numba import types
    if isinstance(g, types.Array) and g.ndim == 2 and view.ndim == 2:
        def impl_matrix(view, g):
            m, n = view.shape
            gm, gn = g.shape
            if gm != m and gm != 1 or gn != n and gn != 1:
                raise ValueError("could not broadcast the value into the slice it is "
                                 "assigned to")
            h = g.copy() if _may_overlap(view, g) else g
            for i in range(m):
                for j in range(n):
                    h_i = i if gm != 1 else 0
                    h_j = j if gn != 1 else 0
                    view[i, j] = h[h_i, h_j]
        return impl_matrix
    if not (isinstance(g, types.Array) and g.ndim == 1 and view.ndim == 1):
        def impl_any(view, g):
            view[...] = g
        return impl_any

    def impl_vector(view, g):
        n = view.shape[0]
        m = g.shape[0]
        if m != n and m != 1:
            raise ValueError("could not broadcast the value into the slice it is assigned to")
        if m == 1:
            v = g[0]
            for i in range(n):
                view[i] = v
        elif view.strides[0] <= 0 or g.strides[0] <= 0:
            h = g.copy()                 # a reversed view may overlap either way
            for i in range(n):
                view[i] = h[i]
        elif view.ctypes.data > g.ctypes.data:
            for i in range(n - 1, -1, -1):   # g may overlap view from below: last first
                view[i] = g[i]
        else:
            for i in range(n):
                view[i] = g[i]
    return impl_vector


@jitable
def _may_overlap(a, b):
    """The bytes ``a`` and ``b`` span intersect (both 2-d)."""
    a_lo, a_hi = _span(a)
    b_lo, b_hi = _span(b)
    return a_lo < b_hi and b_lo < a_hi


@jitable
def _span(a):
    lo = a.ctypes.data
    hi = a.ctypes.data + a.itemsize
    for k in range(2):
        reach = (a.shape[k] - 1) * a.strides[k]
        if reach < 0:
            lo += reach
        else:
            hi += reach
    return lo, hi


@runtime_helper
def room_for(stack, need):
    """``stack`` itself when it has ``need`` slots (its first axis), else a copy
    with room for at least twice as many as it had: a tape sized by a bound on a
    ``while`` loop's trips starts small and grows where a trip starts.

    >>> s = np.arange(2.0); room_for(s, 2) is s, room_for(s, 3)[:2], room_for(s, 9).shape
    (True, array([0., 1.]), (9,))
    """
    if need <= stack.shape[0]:
        return stack
    out = np.empty((max(need, 2 * stack.shape[0]),) + stack.shape[1:], stack.dtype)
    out[:stack.shape[0]] = stack
    return out


@numba_overload(room_for)
def _(stack, need):
    def impl(stack, need):
        if need <= stack.shape[0]:
            return stack
        out = np.empty((max(need, 2 * stack.shape[0]),) + stack.shape[1:], stack.dtype)
        # (element loops: a slice assignment compiles its error formatting, seconds)
        flat, old = out.reshape(-1), stack.reshape(-1)
        for k in range(old.shape[0]):
            flat[k] = old[k]
        return out
    return impl


@runtime_helper
def store_row(rows, k, value):
    """``rows[k] = value``: a tape's push of an array (``rows`` a stack of them).

    Compiled as element loops: Numba's slice assignment from an array compiles its
    error message's formatting, about 2.5 s the first time in a process.  The loops
    need no overlap check (NumPy copies through a buffer when the two overlap):
    a tape is allocated by the adjoint and never shares memory with a value.

    >>> r = np.zeros((2, 3)); store_row(r, 1, np.arange(3.0)); r[1]
    array([0., 1., 2.])
    """
    rows[k] = value


@numba_overload(store_row)
def _(rows, k, value):
    if value.ndim == 1:
        def impl(rows, k, value):
            row = rows[k]
            if row.shape[0] != value.shape[0]:
                raise ValueError("a stored array's shape changed between iterations")
            for j in range(value.shape[0]):
                row[j] = value[j]
        return impl
    if value.ndim == 2:
        def impl(rows, k, value):
            row = rows[k]
            if row.shape[0] != value.shape[0] or row.shape[1] != value.shape[1]:
                raise ValueError("a stored array's shape changed between iterations")
            for i in range(value.shape[0]):
                for j in range(value.shape[1]):
                    row[i, j] = value[i, j]
        return impl

    def impl(rows, k, value):       # (higher ranks: Numba's own copy)
        rows[k] = value
    return impl


@runtime_helper
def unbroadcast(g, x):
    """Sum the adjoint ``g`` of a broadcast result down to the shape of ``x``."""
    g = np.asarray(g)
    xs = np.shape(x)
    if g.ndim == 0:
        return g.item() if not np.ndim(x) else np.full(xs, g.item())
    while g.ndim > len(xs):
        g = g.sum(axis=0)
    for k, n in enumerate(xs):
        if n == 1 and g.shape[k] != 1:
            g = g.sum(axis=k, keepdims=True)
    return g if np.ndim(x) else g.item()


@jitable
def _as_is(g):
    return g


@jitable
def _copied(g):
    return g.copy()


@numba_overload(unbroadcast)
def _(g, x):
    """For any ranks NumPy broadcasting allows: leading axes summed away, then
    each axis where ``x`` has length 1 summed with its axis kept. Plain loops,
    written out for vectors and matrices: Numba compiles them in a fraction of
    the time of ``np.sum`` with ``axis`` (seconds the first time: its error path
    formats strings), which this was before."""
    from numba import types
    if not isinstance(g, types.Array):
        return lambda g, x: g
    if not isinstance(x, types.Array):
        return lambda g, x: np.sum(g)
    dtype = g.dtype
    # nothing to sum: ``g`` itself, as the Python version returns (generated code
    # treats the result as a view of g, passes/reverse.py ``_may_be_a_view``),
    # where its type is the one a new array has (contiguous, writable); a copy
    # otherwise, so that both branches return one type
    same = _as_is if g.layout == "C" and g.mutable else _copied
    if g.ndim == 1 and x.ndim == 1:
        # vector onto vector (``z = u + b``), the usual case: summed only when x
        # has length 1
        def impl_vector(g, x):
            n = g.shape[0]
            if x.shape[0] != 1 or n == 1:
                return same(g)
            out = np.zeros(1, dtype)
            for i in range(n):
                out[0] += g[i]
            return out
        return impl_vector
    if g.ndim == 2 and x.ndim == 2:
        def impl_matrix(g, x):
            m, n = g.shape
            rows = x.shape[0] == 1 and m != 1
            cols = x.shape[1] == 1 and n != 1
            if not (rows or cols):
                return same(g)
            out = np.zeros((1 if rows else m, 1 if cols else n), dtype)
            for i in range(m):
                for j in range(n):
                    out[0 if rows else i, 0 if cols else j] += g[i, j]
            return out
        return impl_matrix
    if g.ndim == 2 and x.ndim == 1:
        def impl_matrix_onto_vector(g, x):
            m, n = g.shape
            summed = x.shape[0] == 1 and n != 1
            out = np.zeros(1 if summed else n, dtype)
            for i in range(m):
                for j in range(n):
                    out[0 if summed else j] += g[i, j]
            return out
        return impl_matrix_onto_vector
    return _unbroadcast_loops(g.ndim, x.ndim)


def _unbroadcast_loops(gnd, nd):
    """``unbroadcast`` of a ``gnd``-d adjoint onto an ``nd``-d array (``gnd >= 3``):
    an odometer over the rows of ``g`` adds each row into the row of the result it
    broadcast from (a row summed into one number where ``x``'s last axis has
    length 1); no reduction needed, a copy."""
    from numba.np.unsafe.ndarray import to_fixed_tuple
    lead = gnd - nd

    def impl(g, x):
        gc = np.ascontiguousarray(g)
        gshape = np.empty(gnd, np.int64)
        for k in range(gnd):
            gshape[k] = gc.shape[k]
        shape = np.empty(nd, np.int64)
        reduced = lead > 0
        for k in range(nd):
            shape[k] = gshape[lead + k]
            if x.shape[k] == 1 and shape[k] != 1:
                shape[k] = 1
                reduced = True
        out = np.zeros(to_fixed_tuple(shape, nd), g.dtype)
        flat_out = out.reshape(out.size)
        flat_g = gc.reshape(gc.size)
        if not reduced:
            for i in range(gc.size):     # (a slice assignment compiles its error message)
                flat_out[i] = flat_g[i]
            return out
        step = np.zeros(gnd, np.int64)     # how far the result's index moves per axis
        size = 1
        for k in range(nd - 1, -1, -1):
            if shape[k] != 1:
                step[lead + k] = size
            size *= shape[k]
        inner = gshape[gnd - 1]
        if gc.size == 0:
            return out
        at = np.zeros(gnd, np.int64)
        o = 0
        start = 0
        for _ in range(gc.size // inner):
            if step[gnd - 1] == 0:
                total = flat_out[o]
                for j in range(inner):
                    total += flat_g[start + j]
                flat_out[o] = total
            else:
                for j in range(inner):
                    flat_out[o + j] += flat_g[start + j]
            start += inner
            k = gnd - 2
            while k >= 0:
                at[k] += 1
                o += step[k]
                if at[k] < gshape[k]:
                    break
                o -= step[k] * gshape[k]
                at[k] = 0
                k -= 1
        return out
    return impl


@runtime_helper
def reshape_like(g, x):
    """``g`` reshaped to the shape of ``x`` (contiguous first, as Numba needs)."""
    return np.ascontiguousarray(g).reshape(x.shape)


@numba_overload(reshape_like)
def _(g, x):
    from numba import types
    if not isinstance(x, types.Array):
        return lambda g, x: np.sum(g)
    return lambda g, x: np.ascontiguousarray(g).reshape(x.shape)


@runtime_helper(jit=True)
def broadcast_length(n, m):
    """The length NumPy's broadcasting makes of two axes of lengths ``n`` and
    ``m`` (one of length 1 is stretched: ``(1,)`` and ``(3,)`` give 3); a
    ValueError, as NumPy's, for other lengths.  The element loops of
    ``passes/lower.py`` run over it."""
    if n == m or m == 1:
        return n
    if n == 1:
        return m
    raise ValueError("operands could not be broadcast together: axes of different "
                     "lengths, neither of them 1")


@runtime_helper(jit=True)
def broadcast_into(m, n):
    """``n``, where an axis of length ``m`` may be stored into one of length
    ``n`` (``m`` is ``n`` or 1, as NumPy's ``a[1:-1] = v`` needs); else a ValueError."""
    if m != n and m != 1:
        raise ValueError("could not broadcast input array into the slice stored into: "
                         "lengths differ and the input's is not 1")
    return n


@runtime_helper(jit=True)
def check_assertion(ok, message):
    """The user's ``assert test, message`` where it runs: an AssertionError
    with ``message`` when ``test`` (a number or a bool) is false (passes/normalize.py).

    >>> check_assertion(1.0 > 0.0, "positive")
    0
    """
    if not ok:
        raise AssertionError(message)
    return 0


@runtime_helper(jit=True)
def equal_length(n, m):
    """``n``, where rows of lengths ``n`` and ``m`` run in one element loop
    (``X[i] - C[a[i]]``, passes/lower.py); else a ValueError (NumPy raises
    too, or broadcasts a row of one element, which the loop does not)."""
    if n != m:
        raise ValueError("rows of different lengths in one elementwise operation "
                         "(sourcediff's element loops need rows of equal length)")
    return n


@runtime_helper(jit=True)
def slice_start(lo, n):
    """The first element ``a[lo:]`` of an axis of length ``n`` takes (NumPy's:
    a negative ``lo`` counts from the end; clipped to ``[0, n]``;
    passes/slice_dots.py).

    >>> slice_start(2, 5), slice_start(-2, 5), slice_start(9, 5), slice_start(-9, 5)
    (2, 3, 5, 0)
    """
    if lo < 0:
        lo += n
    return min(max(lo, 0), n)


@runtime_helper(jit=True)
def slice_length(lo, hi, n):
    """The length of ``a[lo:hi]`` along an axis of length ``n`` (NumPy's; the
    element loop of a dot product of such slices, passes/slice_dots.py).

    >>> slice_length(0, 3, 5), slice_length(0, 9, 5), slice_length(1, -1, 5), slice_length(4, 2, 5)
    (3, 5, 3, 0)
    """
    return max(slice_start(hi, n) - slice_start(lo, n), 0)


@runtime_helper
def wrap_index(i, n):
    """``i % n`` of integers, without the division where ``0 <= i < n`` (all
    but the ends of a loop over a periodic axis: ``x[(j + 1) % n]``,
    passes/wrap_indices.py).

    >>> wrap_index(3, 4), wrap_index(4, 4), wrap_index(-1, 4)
    (3, 0, 3)
    """
    if 0 <= i < n:
        return i
    return i % n


@numba_overload(wrap_index, inline="always")
def _(i, n):
    # inlined where it is called (Numba's IR): a call LLVM cannot see into keeps
    # a remainder of the outer counter (u[(i + 1) % n, j]) from being hoisted out
    # of the inner loop, and the loop from vectorizing (a periodic 2-D wave's
    # gradient 1.0 -> 1.6 ms as a call)
    def impl(i, n):
        if 0 <= i < n:
            return i
        return i % n
    return impl


@runtime_helper(jit=True)
def searchsorted_right(a, v):
    """``np.searchsorted(a, v, side="right")`` (Numba takes the side only as a
    literal string): the insertion points after equal elements."""
    return np.searchsorted(a, v, side="right")


@runtime_helper(jit=True)
def last_writes(idx, n):
    """1.0 at the positions of the index array ``idx`` (into an axis of length
    ``n``) that write their element last, 0.0 where a later position writes it
    again: ``y[idx] = v`` keeps the last value written, as NumPy does, so only
    those values reach ``y``."""
    keep = np.zeros(idx.shape[0])
    seen = np.zeros(n, np.bool_)
    for k in range(idx.shape[0] - 1, -1, -1):
        j = idx[k] + n if idx[k] < 0 else idx[k]
        if not seen[j]:
            seen[j] = True
            keep[k] = 1.0
    return keep


@runtime_helper(jit=True)
def last_pair_writes(rows, cols, n_rows, n_cols):
    """``last_writes`` of ``Z[rows, cols] = v``: position k writes the element
    (rows[k], cols[k]); 1.0 where no later position writes the same one."""
    keep = np.zeros(rows.shape[0])
    seen = np.zeros((n_rows, n_cols), np.bool_)
    for k in range(rows.shape[0] - 1, -1, -1):
        i = rows[k] + n_rows if rows[k] < 0 else rows[k]
        j = cols[k] + n_cols if cols[k] < 0 else cols[k]
        if not seen[i, j]:
            seen[i, j] = True
            keep[k] = 1.0
    return keep


@runtime_helper(jit=True)
def prod_others(x):
    """For each element of ``x``, the product of all the others (exact with zeros)."""
    flat = np.ascontiguousarray(x).ravel()
    return prod_others_3d(flat.reshape((1, flat.size, 1))).reshape(x.shape)


def _normal_axis(x, axis):
    return axis + x.ndim if axis < 0 else axis


@jitable
def as_3d(x, axis):
    """``x`` as a contiguous ``(outer, n, inner)`` array, ``n`` the length of ``axis``:
    any reduction along one axis of an N-d array is then a loop over two indices."""
    outer = 1
    for k in range(axis):
        outer *= x.shape[k]
    inner = 1
    for k in range(axis + 1, x.ndim):
        inner *= x.shape[k]
    return np.ascontiguousarray(x).reshape((outer, x.shape[axis], inner))


@jitable
def prod_others_3d(x3):
    """``prod_others`` along the middle axis of an ``(outer, n, inner)`` array."""
    out = np.empty_like(x3)
    for a in range(x3.shape[0]):
        for c in range(x3.shape[2]):
            acc = 1.0
            for b in range(x3.shape[1]):
                out[a, b, c] = acc
                acc *= x3[a, b, c]
            acc = 1.0
            for b in range(x3.shape[1] - 1, -1, -1):
                out[a, b, c] *= acc
                acc *= x3[a, b, c]
    return out


@jitable
def prod_others_jvp_3d(x3, t3):
    """Tangent of ``prod_others_3d``: prefix and suffix products with their tangents."""
    out = np.empty_like(x3)
    out_dot = np.empty_like(x3)
    for a in range(x3.shape[0]):
        for c in range(x3.shape[2]):
            acc, acc_dot = 1.0, 0.0
            for b in range(x3.shape[1]):
                out[a, b, c] = acc
                out_dot[a, b, c] = acc_dot
                acc_dot = acc_dot * x3[a, b, c] + acc * t3[a, b, c]
                acc *= x3[a, b, c]
            acc, acc_dot = 1.0, 0.0
            for b in range(x3.shape[1] - 1, -1, -1):
                out_dot[a, b, c] = out_dot[a, b, c] * acc + out[a, b, c] * acc_dot
                out[a, b, c] *= acc
                acc_dot = acc_dot * x3[a, b, c] + acc * t3[a, b, c]
                acc *= x3[a, b, c]
    return out_dot


@jitable
def reduce_3d(x3, op):
    """Max (``op`` 0), min (1) or product (2) along the middle axis of ``(outer, n, inner)``."""
    out = x3[:, 0, :].copy()
    for a in range(x3.shape[0]):
        for b in range(1, x3.shape[1]):
            for c in range(x3.shape[2]):
                v = x3[a, b, c]
                if op == 0:
                    out[a, c] = max(out[a, c], v)
                elif op == 1:
                    out[a, c] = min(out[a, c], v)
                else:
                    out[a, c] *= v
    return out


@runtime_helper
def prod_others_along(x, axis):
    """``prod_others`` along one axis of an N-d array."""
    return prod_others_3d(as_3d(x, _normal_axis(x, axis))).reshape(x.shape)


@numba_overload(prod_others_along)
def _(x, axis):
    def impl(x, axis):
        a = axis + x.ndim if axis < 0 else axis
        return prod_others_3d(as_3d(x, a)).reshape(x.shape)
    return impl


@runtime_helper
def tangent_like(t, z):
    """The tangent ``t`` (a number, or an array that broadcasts to ``z``) as a
    new array with the shape and dtype of ``z`` (forward mode)."""
    out = np.empty_like(z)
    out[...] = t
    return out


@numba_overload(tangent_like)
def _(t, z):
    def impl(t, z):
        out = np.empty_like(z)
        out[...] = t
        return out
    return impl


@runtime_helper(jit=True)
def prod_others_jvp(x, x_dot):
    """Tangent of ``prod_others(x)`` (exact with zeros, as ``prod_others``)."""
    flat = np.ascontiguousarray(x).ravel()
    flat_dot = np.ascontiguousarray(x_dot).ravel()
    shape = (1, flat.size, 1)
    return prod_others_jvp_3d(flat.reshape(shape), flat_dot.reshape(shape)).reshape(x.shape)


@runtime_helper
def prod_others_along_jvp(x, x_dot, axis):
    """Tangent of ``prod_others_along(x, axis)``."""
    a = _normal_axis(x, axis)
    return prod_others_jvp_3d(as_3d(x, a), as_3d(x_dot, a)).reshape(x.shape)


@numba_overload(prod_others_along_jvp)
def _(x, x_dot, axis):
    def impl(x, x_dot, axis):
        a = axis + x.ndim if axis < 0 else axis
        return prod_others_jvp_3d(as_3d(x, a), as_3d(x_dot, a)).reshape(x.shape)
    return impl


@runtime_helper
def share_ties(x, z):
    """Where ``x`` equals its extreme ``z``, an equal share of 1 (JAX's rule)."""
    mask = (x == z).astype(np.float64)
    return mask / mask.sum()


@numba_overload(share_ties)
def _(x, z):
    def impl(x, z):
        mask = (x == z).astype(np.float64)
        return mask / np.sum(mask)
    return impl


@runtime_helper
def add_ties_shared(out, x, z, dz):
    """``out += ties_shared(x, z, dz)`` without the array of shares: how generated
    code adds the adjoint of a full ``np.max`` (``np.min``) into an adjoint
    (``add_ties_shared(ds, s, m, dm)``; a softmax's max shift, in every row).

    >>> out = np.ones(3); add_ties_shared(out, np.array([1.0, 3.0, 3.0]), 3.0, 2.0); out
    array([1., 2., 2.])
    """
    out += ties_shared(x, z, dz)


@numba_overload(add_ties_shared)
def _(out, x, z, dz):
    ndim = getattr(x, "ndim", None)
    if ndim == 1 and getattr(out, "ndim", None) == 1:
        def impl(out, x, z, dz):
            n = 0
            for k in range(x.shape[0]):
                if x[k] == z:
                    n += 1
            for k in range(x.shape[0]):
                if n == 0:
                    out[k] += np.nan        # (no element equals it: NaN, as in Python)
                elif x[k] == z:
                    out[k] += dz / n
        return impl
    if ndim == 2 and getattr(out, "ndim", None) == 2:
        def impl(out, x, z, dz):
            n = 0
            for j in range(x.shape[0]):
                for k in range(x.shape[1]):
                    if x[j, k] == z:
                        n += 1
            for j in range(x.shape[0]):
                for k in range(x.shape[1]):
                    if n == 0:
                        out[j, k] += np.nan
                    elif x[j, k] == z:
                        out[j, k] += dz / n
        return impl

    def impl(out, x, z, dz):
        out += ties_shared(x, z, dz)
    return impl


@runtime_helper
def ties_shared(x, z, dz):
    """``dz * share_ties(x, z)`` as one new array (the adjoint of a full ``np.max``
    or ``np.min``: a softmax's ``np.max(row)`` in every row), not four.

    >>> ties_shared(np.array([1.0, 3.0, 3.0]), 3.0, 2.0)
    array([0., 1., 1.])
    """
    mask = (x == z).astype(np.float64)
    return mask * (dz / mask.sum())


@numba_overload(ties_shared)
def _(x, z, dz):
    def impl(x, z, dz):
        out = np.zeros(x.shape)
        flat = out.reshape(out.size)
        n = 0
        for k, v in enumerate(x.flat):
            if v == z:
                flat[k] = 1.0
                n += 1
        if n == 0:
            # (no element equals z, a NaN: the shares are NaN, as NumPy's 0 * (dz / 0))
            flat[:] = np.nan
            return out
        share = dz / n
        for k in range(flat.size):
            if flat[k] != 0.0:
                flat[k] = share
        return out
    return impl


@runtime_helper
def share_ties_along(x, z, axis):
    """``share_ties`` along one axis of a 2-d array."""
    if axis < 0:
        axis += x.ndim
    mask = (x == np.expand_dims(z, axis)).astype(np.float64)
    return mask / np.expand_dims(mask.sum(axis=axis), axis)


@numba_overload(share_ties_along)
def _(x, z, axis):
    def impl(x, z, axis):
        a = axis + x.ndim if axis < 0 else axis
        mask = (x == np.expand_dims(z, a)).astype(np.float64)
        return mask / np.expand_dims(np.sum(mask, a), a)
    return impl


# -- reductions along one axis of N-d arrays (Numba has ``axis`` for ``np.sum`` only, slow to compile)
def _reduction(op):
    def overload_fn(x, axis):
        from numba.core.errors import TypingError
        from numba.np.unsafe.ndarray import to_fixed_tuple
        if x.ndim == 1:
            raise TypingError("use the reduction without axis on 1-d arrays")
        nd = x.ndim - 1

        def impl(x, axis):
            a = axis + x.ndim if axis < 0 else axis
            return reduce_3d(as_3d(x, a), op).reshape(to_fixed_tuple(kept_lengths(x, a), nd))
        return impl
    return overload_fn


@jitable
def kept_lengths(x, axis):
    """The lengths of ``x``'s axes but ``axis``: the shape of a reduction along it."""
    shape = np.empty(x.ndim - 1, np.int64)
    j = 0
    for k in range(x.ndim):
        if k != axis:
            shape[j] = x.shape[k]
            j += 1
    return shape


@jitable
def sum_3d(x3):
    """The sum along the middle axis of an ``(outer, n, inner)`` array."""
    out = np.zeros((x3.shape[0], x3.shape[2]), x3.dtype)
    for a in range(x3.shape[0]):
        for b in range(x3.shape[1]):
            for c in range(x3.shape[2]):
                out[a, c] += x3[a, b, c]
    return out


def _sum_along(divide):
    def overload_fn(x, axis):
        from numba import types
        from numba.np.unsafe.ndarray import to_fixed_tuple
        if x.ndim == 1 or x.dtype not in (types.float64, types.float32):
            # (Numba's own: of one axis, or of integers, whose sum NumPy widens)
            if divide:
                return lambda x, axis: np.sum(x, axis) / x.shape[axis]
            return lambda x, axis: np.sum(x, axis)
        nd = x.ndim - 1
        dtype = x.dtype
        if x.ndim == 2:
            # a matrix, the usual case: its two loops, no reshaping (a third of
            # the compile time)
            def impl_matrix(x, axis):
                a = axis + 2 if axis < 0 else axis
                if a < 0 or a >= 2:
                    raise ValueError("axis out of bounds")
                m, n = x.shape
                if a == 0:
                    out = np.zeros(n, dtype)
                    for i in range(m):
                        for j in range(n):
                            out[j] += x[i, j]
                else:
                    out = np.zeros(m, dtype)
                    for i in range(m):
                        total = out[i]
                        for j in range(n):
                            total += x[i, j]
                        out[i] = total
                if divide:
                    out /= x.shape[a]
                return out
            return impl_matrix

        def impl(x, axis):
            a = axis + x.ndim if axis < 0 else axis
            if a < 0 or a >= x.ndim:
                raise ValueError("axis out of bounds")
            out = sum_3d(as_3d(x, a))
            if divide:
                out /= x.shape[a]
            return out.reshape(to_fixed_tuple(kept_lengths(x, a), nd))
        return impl
    return overload_fn


@runtime_helper(overload=_sum_along(False))
def sum_axis(x, axis):
    """``np.sum(x, axis)`` of a float array of 2 or more dimensions on Numba targets:
    Numba's own compiles its axis check's error message, about 2 s the first time
    in a process; this one is loops over :func:`as_3d`."""
    return np.sum(x, axis)


@runtime_helper(overload=_sum_along(True))
def mean_axis(x, axis):
    return np.sum(x, axis) / x.shape[axis]


@runtime_helper(overload=_reduction(0))
def max_axis(x, axis):
    return np.max(x, axis)


@runtime_helper(overload=_reduction(1))
def min_axis(x, axis):
    return np.min(x, axis)


@runtime_helper(overload=_reduction(2))
def prod_axis(x, axis):
    return np.prod(x, axis)


@runtime_helper(jit=True)
def as_vector(x):
    """``x`` itself, a 1-d array: ``np.linalg.norm(x, ord)`` without an axis is
    normalized to the vector norm along axis 0 of ``as_vector(x)``, whose type
    rule refuses other arrays (for them ``ord`` names a matrix norm)."""
    return x


@runtime_helper
def keep_all_dims(z, x):
    """The full reduction ``z`` of ``x`` with every axis kept (``keepdims=True``)."""
    return np.full((1,) * np.ndim(x), z)


@numba_overload(keep_all_dims)
def _(z, x):
    ones = (1,) * x.ndim
    return lambda z, x: np.full(ones, z)


# -- allocation -------------------------------------------------------------------------
def _float_dtype_of(like):
    return like.dtype if isinstance(like, np.ndarray) and like.dtype.kind == "f" else np.float64


def _allocator(extra):
    """The overload of ``np.empty`` of ``n`` items of ``like``'s shape minus its
    first ``extra`` axes."""
    def overload_fn(n, like):
        from numba import types
        from numba.np.unsafe.ndarray import to_fixed_tuple
        if not isinstance(like, types.Array):
            return lambda n, like: np.empty(n, np.float64)
        dtype = like.dtype if isinstance(like.dtype, types.Float) else types.float64
        nd = like.ndim + 1 - extra

        def impl(n, like):
            shape = np.empty(nd, np.int64)
            shape[0] = n
            for k in range(1, nd):
                shape[k] = like.shape[k - 1 + extra]
            return np.empty(to_fixed_tuple(shape, nd), dtype)
        return impl
    return overload_fn


@runtime_helper(overload=_allocator(0))
def empty_stack(n, like):
    """A new array of ``n`` items shaped like ``like`` (``np.array([a, b])``,
    ``np.stack``), float; normalized code fills it item by item."""
    return np.empty((n,) + np.shape(like), dtype=_float_dtype_of(like))


def _grid_allocator(rows, cols, like):
    """The overload of :func:`empty_grid`."""
    from numba import types
    from numba.np.unsafe.ndarray import to_fixed_tuple
    if not isinstance(like, types.Array):
        return lambda rows, cols, like: np.empty((rows, cols), np.float64)
    dtype = like.dtype if isinstance(like.dtype, types.Float) else types.float64
    nd = like.ndim + 2

    def impl(rows, cols, like):
        shape = np.empty(nd, np.int64)
        shape[0] = rows
        shape[1] = cols
        for k in range(2, nd):
            shape[k] = like.shape[k - 2]
        return np.empty(to_fixed_tuple(shape, nd), dtype)
    return impl


@runtime_helper(overload=_grid_allocator)
def empty_grid(rows, cols, like):
    """A new ``rows`` x ``cols`` array of items shaped like ``like`` (``np.array([[a, b],
    [c, d]])``), float; normalized code fills it item by item (``t[0, 1] = b``: a
    row at a time, ``t[0] = row``, would be a slice assignment, which Numba
    compiles with its error message's string formatting, over a second).

    >>> empty_grid(2, 3, 1.0).shape
    (2, 3)
    """
    return np.empty((rows, cols) + np.shape(like), dtype=_float_dtype_of(like))


@runtime_helper(overload=_allocator(1))
def empty_rows(n, like):
    """A new array of ``n`` rows shaped like the rows of ``like`` (``np.concatenate``)."""
    return np.empty((n,) + np.shape(like)[1:], dtype=_float_dtype_of(like))


# -- permutations and linear algebra -------------------------------------------------------
@runtime_helper
def transpose_axes(x, axes, inverse):
    """``np.transpose(x, axes)``; ``inverse`` (the inverse permutation, computed
    at transform time) is what the adjoint transposes back with."""
    return np.transpose(x, axes)


@numba_overload(transpose_axes)
def _(x, axes, inverse):
    return lambda x, axes, inverse: np.transpose(x, axes)


@runtime_helper
def first_axis_last(x):
    """``np.moveaxis(x, 0, -1)``: ``np.stack(items, axis=-1)`` is the stack
    along the first axis moved last (its adjoint: :func:`last_axis_first`)."""
    return np.moveaxis(x, 0, -1)


@runtime_helper
def last_axis_first(x):
    """``np.moveaxis(x, -1, 0)``."""
    return np.moveaxis(x, -1, 0)


@numba_overload(first_axis_last)
def _(x):
    if x.ndim == 2:                          # (stacks of vectors: the common case)
        return _transpose_copy(x)
    axes = tuple(range(1, x.ndim)) + (0,)    # Numba has np.transpose with axes, not moveaxis
    return lambda x: np.transpose(x, axes)


@numba_overload(last_axis_first)
def _(x):
    if x.ndim == 2:
        return _transpose_copy(x)
    axes = (x.ndim - 1,) + tuple(range(x.ndim - 1))
    return lambda x: np.transpose(x, axes)


@runtime_helper(jit=True)
def unsort_rows(g, x):
    """The adjoint of ``np.sort`` of a matrix (each row sorted): row ``r`` of
    ``g`` put back through the permutation that sorts row ``r`` of ``x``."""
    h = np.empty_like(g)
    for r in range(x.shape[0]):
        p = np.argsort(x[r])
        for k in range(p.shape[0]):
            h[r, p[k]] = g[r, k]
    return h


@runtime_helper(jit=True)
def sort_rows_like(t, x):
    """Each row of ``t`` in the order that sorts the same row of ``x`` (the
    tangent of ``np.sort`` of a matrix)."""
    h = np.empty_like(t)
    for r in range(x.shape[0]):
        p = np.argsort(x[r])
        for k in range(p.shape[0]):
            h[r, k] = t[r, p[k]]
    return h


@runtime_helper(jit=True)
def unpermute(g, p):
    """The array ``h`` with ``h[p] = g``: ``g`` put back through the permutation ``p``."""
    h = np.empty_like(g)
    for k in range(p.shape[0]):
        h[p[k]] = g[k]
    return h


@runtime_helper(jit=True)
def logabsdet(a):
    """``np.linalg.slogdet(a)[1]``: log |det a|."""
    return np.linalg.slogdet(a)[1]


@runtime_helper(jit=True)
def slogdet_sign(a):
    """``np.linalg.slogdet(a)[0]``: the sign of det a."""
    return np.linalg.slogdet(a)[0]


# Cholesky's derivatives solve triangular systems.  Compiled, they are loops
# over rows (the inner loop over a row's elements vectorizes): Numba's
# np.linalg.solve is a general LU solve whose first compile in a process took
# 8-12 s (its copies of F-ordered operands and their shape errors' formatting);
# these compile in well under a second.  Uncompiled (the "python" target) they
# are NumPy's.

@jitable
def _triangular_solve(l, b, transpose):
    """``x`` with ``l x = b`` (forward substitution) or, ``transpose``, with
    ``l^T x = b`` (back substitution), ``l`` lower triangular."""
    n, m = b.shape
    x = np.empty((n, m))
    for step in range(n):
        i = n - 1 - step if transpose else step
        for c in range(m):
            x[i, c] = b[i, c]
        for k in range(i + 1, n) if transpose else range(i):
            lk = l[k, i] if transpose else l[i, k]
            for c in range(m):
                x[i, c] -= lk * x[k, c]
        d = l[i, i]
        for c in range(m):
            x[i, c] /= d
    return x


@jitable
def _transposed_copy(a):
    n, m = a.shape
    out = np.empty((m, n))
    for i in range(n):
        for j in range(m):
            out[j, i] = a[i, j]
    return out


@runtime_helper(of="np.linalg.cholesky")
def cholesky_tangent(l, a_dot):
    """Tangent of ``l = cholesky(a)`` along ``a_dot`` (symmetric):
    ``l phi(l^-1 a_dot l^-T)``, phi the lower part with half its diagonal."""
    m = np.linalg.solve(l, np.linalg.solve(l, a_dot).T).T
    p = np.tril(m) - 0.5 * np.diag(np.diag(m))
    return np.dot(l, p)


@numba_overload(cholesky_tangent)
def _(l, a_dot):
    def impl(l, a_dot):
        n = l.shape[0]
        m = _transposed_copy(_triangular_solve(
            l, _transposed_copy(_triangular_solve(l, a_dot, False)), False))
        out = np.zeros((n, n))
        for i in range(n):            # l phi(m): l lower, phi(m) lower
            for j in range(i + 1):
                acc = 0.0
                for k in range(j, i + 1):
                    pkj = m[k, j] if k > j else 0.5 * m[j, j]
                    acc += l[i, k] * pkj
                out[i, j] = acc
        return out
    return impl


@runtime_helper
def cholesky_adjoint(l, dl):
    """The adjoint of ``a`` given that of ``l = np.linalg.cholesky(a)``:
    ``sym(l^-T phi(l^T dl) l^-1)``, phi the lower part with half its diagonal,
    ``sym(s) = (s + s^T) / 2``."""
    p = np.tril(np.dot(l.T, dl))
    p = p - 0.5 * np.diag(np.diag(p))
    s = np.linalg.solve(l.T, np.linalg.solve(l.T, p.T).T)
    return 0.5 * (s + s.T)


@numba_overload(cholesky_adjoint)
def _(l, dl):
    def impl(l, dl):
        n = l.shape[0]
        p = np.zeros((n, n))
        for i in range(n):            # the lower part of l^T dl (l is lower triangular)
            for k in range(i, n):
                lki = l[k, i]
                for j in range(i + 1):
                    p[i, j] += lki * dl[k, j]
            p[i, i] *= 0.5
        # s = l^-T p l^-1: x = l^-T p, then s^T = l^-T x^T
        st = _triangular_solve(l, _transposed_copy(_triangular_solve(l, p, True)), True)
        out = np.empty((n, n))
        for i in range(n):
            for j in range(n):
                out[i, j] = 0.5 * (st[i, j] + st[j, i])
        return out
    return impl


@runtime_helper(jit=True, of="np.linalg.cholesky")
def cholesky_adjoint_tangent(l, dl, l_dot):
    """The part of ``cholesky_adjoint(l, dl)``'s tangent along ``l_dot`` (the
    part along ``dl``'s tangent is ``cholesky_adjoint(l, dl_dot)``, which is
    linear in ``dl``): ``sym(l^-T phi(l_dot^T dl) l^-1 - l^-T l_dot^T s - s l_dot l^-1)``
    with ``s = l^-T phi(l^T dl) l^-1`` (not symmetric)."""
    p = np.tril(np.dot(l.T, dl))
    p = p - 0.5 * np.diag(np.diag(p))
    s = np.linalg.solve(l.T, np.linalg.solve(l.T, p.T).T)
    q = np.tril(np.dot(l_dot.T, dl))
    q = q - 0.5 * np.diag(np.diag(q))
    t = np.linalg.solve(l.T, np.linalg.solve(l.T, q.T).T)
    u = np.linalg.solve(l.T, np.dot(l_dot.T, s))
    w = np.linalg.solve(l.T, np.dot(l_dot.T, s.T)).T
    v = t - u - w
    return 0.5 * (v + v.T)


# -- the symmetric eigendecomposition ----------------------------------------------
# np.linalg.eigh(a) is normalized to (eigh_values(a), eigh_vectors(a)) and
# np.linalg.eigvalsh(a) to eigh_values(a) (passes/normalize.py).  Like NumPy (and
# Numba's compiled eigh, checked against it), they read only the lower triangle of a:
# the function differentiated is a -> eigh(L(a)), L(a) = tril(a) + tril(a, -1).T, so the
# derivative along an entry above the diagonal is 0.  With w, v = eigh(a) and
# f[i, j] = 1 / (w[j] - w[i]) off the diagonal (0 on it):
#   tangent along a_dot, e = L(a_dot):  w_dot[i] = v[:, i] . e v[:, i],
#                                       v_dot = v (f * (v^T e v))
#   adjoint of a from dw, dv:           fold(v (diag(dw) + f * (v^T dv)) v^T),
# fold(g) = tril(g + g^T, -1) + diag(g): the diagonal of the symmetric adjoint
# s = (g + g^T) / 2, twice its entries below the diagonal, 0 above (L's adjoint).
# (JAX and PyTorch return s itself; for a matrix made symmetric from parameters,
# b + b.T, the two give the same gradient of b.)  Where two eigenvalues are equal f
# is infinite, and so is the derivative of their eigenvectors: nothing is done about
# it; the eigenvalues' derivatives stay finite.
# Compiled, the products below are loops (they compile in a fraction of the time
# Numba's np.dot takes for each memory layout); uncompiled, they are NumPy's.

def _eigh_mm(a, b):
    """``a @ b``."""
    return np.dot(a, b)


@numba_overload(_eigh_mm, strict=False)
def _(a, b):
    def impl(a, b):
        n, k = a.shape
        m = b.shape[1]
        out = np.zeros((n, m))
        for i in range(n):
            for p in range(k):
                aip = a[i, p]
                for j in range(m):
                    out[i, j] += aip * b[p, j]
        return out
    return impl


@jitable
def _eigh_tmm(a, b):
    """``a.T @ b``."""
    return _eigh_mm(_transposed_copy(a), b)


@jitable
def _eigh_mmt(a, b):
    """``a @ b.T``."""
    return _eigh_mm(a, _transposed_copy(b))


def _eigh_gaps(w):
    """``f[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it (infinite where
    two eigenvalues are equal)."""
    d = w[None, :] - w[:, None]
    np.fill_diagonal(d, 1.0)
    f = 1.0 / d
    np.fill_diagonal(f, 0.0)
    return f


@numba_overload(_eigh_gaps, strict=False)
def _(w):
    def impl(w):
        n = w.shape[0]
        d = np.ones((n, n))
        for i in range(n):
            for j in range(n):
                if i != j:
                    d[i, j] = w[j] - w[i]
        f = 1.0 / d          # (an array's division: inf, not an exception, for a 0)
        for i in range(n):
            f[i, i] = 0.0
        return f
    return impl


def _eigh_gaps_tangent(f, w_dot):
    """The tangent of ``f = _eigh_gaps(w)`` along ``w_dot``:
    ``-f[i, j]**2 (w_dot[j] - w_dot[i])``."""
    return -(f * f) * (w_dot[None, :] - w_dot[:, None])


@numba_overload(_eigh_gaps_tangent, strict=False)
def _(f, w_dot):
    def impl(f, w_dot):
        n = w_dot.shape[0]
        out = np.empty((n, n))
        for i in range(n):
            for j in range(n):
                out[i, j] = -(f[i, j] * f[i, j]) * (w_dot[j] - w_dot[i])
        return out
    return impl


def _eigh_fold(g):
    """``tril(g + g.T, -1) + diag(g)``: the adjoint of ``a`` given ``g``, one of
    the lower-triangle-read symmetric matrix (its symmetric part is what counts)."""
    return np.tril(g + g.T, -1) + np.diag(np.diag(g))


@numba_overload(_eigh_fold, strict=False)
def _(g):
    def impl(g):
        n = g.shape[0]
        out = np.zeros((n, n))
        for i in range(n):
            for j in range(i):
                out[i, j] = g[i, j] + g[j, i]
            out[i, i] = g[i, i]
        return out
    return impl


def _eigh_symmetric(x):
    """``tril(x) + tril(x, -1).T``: the symmetric matrix ``eigh`` reads from ``x``."""
    return np.tril(x) + np.tril(x, -1).T


@numba_overload(_eigh_symmetric, strict=False)
def _(x):
    def impl(x):
        n = x.shape[0]
        out = np.empty((n, n))
        for i in range(n):
            for j in range(i + 1):
                out[i, j] = x[i, j]
                out[j, i] = x[i, j]
        return out
    return impl


def _eigh_column_dots(v, m):
    """``out[j] = v[:, j] . m[:, j]``."""
    return np.sum(v * m, axis=0)


@numba_overload(_eigh_column_dots, strict=False)
def _(v, m):
    def impl(v, m):
        out = np.zeros(v.shape[1])
        for i in range(v.shape[0]):
            for j in range(v.shape[1]):
                out[j] += v[i, j] * m[i, j]
        return out
    return impl


@runtime_helper(jit=True)
def eigh_values(a):
    """``np.linalg.eigvalsh(a)``, ``np.linalg.eigh(a)[0]``: the eigenvalues,
    ascending, of the symmetric matrix of ``a``'s lower triangle."""
    return np.linalg.eigvalsh(a)


@runtime_helper(jit=True)
def eigh_vectors(a):
    """``np.linalg.eigh(a)[1]``: the eigenvectors (columns) of the symmetric
    matrix of ``a``'s lower triangle."""
    return np.linalg.eigh(a)[1]


@runtime_helper(jit=True, of="np.linalg.eigh")
def eigh_values_tangent(v, a_dot):
    """The tangent of ``w = eigh_values(a)`` along ``a_dot``, ``v = eigh_vectors(a)``:
    ``w_dot[i] = v[:, i] . e v[:, i]``, ``e`` the symmetric matrix of ``a_dot``'s
    lower triangle (finite where eigenvalues are equal)."""
    return _eigh_column_dots(v, _eigh_mm(_eigh_symmetric(a_dot), v))


@runtime_helper(jit=True, of="np.linalg.eigh")
def eigh_vectors_tangent(w, v, a_dot):
    """The tangent of ``v = eigh_vectors(a)`` along ``a_dot``, ``w = eigh_values(a)``:
    ``v (f * (v^T e v))``, ``f[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on
    it, ``e`` the symmetric matrix of ``a_dot``'s lower triangle.  Where two
    eigenvalues are equal their eigenvectors have no derivative: ``f`` is
    infinite there, and so (or nan) is the result."""
    return _eigh_mm(v, _eigh_gaps(w) * _eigh_tmm(v, _eigh_mm(_eigh_symmetric(a_dot), v)))


@runtime_helper(jit=True)
def eigh_values_adjoint(v, dw):
    """The adjoint of ``a`` given ``dw``, that of ``w = eigh_values(a)``
    (``v = eigh_vectors(a)``): ``v diag(dw) v^T`` on and (twice) below the
    diagonal, 0 above it, since ``eigh`` reads only the lower triangle."""
    return _eigh_fold(_eigh_mmt(v * dw, v))


@runtime_helper(jit=True)
def eigh_vectors_adjoint(w, v, dv):
    """The adjoint of ``a`` given ``dv``, that of ``v = eigh_vectors(a)``
    (``w = eigh_values(a)``): ``g = v (f * (v^T dv)) v^T`` folded onto the lower
    triangle (``g[i, j] + g[j, i]`` below the diagonal, ``g[i, i]`` on it, 0
    above), ``f[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it.  Where two
    eigenvalues are equal ``f`` is infinite and the result is not finite (the
    eigenvectors have no derivative there)."""
    return _eigh_fold(_eigh_mmt(_eigh_mm(v, _eigh_gaps(w) * _eigh_tmm(v, dv)), v))


@runtime_helper(jit=True, of="np.linalg.eigh")
def eigh_values_adjoint_along_v(v, dw, v_dot):
    """The tangent of ``eigh_values_adjoint(v, dw)`` along ``v_dot`` (it is linear
    in ``dw``): ``fold(v_dot diag(dw) v^T + v diag(dw) v_dot^T)``, twice
    ``fold(v_dot diag(dw) v^T)`` (``fold(x^T) = fold(x)``)."""
    return 2.0 * _eigh_fold(_eigh_mmt(v_dot * dw, v))


@runtime_helper(jit=True, of="np.linalg.eigh")
def eigh_vectors_adjoint_along_w(w, v, dv, w_dot):
    """The tangent of ``eigh_vectors_adjoint(w, v, dv)`` along ``w_dot``:
    ``fold(v (f_dot * (v^T dv)) v^T)``, ``f_dot[i, j] = -f[i, j]**2 (w_dot[j] -
    w_dot[i])``."""
    f_dot = _eigh_gaps_tangent(_eigh_gaps(w), w_dot)
    return _eigh_fold(_eigh_mmt(_eigh_mm(v, f_dot * _eigh_tmm(v, dv)), v))


@runtime_helper(jit=True, of="np.linalg.eigh")
def eigh_vectors_adjoint_along_v(w, v, dv, v_dot):
    """The tangent of ``eigh_vectors_adjoint(w, v, dv)`` along ``v_dot``:
    ``fold(v_dot h v^T + v (f * (v_dot^T dv)) v^T + v h v_dot^T)``,
    ``h = f * (v^T dv)``."""
    f = _eigh_gaps(w)
    h = f * _eigh_tmm(v, dv)
    first = _eigh_mm(v_dot, h) + _eigh_mm(v, f * _eigh_tmm(v_dot, dv))
    return _eigh_fold(_eigh_mmt(first, v) + _eigh_mmt(_eigh_mm(v, h), v_dot))
