"""Batched gradients (SPEC section 4): ``grad(f, wrt, target=..., batch=...)``.

The gradient of a scalar function for many independent inputs.  For one
signature of *element* types (a batched argument without its leading axis,
a shared argument as it is) the usual adjoint is generated, lowered to a
per-element function (``passes/kernel.py``: tapes in preallocated arrays,
array gradients written into output rows) and called by a generated driver
(``backends/drivers.py``):

* ``cpu``: one compiled loop over the batch (``numba.njit``);
* ``parallel``: the batch split in chunks run by ``numba.prange``; each chunk
  owns its tapes and writes only its own rows, so the iterations are
  independent;
* ``cuda``: a ``numba.cuda`` kernel, one thread per element
  (``backends/numba_cuda.py``);
* ``python``: the same driver run as plain Python (debugging).

Tape capacities are found by running the first element alone with tapes of
capacity one (a push beyond the capacity is counted, not stored); a later
element that needs more reports it and the batch runs again with the larger
capacities, which are then kept for that signature.  ``.source`` shows the whole
generated module, driver or kernel included.

``reduce="sum"`` sums the value and the gradients of shared arguments over the
batch without per-element copies: the element adds a shared array's gradient
into a row that holds a partial sum (``atomic_add`` on the GPU), the driver
adds the returned scalars into one partial per chunk (per block on the GPU),
and the host adds the partials.

A transform pickles with its generated modules (:class:`ModuleSpec`, one per
signature) and compiles them where it is unpickled, into that process's Numba
cache: a Dask worker needs no copy of the user's file.  Batched arguments that
are ``dask.array`` arrays map one batched call over each chunk
(``backends/dask_chunks.py``).
"""
from __future__ import annotations

import ast
import hashlib
import inspect
import sys
import threading
from dataclasses import dataclass, field

import numpy as np

from ..backends import load_python
from ..backends.drivers import Driver, add_partials, allocate_outputs, driver_source
from ..errors import TransformError
from ..passes import kernel
from ..passes.types import array, scalar, type_of_value
from ..program import Program, adjoint_doc
from .base import BUILD_LOCK, Transformed, refuse_float16, written_names

BATCH_TARGETS = ("python", "cpu", "parallel", "cuda")
REDUCTIONS = (None, "sum")


def normalize_batch(batch, func_name: str, params: list) -> tuple:
    """``True`` or a tuple like JAX's ``in_axes`` -> a tuple of ``0`` / ``None`` per parameter."""
    if batch is True:
        return tuple(0 for _ in params)
    if not isinstance(batch, (tuple, list)):
        raise TypeError(f"batch must be True or a tuple of 0 / None per argument, got {batch!r}")
    if len(batch) != len(params):
        raise ValueError(f"batch has {len(batch)} entries but {func_name}() takes "
                         f"{len(params)} arguments ({', '.join(params)})")
    for p, b in zip(params, batch):
        if b is not None and (isinstance(b, bool) or b != 0):
            raise ValueError(f"batch entry for argument '{p}' must be 0 (batched along its first "
                             f"axis) or None (shared), got {b!r}")
    if all(b is None for b in batch):
        raise ValueError("batch marks no argument as batched (0); use batch=None for a "
                         "single evaluation")
    return tuple(batch)


def check_reduce(reduce) -> None:
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be None (one result per batch element) or 'sum' (the "
                         f"value and the shared arguments' gradients summed over the batch), "
                         f"got {reduce!r}")


@dataclass
class ModuleSpec:
    """What compiling one batched module needs, without the user's source: the
    generated functions and the objects their code refers to.  This is what a
    pickled transform carries to another process."""

    stem: str                   # the user's function's name
    header: str
    texts: list                 # generated functions of the module, callees first
    element: kernel.Element
    driver: Driver
    names: list                 # the functions to compile
    injected: dict              # names the generated code uses: user arrays, rules, helpers
    written: frozenset          # parameters the function writes into
    helpers: list = field(default_factory=list)   # cuda device helpers

    def __getstate__(self):
        state = dict(self.__dict__)
        # the user's own functions (custom rules) travel by value, so the
        # receiving process needs no copy of the user's file
        state["injected"] = {k: _ByValue(v) if _user_function(v) else v
                             for k, v in self.injected.items()}
        return state

    def module(self, driver) -> str:
        from ..emit import module_source
        return module_source(self.texts + [self.element.source, driver.source], self.header)

    @property
    def source(self) -> str:
        return self.module(self.driver)


