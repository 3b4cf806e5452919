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
"""
from __future__ import annotations

import ast

import numpy as np

from ..backends import load_python
from ..backends.drivers import allocate_outputs, driver_source
from ..errors import TransformError
from ..passes import kernel
from ..passes.types import array, scalar, type_of_value
from ..program import Program
from .base import _LOCK, Transformed

BATCH_TARGETS = ("python", "cpu", "parallel", "cuda")


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


class _Module:
    """One generated batched module for one signature and target."""

    def __init__(self, program, element, source, run, probe=None):
        self.program = program
        self.element = element
        self.source = source
        self.run = run            # run(values, n, capacities) -> (values, grads, need)
        self.probe = probe        # probe(first element's values, capacities) -> tape sizes


class Batched(Transformed):
    """A transform evaluated for each element of a batch."""

    targets = BATCH_TARGETS

    def __init__(self, func, wrt=0, target="cpu", mode="value_and_grad", batch=True):
        super().__init__(func, wrt, target, mode)
        self.batch = normalize_batch(batch, self.func.__name__, self.src.params)
        self._capacities: dict = {}
        self.__doc__ += f" Batched over {', '.join(self._batched_names())}."

    def _batched_names(self):
        return [p for p, b in zip(self.src.params, self.batch) if b == 0]

    # -- arguments -------------------------------------------------------
    def bind(self, args, kwargs):
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.func.__name__}(): {exc}") from None
        bound.apply_defaults()
        values = list(bound.arguments.values())
        types, n, first = [], None, None
        for name, v, b in zip(self.src.params, values, self.batch):
            if b is None:
                t = _type_of(v, name, self.func.__name__)
            else:
                if not hasattr(v, "shape") or len(v.shape) == 0:
                    raise ValueError(f"argument '{name}' of {self.func.__name__}() is batched "
                                     f"but is a {type(v).__name__}, not an array with a leading "
                                     "batch axis (mark it None in batch= to share it)")
                if n is None:
                    n, first = v.shape[0], name
                elif v.shape[0] != n:
                    raise ValueError(f"batched argument '{name}' has {v.shape[0]} elements "
                                     f"along its first axis but '{first}' has {n}")
                t = _element_type(v, name)
            types.append(t)
        for k in self.wrt:
            t, name = types[k], self.src.params[k]
            if t.kind == "tuple" or not t.is_float:
                what = "an integer" if t.kind == "int" or (t.is_array and t.dtype.kind in "iu") \
                    else f"a {t}"
                raise TypeError(f"cannot differentiate with respect to argument '{name}' of "
                                f"{self.func.__name__}(): it is {what}; pass float values")
        return values, types, n

    # -- building --------------------------------------------------------
    def _generate(self, types):
        program = Program(self.func, types)
        program.checkpoint = self.checkpoint
        params = self.src.params
        entry = program.analyze(self.func, types)
        program._primal_name = entry[0]
        ret = entry[3]
        if ret is None or ret.kind != "float":
            raise TypeError(f"{self.mode} of {self.func.__name__}() needs a float result, but it "
                            f"returns {ret}")
        grad_name = program._grad_name = program.adjoint(
            self.func, types, [params[k] for k in self.wrt], "grad")
        try:
            element = kernel.lower_adjoint(program.functions[grad_name], grad_name, params,
                                           types, self.wrt, entry[2])
        except kernel.NotLowerable as exc:
            info = self.src.info
            raise TransformError(f"batched {self.mode}: {exc}", info.filename,
                                 info.line_offset + 1, 0, info.lines[0]) from None
        element.value_dtype = ret.dtype
        element.batch, element.wrt = self.batch, self.wrt
        if self.target == "cuda":
            self._check_cuda(program, element, entry)
        element.module_functions = _kept_functions(program, grad_name)
        if self.target == "cuda":
            from ..backends.numba_cuda import helpers_used, kernel_source
            element.helpers = helpers_used([program.functions[n] for n in
                                            element.module_functions] + [element.source])
            driver = kernel_source(element, self.batch, self.wrt, element.helpers)
        else:
            driver = driver_source(element, self.batch, self.wrt, self.target == "parallel")
        source = _module(program, element, driver)
        return program, element, driver, source

    def _check_cuda(self, program, element, entry):
        if element.list_tapes:
            self._fail_cuda(f"tapes {', '.join(element.list_tapes)} could not be lowered to "
                            "arrays")
        envs = {}
        for name, fn, env, _ret, src in program._primal.values():
            envs[name] = (env, src)
        for key, vname in program._vjp.items():
            for (func, types, inplace), e in program._primal.items():
                if func is key[0] and tuple(types) == tuple(key[1]) and inplace == key[4]:
                    envs[vname] = (e[2], e[4])
        funcs = set(program.functions)
        todo, seen = [(element.name, element.source, entry[2], self.src)], set()
        while todo:
            name, text, env, src = todo.pop()
            if name in seen:
                continue
            seen.add(name)

            def where(comment, src=src):
                info = src.info
                m = kernel.COMMENT.match(comment or "")
                if m:
                    return info.filename, int(m.group(2)), m.group(3)
                return info.filename, info.line_offset + 1, info.lines[0]
            kernel.check_kernel_subset(text, env, funcs, where)
            for n in ast.walk(ast.parse(text)):
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) \
                        and n.func.id in funcs and n.func.id in envs:
                    e, s = envs[n.func.id]
                    todo.append((n.func.id, program.functions[n.func.id], e, s))

    def _fail_cuda(self, why):
        info = self.src.info
        raise TransformError(f"cannot run in a CUDA kernel (target='cuda'): {why}",
                             info.filename, info.line_offset + 1, 0, info.lines[0])

    def _build(self, types) -> _Module:
        program, element, driver, source = self._generate(types)
        injected = dict(program.injected)
        injected.update(program.user_rules)
        names = [n for n in program.order if n in element.module_functions] + [element.name]
        if self.target == "python":
            ns = load_python(source, f"<sourcediff batched {self.func.__name__}>",
                             {**injected, **_python_tape_helpers()})
            run = _cpu_runner(ns[driver.name], element, driver, 1)
        elif self.target == "cuda":
            from ..backends import numba_cuda

            def build(local):
                d = numba_cuda.kernel_source(element, self.batch, self.wrt, element.helpers,
                                             local)
                src = _module(program, element, d)
                funcs = numba_cuda.load_cuda(src, self.func.__name__, injected, names, d.name,
                                             element.helpers)
                return funcs[d.name], d, src
            m = _Module(program, element, source, None, _python_probe(program, element, injected))
            m.run = numba_cuda.Runner(m, element, build)
            return m
        else:
            from ..backends.numba_parallel import chunk_count, load_batched
            funcs = load_batched(source, self.func.__name__, injected, self.jit_options, names,
                                 driver.name, self.target == "parallel")
            run = _cpu_runner(funcs[driver.name], element, driver,
                              chunk_count() if self.target == "parallel" else 1)
        return _Module(program, element, source, run, lambda first, caps: run(first, 1, caps)[2])

    def compiled(self, types):
        key = tuple(types)
        c = self._cache.get(key)
        if c is None:
            with _LOCK:
                c = self._cache.get(key)
                if c is None:
                    c = self._cache[key] = self._build(types)
        self._last = c
        return c

    def _build_source_only(self, types):
        program, element, _driver, source = self._generate(types)
        return _Module(program, element, source, None)

    def source_for(self, *args, **kwargs) -> str:
        """The generated module for the types of these (batched) arguments."""
        _, types, _ = self.bind(args, kwargs)
        return self._build_source_only(types).source

    # -- calling ---------------------------------------------------------
    def run(self, args, kwargs):
        values, types, n = self.bind(args, kwargs)
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
                protected = _protect_device_arrays(protected, self.src.params,
                                                   c.program._written_params)
            value, grads, need = c.run(protected, n, caps)
            if not np.any(need > caps):
                break
            caps = np.maximum(caps, need)
        self._capacities[key] = caps
        return value, grads

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


def _kept_functions(program, grad_name):
    """The generated functions minus the root's list-tape adjoint (replaced by
    the element function) and primal copies nothing calls."""
    import re
    keep = [n for n in program.order if n != grad_name]
    text = "\n".join(program.functions[n] for n in keep)
    return [n for n in keep if n.endswith(("_vjp", "_grad")) or
            re.search(rf"\b{n}\(", text.replace(f"def {n}(", ""))]


def _module(program, element, driver):
    from ..emit import module_source
    info = program.root.info
    header = (f"Generated by sourcediff from {info.filename}:{info.line_offset + 1} "
              f"('{info.name}'), batched. Do not edit.")
    texts = [program.functions[n] for n in element.module_functions]
    return module_source(texts + [element.source, driver.source], header)


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
        outs = allocate_outputs(element, driver, values, n, np.empty)
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
        return outs[0], tuple(outs[1:]), need.max(axis=0)[:len(element.tapes)]
    return run


def _python_tape_helpers():
    return {"tape_overflow": kernel.tape_overflow}


def _python_probe(program, element, injected):
    """Tape sizes of one element, found by running it as plain Python with
    tapes of capacity one (pushes beyond it are only counted): the ``cuda``
    target's first guess, made on the host."""
    cpu = driver_source(element, element.batch, element.wrt, False)
    run = None

    def probe(values, caps):
        nonlocal run
        if run is None:
            src = _module(program, element, cpu)
            ns = load_python(src, "<sourcediff probe>", {**injected, **_python_tape_helpers()})
            run = _cpu_runner(ns[cpu.name], element, cpu, 1)
        return run(values, 1, caps)[2]
    return probe
