"""The ``cuda`` target: batched gradients as a ``numba.cuda`` kernel, one thread
per batch element.

The generated module holds the user's functions and the lowered per-element
adjoint as device functions (``cuda.jit(device=True)``) and a kernel that
calls it for element ``cuda.grid(1)``.  Tapes:

* in per-thread local memory (``cuda.local.array``) when they fit in
  ``LOCAL_TAPE_BYTES``; the capacities are module constants, so the kernel is
  specialised (and compiled) per capacity bucket (powers of two);
* otherwise in a global workspace, one array per tape of shape
  ``(capacity, n)``: thread ``b`` uses column ``b``, so neighbouring threads
  touch neighbouring addresses (coalesced).

A push beyond the capacity is counted with ``cuda.atomic.max`` in
``tape_need``; the host relaunches with the capacity reported.  Arguments may
be NumPy arrays (copied to the device, results copied back) or CUDA device
arrays (results stay on the device).  Math maps to libdevice through Numba's
``math`` support.  In CI this runs under Numba's simulator
(``NUMBA_ENABLE_CUDASIM=1``).
"""
from __future__ import annotations

import contextlib
import importlib.util
import math
import sys
import threading

import numpy as np

from .drivers import Driver, Plan, add_partials, allocate_outputs, driver_names
from .numba_cpu import write_module

THREADS_PER_BLOCK = 256
LOCAL_TAPE_BYTES = 4096        # per thread


def is_device_array(v) -> bool:
    from numba import cuda
    check = getattr(cuda, "is_cuda_array", None)
    if check is not None:
        return check(v)
    return cuda.devicearray.is_cuda_ndarray(v)      # the simulator


def local_capacities(element, caps):
    """Power-of-two capacities for local tapes, or None if they do not fit."""
    if not element.tapes:
        return ()
    rounded = tuple(1 << max(3, int(c - 1).bit_length()) for c in np.maximum(caps, 1))
    size = sum(c * t.dtype.itemsize for c, t in zip(rounded, element.tapes))
    return rounded if size <= LOCAL_TAPE_BYTES else None


def kernel_source(element, batch, wrt, helpers, local=None, summed=frozenset()):
    """Source of the kernel (and the device ``helpers`` it needs): ``local``
    capacities (local tapes) or None (workspace).

    ``summed`` (``reduce="sum"``, see ``drivers.Plan``): each block adds its
    threads' summed results in shared memory (a tree of ``BLOCK_SUM_THREADS``
    slots) and writes one partial per block; a summed row is added into by
    ``atomic_add``, thread ``b`` into copy ``b % copies`` of it, so the
    threads of a warp add into different addresses.  The host adds the partials."""
    fresh = driver_names(element, wrt, element.params)
    part = fresh("copy")
    plan = Plan(element, batch, wrt, fresh, summed, part)
    b, outputs = plan.b, plan.outputs
    name = fresh(element.name.replace("_element", "") + ("_summed" if summed else "_kernel"))
    need = fresh("tape_need")
    tapes = [fresh(t.name) for t in element.tapes]
    workspaces = [] if local is not None else [fresh(f"workspace_{k}") for k in range(len(tapes))]
    params = element.params + [o[0] for o in outputs] + workspaces + [need]
    lines = ["from numba import cuda", "from numba import types as nbtypes", "", ""]
    for helper in helpers:
        lines += DEVICE_HELPERS[helper] + ["", ""]
    if local:
        lines += [f"TAPE_CAPACITY_{k} = {cap}" for k, cap in enumerate(local)] + ["", ""]
    if plan.sums:
        lines += [f"BLOCK_SUM_THREADS = {THREADS_PER_BLOCK}", "", ""]
    what = "one thread each" + ("; sums: one partial per block" if summed else "")
    lines += [f"def {name}({', '.join(params)}):",
              f'    """{element.name} for element cuda.grid(1) of the batch ({what})."""',
              f"    {b} = cuda.grid(1)"]
    pad = "    "
    if summed:
        thread = fresh("thread")
        lines.append(f"    {thread} = cuda.threadIdx.x")
        rows = [o[0] for o in outputs if o[2] and o[3]]
        if rows:
            lines.append(f"    {part} = {b} % {rows[0]}.shape[0]")
        for _local, result, _out in plan.sums:
            lines.append(f"    {result} = 0.0")
    lines.append(f"{pad}if {b} < {plan.n_elements}:")
    if tapes and local is not None:
        lines.append("        # this thread's tapes, in local memory")
    elif tapes:
        lines.append("        # this thread's tapes: its column of the global workspace")
    for k, (t, tname) in enumerate(zip(element.tapes, tapes)):
        if local is not None:
            nbtype = "boolean" if t.dtype.kind == "b" else t.dtype.name
            lines.append(f"        {tname} = cuda.local.array(TAPE_CAPACITY_{k}, nbtypes.{nbtype})")
        else:
            lines.append(f"        {tname} = {workspaces[k]}[:, {b}]")
    args = plan.args + plan.row_args + tapes + ([need] if tapes else [])
    lines.append(f"        {', '.join(plan.targets)} = {element.name}({', '.join(args)})")
    if plan.sums:
        lines.append("    # the block's sums: a tree over shared memory")
        for acc, result, out in plan.sums:
            lines.append(f"    {acc} = cuda.shared.array(BLOCK_SUM_THREADS, nbtypes.float64)")
            lines.append(f"    {acc}[{thread}] = {result}")
        step = fresh("step")
        lines += ["    cuda.syncthreads()",
                  f"    {step} = cuda.blockDim.x // 2",
                  f"    while {step} > 0:",
                  f"        if {thread} < {step}:"]
        lines += [f"            {acc}[{thread}] += {acc}[{thread} + {step}]"
                  for acc, _result, _out in plan.sums]
        lines += ["        cuda.syncthreads()",
                  f"        {step} //= 2",
                  f"    if {thread} == 0:"]
        lines += [f"        {out}[cuda.blockIdx.x] = {acc}[0]" for acc, _r, out in plan.sums]
    return Driver(name, "\n".join(lines) + "\n", outputs)