class _Module:
    """One batched module for one signature and target, loaded."""

    def __init__(self, spec, run=None, probe=None, program=None):
        self.spec = spec
        self.program = program    # the passes' Program (where it was generated)
        self.element = spec.element
        self.written = spec.written
        self.source = spec.source
        self.run = run            # run(values, n, capacities) -> (values, grads, need)
        self.probe = probe        # probe(first element's values, capacities) -> tape sizes


class Batched(Transformed):
    """A transform evaluated for each element of a batch."""

    targets = BATCH_TARGETS

    def __init__(self, func, wrt=0, target="cpu", mode="value_and_grad", batch=True,
                 reduce=None):
        check_reduce(reduce)
        super().__init__(func, wrt, target, mode)
        self.name = self.func.__name__
        self.batch = normalize_batch(batch, self.name, self.src.params)
        self.reduce = reduce
        self._capacities: dict = {}
        self._specs: dict = {}
        self._programs: dict = {}       # the passes' Program of each spec made here
        self._function_bytes = None
        self.__doc__ += f" Batched over {', '.join(self._batched_names())}."
        if reduce == "sum":
            self.__doc__ += " Value and shared gradients summed over the batch."

    @property
    def summed(self) -> frozenset:
        """The outputs summed over the batch: ``None`` (the value) and the wrt
        positions of shared arguments (``reduce="sum"``)."""
        if self.reduce != "sum":
            return frozenset()
        return frozenset([None] + [k for k in self.wrt if self.batch[k] is None])

    def _batched_names(self):
        return [p for p, b in zip(self.src.params, self.batch) if b == 0]

    # -- arguments -------------------------------------------------------
    def bind(self, args, kwargs):
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.name}(): {exc}") from None
        bound.apply_defaults()
        values = list(bound.arguments.values())
        types, n, first = [], None, None
        for name, v, b in zip(self.src.params, values, self.batch):
            if b is None:
                t = _type_of(v, name, self.name)
            else:
                if not hasattr(v, "shape") or len(v.shape) == 0:
                    raise ValueError(f"argument '{name}' of {self.name}() is batched "
                                     f"but is a {type(v).__name__}, not an array with a leading "
                                     "batch axis (mark it None in batch= to share it)")
                if v.shape[0] != v.shape[0]:      # nan: a Dask array's unknown length
                    raise ValueError(f"batched argument '{name}' of {self.name}() has chunks "
                                     "of unknown size; call .compute_chunk_sizes() on it "
                                     "first")
                if n is None:
                    n, first = v.shape[0], name
                elif v.shape[0] != n:
                    raise ValueError(f"batched argument '{name}' has {v.shape[0]} elements "
                                     f"along its first axis but '{first}' has {n}")
                t = _element_type(v, name)
            if self.target in ("cpu", "parallel"):
                refuse_float16(t, name, self.name, self.target)
            types.append(t)
        for k in self.wrt:
            t, name = types[k], self.src.params[k]
            if t.kind == "tuple" or not t.is_float:
                what = "an integer" if t.kind == "int" or (t.is_array and t.dtype.kind in "iu") \
                    else f"a {t}"
                raise TypeError(f"cannot differentiate with respect to argument '{name}' of "
                                f"{self.name}(): it is {what}; pass float values")
        return values, types, n

    # -- building --------------------------------------------------------
    def _generate(self, types):
        func = self._function()
        program = Program(func, types)
        program.checkpoint = self.checkpoint
        program.tabulate = self.target != "cuda"      # a kernel cannot allocate a table
        program.scratch = self.target != "cuda"       # nor rows of adds (passes/split_adds.py)
        # an exception in a kernel or a prange loop does not reach the caller (Numba
        # leaves the element's results unset): asserts are left out there
        program.checks = self.target == "cpu"
        program.store_costly = False
        program.growable_stacks = False
        params = self.src.params
        entry = program.analyze(func, types)
        program._primal_name = entry[0]
        ret = entry[3]
        if ret is None or ret.kind != "float":
            raise TypeError(f"{self.mode} of {self.name}() needs a float result, but it "
                            f"returns {ret}")
        grad_name = program._grad_name = program.adjoint(
            func, types, [params[k] for k in self.wrt], "grad")
        summed = self.summed
        accumulate = [k for k in self.wrt if k in summed and types[k].is_array]
        callees = _callee_adjoints(program)
        try:
            element = kernel.lower_adjoint(program.trees[grad_name], grad_name, params,
                                           types, self.wrt, entry[2], accumulate,
                                           atomic=self.target == "cuda",
                                           callees=callees,
                                           store_expensive=self.target != "cuda")
        except kernel.NotLowerable as exc:
            info = self.src.info
            raise TransformError(f"batched {self.mode}: {exc}", info.filename,
                                 info.line_offset + 1, 0, info.lines[0]) from None
        element.value_dtype = ret.dtype
        element.batch, element.wrt = self.batch, self.wrt
        if self.target == "cuda":
            self._check_cuda(program, element, entry, callees)
        element.module_functions = _kept_functions(program, grad_name)
        texts = [element.callees.get(n, program.functions[n]) for n in element.module_functions]
        helpers = []
        if self.target == "cuda":
            from ..backends.numba_cuda import helpers_used, kernel_source
            helpers = helpers_used(texts + [element.source])
            driver = kernel_source(element, self.batch, self.wrt, helpers, summed=summed)
        else:
            driver = driver_source(element, self.batch, self.wrt, self.target == "parallel",
                                   summed)
        info = program.root.info
        header = (f"Generated by sourcediff from {info.filename}:{info.line_offset + 1} "
                  f"('{info.name}'), batched. Do not edit.")
        injected = dict(program.injected)
        injected.update(program.user_rules)
        names = [n for n in program.order if n in element.module_functions] + [element.name]
        spec = ModuleSpec(self.name, header, texts, element, driver, names, injected,
                          frozenset(written_names(self.src.tree, self.src.namespace)), helpers)
        return program, spec

    def _function(self):
        """The user's function (a transform unpickled elsewhere brings it only
        where it can be unpickled and its source read)."""
        if self.func is None:
            func = None
            if self._function_bytes is not None:
                import pickle
                try:
                    func = pickle.loads(self._function_bytes)
                except Exception:   # noqa: BLE001 - its module is not importable here
                    func = None
            if func is None:
                raise ValueError(
                    f"this batched {self.mode} of {self.name}() was unpickled without the "
                    "generated code for these argument types, and the function cannot be "
                    "re-read here; call it (or .source_for) once with arguments of these "
                    "types before pickling it")
            self.func = func
        return self.func

    def _check_cuda(self, program, element, entry, callees):
        envs = {}
        for name, fn, env, _ret, src in program._primal.values():
            envs[name] = (env, src)
        for key, vname in program._vjp.items():
            for (func, types, inplace), e in program._primal.items():
                if func is key[0] and tuple(types) == tuple(key[1]) and inplace == key[4]:
                    envs[vname] = (e[2], e[4])
        left = [(tape, kernel.first_push_line(element.tree.body, tape), self.src)
                for tape in element.list_tapes]
        left += [(tape, line, envs[name][1])
                 for name, tapes in element.callee_list_tapes.items() for tape, line in tapes]
        if left:
            tape, line, src = left[0]
            raise TransformError(f"cannot run in a CUDA kernel (target='cuda'): the values "
                                 f"saved here for the reverse sweep (tape {tape}) could not be "
                                 "lowered to a preallocated array", *_user_line(src, line))
        refused = {}
        for name, callee in callees.items():
            arrays = [p for p, t in callee.grads if t.is_array]
            if arrays:
                refused[name] = (f"the adjoint of '{callee.name}' returns the gradient of "
                                 f"its array argument '{arrays[0]}' in a new array (an "
                                 "allocation); pass it scalars, or use target='cpu'")
        funcs = set(program.functions)
        todo, seen = [(element.name, element.tree, entry[2], self.src)], set()
        while todo:
            name, tree, env, src = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            kernel.check_kernel_subset(tree, env, funcs,
                                       lambda line, src=src: _at_line(src, line), refused)
            for n in ast.walk(tree):
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) \
                        and n.func.id in funcs and n.func.id in envs:
                    e, s = envs[n.func.id]
                    callee = element.callee_trees.get(n.func.id, program.trees[n.func.id])
                    todo.append((n.func.id, callee, e, s))

    def spec(self, types) -> ModuleSpec:
        """The generated module for this signature (generated at the first use)."""
        key = tuple(types)
        spec = self._specs.get(key)
        if spec is None:
            with BUILD_LOCK:
                spec = self._specs.get(key)
                if spec is None:
                    program, spec = self._generate(types)
                    self._specs[key] = spec
                    self._programs[key] = program
        return spec

    def _build(self, types) -> _Module:
        spec = self.spec(types)
        program = self._programs.get(tuple(types))
        element, driver = spec.element, spec.driver
        injected = spec.injected
        if self.target == "python":
            ns = load_python(spec.source, f"<sourcediff batched {self.name}>",
                             {**injected, **_python_tape_helpers()})
            run = _cpu_runner(ns[driver.name], element, driver, 1)
        elif self.target == "cuda":
            from ..backends import numba_cuda

            def build(local):
                d = numba_cuda.kernel_source(element, self.batch, self.wrt, spec.helpers,
                                             local, self.summed)
                src = spec.module(d)
                funcs = numba_cuda.load_cuda(src, self.name, injected, spec.names, d.name,
                                             spec.helpers)
                return funcs[d.name], d, src
            m = _Module(spec, None, _python_probe(spec, self.summed), program)
            m.run = numba_cuda.Runner(m, element, build)
            return m
        else:
            from ..backends.numba_parallel import chunk_count, load_batched
            funcs = load_batched(spec.source, self.name, injected, self.jit_options,
                                 spec.names, driver.name, self.target == "parallel")
            run = _cpu_runner(funcs[driver.name], element, driver,
                              chunk_count() if self.target == "parallel" else 1)
        return _Module(spec, run, lambda first, caps: run(first, 1, caps)[2], program)

    def compiled(self, types):
        key = tuple(types)
        c = self._cache.get(key)
        if c is None:
            with BUILD_LOCK:
                c = self._cache.get(key)
                if c is None:
                    c = self._cache[key] = self._build(types)
        self._last = c
        return c

    def _build_source_only(self, types):
        return _Module(self.spec(types), program=self._programs.get(tuple(types)))

    def source_for(self, *args, **kwargs) -> str:
        """The generated module for the types of these (batched) arguments."""
        _, types, _ = self.bind(args, kwargs)
        return self._build_source_only(types).source

    @property
    def source(self) -> str:
        """The generated module of the last signature called (unpickled without
        its function: of the first signature it was pickled with)."""
        if self._last is None and self.func is None and self._specs:
            return next(iter(self._specs.values())).source
        return Transformed.source.fget(self)

    def _protect(self, values, c):
        """Copy argument arrays the function writes into, so callers keep theirs."""
        return [v.copy() if isinstance(v, np.ndarray) and p in c.written else v
                for p, v in zip(self.src.params, values)]

    # -- pickling ----------------------------------------------------------
    def __reduce__(self):
        """Pickled with its generated modules (no reference to the user's file):
        unpickled in another process it compiles them there, at the first call."""
        import pickle
        state = {k: getattr(self, k) for k in _SHIPPED}
        state["params"], state["info"] = self.src.params, self.src.info
        state["specs"] = dict(self._specs)
        state["function_bytes"] = self._function_bytes
        if state["function_bytes"] is None and self.func is not None:
            try:   # by reference where its module can be imported; else left behind
                state["function_bytes"] = self._function_bytes = pickle.dumps(self.func)
            except Exception:   # noqa: BLE001
                state["function_bytes"] = None
        for spec in self._specs.values():
            check_picklable(spec, self.name)
        return _restore_batched, (type(self), _token(state), state)

    def __dask_tokenize__(self):
        """Dask's name for this transform (same function and options, same name)."""
        state = {k: getattr(self, k) for k in _SHIPPED}
        state["params"], state["info"] = self.src.params, self.src.info
        return type(self).__name__, _token(state)

    # -- calling ---------------------------------------------------------
    def run(self, args, kwargs):
        if _has_dask_array(args) or _has_dask_array(kwargs.values()):
            return self._run_dask(args, kwargs)
        values, types, n = self.bind(args, kwargs)
        return self.run_values(values, types, n)

    def run_values(self, values, types, n):
        """``(value, grads)`` for bound NumPy (or device) arguments: per element,
        or summed over the batch where ``reduce="sum"`` says so."""
        c = self.compiled(types)
        key = tuple(types)
        caps = self._capacities.get(key)
        if caps is None:
            caps = np.zeros(len(c.element.tapes), np.int64)
            if c.element.tapes and n:
                first = [_first(v) if b == 0 else v for v, b in zip(values, self.batch)]
                caps = self._probe(c, first, caps)
        while True:
            # a fresh copy of the arrays the function writes into for every run
            protected = self._protect(values, c)
            if self.target == "cuda":
                protected = _protect_device_arrays(protected, self.src.params, c.written)
            value, grads, need = c.run(protected, n, caps)
            if not np.any(need > caps):
                break
            caps = np.maximum(caps, need)
        self._capacities[key] = caps
        return value, grads

    def run_chunk(self, values):
        """The results for one chunk of a batch (a Dask task): ``run_values``."""
        values, types, n = self.bind(values, {})
        return self.run_values(values, types, n)

    def _run_dask(self, args, kwargs):
        """Batched arguments that are Dask arrays: one batched call per chunk,
        nothing computed yet (``backends/dask_chunks.py``)."""
        from ..backends import dask_chunks
        values, types, _ = self.bind(args, kwargs)
        spec = self.spec(types)     # generated here, compiled where the chunks run
        if not dask_chunks.runs_in_this_process():
            check_picklable(spec, self.name)
        outputs = []
        for name, k, _is_row, summed in spec.driver.outputs:
            if k is None:
                dtype, shape = np.dtype(spec.element.value_dtype), ()
            else:
                v = values[k]
                dtype = np.dtype(v.dtype) if hasattr(v, "dtype") else np.dtype(np.float64)
                shape = tuple(v.shape[1:]) if self.batch[k] == 0 else tuple(np.shape(v))
            outputs.append((dtype, shape, summed))
        results = dask_chunks.map_batched(self, self.name, values, self.batch, outputs)
        return results[0], tuple(results[1:])

    def _probe(self, c, first, caps):
        """Tape capacities the first element needs (an element stops at the first
        tape that is too small, so this may take a few runs of that element)."""
        while True:
            need = c.probe(self._protect(first, c), caps)
            if not np.any(need > caps):
                return caps
            caps = np.maximum(caps, need)

    def ptx(self, *args, cc=(9, 0), **kwargs) -> str:
        """``target="cuda"``: the PTX of the kernel for these arguments, compiled
        by libnvvm for compute capability ``cc`` (no GPU needed; not under the
        simulator)."""
        if self.target != "cuda":
            raise ValueError("ptx() is for target='cuda'")
        values, types, n = self.bind(args, kwargs)
        c = self.compiled(types)
        caps = self._capacities.get(tuple(types))
        if caps is None:
            first = [_first(v) if b == 0 else v for v, b in zip(values, self.batch)]
            caps = self._probe(c, first, np.zeros(len(c.element.tapes), np.int64))
        return c.run.ptx(values, n, caps, cc)


