"""No exception from inside the library (issue 11): a correct gradient or a
located ``sd.TransformError``.

Each construct below once failed inside sourcediff or inside Numba (a
``NameError`` in generated code, an ``AttributeError`` in a pass, a Numba
typing error) instead of giving a gradient or pointing at the user's line:

* tuples built in the body and read element-wise (``x[0]``, ``p, q = x``,
  ``for v in x``, ``x[i]`` with a run-time ``i``, ``np.mean((a, b))``);
* branches Numba can decide at compile time (``if DEBUG:``, ``t = -0.787``
  then ``if t > 0.15:``): the adjoint lost tape appends or read a value
  defined only in the pruned branch;
* NumPy reductions and ``np.where`` on plain scalars;
* unsupported input (dicts, string keys, ``axis=None``, a function without a
  reverse rule) now named in the message, at the user's line.

Gradients are checked against central finite differences (``fdcheck``) on
the ``python`` and ``cpu`` targets, forward mode (``sd.jvp``) against the
same differences along a direction.  Each function is transformed once per
target and shared by its argument sets.
"""

import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad, numeric_grad

TARGETS = ["python", "cpu"]
X3 = np.array([0.3, -0.7, 1.1])
MARKER = "# <- error"


# ---------------------------------------------------------------------------
# 1. tuples built in the body


def tuple_index_and_unpack(a, b):
    x = a, b * 2.0, a * b
    p, q, r = x
    return x[0] * x[2] + x[1] * x[-1] + p * q - r


def tuple_loop(a, b):
    x = a, b * 2.0, math.sin(a * b)
    s = 0.0
    for v in x:
        s += v * v
    for w in (a, b):  # over a tuple literal
        s += w * s
    return s


def tuple_runtime_index(a, b, i):
    x = (a, b * 2.0, a * b)
    s = 0.0
    for k in range(len(x)):
        s += x[k] * x[i]
    return s + x[i - 1]


def tuple_nested_and_rebound(a, b, n):
    t = ((a, b), a * b)
    u = t[0]
    s = u[0] * u[1] + t[1] + t[0][1]
    pair = (a, b)
    for _ in range(n):  # rebound every iteration, elements swapped
        pair = (pair[1] * 0.5, pair[0] + a)
    return s + pair[0] * pair[1]


def tuple_of_arrays(x):
    t = (x, x * 2.0)
    u, v = t
    s = 0.0
    for w in t:
        s += np.sum(w * w)
    return np.sum(u * v) + np.sum(t[1]) + s


def tuple_param_loop(p, x, i):
    s = 0.0
    for v in p:
        s += v * x
    return s + p[i] * p[0]


def tuple_returned(a, b):
    t = (a * b, b)
    return t[0] + t[1]


# ---------------------------------------------------------------------------
# 2. branches Numba decides at compile time


DEBUG = False


def const_condition(x, y):
    s = x * y
    t = -0.787
    if t > 0.15:
        t = math.exp(0.1 * x * y)
    else:
        t = s
    return t * x


def global_flag(x, n):
    s = 0.0
    t = 0.5
    if DEBUG:
        for _ in range(n):
            t = math.sin(t * x)
            s += t
    return s + t * x


def const_condition_loop(x, n):
    s = 0.0
    t = -0.787
    if t > 0.15:
        for _ in range(n):  # the tape of t is appended to only here
            t = math.sin(t * x)
            s += t
    else:
        t = s
    flag = True
    if flag:
        s = s + x * x
    flag = s > 10.0
    return s + t * x + (1.0 if flag else 0.0)


def const_test_in_loop(x, n):
    s = 0.0
    for _ in range(n):
        c = 1.0
        if c < 0.0:  # recomputed in the reverse loop: opaque there too
            t = math.exp(x * s)
            s += t * t
        else:
            s += x * s + 0.5
    return s


# ---------------------------------------------------------------------------
# 3. reductions over tuples; NumPy functions on scalars


def mean_of_tuple(x):
    return np.mean((x, x + 2.0)) + np.sum((x, x * x))


def reductions_of_tuple_var(x, y):
    t = (x, y * y)
    return np.sum(t) * np.mean(t)


def numpy_on_scalars(x, y):
    a = np.mean(x) + np.prod(x * y) + np.max(y) - np.min(x)
    b = np.where(x > 0.0, x * y, 2.0 * x)
    return a * b + np.sum(x)


