"""backends/typing_memo.py: Numba's signature of an operator on numbers is found
once per process and reused at every later use, in typing and in lowering; a call
Numba refuses is refused again, and calls on anything but numbers are typed by
Numba as before."""
import math
import operator
import re

import numpy as np
import pytest
from numba import njit, types
from numba.core.errors import TypingError

import sourcediff as sd
from sourcediff.backends import typing_memo


@pytest.fixture
def counted(monkeypatch):
    """The memo installed with an empty table, counting the calls it passes on to
    Numba's templates, by callee and argument types."""
    typing_memo.install()
    numba_own = typing_memo.numba_get_call_type
    counts = {}

    def counting(fn, context, args, kws):
        key = (str(fn), tuple(args))
        counts[key] = counts.get(key, 0) + 1
        return numba_own(fn, context, args, kws)

    monkeypatch.setattr(typing_memo, "SIGNATURES", {})
    monkeypatch.setattr(typing_memo, "numba_get_call_type", counting)
    return counts


def test_the_memo_is_installed_by_the_cpu_target():
    from numba.core.types.functions import BaseFunction

    def f(x):
        return x * x

    assert sd.grad(f, target="cpu")(1.5) == 3.0
    assert BaseFunction.get_call_type is typing_memo.get_call_type


def test_a_product_of_floats_is_typed_once_for_all_its_uses(counted):
    def many(a, b):
        s = a * b
        s = s * a + b * b
        s = s * (a * 2.0) + math.cos(a) * math.cos(b)
        return s * s

    many_jit = njit(cache=False)(many)
    assert many_jit(1.25, 0.5) == pytest.approx(many(1.25, 0.5), rel=1e-15)
    mul = next(k for k in counted if "mul" in k[0] and k[1] == (types.float64, types.float64))
    assert counted[mul] == 1
    cos = next(k for k in counted if "cos" in k[0])
    assert counted[cos] == 1

    # a second function: every float product found in the table, none typed again
    def other(a, b):
        return a * b * a - b * a

    assert njit(cache=False)(other)(0.5, 3.0) == pytest.approx(other(0.5, 3.0), rel=1e-15)
    assert counted[mul] == 1


def test_literal_exponents_are_keys_of_their_own(counted):
    def powers(x):
        return x ** 2 + x ** 3 + x ** 0.5

    assert njit(cache=False)(powers)(1.7) == pytest.approx(powers(1.7), rel=1e-15)
    keys = [k for k in typing_memo.SIGNATURES if k[0].typing_key is operator.pow]
    assert len({k[3] for k in keys}) >= 2


def test_a_refused_call_is_refused_again_and_not_kept(counted):
    def bad(a, b):
        return a @ b         # no matrix product of two floats

    for _ in range(2):
        with pytest.raises(TypingError):
            njit(cache=False)(bad)(1.0, 2.0)
    refused = [k for k in counted if "matmul" in k[0]]
    assert refused and all(counted[k] >= 2 for k in refused)
    assert not any(k[0].typing_key is operator.matmul for k in typing_memo.SIGNATURES)


def test_array_reads_and_writes_are_typed_once(counted):
    def rows(x, y):
        y[0] = x[0] * x[1]
        y[1] = x[1] * x[2] + x[0]
        y[2] = x[2] - x[0]
        return y[0] + y[1] + y[2]

    x = np.array([1.5, 2.0, 3.0])
    assert njit(cache=False)(rows)(x, np.zeros(3)) == rows(x, np.zeros(3))
    reads = [k for k in counted if "getitem" in k[0] and k[1][1] == types.int64]
    writes = [k for k in counted if "setitem" in k[0]]
    assert reads and writes
    assert all(counted[k] == 1 for k in reads + writes)


def test_calls_on_other_types_are_left_to_numba(counted):
    def words(n):
        s = "ab" * n
        return len(s + "c")

    f = njit(cache=False)(words)
    assert f(3) == words(3) == 7
    assert f(4) == words(4)
    assert not any(isinstance(a, types.UnicodeType)
                   for k in typing_memo.SIGNATURES for a in k[3])
    strings = [k for k in counted if "add" in k[0] and "unicode" in str(k[1])]
    assert strings


def test_an_inlined_helper_is_typed_once_and_inlined_at_every_use(counted):
    from sourcediff.runtime.declare import install_numba_overloads
    from sourcediff.runtime.helpers import wrap_index
    install_numba_overloads("cpu", {"cache": True})

    def neighbours(u):
        n = u.shape[0]
        s = 0.0
        for i in range(n):
            s += u[wrap_index(i + 1, n)] * u[wrap_index(i - 1, n)] - u[wrap_index(i + 2, n)]
        return s

    u = np.arange(5.0) ** 2
    f = njit(cache=False)(neighbours)
    assert f(u) == neighbours(u)
    uses = [k for k in counted if "wrap_index" in k[0]]
    assert len(uses) == 1 and counted[uses[0]] == 1
    # inlined at each use: its variables in the caller's IR, no call to it
    llvm = f.inspect_llvm(f.signatures[0])
    assert "wrap_index_impl" in llvm
    assert re.search(r"call [^\n]*wrap_index", llvm) is None