class BatchedGrad(Batched):
    def __call__(self, *args, **kwargs):
        _, grads = self.run(args, kwargs)
        return grads[0] if self.single else grads


class BatchedValueAndGrad(Batched):
    def __call__(self, *args, **kwargs):
        value, grads = self.run(args, kwargs)
        return value, (grads[0] if self.single else grads)


# -- pickling --------------------------------------------------------------------
# what a pickled transform carries besides its modules
_SHIPPED = ("name", "signature", "batch", "reduce", "wrt", "single", "target", "mode",
            "jit_options", "checkpoint", "__name__", "__doc__")
# transforms unpickled in this process, by token: the chunks of a Dask
# computation that reach one worker share one object (its compiled modules
# and tape capacities)
_UNPICKLED: dict = {}
_UNPICKLED_LOCK = threading.Lock()


def _token(state) -> str:
    info = state["info"]
    text = repr((state["name"], state["params"], info.filename, info.lines,
                 [state[k] for k in _SHIPPED if k not in ("signature", "__doc__")]))
    return hashlib.sha256(text.encode()).hexdigest()


class _ShippedSource:
    """What a transform unpickled elsewhere knows of its function's source."""

    def __init__(self, params, info):
        self.params = params
        self.info = info


def _restore_batched(cls, token, state):
    with _UNPICKLED_LOCK:
        t = _UNPICKLED.get(token)
        if t is None:
            t = cls.__new__(cls)
            for k in _SHIPPED:
                setattr(t, k, state[k])
            t.func = None
            t.src = _ShippedSource(state["params"], state["info"])
            t._function_bytes = state["function_bytes"]
            t._cache, t._last, t._capacities, t._specs, t._programs = {}, None, {}, {}, {}
            _UNPICKLED[token] = t
        for key, spec in state["specs"].items():
            t._specs.setdefault(key, spec)
    return t


