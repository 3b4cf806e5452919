"""Checks of ``sd.jvp`` against directional finite differences and ``sd.grad``.

``check_jvp(f, args, wrt, target)`` draws a random tangent for the ``wrt``
arguments and checks that ``sd.jvp(f, wrt)(*args, tangent)`` returns
``f(*args)`` and the directional derivative of ``f`` along the tangent, from
the fourth-order central stencil ``(phi(-2h) - 8 phi(-h) + 8 phi(h) -
phi(2h)) / (12 h)`` with ``phi(s) = f(args + s * tangent)`` in float64; for a
scalar ``f`` also that it equals ``dot(grad f, tangent)`` from ``sd.grad``.

Transforms are cached per ``(f, wrt, target)`` so each function is generated
(and, for ``target="cpu"``, compiled) once however many argument sets use it.
"""
from __future__ import annotations

import inspect

import numpy as np

import sourcediff as sd

_JVP: dict = {}
_GRAD: dict = {}
_EPS = np.finfo(np.float64).eps


def cached_jvp(f, wrt, target):
    key = (f, wrt, target)
    if key not in _JVP:
        _JVP[key] = sd.jvp(f, wrt=wrt, target=target)
    return _JVP[key]


def cached_grad(f, wrt, target):
    key = (f, wrt, target)
    if key not in _GRAD:
        _GRAD[key] = sd.grad(f, wrt=wrt, target=target)
    return _GRAD[key]


def leaves(a) -> list:
    """Floats of a value (tuples flattened, arrays raveled) as float64 arrays."""
    if isinstance(a, tuple):
        return [x for e in a for x in leaves(e)]
    return [np.asarray(a, dtype=np.float64).ravel()]


def flat(a) -> np.ndarray:
    parts = leaves(a)
    return np.concatenate(parts) if parts else np.zeros(0)


def random_tangent(a, rng):
    if isinstance(a, tuple):
        return tuple(random_tangent(e, rng) for e in a)
    if isinstance(a, np.ndarray):
        return rng.uniform(-1.0, 1.0, a.shape).astype(a.dtype)
    if isinstance(a, np.float32):
        return np.float32(rng.uniform(-1.0, 1.0))
    return float(rng.uniform(-1.0, 1.0))


def _shift(a, t, s):
    """``a + s * t`` in float64 (tuples elementwise)."""
    if isinstance(a, tuple):
        return tuple(_shift(x, y, s) for x, y in zip(a, t))
    if isinstance(a, np.ndarray):
        return a.astype(np.float64) + s * np.asarray(t, dtype=np.float64)
    return float(a) + s * float(t)


def _copy64(a):
    if isinstance(a, tuple):
        return tuple(_copy64(x) for x in a)
    if isinstance(a, np.ndarray):
        return a.astype(np.float64) if a.dtype.kind == "f" else a.copy()
    if isinstance(a, np.floating):
        return float(a)
    return a


def directional_fd(f, args, wrt, tangents):
    """FD derivative of ``f`` along ``tangents`` (one per ``wrt`` index), and
    a bound on its rounding noise."""
    scale = max([1.0] + [float(np.max(np.abs(flat(args[k])))) for k in wrt])
    h = 1e-5 * scale

    def phi(s):
        a = [_copy64(x) for x in args]
        for k, t in zip(wrt, tangents):
            a[k] = _shift(args[k], t, s)
        return flat(f(*a))

    vals = [phi(s * h) for s in (-2, -1, 1, 2)]
    d = (vals[0] - 8 * vals[1] + 8 * vals[2] - vals[3]) / (12 * h)
    size = max(float(np.max(np.abs(v))) if v.size else 0.0 for v in vals)
    return d, 200 * _EPS * size / h


