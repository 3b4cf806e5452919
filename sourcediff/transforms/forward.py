"""Forward mode for users: ``sd.jvp(f, wrt)`` and JVPs of other transforms.

``sd.jvp(f, wrt)(*args, tangents)`` returns ``(f(*args), J @ tangents)``: the
generated ``<f>_jvp`` computes each value and its tangent side by side.

A transform's own generated code is differentiable source, so ``sd.jvp``
also takes a ``Grad``/``ValueAndGrad``/``JVP``: ``sd.jvp(sd.grad(f))(x, v)``
is ``(grad f(x), H v)`` (forward over reverse: a Hessian-vector product
without forming H) and ``sd.jvp(sd.jvp(f))`` gives second and, nested once
more, third directional derivatives.  The generated function of the inner
transform is loaded as Python (its source registered with ``linecache``) and
run through the same passes as a user's function.

Each transform has a *user* signature (what a user passes) and a *generated*
signature (the parameters of its generated function): ``sd.jvp(f, (0, 1))``
takes ``(x, w, n, (x_t, w_t))`` and its ``f_jvp`` takes
``(x, w, n, x_dot, w_dot)``.  ``layout`` maps one to the other.
"""
from __future__ import annotations

import hashlib
import inspect

import numpy as np

from ..backends import TARGETS, load_numba, load_python, python_entry
from ..passes.types import argument_type
from ..program import Program
from ..runtime.memory import TapesKept
from .base import (
    BUILD_LOCK,
    CompiledEntry,
    Transformed,
    as_result_type,
    guess_types,
    like_argument,
    unwrap_value,
    written_names,
    wrt_positions,
)
from .reverse import Grad, ValueAndGrad


# -- transforms seen through their generated functions ------------------------
def user_params(t) -> list:
    """Names of a transform's user-level parameters."""
    if isinstance(t, JVP):
        return t.user_params
    return list(t.src.params)


def layout(t) -> list:
    """For each user-level parameter, the positions of the generated function's
    parameters it becomes."""
    if isinstance(t, JVP):
        return t.layout
    return [[k] for k in range(len(t.src.params))]


def bind_user(t, args, kwargs) -> list:
    """The user-level argument values of a call ``t(*args, **kwargs)``."""
    if isinstance(t, JVP):
        return t.bind_user(args, kwargs)
    values, _ = t.bind(args, kwargs)
    return values


def to_generated(t, values) -> list:
    """User-level values -> the generated function's arguments."""
    if isinstance(t, JVP):
        return t.to_generated(values)
    return list(values)


def written_positions(t) -> set:
    """Positions of a transform's generated parameters its code may write into."""
    if isinstance(t, JVP):
        return t.written_positions()
    written = written_names(t.src.tree, t.src.namespace)
    return {k for k, p in enumerate(t.src.params) if p in written}


def present(t, out, values):
    """The generated function's result -> what the user-level call returns."""
    if isinstance(t, JVP):
        return t.present(out, values)
    value, grads = out
    grads = tuple(like_argument(g, values[k]) for g, k in zip(grads, t.wrt))
    grads = grads[0] if t.single else grads
    if isinstance(t, ValueAndGrad):
        return value, grads
    return grads


def generated_function(t, gen_types):
    """The generated function of transform ``t`` for the generated-level argument
    types ``gen_types``, as a Python function whose source the passes can read.

    ``sd.jvp(sd.grad(f))`` transforms ``generated_function(sd.grad(f), types)``,
    the adjoint ``f_grad``, with forward mode (the entry point for
    Hessian-vector products and higher derivatives)."""
    cache = t.__dict__.setdefault("_generated_functions", {})
    key = tuple(gen_types)
    if key in cache:
        return cache[key]
    if isinstance(t, JVP):
        program, entry = t.program(gen_types)
    elif isinstance(t, (Grad, ValueAndGrad)) and getattr(t, "batch", None) is None:
        program = t._build_source_only(list(gen_types)).program
        entry = program._grad_name
        program.prune([entry])
    else:
        raise TypeError(f"sd.jvp cannot transform a {type(t).__name__}")
    source = program.source()
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    injected = dict(program.injected)
    injected.update(program.user_rules)
    ns = load_python(source, f"<sourcediff {entry} {digest}>", injected)
    for name in program.order:
        ns[name].__sourcediff_generated__ = True
    cache[key] = ns[entry]
    return ns[entry]