_LIBRARIES = ("sourcediff", "numpy", "scipy", "math", "numba", "builtins")


def _user_function(obj) -> bool:
    f = getattr(obj, "py_func", obj)
    module = getattr(f, "__module__", None) or ""
    return inspect.isfunction(f) and module.split(".")[0] not in _LIBRARIES


class _ByValue:
    """Pickles a function by value (code and globals), even where its module
    could be imported here: it may not be where it is unpickled."""

    def __init__(self, obj):
        self.obj = obj

    def __reduce__(self):
        try:
            import cloudpickle
        except ImportError:     # (Dask brings it) by reference, then
            return _same, (self.obj,)
        f = getattr(self.obj, "py_func", self.obj)
        module = sys.modules.get(f.__module__)
        registered = cloudpickle.list_registry_pickle_by_value()
        by_value = module is not None and f.__module__ != "__main__" \
            and f.__module__ not in registered
        if by_value:
            cloudpickle.register_pickle_by_value(module)
        try:
            data = cloudpickle.dumps(self.obj)
        finally:
            if by_value:
                cloudpickle.unregister_pickle_by_value(module)
        return cloudpickle.loads, (data,)


def _same(obj):
    return obj


def check_picklable(spec, name) -> None:
    """A clear error, naming the object, for generated code that refers to
    something that cannot be sent to another process."""
    try:
        import cloudpickle as pickler
    except ImportError:
        import pickle as pickler
    for key, obj in spec.injected.items():
        try:
            pickler.dumps(_ByValue(obj) if _user_function(obj) else obj)
        except Exception as exc:   # noqa: BLE001 - whatever the pickler raises
            raise TypeError(
                f"cannot send the batched gradient of {name}() to another process: its "
                f"generated code uses '{key}' ({type(obj).__name__}), which cannot be pickled "
                f"({type(exc).__name__}: {exc})") from None