def assert_close(got, want, rtol, atol, noise=0.0, what=""):
    got, want = flat(got), flat(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    bound = atol + rtol * (np.abs(want) + 1e-2 * (np.max(np.abs(want)) if want.size else 0)) \
        + noise
    bad = np.abs(got - want) > bound
    assert not bad.any(), f"{what}: got {got[bad]}, expected {want[bad]}"


def same_structure(t, v, what):
    """The tangent has the type, shape and dtype of the value."""
    if isinstance(v, tuple):
        assert isinstance(t, tuple) and len(t) == len(v), what
        for a, b in zip(t, v):
            same_structure(a, b, what)
    elif isinstance(v, np.ndarray):
        assert isinstance(t, np.ndarray) and t.shape == v.shape, what
        if v.dtype.kind == "f":
            assert t.dtype == v.dtype, f"{what}: tangent dtype {t.dtype} != {v.dtype}"
    else:
        assert np.ndim(t) == 0, what


def _has_float32(args) -> bool:
    return any(isinstance(x, np.float32) or (isinstance(x, np.ndarray) and x.dtype == np.float32)
               for a in args for x in (a if isinstance(a, tuple) else (a,)))


def check_jvp(f, args, wrt, target, rtol=1e-6, atol=1e-8, seed=0, against_grad=True):
    rng = np.random.default_rng(seed)
    params = list(inspect.signature(f).parameters)
    idx = tuple(params.index(w) if isinstance(w, str) else w
                for w in (wrt if isinstance(wrt, tuple) else (wrt,)))
    tangents = tuple(random_tangent(args[k], rng) for k in idx)
    g = cached_jvp(f, wrt, target)
    call_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    value, t = g(*call_args, tangents if isinstance(wrt, tuple) else tangents[0])
    f32 = _has_float32(args)
    if f32:
        rtol, atol = max(rtol, 2e-3), max(atol, 1e-4)
    expected = f(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    same_structure(t, value, "jvp tangent vs value")
    assert_close(value, expected, 1e-12 if not f32 else 1e-5, 1e-12, what="value")
    fd, noise = directional_fd(f, args, idx, tangents)
    assert_close(t, fd, rtol, atol, noise, what="jvp vs directional FD")
    if against_grad and not isinstance(expected, tuple) and np.ndim(expected) == 0:
        grads = cached_grad(f, wrt, target if target == "python" else "python")(
            *[a.copy() if isinstance(a, np.ndarray) else a for a in args])
        grads = grads if isinstance(wrt, tuple) else (grads,)
        dot = sum(float(np.dot(flat(gk), flat(tk))) for gk, tk in zip(grads, tangents))
        assert_close(t, dot, 1e-10 if not f32 else 1e-4, 1e-12, what="jvp vs dot(grad, v)")
    return value, t


# -- Hessian-vector products: sd.jvp(sd.grad(f)) ---------------------------------
_HVP: dict = {}


def cached_hvp(f, wrt, target):
    key = (f, wrt, target)
    if key not in _HVP:
        _HVP[key] = sd.jvp(sd.grad(f, wrt=wrt, target=target), wrt=wrt, target=target)
    return _HVP[key]


def check_hvp(f, args, wrt, target, rtol=1e-5, atol=1e-7, seed=0):
    """``sd.jvp(sd.grad(f, wrt), wrt)(*args, v)`` is ``(grad f, H v)``: the
    gradient agrees with ``sd.grad`` and ``H v`` with the directional FD of
    the gradient along ``v``."""
    rng = np.random.default_rng(seed)
    params = list(inspect.signature(f).parameters)
    idx = tuple(params.index(w) if isinstance(w, str) else w
                for w in (wrt if isinstance(wrt, tuple) else (wrt,)))
    tangents = tuple(random_tangent(args[k], rng) for k in idx)
    hvp = cached_hvp(f, wrt, target)
    g, hv = hvp(*[a.copy() if isinstance(a, np.ndarray) else a for a in args],
                tangents if isinstance(wrt, tuple) else tangents[0])
    grad = cached_grad(f, wrt, "python")
    expected = grad(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    if _has_float32(args):
        rtol, atol = max(rtol, 2e-3), max(atol, 1e-4)
    assert_close(g, expected, 1e-10 if not _has_float32(args) else 1e-5, 1e-12 if not
                 _has_float32(args) else 1e-6, what="gradient from the HVP")
    same_structure(hv, expected, "H v vs gradient")
    fd, noise = directional_fd(grad, args, idx, tangents)
    assert_close(hv, fd, rtol, atol, noise, what="H v vs FD of the gradient")
    return g, hv
