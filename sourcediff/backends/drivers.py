"""The driver of a batched gradient: generated code that calls the per-element
adjoint (``passes/kernel.py``) for every element of the batch.

``driver_plan`` names the outputs and the element call's arguments, shared by
every driver; ``driver_source`` writes the ``cpu`` / ``python`` loop and the
``parallel`` ``prange`` over chunks of the batch; ``numba_cuda.kernel_source``
writes the ``cuda`` kernel from the same plan.  ``allocate_outputs`` makes the
arrays a driver writes into.
"""
from __future__ import annotations

import numpy as np


class Driver:
    """A generated driver: its function's name, its source and its outputs."""

    def __init__(self, name, source, outputs):
        self.name = name
        self.source = source
        self.outputs = outputs        # [(name, wrt index or None, is_row)]


def driver_names(element, wrt, params):
    """``fresh(base)``: a name not taken by the parameters or the module's names."""
    taken = set(params) | {element.name, "np", "math", "prange", "cuda", "nbtypes"}

    def fresh(base):
        name, k = base, 1
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        taken.add(name)
        return name
    return fresh


def driver_plan(element, batch, wrt, fresh):
    """Names of the outputs and the element call's arguments (shared by the drivers)."""
    params = element.params
    b = fresh("b")
    outputs = [(fresh("out_value"), None, False)]
    scalar_out = []
    for k in element.scalar_grads:
        name = fresh("out_d" + params[k])
        outputs.append((name, k, False))
        scalar_out.append(f"{name}[{b}]")
    row_args = []
    for k, row in element.grad_rows.items():
        name = fresh("out_" + row)
        outputs.append((name, k, True))
        row_args.append(f"{name}[{b}]")
    outputs.sort(key=lambda o: (o[1] is not None, wrt.index(o[1]) if o[1] is not None else 0))
    args = [f"{p}[{b}]" if batch[i] == 0 else p for i, p in enumerate(params)]
    targets = [f"{outputs[0][0]}[{b}]"] + scalar_out
    return b, outputs, args, row_args, targets


def driver_source(element, batch, wrt, parallel) -> Driver:
    fresh = driver_names(element, wrt, element.params)
    b, outputs, args, row_args, targets = driver_plan(element, batch, wrt, fresh)
    name = fresh(element.name.replace("_element", "") + "_batched")
    n, chunks, chunk = fresh("n_elements"), fresh("n_chunks"), fresh("chunk")
    caps, need = fresh("tape_capacity"), fresh("tape_need")
    tapes = [fresh(t.name) for t in element.tapes]
    params = element.params + [o[0] for o in outputs] + ([caps] if tapes else []) + [need]
    loop = "prange" if parallel else "range"
    how = ("chunks of the batch in parallel, each with its own tapes, writing only its own "
           "rows" if parallel else "one element after the other")
    lines = [f"def {name}({', '.join(params)}):",
             f'    """{element.name} for each element of the batch: {how}."""',
             f"    {n} = {outputs[0][0]}.shape[0]",
             f"    {chunks} = {need}.shape[0]",
             f"    for {chunk} in {loop}({chunks}):"]
    if tapes:
        lines.append("        # tapes reused by every element of the chunk")
    for k, (t, tname) in enumerate(zip(element.tapes, tapes)):
        lines.append(f"        {tname} = np.empty({caps}[{k}], np.{t.dtype.name})")
    lines.append(f"        for {b} in range({chunk} * {n} // {chunks}, "
                 f"({chunk} + 1) * {n} // {chunks}):")
    need_arg = [f"{need}[{chunk}]"] if tapes else []
    call = f"{element.name}({', '.join(args + row_args + tapes + need_arg)})"
    lines.append(f"            {', '.join(targets)} = {call}")
    if parallel:
        lines = ["from numba import prange", "", ""] + lines
    return Driver(name, "\n".join(lines) + "\n", outputs)


def allocate_outputs(element, driver, values, n, empty):
    """Output arrays in the driver's order: values, then gradients (the element
    shape of their argument, with the leading batch axis)."""
    out = []
    for _name, k, _is_row in driver.outputs:
        if k is None:
            out.append(empty((n,), element.value_dtype))
            continue
        v = values[k]
        dtype = np.dtype(v.dtype) if hasattr(v, "dtype") else np.dtype(np.float64)
        shape = tuple(v.shape[1:]) if element.batch[k] == 0 else tuple(np.shape(v))
        out.append(empty((n,) + shape, dtype))
    return out
