"""Bad input gives clear errors (SPEC sections 3 and 7).

Constructs outside the subset raise ``sd.TransformError`` (at ``sd.grad``
time or, since transformation is lazy per argument types, at the first call)
that points at the offending line: ``file:line:col: message`` plus the source
line.  The offending line of each function below carries the marker comment
``# <- error``; the tests look the expected line number up from it.

Call-time mistakes raise TypeError / ValueError naming the argument.
"""

import collections
import inspect
import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.special

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

TARGETS = ["python", "cpu"]
MARKER = "# <- error"
X3 = np.array([0.3, -0.7, 1.1])


# ---------------------------------------------------------------------------
# functions with one unsupported construct each


def e_yield(x):
    y = x * 2.0
    yield y  # <- error


def e_try(x):
    y = x
    try:  # <- error
        y = x * x
    except ValueError:
        y = 0.0
    return y


def e_with(x):
    y = x
    with np.errstate(all="ignore"):  # <- error
        y = x * x
    return y


def e_lambda(x):
    square = lambda v: v * v
    return np.sum(np.vectorize(square)(x))  # <- error (a local function passed as a value)


def e_nested_def(x):
    def inner(v, c=2.0):  # <- error (a default: local functions take plain parameters)
        return v * v * c

    return inner(x) + x


COUNTER = 0


def e_global(x):
    global COUNTER  # <- error
    COUNTER += 1
    return x * x


def e_class(x):
    class Box:  # <- error
        pass

    return x * x


def e_for_over_a_number(x):
    s = 0.0
    for v in x[0]:  # <- error
        s += v * v
    return s


def e_for_over_enumerate_of_a_number(x):
    s = 0.0
    for i, v in enumerate(x[1]):  # <- error
        s += v * i
    return s


def e_library_function(x):
    return scipy.special.logsumexp(np.array([x, 2.0 * x]))  # <- error


def e_float32_promoted(w0, X):
    w = w0.copy()
    for t in range(3):
        w = w - 0.1 * (X.T @ (X @ w))  # <- error
    return np.sum(w * w)


def e_no_derivative_rule(x):
    y = x * 2.0
    return np.heaviside(y, 0.5) * x  # <- error


async def e_async(x):  # <- error
    return x * x


def e_del(x):
    y = x * x
    z = y + 1.0
    del y  # <- error
    return z


def h_pair(a, b):
    return a * b


def e_star_call(x):
    p = (x, 2.0)
    return h_pair(*p)  # <- error


def e_star_signature(x, *rest):  # <- error
    return x * x


def e_import_inside(x):
    import cmath  # noqa: F401  # <- error

    return x * x


def h_with_try(v):
    try:  # <- error
        return v * v
    except ZeroDivisionError:
        return 0.0


def e_error_in_helper(x):
    return h_with_try(x) + x


def e_mask_write_2d(X):
    H = X * 1.0
    H[H < 0] = H[H > 0]  # <- error (an array written through a 2-d mask)
    return np.sum(H)


def e_new_axis(x):
    i = 1
    return np.sum(x[i, None] * x)  # <- error


def e_random_draw(x):
    return x * np.random.standard_normal()  # <- error


_RNG = np.random.default_rng(0)


def e_generator_draw(x):
    return x * _RNG.normal()  # <- error


def e_norm_positional_ord(x):
    return np.linalg.norm(x, 1)  # <- error


def e_norm_unsupported_ord(x):
    return np.linalg.norm(x, 3)  # <- error


def e_sort_in_place(x):
    y = x.copy()
    y.sort()  # <- error
    return np.sum(y * y)


Params = collections.namedtuple("Params", "a b")


def e_namedtuple_field(x, p):
    return x * p.a  # <- error


def e_unused_call(x):
    np.put(x, [0], 2.0)  # <- error
    return np.sum(x)


