"""``range`` in generated modules: Numba's range, with an index LLVM can bound.

Numba steps a ``for i in range(n)`` loop with an ``add`` that may wrap
(Python's integers do not, so the wrap never happens, but LLVM is not told).
Every ``x[i + 1]`` is lowered with a test for a negative index (``x[-1]`` is
the last element).  LLVM removes that test where it proves ``i + 1 >= 0``,
and whether it can depends on how far it follows the loop's two counters
(Numba keeps the index and a separate count of the trips left): in a larger
loop body it stops short, the tests stay, each array access becomes "indirect"
and the loop is not vectorized.  The reverse stencil of the American put
written with slice temporaries kept 52 such tests and ran scalar (3.9 ms);
the same math as one expression per step vectorized (0.9 ms).

Here ``range`` is Numba's range except that stepping the index is marked
"no signed wrap" (``add nsw``, what a C compiler assumes of ``for (i = 0; i <
n; i++)``), which is true of every range: the last step, past the final value,
is never read.  From it LLVM knows ``i >= 0`` in every loop counting up from a
non-negative start, and the tests go (put, temporaries: 52 -> 2 tests, 3.9 ->
1.1 ms).

The file Numba compiles for the ``cpu`` and ``parallel`` targets has its
``for ... in range(...)`` statements call this ``counted_range`` instead
(:func:`counted_loops`, a rewrite of that file only: the code a user reads,
``.source``, still says ``range``; Numba refuses a module global that shadows
``range`` itself).  Users' own ``@njit`` functions keep Numba's range.  The
type derives from Numba's range type, so what Numba's typing allows on a range
(``len``, ``in``, ``.start``, casts to a plain range) is lowered for it too.
"""
from __future__ import annotations

import re

from numba.core import cgutils, types
from numba.core.datamodel import models
from numba.core.extending import lower_builtin, register_model
from numba.core.imputils import RefType, impl_ret_untracked, iternext_impl
from numba.core.typing.templates import AbstractTemplate, infer_global, signature


def counted_range(*args):
    """Python's ``range`` (what the name means outside Numba)."""
    return range(*args)


# a ``for`` statement over ``range(...)`` (a line of code, not a comment)
_FOR_RANGE = re.compile(r"^([ \t]*for\b[^\n#]*?\bin[ \t]+)range\(", re.MULTILINE)


def counted_loops(source: str) -> str:
    """``source`` with its ``for ... in range(`` loops over ``counted_range(``
    (the same lines: Numba's messages point at the right one)."""
    return _FOR_RANGE.sub(r"\1counted_range(", source)


class CountedRangeIterator(types.RangeIteratorType):
    """The iterator: Numba's range iterator, another name."""

    def __init__(self):
        super().__init__(types.int64)
        self.name = "counted_range_iter_int64"

    @property
    def key(self):
        return self.name


class CountedRange(types.RangeType):
    """``counted_range(...)``: a range of int64 whose iterator is the above."""

    def __init__(self):
        super().__init__(types.int64)
        self.name = "counted_range_state_int64"
        self._iterator_type = CountedRangeIterator()

    @property
    def key(self):
        return self.name


counted_range_type = CountedRange()
counted_iterator_type = counted_range_type.iterator_type
register_model(CountedRange)(models.RangeModel)
register_model(CountedRangeIterator)(models.RangeIteratorType)


@infer_global(counted_range)
class _CountedRangeCall(AbstractTemplate):
    """``counted_range(stop)``, ``(start, stop)``, ``(start, stop, step)`` of
    integers (typed here and lowered below: no function of its own to compile)."""

    def generic(self, args, kws):
        if not kws and 1 <= len(args) <= 3 and all(isinstance(a, types.Integer) for a in args):
            return signature(counted_range_type, *args)
        return None


def _state(context, builder, sig, args):
    values = [context.cast(builder, v, t, types.int64) for v, t in zip(args, sig.args)]
    if len(values) == 1:
        values.insert(0, context.get_constant(types.int64, 0))
    if len(values) == 2:
        values.append(context.get_constant(types.int64, 1))
    start, stop, step = values
    state = cgutils.create_struct_proxy(counted_range_type)(context, builder)
    state.start, state.stop, state.step = start, stop, step
    return impl_ret_untracked(context, builder, counted_range_type, state._getvalue())


lower_builtin(counted_range, types.Integer)(_state)
lower_builtin(counted_range, types.Integer, types.Integer)(_state)
lower_builtin(counted_range, types.Integer, types.Integer, types.Integer)(_state)


def _trips(context, builder, start, stop, step):
    """How many values ``range(start, stop, step)`` has (raises for step 0)."""
    zero, one = start.type(0), start.type(1)
    with cgutils.if_unlikely(builder, builder.icmp_signed("==", step, zero)):
        context.call_conv.return_user_exc(builder, ValueError,
                                          ("range() arg 3 must not be zero",))
    diff = builder.sub(stop, start)
    forwards = builder.icmp_signed(">", diff, zero)
    empty = builder.xor(forwards, builder.icmp_signed(">", step, zero))
    rem = builder.srem(diff, step)
    rem = builder.select(forwards, rem, builder.neg(rem))
    count = builder.add(builder.sdiv(diff, step),
                        builder.select(builder.icmp_signed(">", rem, zero), one, zero))
    return builder.select(empty, zero, count)


def _unpack(context, builder, value):
    state = cgutils.create_struct_proxy(counted_range_type)(context, builder, value)
    return state.start, state.stop, state.step


@lower_builtin(len, counted_range_type)
def _range_len(context, builder, sig, args):
    count = _trips(context, builder, *_unpack(context, builder, args[0]))
    return impl_ret_untracked(context, builder, types.int64, count)


@lower_builtin("getiter", counted_range_type)
def _range_iter(context, builder, sig, args):
    start, stop, step = _unpack(context, builder, args[0])
    it = cgutils.create_struct_proxy(counted_iterator_type)(context, builder)
    it.iter = cgutils.alloca_once_value(builder, start)
    it.count = cgutils.alloca_once_value(builder, _trips(context, builder, start, stop, step))
    it.stop, it.step = stop, step
    return impl_ret_untracked(context, builder, counted_iterator_type, it._getvalue())


@lower_builtin("iternext", counted_iterator_type)
@iternext_impl(RefType.UNTRACKED)
def _range_next(context, builder, sig, args, result):
    it = cgutils.create_struct_proxy(counted_iterator_type)(context, builder, args[0])
    count = builder.load(it.count)
    valid = builder.icmp_signed(">", count, count.type(0))
    result.set_valid(valid)
    with builder.if_then(valid):
        value = builder.load(it.iter)
        result.yield_(value)
        builder.store(builder.sub(count, count.type(1), flags=["nsw"]), it.count)
        # (the step past the last value is never read: no wrap to speak of)
        builder.store(builder.add(value, it.step, flags=["nsw"]), it.iter)
