"""What every transform shares: the bottom layer of :mod:`sourcediff.transforms`.

:class:`Transformed` is a function of the user's arguments made by a
transform: it binds the arguments (``wrt`` by index or name, the errors a user
should see), infers their types, and keeps one generated module per argument
signature (the generated-code cache): the first call with a new signature runs
the passes and compiles with a backend; later calls go straight to the compiled
function.  Its default generation is the reverse-mode adjoint of a scalar
function, which ``Grad`` and ``ValueAndGrad`` (``reverse.py``) present.
"""
from __future__ import annotations

import dataclasses
import inspect
import threading
import weakref

import numpy as np

from .. import program as _program
from ..backends import TARGETS, load_numba, load_python, python_entry
from ..backends.row_lengths import ROW_MAX, known_row_lengths
from ..errors import NonScalarResult, TransformError
from ..frontend.source import get_source, referenced_deep, unwrap
from ..passes.small_arrays import SMALL, shape_seeds
from ..passes.types import UnsupportedValue, argument_type
from ..program import Program
from ..rules.registry import generation
from ..runtime.memory import TapesKept

# one transform builds at a time: the passes and Numba's compiler share state
BUILD_LOCK = threading.RLock()
_SHARED = weakref.WeakKeyDictionary()   # user function -> {key: CompiledEntry}


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


def _has_float16(t) -> bool:
    if t.kind == "tuple":
        return any(_has_float16(e) for e in t.elts)
    return t.kind in ("float", "array") and t.dtype == np.float16


def refuse_float16(t, name, fname, target):
    """Numba has no float16 on the CPU (its data model raises
    NotImplementedError while compiling): refused at the call, by name."""
    if _has_float16(t):
        raise TypeError(f"argument '{name}' of {fname}() holds float16 values, which Numba "
                        f"does not support (target={target!r}); convert it with "
                        f".astype(np.float32) or .astype(np.float64), or use "
                        f"target='python'")