# (function, arguments, function holding the marker, words the first line of the
#  message should contain one of, describing the construct)
ERROR_CASES = [
    (e_yield, (0.7,), None, ("yield", "generator")),
    (e_try, (0.7,), None, ("try", "except")),
    (e_with, (0.7,), None, ("with",)),
    (e_lambda, (0.7,), None, ("local function", "called")),
    (e_nested_def, (0.7,), None, ("local function", "plain parameters")),
    (e_global, (0.7,), None, ("global",)),
    (e_class, (0.7,), None, ("class",)),
    (e_for_over_a_number, (X3,), None, ("loop over", "array", "float64")),
    (e_for_over_enumerate_of_a_number, (X3,), None, ("loop over", "array", "float64")),
    (e_no_derivative_rule, (0.7,), None, ("heaviside",)),
    (e_async, (0.7,), None, ("async", "coroutine")),
    (e_del, (0.7,), None, ("del",)),
    (e_star_call, (0.7,), None, ("*", "star", "unpack", "variadic")),
    (e_star_signature, (0.7,), None, ("*", "star", "variadic", "rest", "argument")),
    (e_import_inside, (0.7,), None, ("import",)),
    (e_error_in_helper, (0.7,), h_with_try, ("try", "except")),
    (e_new_axis, (np.ones((3, 3)),), None, ("new axis", "expand_dims")),
    # (was "no derivative rule ...; register one with @sourcediff.adjoint")
    (e_random_draw, (0.7,), None, ("pass them in as an argument",)),
    (e_generator_draw, (0.7,), None, ("pass them in as an argument",)),
    # (was "at most 1 positional argument", where ord=1 named the forms supported)
    # (of a vector, ord 1 is supported; of a matrix it names a matrix norm)
    (e_norm_positional_ord, (np.ones((2, 3)),), None, ("for 1-d arrays",)),
    (e_norm_unsupported_ord, (X3,), None, ("without ord",)),
    # (Numba's assertion from inside its compiler on the cpu target before)
    (e_mask_write_2d, (np.ones((2, 2)),), None, ("boolean mask of 2 dimensions", "np.where",
                                                "np.maximum(H, 0.0)")),
    # (was "an expression statement has no effect on the result", naming no call)
    (e_sort_in_place, (X3,), None, ("'y.sort()' changes 'y' in place", "y = np.sort(y)")),
    (e_unused_call, (X3,), None, ("'np.put(x, [0], 2.0)'",)),
    # (was "cannot pass None to 'scipy.special.logsumexp' here ...": its own defaults)
    (e_library_function, (0.7,), None, ("no derivative rule for 'scipy.special.logsumexp'",)),
    # (was Numba's TypingError about '@' of two dtypes, from inside its compiler)
    (e_float32_promoted, (X3.astype(np.float32), np.ones((4, 3))), None,
     ("'w': a variable holds both array(float32, 1d) and array(float64, 1d)",
      "NumPy promotes it to float64", ".astype(np.float64)")),
    # (was "unsupported attribute '.a'")
    (e_namedtuple_field, (X3, Params(0.5, 2.0)), None, ("namedtuples are not supported",)),
]


def marked_line(func):
    """(line number, code text) of the line of ``func`` carrying MARKER."""
    lines, start = inspect.getsourcelines(func)
    hits = [(start + i, line) for i, line in enumerate(lines) if MARKER in line]
    assert len(hits) == 1, f"{func.__name__} must have exactly one marker"
    lineno, line = hits[0]
    code = line.split("#")[0].strip()
    return lineno, code


def raise_transform_error(f, args, target, wrt=0):
    """The TransformError raised by transforming ``f`` (at grad time or first call)."""
    with pytest.raises(sd.TransformError) as info:
        df = sd.grad(f, wrt=wrt, target=target)
        df(*args)
    return info.value


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "f, args, where, words", ERROR_CASES, ids=[c[0].__name__ for c in ERROR_CASES]
)
def test_unsupported_construct_raises_transform_error(f, args, where, words, target):
    err = raise_transform_error(f, args, target)
    lineno, code = marked_line(where or f)
    message = str(err)
    first_line = message.splitlines()[0] if message else ""

    assert os.path.basename(err.filename) == os.path.basename(__file__), err.filename
    assert err.lineno == lineno, f"line {err.lineno}, expected {lineno} ({code!r}): {message}"
    assert isinstance(err.col_offset, int) and 0 <= err.col_offset <= len(code) + 80, err.col_offset
    assert code in err.source_line, (err.source_line, code)
    assert message.startswith(f"{err.filename}:{err.lineno}:{err.col_offset}:"), message
    assert code in message, f"the offending source line should be in the message: {message}"
    assert any(w.lower() in first_line.lower() for w in words), (
        f"the message should name the construct ({' or '.join(words)}): {first_line}"
    )


def test_transform_error_is_an_exception():
    assert issubclass(sd.TransformError, Exception)


def e_listcomp(x):
    ys = [x * k for k in range(3)]  # <- error
    return ys[0] + ys[1] * ys[2]


@pytest.mark.parametrize("target", TARGETS)
def test_list_comprehension_is_an_error_or_correct(target):
    # Comprehensions are not in SPEC section 3: either a TransformError at the
    # comprehension, or (if supported) a gradient that agrees with FD.
    try:
        sd.grad(e_listcomp, target=target)(0.7)
    except sd.TransformError as err:
        lineno, code = marked_line(e_listcomp)
        assert err.lineno == lineno and code in err.source_line, str(err)
        return
    check_grad(e_listcomp, (0.7,), 0, target)


# ---------------------------------------------------------------------------
# call-time errors


def two_args(xval, yval):
    return xval * yval + math.sin(xval)


def with_count(xval, count):
    s = 0.0
    for i in range(count):
        s += xval * i
    return s


def array_sum_sq(values):
    return np.sum(values * values)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("args", [(0.5,), (0.5, 1.0, 2.0), ()], ids=["1", "3", "0"])