def _has_dask_array(values) -> bool:
    da = sys.modules.get("dask.array")      # no Dask array exists before it is imported
    return da is not None and any(isinstance(v, da.Array) for v in values)


def _callee_adjoints(program) -> dict:
    """name -> ``kernel.CalleeAdjoint`` of the callees' generated VJPs, callees first."""
    callees = {}
    for (func, types, wrt, mode, inplace, *_), name in program._vjp.items():
        if mode != "vjp" or name not in program.trees:
            continue
        _name, _fn, _env, ret, src = program._primal[(func, tuple(types), inplace)]
        grads = [(p, types[src.params.index(p)]) for p in wrt]
        callees[name] = kernel.CalleeAdjoint(src.name, program.trees[name],
                                             adjoint_doc(src.name, wrt, mode), ret, grads)
    return {name: callees[name] for name in program.order if name in callees}


def _at_line(src, line) -> tuple:
    """(file, line, text) of line ``line`` of ``src``'s function (its first where None)."""
    info = src.info
    if line is None:
        return info.filename, info.line_offset + 1, info.lines[0]
    text = info.lines[line - 1].strip() if 0 < line <= len(info.lines) else ""
    return info.filename, line + info.line_offset, text


def _user_line(src, line) -> tuple:
    """TransformError's (file, line, column, text) at line ``line`` of ``src``."""
    filename, line, text = _at_line(src, line)
    return filename, line, 0, text