def _check_tangent(name, value, tangent):
    """A tangent shaped and typed like its primal value (a copy when cast)."""
    if isinstance(value, tuple):
        if not isinstance(tangent, tuple) or len(tangent) != len(value):
            raise ValueError(f"the tangent of '{name}' must be a tuple of {len(value)} values")
        return tuple(_check_tangent(f"{name}[{k}]", v, t)
                     for k, (v, t) in enumerate(zip(value, tangent)))
    if isinstance(value, np.ndarray):
        t = np.asarray(tangent)
        if t.shape != value.shape:
            raise ValueError(f"the tangent of '{name}' has shape {t.shape}, but '{name}' has "
                             f"shape {value.shape}")
        if value.dtype.kind != "f":
            raise TypeError(f"cannot differentiate with respect to '{name}': it is an integer "
                            "array")
        # (ascontiguousarray makes a 0-d array 1-d: its shape put back)
        return np.ascontiguousarray(t, dtype=value.dtype).reshape(value.shape)
    if isinstance(tangent, np.ndarray) and tangent.ndim > 0:
        raise ValueError(f"the tangent of '{name}' must be a number, like '{name}'")
    if isinstance(value, np.float32):
        return np.float32(tangent)
    return float(tangent)


class JVP(Transformed):
    """``sd.jvp(f, wrt)``: ``g(*args, tangents) -> (f(*args), directional derivative)``."""

    def __init__(self, func, wrt=0, target="cpu"):
        self.inner = func if isinstance(func, Transformed) else None
        if self.inner is None:
            super().__init__(func, wrt, target, "jvp")
            params = list(self.src.params)
            n = len(params)
            self.user_params = params + ["tangents"]
            self.layout = [[k] for k in range(n)] + [[n + j for j in range(len(self.wrt))]]
            return
        inner = self.inner
        if target not in TARGETS:
            raise ValueError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
        if getattr(inner, "batch", None) is not None or not isinstance(
                inner, (Grad, ValueAndGrad, JVP)):
            raise TypeError(f"sd.jvp cannot transform a {type(inner).__name__}; pass a function, "
                            "sd.grad(...), sd.value_and_grad(...) or sd.jvp(...)")
        self.func = inner.func
        self.src = inner.src
        self.jit_options = {}
        self.signature = None
        params = user_params(inner)
        self.wrt, self.single = wrt_positions(params, wrt, inner.__name__)
        self.target = target
        self.mode = "jvp"
        self._cache = {}
        self._types_of = {}
        self._hot = (None, None)
        self._hot_call = (None,) * 5
        self._last = None
        self.checkpoint = None
        inner_layout = layout(inner)
        n_gen = sum(len(p) for p in inner_layout)
        n_tan = sum(len(inner_layout[k]) for k in self.wrt)
        self.user_params = params + ["tangents"]
        self.layout = inner_layout + [[n_gen + j for j in range(n_tan)]]
        self.__name__ = f"jvp_{inner.__name__}"
        self.__doc__ = f"JVP of {inner.__name__} along tangents of " \
                       f"{', '.join(params[k] for k in self.wrt)}."

    # -- arguments ----------------------------------------------------------
    def bind_user(self, args, kwargs) -> list:
        if not args:
            raise TypeError(f"{self.__name__}(): pass the tangent{'s' if not self.single else ''}"
                            " as the last positional argument")
        *primals, tangents = args
        if self.inner is None:
            values, _ = self.bind(primals, kwargs)
        else:
            values = bind_user(self.inner, primals, kwargs)
        params = self.user_params[:-1]
        if self.single:
            items = (tangents,)
        else:
            if not isinstance(tangents, tuple) or len(tangents) != len(self.wrt):
                raise ValueError(f"{self.__name__}(): wrt has {len(self.wrt)} arguments: pass a "
                                 f"tuple of {len(self.wrt)} tangents as the last argument")
            items = tangents
        checked = []
        for k, t in zip(self.wrt, items):
            v = values[k]
            if not _floating(v):
                raise TypeError(f"cannot differentiate with respect to argument '{params[k]}' "
                                f"of {self.__name__}(): it is not a float, a float array or a "
                                "tuple of floats")
            checked.append(_check_tangent(params[k], v, t))
        return list(values) + [checked[0] if self.single else tuple(checked)]

    def to_generated(self, values) -> list:
        """Flatten the tangents into the generated function's parameters; arrays
        that the generated code writes into are copied (callers keep theirs)."""
        primals, tangents = values[:-1], values[-1]
        inner_layout = self.layout[:-1]
        gen = list(primals) if self.inner is None else to_generated(self.inner, primals)
        for k, t in zip(self.wrt, (tangents,) if self.single else tangents):
            gen += list(t) if len(inner_layout[k]) > 1 else [t]
        written = self.written_positions()
        return [v.copy() if isinstance(v, np.ndarray) and i in written else v
                for i, v in enumerate(gen)]

    def written_positions(self) -> set:
        """Positions of the generated function's parameters it may write into:
        the user function's written parameters, at every level, and their
        tangents."""
        w = getattr(self, "_written_positions", None)
        if w is not None:
            return w
        if self.inner is None:
            params = self.src.params
            inner = {k for k, p in enumerate(params) if p in self.written_params()}
        else:
            inner = written_positions(self.inner)
        gen_wrt = [g for k in self.wrt for g in self.layout[k]]
        first = self.layout[-1][0]
        w = set(inner) | {first + j for j, g in enumerate(gen_wrt) if g in inner}
        self._written_positions = w
        return w

    def present(self, out, values):
        value, tangent = out
        if self.inner is None:
            return _plain(value), _like_value(tangent, value)
        primals = values[:-1]
        return present(self.inner, value, primals), present(self.inner, tangent, primals)

    def written_params(self) -> set:
        written = getattr(self, "_written", None)
        if written is None:
            written = self._written = written_names(self.src.tree, self.src.namespace)
        return written

    # -- generation ------------------------------------------------------------
    def program(self, gen_types) -> tuple:
        """(Program holding the JVP for these generated-level types, its entry name)."""
        n_inner = len(self.layout) - 1
        n_prim = sum(len(p) for p in self.layout[:n_inner])
        prim_types = list(gen_types[:n_prim])
        if self.inner is None:
            func = self.func
            params = self.src.params
            wrt_names = [params[k] for k in self.wrt]
        else:
            func = generated_function(self.inner, prim_types)
            params = list(inspect.signature(func).parameters)
            wrt_names = [params[g] for k in self.wrt for g in self.layout[k]]
        program = Program(func, prim_types)
        # sd.grad returns only the gradients: the value (element 0) needs no tangent
        outputs = [1] if isinstance(self.inner, Grad) else None
        entry = program.tangent(func, prim_types, wrt_names, outputs=outputs)
        program._jvp_name = entry
        primal = program.analyze(func, prim_types)
        program._primal_name, program._ret_type = primal[0], primal[3]
        program.prune([entry])
        return program, entry

    def _build(self, gen_types) -> CompiledEntry:
        program, entry = self.program(gen_types)
        source = program.source(parallel=self.target == "parallel")
        injected = dict(program.injected)
        injected.update(program.user_rules)
        if self.target == "python":
            digest = hashlib.sha256(source.encode()).hexdigest()[:12]
            ns = load_python(source, f"<sourcediff {entry} {digest}>", injected)
            fn = python_entry(ns[entry])
        else:
            import numba
            for k, v in list(injected.items()):
                if callable(v) and not hasattr(v, "py_func") and inspect.isfunction(v):
                    injected[k] = numba.njit(cache=True)(v)
            options = {**self.jit_options, "parallel": True} if self.target == "parallel" \
                else self.jit_options
            fn = load_numba(source, entry, injected, options, list(program.order))[entry]
            if program.allocates_tapes():       # (a tangent of an adjoint: hessians)
                fn = TapesKept(fn)
        return CompiledEntry(program, {"jvp": fn}, source)

    def _build_source_only(self, types):
        """``types``: of the function's own arguments (the tangents follow them)."""
        if self.inner is None and len(types) == len(self.src.params):
            types = list(types) + [types[k] for k in self.wrt]
        program, _ = self.program(types)
        return CompiledEntry(program, {}, program.source(parallel=self.target == "parallel"))

    # -- calling -------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        values = self.bind_user(args, kwargs)
        gen = self.to_generated(values)
        types = [argument_type(v) for v in gen]
        c = self.compiled(types)
        value, tangent = c.names["jvp"](*gen)
        if self.inner is None:
            value = as_result_type(value, getattr(c.program, "_ret_type", None))
        return self.present((value, tangent), values)

    def source_for(self, *args, **kwargs) -> str:
        """The generated source for the types of these arguments (tangent last)."""
        gen = self.to_generated(self.bind_user(args, kwargs))
        return self._build_source_only([argument_type(v) for v in gen]).source

    @property
    def source(self) -> str:
        if self._last is None:
            if self.inner is not None:
                raise ValueError(f"the source of {self.__name__} depends on the argument "
                                 "types: call it once, or use .source_for(*args)")
            from ..errors import TransformError
            try:
                with BUILD_LOCK:
                    self._last = self._build_source_only(guess_types(self.src))
            except TransformError:
                raise ValueError(
                    f"the source of {self.__name__} depends on the argument types: call it "
                    "once, or use .source_for(*args)") from None
        return self._last.source

    def function_source(self, kind="jvp") -> str:
        """Source of one generated function: ``"jvp"`` or ``"primal"``."""
        self.source  # noqa: B018  (make sure something was generated)
        prog = self._last.program
        if kind == "primal":
            if prog._primal_name not in prog.functions:
                raise ValueError("no primal function was generated")
            return prog.functions[prog._primal_name]
        return prog.functions[prog._jvp_name]


