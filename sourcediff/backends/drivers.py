"""The driver of a batched gradient: generated code that calls the per-element
adjoint (``passes/kernel.py``) for every element of the batch.

``Plan`` names the outputs and the element call's arguments, shared by every
driver; ``driver_source`` writes the ``cpu`` / ``python`` loop and the
``parallel`` ``prange`` over chunks of the batch; ``numba_cuda.kernel_source``
writes the ``cuda`` kernel from the same plan.  ``allocate_outputs`` makes the
arrays a driver writes into, ``add_partials`` adds up the partial sums of a
``reduce="sum"`` driver (one per chunk or block).
"""
from __future__ import annotations

import numpy as np

from ..names import Namer


class Driver:
    """A generated driver: its function's name, its source and its outputs."""

    def __init__(self, name, source, outputs):
        self.name = name
        self.source = source
        # [(name, wrt index or None, is_row, summed)]: a summed output holds one
        # partial sum per chunk (cpu), block or copy (cuda); the caller adds them
        self.outputs = outputs


def driver_names(element, wrt, params):
    """``fresh(base)``: a name not taken by the parameters or the module's names."""
    taken = set(params) | {element.name, "np", "math", "prange", "cuda", "nbtypes"}
    return Namer(taken, sep="_").fresh      # x, x_2, x_3, ...


class Plan:
    """Names shared by the drivers: outputs, the element call's arguments and
    the targets of its results.

    ``summed`` (``reduce="sum"``) names the outputs summed over the batch:
    ``None`` for the value, ``k`` for the gradient of (shared) argument ``k``.
    A summed result of the element call goes to a local (``sums``: local,
    result, output), which the driver adds up; a summed row is the partial
    ``out[part]`` the element adds into (``part``: the chunk, or the copy a
    CUDA block adds into)."""

    def __init__(self, element, batch, wrt, fresh, summed=frozenset(), part="chunk"):
        params = element.params
        self.b = b = fresh("b")
        self.outputs = outputs = [(fresh("out_value"), None, False, None in summed)]
        returned = [(outputs[0][0], None)]
        for k in element.scalar_grads:
            name = fresh("out_d" + params[k])
            outputs.append((name, k, False, k in summed))
            returned.append((name, k))
        self.row_args = []
        for k, row in element.grad_rows.items():
            name = fresh("out_" + row)
            outputs.append((name, k, True, k in summed))
            self.row_args.append(f"{name}[{part}]" if k in summed else f"{name}[{b}]")
        outputs.sort(key=lambda o: (o[1] is not None,
                                    wrt.index(o[1]) if o[1] is not None else 0))
        self.args = [f"{p}[{b}]" if batch[i] == 0 else p for i, p in enumerate(params)]
        self.targets, self.sums = [], []
        for out, k in returned:
            if k in summed:
                local = fresh("sum_" + out[4:])
                result = fresh("el_" + out[4:])
                self.sums.append((local, result, out))
                self.targets.append(result)
            else:
                self.targets.append(f"{out}[{b}]")
        first = next(p for p, k in zip(params, batch) if k == 0)
        # with the value summed, the batch size is read off a batched argument
        self.n_elements = f"{first}.shape[0]" if None in summed else f"{outputs[0][0]}.shape[0]"


def driver_source(element, batch, wrt, parallel, summed=frozenset()) -> Driver:
    fresh = driver_names(element, wrt, element.params)
    chunk = fresh("chunk")
    plan = Plan(element, batch, wrt, fresh, summed, chunk)
    b, outputs = plan.b, plan.outputs
    name = fresh(element.name.replace("_element", "") + ("_summed" if summed else "_batched"))
    n, chunks = fresh("n_elements"), fresh("n_chunks")
    caps, need = fresh("tape_capacity"), fresh("tape_need")
    tapes = [fresh(t.name) for t in element.tapes]
    params = element.params + [o[0] for o in outputs] + ([caps] if tapes else []) + [need]
    loop = "prange" if parallel else "range"
    how = ("chunks of the batch in parallel, each with its own tapes, writing only its own "
           "rows" if parallel else "one element after the other")
    if summed:
        how += "; sums: one partial per chunk"
    lines = [f"def {name}({', '.join(params)}):",
             f'    """{element.name} for each element of the batch: {how}."""',
             f"    {n} = {plan.n_elements}",
             f"    {chunks} = {need}.shape[0]",
             f"    for {chunk} in {loop}({chunks}):"]
    if tapes:
        lines.append("        # tapes reused by every element of the chunk")
    for k, (t, tname) in enumerate(zip(element.tapes, tapes)):
        lines.append(f"        {tname} = np.empty({caps}[{k}], np.{t.dtype.name})")
    for local, _result, _out in plan.sums:
        lines.append(f"        {local} = 0.0")
    lines.append(f"        for {b} in range({chunk} * {n} // {chunks}, "
                 f"({chunk} + 1) * {n} // {chunks}):")
    need_arg = [f"{need}[{chunk}]"] if tapes else []
    call = f"{element.name}({', '.join(plan.args + plan.row_args + tapes + need_arg)})"
    lines.append(f"            {', '.join(plan.targets)} = {call}")
    for local, result, _out in plan.sums:
        lines.append(f"            {local} += {result}")
    for local, _result, out in plan.sums:
        lines.append(f"        {out}[{chunk}] = {local}")
    if parallel:
        lines = ["from numba import prange", "", ""] + lines
    return Driver(name, "\n".join(lines) + "\n", outputs)


def allocate_outputs(element, driver, values, n, empty, parts=(1, 1), zeros=None):
    """Output arrays in the driver's order: values, then gradients (the element
    shape of their argument, with the leading batch axis).  A summed output has
    ``parts[0]`` partial sums (a summed row ``parts[1]``, zeroed by ``zeros``)
    instead of the batch axis."""
    out = []
    for _name, k, is_row, summed in driver.outputs:
        lead = (parts[1] if is_row else parts[0]) if summed else n
        make = zeros if summed else empty
        if k is None:
            out.append(make((lead,), element.value_dtype))
            continue
        v = values[k]
        dtype = np.dtype(v.dtype) if hasattr(v, "dtype") else np.dtype(np.float64)
        shape = tuple(v.shape[1:]) if element.batch[k] == 0 else tuple(np.shape(v))
        out.append(make((lead,) + shape, dtype))
    return out


def add_partials(outputs, driver):
    """The driver's results with each summed output's partials added up: the
    value, then the gradients."""
    done = []
    for out, (_name, _k, _is_row, summed) in zip(outputs, driver.outputs):
        done.append(out.sum(axis=0) if summed else out)
    return done[0], tuple(done[1:])