class CompiledEntry:
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
    shares = None       # transforms with the same ``shares`` build the same modules
    # which array arguments have one shape is part of the types (T.same_shape_as)
    equal_shapes = False
    # compiled, the short last axes of float arrays are too (T.row_length)
    row_lengths = False

    def __init__(self, func, wrt=0, target="cpu", mode="value_and_grad"):
        if target not in self.targets:
            if target == "cuda":
                raise ValueError(f"target={target!r} computes batched gradients: pass batch=True "
                                 "or a tuple like batch=(0, None) (SPEC section 4)")
            raise ValueError(f"unknown target {target!r}; choose one of "
                             f"{', '.join(self.targets)}")
        self.func, self.jit_options = unwrap(func)
        self.src = get_source(self.func)
        self._n_params = len(self.src.params)
        self.signature = inspect.signature(self.func)
        self.wrt, self.single = _normalize_wrt(self.func, wrt)
        # a primal alone may be a helper that only writes into its arguments
        check_subset(self.src, void_ok=mode == "primal")
        self.target = target
        self.mode = mode
        self._cache: dict = {}
        self._types_of: dict = {}         # _quick_key of the arguments -> their types
        # parameters whose shape, when small, is part of the types (small_arrays)
        self._shape_params = shape_seeds(self.src.tree) if mode != "primal" else ()
        # compiled derivatives specialize on short last axes (backends/row_lengths.py)
        self._rows = self.row_lengths and target in ("cpu", "parallel")
        self._hot = (None, None)          # the types last compiled for, and their entry
        self._hot_call = (None,) * 5      # Transformed.run's last call: key, entry, ...
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
        self._hot = (None, None)
        self._hot_call = (None,) * 5
        return self

    # -- arguments -------------------------------------------------------
    def bind(self, args, kwargs):
        # the common call, every argument by position, of types seen before:
        # no signature binding, no type objects built
        key = self._call_key(args) if not kwargs else None
        if key is not None:
            types = self._types_of.get(key)
            if types is not None:
                return list(args), types
        values, types = self._bind_slowly(args, kwargs)
        if key is not None:
            self._types_of[key] = types
        return values, types

    def _call_key(self, args):
        """What decides the types of positional arguments that are plain floats,
        ints, bools and NumPy arrays (``_quick_key``), with the shapes of the
        parameters whose small shape is part of their type; None for others."""
        if len(args) != self._n_params:
            return None
        key = _quick_key(args, self.equal_shapes, self._rows)
        if key is not None and self._shape_params:
            key += tuple(getattr(args[k], "shape", None) for k in self._shape_params)
        return key

    def _bind_slowly(self, args, kwargs):
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.func.__name__}(): {exc}") from None
        bound.apply_defaults()
        values = list(bound.arguments.values())
        types = []
        for name, v in zip(self.src.params, values):
            try:
                types.append(argument_type(v))
            except UnsupportedValue as exc:   # a supported kind in a form it cannot take
                raise TypeError(f"argument '{name}' of {self.func.__name__}(): {exc}") from None
            except TypeError:
                raise TypeError(f"argument '{name}' of {self.func.__name__}() must be a float, "
                                f"int, bool, NumPy array, tuple of these, string or None, "
                                f"got {type(v).__name__}") from None
        if self.target != "python":
            for name, t, v in zip(self.src.params, types, values):
                refuse_float16(t, name, self.func.__name__, self.target)
                if t.kind == "int" and not -2 ** 63 <= int(v) < 2 ** 63:
                    raise ValueError(f"argument '{name}' of {self.func.__name__}(): the int "
                                     f"{v} does not fit in 64 bits (compiled code's ints are "
                                     "int64): pass it as a float")
        if self.equal_shapes:
            for k, same in enumerate(_shape_pattern(values)):
                if same is not None:
                    types[k] = dataclasses.replace(types[k], same_shape_as=same)
            for k, axes in enumerate(_axes_pattern(values)):
                if axes is not None:
                    types[k] = dataclasses.replace(types[k], axes_as=axes)
        if self._rows:
            for k, v in enumerate(values):
                if type(v) is np.ndarray and _row_length(v) is not None:
                    types[k] = dataclasses.replace(types[k], row_length=v.shape[-1])
        for k in self._shape_params:
            v = values[k]
            if isinstance(v, np.ndarray) and v.dtype == np.float64 and v.ndim in (1, 2) \
                    and 0 < v.size <= SMALL:
                types[k] = dataclasses.replace(types[k], shape=tuple(v.shape))
        for k in self.wrt:
            t = types[k]
            name = self.src.params[k]
            if t.kind == "tuple" and t.elts and all(e.is_float for e in t.elts):
                continue
            if not t.is_float:
                what = "an integer" if t.kind == "int" or (t.is_array and t.dtype.kind in "iu") \
                    else repr(t.value) if t.kind == "static" else f"a {t}"
                raise TypeError(f"cannot differentiate with respect to argument '{name}' of "
                                f"{self.func.__name__}(): it is {what}; pass a float "
                                f"(e.g. {name}=float(...)) or a float array")
        return values, types

    def compiled(self, types) -> CompiledEntry:
        hot_types, hot = self._hot
        if types is hot_types:
            self._last = hot
            return hot
        key = tuple(types)
        c = self._cache.get(key)
        if c is None:
            with BUILD_LOCK:
                c = self._cache.get(key)
                if c is None:
                    c = self._shared_build(key, types)
                    self._cache[key] = c
        self._last = c
        self._hot = (types, c)
        return c

    def _shared_build(self, key, types) -> CompiledEntry:
        """``self._build(types)``, or the entry another transform of the same kind
        (``shares``) built for the same function, arguments and options: ``sd.grad(f)``
        and ``sd.value_and_grad(f)`` generate and compile one module. Not shared once a
        rule was registered since, or a name the function or a helper reads was
        bound to another value (a helper defined again)."""
        if self.shares is None:
            return self._build(types)
        try:
            options = tuple(sorted(self.jit_options.items()))
            shared_key = (self.shares, tuple(self.wrt), self.target, options, self.checkpoint,
                          key, generation(), referenced_deep(self.func), _program.STORED_READS)
            hash(shared_key)
        except TypeError:        # an option that is not hashable: nothing shared
            return self._build(types)
        entries = _SHARED.setdefault(self.func, {})
        c = entries.get(shared_key)
        if c is None:
            c = entries[shared_key] = self._build(types)
        return c

    def compile_options(self) -> dict:
        """Numba's options for the generated module: the user's (those their
        ``numba.njit`` was given) over ours.  A derivative's sums may be added
        in another order (``fastmath={"reassoc"}``) so that LLVM vectorizes its
        loops: a parameter's adjoint gets a term in every iteration of a reverse
        loop (``dkappa += ...``), and added one after another they would keep
        the loop from running several iterations at once (Rosenbrock's gradient
        ran 6x slower).  NumPy's pairwise sums and XLA's reductions do not add
        in order either; a primal stays as written, and ``numba.njit(f,
        fastmath=False)`` passed to the transform keeps the derivative's order
        too.  Quotients stay quotients (no ``arcp``): the forward sweep computes
        the primal's values, and a quotient taken as a product by the divisor's
        reciprocal is another number where the primal's is exact (``49.0 /
        49.0`` is 1.0, ``49.0 * (1 / 49.0)`` is 0.9999999999999999): an
        ``int(x / dx)`` on a grid node then picked another cell, and the value
        and gradient were those of another branch."""
        if self.mode == "primal" or "fastmath" in self.jit_options:
            return dict(self.jit_options)
        return {"fastmath": {"reassoc"}, **self.jit_options}

    def _new_program(self, types) -> Program:
        return Program(self.func, types)

    def _build(self, types) -> CompiledEntry:
        program = self._new_program(types)
        program.checkpoint = self.checkpoint
        params = self.src.params
        wrt_names = [params[k] for k in self.wrt]
        entry = program.analyze(self.func, types)
        names = self._generate(program, entry, types, wrt_names)
        source = program.source(parallel=self.target == "parallel")
        injected = dict(program.injected)
        injected.update(program.user_rules)
        if self.target == "python":
            ns = load_python(source, f"<sourcediff {self.func.__name__}>", injected)
            funcs = {k: python_entry(ns[v]) for k, v in names.items()}
        else:
            import numba

            from ..runtime.scipy_special import uses_scipy_special
            # SciPy's C functions are called through addresses Numba cannot cache
            cache = not uses_scipy_special(injected)
            for k, v in list(injected.items()):
                if callable(v) and not hasattr(v, "py_func") and inspect.isfunction(v):
                    injected[k] = numba.njit(cache=cache)(v)
            options = {**self.compile_options(), "cache": cache}
            if self.target == "parallel":
                options["parallel"] = True
            rows = {params[k]: (t.ndim, t.row_length) for k, t in enumerate(types)
                    if t.row_length is not None}
            funcs_by_name = load_numba(known_row_lengths(source, set(names.values()), rows),
                                       self.func.__name__, injected, options,
                                       list(program.order))
            funcs = {k: funcs_by_name[v] for k, v in names.items()}
            if program.allocates_tapes():
                funcs = {k: f if k == "primal" else TapesKept(f) for k, f in funcs.items()}
        return CompiledEntry(program, funcs, source)

    def _generate(self, program, entry, types, wrt_names) -> dict:
        """Generate this transform's functions into ``program``; returns the
        emitted name of each (``"primal"``, ``"grad"``, ...)."""
        pname = program._primal_name = entry[0]
        ret = program._ret_type = entry[3]
        # (a 0-d array is a number, as to NumPy: x ** 4 of an x = np.array(0.5))
        if self.mode != "primal" and (ret is None or ret.kind not in ("float", "int", "bool")
                                      and not (ret.is_array and ret.ndim == 0)):
            raise NonScalarResult(f"{self.mode} of {self.func.__name__}() needs a scalar result, but it "
                            f"returns {ret}; use sd.vjp or sd.jacobian for array results")
        aname = program._grad_name = program.adjoint(self.func, types, wrt_names, "grad")
        return {"primal": pname, "grad": aname}

    # -- calling ---------------------------------------------------------
    def run(self, args, kwargs):
        # a call with the arguments' kinds of the call before (the common case in a
        # loop): the compiled function and what to do around it are remembered
        key = self._call_key(args) if not kwargs else None
        hot = self._hot_call
        if key is None or hot[0] != key:
            args, types = self.bind(args, kwargs)
            c = self.compiled(types)
            ret = getattr(c.program, "_ret_type", None)
            # gradients of Python floats and float64 arrays come back from Numba as
            # they are returned (like_argument keeps them): nothing to convert
            plain = key is not None and self.target != "python" and all(
                key[k] is float or type(key[k]) is tuple and key[k][0] == "d"
                for k in self.wrt) and \
                not (ret is not None and ret.kind == "float" and ret.dtype == np.float32)
            hot = (key, c, c.names["grad"], self._positions_written(c), plain)
            if key is not None:
                self._hot_call = hot
        _, c, grad, written, plain = hot
        self._last = c
        if written:
            args = _copy_written(args, written)
        try:
            value, grads = grad(*args)
        except Exception as exc:
            err = _uncompiled_rule(exc, c.program, self.src, self.target)
            if err is None:
                raise
            raise err from None
        if plain:
            return value, grads
        grads = tuple(like_argument(g, args[k]) for g, k in zip(grads, self.wrt))
        return as_result_type(value, getattr(c.program, "_ret_type", None)), grads

    def _positions_written(self, c):
        """The positions of the parameters the function writes into."""
        positions = c.__dict__.get("written_positions")
        if positions is None:
            written = written_names(self.src.tree, self.src.namespace)
            positions = c.written_positions = tuple(
                k for k, p in enumerate(self.src.params) if p in written)
        return positions

    def _protect(self, values, c):
        """Copy argument arrays the function writes into, so callers keep theirs."""
        return _copy_written(values, self._positions_written(c))

    @property
    def source(self) -> str:
        """The generated module (primal copy and adjoint) of the last signature
        called; before any call, of argument types guessed from the source."""
        if self._last is None:
            try:
                self._last = self._build_source_only(guess_types(self.src))
            except TransformError:
                raise ValueError(
                    f"the source of {self.__name__} depends on the argument types: call it "
                    "once, use .source_for(*args), or sd.show(f, wrt, args=(...))") from None
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
        return CompiledEntry(program, {}, program.source(parallel=self.target == "parallel"))

    def source_for(self, *args, **kwargs) -> str:
        """The generated source for the types of these arguments (nothing runs)."""
        _, types = self.bind(args, kwargs)
        return self._build_source_only(types).source


