"""``sd.grad`` and ``sd.value_and_grad``: the entry points that pick the transform
for what they are given.

* a function: reverse mode (``reverse.py``), its loops checkpointed on request;
* a function and ``batch=``: the batched transform (``batched.py``);
* a transform (``sd.grad(sd.grad(f))``, ``sd.grad(sd.jvp(f))``): forward mode
  over its generated code (``higher.py``).
"""
from __future__ import annotations

from .batched import BatchedGrad, BatchedValueAndGrad
from .higher import GradOf, is_transform
from .reverse import Grad, ValueAndGrad


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
    targets ``"cpu"``, ``"parallel"`` and ``"cuda"`` (see :mod:`sourcediff.transforms.batched`);
    a shared argument's gradient is per element too:

    >>> import numpy as np
    >>> def g(x, w):
    ...     return w * x * x
    >>> sd.grad(g, wrt=(0, 1), target="python", batch=(0, None))(np.array([1.0, 2.0]), 3.0)
    (array([ 6., 12.]), array([1., 4.]))
    """
    if is_transform(func):
        # higher order: forward mode over the transform's generated code
        if checkpoint or (batch is not None and batch is not False):
            raise ValueError("checkpoint= and batch= apply to a function, not to sd.grad of "
                             "a transform")
        return GradOf(func, wrt, target)
    if batch is not None and batch is not False:
        return BatchedGrad(func, wrt, target, "grad", batch).with_checkpoint(checkpoint)
    t = Grad(func, wrt, target, "grad")
    return t.with_checkpoint(checkpoint)


def value_and_grad(func, wrt=0, target: str = "cpu", *, checkpoint=None,
                   batch=None) -> ValueAndGrad:
    """Like :func:`grad`, returning ``(func(*args), gradient)`` from one sweep.

    Plugs into ``scipy.optimize.minimize(vg, x0, jac=True)``.  ``batch`` as in
    :func:`grad` (the values then have the leading batch axis too).
    """
    if batch is not None and batch is not False:
        return BatchedValueAndGrad(func, wrt, target, "value_and_grad",
                                   batch).with_checkpoint(checkpoint)
    t = ValueAndGrad(func, wrt, target, "value_and_grad")
    return t.with_checkpoint(checkpoint)