# Device helpers a kernel module defines when its functions call them.  Numba's
# CUDA target (0.68) fails to type the builtins max(a, b) / min(a, b) on
# scalars: the module shadows them with Python's semantics.
DEVICE_HELPERS = {
    "max": ["# the builtin max(a, b) on scalars, which Numba's CUDA target cannot type",
            "def max(a, b):", "    return b if b > a else a"],
    "min": ["# the builtin min(a, b) on scalars, which Numba's CUDA target cannot type",
            "def min(a, b):", "    return b if b < a else a"],
    # the runtime's (sourcediff/runtime/helpers.py), for the element loops of
    # passes/lower.py; a kernel reports the ValueError only when compiled for debugging
    "broadcast_length": ["# NumPy's broadcast length of two axes' lengths n and m",
                         "def broadcast_length(n, m):",
                         "    if n == m or m == 1:", "        return n",
                         "    if n == 1:", "        return m",
                         "    raise ValueError('operands could not be broadcast together')"],
    "equal_length": ["# n, where rows of lengths n and m run in one element loop",
                     "def equal_length(n, m):",
                     "    if n != m:",
                     "        raise ValueError('rows of different lengths')",
                     "    return n"],
    "broadcast_into": ["# n, where an axis of length m may be stored into one of length n",
                       "def broadcast_into(m, n):",
                       "    if m != n and m != 1:",
                       "        raise ValueError('could not broadcast input array into the slice')",
                       "    return n"],
    "slice_start": ["# where a[lo:] starts along an axis of length n (NumPy's clipping)",
                    "def slice_start(lo, n):",
                    "    if lo < 0:", "        lo += n",
                    "    return min(max(lo, 0), n)"],
    "slice_length": ["# the length of a[lo:hi] along an axis of length n",
                     "def slice_length(lo, hi, n):",
                     "    return max(slice_start(hi, n) - slice_start(lo, n), 0)"],
    "wrap_index": ["# i % n, without the division where 0 <= i < n (a periodic index)",
                   "def wrap_index(i, n):",
                   "    if 0 <= i < n:", "        return i",
                   "    return i % n"],
    "tape_overflow": ["# tape_need is shared by all threads", "def tape_overflow(need, k, top):",
                      "    cuda.atomic.max(need, k, top + 1)"],
    "atomic_add": ["# a summed gradient row is shared by the threads of many blocks",
                   "def atomic_add(row, index, value):",
                   "    cuda.atomic.add(row, index, value)"],
}