def guess_types(src) -> list:
    """Argument types read off the source, for showing code before any call:
    subscripted parameters and those with attributes (``x.shape``, ``x.copy()``)
    are float64 arrays, ``range`` bounds are ints, a string or None default is
    the value."""
    import ast

    from ..passes.types import F64, INT, array
    params = src.params
    ndim = {}
    ints = set()
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and node.value.id in params:
            k = len(node.slice.elts) if isinstance(node.slice, ast.Tuple) else 1
            ndim[node.value.id] = max(ndim.get(node.value.id, 0), k)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in params and node.attr not in ("real", "imag",
                                                                    "conjugate"):
            ndim.setdefault(node.value.id, 1)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("range", "len"):
            for a in node.args:
                if isinstance(a, ast.Name) and a.id in params:
                    if node.func.id == "range":
                        ints.add(a.id)
                    else:
                        ndim.setdefault(a.id, 1)
    import inspect
    defaults = {q.name: q.default for q in inspect.signature(src.func).parameters.values()}
    types = []
    for p in params:
        if defaults.get(p) is None or isinstance(defaults.get(p), str):
            # (a mode flag, an array left out: as the call that leaves it out)
            types.append(argument_type(defaults[p]))
        elif p in ndim:
            types.append(array(np.float64, ndim[p]))
        elif p in ints:
            types.append(INT)
        else:
            types.append(F64)
    return types