def _kept_functions(program, grad_name):
    """The generated functions minus the root's list-tape adjoint (replaced by
    the element function) and primal copies nothing calls."""
    import re
    keep = [n for n in program.order if n != grad_name]
    text = "\n".join(program.functions[n] for n in keep)
    return [n for n in keep if n.endswith(("_vjp", "_grad")) or
            re.search(rf"\b{n}\(", text.replace(f"def {n}(", ""))]


def _type_of(v, name, fname):
    if hasattr(v, "shape") and hasattr(v, "dtype") and not isinstance(v, np.ndarray) \
            and not np.isscalar(v):
        return array(np.dtype(v.dtype), len(v.shape))
    try:
        t = type_of_value(v)
    except TypeError:
        raise TypeError(f"argument '{name}' of {fname}() must be a float, int, bool or "
                        f"NumPy array, got {type(v).__name__}") from None
    if t.kind == "tuple":
        raise TypeError(f"argument '{name}' of {fname}(): tuple arguments are not supported "
                        "in batched mode; pass their items as separate arguments")
    return t


def _element_type(v, name):
    dtype = np.dtype(v.dtype)
    if dtype.kind not in "fiub":
        raise TypeError(f"batched argument '{name}' has unsupported dtype {dtype}")
    return scalar(dtype) if len(v.shape) == 1 else array(dtype, len(v.shape) - 1)