def test_wrong_number_of_arguments_is_type_error(args, target):
    df = sd.grad(two_args, target=target)
    with pytest.raises(TypeError):
        df(*args)
    vg = sd.value_and_grad(two_args, target=target)
    with pytest.raises(TypeError):
        vg(*args)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "wrt, name",
    [
        (5, "5"),
        ((0, 7), "7"),
        ("zeta_unknown", "zeta_unknown"),
        (("xval", "nope_param"), "nope_param"),
    ],
)
def test_bad_wrt_names_it(wrt, name, target):
    with pytest.raises((ValueError, TypeError)) as info:
        sd.grad(two_args, wrt=wrt, target=target)(0.5, 1.0)
    assert name in str(info.value), str(info.value)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("wrt", [1, "count", (0, 1), ("count",)])
def test_wrt_integer_parameter_is_type_error(wrt, target):
    with pytest.raises(TypeError) as info:
        sd.grad(with_count, wrt=wrt, target=target)(0.5, 3)
    assert "count" in str(info.value), str(info.value)
    with pytest.raises(TypeError) as info:
        sd.value_and_grad(with_count, wrt=wrt, target=target)(0.5, 3)
    assert "count" in str(info.value), str(info.value)


@pytest.mark.parametrize("target", TARGETS)
def test_integer_value_for_wrt_argument_is_type_error(target):
    # as in JAX: an int passed where the gradient is taken is an error, not a zero
    with pytest.raises(TypeError) as info:
        sd.grad(two_args, wrt=0, target=target)(2, 1.5)
    assert "xval" in str(info.value), str(info.value)
    with pytest.raises(TypeError) as info:
        sd.grad(array_sum_sq, wrt=0, target=target)(np.arange(4))
    assert "values" in str(info.value), str(info.value)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("args", [("abc", 1.0), (0.5, "abc")], ids=["wrt-arg", "other-arg"])
def test_string_argument_is_rejected(args, target):
    # (a string is a value the transform specializes on, a mode flag: used as a
    # number it is refused at the line that uses it, naming the argument)
    with pytest.raises((TypeError, ValueError, sd.TransformError), match="abc"):
        sd.grad(two_args, target=target)(*args)


def picks_a_float(x):
    return x[1.5]  # <- error


def scaled(x, n):
    return x * n


def test_a_float_index_is_refused_at_its_line():
    # (compiled, it was Numba's typing error, with no line of the user's)
    with pytest.raises(sd.TransformError, match="the float '1.5' cannot be an index") as info:
        sd.grad(picks_a_float, target="cpu")(X3)
    assert f":{marked_line(picks_a_float)[0]}:" in str(info.value)


@pytest.mark.parametrize("target", TARGETS)
def test_arguments_compiled_code_cannot_hold_are_refused_by_name(target):
    g = sd.value_and_grad(scaled, target=target)
    if target == "cpu":       # (Python's ints have no limit: the python target runs it)
        with pytest.raises(ValueError, match=r"argument 'n' of scaled\(\): the int \d+ does"):
            g(1.0, 2 ** 70)
    assert g(1.0, 3) == (3.0, 3.0)
    if target == "cpu":
        with pytest.raises(ValueError, match="argument 'n'.*does not fit"):
            g(1.0, 2 ** 70)        # after the int64 version is compiled too
    with pytest.raises(TypeError, match="argument 'values'.*masked arrays are not supported"):
        sd.grad(array_sum_sq, target=target)(np.ma.masked_array([1.0, 2.0], mask=[0, 1]))


def number_or_pair(x):
    if x > 0:
        return x
    return np.array([x, x])  # <- error


def test_returns_of_two_types_are_told_as_returns():
    # (the message named the normalizer's '_retval4')
    with pytest.raises(sd.TransformError, match="returns values of different types") as info:
        sd.grad(number_or_pair, target="python")(1.0)
    assert "_retval" not in str(info.value)
    assert f":{marked_line(number_or_pair)[0]}:" in str(info.value)


def test_a_vjp_without_its_cotangent_says_so():
    with pytest.raises(TypeError, match="is the cotangent missing"):
        sd.vjp(two_args, wrt=0, target="python")(0.5, 1.5)


def loops_a_float_count(x, n):
    s = 0.0
    for i in range(n / 2):  # <- error
        s += x
    return s


@pytest.mark.parametrize("target", TARGETS)
def test_range_of_a_float_is_refused_at_its_line(target):
    # (Python raises TypeError; compiled, it ran int(n / 2) iterations)
    with pytest.raises(sd.TransformError, match=r"range\(\) takes ints, not float64") as info:
        sd.grad(loops_a_float_count, target=target)(1.0, 5)
    assert f":{marked_line(loops_a_float_count)[0]}:" in str(info.value)


def copied_into(kap, u0):
    u = u0.copy()
    for s in range(4):
        new = u * kap
        np.copyto(u, new)
    return np.sum(u)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_copyto_is_a_store_into_the_array(target):
    # (refused before, as a call whose result is not used)
    kap, u0 = np.array([1.1, 0.9, 1.3]), np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(sd.grad(copied_into, wrt=0, target=target)(kap, u0),
                               4 * kap ** 3 * u0, rtol=1e-13)