def helpers_used(texts) -> list:
    """The device helpers the generated functions call."""
    import re
    body = "\n".join(texts)
    return [name for name in DEVICE_HELPERS if re.search(rf"\b{name}\(", body)]

def load_cuda(source: str, stem: str, injected: dict, function_names: list,
              kernel: str, helpers: list) -> dict:
    """Import the module: its functions become device functions, ``kernel`` a kernel."""
    import inspect

    from numba import config, cuda

    from ..runtime.declare import install_numba_overloads
    install_numba_overloads()
    path = write_module(source, f"{stem}_cuda", None, injected)
    name = path.stem
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for k, v in injected.items():
            if callable(v) and inspect.isfunction(v):
                v = cuda.jit(device=True)(v)
            setattr(module, k, v)
        for fname in function_names + helpers:
            setattr(module, fname, cuda.jit(device=True)(getattr(module, fname)))
        options = {} if config.ENABLE_CUDASIM else {"cache": True}
        setattr(module, kernel, cuda.jit(**options)(getattr(module, kernel)))
        sys.modules[name] = module
    return {fname: getattr(module, fname) for fname in function_names + [kernel]}


_LAUNCH_LOCK = threading.Lock()


class CudaVersionError(RuntimeError):
    """numba-cuda and NumPy do not work together: compiling any kernel fails."""


@contextlib.contextmanager
def version_clash():
    """Turn the error numba-cuda raises at its first kernel compile when the
    installed NumPy removed a function it registers (``np.row_stack``, gone in
    NumPy 2.5, is registered by numba-cuda 0.2x) into one that names the
    versions, instead of an AttributeError from inside numba-cuda."""
    try:
        yield
    except AttributeError as exc:
        if "module 'numpy' has no attribute" not in str(exc):
            raise
        import numba
        try:
            from importlib.metadata import version
            cuda_version = version("numba-cuda")
        except ImportError:         # numba's bundled CUDA target
            cuda_version = "bundled with numba"
        raise CudaVersionError(
            f"target='cuda': numba-cuda ({cuda_version}, numba {numba.__version__}) cannot "
            f"compile kernels with NumPy {np.__version__}: {exc}. Install a NumPy that "
            f"this numba-cuda supports (for example pip install 'numpy<2.5') or a "
            f"numba-cuda release that supports NumPy {np.__version__}.") from exc