def _protect_device_arrays(values, params, written):
    """Device arrays the function writes into are copied on the device first."""
    out = []
    for p, v in zip(params, values):
        if p in written and not isinstance(v, np.ndarray) and hasattr(v, "copy_to_device"):
            from numba import cuda
            copy = cuda.device_array(v.shape, v.dtype)
            copy.copy_to_device(v)
            v = copy
        out.append(v)
    return out


def _first(v):
    """A copy of element 0 of a batched argument, on the host (with its batch axis)."""
    part = v[0:1]
    return part.copy() if isinstance(part, np.ndarray) else part.copy_to_host()


def _cpu_runner(driver_fn, element, driver, n_chunks):
    def run(values, n, caps):
        chunks = max(1, min(n_chunks, n))
        outs = allocate_outputs(element, driver, values, n, np.empty, (chunks, chunks),
                                np.zeros)
        need = np.zeros((chunks, max(1, len(element.tapes))), np.int64)
        tapes = [np.maximum(caps, 1)] if element.tapes else []
        if chunks > 1:
            import numba
            # chunks go to whichever thread is free (elements can differ in cost,
            # and other processes may hold a core)
            previous = numba.set_parallel_chunksize(1)
            try:
                driver_fn(*values, *outs, *tapes, need)
            finally:
                numba.set_parallel_chunksize(previous)
        else:
            driver_fn(*values, *outs, *tapes, need)
        value, grads = add_partials(outs, driver)
        return value, grads, need.max(axis=0)[:len(element.tapes)]
    return run


def _python_tape_helpers():
    return {"tape_overflow": kernel.tape_overflow, "atomic_add": kernel.atomic_add}


def _python_probe(spec, summed):
    """Tape sizes of one element, found by running it as plain Python with
    tapes of capacity one (pushes beyond it are only counted): the ``cuda``
    target's first guess, made on the host."""
    element = spec.element
    cpu = driver_source(element, element.batch, element.wrt, False, summed)
    run = None

    def probe(values, caps):
        nonlocal run
        if run is None:
            ns = load_python(spec.module(cpu), "<sourcediff probe>",
                             {**spec.injected, **_python_tape_helpers()})
            run = _cpu_runner(ns[cpu.name], element, cpu, 1)
        return run(values, 1, caps)[2]
    return probe
