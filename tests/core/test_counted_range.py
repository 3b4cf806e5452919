"""``range`` in the modules Numba compiles for us (backends/counted_range.py):
Numba's range with its index stepped "without signed wrap", so that LLVM
drops the negative-index tests of ``x[i + 1]`` and vectorizes the loop.

Semantics first (every form of range a loop or an expression may take, against
Python's), then the rewrite of the file Numba compiles (``for`` statements
only, lines kept), then the effect in optimized IR, made in a process of its
own at Numba's default level (the suite compiles at ``NUMBA_OPT=0``)."""
import textwrap

import numba
import numpy as np
import pytest

from sourcediff.backends.counted_range import counted_loops, counted_range
from tests.optimized import run_optimized


@numba.njit
def _walk(start, stop, step):
    out = np.empty(max(len(counted_range(start, stop, step)), 0), np.int64)
    k = 0
    for i in counted_range(start, stop, step):
        out[k] = i
        k += 1
    return out[:k]


@numba.njit
def _forms(n):
    a = 0
    for i in counted_range(n):
        a += i
    b = 0
    for i in counted_range(2, n):
        b += i
    r = counted_range(1, n, 3)
    return a, b, len(r), r.start, r.stop, r.step, 4 in r, 5 in r


@numba.njit
def _mixed(n, flag):
    # unified with a plain range: cast to it
    r = counted_range(n) if flag else range(n)
    s = 0
    for i in r:
        s += i
    return s


@numba.njit
def _nested_with_index_arithmetic(x):
    s = 0.0
    for i in counted_range(x.shape[0] - 1):
        for j in counted_range(i, -1, -1):
            s += x[i + 1] * x[j] - x[j - 1]
    return s


@pytest.mark.parametrize("start,stop,step", [
    (0, 10, 1), (3, 10, 2), (3, 11, 2), (10, 0, -1), (10, 0, -3), (9, -1, -1),
    (0, 0, 1), (5, 2, 1), (2, 5, -1), (-4, 3, 1), (-1, -8, -2), (7, 7, -1)])
def test_the_values_are_pythons(start, stop, step):
    assert list(_walk(start, stop, step)) == list(range(start, stop, step))


def test_a_zero_step_raises_as_python_does():
    with pytest.raises(ValueError, match="must not be zero"):
        _walk(0, 5, 0)


def test_one_two_and_three_arguments_len_in_and_attributes():
    n = 11
    r = range(1, n, 3)
    assert _forms(n) == (sum(range(n)), sum(range(2, n)), len(r), 1, n, 3, 4 in r, 5 in r)


def test_integers_of_other_widths():
    assert list(_walk(np.int32(2), np.uint64(9), np.int8(3))) == [2, 5, 8]
    assert _forms(np.int32(7))[0] == sum(range(7))


def test_a_counted_range_unifies_with_a_plain_one():
    assert _mixed(6, True) == _mixed(6, False) == 15


def test_negative_indices_still_wrap():
    # x[j - 1] at j = 0 reads the last element, as in Python
    x = np.linspace(0.5, 2.0, 9)
    assert _nested_with_index_arithmetic(x) == pytest.approx(
        _nested_with_index_arithmetic.py_func(x), rel=1e-14)    # (Python's range)


def test_python_sees_the_builtin():
    assert counted_range(2, 9, 3) == range(2, 9, 3)


def test_only_for_statements_are_rewritten_and_lines_kept():
    source = textwrap.dedent('''\
        def f(x, n):
            # f:2  for i in range(n):
            for i in range(n):
                for (a, b) in zip(range(3), x):
                    s = [k for k in range(n)]
            m = len(range(n))
            for j in  range(n - 1, -1, -1):
                pass
            for (p, q) in enumerate(range(n)):
                pass
    ''')
    out = counted_loops(source).splitlines()
    assert out[1] == "    # f:2  for i in range(n):"
    assert out[2] == "    for i in counted_range(n):"
    assert out[3] == "        for (a, b) in zip(range(3), x):"
    assert out[4] == "            s = [k for k in range(n)]"
    assert out[5] == "    m = len(range(n))"
    assert out[6] == "    for j in  counted_range(n - 1, -1, -1):"
    assert out[8] == "    for (p, q) in enumerate(range(n)):"
    assert len(out) == len(source.splitlines())


SCRIPT = textwrap.dedent('''
    import importlib.util, json, re
    import numba
    import numpy as np
    import sourcediff as sd
    from sourcediff.backends.direct_numpy import NOW
    from sourcediff.bench.programs import option_fd

    # a negative-index test left in optimized IR: "select i1 %c, i64 %n, i64 0"
    WRAP = re.compile(r"= select i1 %[^,]+, i64 %[^,]+, i64 0")

    g = sd.value_and_grad(option_fd.put_temporaries, wrt=option_fd.WRT)
    args = option_fd.make_args(option_fd.SIZES["small"])
    value, grads = g(*args)
    ours = len(WRAP.findall("\\n".join(g._last.names["grad"].inspect_llvm().values())))

    # the same generated source compiled by plain numba.njit (Numba's range)
    path = g._last.names["grad"].py_func.__code__.co_filename
    spec = importlib.util.spec_from_file_location("plain_range", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    source = open(path).read()
    assert "counted_range(" in source
    module.counted_range = range
    for name, fn in NOW.items():            # (allocations and products lowered in place, as in ours)
        setattr(module, name, fn)
    plain = numba.njit(error_model="numpy", fastmath={"reassoc"})(
        module.put_temporaries_grad)
    value_plain, grads_plain = plain(*args)
    text = "\\n".join(plain.inspect_llvm().values())
    out = {"ours": ours, "plain": len(WRAP.findall(text)),
           "error": max(abs(a - b) for a, b in zip(grads, grads_plain)) + abs(value - value_plain)}
    print(json.dumps(out))
''')


@pytest.fixture(scope="module")
def optimized(tmp_path_factory):
    return run_optimized(SCRIPT, tmp_path_factory)


def test_llvm_drops_the_negative_index_tests_of_a_reverse_stencil(optimized):
    # (American put, slice temporaries: 52 such tests with Numba's range, 4 with ours)
    assert optimized["plain"] >= 20
    assert optimized["ours"] * 4 <= optimized["plain"]
    assert optimized["error"] < 1e-12