def _floating(v) -> bool:
    if isinstance(v, tuple):
        return bool(v) and all(_floating(e) for e in v)
    if isinstance(v, np.ndarray):
        return v.dtype.kind == "f"
    return isinstance(v, (float, np.floating)) and not isinstance(v, bool)


def _plain(value):
    """Results as ``sd.value_and_grad`` gives them: Python floats for float64
    scalars (float32 stays float32), arrays and tuples as they are."""
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return unwrap_value(value)


def _like_value(t, value):
    """A tangent with the type of the value it belongs to (float32 stays float32)."""
    if isinstance(value, tuple):
        return tuple(_like_value(a, b) for a, b in zip(t, value))
    if isinstance(value, np.ndarray):
        t = np.asarray(t)
        return t.astype(value.dtype, copy=False) if value.dtype.kind == "f" else t
    if isinstance(value, np.float32):
        return np.float32(t)
    if isinstance(value, (float, np.floating, int, np.integer)):
        return float(t)
    return t


def jvp(func, wrt=0, target: str = "cpu") -> JVP:
    """Forward mode: ``sd.jvp(f, wrt)(*args, tangents) -> (f(*args), jvp)``.

    The tangent is the last positional argument (a tuple of tangents for a
    tuple ``wrt``), shaped like the argument it belongs to; the result's
    tangent has the shape of the result (a tuple for a tuple result).
    ``func`` may also be ``sd.grad(f)`` (Hessian-vector products),
    ``sd.value_and_grad(f)`` or another ``sd.jvp``.

    >>> import math, sourcediff as sd
    >>> def f(x, y):
    ...     return math.sin(x) * y
    >>> value, tangent = sd.jvp(f, wrt=(0, 1), target="python")(0.0, 2.0, (1.0, 0.5))
    >>> value, tangent                 # cos(0) * 2 * 1 + sin(0) * 0.5
    (0.0, 2.0)
    """
    return JVP(func, wrt, target)
