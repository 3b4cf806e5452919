"""NumPy calls of generated modules lowered in the caller, instead of compiled as
functions of their own: ``np.empty``, ``np.zeros``, ``np.empty_like``,
``np.zeros_like`` and the product ``a @ b`` of vectors and matrices, and a product
added into an array (``dW += x.T @ dy``, how adjoints of products accumulate) by BLAS
itself, without the product's own array and the second pass that adds it.

Numba implements these with ``@overload``: each argument-type combination a program
uses (``np.empty((n, m), np.float64)``, ``np.zeros_like`` of a 1-d and of a 2-d array,
a matrix times a vector, ...) compiles small functions through Numba's whole pipeline
(``@`` compiles four: the overload, its product, the ``out=`` product it calls and the
checks; about 0.5 s for one matrix-vector product in a new process, 0.1 s for one
allocation).  A generated adjoint allocates its adjoints, tapes and buffers in several
such combinations and multiplies by transposes, so these were close to half of a first
call's compile time (the LSTM program's gradient: 1.6 s of 3.5 s).  Here each is a
typing template and a lowering, as Numba has for ``range`` or ``len``:

- typing gives the result type Numba's overloads give (the same ``parse_dtype`` and
  ``parse_shape``, the same layout rule for ``*_like``, a C-contiguous product);
- lowering emits the allocation (with ``memset`` for ``zeros``) in the caller, and for
  ``@`` the size check and the call into BLAS (``gemm``, ``gemv`` or ``dot``, chosen
  as Numba's ``np.dot(a, b, out)`` chooses them; a non-contiguous operand copied
  first, as Numba does) -- the machine code Numba's overloads produce once inlined;
- a product Numba computes some other way (integer arrays, a dtype BLAS lacks, mixed
  dtypes: Numba's own error) is typed and lowered by Numba's ``@`` itself.

The file Numba compiles for the ``cpu`` target has those calls renamed
(:func:`direct_calls`, a rewrite of that file only: ``.source`` still says
``np.zeros_like`` and ``@``), as ``counted_range.py`` does for ``range``.  Programs
compiled with Numba's parallel transformations keep NumPy's names: those recognize
``np.empty`` and ``np.zeros`` when they analyse array sizes.
"""
from __future__ import annotations

import ast
import operator
import re

import numpy as np
from llvmlite import ir
from numba.core import cgutils, types, utils
from numba.core.imputils import impl_ret_borrowed, impl_ret_new_ref, lower_builtin
from numba.core.typing.npydecl import parse_dtype, parse_shape
from numba.core.typing.templates import AbstractTemplate, infer_global, signature
from numba.cpython.slicing import get_defaults
from numba.np.arrayobj import _empty_nd_impl, _parse_shape, make_array
from numba.np.linalg import (
    call_xxdot,
    call_xxgemm,
    call_xxgemv,
    check_blas_return,
    ensure_blas,
    get_blas_kind,
    intp_t,
    ll_char,
    ll_void_p,
    make_constant_slot,
    make_contiguous,
)
from numba.np.numpy_support import is_nonelike


def empty_now(shape, dtype=float):
    """``np.empty`` (what the name means outside Numba)."""
    return np.empty(shape, dtype)


def zeros_now(shape, dtype=float):
    """``np.zeros``."""
    return np.zeros(shape, dtype)


def empty_like_now(a, dtype=None):
    """``np.empty_like``."""
    return np.empty_like(a, dtype)


def zeros_like_now(a, dtype=None):
    """``np.zeros_like``."""
    return np.zeros_like(a, dtype)


def matmul_now(a, b):
    """``a @ b``."""
    return a @ b


def add_matmul_now(out, a, b):
    """``out += a @ b``, the name rebound to what ``+=`` gives."""
    out += a @ b
    return out


def sub_matmul_now(out, a, b):
    """``out -= a @ b``."""
    out -= a @ b
    return out


def fill_now(out, value):
    """``out[:] = value``: how an adjoint buffer is reset each iteration."""
    out[:] = value


