"""``sd.grad`` and ``sd.value_and_grad``: the entry points that pick the transform
for what they are given.

* a function: reverse mode (``reverse.py``), its loops checkpointed on request;
* a function and ``batch=``: the batched transform (``batched.py``);
* a transform (``sd.grad(sd.grad(f))``, ``sd.grad(sd.jvp(f))``): forward mode
  over its generated code (``higher.py``).
"""
from __future__ import annotations

from .batched import BatchedGrad, BatchedValueAndGrad, check_reduce
from .higher import GradOf, is_transform
from .reverse import Grad, ValueAndGrad


def grad(func, wrt=0, target: str = "cpu", *, checkpoint=None, batch=None,
         reduce=None) -> Grad:
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
    targets ``"cpu"``, ``"parallel"`` and ``"cuda"`` (see :mod:`sourcediff.transforms.batched`);
    a shared argument's gradient is per element too:

    >>> import numpy as np
    >>> def g(x, w):
    ...     return w * x * x
    >>> sd.grad(g, wrt=(0, 1), target="python", batch=(0, None))(np.array([1.0, 2.0]), 3.0)
    (array([ 6., 12.]), array([1., 4.]))

    ``reduce="sum"`` (with ``batch``) sums the shared arguments' gradients (and,
    for :func:`value_and_grad`, the values) over the batch without keeping one
    per element; batched arguments' gradients stay per element:

    >>> sd.grad(g, wrt=(0, 1), target="python", batch=(0, None),
    ...         reduce="sum")(np.array([1.0, 2.0]), 3.0)
    (array([ 6., 12.]), np.float64(5.0))

    Batched arguments may be ``dask.array`` arrays: then one batched call runs
    per chunk, on the active Dask scheduler, and the results are Dask arrays
    (per element) or tree-reduced sums; nothing is computed until they are.
    """
    _check_batch_options(batch, reduce)
    if is_transform(func):
        # higher order: forward mode over the transform's generated code
        if checkpoint or (batch is not None and batch is not False):
            raise ValueError("checkpoint= and batch= apply to a function, not to sd.grad of "
                             "a transform")
        return GradOf(func, wrt, target)
    if batch is not None and batch is not False:
        return BatchedGrad(func, wrt, target, "grad", batch,
                           reduce).with_checkpoint(checkpoint)
    t = Grad(func, wrt, target, "grad")
    return t.with_checkpoint(checkpoint)


def value_and_grad(func, wrt=0, target: str = "cpu", *, checkpoint=None,
                   batch=None, reduce=None) -> ValueAndGrad:
    """Like :func:`grad`, returning ``(func(*args), gradient)`` from one sweep.

    Plugs into ``scipy.optimize.minimize(vg, x0, jac=True)``.  ``batch`` as in
    :func:`grad` (the values then have the leading batch axis too);
    ``reduce="sum"`` returns the sum of the values and of the shared
    arguments' gradients: a loss summed over data points, ready for
    ``minimize``.
    """
    _check_batch_options(batch, reduce)
    if batch is not None and batch is not False:
        return BatchedValueAndGrad(func, wrt, target, "value_and_grad",
                                   batch, reduce).with_checkpoint(checkpoint)
    t = ValueAndGrad(func, wrt, target, "value_and_grad")
    return t.with_checkpoint(checkpoint)



def _check_batch_options(batch, reduce) -> None:
    check_reduce(reduce)
    if reduce is not None and (batch is None or batch is False):
        raise ValueError(f"reduce={reduce!r} sums over a batch: pass batch=True or a tuple like "
                         "batch=(0, None) as well (SPEC section 4)")
