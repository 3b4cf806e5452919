"""The transforms users call, re-exported from :mod:`sourcediff.transforms`
(where each lives in the module of its layer)."""
from .transforms.base import Transformed, guess_types, wrt_positions
from .transforms.batched import BatchedGrad, BatchedValueAndGrad
from .transforms.forward import JVP, jvp
from .transforms.function import Function, checkpoint, function, show, source
from .transforms.grad import grad, value_and_grad
from .transforms.higher import HVP, GradOf, Hessian, hessian, hvp
from .transforms.reverse import Grad, ValueAndGrad
from .transforms.vjp import VJP, Jacobian, jacobian, vjp

__all__ = [  # noqa: RUF022 - the transforms first, then their classes
    "grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp", "function",
    "checkpoint", "source", "show",
    "Transformed", "Grad", "ValueAndGrad", "BatchedGrad", "BatchedValueAndGrad", "JVP",
    "VJP", "Jacobian", "GradOf", "HVP", "Hessian", "Function", "guess_types", "wrt_positions",
]
