"""Batched gradients over Dask arrays: one compiled batched call per chunk.

``map_batched`` builds a Dask graph, computing nothing:

* the batched arguments are cut into the same chunks along the batch axis
  (those of the first Dask array among them, or Dask's automatic ones; a
  NumPy argument is cut to match) and each keeps its other axes whole, since
  an element needs all of its data;
* the transform and the shared arguments sit in the graph once, under one
  key: a worker receives them once, however many chunks it runs (a shared
  argument that is itself a Dask array becomes one chunk, a dependency);
* one task per chunk runs the transform's ``run_chunk`` (the batched call on
  NumPy arrays, compiled on the worker at its first chunk);
* per-element results are Dask arrays chunked like the batch; summed results
  (``reduce="sum"``) are added by a tree of tasks, ``SPLIT_EVERY`` partial
  sums at a time, into 0-d or one-chunk Dask arrays.

The graph runs on whichever scheduler computes it: threads, processes or a
``dask.distributed`` cluster.  Tasks are pure, so a chunk lost with a worker
is simply run again elsewhere.  Dask is optional: it is imported here, when a
batched call first meets a Dask array.
"""
from __future__ import annotations

import numpy as np

SPLIT_EVERY = 8


def runs_in_this_process() -> bool:
    """Whether the active Dask scheduler runs tasks in this process (threads, or
    the synchronous scheduler), so nothing needs to be pickled."""
    import dask.array as da
    import dask.local
    import dask.threaded
    from dask.base import get_scheduler
    return get_scheduler(cls=da.Array) in (dask.threaded.get, dask.local.get_sync)


class _Shared:
    """The transform and the shared arguments of one batched call (one graph key)."""

    def __init__(self, transform, values):
        self.transform = transform
        self.values = values


def _shared(transform, values):
    return _Shared(transform, list(values))


def _run_chunk(shared, batch, chunks):
    """One batched call on one chunk: the flat results ``[value, *grads]``."""
    chunks = iter(chunks)
    values = [next(chunks) if b == 0 else v for b, v in zip(batch, shared.values)]
    value, grads = shared.transform.run_chunk(values)
    return [value, *grads]


def _pick(results, k):
    return np.asarray(results[k])


def _sum_chunks(parts, positions):
    """Partial sums of the summed outputs of a group of chunks."""
    return [sum(np.asarray(p[k]) for p in parts[1:]) + np.asarray(parts[0][k])
            if len(parts) > 1 else np.asarray(parts[0][k]) for k in positions]


def _sum_partials(parts):
    return [sum(p[i] for p in parts[1:]) + parts[0][i] if len(parts) > 1 else parts[0][i]
            for i in range(len(parts[0]))]


def map_batched(transform, name: str, values: list, batch: tuple, outputs: list) -> list:
    """Dask arrays for the outputs of ``transform`` over ``values``.

    ``outputs``: ``(dtype, element shape, summed)`` per flat result (the value,
    then the gradients); a per-element output gets the leading batch axis."""
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    batched = [k for k, b in enumerate(batch) if b == 0]
    lead = next((values[k] for k in batched if isinstance(values[k], da.Array)), None)
    if lead is None:     # only a shared argument is a Dask array: Dask's own chunks
        v = values[batched[0]]
        lead = da.from_array(v, chunks=("auto",) + (-1,) * (len(v.shape) - 1))
    along = lead.chunks[0]
    arrays = []
    for k in batched:
        v = values[k]
        chunks = (along,) + tuple((s,) for s in v.shape[1:])
        arrays.append(v.rechunk(chunks) if isinstance(v, da.Array)
                      else da.from_array(v, chunks=chunks))
    shared, dependencies = [], list(arrays)
    for k, b in enumerate(batch):
        v = values[k]
        if b is not None:
            shared.append(None)
        elif isinstance(v, da.Array):
            v = v.rechunk(tuple((s,) for s in v.shape))
            dependencies.append(v)
            shared.append((v.name,) + (0,) * v.ndim)
        else:
            shared.append(v)

    token = tokenize(transform, [a.name for a in arrays],
                     [s if not isinstance(s, np.ndarray) else tokenize(s) for s in shared])
    core = f"sourcediff-{name}-{token}"
    shared_key = (core, "shared")
    dsk = {shared_key: (_shared, transform, shared)}
    chunk_keys = []
    for j in range(len(along)):
        key = (core, j)
        dsk[key] = (_run_chunk, shared_key, batch,
                    [(a.name, j) + (0,) * (a.ndim - 1) for a in arrays])
        chunk_keys.append(key)

    summed = [m for m, (_dtype, _shape, is_summed) in enumerate(outputs) if is_summed]
    total = None
    if summed:
        level, keys = 0, chunk_keys
        while True:
            groups = [keys[i:i + SPLIT_EVERY] for i in range(0, len(keys), SPLIT_EVERY)]
            new = [(f"{core}-sum", level, g) for g in range(len(groups))]
            for key, group in zip(new, groups):
                dsk[key] = ((_sum_chunks, group, summed) if level == 0
                            else (_sum_partials, group))
            keys, level = new, level + 1
            if len(keys) == 1:
                total = keys[0]
                break
    core_graph = HighLevelGraph.from_collections(core, dsk, dependencies=dependencies)

    results = []
    for m, (dtype, shape, is_summed) in enumerate(outputs):
        out = f"{core}-out{m}"
        if is_summed:
            layer = {(out,) + (0,) * len(shape): (_pick, total, summed.index(m))}
            chunks = tuple((s,) for s in shape)
        else:
            layer = {(out, j) + (0,) * len(shape): (_pick, key, m)
                     for j, key in enumerate(chunk_keys)}
            chunks = (along,) + tuple((s,) for s in shape)
        graph = HighLevelGraph({**core_graph.layers, out: layer},
                               {**core_graph.dependencies, out: {core}})
        results.append(da.Array(graph, out, chunks, dtype=dtype))
    return results