# the name the rewritten file calls each by (a name no program's own can be, as the
# normalizer's ``__sourcediff_<helper>__``), and the function
NOW = {f"__sourcediff_{fn.__name__}__": fn
       for fn in (empty_now, zeros_now, empty_like_now, zeros_like_now, matmul_now,
                  add_matmul_now, sub_matmul_now, fill_now)}


# -- the rewrite of the file Numba compiles -----------------------------------------

# ``np.<name>(`` in a line of code (the source-line comments are left as they are)
_ALLOCATION = re.compile(r"\bnp\.(empty_like|zeros_like|empty|zeros)\(")


# ``name[:] = number``, a whole line
_FILL = re.compile(r"^(\s*)([A-Za-z_]\w*)\[:\] = (-?[0-9][0-9.eE+-]*)(\s*#.*)?$",
                   re.MULTILINE)


def direct_calls(source: str) -> str:
    """``source`` with its allocations, ``@`` products and buffer resets calling
    the functions above, on the same lines (Numba's messages point at the right
    one)."""
    return _direct_products(_direct_allocations(_FILL.sub(_fill_call, source)))


def _fill_call(match) -> str:
    indent, name, value, comment = match.groups()
    return f"{indent}__sourcediff_fill_now__({name}, {value}){comment or ''}"


def _direct_allocations(source: str) -> str:
    out = []
    for line in source.splitlines(keepends=True):
        code, hash_, comment = line.partition("#")
        out.append(_ALLOCATION.sub(r"__sourcediff_\1_now__(", code) + hash_ + comment)
    return "".join(out)


def _direct_products(source: str) -> str:
    """Each ``a @ b`` as ``__sourcediff_matmul_now__(a, b)`` (``a @ b @ c`` too: the
    operands' own text, products in them rewritten first); ``x += a @ b`` as
    ``x = __sourcediff_add_matmul_now__(x, a, b)`` (``-=``: ``sub``).  Positions from the
    parse, so an operand is whatever the parse says it is (``x[i]``, ``-y``,
    ``(u + v)``); offsets in bytes, as ``ast`` gives them."""
    if "@" not in source:
        return source
    text = source.encode()
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def span(node):
        return (starts[node.lineno - 1] + node.col_offset,
                starts[node.end_lineno - 1] + node.end_col_offset)

    def outermost(node):
        """The products in ``node`` not inside another product in it, and the
        statements that add a product into a name."""
        for child in ast.iter_child_nodes(node):
            if _is_product(child) or _adds_product(child):
                yield child
            else:
                yield from outermost(child)

    def rewritten(lo, hi, node) -> bytes:
        """The text ``text[lo:hi]`` of ``node`` with its products rewritten."""
        if _is_product(node) and span(node) == (lo, hi):
            return (b"__sourcediff_matmul_now__(" + rewritten(*span(node.left), node.left)
                    + b", " + rewritten(*span(node.right), node.right) + b")")
        if _adds_product(node) and span(node) == (lo, hi):
            name, product = node.target.id.encode(), node.value
            verb = b"add" if isinstance(node.op, ast.Add) else b"sub"
            return (name + b" = __sourcediff_" + verb + b"_matmul_now__(" + name + b", "
                    + rewritten(*span(product.left), product.left) + b", "
                    + rewritten(*span(product.right), product.right) + b")")
        out, at = [], lo
        for inner in outermost(node):
            a, b = span(inner)
            out += [text[at:a], rewritten(a, b, inner)]
            at = b
        return b"".join(out + [text[at:hi]])

    return rewritten(0, len(text), ast.parse(source)).decode()


def _is_product(node) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult)


def _adds_product(node) -> bool:
    """``x += a @ b`` or ``x -= a @ b``: the product BLAS can add in place."""
    return (isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name)
            and isinstance(node.op, (ast.Add, ast.Sub)) and _is_product(node.value))


# -- allocations -------------------------------------------------------------------

