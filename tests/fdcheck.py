"""Finite-difference gradient checks for sourcediff's function transforms.

``check_grad(f, args, wrt, target)`` differentiates ``f`` with ``sd.grad`` and
``sd.value_and_grad`` and compares the result with central finite differences
computed in float64 on copies of the arguments.

The finite differences use the fourth-order central stencil

    f'(x) ~ (f(x-2h) - 8 f(x-h) + 8 f(x+h) - f(x+2h)) / (12 h)

with ``h = 1e-5 * max(1, |x|)`` per scalar element.  Its truncation error is
O(h**4) ~ 1e-20 and its rounding error ~ eps * |f| / h ~ 1e-11 * |f|, both well
below the rtol of 1e-6 the checks use (the plain second-order stencil with a
1e-6 step has a rounding error near 1e-10 * |f|, which is too close to 1e-6
for functions whose value is much larger than their gradient).  Evaluation
points must therefore be at least ~3e-5 (relative) away from kinks.

Transformed functions are cached per ``(f, wrt, target)`` in module-level
dicts, so each test function is transformed (and, for ``target="cpu"``,
compiled by Numba) once per target, however many argument sets it is checked
at.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

import sourcediff as sd

# (function, wrt as given, target) -> transformed function
_GRAD_CACHE: dict[tuple, Callable] = {}
_VALUE_AND_GRAD_CACHE: dict[tuple, Callable] = {}

_EPS64 = np.finfo(np.float64).eps
# Rounding in the evaluation of f is assumed to be at most this many ulps of
# the largest |f| on the stencil; it enters the tolerance as the FD noise.
_NOISE_ULPS = 200.0


def cached_grad(f: Callable, wrt: Any, target: str) -> Callable:
    """``sd.grad(f, wrt=wrt, target=target)``, transformed once per key."""
    key = (f, wrt, target)
    if key not in _GRAD_CACHE:
        _GRAD_CACHE[key] = sd.grad(f, wrt=wrt, target=target)
    return _GRAD_CACHE[key]


def cached_value_and_grad(f: Callable, wrt: Any, target: str) -> Callable:
    """``sd.value_and_grad(f, wrt=wrt, target=target)``, transformed once per key."""
    key = (f, wrt, target)
    if key not in _VALUE_AND_GRAD_CACHE:
        _VALUE_AND_GRAD_CACHE[key] = sd.value_and_grad(f, wrt=wrt, target=target)
    return _VALUE_AND_GRAD_CACHE[key]


# ----------------------------------------------------------------------------
# argument handling


def _python_function(f: Callable) -> Callable:
    """The plain Python function behind ``f`` (numba dispatcher, @sd.function, ...)."""
    return getattr(f, "py_func", None) or getattr(f, "__wrapped__", None) or f


def wrt_indices(f: Callable, wrt: Any) -> tuple[int, ...]:
    """Positional indices of the ``wrt`` arguments (int, name, or tuple of those)."""
    names = list(inspect.signature(_python_function(f)).parameters)
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(names.index(item))
        else:
            out.append(int(item))
    return tuple(out)


def _copy_arg(a: Any, to_float64: bool) -> Any:
    if isinstance(a, tuple):
        return tuple(_copy_arg(v, to_float64) for v in a)
    if isinstance(a, np.ndarray):
        if to_float64 and a.dtype.kind == "f":
            return a.astype(np.float64)
        return a.copy()
    if to_float64 and isinstance(a, (float, np.floating)):
        return float(a)
    return a


def _leaves(a: Any) -> list:
    if isinstance(a, tuple):
        return [leaf for v in a for leaf in _leaves(v)]
    return [a]


def _rebuild(a: Any, leaves: Any) -> Any:
    """``a`` with its leaves replaced, in order, by those from the iterator ``leaves``."""
    if isinstance(a, tuple):
        return tuple(_rebuild(v, leaves) for v in a)
    return next(leaves)


def _call_float(f: Callable, args: list) -> float:
    return float(f(*args))


# ----------------------------------------------------------------------------
# finite differences


def _derivative_1d(phi: Callable[[float], float], x0: float) -> tuple[float, float]:
    """Fourth-order central difference of ``phi`` at ``x0`` and its noise bound."""
    h = 1e-5 * max(1.0, abs(x0))
    h = (x0 + h) - x0  # a step that is exactly representable around x0
    fm2, fm1 = phi(x0 - 2.0 * h), phi(x0 - h)
    fp1, fp2 = phi(x0 + h), phi(x0 + 2.0 * h)
    d = (fm2 - 8.0 * fm1 + 8.0 * fp1 - fp2) / (12.0 * h)
    scale = max(abs(fm2), abs(fm1), abs(fp1), abs(fp2), 1e-300)
    noise = _NOISE_ULPS * _EPS64 * scale * (18.0 / 12.0) / h
    return d, noise


def _leaf_derivative(f: Callable, base: list, k: int, leaves: list, li: int):
    """FD derivative (and noise) of f w.r.t. leaf ``li`` of argument ``k``."""

    def call_with(new_leaf: Any) -> float:
        new_leaves = list(leaves)
        new_leaves[li] = new_leaf
        trial = list(base)
        trial[k] = _rebuild(base[k], iter(new_leaves))
        return _call_float(f, trial)

    leaf = leaves[li]
    if not isinstance(leaf, np.ndarray):
        return _derivative_1d(call_with, float(leaf))
    if leaf.dtype.kind != "f":
        raise TypeError(f"argument {k} is not a float array: {leaf.dtype}")
    g = np.zeros(leaf.shape, dtype=np.float64)
    noise = np.zeros(leaf.shape, dtype=np.float64)
    for idx in np.ndindex(*leaf.shape):

        def phi(v: float, idx: tuple = idx) -> float:
            trial_leaf = leaf.copy()
            trial_leaf[idx] = v
            return call_with(trial_leaf)

        g[idx], noise[idx] = _derivative_1d(phi, float(leaf[idx]))
    return g, noise


def numeric_grad(f: Callable, args: tuple, wrt: Any = 0, with_noise: bool = False):
    """Finite-difference gradient of scalar ``f`` at ``args`` w.r.t. ``wrt``.

    Computed in float64 on copies (the caller's arrays are never modified).
    Returns the same structure ``sd.grad`` does: one gradient for an int/str
    ``wrt``, a tuple for a tuple ``wrt``.  Array gradients are float64 arrays
    of the argument's shape.  With ``with_noise`` a second structure with the
    estimated FD noise per element is returned as well.
    """
    base = [_copy_arg(a, to_float64=True) for a in args]
    grads, noises = [], []
    for k in wrt_indices(f, wrt):
        leaves = _leaves(base[k])
        pairs = [_leaf_derivative(f, base, k, leaves, li) for li in range(len(leaves))]
        grads.append(_rebuild(base[k], iter([p[0] for p in pairs])))
        noises.append(_rebuild(base[k], iter([p[1] for p in pairs])))
    if not isinstance(wrt, tuple):
        grads, noises = grads[0], noises[0]
    else:
        grads, noises = tuple(grads), tuple(noises)
    return (grads, noises) if with_noise else grads


# ----------------------------------------------------------------------------
# comparisons


def _source_of(df: Any) -> str:
    try:
        src = df.source
    except (AttributeError, TypeError, ValueError, RuntimeError) as exc:
        return f"<no source: {exc!r}>"
    return src if len(src) < 6000 else src[:6000] + "\n... (truncated)"


def assert_same_structure(grad: Any, arg: Any, what: str) -> None:
    """``grad`` has the type, shape and dtype of the argument ``arg``."""
    if isinstance(arg, tuple):
        assert isinstance(grad, tuple) and len(grad) == len(arg), (
            f"{what}: gradient of a tuple argument of length {len(arg)} should be a "
            f"tuple of that length, got {type(grad).__name__}: {grad!r}"
        )
        for i, (g, a) in enumerate(zip(grad, arg)):
            assert_same_structure(g, a, f"{what}[{i}]")
    elif isinstance(arg, np.ndarray):
        assert isinstance(grad, np.ndarray), (
            f"{what}: gradient of an array argument should be an ndarray, got {type(grad).__name__}"
        )
        assert grad.shape == arg.shape, f"{what}: shape {grad.shape} != argument's {arg.shape}"
        assert grad.dtype == arg.dtype, f"{what}: dtype {grad.dtype} != argument's {arg.dtype}"
    else:
        assert isinstance(grad, (float, np.floating)) and not isinstance(grad, np.ndarray), (
            f"{what}: gradient of a scalar argument should be a float, "
            f"got {type(grad).__name__}: {grad!r}"
        )


def assert_close_to_fd(
    got: Any, fd: Any, noise: Any, rtol: float, atol: float, what: str, source: str = ""
) -> None:
    """Element-wise ``|got - fd| <= atol + rtol * (|fd| + 1e-2 max|fd|) + noise``."""
    if isinstance(fd, tuple):
        for i, (g, d, n) in enumerate(zip(got, fd, noise)):
            assert_close_to_fd(g, d, n, rtol, atol, f"{what}[{i}]", source)
        return
    g = np.asarray(got, dtype=np.float64)
    d = np.asarray(fd, dtype=np.float64)
    n = np.asarray(noise, dtype=np.float64)
    assert np.all(np.isfinite(g)), f"{what}: non-finite gradient {g}\n{source}"
    scale = float(np.max(np.abs(d))) if d.size else 0.0
    tol = atol + rtol * (np.abs(d) + 1e-2 * scale) + n
    err = np.abs(g - d)
    if np.all(err <= tol):
        return
    bad = np.argmax(err - tol) if err.ndim else ()
    idx = np.unravel_index(bad, err.shape) if err.ndim else ()
    raise AssertionError(
        f"{what}: gradient differs from finite differences "
        f"(rtol={rtol}, atol={atol}); worst element {idx}: got {g[idx]!r}, "
        f"FD {d[idx]!r}, |err| {err[idx]:.3e} > tol {tol[idx]:.3e}\n"
        f"got:\n{g}\nFD:\n{d}\n--- generated source ---\n{source}"
    )


def _has_float32(args: tuple) -> bool:
    return any(
        isinstance(leaf, (np.ndarray, np.floating)) and np.asarray(leaf).dtype == np.float32
        for a in args
        for leaf in _leaves(a)
    )


def check_grad(
    f: Callable,
    args: tuple,
    wrt: Any = 0,
    target: str = "cpu",
    rtol: float = 1e-6,
    atol: float = 1e-8,
    check_value: bool = True,
):
    """Check ``sd.grad(f, wrt, target)(*args)`` against finite differences.

    Also checks that the gradient has the structure, shape and dtype of the
    ``wrt`` argument(s), that the caller's arguments are left untouched, and
    (``check_value``) that ``sd.value_and_grad`` returns ``f(*args)`` and the
    same gradient.  Returns the gradient.
    """
    args = tuple(args)
    before = [_copy_arg(a, to_float64=False) for a in args]
    indices = wrt_indices(f, wrt)

    df = cached_grad(f, wrt, target)
    grad = df(*args)
    source = _source_of(df)
    what = f"{getattr(f, '__name__', f)} wrt={wrt!r} target={target!r}"

    # structure: 1 gradient for int/str wrt, a tuple of them for a tuple wrt
    if isinstance(wrt, tuple):
        assert isinstance(grad, tuple) and len(grad) == len(wrt), (
            f"{what}: tuple wrt should give a tuple of {len(wrt)} gradients, got {grad!r}"
        )
        grads = grad
    else:
        grads = (grad,)
    for i, (g, k) in enumerate(zip(grads, indices)):
        assert_same_structure(g, args[k], f"{what} gradient {i} (argument {k})")

    fd, noise = numeric_grad(f, args, wrt, with_noise=True)
    assert_close_to_fd(grad, fd, noise, rtol, atol, what, source)

    if check_value:
        vg = cached_value_and_grad(f, wrt, target)
        result = vg(*args)
        assert isinstance(result, tuple) and len(result) == 2, (
            f"{what}: value_and_grad should return (value, grads), got {result!r}"
        )
        value, grad2 = result
        expected = f(*args)
        vtol = 1e-4 if _has_float32(args) else 1e-10
        assert np.isscalar(value) or np.ndim(value) == 0, f"{what}: value {value!r} not scalar"
        assert abs(float(value) - float(expected)) <= vtol * (1.0 + abs(float(expected))), (
            f"{what}: value_and_grad value {value!r} != f(*args) {expected!r}"
        )
        grads2 = grad2 if isinstance(wrt, tuple) else (grad2,)
        assert len(grads2) == len(grads), f"{what}: value_and_grad gave {grad2!r}"
        for i, (g1, g2) in enumerate(zip(grads, grads2)):
            assert_same_structure(g2, args[indices[i]], f"{what} value_and_grad gradient {i}")
            for l1, l2 in zip(_leaves(g1), _leaves(g2)):
                np.testing.assert_allclose(
                    np.asarray(l2, dtype=np.float64),
                    np.asarray(l1, dtype=np.float64),
                    rtol=1e-5 if _has_float32(args) else 1e-10,
                    atol=1e-12,
                    err_msg=f"{what}: value_and_grad gradient {i} differs from grad's",
                )

    for k, (a, b) in enumerate(zip(args, before)):
        for la, lb in zip(_leaves(a), _leaves(b)):
            if isinstance(la, np.ndarray):
                assert np.array_equal(la, lb), f"{what}: argument {k} was modified by the call"
    return grad


def case_id(c) -> str:
    """A pytest id for a parameter of a case: a function's name, a target's string."""
    return getattr(c, "__name__", c if isinstance(c, str) else "")
