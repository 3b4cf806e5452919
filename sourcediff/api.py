"""The transforms users call: ``grad``, ``value_and_grad``, ``function``.

Generated code is specialised per argument types and cached: the first
call with a new signature runs the passes and compiles; later calls go
straight to the compiled function.
"""
from __future__ import annotations

import inspect
import threading

import numpy as np

from .backends import TARGETS, load_numba, load_python
from .frontend.source import get_source, unwrap
from .passes.types import type_of_value
from .program import Program

_LOCK = threading.RLock()


def _param_names(func):
    return get_source(func).params


def _normalize_wrt(func, wrt):
    return wrt_positions(_param_names(func), wrt, func.__name__)


def wrt_positions(params, wrt, name) -> tuple:
    """``(positions, single)`` of ``wrt`` (an index, a parameter name, or a tuple
    of them) among ``params``, with the errors a user should see."""
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    if not items:
        raise ValueError("wrt must name at least one argument")
    idx = []
    for w in items:
        if isinstance(w, bool) or not isinstance(w, (int, str)):
            raise TypeError(f"wrt must be an int, a parameter name or a tuple of them, got {w!r}")
        if isinstance(w, str):
            if w not in params:
                raise ValueError(f"wrt={w!r} is not a parameter of '{name}' "
                                 f"(parameters: {', '.join(params)})")
            idx.append(params.index(w))
        else:
            k = w + len(params) if w < 0 else w
            if not 0 <= k < len(params):
                raise ValueError(f"wrt={w} is out of range: '{name}' has "
                                 f"{len(params)} parameters")
            idx.append(k)
    return tuple(idx), single


class _Compiled:
    """One generated module for one signature."""

    def __init__(self, program: Program, names: dict, source: str):
        self.program = program
        self.names = names
        self.source = source