def _fold(pysig, args, kws) -> list | None:
    """The argument types in the order of ``pysig``'s parameters, a missing one
    as ``Omitted(default)``; None where the call does not bind."""
    try:
        bound = pysig.bind(*args, **kws)
    except TypeError:
        return None
    return [bound.arguments[name] if name in bound.arguments else types.Omitted(p.default)
            for name, p in pysig.parameters.items()]


def _given(ty):
    """The type of an argument, None where it was left out or passed as None."""
    if isinstance(ty, types.Omitted):
        return None if ty.value is None or ty.value is float else ty
    return None if is_nonelike(ty) else ty


def _shape_result(args) -> types.Type | None:
    """``np.empty(shape, dtype)``'s result type, as ``ol_np_empty`` has it."""
    shape, dtype = args
    given = _given(dtype)
    if given is None or (isinstance(given, types.Function) and given.typing_key is float):
        nb_dtype = types.double
    else:
        nb_dtype = parse_dtype(given)
    ndim = parse_shape(shape)
    if nb_dtype is None or ndim is None:
        return None
    return types.Array(nb_dtype, ndim, "C")


def _like_result(args) -> types.Type | None:
    """``np.empty_like(a, dtype)``'s result type, as ``ol_np_empty_like`` has it."""
    arr, dtype = args
    given = _given(dtype)
    if given is not None:
        nb_dtype = parse_dtype(given)
    elif isinstance(arr, types.Array):
        nb_dtype = arr.dtype
    else:
        nb_dtype = arr
    if nb_dtype is None:
        return None
    if isinstance(arr, types.Array):
        return arr.copy(dtype=nb_dtype, layout=arr.layout if arr.layout != "A" else "C",
                        readonly=False)
    return types.Array(nb_dtype, 0, "C")


def _allocate(context, builder, sig, args, like: bool, zero: bool):
    arrtype = sig.return_type
    if like:
        if isinstance(sig.args[0], types.Array):
            proto = make_array(sig.args[0])(context, builder, value=args[0])
            shapes = cgutils.unpack_tuple(builder, proto.shape, count=sig.args[0].ndim)
        else:
            shapes = ()
    else:
        shapes = _parse_shape(context, builder, sig.args[0], args[0])
    ary = _empty_nd_impl(context, builder, arrtype, shapes)
    if zero:
        _zero(builder, ary)
    return impl_ret_new_ref(context, builder, arrtype, ary._getvalue())


def _zero(builder, ary) -> None:
    cgutils.memset(builder, ary.data, builder.mul(ary.itemsize, ary.nitems), 0)


def _register_allocation(fn, like: bool, zero: bool) -> None:
    pysig = utils.pysignature(fn)
    result = _like_result if like else _shape_result

    class Allocation(AbstractTemplate):
        key = fn

        def generic(self, args, kws):
            folded = _fold(pysig, args, kws)
            retty = None if folded is None else result(folded)
            if retty is not None:
                return signature(retty, *folded).replace(pysig=pysig)

    infer_global(fn)(Allocation)

    @lower_builtin(fn, types.Any, types.Any)
    def lower(context, builder, sig, args):
        return _allocate(context, builder, sig, args, like, zero)


_register_allocation(empty_now, like=False, zero=False)
_register_allocation(zeros_now, like=False, zero=True)
_register_allocation(empty_like_now, like=True, zero=False)
_register_allocation(zeros_like_now, like=True, zero=True)


# -- buffers reset -------------------------------------------------------------------
#
# Numba lowers ``buf[:] = 0.0`` as any slice assignment: the slice resolved against
# the shape, the number broadcast, a loop nest with its index arithmetic, about 350
# LLVM instructions where a gradient resets a matrix (a Kalman filter's gradient
# resets 22 buffers: a tenth of its function).  A contiguous array of numbers set to
# a number is one loop over its memory (a ``memset`` once LLVM sees the zero).

def _fills(out, value) -> bool:
    return (isinstance(out, types.Array) and out.mutable and out.ndim >= 1
            and out.layout in "CF" and isinstance(out.dtype, types.Number)
            and isinstance(value, types.Number))