def _copy_written(values, positions):
    """``values`` with a copy of each array at ``positions`` (the arguments the
    function writes into), so callers keep theirs."""
    if not positions:
        return values
    values = list(values)
    for k in positions:
        if isinstance(values[k], np.ndarray):
            values[k] = values[k].copy()
    return values


def _shape_pattern(values) -> tuple:
    """For each argument, the position of the first earlier array argument of
    its shape (an array of at least one dimension), else None; ``()`` where no
    two array arguments have one shape (the common call, kept cheap)."""
    shapes = [v.shape for v in values if type(v) is np.ndarray and v.ndim]
    if len(set(shapes)) == len(shapes):
        return ()
    first: dict = {}
    out = []
    for k, v in enumerate(values):
        shape = v.shape if type(v) is np.ndarray and v.ndim else None
        out.append(None if shape is None else first.setdefault(shape, k))
        if out[-1] == k:
            out[-1] = None
    return tuple(out)


def _axes_pattern(values) -> tuple:
    """For each argument, where some array argument has two dimensions or more:
    per axis of an array, the ``(position, axis)`` of the first axis of its
    length among the arguments before it and its own earlier axes, else None;
    None for an argument with no such axis; ``()`` where no array has two
    dimensions or more or no two axes are equal.  (A row of a 3-d array,
    ``noise[t, :, 0]``, added to a state of a parameter's length: known to be
    as long, the step runs as one element loop.)"""
    shapes = [v.shape if type(v) is np.ndarray and v.ndim >= 1 else None for v in values]
    if not any(s is not None and len(s) >= 2 for s in shapes):
        return ()
    first: dict = {}
    out = []
    found = False
    for k, shape in enumerate(shapes):
        if shape is None:
            out.append(None)
            continue
        axes = []
        for a, n in enumerate(shape):
            at = first.setdefault(n, (k, a))
            axes.append(None if at == (k, a) else at)
        found = found or any(x is not None for x in axes)
        out.append(tuple(axes) if any(x is not None for x in axes) else None)
    return tuple(out) if found else ()


