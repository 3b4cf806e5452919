"""backends/typing_memo.py: Numba's signature of an operator on numbers is found
once per process and reused at every later use, in typing and in lowering; a call
Numba refuses is refused again, and calls on anything but numbers are typed by
Numba as before."""
import math
import operator

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


def test_calls_on_arrays_are_left_to_numba(counted):
    def rows(x):
        return x[0] * x[1] + np.sum(x)

    x = np.array([1.5, 2.0, 3.0])
    f = njit(cache=False)(rows)
    assert f(x) == rows(x)
    assert all(isinstance(a, (types.Number, types.Boolean))
               for k in typing_memo.SIGNATURES for a in k[3])
    getitems = [k for k in counted if "getitem" in k[0]]
    assert getitems