def _as_setitem(context, out, value):
    return context.resolve_function_type(operator.setitem, (out, types.slice2_type, value), {})


@infer_global(fill_now)
class Fill(AbstractTemplate):
    def generic(self, args, kws):
        if kws or len(args) != 2:
            return None
        if _fills(*args) or _zero_dimensional(*args) or \
                _as_setitem(self.context, *args) is not None:
            return signature(types.none, *args)
        return None


def _zero_dimensional(out, value) -> bool:
    """``a[:] = x`` of a 0-d array: NumPy's IndexError when it runs (as the
    python target gives), not a typing error from inside the compiler."""
    return isinstance(out, types.Array) and out.ndim == 0


@lower_builtin(fill_now, types.Any, types.Any)
def lower_fill(context, builder, sig, args):
    outty, valuety = sig.args
    if _zero_dimensional(outty, valuety):
        _require(context, builder, cgutils.false_bit, IndexError,
                 "too many indices for array: array is 0-dimensional, but 1 were indexed")
    elif _fills(outty, valuety):
        out = make_array(outty)(context, builder, args[0])
        value = context.cast(builder, args[1], valuety, outty.dtype)
        with cgutils.for_range(builder, out.nitems) as loop:
            context.pack_value(builder, outty.dtype, value, builder.gep(out.data, [loop.index]))
    else:                               # (a strided view: Numba's own slice assignment)
        whole = context.make_helper(builder, types.slice2_type)
        start, _, stop, _, step = (context.get_constant(types.intp, v)
                                   for v in get_defaults(context))
        whole.start, whole.stop, whole.step = start, stop, step
        setitem = _as_setitem(context.typing_context, *sig.args)
        value = context.cast(builder, args[1], valuety, setitem.args[2])
        context.get_function(operator.setitem, setitem)(
            builder, (args[0], whole._getvalue(), value))
    return context.get_dummy_value()


# -- products ----------------------------------------------------------------------

_BLAS_DTYPES = (types.float32, types.float64, types.complex64, types.complex128)


def _through_blas(a, b) -> bool:
    """A product of vectors and matrices of one dtype BLAS has."""
    return (isinstance(a, types.Array) and isinstance(b, types.Array)
            and a.ndim in (1, 2) and b.ndim in (1, 2)
            and a.dtype == b.dtype and a.dtype in _BLAS_DTYPES)


def _product_type(a, b):
    """What Numba's ``@`` gives: a number for two vectors, else a C array."""
    ndim = a.ndim + b.ndim - 2
    return a.dtype if ndim == 0 else types.Array(a.dtype, ndim, "C")


@infer_global(matmul_now)
class Matmul(AbstractTemplate):
    def generic(self, args, kws):
        if kws or len(args) != 2:
            return None
        if _through_blas(*args):
            return signature(_product_type(*args), *args)
        return self.context.resolve_function_type(operator.matmul, args, {})


def _require(context, builder, ok, exc, message: str) -> None:
    with cgutils.if_unlikely(builder, builder.not_(ok)):
        context.call_conv.return_user_exc(builder, exc, (message,))


def _fits_c_int(context, builder, n) -> None:
    """BLAS takes sizes as C ints (Numba's ``check_c_int``, inline)."""
    limit = context.get_constant(types.intp, 2 ** 31 - 1)
    _require(context, builder, builder.icmp_signed("<=", n, limit), OverflowError,
             "array size too large to fit in C int")