def _quick_key(values, shape_pattern=False, rows=False):
    """What decides the types of arguments that are plain floats, ints, bools
    and NumPy arrays (dtype and dimensions; with ``shape_pattern``, which array
    arguments have one shape; with ``rows``, the short last axes: ``_row_length``);
    None for anything else."""
    key = []
    shapes = []
    arrays = 0
    for v in values:
        tv = type(v)
        if tv is np.ndarray:
            key.append((v.dtype.char, v.ndim, _row_length(v)) if rows else (v.dtype.char, v.ndim))
            shapes.append(v.shape)
            arrays += 1
        elif tv is float or tv is bool or tv is int and -2 ** 63 <= v < 2 ** 63:
            key.append(tv)
            shapes.append(None)
        elif v is None or tv is str:
            key.append((tv, v))      # (the value is part of the types: static_args)
            shapes.append(None)
        else:
            return None
    if shape_pattern and arrays > 1:
        pattern, axes = _patterns(values, tuple(shapes))
        if pattern:
            key.append(pattern)
        if axes:
            key.append(axes)
    return tuple(key)


def _row_length(v):
    """The length of float array ``v``'s last axis where it has two dimensions or
    more and that axis at most ``ROW_MAX`` elements (backends/row_lengths.py),
    else None."""
    if v.ndim >= 2 and v.dtype.kind == "f" and v.shape[-1] <= ROW_MAX:
        return v.shape[-1]
    return None


_PATTERNS: dict = {}      # the arguments' shapes -> (_shape_pattern, _axes_pattern)


def _patterns(values, shapes) -> tuple:
    """``(_shape_pattern(values), _axes_pattern(values))``, remembered for
    ``shapes`` (each argument's, None for one not an array: all the two read):
    a call in a loop repeats the shapes of the call before, and working the
    patterns out again took most of the time a small gradient spends outside
    its compiled code (q10's spline, 2 us of Numba primal: 17 -> 9 us a call)."""
    out = _PATTERNS.get(shapes)
    if out is None:
        if len(_PATTERNS) >= 256:
            _PATTERNS.clear()
        out = _PATTERNS[shapes] = (_shape_pattern(values), _axes_pattern(values))
    return out


def like_argument(g, arg):
    """A gradient with the type of its argument."""
    ta = type(arg)
    if ta is float:
        return g if type(g) is float else float(g)
    if ta is np.ndarray and type(g) is np.ndarray and g.dtype == arg.dtype:
        return g
    if isinstance(arg, tuple):
        return tuple(like_argument(gi, ai) for gi, ai in zip(g, arg))
    if isinstance(arg, np.ndarray):
        g = np.asarray(g)
        return g.astype(arg.dtype, copy=False) if g.dtype != arg.dtype else g
    if isinstance(arg, np.floating):
        return type(arg)(g)
    return float(g)


def as_result_type(value, t):
    """A float32 number comes back from Numba as a Python float: float32 again
    when the function's result is typed float32 (as the python target gives it)."""
    if t is not None and t.kind == "float" and t.dtype == np.float32 and isinstance(value, float):
        return np.float32(value)
    return value


def unwrap_value(v):
    if type(v) is float or isinstance(v, np.ndarray):
        return v
    if isinstance(v, (np.floating, float)):
        return float(v) if not isinstance(v, np.float32) else v
    return v


def check_subset(src, void_ok=False):
    """Constructs outside the subset are reported when the transform is made,
    not at the first call (the type-independent pass runs now)."""
    if src.keyword_only:
        # (a helper's are bound by name where it is called)
        name = src.keyword_only[0].arg
        raise src.info.error(src.keyword_only[0], f"keyword-only parameters are not supported "
                                                  f"in the function transformed: make '{name}' "
                                                  f"an ordinary parameter (before the '*')")
    from ..passes.normalize import Normalizer
    Normalizer(src, void_ok=void_ok, values_unknown=True).run()