CASES = [
    (tuple_index_and_unpack, [(1.3, 0.7), (-0.4, 1.9)], (0, 1)),
    (tuple_loop, [(1.3, 0.7)], (0, 1)),
    (tuple_runtime_index, [(1.3, 0.7, 2), (1.3, 0.7, 0)], (0, 1)),
    (tuple_nested_and_rebound, [(1.3, 0.7, 3)], (0, 1)),
    (tuple_of_arrays, [(X3,)], 0),
    (tuple_param_loop, [((0.3, 0.6, -1.2), 0.7, 1)], (0, 1)),
    (tuple_returned, [(1.3, 0.7)], (0, 1)),
    (const_condition, [(1.3, 0.7)], (0, 1)),
    (global_flag, [(0.3, 3)], 0),
    (const_condition_loop, [(0.3, 3)], 0),
    (const_test_in_loop, [(0.3, 4)], 0),
    (mean_of_tuple, [(0.7,), (X3,)], 0),
    (reductions_of_tuple_var, [(0.7, -0.4)], (0, 1)),
    (numpy_on_scalars, [(0.7, -0.4), (-0.3, 0.8)], (0, 1)),
]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("f, arg_sets, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_matches_finite_differences(f, arg_sets, wrt, target):
    for args in arg_sets:
        check_grad(f, args, wrt=wrt, target=target)


def _tangent_like(a):
    if isinstance(a, tuple):
        return tuple(_tangent_like(v) for v in a)
    if isinstance(a, np.ndarray):
        return np.linspace(0.5, 1.5, a.size).reshape(a.shape)
    return 0.75


_JVP_CACHE: dict = {}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("f, arg_sets, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_forward_mode_matches_finite_differences(f, arg_sets, wrt, target):
    k = wrt[0] if isinstance(wrt, tuple) else wrt
    key = (f, k, target)
    if key not in _JVP_CACHE:
        _JVP_CACHE[key] = sd.jvp(f, wrt=k, target=target)
    for args in arg_sets:
        tangent = _tangent_like(args[k])
        value, derivative = _JVP_CACHE[key](*args, tangent)
        grad = numeric_grad(f, args, k)
        expected = sum(float(np.sum(np.asarray(g) * np.asarray(t)))
                       for g, t in zip(grad if isinstance(grad, tuple) else (grad,),
                                       tangent if isinstance(tangent, tuple) else (tangent,)))
        assert abs(float(value) - float(f(*args))) <= 1e-10 * (1.0 + abs(float(value)))
        assert abs(float(derivative) - expected) <= 1e-6 * (1.0 + abs(expected)), (
            f"{f.__name__} jvp along argument {k}: {derivative} vs FD {expected}")


def test_tuples_become_one_variable_per_element():
    # the adjoint reads the elements' own adjoints, never a tuple's
    source = sd.grad(tuple_index_and_unpack, wrt=(0, 1), target="python").source
    assert "x_0" in source and "dx_0" in source and "dx[" not in source


# ---------------------------------------------------------------------------
# 4. located messages


def d_subscript(x, d):
    return x * d["a"]  # <- error


def d_literal(x):
    d = {"a": x}  # <- error
    return d["a"]


def d_constructor(x):
    return dict(a=x)["a"] * x  # noqa: C408  # <- error


def d_method(x, d):
    return x * d.get("a", 1.0)  # <- error


def k_mixed_tuple_mean(x, y):
    return np.mean((x, y))  # <- error


def k_loop_over_float(x):
    s = 0.0
    for v in x:  # <- error
        s += v
    return s


def k_bad_dtype(x):
    return np.sum(x.astype("complex128"))  # <- error


def k_tuple_index_range(a, b):
    t = (a, b)
    return t[2] * a  # <- error


MESSAGE_CASES = [
    (d_subscript, (0.5, X3), ("dicts are not supported",)),
    (d_literal, (0.5,), ("dicts are not supported",)),
    (d_constructor, (0.5,), ("dicts are not supported",)),
    (d_method, (0.5, X3), ("dicts are not supported",)),
    (k_mixed_tuple_mean, (X3, 0.5), ("list or tuple", "mixes arrays and numbers")),
    (k_loop_over_float, (0.5,), ("loop", "range", "tuple")),
    (k_bad_dtype, (X3,), ("astype", "complex128")),
    (k_tuple_index_range, (0.5, 0.25), ("index", "range")),
]


def marked_line(func):
    import inspect

    lines, start = inspect.getsourcelines(func)
    hits = [(start + i, line) for i, line in enumerate(lines) if MARKER in line]
    assert len(hits) == 1
    lineno, line = hits[0]
    return lineno, line.split("#")[0].strip()


def assert_located(err, func, words):
    lineno, code = marked_line(func)
    message = str(err)
    first = message.splitlines()[0]
    assert os.path.basename(err.filename) == os.path.basename(__file__), err.filename
    assert err.lineno == lineno, f"line {err.lineno}, expected {lineno}: {message}"
    assert code in err.source_line and code in message, message
    assert message.startswith(f"{err.filename}:{err.lineno}:{err.col_offset}:"), message
    assert all(w in first for w in words), f"the message should name {words}: {first}"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("f, args, words", MESSAGE_CASES,
                         ids=[c[0].__name__ for c in MESSAGE_CASES])
def test_unsupported_input_is_a_located_transform_error(f, args, words, target):
    with pytest.raises(sd.TransformError) as info:
        sd.grad(f, target=target)(*args)
    assert_located(info.value, f, words)


def k_axis_none(x):
    return np.sum(x * x, axis=None) + x[0]  # <- error


def k_astype_string(x):
    return np.sum(x.astype("float64") * x)  # <- error


def k_expand_dims(x):
    y = np.expand_dims(x, 0)  # <- error
    return np.sum(y * y)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("f, words", [(k_axis_none, ("axis",)), (k_astype_string, ("astype",)),
                                      (k_expand_dims, ("np.expand_dims",))],
                         ids=["axis=None", "astype-string", "expand_dims"])
def test_supported_or_refused_naming_the_construct(f, words, target):
    # supported (now or later): the gradient agrees with FD; refused: the
    # message points at the call's line and names the keyword or function
    try:
        sd.grad(f, target=target)(X3)
    except sd.TransformError as err:
        assert_located(err, f, words)
        return
    check_grad(f, (X3,), 0, target)