def _product(context, builder, sig, args):
    """``a @ b`` through BLAS, as Numba's ``np.dot(a, b)`` and ``np.dot(a, b, out)``
    compute it: the same calls for the same layouts and sizes (a matrix with one
    row or column times a matrix is a matrix-vector product), the same errors."""
    xty, yty = sig.args
    x = make_array(xty)(context, builder, args[0])
    y = make_array(yty)(context, builder, args[1])
    xs = cgutils.unpack_tuple(builder, x.shape)
    ys = cgutils.unpack_tuple(builder, y.shape)
    zero = context.get_constant(types.intp, 0)
    if xty.ndim == yty.ndim == 1:
        _require(context, builder, builder.icmp_signed("==", xs[0], ys[0]), ValueError,
                 "incompatible array sizes for np.dot(a, b) (vector * vector)")
        _fits_c_int(context, builder, xs[0])
        out = cgutils.alloca_once(builder, context.get_value_type(sig.return_type))
        call_xxdot(context, builder, False, xty.dtype, xs[0], x.data, y.data, out)
        return builder.load(out)
    outty = sig.return_type
    if xty.ndim == yty.ndim == 2:
        (m, k), (k2, n) = xs, ys
        _require(context, builder, builder.icmp_signed("==", k, k2), ValueError,
                 "incompatible array sizes for np.dot(a, b) (matrix * matrix)")
        out = _empty_nd_impl(context, builder, outty, [m, n])
        for size in (m, k, n):
            _fits_c_int(context, builder, size)
        empty = builder.or_(builder.icmp_signed("==", k, zero),
                            builder.or_(builder.icmp_signed("==", m, zero),
                                        builder.icmp_signed("==", n, zero)))
        with builder.if_else(empty, likely=False) as (if_empty, if_not):
            with if_empty:
                _zero(builder, out)
            with if_not:
                _matrix_product(context, builder, (xty, xs, x.data), (yty, ys, y.data),
                                (outty, [m, n], out.data), k)
        return out._getvalue()
    if xty.ndim == 1:                   # vector @ matrix: computed as matrix.T @ vector
        mty, ms, m_data, v_data, v_size = yty, ys, y.data, x.data, xs[0]
        matched, lda, do_trans = ys[0], ys[1], yty.layout == "F"
        message = "incompatible array sizes for np.dot(a, b) (vector * matrix)"
        length = ys[1]
    else:
        mty, ms, m_data, v_data, v_size = xty, xs, x.data, y.data, ys[0]
        matched, lda, do_trans = xs[1], xs[0], xty.layout == "C"
        message = "incompatible array sizes for np.dot(a, b) (matrix * vector)"
        length = xs[0]
    _require(context, builder, builder.icmp_signed("==", v_size, matched), ValueError, message)
    out = _empty_nd_impl(context, builder, outty, [length])
    for size in ms:
        _fits_c_int(context, builder, size)
    empty = builder.or_(builder.icmp_signed("==", v_size, zero),
                        builder.icmp_signed("==", lda, zero))
    with builder.if_else(empty, likely=False) as (if_empty, if_not):
        with if_empty:
            _zero(builder, out)
        with if_not:
            call_xxgemv(context, builder, do_trans, mty, ms, m_data, v_data, out.data)
    return out._getvalue()


def _matrix_product(context, builder, x, y, out, k) -> None:
    """Matrix times matrix into ``out``, as Numba's ``dot_3_mm``: a dot or a
    matrix-vector product where a side has one row or column."""
    (xty, xs, x_data), (yty, ys, y_data), (outty, out_shapes, out_data) = x, y, out
    m, n = out_shapes
    one = context.get_constant(types.intp, 1)
    left_row = builder.icmp_signed("==", m, one)
    with builder.if_else(builder.icmp_signed("==", n, one)) as (right_vector, right_matrix):
        with right_vector, builder.if_else(left_row) as (both, left):
            with both:
                call_xxdot(context, builder, False, xty.dtype, k, x_data, y_data, out_data)
            with left:
                call_xxgemv(context, builder, xty.layout == outty.layout, xty, xs,
                            x_data, y_data, out_data)
        with right_matrix, builder.if_else(left_row) as (row, general):
            with row:
                call_xxgemv(context, builder, yty.layout != outty.layout, yty, ys,
                            y_data, x_data, out_data)
            with general:
                call_xxgemm(context, builder, xty, xs, x_data, yty, ys, y_data,
                            outty, out_shapes, out_data)