class Transformed:
    """A function of the user's arguments produced by a transform.

    ``.source`` is the generated Python source of the last signature called
    (or, before any call, of float64 scalar arguments).
    """

    targets = TARGETS

    def __init__(self, func, wrt=0, target="cpu", mode="value_and_grad"):
        if target not in self.targets:
            if target in ("parallel", "cuda"):
                raise ValueError(f"target={target!r} computes batched gradients: pass batch=True "
                                 "or a tuple like batch=(0, None) (SPEC section 4)")
            raise ValueError(f"unknown target {target!r}; choose one of "
                             f"{', '.join(self.targets)}")
        self.func, self.jit_options = unwrap(func)
        self.src = get_source(self.func)
        self.signature = inspect.signature(self.func)
        self.wrt, self.single = _normalize_wrt(self.func, wrt)
        _check_subset(self.src)
        self.target = target
        self.mode = mode
        self._cache: dict = {}
        self._last = None
        self.checkpoint = None
        self.__name__ = f"{mode}_{self.func.__name__}"
        self.__doc__ = f"{mode} of {self.func.__name__} with respect to " \
                       f"{', '.join(self.src.params[i] for i in self.wrt)}."

    def with_checkpoint(self, checkpoint):
        """Checkpoint the top-level loops: ``True`` (segments of about
        sqrt(trip count) iterations) or a positive int (iterations per
        segment)."""
        if checkpoint is None or checkpoint is False:
            return self
        if checkpoint is not True and (isinstance(checkpoint, bool) or
                                       not isinstance(checkpoint, int) or checkpoint < 1):
            raise ValueError(f"checkpoint must be True or a positive int (iterations per "
                             f"segment), got {checkpoint!r}")
        self.checkpoint = checkpoint
        self._cache.clear()
        self._last = None
        return self

    # -- arguments -------------------------------------------------------
    def bind(self, args, kwargs):
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.func.__name__}(): {exc}") from None
        bound.apply_defaults()
        values = list(bound.arguments.values())
        types = []
        for name, v in zip(self.src.params, values):
            try:
                types.append(type_of_value(v))
            except TypeError:
                raise TypeError(f"argument '{name}' of {self.func.__name__}() must be a float, "
                                f"int, bool, NumPy array or tuple of these, "
                                f"got {type(v).__name__}") from None
        for k in self.wrt:
            t = types[k]
            name = self.src.params[k]
            if t.kind == "tuple" and t.elts and all(e.is_float for e in t.elts):
                continue
            if not t.is_float:
                what = "an integer" if t.kind == "int" or (t.is_array and t.dtype.kind in "iu") \
                    else f"a {t}"
                raise TypeError(f"cannot differentiate with respect to argument '{name}' of "
                                f"{self.func.__name__}(): it is {what}; pass a float "
                                f"(e.g. {name}=float(...)) or a float array")
        return values, types

    def compiled(self, types) -> _Compiled:
        key = tuple(types)
        c = self._cache.get(key)
        if c is None:
            with _LOCK:
                c = self._cache.get(key)
                if c is None:
                    c = self._build(types)
                    self._cache[key] = c
        self._last = c
        return c

    def _build(self, types) -> _Compiled:
        program = Program(self.func, types)
        program.checkpoint = self.checkpoint
        params = self.src.params
        wrt_names = [params[k] for k in self.wrt]
        entry = program.analyze(self.func, types)
        names = self._generate(program, entry, types, wrt_names)
        source = program.source()
        injected = dict(program.injected)
        injected.update(program.user_rules)
        if self.target == "python":
            ns = load_python(source, f"<sourcediff {self.func.__name__}>", injected)
            funcs = {k: ns[v] for k, v in names.items()}
        else:
            import numba

            from .runtime.scipy_special import uses_scipy_special
            # SciPy's C functions are called through addresses Numba cannot cache
            cache = not uses_scipy_special(injected)
            for k, v in list(injected.items()):
                if callable(v) and not hasattr(v, "py_func") and inspect.isfunction(v):
                    injected[k] = numba.njit(cache=cache)(v)
            options = self.jit_options if cache else {**self.jit_options, "cache": False}
            funcs_by_name = load_numba(source, self.func.__name__, injected, options,
                                       list(program.order))
            funcs = {k: funcs_by_name[v] for k, v in names.items()}
        return _Compiled(program, funcs, source)

    def _generate(self, program, entry, types, wrt_names) -> dict:
        """Generate this transform's functions into ``program``; returns the
        emitted name of each (``"primal"``, ``"grad"``, ...)."""
        pname = program._primal_name = entry[0]
        ret = entry[3]
        if self.mode != "primal" and (ret is None or ret.kind not in ("float", "int", "bool")):
            raise TypeError(f"{self.mode} of {self.func.__name__}() needs a scalar result, but it "
                            f"returns {ret}; use sd.vjp or sd.jacobian for array results")
        aname = program._grad_name = program.adjoint(self.func, types, wrt_names, "grad")
        return {"primal": pname, "grad": aname}

    # -- calling ---------------------------------------------------------
    def run(self, args, kwargs):
        values, types = self.bind(args, kwargs)
        c = self.compiled(types)
        values = self._protect(values, c)
        value, grads = c.names["grad"](*values)
        grads = tuple(_like(g, values[k]) for g, k in zip(grads, self.wrt))
        return value, grads

    def _protect(self, values, c):
        """Copy argument arrays the function writes into, so callers keep theirs."""
        written = c.program._written_params if hasattr(c.program, "_written_params") else None
        if written is None:
            written = set()
            for node in _walk(self.src.tree):
                import ast
                if isinstance(node, (ast.Assign, ast.AugAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for t in targets:
                        while isinstance(t, ast.Subscript):
                            t = t.value
                        if isinstance(t, ast.Name):
                            written.add(t.id)
            c.program._written_params = written
        return [v.copy() if isinstance(v, np.ndarray) and p in written else v
                for p, v in zip(self.src.params, values)]

    @property
    def source(self) -> str:
        """The generated module (primal copy and adjoint) of the last signature
        called; before any call, of argument types guessed from the source."""
        if self._last is None:
            from .errors import TransformError
            try:
                self._last = self._build_source_only(guess_types(self.src))
            except TransformError:
                raise ValueError(
                    f"the source of {self.__name__} depends on the argument types: call it "
                    "once, or use .source_for(*args)") from None
        return self._last.source

    def function_source(self, kind) -> str:
        """Source of one generated function: ``"primal"`` or ``"grad"``."""
        self.source  # noqa: B018  (make sure something was generated)
        prog = self._last.program
        name = prog._primal_name if kind == "primal" else prog._grad_name
        return prog.functions[name]

    def _build_source_only(self, types):
        program = Program(self.func, types)
        program.checkpoint = self.checkpoint
        params = self.src.params
        entry = program.analyze(self.func, types)
        self._generate(program, entry, types, [params[k] for k in self.wrt])
        return _Compiled(program, {}, program.source())

    def source_for(self, *args, **kwargs) -> str:
        """The generated source for the types of these arguments (nothing runs)."""
        _, types = self.bind(args, kwargs)
        return self._build_source_only(types).source


def guess_types(src) -> list:
    """Argument types read off the source, for showing code before any call:
    subscripted parameters are float64 arrays, ``range`` bounds are ints."""
    import ast

    from .passes.types import F64, INT, array
    params = src.params
    ndim = {}
    ints = set()
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and node.value.id in params:
            k = len(node.slice.elts) if isinstance(node.slice, ast.Tuple) else 1
            ndim[node.value.id] = max(ndim.get(node.value.id, 0), k)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in params and node.attr in ("shape", "size", "T", "sum",
                                                                "mean", "dot", "reshape"):
            ndim.setdefault(node.value.id, 1)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("range", "len"):
            for a in node.args:
                if isinstance(a, ast.Name) and a.id in params:
                    if node.func.id == "range":
                        ints.add(a.id)
                    else:
                        ndim.setdefault(a.id, 1)
    types = []
    for p in params:
        if p in ndim:
            types.append(array(np.float64, ndim[p]))
        elif p in ints:
            types.append(INT)
        else:
            types.append(F64)
    return types


def _walk(tree):
    import ast
    return ast.walk(tree)


def _like(g, arg):
    """A gradient with the type of its argument."""
    if isinstance(arg, tuple):
        return tuple(_like(gi, ai) for gi, ai in zip(g, arg))
    if isinstance(arg, np.ndarray):
        g = np.asarray(g)
        return g.astype(arg.dtype, copy=False) if g.dtype != arg.dtype else g
    if isinstance(arg, np.floating):
        return type(arg)(g)
    return float(g)


class Grad(Transformed):
    def __call__(self, *args, **kwargs):
        _, grads = self.run(args, kwargs)
        return grads[0] if self.single else grads


class ValueAndGrad(Transformed):
    def __call__(self, *args, **kwargs):
        value, grads = self.run(args, kwargs)
        return _value(value), (grads[0] if self.single else grads)


def _value(v):
    if isinstance(v, np.ndarray):
        return v
    if isinstance(v, (np.floating, float)):
        return float(v) if not isinstance(v, np.float32) else v
    return v


def grad(func, wrt=0, target: str = "cpu", *, checkpoint=None, batch=None) -> Grad:
    """Gradient of the scalar-valued ``func`` with respect to ``wrt``.

    ``wrt`` is a parameter index, a parameter name, or a tuple of them (then
    the result is a tuple).  ``target``: ``"cpu"`` (Numba) or ``"python"``.

    >>> import math, sourcediff as sd
    >>> def f(x):
    ...     return math.sin(x) * x
    >>> round(sd.grad(f, target="python")(1.0), 6)   # sin(1) + cos(1)
    1.381773

    ``checkpoint``: ``True`` or an int trades recomputation for memory in the
    function's top-level ``for`` loops (see :func:`sourcediff.checkpoint`).

    ``batch``: ``True`` or a tuple of ``0`` (batched) / ``None`` (shared) per
    argument evaluates the gradient for every element of a batch, on the
    targets ``"cpu"``, ``"parallel"`` and ``"cuda"`` (see :mod:`sourcediff.batch`);
    a shared argument's gradient is per element too:

    >>> import numpy as np
    >>> def g(x, w):
    ...     return w * x * x
    >>> sd.grad(g, wrt=(0, 1), target="python", batch=(0, None))(np.array([1.0, 2.0]), 3.0)
    (array([ 6., 12.]), array([1., 4.]))
    """
    if _is_transform(func):
        # higher order: forward mode over the transform's generated code
        from .higher import GradOf
        if checkpoint or (batch is not None and batch is not False):
            raise ValueError("checkpoint= and batch= apply to a function, not to sd.grad of "
                             "a transform")
        return GradOf(func, wrt, target)
    if batch is not None and batch is not False:
        from .batch import BatchedGrad
        return BatchedGrad(func, wrt, target, "grad", batch).with_checkpoint(checkpoint)
    t = Grad(func, wrt, target, "grad")
    return t.with_checkpoint(checkpoint)


def _is_transform(func) -> bool:
    from .higher import GradOf
    return isinstance(func, (Transformed, GradOf))


def value_and_grad(func, wrt=0, target: str = "cpu", *, checkpoint=None,
                   batch=None) -> ValueAndGrad:
    """Like :func:`grad`, returning ``(func(*args), gradient)`` from one sweep.

    Plugs into ``scipy.optimize.minimize(vg, x0, jac=True)``.  ``batch`` as in
    :func:`grad` (the values then have the leading batch axis too).
    """
    if batch is not None and batch is not False:
        from .batch import BatchedValueAndGrad
        return BatchedValueAndGrad(func, wrt, target, "value_and_grad",
                                   batch).with_checkpoint(checkpoint)
    t = ValueAndGrad(func, wrt, target, "value_and_grad")
    return t.with_checkpoint(checkpoint)


def jvp(func, wrt=0, target: str = "cpu"):
    """Forward mode: ``sd.jvp(f, wrt)(*args, tangents) -> (f(*args), jvp)``
    (see :func:`sourcediff.jvps.jvp`)."""
    from .jvps import jvp as forward
    return forward(func, wrt, target)


def _check_subset(src, void_ok=False):
    """Constructs outside the subset are reported when the transform is made,
    not at the first call (the type-independent pass runs now)."""
    from .passes.normalize import Normalizer
    Normalizer(src, void_ok=void_ok).run()


class Function:
    """``@sd.function``: the primal compiled with Numba, with its transforms."""

    def __init__(self, func, target="cpu"):
        self.__sourcediff_function__, _ = unwrap(func)
        # void_ok: a helper that only writes into its argument arrays is fine here
        _check_subset(get_source(self.__sourcediff_function__), void_ok=True)
        self.py_func = self.__sourcediff_function__
        self.target = target
        self.__name__ = self.py_func.__name__
        self.__doc__ = self.py_func.__doc__
        self.__wrapped__ = self.py_func
        self._transforms: dict = {}

    def _transform(self, cls, wrt, target, batch=None):
        key = (cls, wrt if not isinstance(wrt, list) else tuple(wrt), target or self.target,
               batch if not isinstance(batch, list) else tuple(batch))
        t = self._transforms.get(key)
        if t is None:
            if batch is not None and batch is not False:
                from . import batch as batched
                mode = "grad" if cls is Grad else "value_and_grad"
                cls = batched.BatchedGrad if cls is Grad else batched.BatchedValueAndGrad
                t = cls(self.py_func, wrt, target or self.target, mode, batch)
            else:
                t = cls(self.py_func, wrt, target or self.target)
            self._transforms[key] = t
        return t

    def __call__(self, *args, **kwargs):
        from .bridge import call_with_tensors, has_tensor
        if has_tensor(args):
            if kwargs:
                raise TypeError("pass Tensors to an @sd.function positionally")
            return call_with_tensors(self, args)
        params = get_source(self.py_func).params
        if not params:
            return self.py_func()
        t = self._primal_transform()
        values, types = t.bind_primal(args, kwargs)
        c = t.compiled(types)
        return c.names["primal"](*values)

    def _primal_transform(self):
        t = self._transforms.get("primal")
        if t is None:
            t = self._transforms["primal"] = _Primal(self.py_func, 0, self.target)
        return t

    def grad(self, wrt=0, target=None, batch=None) -> Grad:
        return self._transform(Grad, wrt, target, batch)

    def value_and_grad(self, wrt=0, target=None, batch=None) -> ValueAndGrad:
        return self._transform(ValueAndGrad, wrt, target, batch)

    def vjp(self, wrt=0, target=None):
        """``g(*args, cotangent) -> (value, grads)`` (see :func:`sourcediff.vjp`)."""
        from .jacobians import VJP
        return self._transform(VJP, wrt, target)

    def jvp(self, wrt=0, target=None):
        """Forward mode: ``F.jvp(wrt)(*args, tangents) -> (value, jvp)``."""
        from .jvps import JVP
        return self._transform(JVP, wrt, target)

    def source(self, kind: str = "grad", wrt=0) -> str:
        """Generated source: ``"primal"``, ``"grad"`` or ``"jvp"``."""
        if kind not in ("primal", "grad", "jvp"):
            raise ValueError(f"kind must be 'primal', 'grad' or 'jvp', got {kind!r}")
        if kind == "jvp":
            return self.jvp(wrt).function_source("jvp")
        return self.grad(wrt).function_source(kind)

    def __repr__(self):
        return f"<sourcediff.function {self.__name__}>"


class _Primal(Transformed):
    def __init__(self, func, wrt, target):
        super().__init__(func, 0, target, "primal")
        self.wrt = ()

    def bind_primal(self, args, kwargs):
        return self.bind(args, kwargs)


def function(func=None, *, target: str = "cpu"):
    """Decorator: compile ``func`` with Numba and give it ``.grad``,
    ``.value_and_grad`` and ``.source``."""
    if func is None:
        return lambda f: Function(f, target)
    return Function(func, target)


def source(obj, kind: str = "grad") -> str:
    """The generated Python source of a transform, an ``@sd.function`` or a
    plain function (its gradient)."""
    if isinstance(obj, Transformed):
        return obj.source
    if isinstance(obj, Function):
        return obj.source(kind)
    return grad(obj).source


def show(func, wrt=0) -> None:
    """Print the generated primal and adjoint source of ``func``."""
    if isinstance(func, Transformed):
        print(func.source)
        return
    if isinstance(func, Function):
        func = func.py_func
    print(grad(func, wrt).source)


def checkpoint(func=None, *, every=True):
    """Mark ``func`` so that every adjoint generated for it (as the function
    differentiated or as a callee) checkpoints its top-level ``for`` loops:
    the forward sweep keeps a snapshot of the loop's state every ``every``
    iterations (``True``: about sqrt(trip count)) instead of a tape entry per
    iteration, and the reverse sweep re-runs one segment at a time.

    Memory for a loop of T iterations drops from O(T) to O(T / every + every)
    (O(sqrt T) by default) for one extra run of the loop.  Same as
    ``sd.grad(f, checkpoint=every)`` for the function differentiated.

    >>> import sourcediff as sd
    >>> @sd.checkpoint
    ... def power(x, n):
    ...     y = 1.0
    ...     for i in range(n):
    ...         y = y * x
    ...     return y
    >>> sd.grad(power, target="python")(2.0, 10)   # 10 * 2**9
    5120.0
    """
    if func is None:
        return lambda f: checkpoint(f, every=every)
    if every is not True and (isinstance(every, bool) or not isinstance(every, int) or every < 1):
        raise ValueError(f"every must be True or a positive int, got {every!r}")
    target = func.py_func if isinstance(func, Function) else unwrap(func)[0]
    target.__sourcediff_checkpoint__ = every
    return func