class Runner:
    """Launches the kernel variant that fits the tape capacities."""

    def __init__(self, compiled, element, build):
        self.compiled = compiled
        self.element = element
        self.build = build           # build(local) -> (kernel function, Driver, source)
        self.variants: dict = {}
        self.workspace: dict = {}
        self.need = None             # the device's tape_need, kept (see _launch)

    def ptx(self, values, n, caps, cc=(9, 0)) -> str:
        """PTX of the kernel for these arguments (needs libnvvm, not a GPU)."""
        import numba
        from numba import cuda

        local = local_capacities(self.element, caps)
        kern, driver, _source = self.build(local)
        _threads, blocks = launch_shape(n, driver)
        outs = allocate_outputs(self.element, driver, values, n, np.empty,
                                (blocks, row_copies(n)), np.zeros)
        spaces = [] if local is not None else [np.empty((int(c), n), t.dtype) for t, c in
                                               zip(self.element.tapes, np.maximum(caps, 1))]
        need = np.zeros(max(1, len(self.element.tapes)), np.int64)
        argtypes = tuple(numba.typeof(v) for v in [*values, *outs, *spaces, need])
        if cuda.is_available():
            with version_clash():
                return cuda.compile_ptx(kern.py_func, argtypes, cc=cc)[0]
        # No GPU: device functions are compiled for the current device's compute
        # capability; give them ``cc`` instead (compilation needs libnvvm only).
        from types import SimpleNamespace
        from unittest import mock
        device = SimpleNamespace(compute_capability=cc)
        with mock.patch("numba.cuda.dispatcher.get_current_device", lambda: device), \
                version_clash():
            return cuda.compile_ptx(kern.py_func, argtypes, cc=cc)[0]

    def __call__(self, values, n, caps):
        # one launch at a time in a process (Dask's threads may call together):
        # the simulator cannot run two kernels at once, and on a GPU they run
        # one after the other on the default stream anyway
        with _LAUNCH_LOCK:
            return self._launch(values, n, caps)

    def _launch(self, values, n, caps):
        from numba import cuda
        local = local_capacities(self.element, caps)
        key = local if local is not None else "workspace"
        if key not in self.variants:
            self.variants[key] = self.build(local)
        kern, driver, source = self.variants[key]
        self.compiled.source = source
        on_device = any(is_device_array(v) for v in values)
        # (Numba copies one memory region: a strided view, x[1::2], is made contiguous)
        dev = [cuda.to_device(v if v.flags.c_contiguous or v.flags.f_contiguous
                              else np.ascontiguousarray(v))
               if isinstance(v, np.ndarray) else v for v in values]
        threads, blocks = launch_shape(n, driver)
        # the per-element outputs are views of one allocation per dtype (an
        # allocation costs 0.1-0.2 ms on an H200, about a tenth of the Greeks'
        # kernel); the summed ones start at zero
        wanted = []
        allocate_outputs(self.element, driver, values, n,
                         lambda shape, dtype: wanted.append((shape, np.dtype(dtype))),
                         (blocks, row_copies(n)), lambda shape, dtype: None)
        carved = iter(carve(wanted, cuda.device_array))
        outs = allocate_outputs(self.element, driver, values, n,
                                lambda shape, dtype: next(carved),
                                (blocks, row_copies(n)),
                                lambda shape, dtype: cuda.to_device(np.zeros(shape, dtype)))
        workspaces = []
        if local is None:
            for t, cap in zip(self.element.tapes, np.maximum(caps, 1)):
                ws = self.workspace.get(t.name)     # kept for the next call of this size
                if ws is None or ws.shape != (int(cap), n):
                    ws = self.workspace[t.name] = cuda.device_array((int(cap), n), t.dtype)
                workspaces.append(ws)
        # tape_need lives on the device from call to call (one launch at a time:
        # _LAUNCH_LOCK); set back to zeros only after a launch that wrote it
        if self.need is None:
            self.need = cuda.to_device(np.zeros(max(1, len(self.element.tapes)), np.int64))
        if n:
            with version_clash():     # the first launch compiles the kernel
                kern[blocks, threads](*dev, *outs, *workspaces, self.need)
        need = self.need.copy_to_host()
        if need.any():
            self.need.copy_to_device(np.zeros_like(need))
        need = need[:len(self.element.tapes)]
        # partial sums come to the host, where they are added; per-element
        # results stay on the device when the arguments were there
        outs = [o.copy_to_host() if not on_device or summed else o
                for o, (_n, _k, _row, summed) in zip(outs, driver.outputs)]
        value, grads = add_partials(outs, driver)
        if on_device:
            # device in, device out: a summed gradient (added up on the host) goes back
            grads = tuple(cuda.to_device(g) if isinstance(g, np.ndarray) and g.ndim else g
                          for g in grads)
        return value, grads, need


def carve(wanted, allocate) -> list:
    """Arrays of the ``(shape, dtype)`` pairs ``wanted`` as views of one array
    ``allocate(size, dtype)`` per dtype, in order."""
    sizes: dict = {}
    for shape, dtype in wanted:
        sizes[dtype] = sizes.get(dtype, 0) + math.prod(shape)
    blocks = {dtype: allocate(max(size, 1), dtype) for dtype, size in sizes.items()}
    taken = dict.fromkeys(sizes, 0)
    out = []
    for shape, dtype in wanted:
        size = math.prod(shape)
        out.append(blocks[dtype][taken[dtype]:taken[dtype] + size].reshape(shape))
        taken[dtype] += size
    return out


# copies of a summed gradient row: thread b adds into copy b % ROW_COPIES, so
# the 32 threads of a warp never wait on one address
ROW_COPIES = 32


def row_copies(n: int) -> int:
    return max(1, min(ROW_COPIES, n))


def launch_shape(n: int, driver) -> tuple:
    """``(threads per block, blocks)``; a kernel with sums takes a power of two
    threads per block (its tree over shared memory halves the block)."""
    if any(o[3] for o in driver.outputs):
        threads = min(THREADS_PER_BLOCK, max(32, 1 << (max(n, 1) - 1).bit_length()))
    else:
        threads = min(THREADS_PER_BLOCK, 32 * math.ceil(max(n, 1) / 32))
    return threads, max(1, math.ceil(n / threads))