@lower_builtin(matmul_now, types.Any, types.Any)
def lower_matmul(context, builder, sig, args):
    if not _through_blas(*sig.args):
        return context.get_function(operator.matmul, sig)(builder, args)
    ensure_blas()
    with make_contiguous(context, builder, sig, args) as (contiguous, values):
        result = _product(context, builder, contiguous, values)
    return impl_ret_new_ref(context, builder, sig.return_type, result)


# -- products added into an array ------------------------------------------------------
#
# ``dW += x.T @ dy`` is how a product's adjoint reaches its operands.  Computed as
# written it makes the product in a new array and adds it in a second pass; BLAS adds
# it where it computes it (``beta = 1``), and a minus sign is its ``alpha = -1``.
# That is done where the array is contiguous, has the product's shape exactly, and
# shares no memory with an operand; anything else (a broadcast, an overlap, empty or
# mismatched sizes, sizes past a C int: the errors of ``@``) is the product made and
# added as written.

def _accumulates_through_blas(out, a, b) -> bool:
    return (_through_blas(a, b) and isinstance(out, types.Array) and out.mutable
            and out.dtype == a.dtype and out.layout in "CF"
            and out.ndim == a.ndim + b.ndim - 2 >= 1)


def _product_signature(typing_context, a, b):
    if _through_blas(a, b):
        return signature(_product_type(a, b), a, b)
    return typing_context.resolve_function_type(operator.matmul, (a, b), {})


def _as_written(context, builder, inplace_op, outty, out, product_sig, operands):
    """``out += a @ b`` (or ``-=``) as Numba computes it; the value ``+=`` gives."""
    product = lower_matmul(context, builder, product_sig, operands)
    added_sig, result = _numbas_add(context, builder, inplace_op, outty, out,
                                    product_sig.return_type, product)
    context.nrt.decref(builder, product_sig.return_type, product)
    return added_sig, result


def _numbas_add(context, builder, inplace_op, outty, out, productty, product):
    """Numba's ``out += product`` (``-=``): its signature and the value it gives."""
    added_sig = context.typing_context.resolve_function_type(inplace_op, (outty, productty), {})
    return added_sig, context.get_function(inplace_op, added_sig)(builder, (out, product))


def _extent(context, builder, ary):
    """The first and one-past-the-last byte address of a contiguous array."""
    lo = builder.ptrtoint(ary.data, context.get_value_type(types.intp))
    return lo, builder.add(lo, builder.mul(ary.nitems, ary.itemsize))


def _apart(context, builder, out, operand):
    (lo, hi), (olo, ohi) = _extent(context, builder, out), _extent(context, builder, operand)
    return builder.or_(builder.icmp_unsigned("<=", hi, olo), builder.icmp_unsigned("<=", ohi, lo))


def _scalar_slot(context, builder, dtype, value: float):
    return builder.bitcast(make_constant_slot(context, builder, dtype, value), ll_void_p)


def _gemm_into(context, builder, x, y, out_data, m, n, k, alpha) -> None:
    """``out += alpha * x @ y`` for a C-contiguous ``out`` of shape (m, n): BLAS's
    column-major ``out.T += alpha * y.T @ x.T`` (as Numba's ``call_xxgemm``)."""
    (xty, xs, x_data), (yty, ys, y_data) = x, y
    fnty = ir.FunctionType(ir.IntType(32), [ll_char, ll_char, ll_char, intp_t, intp_t, intp_t,
                                            ll_void_p, ll_void_p, intp_t, ll_void_p, intp_t,
                                            ll_void_p, ll_void_p, intp_t])
    fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemm")

    def operand(ty, shapes, data):
        trans = ir.Constant(ll_char, ord("n" if ty.layout == "C" else "t"))
        return trans, shapes[1] if ty.layout == "C" else shapes[0], builder.bitcast(data, ll_void_p)

    transa, lda, data_a = operand(yty, ys, y_data)
    transb, ldb, data_b = operand(xty, xs, x_data)
    dtype = xty.dtype
    res = builder.call(fn, (ir.Constant(ll_char, ord(get_blas_kind(dtype))), transa, transb,
                            n, m, k, _scalar_slot(context, builder, dtype, alpha), data_a, lda,
                            data_b, ldb, _scalar_slot(context, builder, dtype, 1.0),
                            builder.bitcast(out_data, ll_void_p), n))
    check_blas_return(context, builder, res)