# calls and methods whose result may share memory with their first operand
_VIEWING = {"asarray", "reshape", "ravel", "transpose", "flip", "fliplr", "flipud", "squeeze",
            "expand_dims", "atleast_1d", "atleast_2d", "atleast_3d", "swapaxes", "moveaxis",
            "diagonal", "view", "T"}


def _viewed_name(e):
    """The name whose memory ``e`` may share (``x``, ``x[1:]``, ``x.T``,
    ``np.asarray(x)``, ``x.reshape(...)``), else None; over-approximate."""
    import ast
    while True:
        if isinstance(e, ast.Name):
            return e.id
        if isinstance(e, ast.Subscript) or isinstance(e, ast.Attribute) and e.attr in _VIEWING:
            e = e.value
        elif isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and \
                e.func.attr in _VIEWING:
            module = isinstance(e.func.value, ast.Name) and e.func.value.id in ("np", "numpy")
            if module and not e.args:
                return None
            e = e.args[0] if module else e.func.value      # np.ravel(x), x.ravel()
        else:
            return None


def written_names(tree, namespace=None) -> set:
    """Names assigned or written into (``x[i] = ...``, ``x += ...``) anywhere in
    ``tree``, and the names whose memory a name written into may share
    (``a = np.asarray(x); a[1:] = ...`` writes into ``x``), or that are passed
    to a function of ``namespace`` (its globals) that writes into them."""
    written, into = _writes(tree, namespace, set())
    return written | into


def _writes(tree, namespace, seen) -> tuple:
    """``(names assigned, names whose memory is written into)`` of ``tree``."""
    import ast
    written, into, shares = set(), set(), {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and namespace is not None:
            into |= _passed_and_written(node, namespace, seen)
        if not isinstance(node, (ast.Assign, ast.AugAssign)):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            pairs = zip(t.elts, node.value.elts) if isinstance(t, ast.Tuple) and \
                isinstance(node.value, ast.Tuple) else [(t, node.value)]
            for one, value in pairs:
                if isinstance(node, ast.Assign) and isinstance(one, ast.Name):
                    base = _viewed_name(value)
                    if base is not None:
                        shares.setdefault(one.id, set()).add(base)
            stored = isinstance(t, ast.Subscript) or isinstance(node, ast.AugAssign)
            while isinstance(t, ast.Subscript):
                t = t.value
            if isinstance(t, ast.Name):
                written.add(t.id)
                if stored:
                    into.add(t.id)
    todo = list(into)
    while todo:
        for base in shares.get(todo.pop(), ()):
            if base not in into:
                into.add(base)
                todo.append(base)
    return written, into


def _passed_and_written(call, namespace, seen) -> set:
    """The names passed to ``call`` whose memory the called Python function
    writes into (``fill(x, c)`` with ``def fill(a, c): a[1:] = ...``)."""
    import ast
    import inspect
    if not isinstance(call.func, ast.Name):
        return set()
    callee = unwrap(namespace.get(call.func.id))[0]
    if not inspect.isfunction(callee) or callee in seen:
        return set()
    seen.add(callee)
    try:
        src = get_source(callee)
    except (TransformError, TypeError, OSError):   # (no source: not inlined either)
        return set()
    _, into = _writes(src.tree, src.namespace, seen)
    names = set()
    for k, p in enumerate(src.params[:len(call.args)]):
        base = _viewed_name(call.args[k]) if p in into else None
        if base is not None:
            names.add(base)
    return names


def _uncompiled_rule(exc, program, src, target):
    """Where Numba failed to compile a function a user's ``sd.adjoint`` rule
    registered (``scipy.special.logsumexp``: NumPy code Numba does not take),
    a TransformError saying so at the user's function; else None (``exc`` is
    raised as it is)."""
    if not type(exc).__module__.startswith("numba"):
        return None
    import re

    from ..rules.registry import USER_RULE_NAMES
    text = str(exc)
    prims = set(USER_RULE_NAMES.values())
    names = sorted(n for n in program.user_rules if n in prims and
                   re.search(rf"\b{re.escape(n)}\b", text))
    if not names:
        return None
    listed = ", ".join(f"'{n}'" for n in names)
    return TransformError(
        f"Numba cannot compile {listed}, which the gradient of '{src.name}' calls for its "
        f"sd.adjoint rule (target '{target}' compiles the function and its rule with "
        f"numba.njit): register the rule for a function Numba compiles (an @numba.njit "
        f"version of it), or use target='python'",
        src.info.filename, src.info.line_offset + 1, 0,
        src.info.lines[0] if src.info.lines else "")