def _gemv_into(context, builder, do_trans, mty, ms, m_data, v_data, out_data, alpha) -> None:
    """``out += alpha * op(matrix) @ vector`` (as Numba's ``call_xxgemv``, ``beta = 1``)."""
    fnty = ir.FunctionType(ir.IntType(32), [ll_char, ll_char, intp_t, intp_t, ll_void_p,
                                            ll_void_p, intp_t, ll_void_p, ll_void_p, ll_void_p])
    fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemv")
    rows, cols = ms if mty.layout == "F" else (ms[1], ms[0])
    dtype = mty.dtype
    res = builder.call(fn, (ir.Constant(ll_char, ord(get_blas_kind(dtype))),
                            ir.Constant(ll_char, ord("t" if do_trans else "n")), rows, cols,
                            _scalar_slot(context, builder, dtype, alpha),
                            builder.bitcast(m_data, ll_void_p), rows,
                            builder.bitcast(v_data, ll_void_p),
                            _scalar_slot(context, builder, dtype, 1.0),
                            builder.bitcast(out_data, ll_void_p)))
    check_blas_return(context, builder, res)


_FEW_ROWS = 16


def _left_untransposed(outty, xty, yty) -> bool:
    """The operand BLAS multiplies from the left (``y`` of ``out.T = y.T @ x.T``
    for a C ``out``; ``x.T``'s for an F one, :func:`_gemm_into`) is passed
    untransposed."""
    return yty.layout == "C" if outty.layout == "C" else xty.layout == "F"


def _flipped(ty):
    return ty.copy(layout="F" if ty.layout == "C" else "C")


def _accumulate(context, builder, sig, args, alpha, inplace_op):
    outty = sig.args[0]
    product_sig = _product_signature(context.typing_context, *sig.args[1:])
    ensure_blas()
    out = make_array(outty)(context, builder, args[0])
    os_ = cgutils.unpack_tuple(builder, out.shape)
    zero = context.get_constant(types.intp, 0)
    limit = context.get_constant(types.intp, 2 ** 31 - 1)
    operands_sig = signature(types.none, *sig.args[1:])
    with make_contiguous(context, builder, operands_sig, args[1:]) as (contiguous, values):
        xty, yty = contiguous.args
        x, y = (make_array(t)(context, builder, v) for t, v in zip(contiguous.args, values))
        xs, ys = cgutils.unpack_tuple(builder, x.shape), cgutils.unpack_tuple(builder, y.shape)
        if xty.ndim == yty.ndim == 2:
            (m, k), (k2, n) = xs, ys
            made = [m, n]
        elif xty.ndim == 2:
            (m, k), (k2,), n = xs, ys, None
            made = [m]
        else:
            (k,), (k2, n), m = xs, ys, None
            made = [n]
        same_shape = builder.icmp_signed("==", k, k2)
        for have, want in zip(os_, made):
            same_shape = builder.and_(same_shape, builder.icmp_signed("==", have, want))
        fits = same_shape
        for size in [k] + made:
            fits = builder.and_(fits, builder.and_(builder.icmp_signed(">", size, zero),
                                                   builder.icmp_signed("<=", size, limit)))
        if xty.ndim == yty.ndim == 2 and _left_untransposed(outty, xty, yty):
            # (OpenBLAS's gemm adding into an output whose leading dimension (BLAS's
            # rows: a C matrix's columns) is small, the left operand untransposed,
            # took up to twice as long as the product made and then added: 5000 x 4
            # times 4 x 4, all C)
            rows = n if outty.layout == "C" else m
            fits = builder.and_(fits, builder.icmp_signed(
                ">=", rows, context.get_constant(types.intp, _FEW_ROWS)))
        fits = builder.and_(fits, builder.and_(_apart(context, builder, out, x),
                                               _apart(context, builder, out, y)))
        with builder.if_else(fits, likely=True) as (direct, as_written):
            with direct:
                if xty.ndim == yty.ndim == 2:
                    if outty.layout == "C":
                        _gemm_into(context, builder, (xty, xs, x.data), (yty, ys, y.data),
                                   out.data, m, n, k, alpha)
                    else:               # out.T += y.T @ x.T, out.T C-contiguous
                        _gemm_into(context, builder, (_flipped(yty), ys[::-1], y.data),
                                   (_flipped(xty), xs[::-1], x.data), out.data, n, m, k, alpha)
                elif xty.ndim == 2:
                    _gemv_into(context, builder, xty.layout == "C", xty, xs, x.data, y.data,
                               out.data, alpha)
                else:
                    _gemv_into(context, builder, yty.layout == "F", yty, ys, y.data, x.data,
                               out.data, alpha)
            with as_written:
                if outty.layout == "C":
                    _made_then_added(context, builder, inplace_op, outty, args[0], out,
                                     product_sig, args[1:], same_shape)
                else:
                    added_sig, result = _as_written(context, builder, inplace_op, outty,
                                                    args[0], product_sig, args[1:])
                    context.nrt.decref(builder, added_sig.return_type, result)
    return impl_ret_borrowed(context, builder, outty, args[0])


def _made_then_added(context, builder, inplace_op, outty, out_value, out, product_sig,
                     operands, same_shape) -> None:
    """The product made, then added into a C-contiguous ``out`` of its shape by one
    loop over their elements in memory order (Numba's ``+=`` of two matrices walks
    them by index with its broadcasting: 25 against 4 us for 3000 x 6); any other
    shape (a broadcast, a mismatch: its error) by Numba's ``+=``."""
    product = lower_matmul(context, builder, product_sig, operands)
    with builder.if_else(same_shape, likely=True) as (flat, broadcast):
        with flat:
            made = make_array(product_sig.return_type)(context, builder, product)
            dtype = outty.dtype
            step = context.get_function(
                operator.add if inplace_op is operator.iadd else operator.sub,
                signature(dtype, dtype, dtype))
            with cgutils.for_range(builder, out.nitems) as loop:
                at = builder.gep(out.data, [loop.index])
                value = step(builder, (context.unpack_value(builder, dtype, at),
                                       context.unpack_value(builder, dtype, builder.gep(
                                           made.data, [loop.index]))))
                context.pack_value(builder, dtype, value, at)
        with broadcast:
            added_sig, result = _numbas_add(context, builder, inplace_op, outty, out_value,
                                            product_sig.return_type, product)
            context.nrt.decref(builder, added_sig.return_type, result)
    context.nrt.decref(builder, product_sig.return_type, product)


def _register_accumulation(fn, alpha: float, inplace_op) -> None:
    class Accumulation(AbstractTemplate):
        key = fn

        def generic(self, args, kws):
            if kws or len(args) != 3:
                return None
            out, a, b = args
            if _accumulates_through_blas(out, a, b):
                return signature(out, *args)
            product = _product_signature(self.context, a, b)
            added = None if product is None else self.context.resolve_function_type(
                inplace_op, (out, product.return_type), {})
            return None if added is None else signature(added.return_type, *args)

    infer_global(fn)(Accumulation)

    @lower_builtin(fn, types.Any, types.Any, types.Any)
    def lower(context, builder, sig, args):
        if _accumulates_through_blas(*sig.args):
            return _accumulate(context, builder, sig, args, alpha, inplace_op)
        product_sig = _product_signature(context.typing_context, *sig.args[1:])
        _, result = _as_written(context, builder, inplace_op, sig.args[0], args[0],
                                product_sig, args[1:])
        return result


_register_accumulation(add_matmul_now, 1.0, operator.iadd)
_register_accumulation(sub_matmul_now, -1.0, operator.isub)
